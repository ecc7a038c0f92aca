// The playground in headless Chromium against a real `sam3serve serve` on the fixture bundle, whose graphs
// "detect" pure red, green and blue regions. One page walks through every state in order; each state is
// saved as a screenshot under artifacts/playground-screenshots.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, missingTool, repoRoot, screenshot, startServer } from './harness.mjs';

const missing = missingTool();
if (missing) console.log(`# playground browser tests skipped: ${missing}`);

// The test picture, 480 × 320 on mid-grey (no pure colour): a red rectangle, a blue disc, a green rectangle.
const W = 480;
const H = 320;
const red = [30, 30, 190, 150];
const blue = [300, 30, 420, 150];
const green = [60, 190, 280, 290];

async function drawShapes(browser) {
  const page = await browser.newPage();
  const dataUrl = await page.evaluate(([w, h, r, b, g]) => {
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    const c = canvas.getContext('2d');
    c.fillStyle = '#808080';
    c.fillRect(0, 0, w, h);
    c.fillStyle = '#ff0000';
    c.fillRect(r[0], r[1], r[2] - r[0], r[3] - r[1]);
    c.fillStyle = '#0000ff';
    c.beginPath();
    c.arc((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, (b[2] - b[0]) / 2, 0, 2 * Math.PI);
    c.fill();
    c.fillStyle = '#00ff00';
    c.fillRect(g[0], g[1], g[2] - g[0], g[3] - g[1]);
    return canvas.toDataURL('image/png');
  }, [W, H, red, blue, green]);
  await page.close();
  return Buffer.from(dataUrl.split(',')[1], 'base64');
}

// The fixture's masks come from a 126 × 126 grid: at 480 px a cell is 3.8 px, so boxes land within one cell.
const cell = 4;

/** Runs a program; rejects with its output when it fails. */
function run(file, args, { input, ...options } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { maxBuffer: 16 << 20, ...options }, (error, stdout, stderr) =>
      error ? reject(new Error(`${file} ${args.join(' ')} failed (${error.code}):\n${stderr}${stdout}`)) : resolve({ stdout, stderr }));
    if (input !== undefined) child.stdin.end(input);
  });
}

async function commandExists(name) {
  return run('bash', ['-c', `command -v ${name}`]).then(() => true, () => false);
}

/**
 * The server's status body carries "stage" while it runs; the fixture is too quick to catch one, so the first status
 * answer is replaced by a PROCESSING body with `stage` and the next is held until the returned function is called
 * (the caller unroutes the status URL when the run is over).
 */
async function holdAtStage(page, stage) {
  const pattern = '**/v2/requests/*/status';
  let calls = 0;
  let letGo;
  const held = new Promise((r) => (letGo = r));
  await page.route(pattern, async (route) => {
    calls++;
    if (calls === 1) {
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ status: 'PROCESSING', request_id: 'x', stage, metrics: {} }) });
      return;
    }
    await held;
    await route.continue();
  });
  return letGo;
}

function near(actual, expected, tolerance, what) {
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= tolerance, `${what}: ${JSON.stringify(actual)} is not within ${tolerance} px of ${JSON.stringify(expected)}`));
}

