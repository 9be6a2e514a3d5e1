// `npm run build [-- --no-bench]`: transpiles the TypeScript that runs in production (src/, migrations/) and
// the bench's service child (bench/service.ts) to dist/, one .js per .ts, same layout, so
// paths relative to a module (migrations, seeds) resolve as they do under tsx. esbuild strips
// types only (~0.3 s); `npm run typecheck` is what checks them. dist/ is emptied first: a
// stale migration left there would still be run.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = performance.now();
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  // The image builds without bench/ (.dockerignore): --no-bench.
  entryPoints: ['src/**/*.ts', 'migrations/*.ts', ...(process.argv.includes('--no-bench') ? [] : ['bench/service.ts'])],
  outbase: '.',
  outdir: 'dist',
  bundle: false,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  tsconfig: 'tsconfig.json',
  sourcemap: 'linked', // used only under NODE_OPTIONS=--enable-source-maps
  logLevel: 'warning',
  metafile: true,
});
const files = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js')).length;
if (!process.argv.includes('--quiet')) {
  console.log(`built ${files} files into dist/ in ${Math.round(performance.now() - started)} ms`);
}
