// Bundles app/*.ts into the one script the server embeds: dist/app.js (committed, so that `dotnet build`
// alone makes a working server). `node build.mjs --check` fails when the committed bundle is not what the
// sources build to, which is how CI catches an edit to app/ without a rebuild.
import { build } from 'esbuild';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, 'dist', 'app.js');
const check = process.argv.includes('--check');

const result = await build({
  entryPoints: [join(here, 'app', 'main.ts')],
  bundle: true,
  format: 'esm',
  target: ['chrome111', 'firefox115', 'safari16'],
  minify: true,
  legalComments: 'eof',
  banner: { js: '// Built by `npm run build` in src/Sam3Serve.Playground from app/*.ts; do not edit.' },
  write: false,
  logLevel: 'warning',
});
const built = result.outputFiles[0].text;

if (check) {
  const committed = await readFile(target, 'utf8').catch(() => '');
  if (committed !== built) {
    console.error(`${target} is not what app/ builds to: run \`npm run build\` in src/Sam3Serve.Playground and commit dist/app.js`);
    process.exit(1);
  }
  console.log('dist/app.js matches the sources');
} else {
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, built);
  console.log(`wrote ${target} (${built.length} bytes)`);
}
