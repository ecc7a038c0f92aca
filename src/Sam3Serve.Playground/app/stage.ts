// The picture area: the image, the overlay canvas the masks are drawn on, and an SVG layer that shows the point
// and box prompts and takes the pointer (click = foreground point, Shift/right click = background, drag = box,
// Shift/right drag or the negative tool = negative box).
import type { MaskView } from './masks';
import { maskAt } from './masks';
import type { Box, BoxPrompt, Mode, Point } from './params';
import type { Rect } from './tiles';

const svgNs = 'http://www.w3.org/2000/svg';

export interface StageEvents {
  point(point: Point): void;
  box(box: BoxPrompt): void;
  hover(view: MaskView | null): void;
}

export class Stage {
  private width = 0;
  private height = 0;
  private views: MaskView[] = [];
  private hot: MaskView | null = null;
  private drag: { x: number; y: number; id: number; negative: boolean } | null = null;
  private rubber: BoxPrompt | null = null;
  private mode: Mode = 'text';
  private points: Point[] = [];
  private boxes: BoxPrompt[] = [];
  private tiles: Rect[] = [];
  private activeTile: number | null = null;
  /** The negative-box tool: every drag draws a negative box, as a Shift- or right-drag does. */
  negativeTool = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly image: HTMLImageElement,
    private readonly overlay: HTMLCanvasElement,
    private readonly prompts: SVGSVGElement,
    private readonly events: StageEvents,
  ) {
    new ResizeObserver(() => this.fit()).observe(root.parentElement!);
    prompts.addEventListener('contextmenu', (e) => e.preventDefault());
    prompts.addEventListener('pointerdown', (e) => this.down(e));
    prompts.addEventListener('pointermove', (e) => this.move(e));
    prompts.addEventListener('pointerup', (e) => this.up(e));
    prompts.addEventListener('pointercancel', () => this.cancelDrag());
    prompts.addEventListener('pointerleave', () => {
      if (!this.drag) this.setHot(null, true);
    });
  }

  get size(): { width: number; height: number } {
    return { width: this.width, height: this.height };
  }

  /** A new picture of `width` × `height` pixels (the image element already shows it, or a placeholder does). */
  reset(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.overlay.width = width;
    this.overlay.height = height;
    this.prompts.setAttribute('viewBox', `0 0 ${width} ${height}`);
    this.root.dataset.empty = 'false';
    this.fit();
    this.views = [];
    this.hot = null;
    this.drawMasks();
    this.drawPrompts();
  }

  /** Shows the picture as large as the panel allows (small images too), keeping its aspect ratio. */
  private fit(): void {
    if (this.width === 0) return;
    const wrap = this.root.parentElement!;
    const style = getComputedStyle(wrap);
    const room = wrap.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const scale = Math.min(room / this.width, (window.innerHeight * 0.7) / this.height, 4);
    this.image.style.width = `${Math.max(1, Math.floor(this.width * scale))}px`;
    this.image.style.height = `${Math.max(1, Math.floor(this.height * scale))}px`;
  }

  /** The passes of a tiled run, drawn as a dashed grid over the picture (the one running filled); [] hides it. */
  setTiles(tiles: Rect[], active: number | null = null): void {
    this.tiles = tiles;
    this.activeTile = active;
    this.drawPrompts();
  }

  setPrompts(mode: Mode, points: Point[], boxes: BoxPrompt[]): void {
    this.mode = mode;
    this.points = points;
    this.boxes = boxes;
    this.root.dataset.tool = mode;
    this.drawPrompts();
  }

  setMasks(views: MaskView[]): void {
    this.views = views;
    this.hot = null;
    this.drawMasks();
  }

  /** Highlights one mask (from the list or the pointer); `fromPointer` tells the page to highlight its list item. */
  setHot(view: MaskView | null, fromPointer = false): void {
    if (view === this.hot) return;
    this.hot = view;
    this.drawMasks();
    if (fromPointer) this.events.hover(view);
  }

  redraw(): void {
    this.drawMasks();
  }

  /** The image and the visible masks composed at full size, for the overlay download; throws when the image is cross-origin. */
  compose(): HTMLCanvasElement {
    const canvas = document.createElement('canvas');
    canvas.width = this.width;
    canvas.height = this.height;
    const context = canvas.getContext('2d')!;
    if (!this.image.hidden && this.image.naturalWidth > 0) context.drawImage(this.image, 0, 0, this.width, this.height);
    for (const view of this.views) {
      if (view.visible && view.w > 0) context.drawImage(view.fill, view.x0, view.y0);
    }
    canvas.toDataURL(); // throws a SecurityError when the image tainted the canvas
    return canvas;
  }

  private drawMasks(): void {
    const context = this.overlay.getContext('2d')!;
    context.clearRect(0, 0, this.overlay.width, this.overlay.height);
    for (const view of this.views) {
      if (!view.visible || view.w === 0) continue;
      context.globalAlpha = this.hot && this.hot !== view ? 0.35 : 1;
      context.drawImage(view.fill, view.x0, view.y0);
    }
    context.globalAlpha = 1;
    const hot = this.hot;
    if (hot && hot.visible && hot.w > 0) {
      // Drawn twice more to stand out, with its box.
      context.drawImage(hot.fill, hot.x0, hot.y0);
      context.drawImage(hot.fill, hot.x0, hot.y0);
      context.lineWidth = Math.max(2, Math.round(Math.max(this.width, this.height) / 300));
      context.strokeStyle = `rgb(${hot.colour.join(',')})`;
      context.setLineDash([context.lineWidth * 3, context.lineWidth * 2]);
      context.strokeRect(hot.x0, hot.y0, hot.w, hot.h);
      context.setLineDash([]);
    }
  }

  private drawPrompts(): void {
    const svg = this.prompts;
    while (svg.firstChild) svg.firstChild.remove();
    const unit = Math.max(this.width, this.height) / 100;
    this.tiles.forEach((t, i) => {
      const rect = document.createElementNS(svgNs, 'rect');
      rect.setAttribute('x', String(t.x));
      rect.setAttribute('y', String(t.y));
      rect.setAttribute('width', String(t.width));
      rect.setAttribute('height', String(t.height));
      rect.setAttribute('class', i === this.activeTile ? 'tile tile-active' : 'tile');
      rect.setAttribute('fill', i === this.activeTile ? 'rgba(9,105,218,0.18)' : 'none');
      rect.setAttribute('stroke', '#0969da');
      rect.setAttribute('stroke-width', String(Math.max(1, unit * 0.25)));
      rect.setAttribute('stroke-dasharray', `${unit} ${unit * 0.6}`);
      rect.setAttribute('pointer-events', 'none');
      svg.append(rect);
    });
    if (this.mode === 'points') {
      for (const p of this.points) {
        const circle = document.createElementNS(svgNs, 'circle');
        circle.setAttribute('cx', String(p.x));
        circle.setAttribute('cy', String(p.y));
        circle.setAttribute('r', String(Math.max(3, unit * 0.9)));
        circle.setAttribute('class', p.label === 1 ? 'pt-fg' : 'pt-bg');
        circle.setAttribute('fill', p.label === 1 ? '#1a7f37' : '#cf222e');
        circle.setAttribute('stroke', '#fff');
        circle.setAttribute('stroke-width', String(Math.max(1, unit * 0.3)));
        svg.append(circle);
      }
    }
    if (this.mode === 'boxes') {
      const all = this.rubber ? [...this.boxes, this.rubber] : this.boxes;
      for (const { box: [x1, y1, x2, y2], label } of all) {
        const rect = document.createElementNS(svgNs, 'rect');
        const width = Math.max(1.5, unit * 0.35);
        rect.setAttribute('x', String(x1));
        rect.setAttribute('y', String(y1));
        rect.setAttribute('width', String(x2 - x1));
        rect.setAttribute('height', String(y2 - y1));
        rect.setAttribute('stroke-width', String(width));
        if (label === 1) {
          rect.setAttribute('class', 'box-pos');
          rect.setAttribute('fill', 'rgba(255,255,255,0.08)');
          rect.setAttribute('stroke', '#ffb000');
        } else {
          // Negative exemplars: the background points' red, dashed, with a light tint.
          rect.setAttribute('class', 'box-neg');
          rect.setAttribute('fill', 'rgba(207,34,46,0.15)');
          rect.setAttribute('stroke', '#cf222e');
          rect.setAttribute('stroke-dasharray', `${width * 3} ${width * 2}`);
        }
        svg.append(rect);
      }
    }
  }

  /** Image pixel under the pointer, clamped to the image. */
  private pixel(e: PointerEvent): { x: number; y: number } {
    const r = this.prompts.getBoundingClientRect();
    const x = ((e.clientX - r.left) / r.width) * this.width;
    const y = ((e.clientY - r.top) / r.height) * this.height;
    return { x: Math.min(this.width - 1, Math.max(0, Math.round(x))), y: Math.min(this.height - 1, Math.max(0, Math.round(y))) };
  }

  private down(e: PointerEvent): void {
    if (this.width === 0 || (this.mode !== 'points' && this.mode !== 'boxes')) return;
    if (e.button !== 0 && e.button !== 2) return;
    e.preventDefault();
    const { x, y } = this.pixel(e);
    this.drag = { x, y, id: e.pointerId, negative: e.button === 2 || e.shiftKey };
    this.prompts.setPointerCapture(e.pointerId);
  }

  private move(e: PointerEvent): void {
    if (this.width === 0) return;
    const { x, y } = this.pixel(e);
    if (this.drag && this.mode === 'boxes') {
      const box: Box = [Math.min(this.drag.x, x), Math.min(this.drag.y, y), Math.max(this.drag.x, x), Math.max(this.drag.y, y)];
      this.rubber = { box, label: this.negativeDrag(this.drag, e) ? 0 : 1 };
      this.drawPrompts();
      return;
    }
    if (!this.drag) this.setHot(maskAt(this.views, x, y), true);
  }

  private up(e: PointerEvent): void {
    const drag = this.drag;
    if (!drag || drag.id !== e.pointerId) return;
    this.cancelDrag();
    const { x, y } = this.pixel(e);
    if (this.mode === 'points') {
      this.events.point({ x: drag.x, y: drag.y, label: e.button === 2 || e.shiftKey ? 0 : 1 });
    } else if (this.mode === 'boxes') {
      const box: Box = [Math.min(drag.x, x), Math.min(drag.y, y), Math.max(drag.x, x), Math.max(drag.y, y)];
      // A click or a tiny drag is not a box.
      const least = Math.max(3, Math.round(Math.max(this.width, this.height) / 200));
      if (box[2] - box[0] >= least && box[3] - box[1] >= least) this.events.box({ box, label: this.negativeDrag(drag, e) ? 0 : 1 });
    }
  }

  /** A drag draws a negative box with the tool on, or when it began with the right button or Shift, or ends with Shift. */
  private negativeDrag(drag: { negative: boolean }, e: PointerEvent): boolean {
    return this.negativeTool || drag.negative || e.shiftKey;
  }

  private cancelDrag(): void {
    if (this.drag && this.prompts.hasPointerCapture(this.drag.id)) this.prompts.releasePointerCapture(this.drag.id);
    this.drag = null;
    if (this.rubber) {
      this.rubber = null;
      this.drawPrompts();
    }
  }
}
