// backtests.ts -- the backtests page: a run form made from the strategy's
// parameter specs (a backtest, an optimisation over a grid, or a
// walk-forward) or a Chan analysis of stored candles, the caller's jobs
// with their progress live from the jobs channel, and a finished job's
// result: metrics, equity and drawdown, trades, the report and the trades
// CSV, a heat map of an optimisation over two parameters, a walk-forward's
// windows, a Monte Carlo run's percentile bands, a Chan analysis's counts,
// buy/sell points, segments and pivots.  A backtest is sent to the chart
// page with its trades and annotations drawn, a Chan analysis with its
// structures (overlays.ts).
import { dispose as disposeChart } from 'klinecharts';
import { ApiError } from './api';
import { css, errorBox, field, h, num, replace, showError, table, time } from './dom';
import * as jobs from './jobs';
import { valuesChart } from './kline';
import { follow } from './live';
import { chanAnnotations, showOnChart } from './overlays';
import { bands, bars, heatMap } from './plots';

/** Timeframes in ms, as the daemon names them (the equity resolutions). */
const TF_MS: Array<[string, number]> = [
	['1m', 60e3], ['3m', 180e3], ['5m', 300e3], ['15m', 900e3], ['30m', 1800e3],
	['1h', 3600e3], ['2h', 7200e3], ['4h', 14400e3], ['6h', 21600e3], ['12h', 43200e3],
	['1d', 86400e3], ['1w', 604800e3],
];

/** Samples an equity curve should have at most: enough for any screen. */
const EQUITY_POINTS = 1500;

/** Rows of a trades table (and of a Chan analysis's tables) drawn at once. */
const TRADE_ROWS = 500;

const METRICS: Array<[string, string, 'pct' | 'num' | 'int' | 'hours']> = [
	['total_return', 'Total return', 'pct'], ['cagr', 'CAGR', 'pct'], ['volatility', 'Volatility', 'pct'],
	['sharpe', 'Sharpe', 'num'], ['sortino', 'Sortino', 'num'], ['max_drawdown', 'Max drawdown', 'pct'],
	['max_drawdown_duration', 'Longest drawdown', 'hours'], ['calmar', 'Calmar', 'num'],
	['win_rate', 'Win rate', 'pct'], ['profit_factor', 'Profit factor', 'num'], ['expectancy', 'Expectancy', 'num'],
	['exposure', 'Exposure', 'pct'], ['trades', 'Trades', 'int'], ['fees', 'Fees', 'num'],
	['final_equity', 'Final equity', 'num'],
];

const pct = (v: number): string => (v * 100).toFixed(2) + ' %';

function metric(v: unknown, how: 'pct' | 'num' | 'int' | 'hours'): string {
	if (typeof v !== 'number' || !Number.isFinite(v))
		return '—';
	return how === 'pct' ? pct(v) : how === 'hours' ? num(v / 3600e3, 1) + ' h' :
		how === 'int' ? String(v) : num(v, 4);
}

/** The equity curve's resolution for a range: at most EQUITY_POINTS samples. */
function equityEvery(from: number, to: number, tf: string): string {
	const base = TF_MS.find(([k]) => k === tf)?.[1] ?? 60e3;
	const want = Math.max(base, (to - from) / EQUITY_POINTS);
	if (want <= base && (to - from) / base <= EQUITY_POINTS)
		return 'bar';
	return (TF_MS.find(([, ms]) => ms >= want) ?? TF_MS[TF_MS.length - 1])[0];
}

/** "2024-01-01T00:00" (UTC, as datetime-local inputs take it) of ms. */
function localValue(ms: number): string {
	return new Date(ms).toISOString().slice(0, 16);
}

/** A described job: what ran over what. */
function describe(j: jobs.Job): string {
	const r = j.request ?? {};
	if (j.kind === 'montecarlo')
		return `backtest #${r.backtest}, ${num(r.runs)} runs`;
	const d = r.data;
	if (j.kind === 'chan')
		return `Chan analysis, min_gap=${r.min_gap ?? 4}` + (d ? ` · ${d.exchange} ${d.symbol} ${d.timeframe}` : '');
	const ps = Object.entries(r.params ?? {}).map(([k, v]) => `${k}=${v}`);
	const grid = Object.keys(r.grid ?? {}).map((k) => `${k}∈grid`);
	return `${r.strategy ?? ''} ${[...ps, ...grid].join(' ')}` + (d ? ` · ${d.exchange} ${d.symbol} ${d.timeframe}` : '');
}

