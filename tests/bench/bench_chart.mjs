// bench_chart.mjs -- the dashboard chart's 100 k-candle paint (see
// chart_paint.mjs), RUNS times in headless Chromium, with the volume
// histogram and without: best and median, and their ratio to the
// structured copy of the same bars.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { paint100k } from './chart_paint.mjs';

const web = process.env.QD_WEB;
const runs = Number(process.env.RUNS ?? 7);
const require = createRequire(join(web, 'package.json'));
const { chromium } = require('playwright-core');
const chartLib = join(web, 'node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js');
const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
	const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
	const best = (a) => Math.min(...a);
	for (const volume of [true, false]) {
		const paint = [], copy = [];
		for (let i = 0; i < runs; i++) {
			const [p, c] = await paint100k(browser, chartLib, volume);
			paint.push(p);
			copy.push(c);
		}
		console.log(`100000 candles${volume ? ' + volume' : ''}, setData to first paint (${runs} runs): best ${best(paint).toFixed(1)} ms, ` +
			`median ${med(paint).toFixed(1)} ms; a structured copy of the bars: best ${best(copy).toFixed(1)} ms, ` +
			`median ${med(copy).toFixed(1)} ms; ratio of medians ${(med(paint) / med(copy)).toFixed(1)}`);
	}
} finally {
	await browser.close();
}
