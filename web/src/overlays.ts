// overlays.ts -- what the K-line chart draws over its candles besides
// orders and fills: a backtest's trades (entry and exit markers) and its
// strategy's Chan annotations (strokes and segments as lines, pivot zones
// as boxes, buy/sell points and fractals as markers), or a Chan analysis
// job's structures drawn the same way (chanAnnotations()), sent from the
// backtests page with showOnChart(); a running strategy instance's
// annotations, live from its annotations channel; and the average entry
// price of each open position in the market shown, live from the
// positions channel.
import {
	LineStyle, MismatchDirection, createSeriesMarkers, type IPriceLine, type ISeriesApi,
	type ISeriesPrimitive, type IPrimitivePaneRenderer, type IPrimitivePaneView,
	type Logical, type SeriesAttachedParameter, type SeriesMarker, type Time, type UTCTimestamp,
} from 'lightweight-charts';
import type { CanvasRenderingTarget2D } from 'fancy-canvas';
import { call } from './api';
import { field, h, num, replace } from './dom';
import type { Annotation, ChanResult, Trade } from './jobs';
import { follow } from './live';
import { css } from './plots';
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

interface Line { t0: number; p0: number; t1: number; p1: number; up: boolean }
interface Box { t0: number; t1: number; lo: number; hi: number; final: boolean }

const num2 = (v: unknown): number => (typeof v === 'number' ? v : NaN);

/* Strokes, segments and pivot zones, drawn on the candles' pane at
 * the bars of their times (the nearest bar when the chart's timeframe
 * is another than the run's). */
class ChanShapes implements ISeriesPrimitive<Time> {
	strokes: Line[] = [];
	segments: Line[] = [];
	boxes: Box[] = [];
	on = new Set<Layer>(['stroke', 'segment', 'pivot', 'point']);
	/** What the last paint drew of each (a layer switched off: 0). */
	painted = { stroke: 0, segment: 0, pivot: 0 };
	/** Called after a paint that drew other counts than the one before. */
	onPaint: () => void = () => {};
	private chart: SeriesAttachedParameter<Time>['chart'] | null = null;
	private series: SeriesAttachedParameter<Time>['series'] | null = null;
	private request: (() => void) | null = null;
	bucket: (ms: number) => number = (ms) => ms / 1000;
	/** Whether a time (ms) falls on the candles shown. */
	within: (ms: number) => boolean = () => true;

	attached(p: SeriesAttachedParameter<Time>): void {
		this.chart = p.chart;
		this.series = p.series;
		this.request = p.requestUpdate;
	}

	detached(): void {
		this.chart = null;
		this.series = null;
		this.request = null;
	}

	update(): void {
		this.request?.();
	}

	private x(ms: number): number | null {
		const ts = this.chart?.timeScale();
		if (!ts || !this.within(ms))
			return null;
		const i = ts.timeToIndex(this.bucket(ms) as UTCTimestamp, true);
		return i === null ? null : ts.logicalToCoordinate(i as unknown as Logical);
	}

	paneViews(): readonly IPrimitivePaneView[] {
		const self = this;
		const renderer: IPrimitivePaneRenderer = {
			draw(target: CanvasRenderingTarget2D) {
				target.useMediaCoordinateSpace(({ context: g }) => self.draw(g));
			},
		};
		return [{ zOrder: () => 'normal', renderer: () => renderer }];
	}

	private draw(g: CanvasRenderingContext2D): void {
		const s = this.series;
		if (!s)
			return;
		const y = (p: number): number | null => s.priceToCoordinate(p);
		const painted = { stroke: 0, segment: 0, pivot: 0 };
		if (this.on.has('pivot')) {
			for (const b of this.boxes) {
				const x0 = this.x(b.t0), x1 = this.x(b.t1), y0 = y(b.hi), y1 = y(b.lo);
				if (x0 === null || x1 === null || y0 === null || y1 === null)
					continue;
				painted.pivot++;
				g.fillStyle = css('--pivot');
				g.fillRect(x0, y0, Math.max(2, x1 - x0), Math.max(1, y1 - y0));
				g.strokeStyle = css('--pivot-edge');
				g.setLineDash(b.final ? [] : [4, 3]);
				g.strokeRect(x0, y0, Math.max(2, x1 - x0), Math.max(1, y1 - y0));
			}
			g.setLineDash([]);
		}
		const lines = (list: Line[], colour: string, width: number): number => {
			let n = 0;
			g.strokeStyle = colour;
			g.lineWidth = width;
			g.beginPath();
			for (const l of list) {
				const x0 = this.x(l.t0), x1 = this.x(l.t1), y0 = y(l.p0), y1 = y(l.p1);
				if (x0 === null || x1 === null || y0 === null || y1 === null)
					continue;
				g.moveTo(x0, y0);
				g.lineTo(x1, y1);
				n++;
			}
			g.stroke();
			return n;
		};
		if (this.on.has('segment'))
			painted.segment = lines(this.segments, css('--segment'), 3);
		if (this.on.has('stroke'))
			painted.stroke = lines(this.strokes, css('--stroke'), 1.5);
		g.lineWidth = 1;
		const was = this.painted;
		this.painted = painted;
		if (was.stroke !== painted.stroke || was.segment !== painted.segment || was.pivot !== painted.pivot)
			this.onPaint();
	}
}

