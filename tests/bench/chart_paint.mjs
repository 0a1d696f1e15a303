// chart_paint.mjs -- 100,000 candles and their volume handed to the
// chart library the dashboard bundles, timed from setData to the first
// painted frame in a page of its own; beside it the floor: one structured
// copy of the same bars (a bare pass reading and writing every field).
// Used by the browser suite (one run) and bench_chart.sh (several, with
// and without the volume).

/** [setData to first paint, structured copy] in ms; `volume`: the
 *  volume histogram too (as the dashboard draws it). */
export async function paint100k(browser, chartLib, volume = true) {
	const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
	try {
		await page.setContent('<div id="c" style="width:1200px;height:600px"></div>');
		await page.addScriptTag({ path: chartLib });
		return await page.evaluate((withVolume) => new Promise((done) => {
			const L = window.LightweightCharts;
			const chart = L.createChart(document.getElementById('c'), { width: 1200, height: 600 });
			const s = chart.addSeries(L.CandlestickSeries);
			const v = chart.addSeries(L.HistogramSeries, { priceScaleId: 'vol' });
			const bars = [], vols = [];
			let p = 100;
			for (let i = 0; i < 100000; i++) {
				const o = p;
				p *= 1 + (Math.sin(i * 12.9898) * 43758.5453 % 1) * 0.002;
				bars.push({ time: 1600000000 + i * 60, open: o, high: Math.max(o, p) * 1.001, low: Math.min(o, p) * 0.999, close: p });
				vols.push({ time: 1600000000 + i * 60, value: 1 + (i % 17) });
			}
			const c0 = performance.now();
			structuredClone(bars);
			if (withVolume)
				structuredClone(vols);
			const copy = performance.now() - c0;
			const t0 = performance.now();
			s.setData(bars);
			if (withVolume)
				v.setData(vols);
			requestAnimationFrame(() => requestAnimationFrame(() => done([performance.now() - t0, copy])));
		}), volume);
	} finally {
		await page.close();
	}
}
