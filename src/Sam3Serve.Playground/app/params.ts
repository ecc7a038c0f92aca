// The request parameters a run sends, built once from the form so that the request and the code snippets can
// never disagree. Only what the mode uses and what differs from the server's defaults is sent.
import type { Params } from './api';
import type { Tiles } from './tiles';

export type Mode = 'text' | 'points' | 'boxes' | 'auto';

export interface Point {
  x: number;
  y: number;
  /** 1 = foreground, 0 = background. */
  label: 0 | 1;
}

export type Box = [number, number, number, number];

export interface BoxPrompt {
  box: Box;
  /** 1 = positive exemplar (or an object box), 0 = negative exemplar ("not this kind"). */
  label: 0 | 1;
}

export interface FormState {
  mode: Mode;
  concepts: string[];
  points: Point[];
  boxes: BoxPrompt[];
  boxMode: 'exemplar' | 'object';
  threshold: number;
  pointsPerSide: number;
  predIouThresh: number;
  maxMasks: number;
  tiles: Tiles;
  maskFormat: 'rle' | 'png';
  serverOverlay: boolean;
  imageId: string;
}

/** The server's defaults. */
export const defaults = { threshold: 0.5, pointsPerSide: 32, predIouThresh: 0.88, maxMasks: 0 };

/** Splits the concepts field: commas or new lines separate concepts. */
export function parseConcepts(text: string): string[] {
  return text.split(/[,\n]/).map((c) => c.trim()).filter((c) => c.length > 0);
}

/** What the form is missing for its mode, or null when it can run. */
export function missingPrompt(state: FormState): string | null {
  switch (state.mode) {
    case 'text':
      if (state.concepts.length === 0) return 'Type at least one concept to look for.';
      if (state.concepts.length > 16) return 'At most 16 concepts can be sent in one request.';
      return null;
    case 'points':
      return state.points.length === 0 ? 'Click the image to place at least one point.' : null;
    case 'boxes':
      if (state.boxes.length === 0) return 'Drag on the image to draw at least one box.';
      if (state.boxMode === 'object' && state.boxes.some((b) => b.label === 0)) {
        return 'Negative boxes are exemplars ("not this kind"): switch to Exemplar, or clear the boxes.';
      }
      return null;
    case 'auto':
      return null;
  }
}

const json = (value: unknown) => JSON.stringify(value).replaceAll(',', ', ');

export function buildParams(state: FormState): Params {
  const params: Params = {};
  switch (state.mode) {
    case 'text':
      if (state.concepts.length === 1) {
        params.text_prompt = state.concepts[0];
      } else {
        params.text_prompts = state.concepts;
      }
      break;
    case 'points':
      params.points_input = json(state.points.map((p) => [p.x, p.y]));
      if (state.points.some((p) => p.label === 0)) {
        params.point_labels_input = json(state.points.map((p) => p.label));
      }
      break;
    case 'boxes':
      params.boxes_input = json(state.boxes.map((b) => b.box));
      // Sent only with a negative box: all positive is the server's default.
      if (state.boxes.some((b) => b.label === 0)) params.box_labels_input = json(state.boxes.map((b) => b.label));
      if (state.boxMode !== 'exemplar') params.box_mode = state.boxMode;
      break;
    case 'auto':
      params.points_per_side = state.pointsPerSide;
      if (state.predIouThresh !== defaults.predIouThresh) params.pred_iou_thresh = state.predIouThresh;
      break;
  }
  const conceptMode = state.mode === 'text' || (state.mode === 'boxes' && state.boxMode === 'exemplar');
  if (conceptMode && state.threshold !== defaults.threshold) params.threshold = state.threshold;
  if (state.maxMasks !== defaults.maxMasks) params.max_masks = state.maxMasks;
  // Tiles: concept and automatic mode (interactive mode takes only "off"). A grid goes as {"rows": R, "cols": C}
  // written as a string, which both a form field and a JSON body carry.
  const tiled = conceptMode || state.mode === 'auto';
  if (tiled && state.tiles !== 'off') {
    const [rows, cols] = state.tiles === 'auto' ? [0, 0] : state.tiles.split('x').map(Number);
    params.tiles = state.tiles === 'auto' ? 'auto' : JSON.stringify({ rows, cols });
  }
  if (state.serverOverlay) params.return_overlay = true;
  // The page draws the overlay itself from the per-mask data.
  params.return_masks = true;
  if (state.maskFormat !== 'png') params.mask_format = state.maskFormat;
  // Cached image features: the next prompt on the same image skips the image encoder.
  if (state.imageId) params.image_id = state.imageId;
  return params;
}