/** Draws the backtests page into `root`; returns what stops its feeds. */
export function backtestsPage(root: HTMLElement): () => void {
	const err = errorBox();
	const jobsBox = h('div', { id: 'jobs' });
	const result = h('section', { class: 'panel', id: 'bt-result', 'aria-live': 'polite', hidden: true });
	const form = runForm((j) => { watching = j.id; upsert(j); });
	replace(root,
		h('section', { class: 'panel' }, h('h2', {}, 'Run'), form),
		h('section', { class: 'panel' }, h('h2', {}, 'Jobs'), err, jobsBox),
		result);

	const known = new Map<number, jobs.Job>();
	let watching = 0;
	let open = 0;
	let disposeResult: Array<() => void> = [];

	function drawJobs(): void {
		const list = [...known.values()].sort((a, b) => b.id - a.id);
		replace(jobsBox, table(list, [
			['#', (j) => j.id], ['Kind', (j) => j.kind], ['What', (j) => describe(j)],
			['State', (j) => h('span', { class: j.state === 'failed' ? 'bad' : j.state === 'done' ? 'good' : '', title: j.error ?? '' },
				j.state + (j.error ? ': ' + j.error.split('\n')[0].slice(0, 80) : ''))],
			['Progress', (j) => h('progress', { max: '1', value: String(j.progress), 'aria-label': `job ${j.id} progress` })],
			['Created (UTC)', (j) => time(j.created_ms)],
			['', (j) => h('span', { class: 'actions' },
				j.state === 'done' ? h('button', { type: 'button', class: 'small', 'data-open': j.id, onclick: () => { void openJob(j); } }, 'Open') : null,
				j.state === 'queued' || j.state === 'running' ? h('button', {
					type: 'button', class: 'small', onclick: () => {
						jobs.cancelJob(j).then(upsert).catch((e) => showError(err, e));
					},
				}, 'Cancel') : null)],
		], 'no job yet: run one above'));
	}

	/* A job as the channel or a reply shows it.  A reply may come after
	 * the channel's later news of the same job: a job never goes back.
	 * The job submitted last opens once it is done. */
	function upsert(j: jobs.Job): void {
		const before = known.get(j.id);
		const rank = (x: jobs.Job): number => x.state === 'queued' ? 0 : x.state === 'running' ? 1 : 2;
		if (!before || rank(j) >= rank(before))
			known.set(j.id, j);
		drawJobs();
		const now = known.get(j.id);
		if (j.id === watching && now?.state === 'done') {
			watching = 0;
			void openJob(now);
		}
	}

	async function openJob(j: jobs.Job): Promise<void> {
		open = j.id;
		disposeResult.forEach((f) => f());
		disposeResult = [];
		result.hidden = false;
		const box = errorBox();
		replace(result, h('h2', {}, `${j.kind} #${j.id}`), h('p', { class: 'muted' }, describe(j)), box, h('p', { class: 'muted' }, 'loading…'));
		try {
			let body: HTMLElement[];
			if (j.kind === 'backtest')
				body = backtestView(j, await jobs.jobResult<jobs.BacktestResult>(j), disposeResult);
			else if (j.kind === 'optimize')
				body = optimizeView(j, await jobs.jobResult<jobs.OptimizeResult>(j));
			else if (j.kind === 'walkforward')
				body = walkForwardView(j, await jobs.jobResult<jobs.WalkForwardResult>(j), disposeResult);
			else if (j.kind === 'chan')
				body = chanView(j, await jobs.jobResult<jobs.ChanResult>(j));
			else
				body = await monteCarloView(j, await jobs.jobResult<jobs.MonteCarloResult>(j));
			if (open !== j.id)
				return;
			replace(result, h('h2', {}, `${j.kind} #${j.id}`), h('p', { class: 'muted' }, describe(j)), box, ...body);
			result.dataset.job = String(j.id);
		} catch (e) {
			showError(box, e);
		}
	}

	/* A backtest: its metrics, equity and drawdown, trades and files. */
	function backtestView(j: jobs.Job, r: jobs.BacktestResult, dispose: Array<() => void>): HTMLElement[] {
		const actions = h('div', { class: 'toolbar' });
		const box = errorBox();
		const d = j.request?.data;
		if (d)
			actions.appendChild(h('button', {
				type: 'button', id: 'bt-show', onclick: () => showOnChart({
					label: `Backtest #${j.id}`, market: { exchange: d.exchange, symbol: d.symbol },
					timeframe: d.timeframe, trades: r.trades, annotations: r.annotations ?? [],
				}),
			}, 'Show on chart'));
		actions.append(
			h('button', { type: 'button', id: 'bt-report', onclick: () => { download(j.id, 'report', box); } }, 'Download report (HTML)'),
			h('button', { type: 'button', id: 'bt-csv', onclick: () => { download(j.id, 'trades', box); } }, 'Download trades (CSV)'));
		const runs = h('input', { type: 'number', id: 'mc-runs', min: '1', max: '1000000', step: '1', value: '10000', inputmode: 'numeric' });
		const mc = h('form', { class: 'inline-form', id: 'mc-form' }, field('Monte Carlo runs', runs),
			h('button', { type: 'submit' }, 'Run Monte Carlo'));
		mc.addEventListener('submit', (ev) => {
			ev.preventDefault();
			showError(box, null);
			jobs.submitJob('montecarlo', { backtest: j.id, runs: Number(runs.value) })
				.then((m) => { watching = m.id; upsert(m); }).catch((e) => showError(box, e));
		});
		if (r.trades.length === 0)
			mc.hidden = true;
		return [metricsList(r.metrics), equityChart(r.equity ?? [], dispose), actions, mc, box,
			h('h3', {}, `Trades (${r.trades.length})`), tradesTable(r.trades)];
	}

	/* An optimisation: a heat map over two of its grid's axes (the others
	 * at the best point's values) and its best points. */
	function optimizeView(j: jobs.Job, r: jobs.OptimizeResult): HTMLElement[] {
		const grid = j.request?.grid ?? {};
		const axes = Object.keys(grid);
		const points = r.results.map((p) => ({ p, at: parseParams(p.params) }));
		const best = points.find((x) => x.p.ok)?.at ?? {};
		const xSel = h('select', { id: 'hm-x' }, ...axes.map((a) => h('option', { value: a }, a)));
		const ySel = h('select', { id: 'hm-y' }, ...axes.map((a) => h('option', { value: a }, a)));
		if (axes.length > 1)
			ySel.value = axes[1];
		const mSel = h('select', { id: 'hm-metric' }, ...['sharpe', 'total_return', 'calmar', 'max_drawdown', 'trades']
			.map((m) => h('option', { value: m }, m.replace('_', ' '))));
		mSel.value = r.objective;
		const mapBox = h('div', { id: 'heatmap' });
		const draw = (): void => {
			const xa = xSel.value, ya = axes.length > 1 ? ySel.value : '';
			const m = mSel.value as keyof jobs.Point;
			const fixed = axes.filter((a) => a !== xa && a !== ya);
			const match = (at: Record<string, number>, x: number, y: number): boolean =>
				near(at[xa], x) && (ya === '' || near(at[ya], y)) && fixed.every((a) => near(at[a], best[a]));
			replace(mapBox, heatMap({
				xName: xa, yName: ya || '—', xs: axisValues(grid[xa]), ys: ya ? axisValues(grid[ya]) : [0],
				value: (x, y) => {
					const hit = points.find((q) => q.p.ok && match(q.at, x, y));
					const v = hit ? hit.p[m] : null;
					return typeof v === 'number' ? v : null;
				},
				label: m.replace('_', ' '),
				format: m === 'total_return' || m === 'max_drawdown' ? pct : m === 'trades' ? String : (v) => num(v, 3),
			}), fixed.length ? h('p', { class: 'muted' }, 'Other axes at the best point: ' + fixed.map((a) => `${a}=${best[a]}`).join(', ')) : null);
		};
		[xSel, ySel, mSel].forEach((s) => s.addEventListener('change', draw));
		draw();
		return [
			h('p', {}, `${r.points} grid points, ranked by ${r.objective}` +
				(r.results.length < r.points ? `; the best ${r.results.length} are kept (cells of the others are hatched)` : '')),
			h('div', { class: 'toolbar' }, field('Across', xSel), axes.length > 1 ? field('Up', ySel) : null, field('Colour', mSel)),
			mapBox,
			h('h3', {}, 'Best points'),
			table(r.results.slice(0, 20), [
				['Parameters', (p) => p.params], ['Sharpe', (p) => metric(p.sharpe, 'num')],
				['Return', (p) => metric(p.total_return, 'pct')], ['Max drawdown', (p) => metric(p.max_drawdown, 'pct')],
				['Calmar', (p) => metric(p.calmar, 'num')], ['Trades', (p) => p.trades],
				['', (p) => p.ok ? '' : h('span', { class: 'bad' }, 'invalid')],
			]),
		];
	}

	/* A walk-forward: per window the in-sample objective and the
	 * out-of-sample return, then the stitched out-of-sample run. */
	function walkForwardView(j: jobs.Job, r: jobs.WalkForwardResult, dispose: Array<() => void>): HTMLElement[] {
		const obj = j.request?.objective ?? 'sharpe';
		const oos = r.out_of_sample;
		return [
			h('h3', {}, `Windows (${r.windows.length})`),
			h('div', { id: 'wf-bars' }, bars({
				label: 'Out-of-sample return and in-sample objective per window',
				labels: r.windows.map((w) => time(w.test_from).slice(0, 16)),
				series: [
					{ name: 'out-of-sample return', values: r.windows.map((w) => w.oos_return), format: pct },
					{ name: `in-sample ${obj}`, values: r.windows.map((w) => w.in_sample), format: (v) => num(v, 3) },
				],
			})),
			table(r.windows, [
				['Test from (UTC)', (w) => time(w.test_from)], ['Best parameters (in-sample)', (w) => w.params],
				[`In-sample ${obj}`, (w) => metric(w.in_sample, 'num')], ['Out-of-sample return', (w) => metric(w.oos_return, 'pct')],
			]),
			h('h3', {}, 'Stitched out-of-sample run'),
			metricsList(oos.metrics), equityChart(oos.equity ?? [], dispose),
		];
	}

	/* A Chan analysis: what it found, the buy/sell points, segments and
	 * pivots as tables, and all of it on the chart. */
	function chanView(j: jobs.Job, r: jobs.ChanResult): HTMLElement[] {
		const d = j.request?.data;
		const counts: Array<[string, string, number]> = [
			['bars', 'Bars', r.bars], ['klines', 'Merged K-lines', r.klines], ['fractals', 'Fractals', r.fractals.length],
			['strokes', 'Strokes', r.strokes.length], ['segments', 'Segments', r.segments.length],
			['pivots', 'Pivots', r.pivots.length], ['points', 'Buy/sell points', r.points.length],
		];
		const rows = <T>(list: T[]): T[] => list.slice(0, TRADE_ROWS);
		const more = (n: number): HTMLElement | null => n > TRADE_ROWS ?
			h('p', { class: 'muted' }, `The first ${TRADE_ROWS} of ${n}; the chart draws them all.`) : null;
		const stroke = (i: number): string => {
			const s = r.strokes[i];
			return s ? `#${i} ${s.dir}` : `#${i}`;
		};
		const out: Array<HTMLElement | null> = [
			h('dl', { class: 'metrics', id: 'chan-summary' }, ...counts.map(([k, t, n]) =>
				h('div', {}, h('dt', {}, t), h('dd', { 'data-count': k }, num(n))))),
			d ? h('div', { class: 'toolbar' }, h('button', {
				type: 'button', id: 'chan-show', onclick: () => showOnChart({
					label: `Chan analysis #${j.id}`, market: { exchange: d.exchange, symbol: d.symbol },
					timeframe: d.timeframe, trades: [], annotations: chanAnnotations(r),
				}),
			}, 'Show on chart')) : null,
			h('h3', {}, `Buy and sell points (${r.points.length})`),
			h('div', { id: 'chan-points' }, table(rows(r.points), [
				['Time (UTC)', (p) => time(p.ts)],
				['Point', (p) => h('span', { class: p.side === 'buy' ? 'good' : 'bad' },
					`${['1st', '2nd', '3rd'][p.class - 1] ?? p.class} class ${p.side}`)],
				['Price', (p) => num(p.price)], ['Stroke', (p) => stroke(p.stroke)],
			], 'no buy or sell point'), more(r.points.length)),
			h('h3', {}, `Segments (${r.segments.length})`),
			h('div', { id: 'chan-segments' }, table(rows(r.segments), [
				['From (UTC)', (g) => time(g.from_ts)], ['To (UTC)', (g) => time(g.to_ts)], ['Direction', (g) => g.dir],
				['High', (g) => num(g.high)], ['Low', (g) => num(g.low)], ['Break', (g) => g.break.replace(/_/g, ' ')],
				['Strokes', (g) => `${g.from_stroke}–${g.to_stroke}`],
			], 'no segment'), more(r.segments.length)),
			h('h3', {}, `Pivots (${r.pivots.length})`),
			h('div', { id: 'chan-pivots' }, table(rows(r.pivots), [
				['From (UTC)', (p) => time(p.from_ts)], ['To (UTC)', (p) => time(p.to_ts)],
				['ZD', (p) => num(p.zd)], ['ZG', (p) => num(p.zg)], ['Strokes', (p) => `${p.from_stroke}–${p.to_stroke}`],
			], 'no pivot'), more(r.pivots.length)),
		];
		return out.filter((x): x is HTMLElement => x !== null);
	}

	/* A Monte Carlo run: percentile bands, with the backtest's own values. */
	async function monteCarloView(j: jobs.Job, r: jobs.MonteCarloResult): Promise<HTMLElement[]> {
		let src: jobs.BacktestResult | null = null;
		const id = j.request?.backtest;
		if (id)
			src = await jobs.jobResult<jobs.BacktestResult>({ ...j, id, kind: 'backtest' }).catch(() => null);
		return [
			h('p', {}, `${num(r.runs)} resamplings of the ${r.trades} trades of backtest #${id}.`),
			h('div', { id: 'mc-bands' }, bands([
				{ name: 'Total return', ...r.total_return, mark: src?.metrics.total_return, markName: 'the backtest' },
				{ name: 'Max drawdown', ...r.max_drawdown, mark: src?.metrics.max_drawdown, markName: 'the backtest' },
			], 'Monte Carlo percentiles of total return and maximum drawdown')),
		];
	}

	jobs.listJobs().then((list) => { list.forEach((j) => known.set(j.id, j)); drawJobs(); })
		.catch((e) => showError(err, e));
	// A snapshot comes again after each reconnect: what changed while
	// the socket was down (a job that ended) is taken from it.
	const unfollow = follow('jobs', (m) => {
		if (m.type === 'snapshot')
			((m.data as { jobs?: jobs.Job[] } | null)?.jobs ?? []).forEach(upsert);
		else if (m.type === 'job')
			upsert(m.data as jobs.Job);
	});
	return () => {
		unfollow();
		disposeResult.forEach((f) => f());
	};
}

