// The playground page: wires the form, the picture and the result list to the service's /v2 API.
import { zipSync } from 'fflate';
import type { ImageSource, OutputObject, Params, RequestBody } from './api';
import { Api, ApiError } from './api';
import type { MaskView } from './masks';
import { buildMaskViews, canvasBlob, maskPng } from './masks';
import type { BoxPrompt, FormState, Mode, Point } from './params';
import { buildParams, missingPrompt, parseConcepts } from './params';
import { snippets } from './snippets';
import { Stage } from './stage';
import type { Tiles } from './tiles';
import { activeTile, cropRects, tileRects } from './tiles';

const keyStorage = 'sam3serve.playground.apiKey';

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

const ui = {
  key: $<HTMLInputElement>('api-key'),
  keyShow: $<HTMLButtonElement>('key-show'),
  credits: $('credits'),
  file: $<HTMLInputElement>('image-file'),
  drop: $('drop'),
  url: $<HTMLInputElement>('image-url'),
  urlLoad: $<HTMLButtonElement>('image-url-load'),
  imageInfo: $('image-info'),
  modes: $<HTMLFieldSetElement>('mode'),
  text: $<HTMLInputElement>('text-prompt'),
  pointsInfo: $('points-info'),
  pointsClear: $<HTMLButtonElement>('points-clear'),
  boxesInfo: $('boxes-info'),
  boxesClear: $<HTMLButtonElement>('boxes-clear'),
  boxNegative: $<HTMLInputElement>('box-negative'),
  pointsPerSide: $<HTMLInputElement>('points-per-side'),
  predIou: $<HTMLInputElement>('pred-iou'),
  threshold: $<HTMLInputElement>('threshold'),
  thresholdValue: $<HTMLOutputElement>('threshold-value'),
  maxMasks: $<HTMLInputElement>('max-masks'),
  tiles: $<HTMLSelectElement>('tiles'),
  maskFormat: $<HTMLSelectElement>('mask-format'),
  serverOverlay: $<HTMLInputElement>('server-overlay'),
  autoRun: $<HTMLInputElement>('auto-run'),
  run: $<HTMLButtonElement>('run'),
  status: $('status'),
  error: $('error'),
  stage: $('stage'),
  image: $<HTMLImageElement>('image'),
  overlay: $<HTMLCanvasElement>('overlay'),
  prompts: document.getElementById('prompts') as unknown as SVGSVGElement,
  maskList: $<HTMLUListElement>('mask-list'),
  showAll: $<HTMLButtonElement>('show-all'),
  hideAll: $<HTMLButtonElement>('hide-all'),
  dlPreview: $<HTMLButtonElement>('dl-preview'),
  dlOverlay: $<HTMLButtonElement>('dl-overlay'),
  dlMasks: $<HTMLButtonElement>('dl-masks'),
  dlJson: $<HTMLButtonElement>('dl-json'),
  codeCaption: $('code-caption'),
  copy: $<HTMLButtonElement>('copy'),
};

interface Result {
  body: RequestBody;
  output: OutputObject;
  views: MaskView[];
  prompts: string[];
}

const state = {
  source: null as ImageSource | null,
  imageId: '',
  /** Object URL of a local file, revoked when the image changes. */
  objectUrl: '',
  points: [] as Point[],
  boxes: [] as BoxPrompt[],
  result: null as Result | null,
  running: false,
  rerun: false,
  /** Bumped on every new image, so a run that finishes after the image changed is dropped. */
  generation: 0,
};

const stage = new Stage(ui.stage, ui.image, ui.overlay, ui.prompts, {
  point(point) {
    state.points.push(point);
    promptsChanged();
  },
  box(box) {
    state.boxes.push(box);
    promptsChanged();
  },
  hover(view) {
    highlightItem(view);
  },
});

// ---- key ----------------------------------------------------------------------------------------------------

ui.key.value = localStorage.getItem(keyStorage) ?? '';
let creditsTimer = 0;
ui.key.addEventListener('input', () => {
  const key = ui.key.value.trim();
  if (key) localStorage.setItem(keyStorage, key);
  else localStorage.removeItem(keyStorage);
  clearTimeout(creditsTimer);
  creditsTimer = window.setTimeout(refreshCredits, 400);
  updateSnippets();
});
ui.keyShow.addEventListener('click', () => {
  const show = ui.key.type === 'password';
  ui.key.type = show ? 'text' : 'password';
  ui.keyShow.textContent = show ? 'Hide' : 'Show';
  ui.keyShow.setAttribute('aria-pressed', String(show));
});

function currentKey(): string {
  return ui.key.value.trim();
}

