// Where the server's passes fall on the picture, to draw the tile grid while a tiled request runs. The same rules
// as the engine's TileLayout (concept mode) and CropLayers (automatic mode: SAM 1's crop boxes).
export type Tiles = 'off' | 'auto' | `${number}x${number}`;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Rows × columns of `tiles` on a `width` × `height` image: "auto" tiles only past 2016 px, the fewest of ≤ 1512 px a side. */
export function gridFor(tiles: Tiles, width: number, height: number, maxTiles = 16): [number, number] {
  if (tiles === 'off') return [1, 1];
  if (tiles !== 'auto') {
    const [r, c] = tiles.split('x').map(Number);
    return [r, c];
  }
  if (Math.max(width, height) <= 2016) return [1, 1];
  for (let side = 1512; ; side *= 1.05) {
    const rows = Math.ceil(height / side);
    const cols = Math.ceil(width / side);
    if (rows * cols <= maxTiles) return [rows, cols];
  }
}

function axis(count: number, overlap: number, size: number): Array<[number, number]> {
  let length = count === 1 ? size : Math.ceil(size / (count - (count - 1) * overlap));
  length = Math.min(Math.max(length, 1), size);
  const step = count === 1 ? 0 : (size - length) / (count - 1);
  return Array.from({ length: count }, (_, i) => [i === count - 1 ? size - length : Math.round(i * step), length]);
}

/** The tiles of a concept request, row by row; none when the grid is 1 × 1. */
export function tileRects(tiles: Tiles, overlap: number, width: number, height: number): Rect[] {
  const [rows, cols] = gridFor(tiles, width, height);
  if (rows * cols <= 1) return [];
  const xs = axis(cols, overlap, width);
  const ys = axis(rows, overlap, height);
  const rects: Rect[] = [];
  for (const [y, h] of ys) for (const [x, w] of xs) rects.push({ x, y, width: w, height: h });
  return rects;
}

/** SAM 1's crop boxes past the whole image, in the order the server runs them, for automatic mode. */
export function cropRects(tiles: Tiles, width: number, height: number): Rect[] {
  const side = Math.max(...gridFor(tiles, width, height));
  let layers = 0;
  while (1 << layers < side) layers++;
  const rects: Rect[] = [];
  const shortSide = Math.min(width, height);
  for (let layer = 1; layer <= layers; layer++) {
    const n = 1 << layer;
    const overlap = Math.floor((512 / 1500) * shortSide * (2 / n));
    const cropW = Math.ceil((overlap * (n - 1) + width) / n);
    const cropH = Math.ceil((overlap * (n - 1) + height) / n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const x = (cropW - overlap) * i;
        const y = (cropH - overlap) * j;
        rects.push({ x, y, width: Math.min(x + cropW, width) - x, height: Math.min(y + cropH, height) - y });
      }
    }
  }
  return rects;
}

/** The tile a /v2 stage names ("tile 3 of 12: decoder" → 2, counted from 0), or null. */
export function activeTile(stage: string | undefined): number | null {
  const m = stage ? /^tile (\d+) of \d+/.exec(stage) : null;
  return m ? Number(m[1]) - 1 : null;
}