/** Saves a finished backtest's report or trades as a file. */
function download(id: number, what: 'report' | 'trades', box: HTMLElement): void {
	jobs.backtestFile(id, what).then((text) => {
		const url = URL.createObjectURL(new Blob([text], { type: what === 'report' ? 'text/html' : 'text/csv' }));
		const a = h('a', { href: url, download: `backtest-${id}-${what === 'report' ? 'report.html' : 'trades.csv'}` });
		document.body.appendChild(a);
		a.click();
		a.remove();
		window.setTimeout(() => URL.revokeObjectURL(url), 10000);
	}).catch((e) => showError(box, e));
}

function metricsList(m: Record<string, number>): HTMLElement {
	return h('dl', { class: 'metrics', id: 'bt-metrics' }, ...METRICS.map(([k, t, how]) =>
		h('div', {}, h('dt', {}, t), h('dd', { 'data-metric': k }, metric(m[k], how)))));
}

/** Equity (top pane) and drawdown from its running peak (bottom pane). */
function equityChart(eq: Array<[number, number]>, dispose: Array<() => void>): HTMLElement {
	const box = h('div', { class: 'equity', id: 'bt-equity', role: 'img', 'aria-label': 'Equity and drawdown' });
	const pts: Array<[number, number]> = [];
	const dd: number[] = [];
	let peak = -Infinity;
	for (const [ts, v] of eq) {
		if (pts.length && ts <= pts[pts.length - 1][0])
			continue;
		peak = Math.max(peak, v);
		pts.push([ts, v]);
		dd.push(peak > 0 ? (v / peak - 1) * 100 : 0);
	}
	box.dataset.points = String(pts.length);
	if (pts.length === 0)
		return h('p', { class: 'muted', id: 'bt-equity' }, 'The result has no equity curve.');
	// Drawn once the box is in the page (the chart sizes itself to it).
	requestAnimationFrame(() => {
		if (!box.isConnected)
			return;
		const chart = valuesChart(box, pts, { title: 'drawdown %', values: dd, color: css('--down') });
		dispose.push(() => disposeChart(chart));
	});
	return box;
}