async function refreshCredits(): Promise<void> {
  const key = currentKey();
  if (!key) {
    ui.credits.textContent = '';
    return;
  }
  try {
    const answer = await new Api(key).credits();
    showCredits(answer.body.credits === null ? null : String(answer.body.credits));
  } catch (e) {
    ui.credits.textContent = e instanceof ApiError && e.status === 401 ? 'key not recognised' : '';
  }
}

function showCredits(credits: string | null): void {
  // The balance from get-user-credits (null = unlimited) or the x-remaining-credits header ("unlimited" or a number).
  ui.credits.textContent = credits === null || credits === '' || credits === 'unlimited' ? 'unlimited credits' : `${credits} credits left`;
}

// ---- image --------------------------------------------------------------------------------------------------

function newImageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return 'pg-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function setImage(source: ImageSource, src: string, description: string): void {
  state.generation++;
  state.source = source;
  state.imageId = newImageId();
  state.points = [];
  state.boxes = [];
  state.result = null;
  if (state.objectUrl) URL.revokeObjectURL(state.objectUrl);
  state.objectUrl = source.kind === 'file' ? src : '';
  renderResult();
  hideError();
  setStatus('Loading the image…', 'busy');
  const image = ui.image;
  image.hidden = true;
  image.onload = () => {
    image.hidden = false;
    stage.reset(image.naturalWidth, image.naturalHeight);
    promptsChanged(false);
    ui.imageInfo.textContent = `${description} · ${image.naturalWidth} × ${image.naturalHeight}`;
    setStatus('Ready.', 'idle');
  };
  image.onerror = () => {
    if (source.kind === 'url' && image.crossOrigin !== null) {
      // The host does not allow CORS: show it anyway (the overlay download then needs the server's overlay).
      image.removeAttribute('crossorigin');
      image.src = src;
      return;
    }
    if (source.kind === 'url') {
      ui.imageInfo.textContent = `${description} · the browser cannot show it; the server may still fetch it`;
      setStatus('Ready (no picture).', 'idle');
    } else {
      ui.imageInfo.textContent = `${description} · not an image the browser can decode`;
      showError(`The file ${source.kind === 'file' ? source.name : ''} is not an image this browser can show.`);
      setStatus('Ready.', 'idle');
    }
  };
  if (source.kind === 'url') image.crossOrigin = 'anonymous';
  else image.removeAttribute('crossorigin');
  image.src = src;
  updateSnippets();
}

function useFile(file: File): void {
  if (file.type && !file.type.startsWith('image/')) {
    showError(`${file.name} is ${file.type}, not an image.`);
    return;
  }
  const size = file.size >= 1 << 20 ? `${(file.size / (1 << 20)).toFixed(1)} MB` : `${Math.max(1, Math.round(file.size / 1024))} KB`;
  setImage({ kind: 'file', file, name: file.name || 'image.png' }, URL.createObjectURL(file), `${file.name} · ${size}`);
}

function useUrl(): void {
  const text = ui.url.value.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    showError('Image URL: type a full http:// or https:// address.');
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    showError('Image URL: only http and https addresses can be fetched.');
    return;
  }
  setImage({ kind: 'url', url: url.href }, url.href, url.host + url.pathname);
}

ui.file.addEventListener('change', () => {
  const file = ui.file.files?.[0];
  if (file) useFile(file);
});
ui.urlLoad.addEventListener('click', useUrl);
ui.url.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') useUrl();
});
for (const target of [ui.drop, ui.stage]) {
  target.addEventListener('dragover', (e) => {
    e.preventDefault();
    ui.drop.classList.add('over');
  });
  target.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
  target.addEventListener('drop', (e) => {
    e.preventDefault();
    ui.drop.classList.remove('over');
    const file = e.dataTransfer?.files[0];
    if (file) useFile(file);
  });
}

// ---- form ---------------------------------------------------------------------------------------------------

function mode(): Mode {
  return (ui.modes.querySelector<HTMLInputElement>('input[name=mode]:checked')?.value ?? 'text') as Mode;
}

function boxMode(): 'exemplar' | 'object' {
  return document.querySelector<HTMLInputElement>('input[name=box-mode]:checked')?.value === 'object' ? 'object' : 'exemplar';
}

function numberOf(input: HTMLInputElement, fallback: number): number {
  const value = Number(input.value);
  return input.value.trim() !== '' && Number.isFinite(value) ? value : fallback;
}

