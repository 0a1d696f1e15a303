// overlays.ts -- what the K-line chart draws over its candles besides
// orders and fills: a backtest's trades (entry and exit markers) and its
// strategy's Chan annotations (strokes and segments as lines, pivot zones
// as boxes, what is still provisional dashed and lighter, buy/sell points
// and fractals as markers; all one layer of the chart), or a Chan analysis
// job's structures drawn the same way (chanAnnotations()), sent from the
// backtests page with showOnChart(); a running strategy instance's
// annotations, live from its annotations channel; and the average entry
// price of each open position in the market shown and its risk rules'
// exits, live from the positions channel.
import type { Chart, OverlayCreateFiguresCallbackParams, OverlayFigure } from 'klinecharts';
import { call } from './api';
import { css, field, h, num, replace } from './dom';
import type { Annotation, ChanResult, Trade } from './jobs';
import { addPriceLine, markerFigures, priceLines, setLayer, type Marker } from './kline';
import { follow } from './live';
import type { Market } from './routes';

/**
 * A Chan analysis's structures as the chan strategy annotates them
 * (docs/chan.md: the result regroups those annotations by kind, a
 * stroke's ends as fractals), so both are drawn by one path.
 */
export function chanAnnotations(r: ChanResult): Annotation[] {
	const out: Annotation[] = [];
	const add = (kind: string, ts: number, data: object): void => {
		out.push({ kind, ts, data: data as Record<string, unknown> });
	};
	r.fractals.forEach((f) => add('chan.fractal', f.ts, f));
	r.strokes.forEach((s) => add('chan.stroke', s.to.ts, {
		dir: s.dir, from_ts: s.from.ts, from: s.from.price, to_ts: s.to.ts, to: s.to.price, macd_area: s.macd_area,
	}));
	r.segments.forEach((g) => add('chan.segment', g.to_ts, g));
	r.pivots.forEach((p) => add('chan.pivot', p.to_ts, p));
	r.points.forEach((p) => add('chan.point', p.ts, p));
	return out;
}

/** A backtest to draw: its market, trades and annotations. */
export interface BacktestOverlay {
	label: string; market: Market; timeframe: string;
	trades: Trade[]; annotations: Annotation[];
}

let current: BacktestOverlay | null = null;

/**
 * Opens the chart on the backtest's market and timeframe with its trades
 * and annotations drawn (until cleared there or another is shown).
 */
export function showOnChart(o: BacktestOverlay): void {
	current = o;
	sessionStorage.setItem('quantd.market', `${o.market.exchange} ${o.market.symbol}`);
	sessionStorage.setItem('quantd.tf', o.timeframe);
	location.hash = '#/chart';
}

/** The Chan layers, each with its own switch. */
const LAYERS = [
	['stroke', 'Strokes'], ['segment', 'Segments'], ['pivot', 'Pivot zones'],
	['point', 'Buy/sell points'], ['fractal', 'Fractals'],
] as const;
type Layer = typeof LAYERS[number][0];

interface Line { t0: number; p0: number; t1: number; p1: number; up: boolean; final: boolean }
interface Box { t0: number; t1: number; lo: number; hi: number; final: boolean }

const num2 = (v: unknown): number => (typeof v === 'number' ? v : NaN);

/* Strokes, segments and pivot zones, drawn on the candles' pane at the
 * bars of their times (the nearest bar when the chart's timeframe is
 * another than the run's); what is still provisional ("final": false: the
 * last stroke, a pivot no stroke has left yet) dashed and lighter. */
class ChanShapes {
	strokes: Line[] = [];
	segments: Line[] = [];
	boxes: Box[] = [];
	on = new Set<Layer>(['stroke', 'segment', 'pivot', 'point']);
	/** What the last paint drew of each (a layer switched off: 0). */
	painted = { stroke: 0, segment: 0, pivot: 0, provisional: 0 };
	/** Called after a paint that drew other counts than the one before. */
	onPaint: () => void = () => {};
	bucket: (ms: number) => number = (ms) => ms;
	/** Whether a time (ms) falls on the candles shown. */
	within: (ms: number) => boolean = () => true;