function tradesTable(list: jobs.Trade[]): HTMLElement {
	const shown = list.slice(0, TRADE_ROWS);
	return h('div', { id: 'bt-trades' }, table(shown, [
		['#', (t) => list.indexOf(t) + 1], ['Symbol', (t) => t.symbol], ['Side', (t) => t.side], ['Qty', (t) => num(t.qty)],
		['Entry (UTC)', (t) => time(t.entry_ts)], ['Entry price', (t) => num(t.entry_price)],
		['Exit (UTC)', (t) => t.exit_ts === null ? 'open' : time(t.exit_ts)], ['Exit price', (t) => num(t.exit_price)],
		['Fees', (t) => num(t.fees, 4)],
		['P&L', (t) => h('span', { class: t.pnl >= 0 ? 'good' : 'bad' }, num(t.pnl, 2))],
	], 'no trade'), list.length > TRADE_ROWS ?
		h('p', { class: 'muted' }, `The first ${TRADE_ROWS} of ${list.length}; the CSV has them all.`) : null);
}

/** "fast=5 slow=20" as numbers by name. */
function parseParams(s: string): Record<string, number> {
	const out: Record<string, number> = {};
	for (const kv of s.split(' ')) {
		const i = kv.indexOf('=');
		if (i > 0)
			out[kv.slice(0, i)] = Number(kv.slice(i + 1));
	}
	return out;
}