describe('playground', { skip: missing ?? false }, () => {
  let server;
  let browser;
  let page;
  let shapes;
  const requestedUrls = [];
  const results = [];

  before(async () => {
    server = await startServer(['--allow-image-host', '127.0.0.1']);
    browser = await launchBrowser();
    shapes = await drawShapes(browser);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('request', (r) => requestedUrls.push(r.url()));
    page.on('pageerror', (e) => results.push({ pageError: String(e) }));
    page.on('response', async (r) => {
      if (/\/v2\/requests\/[^/]+$/.test(new URL(r.url()).pathname) && r.status() === 200) {
        results.push(await r.json());
      }
    });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Screen position of image pixel (x, y). */
  async function at(x, y) {
    const box = await page.locator('#prompts').boundingBox();
    return { x: box.x + (x * box.width) / W, y: box.y + (y * box.height) / H };
  }

  async function overlayPixel(x, y) {
    return page.evaluate(([px, py]) => Array.from(document.querySelector('[data-testid=overlay]').getContext('2d').getImageData(px, py, 1, 1).data), [x, y]);
  }

  async function runAndWait() {
    await page.getByTestId('run').click();
    await waitDone();
  }

  async function waitDone() {
    await page.waitForFunction(() => {
      const s = document.querySelector('[data-testid=status]');
      const e = document.querySelector('[data-testid=error]');
      return s.dataset.state !== 'busy' && (s.textContent.startsWith('Done') || !e.hidden);
    }, null, { timeout: 30_000 });
    const error = page.getByTestId('error');
    if (await error.isVisible()) assert.fail(`the page shows an error: ${await error.textContent()}`);
  }

  async function boxOf(item) {
    const text = await item.textContent();
    const match = /box \[([\d, ]+)\]/.exec(text);
    assert.ok(match, `no box in "${text}"`);
    return match[1].split(',').map(Number);
  }

  it('loads / from the server alone', async () => {
    const response = await page.goto(server.url + '/');
    assert.equal(response.status(), 200);
    assert.equal(await page.title(), 'Sam3Serve playground');
    for (const id of ['api-key', 'image-file', 'image-url', 'text-prompt', 'mode', 'run', 'overlay', 'mask-list', 'snippet-curl', 'status']) {
      assert.equal(await page.getByTestId(id).count(), 1, `data-testid=${id}`);
    }
    await page.waitForLoadState('networkidle');
    const foreign = requestedUrls.filter((u) => !u.startsWith(server.url) && !u.startsWith('data:') && !u.startsWith('blob:'));
    assert.deepEqual(foreign, [], 'the page loads nothing from other hosts');
    await screenshot(page, '01-loaded');
  });

  it('keeps the key in local storage only', async () => {
    await page.getByTestId('api-key').fill(server.key);
    await page.waitForFunction(() => document.getElementById('credits').textContent.length > 0);
    assert.equal(await page.locator('#credits').textContent(), '1000 credits left');
    assert.equal(await page.evaluate(() => localStorage.getItem('sam3serve.playground.apiKey')), server.key);
    await page.reload();
    assert.equal(await page.getByTestId('api-key').inputValue(), server.key);
    assert.equal(await page.evaluate(() => document.cookie), '');
    assert.equal(await page.getByTestId('api-key').getAttribute('type'), 'password');
    await screenshot(page, '02-key');
  });

  it('shows an uploaded image', async () => {
    await page.getByTestId('image-file').setInputFiles({ name: 'shapes.png', mimeType: 'image/png', buffer: shapes });
    await page.waitForFunction(() => document.getElementById('image').naturalWidth > 0 && !document.getElementById('image').hidden);
    assert.match(await page.locator('#image-info').textContent(), /shapes\.png .* 480 × 320/);
    await screenshot(page, '03-image');
  });

  it('runs a text prompt: overlay and mask items, progress through /v2', async () => {
    await page.evaluate(() => {
      window.statusLog = [];
      new MutationObserver(() => window.statusLog.push(document.querySelector('[data-testid=status]').textContent))
        .observe(document.querySelector('[data-testid=status]'), { childList: true, characterData: true, subtree: true });
    });
    await page.getByTestId('text-prompt').fill('red, blue');
    await runAndWait();
    const items = page.getByTestId('mask-item');
    assert.equal(await items.count(), 2);
    near(await boxOf(items.nth(0)), red, cell, 'red box');
    near(await boxOf(items.nth(1)), blue, cell, 'blue box');
    assert.match(await items.nth(0).textContent(), /score 0\.9\d\d · “red”/);
    assert.equal(await page.locator('#credits').textContent(), '999 credits left');
    // The overlay is painted over the red rectangle and not over the grey background.
    assert.ok((await overlayPixel(110, 90))[3] > 0, 'overlay pixel inside the red mask');
    assert.equal((await overlayPixel(250, 170))[3], 0, 'overlay pixel on the background');
    const log = await page.evaluate(() => window.statusLog);
    assert.ok(log.some((s) => s.startsWith('Queued')), `status passed through Queued: ${log.join(' | ')}`);
    assert.ok(log.some((s) => s.startsWith('Rendering')), `status passed through Rendering: ${log.join(' | ')}`);
    await screenshot(page, '04-text');
  });

  it('shows the call as curl that answers 200 when run as written', async () => {
    const snippet = await page.getByTestId('snippet-curl').textContent();
    assert.match(snippet, /text_prompts=\["red","blue"\]/);
    const dir = await mkdtemp(join(tmpdir(), 'sam3-curl-'));
    try {
      await writeFile(join(dir, 'shapes.png'), shapes);
      const { stdout } = await run('bash', ['-c', snippet], { cwd: dir, env: { ...process.env, SAM3SERVE_API_KEY: server.key } });
      const output = JSON.parse(stdout);
      assert.equal(output.count, 2);
      near(output.masks[0].box, red, cell, 'curl red box');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // The other two name the same parameters.
    const python = await page.getByTestId('snippet-python').textContent();
    assert.match(python, /text_prompts=\["red", "blue"\]/);
    assert.match(python, /image_id="pg-[0-9a-f]{24}"/);
    const csharp = await page.getByTestId('snippet-csharp').textContent();
    assert.match(csharp, /\.WithTextPrompts\("red", "blue"\)/);
    assert.match(csharp, /\.WithMasks\(Sam3MaskFormat\.Rle\)/);
    if (await commandExists('python3')) {
      await run('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: python });
    }
    await page.getByRole('tab', { name: 'Python (Segmind SDK)' }).click();
    await screenshot(page, '05-snippet-python');
    await page.getByRole('tab', { name: 'curl' }).click();
  });

  it('shows C# that compiles against Sam3Serve.Client and finds the same masks', { skip: process.env.PLAYGROUND_SKIP_CSHARP ? 'PLAYGROUND_SKIP_CSHARP is set' : false }, async () => {
    const snippet = await page.getByTestId('snippet-csharp').textContent();
    const dir = await mkdtemp(join(tmpdir(), 'sam3-csharp-'));
    try {
      await writeFile(join(dir, 'shapes.png'), shapes);
      // The snippet's first line says it needs the client: a file-based app gets it as a project reference.
      await writeFile(join(dir, 'snippet.cs'), `#:project ${join(repoRoot, 'src', 'Sam3Serve.Client', 'Sam3Serve.Client.csproj')}\n${snippet}\n`);
      const { stdout } = await run('dotnet', ['run', 'snippet.cs'], { cwd: dir, env: { ...process.env, SAM3SERVE_API_KEY: server.key, DOTNET_NOLOGO: '1' } });
      const lines = stdout.trim().split('\n').filter((l) => l.startsWith('#'));
      assert.equal(lines.length, 2, stdout);
      const box = /box \[([\d, ]+)\]/.exec(lines[0])[1].split(',').map(Number);
      near(box, red, cell, 'C# red box');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a click is a point prompt that selects one object; the second prompt reuses the image features', async () => {
    await page.getByTestId('mode').getByText('Points', { exact: true }).click();
    const before = results.length;
    const p = await at(170, 240);
    await page.mouse.click(p.x, p.y);
    await waitDone();
    const items = page.getByTestId('mask-item');
    assert.equal(await items.count(), 1);
    near(await boxOf(items.nth(0)), green, cell, 'green box');
    // A background point (Shift-click) on the grey: still one object, and the tracker encoder is not run again.
    const q = await at(400, 250);
    await page.keyboard.down('Shift');
    await page.mouse.click(q.x, q.y);
    await page.keyboard.up('Shift');
    await page.waitForFunction((n) => document.querySelectorAll('circle').length === n, 2);
    await waitDone();
    await page.waitForFunction(() => document.querySelector('[data-testid=status]').textContent.includes('cached'));
    assert.equal(await items.count(), 1);
    const runs = results.slice(before).filter((r) => r.output?.mode === 'interactive');
    assert.ok(runs.length >= 2, `two interactive results, got ${runs.length}`);
    // After the text runs on this image the shared trunk is cached: the first point run computes only the
    // tracker's neck (neck_time) when the encoders share their trunk, else the whole tracker encoder.
    const imageTime = (m) => m.encoder_time + (m.neck_time ?? 0);
    assert.ok(imageTime(runs[0].metrics) > 0, 'the first point run computes the tracker features');
    assert.equal(imageTime(runs.at(-1).metrics), 0, 'the next one reuses the cached features');
    assert.equal(await page.locator('circle.pt-bg').count(), 1);
    await screenshot(page, '06-points');
    // A right click is a background point too.
    const r = await at(430, 300);
    await page.mouse.click(r.x, r.y, { button: 'right' });
    await page.waitForFunction(() => document.querySelectorAll('circle.pt-bg').length === 2);
    await waitDone();
    assert.match(await page.getByTestId('snippet-curl').textContent(), /point_labels_input=\[1, 0, 0\]/);
    assert.equal(await page.getByTestId('mask-item').count(), 1);
  });

  it('draws a box with the mouse (exemplar: finds the colour at its centre)', async () => {
    await page.getByTestId('mode').getByText('Boxes', { exact: true }).click();
    const from = await at(295, 25);
    const to = await at(425, 155);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 4 });
    await page.mouse.move(to.x, to.y, { steps: 4 });
    await page.mouse.up();
    await waitDone();
    assert.equal(await page.locator('#prompts rect').count(), 1);
    const items = page.getByTestId('mask-item');
    assert.equal(await items.count(), 1);
    near(await boxOf(items.nth(0)), blue, cell, 'blue box');
    assert.match(await page.getByTestId('snippet-curl').textContent(), /boxes_input=\[\[29\d, 2\d, 42\d, 15\d\]\]/);
    await screenshot(page, '07-box');
    // Object mode: one object per box.
    await page.locator('#box-object').check();
    await page.locator('#auto-run').uncheck();
    for (const [x1, y1, x2, y2] of [[20, 20, 200, 160], [50, 180, 290, 300]]) {
      const a = await at(x1, y1);
      const b = await at(x2, y2);
      await page.mouse.move(a.x, a.y);
      await page.mouse.down();
      await page.mouse.move(b.x, b.y, { steps: 5 });
      await page.mouse.up();
    }
    assert.equal(await page.locator('#prompts rect').count(), 3);
    await runAndWait();
    assert.equal(await items.count(), 3);
    assert.match(await page.getByTestId('snippet-curl').textContent(), /box_mode=object/);
    await page.locator('#auto-run').check();
    await screenshot(page, '07b-object-boxes');
  });

  /** Drags from image pixel (x1, y1) to (x2, y2), holding Shift when `shift`. */
  async function drag([x1, y1, x2, y2], shift = false) {
    const a = await at(x1, y1);
    const b = await at(x2, y2);
    if (shift) await page.keyboard.down('Shift');
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move(b.x, b.y, { steps: 5 });
    await page.mouse.up();
    if (shift) await page.keyboard.up('Shift');
  }

  // The bodies of POST /v2/sam3-image as the page sent them, read at the route: a multipart body with a file
  // part is not in the request event's post data.
  const submittedBodies = [];
  async function recordSubmits() {
    await page.route('**/v2/sam3-image', async (route) => {
      submittedBodies.push(route.request().postDataBuffer()?.toString('latin1') ?? '');
      await route.continue();
    });
  }

  /** The multipart field `name` of a submitted body, or null when the body has no such field. */
  function formField(body, name) {
    assert.ok(body.includes('name="image"'), `not a multipart submit with the image: ${body.slice(0, 200)}`);
    const match = new RegExp(`name="${name}"\\r\\n\\r\\n([^\\r]*)\\r\\n`).exec(body);
    return match ? match[1] : null;
  }

  /** Waits for the next submit after `count` bodies and answers its body. */
  async function nextSubmit(count) {
    const deadline = Date.now() + 10_000;
    while (submittedBodies.length <= count) {
      assert.ok(Date.now() < deadline, `the page sent no request ${count + 1}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return submittedBodies[count];
  }

  it('Shift-drag or the negative tool draws a negative exemplar box, sent as box_labels_input', async () => {
    await recordSubmits();
    await page.locator('#box-exemplar').check();
    await page.locator('#boxes-clear').click();
    const items = page.getByTestId('mask-item');
    // A positive box on the blue disc finds blue, and sends no labels (all positive is the default).
    await drag([295, 25, 425, 155]);
    const first = await nextSubmit(0);
    assert.notEqual(formField(first, 'boxes_input'), null);
    assert.equal(formField(first, 'box_labels_input'), null);
    await waitDone();
    assert.equal(await items.count(), 1);
    near(await boxOf(items.nth(0)), blue, cell, 'blue box');

    // Shift-drag inside it: a negative exemplar of the same colour cancels it (the fixture drops negative colours).
    await drag([320, 50, 400, 130], true);
    const request = await nextSubmit(1);
    const sentBoxes = JSON.parse(formField(request, 'boxes_input'));
    near(sentBoxes[0], [295, 25, 425, 155], 2, 'positive box');
    near(sentBoxes[1], [320, 50, 400, 130], 2, 'negative box');
    assert.equal(formField(request, 'box_labels_input'), '[1, 0]');
    await waitDone();
    assert.equal(await items.count(), 0);
    assert.match(await page.getByTestId('status').textContent(), /Done: 0 masks/);
    assert.equal(await page.locator('#prompts rect.box-pos').count(), 1);
    assert.equal(await page.locator('#prompts rect.box-neg').count(), 1);
    const strokes = await page.locator('#prompts rect').evaluateAll((rects) => rects.map((r) => r.getAttribute('stroke')));
    assert.notEqual(strokes[0], strokes[1], 'a negative box is drawn in its own colour');
    assert.match(await page.locator('#boxes-info').textContent(), /1 positive, 1 negative/);
    assert.match(await page.getByTestId('snippet-curl').textContent(), /box_labels_input=\[1, 0\]/);
    assert.match(await page.getByTestId('snippet-python').textContent(), /box_labels_input="\[1, 0\]"/);
    assert.match(await page.getByTestId('snippet-csharp').textContent(), /\.WithBox\(3[12]\d, \d+, \d+, \d+, Sam3BoxLabel\.Negative\)/);
    await screenshot(page, '07c-negative-box');

    // The visible toggle: a plain drag draws a negative box while it is on. A negative green box next to a
    // positive blue one leaves blue found.
    await page.locator('#boxes-clear').click();
    await page.getByTestId('negative-box').check();
    await page.locator('#auto-run').uncheck();
    await drag([70, 200, 270, 280]);
    await page.getByTestId('negative-box').uncheck();
    await drag([295, 25, 425, 155]);
    assert.equal(await page.locator('#prompts rect.box-neg').count(), 1);
    await runAndWait();
    assert.equal(formField(await nextSubmit(2), 'box_labels_input'), '[0, 1]');
    assert.equal(await items.count(), 1);
    near(await boxOf(items.nth(0)), blue, cell, 'blue box beside a negative green box');
    await screenshot(page, '07d-negative-tool');

    // Object boxes cannot be negative: the page says so instead of sending a request the server refuses.
    await page.locator('#box-object').check();
    assert.ok(await page.getByTestId('negative-box').isDisabled());
    await page.getByTestId('run').click();
    assert.match(await page.getByTestId('error').textContent(), /Negative boxes are exemplars/);
    await page.locator('#box-exemplar').check();
    await page.locator('#auto-run').check();
    await page.unroute('**/v2/sam3-image');
  });

  it('runs automatic mode with its grid control; hover highlights, toggles hide', async () => {
    await page.getByTestId('mode').getByText('Automatic', { exact: true }).click();
    await page.getByTestId('points-per-side').fill('12');
    await page.getByTestId('mask-format').selectOption('png'); // the PNG path of the overlay
    await runAndWait();
    const items = page.getByTestId('mask-item');
    assert.equal(await items.count(), 3);
    const boxes = (await Promise.all([0, 1, 2].map((i) => boxOf(items.nth(i))))).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    near(boxes[0], red, cell, 'red');
    near(boxes[1], blue, cell, 'blue');
    near(boxes[2], green, cell, 'green');
    assert.match(await page.getByTestId('snippet-curl').textContent(), /points_per_side=12/);
    // Hovering the green region marks its list item.
    const g = await at(170, 240);
    await page.mouse.move(g.x, g.y);
    await page.waitForSelector('[data-testid=mask-item].hot');
    near(await boxOf(page.locator('[data-testid=mask-item].hot')), green, cell, 'hovered item');
    await screenshot(page, '08-automatic-hover');
    // Hiding the green mask clears its pixels from the overlay.
    assert.ok((await overlayPixel(170, 240))[3] > 0);
    await page.locator('[data-testid=mask-item].hot input[type=checkbox]').uncheck();
    await page.mouse.move(5, 5);
    assert.equal((await overlayPixel(170, 240))[3], 0);
    await screenshot(page, '09-toggled');
  });

  it('max masks keeps the best ones', async () => {
    await page.getByTestId('max-masks').fill('2');
    await runAndWait();
    assert.equal(await page.getByTestId('mask-item').count(), 2);
    assert.match(await page.getByTestId('snippet-curl').textContent(), /max_masks=2/);
    await page.getByTestId('max-masks').fill('0');
    await runAndWait();
    assert.equal(await page.getByTestId('mask-item').count(), 3);
  });

  it('downloads the JSON, preview, overlay and masks', async () => {
    async function download(testId) {
      const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
      return { name: file.suggestedFilename(), bytes: await readFile(await file.path()) };
    }
    const json = await download('download-json');
    assert.equal(json.name, 'result.json');
    assert.equal(JSON.parse(json.bytes).output.count, 3);
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
    for (const id of ['download-preview', 'download-overlay']) {
      const file = await download(id);
      assert.ok(file.bytes.subarray(0, 4).equals(png), `${id} is a PNG`);
    }
    const zip = await download('download-masks');
    assert.equal(zip.name, 'masks.zip');
    assert.equal(zip.bytes.subarray(0, 2).toString(), 'PK');
    assert.equal((zip.bytes.toString('latin1').match(/mask-\d{3}\.png/g) ?? []).length, 6, 'three masks, each named in a local header and the directory');
  });

  it('shows the engine stage while the request is processing', async () => {
    const release = await holdAtStage(page, 'image encoder');
    await page.getByTestId('mode').getByText('Text', { exact: true }).click();
    await page.getByTestId('text-prompt').fill('green');
    await page.getByTestId('run').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=status]').textContent === 'Processing: image encoder…');
    await screenshot(page, '10-progress');
    release();
    await waitDone();
    await page.unroute('**/v2/requests/*/status');
    assert.equal(await page.getByTestId('mask-item').count(), 1);
  });

  it('tiles: the grid is drawn over the picture while it runs, the running tile filled', async () => {
    const release = await holdAtStage(page, 'tile 3 of 4: image encoder');
    await page.getByTestId('text-prompt').fill('red');
    await page.getByTestId('tiles').selectOption('2x2');
    await page.getByTestId('run').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=status]').textContent === 'Processing: tile 3 of 4: image encoder…');
    assert.equal(await page.locator('#prompts rect.tile').count(), 4);
    assert.equal(await page.locator('#prompts rect.tile-active').count(), 1);
    // 480 × 320 in 2 × 2 tiles sharing 20%: 267 × 178 px each; the third (row 1, col 0) starts at (0, 142).
    const active = await page.locator('#prompts rect.tile-active').evaluate((r) => ['x', 'y', 'width', 'height'].map((a) => Number(r.getAttribute(a))));
    assert.deepEqual(active, [0, 142, 267, 178]);
    await screenshot(page, '10b-tiles-running');
    release();
    await waitDone();
    await page.unroute('**/v2/requests/*/status');
    assert.equal(await page.locator('#prompts rect.tile').count(), 0, 'the grid goes when the run ends');
    assert.match(await page.getByTestId('status').textContent(), /5 image passes/);
    assert.equal(await page.getByTestId('mask-item').count(), 1);
    near(await boxOf(page.getByTestId('mask-item').first()), red, cell, 'red found with tiles');
    assert.match(await page.getByTestId('snippet-csharp').textContent(), /\.WithTiles\(Sam3Tiles\.Grid\(2, 2\)\)/);
    assert.match(await page.getByTestId('snippet-curl').textContent(), /tiles=\{"rows":2,"cols":2\}/);
    await screenshot(page, '10c-tiles-done');
    await page.getByTestId('tiles').selectOption('off');
  });

  it('a parameter out of range shows the 400 message naming the field', async () => {
    await page.getByTestId('mode').getByText('Automatic', { exact: true }).click();
    await page.getByTestId('pred-iou-thresh').fill('0.2');
    await page.getByTestId('run').click();
    const error = page.getByTestId('error');
    await error.waitFor({ state: 'visible' });
    assert.match(await error.textContent(), /^400 Bad Request: .*pred_iou_thresh/s);
    await screenshot(page, '11a-bad-parameter');
    await page.getByTestId('pred-iou-thresh').fill('0.88');
    await page.getByTestId('mode').getByText('Text', { exact: true }).click();
  });

  it('a wrong key shows the 401 message', async () => {
    await page.getByTestId('api-key').fill('not-a-key');
    await page.getByTestId('run').click();
    const error = page.getByTestId('error');
    await error.waitFor({ state: 'visible' });
    assert.match(await error.textContent(), /^401 Unauthorized: unknown API key/);
    await screenshot(page, '11-wrong-key');
  });

  it('the run button is reachable from the keyboard and shows its focus', async () => {
    await page.getByTestId('api-key').fill(server.key);
    await page.getByTestId('max-masks').focus();
    let focused = '';
    for (let i = 0; i < 8 && focused !== 'run'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.dataset.testid ?? document.activeElement?.id ?? '');
    }
    assert.equal(focused, 'run');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none');
    await page.keyboard.press('Enter');
    await waitDone();
    await screenshot(page, '12-keyboard');
    assert.deepEqual(results.filter((r) => r.pageError), [], 'no script errors on the page');
  });
  it('takes an image URL that the server fetches', async () => {
    const images = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'image/png' });
      res.end(shapes);
    });
    await new Promise((r) => images.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${images.address().port}/shapes.png`;
      await page.getByTestId('image-url').fill(url);
      await page.getByRole('button', { name: 'Use URL' }).click();
      await page.waitForFunction(() => document.getElementById('image').naturalWidth > 0 && !document.getElementById('image').hidden);
      await page.getByTestId('text-prompt').fill('green');
      await runAndWait();
      assert.equal(await page.getByTestId('mask-item').count(), 1);
      assert.ok(await page.getByTestId('snippet-curl').textContent().then((s) => s.includes(`"image": "${url}"`)));
    } finally {
      images.close();
    }
  });
});