	figures(p: OverlayCreateFiguresCallbackParams<unknown>): OverlayFigure[] {
		const out: OverlayFigure[] = [];
		const xa = p.xAxis, ya = p.yAxis;
		if (!xa || !ya)
			return out;
		const x = (ms: number): number | null => (this.within(ms) ? xa.convertTimestampToPixel(this.bucket(ms)) : null);
		const y = (v: number): number | null => (Number.isFinite(v) ? ya.convertToPixel(v) : null);
		const painted = { stroke: 0, segment: 0, pivot: 0, provisional: 0 };
		if (this.on.has('pivot')) {
			for (const b of this.boxes) {
				const x0 = x(b.t0), x1 = x(b.t1), y0 = y(b.hi), y1 = y(b.lo);
				if (x0 === null || x1 === null || y0 === null || y1 === null)
					continue;
				painted.pivot++;
				painted.provisional += b.final ? 0 : 1;
				out.push({
					type: 'rect', ignoreEvent: true,
					attrs: { x: x0, y: y0, width: Math.max(2, x1 - x0), height: Math.max(1, y1 - y0) },
					styles: {
						style: 'stroke_fill', color: b.final ? css('--pivot') : css('--pivot-soft'),
						borderColor: css('--pivot-edge'), borderSize: 1,
						borderStyle: b.final ? 'solid' : 'dashed', borderDashedValue: [4, 3],
					},
				});
			}
		}
		const lines = (list: Line[], color: string, soft: string, width: number): number => {
			let n = 0;
			for (const l of list) {
				const x0 = x(l.t0), x1 = x(l.t1), y0 = y(l.p0), y1 = y(l.p1);
				if (x0 === null || x1 === null || y0 === null || y1 === null)
					continue;
				out.push({
					type: 'line', ignoreEvent: true, attrs: { coordinates: [{ x: x0, y: y0 }, { x: x1, y: y1 }] },
					styles: l.final ? { style: 'solid', size: width, color } :
						{ style: 'dashed', dashedValue: [5, 4], size: width, color: soft },
				});
				n++;
				painted.provisional += l.final ? 0 : 1;
			}
			return n;
		};
		if (this.on.has('segment'))
			painted.segment = lines(this.segments, css('--segment'), css('--segment-soft'), 3);
		if (this.on.has('stroke'))
			painted.stroke = lines(this.strokes, css('--stroke'), css('--stroke-soft'), 1.5);
		const was = this.painted;
		this.painted = painted;
		if (was.stroke !== painted.stroke || was.segment !== painted.segment || was.pivot !== painted.pivot ||
			was.provisional !== painted.provisional)
			this.onPaint();
		return out;
	}
}

/** The chart's overlays: attach once, then tell them the market shown. */
export interface Overlays {
	/** The controls and the backtest's summary, for the chart's panel. */
	el: HTMLElement;
	/** The market and timeframe (s) now shown; again when older candles
	 *  were added (what falls on them is drawn). */
	setMarket: (m: Market, tfSeconds: number) => void;
	/** The theme changed: drawn again in its colours. */
	restyle: () => void;
	stop: () => void;
}

interface Position {
	account?: string; instance?: string; symbol: string; qty: number; avg_price: number;
	/** where the risk engine's position rules would close it */
	sl_price?: number; tp_price?: number;
}

