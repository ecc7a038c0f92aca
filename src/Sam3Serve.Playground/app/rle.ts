// COCO compressed RLE (pycocotools' string form): run lengths over the mask in column-major order, starting with
// a run of zeros; from the fourth count on each is stored as its difference from the count two before; each value
// is written in 5-bit groups, least significant first, one character ('0' + group) per group, 0x20 marking "more
// groups follow" and the last group's 0x10 bit carrying the sign.

/** Decodes `counts` into a row-major mask of 0 and 1, `width` × `height`. Throws on a malformed string. */
export function decodeRle(counts: string, width: number, height: number): Uint8Array {
  const total = width * height;
  const mask = new Uint8Array(total);
  const runs: number[] = [];
  let p = 0;
  while (p < counts.length) {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (p >= counts.length) {
        throw new Error('RLE counts end in the middle of a number');
      }
      const c = counts.charCodeAt(p++) - 48;
      if (c < 0 || c > 63 || shift > 45) {
        throw new Error(`RLE counts hold an invalid character at ${p - 1}`);
      }
      value += (c & 0x1f) * 2 ** shift;
      shift += 5;
      if ((c & 0x20) === 0) {
        if (c & 0x10) {
          value -= 2 ** shift;
        }
        break;
      }
    }
    if (runs.length > 2) {
      value += runs[runs.length - 2];
    }
    runs.push(value);
  }
  let position = 0;
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i];
    if (run < 0 || position + run > total) {
      throw new Error(`RLE run ${i} (${run}) does not fit a ${width}x${height} mask`);
    }
    if (i & 1) {
      // Column-major position → row-major index.
      for (let k = position; k < position + run; k++) {
        const x = Math.floor(k / height);
        const y = k - x * height;
        mask[y * width + x] = 1;
      }
    }
    position += run;
  }
  if (position !== total) {
    throw new Error(`RLE runs cover ${position} pixels, not ${total}`);
  }
  return mask;
}
