// Starts what the browser tests drive: a real `sam3serve serve` on the fixture bundle (a key made with
// `keys create`), and headless Chromium through playwright-core. Tools are found from the environment:
//   SAM3SERVE_BIN   the built CLI (default: artifacts/bin/Sam3Serve.Cli/release/sam3serve from the repo root)
//   CHROMIUM_PATH   the browser (default: /usr/bin/chromium, Debian's package)
//   SCREENSHOT_DIR  where screenshots go (default: artifacts/playground-screenshots)
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const sam3serve = process.env.SAM3SERVE_BIN ?? join(repoRoot, 'artifacts', 'bin', 'Sam3Serve.Cli', 'release', 'sam3serve');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const screenshotDir = process.env.SCREENSHOT_DIR ?? join(repoRoot, 'artifacts', 'playground-screenshots');

/** Why the browser tests cannot run here, or null. */
export function missingTool() {
  if (!existsSync(sam3serve)) return `no sam3serve at ${sam3serve} (run dotnet build first, or set SAM3SERVE_BIN)`;
  if (!existsSync(chromiumPath)) return `no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`;
  return null;
}

async function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** A served fixture bundle with one key; `extraArgs` go to `serve`. */
export async function startServer(extraArgs = []) {
  const dir = await mkdtemp(join(tmpdir(), 'sam3-playground-'));
  await run(sam3serve, ['models', 'fixture', '--out', join(dir, 'model')]);
  const created = await run(sam3serve, ['keys', 'create', '--name', 'playground', '--credits', '1000', '--data-dir', join(dir, 'data')]);
  const key = created.stdout.trim().split('\n').at(-1).trim();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = [];
  const child = spawn(sam3serve, ['serve', '--model-dir', join(dir, 'model'), '--data-dir', join(dir, 'data'), '--offline', '--urls', url, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => log.push(String(d)));
  child.stderr.on('data', (d) => log.push(String(d)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sam3serve exited with ${child.exitCode}:\n${log.join('')}`);
    try {
      const response = await fetch(`${url}/health/ready`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`sam3serve did not get ready in 60 s:\n${log.join('')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    key,
    dir,
    log,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export async function screenshot(page, name) {
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}