/** The chart's overlays: attach once, then tell them the market shown. */
export interface Overlays {
	/** The controls and the backtest's summary, for the chart's panel. */
	el: HTMLElement;
	/** The market and timeframe (s) now shown; again when older candles
	 *  were added (what falls on them is drawn). */
	setMarket: (m: Market, tfSeconds: number) => void;
	stop: () => void;
}

interface Position {
	account?: string; instance?: string; symbol: string; qty: number; avg_price: number;
	/** where the risk engine's position rules would close it */
	sl_price?: number; tp_price?: number;
}

/** The overlays of the chart page's candles series. */
export function chartOverlays(candles: ISeriesApi<'Candlestick'>, box: HTMLElement): Overlays {
	const shapes = new ChanShapes();
	// What was painted, for whoever reads the page (and its tests).
	shapes.onPaint = () => {
		box.dataset.chanStrokes = String(shapes.painted.stroke);
		box.dataset.chanSegments = String(shapes.painted.segment);
		box.dataset.chanPivots = String(shapes.painted.pivot);
	};
	candles.attachPrimitive(shapes);
	const marks = createSeriesMarkers(candles, []);
	const el = h('div', { class: 'overlays', id: 'overlays' });
	let market: Market | null = null;
	let tf = 60;
	const positions = new Map<string, Position>();
	const posLines: IPriceLine[] = [];
	const riskLines: IPriceLine[] = [];
	// A running instance's annotations, followed while one is chosen.
	const LIVE_KEY = 'quantd.annotations';
	let liveName = sessionStorage.getItem(LIVE_KEY) ?? '';
	let live: Annotation[] = [];
	let unfollowLive: (() => void) | null = null;
	let pending = 0;
	let stopped = false;   /* the chart is gone: draw nothing more */
	const liveSel = h('select', { id: 'annotations-of' }, h('option', { value: '' }, 'none'));

	const bucket = (ms: number): number => Math.floor(ms / 1000 / tf) * tf;
	shapes.bucket = bucket;
	// The candles' first and last times (s): structures outside them are
	// not drawn (the nearest bar would misplace them).
	const within = (ms: number): boolean => {
		const first = candles.dataByIndex(0, MismatchDirection.NearestRight);
		const last = candles.dataByIndex(Number.MAX_SAFE_INTEGER, MismatchDirection.NearestLeft);
		const t = bucket(ms);
		return first !== null && last !== null && t >= (first.time as number) && t <= (last.time as number);
	};
	shapes.within = within;

	function shown(): BacktestOverlay | null {
		return current && market && current.market.exchange === market.exchange &&
			current.market.symbol === market.symbol ? current : null;
	}

	/* The backtest's trades and Chan points/fractals as markers, its
	 * other structures as shapes. */
	function draw(): void {
		if (stopped)
			return;
		const o = shown();
		const list: Array<SeriesMarker<Time>> = [];
		shapes.strokes = [];
		shapes.segments = [];
		shapes.boxes = [];
		const counts: Record<string, number> = { trades: 0, stroke: 0, segment: 0, pivot: 0, point: 0, fractal: 0 };
		/* the markers of points and fractals set on the candles */
		const marked = { point: 0, fractal: 0 };
		const mark = (m: SeriesMarker<Time>, ms: number): boolean => {
			if (!within(ms))
				return false;
			list.push(m);
			return true;
		};
		for (const t of o?.trades ?? []) {
			if (t.symbol !== o?.market.symbol)
				continue;
			const long = t.side === 'long';
			counts.trades++;
			mark({
				time: bucket(t.entry_ts) as UTCTimestamp, position: long ? 'belowBar' : 'aboveBar',
				shape: long ? 'arrowUp' : 'arrowDown', color: css('--accent'),
				text: `${long ? 'long' : 'short'} ${num(t.qty)} @ ${num(t.entry_price)}`,
			}, t.entry_ts);
			if (t.exit_ts !== null && t.exit_price !== null)
				mark({
					time: bucket(t.exit_ts) as UTCTimestamp, position: long ? 'aboveBar' : 'belowBar',
					shape: long ? 'arrowDown' : 'arrowUp', color: t.pnl >= 0 ? css('--up') : css('--down'),
					text: `exit @ ${num(t.exit_price)} (${t.pnl >= 0 ? '+' : ''}${num(t.pnl, 2)})`,
				}, t.exit_ts);
		}
		for (const a of [...(o?.annotations ?? []), ...live]) {
			const d = a.data;
			switch (a.kind) {
			case 'chan.stroke':
				counts.stroke++;
				shapes.strokes.push({ t0: num2(d.from_ts), p0: num2(d.from), t1: num2(d.to_ts), p1: num2(d.to), up: d.dir === 'up' });
				break;
			case 'chan.segment': {
				const up = d.dir === 'up';
				counts.segment++;
				shapes.segments.push({
					t0: num2(d.from_ts), p0: num2(up ? d.low : d.high),
					t1: num2(d.to_ts), p1: num2(up ? d.high : d.low), up,
				});
				break;
			}
			case 'chan.pivot':
				counts.pivot++;
				shapes.boxes.push({ t0: num2(d.from_ts), t1: num2(d.to_ts), lo: num2(d.zd), hi: num2(d.zg), final: d.final !== false });
				break;
			case 'chan.point':
				counts.point++;
				if (shapes.on.has('point') && mark({
						time: bucket(num2(d.ts)) as UTCTimestamp,
						position: d.side === 'buy' ? 'belowBar' : 'aboveBar', shape: 'circle',
						color: d.side === 'buy' ? css('--up') : css('--down'),
						text: `${d.side === 'buy' ? 'B' : 'S'}${String(d.class)}`,
					}, num2(d.ts)))
					marked.point++;
				break;
			case 'chan.fractal':
				counts.fractal++;
				if (shapes.on.has('fractal') && mark({
						time: bucket(num2(d.ts)) as UTCTimestamp,
						position: d.type === 'top' ? 'aboveBar' : 'belowBar', shape: 'square', size: 0.4,
						color: css('--muted'),
					}, num2(d.ts)))
					marked.fractal++;
				break;
			default:
				break;
			}
		}
		list.sort((a, b) => (a.time as number) - (b.time as number));
		marks.setMarkers(list);
		shapes.update();
		box.dataset.btTrades = String(counts.trades);
		box.dataset.chan = String(counts.stroke + counts.segment + counts.pivot + counts.point + counts.fractal);
		box.dataset.chanPoints = String(marked.point);
		box.dataset.chanFractals = String(marked.fractal);
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
		posLines.splice(0).forEach((l) => candles.removePriceLine(l));
		riskLines.splice(0).forEach((l) => candles.removePriceLine(l));
		for (const p of positions.values()) {
			if (!market || p.symbol !== market.symbol || p.qty === 0 || !(p.avg_price > 0))
				continue;
			const who = p.instance ?? p.account ?? '';
			posLines.push(candles.createPriceLine({
				price: p.avg_price, color: css('--accent'), lineWidth: 2, lineStyle: LineStyle.Solid,
				axisLabelVisible: true,
				title: `${who} ${p.qty > 0 ? 'long' : 'short'} ${num(Math.abs(p.qty))}`,
			}));
			// The risk rules' exits of this position (sent again as they move).
			for (const [price, what, color] of [[p.sl_price, 'SL', '--down'], [p.tp_price, 'TP', '--up']] as const) {
				if (!(price && price > 0))
					continue;
				riskLines.push(candles.createPriceLine({
					price, color: css(color), lineWidth: 1, lineStyle: LineStyle.LargeDashed,
					axisLabelVisible: true, title: `${who} risk ${what}`,
				}));
			}
		}
		box.dataset.positions = String(posLines.length);
		box.dataset.riskLines = String(riskLines.length);
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
		stop: () => {
			stopped = true;
			unfollow();
			unfollowLive?.();
			cancelAnimationFrame(pending);
		},
	};
}