/** The overlays of the chart page's candles. */
export function chartOverlays(chart: Chart, box: HTMLElement): Overlays {
	const shapes = new ChanShapes();
	// What was painted, for whoever reads the page (and its tests).
	shapes.onPaint = () => {
		box.dataset.chanStrokes = String(shapes.painted.stroke);
		box.dataset.chanSegments = String(shapes.painted.segment);
		box.dataset.chanPivots = String(shapes.painted.pivot);
		box.dataset.chanProvisional = String(shapes.painted.provisional);
	};
	const el = h('div', { class: 'overlays', id: 'overlays' });
	let market: Market | null = null;
	let tf = 60;
	const positions = new Map<string, Position>();
	// A running instance's annotations, followed while one is chosen.
	const LIVE_KEY = 'quantd.annotations';
	let liveName = sessionStorage.getItem(LIVE_KEY) ?? '';
	let live: Annotation[] = [];
	let unfollowLive: (() => void) | null = null;
	let pending = 0;
	let stopped = false;   /* the chart is gone: draw nothing more */
	const liveSel = h('select', { id: 'annotations-of' }, h('option', { value: '' }, 'none'));

	const bucket = (ms: number): number => Math.floor(ms / 1000 / tf) * tf * 1000;
	shapes.bucket = bucket;
	// The candles' first and last times: structures outside them are
	// not drawn (the nearest bar would misplace them).
	const within = (ms: number): boolean => {
		const list = chart.getDataList();
		const t = bucket(ms);
		return list.length > 0 && t >= list[0].timestamp && t <= list[list.length - 1].timestamp;
	};
	shapes.within = within;

	function shown(): BacktestOverlay | null {
		return current && market && current.market.exchange === market.exchange &&
			current.market.symbol === market.symbol ? current : null;
	}

	/* The backtest's trades and Chan points/fractals as markers, its
	 * other structures as shapes; the markers of points and fractals
	 * drawn at the last paint counted on the box. */
	const marked = { point: -1, fractal: -1 };
	function draw(): void {
		if (stopped)
			return;
		const o = shown();
		const list: Array<Marker & { kind: string }> = [];
		shapes.strokes = [];
		shapes.segments = [];
		shapes.boxes = [];
		const counts: Record<string, number> = { trades: 0, stroke: 0, segment: 0, pivot: 0, point: 0, fractal: 0 };
		for (const t of o?.trades ?? []) {
			if (t.symbol !== o?.market.symbol)
				continue;
			const long = t.side === 'long';
			counts.trades++;
			list.push({
				kind: 'trade', ts: bucket(t.entry_ts), above: !long, shape: 'arrow', color: css('--accent'),
				text: `${long ? 'long' : 'short'} ${num(t.qty)} @ ${num(t.entry_price)}`,
			});
			if (t.exit_ts !== null && t.exit_price !== null)
				list.push({
					kind: 'trade', ts: bucket(t.exit_ts), above: long, shape: 'arrow', color: t.pnl >= 0 ? css('--up') : css('--down'),
					text: `exit @ ${num(t.exit_price)} (${t.pnl >= 0 ? '+' : ''}${num(t.pnl, 2)})`,
				});
		}
		for (const a of [...(o?.annotations ?? []), ...live]) {
			const d = a.data;
			const final = d.final !== false;
			switch (a.kind) {
			case 'chan.stroke':
				counts.stroke++;
				shapes.strokes.push({ t0: num2(d.from_ts), p0: num2(d.from), t1: num2(d.to_ts), p1: num2(d.to), up: d.dir === 'up', final });
				break;
			case 'chan.segment': {
				const up = d.dir === 'up';
				counts.segment++;
				shapes.segments.push({
					t0: num2(d.from_ts), p0: num2(up ? d.low : d.high),
					t1: num2(d.to_ts), p1: num2(up ? d.high : d.low), up, final,
				});
				break;
			}
			case 'chan.pivot':
				counts.pivot++;
				shapes.boxes.push({ t0: num2(d.from_ts), t1: num2(d.to_ts), lo: num2(d.zd), hi: num2(d.zg), final });
				break;
			case 'chan.point':
				counts.point++;
				if (shapes.on.has('point') && within(num2(d.ts)))
					list.push({
						kind: 'point', ts: bucket(num2(d.ts)), above: d.side !== 'buy', shape: 'circle',
						color: d.side === 'buy' ? css('--up') : css('--down'),
						text: `${d.side === 'buy' ? 'B' : 'S'}${String(d.class)}`,
					});
				break;
			case 'chan.fractal':
				counts.fractal++;
				if (shapes.on.has('fractal') && within(num2(d.ts)))
					list.push({
						kind: 'fractal', ts: bucket(num2(d.ts)), above: d.type === 'top', shape: 'square', size: 0.4,
						color: css('--muted'),
					});
				break;
			default:
				break;
			}
		}
		setLayer(chart, 'chan', (p) => {
			const n = { point: 0, fractal: 0 };
			const figs = [...shapes.figures(p), ...markerFigures(p, list, (m) => {
				const k = (m as Marker & { kind: string }).kind;
				if (k === 'point' || k === 'fractal')
					n[k]++;
			})];
			if (n.point !== marked.point || n.fractal !== marked.fractal) {
				marked.point = n.point;
				marked.fractal = n.fractal;
				box.dataset.chanPoints = String(n.point);
				box.dataset.chanFractals = String(n.fractal);
			}
			return figs;
		});
		box.dataset.btTrades = String(counts.trades);
		box.dataset.chan = String(counts.stroke + counts.segment + counts.pivot + counts.point + counts.fractal);
		controls(o, counts);
	}

	/* The controls, made once (a redraw keeps the keyboard's focus):
	 * whose annotations, what is drawn, the Chan layers' switches. */
	const label = h('span', { id: 'overlay-label' });
	const chanCount = h('span', { id: 'chan-count' });
	const layerCounts = new Map<Layer, HTMLElement>();
	const layers = h('fieldset', { class: 'layers' }, h('legend', {}, 'Chan layers'), ...LAYERS.map(([k, t]) => {
		const cb = h('input', { type: 'checkbox', 'data-layer': k, checked: shapes.on.has(k) });
		cb.addEventListener('change', () => {
			if (cb.checked)
				shapes.on.add(k);
			else
				shapes.on.delete(k);
			draw();
		});
		const n = h('span', {});
		layerCounts.set(k, n);
		return h('label', {}, cb, ` ${t} `, n);
	}));
	const clear = h('button', { type: 'button', class: 'small', id: 'overlay-clear' }, 'Clear');
	clear.addEventListener('click', () => { current = null; draw(); });
	label.hidden = chanCount.hidden = layers.hidden = clear.hidden = true;
	replace(el, h('div', { class: 'toolbar' }, field('Annotations of', liveSel), label, chanCount, layers, clear));

	function controls(o: BacktestOverlay | null, counts: Record<string, number>): void {
		const chan = counts.stroke + counts.segment + counts.pivot + counts.point + counts.fractal;
		label.textContent = current && !o ? `${current.label} is drawn on ${current.market.exchange} · ${current.market.symbol}.` :
			o && o.trades.length === 0 && o.annotations.length > 0 ? o.label :
				o ? `${o.label}: ${counts.trades} ${counts.trades === 1 ? 'trade' : 'trades'}` : '';
		label.hidden = !current;
		clear.hidden = !current;
		clear.setAttribute('aria-label', current ? `Clear ${current.label} from the chart` : 'Clear');
		chanCount.textContent = `${chan} Chan structures`;
		chanCount.hidden = layers.hidden = chan === 0;
		layerCounts.forEach((n, k) => { n.textContent = `(${counts[k]})`; });
	}

	/* Follow the chosen instance's annotations channel (none: ''). */
	function followLive(name: string): void {
		unfollowLive?.();
		unfollowLive = null;
		live = [];
		liveName = name;
		sessionStorage.setItem(LIVE_KEY, name);
		draw();
		if (!name)
			return;
		unfollowLive = follow('annotations.' + name, (m) => {
			if (m.type === 'snapshot')
				live = (m.data as { annotations?: Annotation[] } | null)?.annotations ?? [];
			else if (m.type === 'annotation')
				live.push(m.data as Annotation);
			else
				return;
			// One redraw a frame however fast they come.
			if (!pending)
				pending = requestAnimationFrame(() => { pending = 0; draw(); });
		});
	}
	liveSel.addEventListener('change', () => followLive(liveSel.value));
	call<{ instances: Array<{ name: string; kind?: string }> }>('GET', '/api/v1/instances').then((r) => {
		if (stopped)
			return;
		const names = r.instances.filter((i) => i.kind === 'strategy').map((i) => i.name).sort();
		replace(liveSel, h('option', { value: '' }, 'none'), ...names.map((n) => h('option', { value: n }, n)));
		if (names.includes(liveName)) {
			liveSel.value = liveName;
			followLive(liveName);
		}
	}).catch(() => { /* the select stays at none */ });

	/* A line at the average entry price of each open position in the
	 * market's symbol. */
	function drawPositions(): void {
		chart.removeOverlay({ groupId: 'positions' });
		chart.removeOverlay({ groupId: 'risk' });
		for (const p of positions.values()) {
			if (!market || p.symbol !== market.symbol || p.qty === 0 || !(p.avg_price > 0))
				continue;
			const who = p.instance ?? p.account ?? '';
			addPriceLine(chart, 'positions', p.avg_price, {
				kind: 'position', color: css('--accent'), width: 2, dash: [],
				title: `${who} ${p.qty > 0 ? 'long' : 'short'} ${num(Math.abs(p.qty))}`,
			});
			// The risk rules' exits of this position (sent again as they move).
			for (const [price, what, color] of [[p.sl_price, 'SL', '--down'], [p.tp_price, 'TP', '--up']] as const) {
				if (!(price && price > 0))
					continue;
				addPriceLine(chart, 'risk', price, {
					kind: what.toLowerCase(), color: css(color), width: 1, dash: [8, 5], title: `${who} risk ${what}`,
				});
			}
		}
		box.dataset.positions = String(priceLines(chart, 'positions').length);
		box.dataset.riskLines = String(priceLines(chart, 'risk').length);
	}

	const unfollow = follow('positions', (m) => {
		const key = (p: Position): string => `${p.account ?? p.instance ?? ''} ${p.symbol}`;
		if (m.type === 'snapshot') {
			positions.clear();
			for (const p of (m.data as { positions?: Position[] } | null)?.positions ?? [])
				positions.set(key(p), p);
		} else if (m.type === 'position') {
			const p = m.data as Position;
			positions.set(key(p), p);
		} else {
			return;
		}
		if (!stopped)
			drawPositions();
	});

	return {
		el,
		setMarket: (m, s) => {
			market = m;
			tf = s;
			draw();
			drawPositions();
		},
		restyle: () => {
			draw();
			drawPositions();
		},
		stop: () => {
			stopped = true;
			unfollow();
			unfollowLive?.();
			cancelAnimationFrame(pending);
		},
	};
}
