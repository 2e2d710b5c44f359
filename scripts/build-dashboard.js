// Bundles the dashboard (dashboard/src, TypeScript) into dist/dashboard/: the app serves those files, so they are part
// of what `npm run build` (and so azd) produces. esbuild tree-shakes ECharts down to the charts the pages use; the
// bundle's names carry a content hash, so the app can let browsers cache them for good.
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const source = path.join(root, 'dashboard');
const out = path.join(root, 'dist', 'dashboard');

async function build() {
  fs.rmSync(out, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: { app: path.join(source, 'src', 'main.ts'), styles: path.join(source, 'styles.css') },
    entryNames: '[name]-[hash]',
    outdir: out,
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  const built = Object.keys(result.metafile.outputs).map((file) => path.basename(file));
  const named = (prefix, ext) => built.find((file) => file.startsWith(`${prefix}-`) && file.endsWith(ext));
  const html = fs
    .readFileSync(path.join(source, 'index.html'), 'utf8')
    .replace('href="styles.css"', `href="${named('styles', '.css')}"`)
    .replace('src="app.js"', `src="${named('app', '.js')}"`);
  fs.writeFileSync(path.join(out, 'index.html'), html);
}

build().catch((err) => {
  console.error(`dashboard build failed: ${err.message}`);
  process.exit(1);
});
