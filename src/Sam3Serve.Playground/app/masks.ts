// Turns the output object's masks (RLE or PNG) into what the overlay draws: per mask a crop of the image holding
// the mask's pixels, its bits for hit-testing, and a tinted, outlined canvas.
import type { MaskEntry, OutputObject } from './api';
import { decodeRle } from './rle';

export interface MaskView {
  entry: MaskEntry;
  colour: [number, number, number];
  /** Crop of the image that holds every pixel of the mask. */
  x0: number;
  y0: number;
  w: number;
  h: number;
  /** Row-major 0/1 over the crop. */
  bits: Uint8Array;
  /** The crop tinted in the mask's colour with its outline drawn. */
  fill: HTMLCanvasElement;
  visible: boolean;
}

/** A colour per mask index: hues a golden angle apart, so neighbours differ. */
export function colourOf(index: number): [number, number, number] {
  const hue = (index * 137.508 + 20) % 360;
  return hslToRgb(hue / 360, 0.78, 0.52);
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    const a = s * Math.min(l, 1 - l);
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

/** Builds the views; `loadImage` fetches a PNG mask (v2 media needs the key). */
export async function buildMaskViews(output: OutputObject, loadImage: (url: string) => Promise<Blob>): Promise<MaskView[]> {
  const views: MaskView[] = [];
  for (const entry of output.masks) {
    const full = await fullMask(entry, output.width, output.height, loadImage);
    views.push(cropView(entry, full, output.width, output.height));
  }
  return views;
}

async function fullMask(entry: MaskEntry, width: number, height: number, loadImage: (url: string) => Promise<Blob>): Promise<Uint8Array> {
  const mask = entry.mask;
  if (mask && typeof mask === 'object' && !Array.isArray(mask) && typeof mask.counts === 'string') {
    return decodeRle(mask.counts, width, height);
  }
  if (typeof mask === 'string') {
    const bitmap = await createImageBitmap(await loadImage(mask));
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d', { willReadFrequently: true })!;
    context.drawImage(bitmap, 0, 0, width, height);
    bitmap.close();
    const rgba = context.getImageData(0, 0, width, height).data;
    const bits = new Uint8Array(width * height);
    for (let i = 0; i < bits.length; i++) {
      bits[i] = rgba[i * 4] > 127 ? 1 : 0;
    }
    return bits;
  }
  // No per-mask data (never asked for by the page, but tolerated): the box stands in for the mask.
  const bits = new Uint8Array(width * height);
  const [x1, y1, x2, y2] = entry.box.map(Math.round);
  for (let y = Math.max(0, y1); y < Math.min(height, y2); y++) {
    bits.fill(1, y * width + Math.max(0, x1), y * width + Math.min(width, x2));
  }
  return bits;
}

function cropView(entry: MaskEntry, full: Uint8Array, width: number, height: number): MaskView {
  // The server's box bounds the mask, so only its neighbourhood is scanned (large photos, many masks);
  // the whole image is scanned when the box finds nothing.
  let bounds = scan(full, width, regionOf(entry.box, width, height));
  if (bounds[2] < 0) bounds = scan(full, width, [0, 0, width, height]);
  const [minX, minY, maxX, maxY] = bounds;
  const colour = colourOf(entry.index);
  if (maxX < 0) {
    const fill = document.createElement('canvas');
    fill.width = fill.height = 1;
    return { entry, colour, x0: 0, y0: 0, w: 0, h: 0, bits: new Uint8Array(0), fill, visible: true };
  }
  const w = maxX - minX + 1;
  const h = maxY - minY + 1;
  const bits = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    bits.set(full.subarray((minY + y) * width + minX, (minY + y) * width + minX + w), y * w);
  }
  // Outlines stay visible when a large photo is shown scaled down.
  const outline = Math.max(1, Math.round(Math.max(width, height) / 500));
  return { entry, colour, x0: minX, y0: minY, w, h, bits, fill: paint(bits, w, h, colour, outline), visible: true };
}

