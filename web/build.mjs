// build.mjs -- bundle the dashboard with esbuild: web/src/main.ts into
// OUT/app.js and the CSS it imports into OUT/app.css (minified, with
// source maps)
// and web/src/index.html copied to OUT/index.html, with the chart
// library's licence files.
//   node web/build.mjs OUT
// Exits non-zero with esbuild's messages when the bundle cannot be built.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
	console.error('usage: node build.mjs OUTDIR');
	process.exit(2);
}
await mkdir(out, { recursive: true });
try {
	await build({
		entryPoints: { app: join(here, 'src/main.ts') },
		outdir: out,
		entryNames: '[name]',
		bundle: true,
		minify: true,
		sourcemap: true,
		format: 'iife',
		target: ['es2020'],
		legalComments: 'linked',
		logLevel: 'warning',
	});
} catch {
	process.exit(1);
}
await copyFile(join(here, 'src/index.html'), join(out, 'index.html'));
// The chart library's licence (Apache-2.0) asks for its LICENSE and NOTICE
// (and the licence of the code it credits) to go with every copy of it.
const kl = join(here, 'node_modules/klinecharts');
await copyFile(join(kl, 'LICENSE'), join(out, 'klinecharts.LICENSE.txt'));
await copyFile(join(kl, 'NOTICE'), join(out, 'klinecharts.NOTICE.txt'));
await copyFile(join(kl, 'licenses/LICENSE-lightweight-charts'),
	join(out, 'klinecharts.LICENSE-lightweight-charts.txt'));
