// Makes the README's picture of the playground: `node browser-tests/readme-screenshot.mjs PHOTO OUT.png`.
// It serves the fixture bundle (not SAM 3: its graphs pick pure colours), so the masks show what the page
// does with a result, not what the real model finds. Not part of the test run.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { launchBrowser, startServer } from './harness.mjs';

const [photo, out, ...steps] = process.argv.slice(2);
if (!photo || !out) {
  console.error('usage: node browser-tests/readme-screenshot.mjs PHOTO OUT.png [text:CONCEPTS | boxes:x1,y1,x2,y2;... | auto:N]...');
  process.exit(2);
}
const server = await startServer();
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 940 } });
  await page.goto(server.url + '/');
  await page.getByTestId('api-key').fill(server.key);
  await page.getByTestId('image-file').setInputFiles({ name: basename(photo), mimeType: 'image/jpeg', buffer: await readFile(photo) });
  await page.waitForFunction(() => document.getElementById('image').naturalWidth > 0 && !document.getElementById('image').hidden);
  const size = await page.evaluate(() => [document.getElementById('image').naturalWidth, document.getElementById('image').naturalHeight]);
  const done = () => page.waitForFunction(() => {
    const s = document.querySelector('[data-testid=status]');
    return s.dataset.state !== 'busy' && (s.textContent.startsWith('Done') || !document.querySelector('[data-testid=error]').hidden);
  }, null, { timeout: 60_000 });
  for (const step of steps) {
    const [kind, arg] = step.split(':');
    if (kind === 'text') {
      await page.getByTestId('mode').getByText('Text', { exact: true }).click();
      await page.getByTestId('text-prompt').fill(arg);
      await page.getByTestId('run').click();
      await done();
    } else if (kind === 'boxes') {
      await page.getByTestId('mode').getByText('Boxes', { exact: true }).click();
      await page.locator('#box-object').check();
      await page.locator('#auto-run').uncheck();
      const r = await page.locator('#prompts').boundingBox();
      for (const box of arg.split(';')) {
        const [x1, y1, x2, y2] = box.split(',').map(Number);
        await page.mouse.move(r.x + (x1 * r.width) / size[0], r.y + (y1 * r.height) / size[1]);
        await page.mouse.down();
        await page.mouse.move(r.x + (x2 * r.width) / size[0], r.y + (y2 * r.height) / size[1], { steps: 5 });
        await page.mouse.up();
      }
      await page.getByTestId('run').click();
      await done();
    } else if (kind === 'auto') {
      await page.getByTestId('mode').getByText('Automatic', { exact: true }).click();
      await page.getByTestId('points-per-side').fill(arg);
      await page.getByTestId('run').click();
      await done();
    } else if (kind === 'hover') {
      const [x, y] = arg.split(',').map(Number);
      const r = await page.locator('#prompts').boundingBox();
      await page.mouse.move(r.x + (x * r.width) / size[0], r.y + (y * r.height) / size[1]);
    }
  }
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.stop();
}
