// bench_chart.mjs -- the dashboard chart's 100 k-candle paint (see
// chart_paint.mjs), RUNS times in headless Chromium, with the volume
// pane and without: best, median and worst of the whole paint, the
// median of each of its phases, of the parse before it and of the CPU
// time of both, and the ratio to the structured copy of the same bars.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { paint100k } from './chart_paint.mjs';

const web = process.env.QD_WEB;
const runs = Number(process.env.RUNS ?? 7);
const require = createRequire(join(web, 'package.json'));
const { chromium } = require('playwright-core');
const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
	const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
	const ms = (x) => `${x.toFixed(1)} ms`;
	for (const volume of [true, false]) {
		const r = [];
		for (let i = 0; i < runs; i++)
			r.push(await paint100k(browser, web, volume));
		const m = (k) => med(r.map((x) => x[k]));
		const total = r.map((x) => x.total);
		console.log(`100000 candles${volume ? ' + volume' : ''}, data to first paint (${runs} runs): ` +
			`best ${ms(Math.min(...total))}, median ${ms(m('total'))}, worst ${ms(Math.max(...total))}; ` +
			`medians: bars handed to the chart ${ms(m('apply'))}, ` +
			`to the first frame ${ms(m('frame'))}; ` +
			`before it the body's parse into bars ${ms(m('parse'))}; CPU time of the parse and paint: main thread ${ms(m('thread'))}, ` +
			`renderer ${ms(m('process'))}; a structured copy of the bars: median ${ms(m('copy'))}, ` +
			`ratio of medians ${(m('total') / m('copy')).toFixed(1)}`);
	}
} finally {
	await browser.close();
}