function formState(): FormState {
  return {
    mode: mode(),
    concepts: parseConcepts(ui.text.value),
    points: state.points,
    boxes: state.boxes,
    boxMode: boxMode(),
    threshold: numberOf(ui.threshold, 0.5),
    pointsPerSide: numberOf(ui.pointsPerSide, 32),
    predIouThresh: numberOf(ui.predIou, 0.88),
    maxMasks: numberOf(ui.maxMasks, 0),
    tiles: (ui.tiles.value || 'off') as Tiles,
    maskFormat: ui.maskFormat.value === 'png' ? 'png' : 'rle',
    serverOverlay: ui.serverOverlay.checked,
    imageId: state.imageId,
  };
}

function modeChanged(): void {
  const current = mode();
  for (const panel of document.querySelectorAll<HTMLElement>('[data-panel]')) panel.hidden = panel.dataset.panel !== current;
  for (const row of document.querySelectorAll<HTMLElement>('[data-only]')) row.hidden = !row.dataset.only!.split(' ').includes(current);
  promptsChanged(false);
}

function promptsChanged(mayRun = true): void {
  const fg = state.points.filter((p) => p.label === 1).length;
  ui.pointsInfo.textContent = state.points.length ? `${fg} foreground, ${state.points.length - fg} background point(s).` : 'No points.';
  const negative = state.boxes.filter((b) => b.label === 0).length;
  ui.boxesInfo.textContent = !state.boxes.length ? 'No boxes.'
    : negative ? `${state.boxes.length - negative} positive, ${negative} negative box(es).` : `${state.boxes.length} box(es).`;
  // Negative boxes are exemplars only; object boxes cut out what is in them.
  ui.boxNegative.disabled = boxMode() === 'object';
  stage.negativeTool = ui.boxNegative.checked && !ui.boxNegative.disabled;
  stage.setPrompts(mode(), state.points, state.boxes);
  updateSnippets();
  if (mayRun && ui.autoRun.checked && (state.points.length || state.boxes.length)) void run();
}

ui.modes.addEventListener('change', modeChanged);
for (const input of document.querySelectorAll<HTMLInputElement>('input[name=box-mode]')) input.addEventListener('change', () => promptsChanged(false));
ui.pointsClear.addEventListener('click', () => {
  state.points = [];
  promptsChanged(false);
});
ui.boxNegative.addEventListener('change', () => promptsChanged(false));
ui.boxesClear.addEventListener('click', () => {
  state.boxes = [];
  promptsChanged(false);
});
ui.threshold.addEventListener('input', () => {
  ui.thresholdValue.textContent = Number(ui.threshold.value).toFixed(2);
});
for (const input of [ui.text, ui.threshold, ui.maxMasks, ui.tiles, ui.pointsPerSide, ui.predIou, ui.maskFormat, ui.serverOverlay]) {
  input.addEventListener('input', () => updateSnippets());
}
ui.text.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') void run();
});

// ---- run ----------------------------------------------------------------------------------------------------

function setStatus(text: string, kind: 'idle' | 'busy' | 'done'): void {
  ui.status.textContent = text;
  ui.status.dataset.state = kind;
}

function showError(text: string): void {
  ui.error.textContent = text;
  ui.error.hidden = false;
}

