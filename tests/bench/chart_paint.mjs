// chart_paint.mjs -- 100,000 candles painted by the dashboard's own chart
// code (web/src/kline.ts, bundled here by the dashboard's esbuild, with
// the theme of web/src/app.css) in a page of its own.  As on the chart
// page, the chart is made (with its volume pane, or without), given its
// period and symbol, and paints empty first while the chart's data loader
// waits for the candles (there, a GET /market/candles on its way); then a
// body of 100 k rows is parsed into the chart's bars as routes.ts does
// (timed apart), and the paint is timed: the bars handed to the loader's
// callback (the chart stores them and works out its view), and the first
// painted frame after them (the volume's values, computed by the chart's
// indicator, and the panes drawn).
// Beside it the floor: one structured copy of the same bars (a bare pass
// reading and writing every field), taken after the paint so that its
// garbage is not the paint's.  Used by the browser suite (one run) and
// bench_chart.sh (several, with and without the volume).
import { join } from 'node:path';
import { createRequire } from 'node:module';

const bundles = new Map();

/* kline.ts as a script for the page (global QdKline), built once. */
async function klineScript(web) {
	if (!bundles.has(web)) {
		const { build } = createRequire(join(web, 'package.json'))('esbuild');
		const out = await build({
			entryPoints: [join(web, 'src/kline.ts')], bundle: true, minify: true, write: false,
			format: 'iife', globalName: 'QdKline', target: ['es2020'], logLevel: 'warning',
		});
		bundles.set(web, out.outputFiles[0].text);
	}
	return bundles.get(web);
}

/** The paint's phases in ms: { apply, frame, total (the two), copy },
 *  the response's `parse` (into bars) before them, and the CPU time the page's
 *  main thread (`thread`) and its whole renderer process (`process`, with
 *  the collector's helper threads; 10 ms steps) spent on the parse and the
 *  paint, which a busy machine stretches less than the wall-clock times.
 *  `volume`: the volume pane too (as the dashboard draws it).  `web`: the
 *  dashboard's directory (web/, with node_modules). */
export async function paint100k(browser, web, volume = true) {
	const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
	try {
		await page.setContent('<div id="c" style="width:1200px;height:600px"></div>');
		await page.addStyleTag({ path: join(web, 'src/app.css') });
		await page.addScriptTag({ content: await klineScript(web) });
		const cdp = await page.context().newCDPSession(page);
		await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
		const cpu = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics
			.filter((m) => m.name === 'ThreadTime' || m.name === 'ProcessTime').map((m) => [m.name, m.value * 1000]));
		await page.evaluate((withVolume) => new Promise((done) => {
			const K = window.QdKline;
			const { chart } = K.klineChart(document.getElementById('c'), withVolume);
			window.paint = { chart };
			chart.setDataLoader({ getBars: ({ callback }) => { window.paint.loaded = callback; } });
			chart.setPeriod(K.period(60));
			chart.setSymbol({ ticker: 'bench' });
			const rows = [];
			let p = 100;
			for (let i = 0; i < 100000; i++) {
				const o = p;
				p *= 1 + (Math.sin(i * 12.9898) * 43758.5453 % 1) * 0.002;
				rows.push([(1600000000 + i * 60) * 1000, o, Math.max(o, p) * 1.001, Math.min(o, p) * 0.999, p, 1 + (i % 17)]);
			}
			window.paint.body = JSON.stringify({ candles: rows });
			requestAnimationFrame(() => requestAnimationFrame(done));
		}), volume);
		const c0 = await cpu();
		const r = await page.evaluate(() => new Promise((done) => {
			const { chart, loaded, body } = window.paint;
			// The response's body parsed and its rows made bars, as
			// routes.ts does, and the paint straight after (no idle
			// moment between in which the collector could move them).
			const p0 = performance.now();
			const data = JSON.parse(body).candles.map((c) => ({
				timestamp: c[0], open: c[1], high: c[2], low: c[3], close: c[4], volume: c[5] }));
			const t0 = performance.now();
			loaded(data, { forward: false, backward: false });
			const t1 = performance.now();
			window.paint.data = data;
			requestAnimationFrame(() => requestAnimationFrame(() => {
				const t2 = performance.now();
				done({ parse: t0 - p0, apply: t1 - t0, frame: t2 - t1, total: t2 - t0,
					bars: chart.getDataList().length });
			}));
		}));
		if (r.bars !== 100000)
			throw new Error(`the chart holds ${r.bars} bars, not 100000`);
		const c1 = await cpu();
		r.thread = c1.ThreadTime - c0.ThreadTime;
		r.process = c1.ProcessTime - c0.ProcessTime;
		r.copy = await page.evaluate(() => {
			const t0 = performance.now();
			structuredClone(window.paint.data);
			return performance.now() - t0;
		});
		return r;
	} finally {
		await page.close();
	}
}