function regionOf(box: number[], width: number, height: number): [number, number, number, number] {
  const [x1, y1, x2, y2] = box;
  return [Math.max(0, Math.floor(x1) - 2), Math.max(0, Math.floor(y1) - 2), Math.min(width, Math.ceil(x2) + 2), Math.min(height, Math.ceil(y2) + 2)];
}

/** Inclusive min x, min y, max x, max y of the set pixels inside [x0, x1) × [y0, y1); max x is -1 when none are. */
function scan(full: Uint8Array, width: number, [x0, y0, x1, y1]: [number, number, number, number]): [number, number, number, number] {
  let minX = Number.MAX_SAFE_INTEGER, minY = Number.MAX_SAFE_INTEGER, maxX = -1, maxY = -1;
  for (let y = y0; y < y1; y++) {
    const row = y * width;
    for (let x = x0; x < x1; x++) {
      if (full[row + x]) {
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
    }
  }
  return [minX, minY, maxX, maxY];
}

/**
 * Tints the mask's pixels and draws its outline opaque: the inside pixels within `outline` steps of an outside
 * pixel (layers peeled from the boundary, so the line never spills out of the mask).
 */
function paint(bits: Uint8Array, w: number, h: number, [r, g, b]: [number, number, number], outline: number): HTMLCanvasElement {
  const edge = new Uint8Array(w * h);
  let frontier: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (bits[i] && (x === 0 || y === 0 || x === w - 1 || y === h - 1 || !bits[i - 1] || !bits[i + 1] || !bits[i - w] || !bits[i + w])) {
        edge[i] = 1;
        frontier.push(i);
      }
    }
  }
  for (let layer = 1; layer < outline; layer++) {
    const next: number[] = [];
    for (const i of frontier) {
      const x = i % w;
      for (const j of [x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, i - w, i + w]) {
        if (j >= 0 && j < bits.length && bits[j] && !edge[j]) {
          edge[j] = 1;
          next.push(j);
        }
      }
    }
    frontier = next;
  }
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const context = canvas.getContext('2d')!;
  const image = context.createImageData(w, h);
  const px = image.data;
  for (let i = 0; i < bits.length; i++) {
    if (!bits[i]) continue;
    px[i * 4] = r;
    px[i * 4 + 1] = g;
    px[i * 4 + 2] = b;
    px[i * 4 + 3] = edge[i] ? 255 : 115;
  }
  context.putImageData(image, 0, 0);
  return canvas;
}

/** The visible mask under image pixel (x, y); the smallest wins, so a part inside a larger mask can be picked. */
export function maskAt(views: MaskView[], x: number, y: number): MaskView | null {
  let best: MaskView | null = null;
  for (const view of views) {
    if (!view.visible) continue;
    const cx = Math.floor(x) - view.x0;
    const cy = Math.floor(y) - view.y0;
    if (cx < 0 || cy < 0 || cx >= view.w || cy >= view.h || !view.bits[cy * view.w + cx]) continue;
    if (!best || view.entry.area < best.entry.area) best = view;
  }
  return best;
}

/** The whole-image mask as a black-and-white PNG (255 inside), for the masks download. */
export function maskPng(view: MaskView, width: number, height: number): Promise<Blob> {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d')!;
  context.fillStyle = '#000';
  context.fillRect(0, 0, width, height);
  if (view.w > 0) {
    const image = context.createImageData(view.w, view.h);
    for (let i = 0; i < view.bits.length; i++) {
      const v = view.bits[i] ? 255 : 0;
      image.data[i * 4] = image.data[i * 4 + 1] = image.data[i * 4 + 2] = v;
      image.data[i * 4 + 3] = 255;
    }
    context.putImageData(image, view.x0, view.y0);
  }
  return canvasBlob(canvas);
}

export function canvasBlob(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser could not encode a PNG'))), 'image/png'));
}