function hideError(): void {
  ui.error.hidden = true;
  ui.error.textContent = '';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function run(): Promise<void> {
  if (state.running) {
    // One more run with the latest prompts once this one ends (clicks come faster than results).
    state.rerun = true;
    return;
  }
  hideError();
  const key = currentKey();
  const source = state.source;
  const form = formState();
  const problem = !key ? 'Enter an API key first (sam3serve keys create prints one).'
    : !source ? 'Choose, drop or link an image first.'
    : missingPrompt(form);
  if (problem) {
    showError(problem);
    return;
  }
  const params = buildParams(form);
  const generation = state.generation;
  const prompts = form.mode === 'text' ? form.concepts : [];
  state.running = true;
  ui.run.setAttribute('aria-busy', 'true');
  const started = performance.now();
  // The passes of a tiled run, drawn over the picture while it runs (the server's tile_overlap default, 0.2).
  const { width, height } = stage.size;
  const tiles = params.tiles === undefined ? []
    : form.mode === 'auto' ? cropRects(form.tiles, width, height) : tileRects(form.tiles, 0.2, width, height);
  stage.setTiles(tiles);
  try {
    updateSnippets(params);
    const body = await execute(new Api(key), source!, params, (stageName) => stage.setTiles(tiles, activeTile(stageName)));
    if (generation !== state.generation) return;
    setStatus('Rendering the masks…', 'busy');
    const api = new Api(key);
    const views = await buildMaskViews(body.output!, (url) => api.media(url));
    if (generation !== state.generation) return;
    state.result = { body, output: body.output!, views, prompts };
    renderResult();
    setStatus(summary(body, performance.now() - started), 'done');
  } catch (e) {
    setStatus('Failed.', 'idle');
    showError(e instanceof ApiError ? e.describe() : `Unexpected error: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    stage.setTiles([]);
    state.running = false;
    ui.run.removeAttribute('aria-busy');
    if (state.rerun) {
      state.rerun = false;
      void run();
    }
  }
}

/** Submits to /v2 and polls the status until the request ends; answers the final body. */
async function execute(api: Api, source: ImageSource, params: Params, onStage?: (stage: string | undefined) => void): Promise<RequestBody> {
  setStatus(source.kind === 'file' ? 'Uploading…' : 'Submitting…', 'busy');
  const submitted = await api.submit(source, params);
  if (submitted.credits !== null) showCredits(submitted.credits);
  const id = submitted.body.request_id;
  setStatus(`Queued (request ${id}).`, 'busy');
  let wait = 100;
  for (;;) {
    await sleep(wait);
    wait = Math.min(1000, wait * 1.5);
    const { body } = await api.status(id);
    if (body.status === 'FAILED') throw new ApiError(422, body.error ?? 'the request failed');
    if (body.status === 'COMPLETED') break;
    onStage?.(body.stage);
    setStatus(body.status === 'QUEUED' ? `Queued (request ${id}).` : `Processing${body.stage ? `: ${body.stage}` : ''}…`, 'busy');
  }
  setStatus('Fetching the result…', 'busy');
  const result = await api.result(id);
  if (result.credits !== null) showCredits(result.credits);
  if (result.body.status === 'FAILED') throw new ApiError(422, result.body.error ?? 'the request failed');
  if (!result.body.output) throw new ApiError(result.status, 'the result has no output object');
  return result.body;
}

function seconds(value: number | undefined): string {
  return value === undefined ? '?' : `${value.toFixed(value < 0.1 ? 3 : 2)} s`;
}

function summary(body: RequestBody, elapsedMs: number): string {
  const m = body.metrics ?? {};
  const count = body.output!.masks.length;
  const encoder = m.encoder_time === 0 ? 'image encoder skipped (cached features)' : `image encoder ${seconds(m.encoder_time)}`;
  const passes = (m.image_passes ?? 1) > 1 ? ` · ${m.image_passes} image passes` : '';
  return `Done: ${count} mask${count === 1 ? '' : 's'} (${body.output!.mode})${passes} · model ${seconds(m.inference_time)} · ${encoder} · ${(elapsedMs / 1000).toFixed(2)} s in all`;
}

ui.run.addEventListener('click', () => void run());

// ---- result -------------------------------------------------------------------------------------------------

function renderResult(): void {
  const result = state.result;
  stage.setMasks(result?.views ?? []);
  ui.maskList.replaceChildren();
  for (const button of [ui.dlPreview, ui.dlOverlay, ui.dlMasks, ui.dlJson]) button.disabled = !result;
  if (!result) return;
  ui.dlPreview.disabled = !result.output.preview;
  ui.dlMasks.disabled = result.views.length === 0;
  for (const view of result.views) {
    const e = view.entry;
    const item = document.createElement('li');
    item.className = 'mask-item';
    item.dataset.testid = 'mask-item';
    item.dataset.index = String(e.index);
    const id = `mask-toggle-${e.index}`;
    const toggle = document.createElement('input');
    toggle.type = 'checkbox';
    toggle.id = id;
    toggle.checked = view.visible;
    toggle.addEventListener('change', () => {
      view.visible = toggle.checked;
      item.classList.toggle('off', !view.visible);
      stage.redraw();
    });
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = `rgb(${view.colour.join(',')})`;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.className = 'facts';
    const prompt = result.prompts.length > 1 && e.prompt_index !== undefined ? ` · “${result.prompts[e.prompt_index] ?? e.prompt_index}”` : '';
    const title = document.createElement('span');
    title.textContent = `#${e.index + 1} · score ${e.score.toFixed(3)}${prompt}`;
    const facts = document.createElement('small');
    const tile = e.tile ? ` · tile ${e.tile[0] + 1},${e.tile[1] + 1}` : '';
    facts.textContent = `box [${e.box.map((v) => Math.round(v)).join(', ')}] · area ${e.area.toLocaleString('en-US')} px${tile}`;
    label.append(title, facts);
    item.append(toggle, swatch, label);
    item.addEventListener('mouseenter', () => stage.setHot(view));
    item.addEventListener('mouseleave', () => stage.setHot(null));
    toggle.addEventListener('focus', () => stage.setHot(view));
    toggle.addEventListener('blur', () => stage.setHot(null));
    ui.maskList.append(item);
  }
}

function highlightItem(view: MaskView | null): void {
  for (const item of ui.maskList.children) {
    item.classList.toggle('hot', view !== null && (item as HTMLElement).dataset.index === String(view.entry.index));
  }
}

function setAllVisible(visible: boolean): void {
  if (!state.result) return;
  for (const view of state.result.views) view.visible = visible;
  for (const toggle of ui.maskList.querySelectorAll<HTMLInputElement>('input[type=checkbox]')) {
    toggle.checked = visible;
    toggle.closest('li')!.classList.toggle('off', !visible);
  }
  stage.redraw();
}

ui.showAll.addEventListener('click', () => setAllVisible(true));
ui.hideAll.addEventListener('click', () => setAllVisible(false));

// ---- downloads ----------------------------------------------------------------------------------------------

function save(blob: Blob, name: string): void {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

async function download(what: () => Promise<void>): Promise<void> {
  hideError();
  try {
    await what();
  } catch (e) {
    showError(e instanceof ApiError ? e.describe() : `Download failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

ui.dlPreview.addEventListener('click', () => download(async () => {
  const output = state.result!.output;
  save(await new Api(currentKey()).media(output.preview!), 'preview.png');
}));
ui.dlOverlay.addEventListener('click', () => download(async () => {
  const output = state.result!.output;
  let canvas: HTMLCanvasElement;
  try {
    canvas = stage.compose();
  } catch {
    // A cross-origin picture cannot leave the browser's canvas; the server's overlay can.
    if (!output.overlay) throw new Error('the image comes from another host, so the browser cannot export it; tick "Also render the overlay on the server" and run again');
    save(await new Api(currentKey()).media(output.overlay), 'overlay.png');
    return;
  }
  save(await canvasBlob(canvas), 'overlay.png');
}));
ui.dlMasks.addEventListener('click', () => download(async () => {
  const { output, views } = state.result!;
  const files: Record<string, [Uint8Array, { level: 0 }]> = {};
  for (const view of views) {
    const png = await maskPng(view, output.width, output.height);
    files[`mask-${String(view.entry.index).padStart(3, '0')}.png`] = [new Uint8Array(await png.arrayBuffer()), { level: 0 }];
  }
  save(new Blob([zipSync(files)], { type: 'application/zip' }), 'masks.zip');
}));
ui.dlJson.addEventListener('click', () => download(async () => {
  save(new Blob([JSON.stringify(state.result!.body, null, 2)], { type: 'application/json' }), 'result.json');
}));

// ---- snippets -----------------------------------------------------------------------------------------------

const tabs = Array.from(document.querySelectorAll<HTMLButtonElement>('.tabs [role=tab]'));
function selectTab(tab: HTMLButtonElement): void {
  for (const t of tabs) {
    const selected = t === tab;
    t.setAttribute('aria-selected', String(selected));
    t.tabIndex = selected ? 0 : -1;
    $(t.getAttribute('aria-controls')!).hidden = !selected;
  }
}
for (const tab of tabs) {
  tab.addEventListener('click', () => selectTab(tab));
  tab.addEventListener('keydown', (e) => {
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
    selectTab(next);
    next.focus();
  });
}
selectTab(tabs[0]);

ui.copy.addEventListener('click', async () => {
  const panel = tabs.map((t) => $(t.getAttribute('aria-controls')!)).find((p) => !p.hidden)!;
  try {
    await navigator.clipboard.writeText(panel.textContent ?? '');
    ui.copy.textContent = 'Copied';
  } catch {
    // No clipboard outside secure contexts: select the text for Ctrl+C instead.
    getSelection()?.selectAllChildren(panel);
    ui.copy.textContent = 'Selected';
  }
  setTimeout(() => (ui.copy.textContent = 'Copy'), 1500);
});

/** Shows the call of `params` (a run's), or else the one Run would make now. */
function updateSnippets(params?: Params): void {
  const source: ImageSource = state.source ?? { kind: 'file', file: new Blob(), name: 'photo.jpg' };
  const form = formState();
  const missing = params ? null : missingPrompt(form);
  const text = missing
    ? { curl: `# ${missing}`, python: `# ${missing}`, csharp: `// ${missing}` }
    : snippets(location.origin, source, params ?? buildParams(form));
  $('snippet-curl').textContent = text.curl;
  $('snippet-python').textContent = text.python;
  $('snippet-csharp').textContent = text.csharp;
  ui.codeCaption.textContent = params
    ? 'The call of the last run, with exactly its parameters.'
    : 'The call Run will make with the settings above.';
}

modeChanged();
updateSnippets();
void refreshCredits();