function near(a: number | undefined, b: number | undefined): boolean {
	return a !== undefined && b !== undefined && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** An axis's values, as quantctl walks them (min, min+step, ... <= max). */
function axisValues(a: jobs.Axis | undefined): number[] {
	if (!a)
		return [0];
	const n = Math.floor((a.max - a.min) / a.step + 1e-9) + 1;
	return Array.from({ length: Math.min(n, 1000) }, (_, k) => Number((a.min + k * a.step).toPrecision(10)));
}

/** Shows or hides a part of a form (its own display rule notwithstanding). */
function shown(el: HTMLElement, yes: boolean): void {
	el.hidden = !yes;
	el.style.display = yes ? '' : 'none';
}

/**
 * The run form: kind, strategy and its parameters (numbers also as a grid
 * for optimisations), stored candles and range, money, and the
 * walk-forward's windows; or, for a Chan analysis, the candles and the
 * chan plugin's min_gap.  The server's validation error is shown at its
 * field.  `done` gets each queued job.
 */
function runForm(done: (j: jobs.Job) => void): HTMLFormElement {
	const err = errorBox();
	const chanKind = h('option', { value: 'chan' }, 'Chan analysis');
	const kind = h('select', { id: 'bt-kind', name: 'kind' },
		h('option', { value: 'backtest' }, 'Backtest'), h('option', { value: 'optimize' }, 'Optimisation (grid)'),
		h('option', { value: 'walkforward' }, 'Walk-forward'), chanKind);
	const strategy = h('select', { id: 'bt-strategy', name: 'strategy', 'data-field': 'strategy', required: true });
	const params = h('fieldset', { id: 'bt-params', class: 'params' }, h('legend', {}, 'Parameters'));
	const series = h('select', { id: 'bt-series', 'data-field': 'data', required: true });
	const from = h('input', { type: 'datetime-local', id: 'bt-from', 'data-field': 'data.from', required: true });
	const to = h('input', { type: 'datetime-local', id: 'bt-to', 'data-field': 'data.to', required: true });
	const cash = h('input', { type: 'number', id: 'bt-cash', min: '0', step: 'any', value: '10000', 'data-field': 'cash', inputmode: 'decimal' });
	const fee = h('input', { type: 'number', id: 'bt-fee', min: '0', max: '0.5', step: 'any', value: '0.001', 'data-field': 'fee_rate', inputmode: 'decimal' });
	const objective = h('select', { id: 'bt-objective', 'data-field': 'objective' },
		...['sharpe', 'total_return', 'calmar'].map((o) => h('option', { value: o }, o.replace('_', ' '))));
	const train = h('input', { type: 'number', id: 'wf-train', min: '2', step: '1', value: '1000', 'data-field': 'walk_forward', inputmode: 'numeric' });
	const test = h('input', { type: 'number', id: 'wf-test', min: '2', step: '1', value: '500', inputmode: 'numeric' });
	// A Chan analysis's one parameter: the chan plugin's min_gap (its
	// range and default from the plugin's spec once read).
	const gap = h('input', {
		type: 'number', id: 'chan-gap', min: '2', max: '50', step: '1', value: '4', 'data-field': 'min_gap', inputmode: 'numeric',
	});
	const gapHelp = h('small', { class: 'muted' }, 'merged K-lines from one fractal to the next in a stroke');
	const optOnly = h('div', { class: 'grid-form sub', hidden: true }, field('Objective', objective));
	const wfOnly = h('div', { class: 'grid-form sub', hidden: true },
		field('Train window (bars)', train), field('Test window (bars)', test));
	const chanOnly = h('div', { class: 'grid-form sub', id: 'chan-form', hidden: true },
		h('div', { class: 'param' }, field('Min gap', gap), gapHelp));
	const ok = h('p', { class: 'muted', 'aria-live': 'polite' });
	// What a Chan analysis does not take: a strategy, its parameters, money.
	const strategyOnly = [field('Strategy', strategy), field('Cash', cash), field('Fee rate', fee), params];
	const form = h('form', { id: 'bt-form', class: 'run-form', novalidate: true },
		h('div', { class: 'grid-form' }, field('Kind', kind), strategyOnly[0], field('Candles', series),
			field('From (UTC)', from), field('To (UTC)', to), strategyOnly[1], strategyOnly[2]),
		params, optOnly, wfOnly, chanOnly, h('button', { type: 'submit' }, 'Run'), err, ok);
	let specs: jobs.ParamSpec[] = [];
	let stored: jobs.Coverage[] = [];
	let gapSpec = false;

	const isChan = (): boolean => kind.value === 'chan';
	const isGrid = (): boolean => kind.value === 'optimize' || kind.value === 'walkforward';
	function layout(): void {
		optOnly.hidden = !isGrid();
		wfOnly.hidden = kind.value !== 'walkforward';
		chanOnly.hidden = !isChan();
		strategyOnly.forEach((el) => shown(el, !isChan()));
		params.querySelectorAll<HTMLElement>('.grid-axis').forEach((g) => { g.hidden = !isGrid(); });
		if (isChan() && !gapSpec) {
			gapSpec = true;
			jobs.paramSpecs('chan').then((list) => {
				const s = list.find((x) => x.name === 'min_gap');
				if (!s)
					return;
				if (s.min !== undefined)
					gap.min = String(s.min);
				if (s.max !== undefined)
					gap.max = String(s.max);
				if (s.default !== undefined)
					gap.value = String(s.default);
				gapHelp.textContent = s.description;
			}).catch((e) => { gapSpec = false; showError(err, e); });
		}
	}
	kind.addEventListener('change', layout);

	function drawParams(): void {
		replace(params, h('legend', {}, 'Parameters'), specs.length === 0 ? h('p', { class: 'muted' }, 'none') : null,
			...specs.filter((s) => !s.secret).map((s) => {
				const numeric = s.type === 'int' || s.type === 'double';
				const step = s.type === 'int' ? '1' : 'any';
				let input: HTMLInputElement | HTMLSelectElement;
				if (s.type === 'bool') {
					input = h('select', { name: s.name }, h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'));
					input.value = String(s.default ?? false);
				} else if (s.type === 'enum') {
					input = h('select', { name: s.name }, ...(s.choices ?? []).map((c) => h('option', { value: c }, c)));
					if (s.default !== undefined)
						input.value = String(s.default);
				} else {
					input = h('input', {
						name: s.name, type: numeric ? 'number' : 'text', step, inputmode: numeric ? 'decimal' : undefined,
						min: s.min, max: s.max, value: s.default === undefined ? '' : String(s.default),
					});
				}
				input.dataset.field = 'params.' + s.name;
				input.title = s.description;
				const axis = numeric ? h('div', { class: 'grid-axis', hidden: !isGrid() },
					...(['min', 'max', 'step'] as const).map((k) => h('input', {
						type: 'number', step, name: `grid.${s.name}.${k}`, 'aria-label': `${s.name} grid ${k}`,
						placeholder: k, 'data-field': 'grid.' + s.name, inputmode: 'decimal',
					}))) : null;
				return h('div', { class: 'param' }, field(s.name + (s.required ? ' *' : ''), input),
					h('small', { class: 'muted' }, s.description), axis);
			}));
	}

	// The parameters of the strategy picked: none shown until its specs
	// come (the last one's would be sent with it), an older answer dropped.
	function pickStrategy(): void {
		const name = strategy.value;
		specs = [];
		replace(params, h('legend', {}, 'Parameters'), h('p', { class: 'muted' }, 'loading…'));
		jobs.paramSpecs(name).then((s) => {
			if (strategy.value !== name)
				return;
			specs = s;
			drawParams();
		}).catch((e) => showError(err, e));
	}
	strategy.addEventListener('change', pickStrategy);

	function pickSeries(): void {
		const c = stored[Number(series.value)];
		if (!c)
			return;
		const tf = TF_MS.find(([k]) => k === c.timeframe)?.[1] ?? 60e3;
		from.value = localValue(c.first);
		to.value = localValue(c.last + tf);
	}
	series.addEventListener('change', pickSeries);

	function fieldError(e: unknown): void {
		form.querySelectorAll('[aria-invalid]').forEach((x) => x.removeAttribute('aria-invalid'));
		form.querySelectorAll('.field-error').forEach((x) => x.remove());
		showError(err, e);
		if (!(e instanceof ApiError) || !e.field)
			return;
		const f = e.field;
		const at = form.querySelector<HTMLElement>(`[data-field="${CSS.escape(f)}"]`) ??
			form.querySelector<HTMLElement>(`[data-field="${CSS.escape(f.split('.')[0])}"]`);
		if (!at)
			return;
		at.setAttribute('aria-invalid', 'true');
		(at.closest('.param') ?? at.closest('.field') ?? at).after(h('p', { class: 'field-error error', role: 'alert' }, e.message));
		at.focus();
	}

	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		fieldError(null);
		ok.textContent = '';
		const c = stored[Number(series.value)];
		if (!c) {
			fieldError(new Error('no stored candles to run on: import some (quantctl data import) or let the daemon store its feeds'));
			return;
		}
		const f = Date.parse(from.value + 'Z'), t = Date.parse(to.value + 'Z');
		const queued = (j: jobs.Job): void => {
			ok.textContent = `job #${j.id} queued`;
			done(j);
		};
		if (isChan()) {
			const creq: jobs.JobRequest = { data: { exchange: c.exchange, symbol: c.symbol, timeframe: c.timeframe, from: f, to: t } };
			if (gap.value !== '')
				creq.min_gap = Number(gap.value);
			jobs.submitJob('chan', creq).then(queued).catch(fieldError);
			return;
		}
		const req: jobs.JobRequest = {
			strategy: strategy.value, params: {},
			data: { exchange: c.exchange, symbol: c.symbol, timeframe: c.timeframe, from: f, to: t },
		};
		if (cash.value !== '')
			req.cash = Number(cash.value);
		if (fee.value !== '')
			req.fee_rate = Number(fee.value);
		const grid: Record<string, jobs.Axis> = {};
		for (const s of specs) {
			const el = form.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${CSS.escape(s.name)}"]`);
			const g = (k: string): string => form.querySelector<HTMLInputElement>(`[name="${CSS.escape(`grid.${s.name}.${k}`)}"]`)?.value ?? '';
			if (isGrid() && g('min') !== '' && g('max') !== '') {
				grid[s.name] = { min: Number(g('min')), max: Number(g('max')), step: g('step') === '' ? 1 : Number(g('step')) };
				continue;
			}
			// Only what differs from the default: the job reads as it was meant.
			if (!el || el.value === '' || (s.default !== undefined && el.value === String(s.default)))
				continue;
			req.params![s.name] = s.type === 'int' || s.type === 'double' ? Number(el.value) :
				s.type === 'bool' ? el.value === 'true' : el.value;
		}
		let k: 'backtest' | 'optimize' = 'backtest';
		if (isGrid()) {
			k = 'optimize';
			req.grid = grid;
			req.objective = objective.value;
			if (kind.value === 'walkforward')
				req.walk_forward = { train: Number(train.value), test: Number(test.value) };
		} else if (Number.isFinite(f) && Number.isFinite(t)) {
			req.equity_every = equityEvery(f, t, c.timeframe);
		}
		jobs.submitJob(k, req).then(queued).catch(fieldError);
	});

	Promise.all([jobs.strategyNames(), jobs.coverage()]).then(([names, cov]) => {
		replace(strategy, ...names.map((n) => h('option', { value: n }, n)));
		// A Chan analysis is made by the chan strategy plugin.
		chanKind.disabled = !names.includes('chan');
		chanKind.title = chanKind.disabled ? 'no chan strategy plugin is installed on this daemon' : '';
		stored = cov;
		replace(series, ...cov.map((c, i) => h('option', { value: String(i) },
			`${c.exchange} · ${c.symbol} · ${c.timeframe} (${num(c.count)} candles)`)));
		if (names.length)
			pickStrategy();
		pickSeries();
	}).catch((e) => showError(err, e));
	return form;
}
