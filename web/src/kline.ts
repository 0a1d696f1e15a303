// kline.ts -- the chart page's K-line as klinecharts holds it: the chart
// (its candle pane and a volume pane under it) styled by the page's
// theme, live candles turned into the chart's bars (the REST history's
// rows are bars already: routes.ts), and what the chart page
// draws on it besides: price lines (an overlay each, so the chart's own
// overlays say which lines are drawn) and layers (one overlay that draws
// a whole list of shapes and markers at the bars of their times, and
// reports what it drew).  The 100 k-candle paint of the browser suite and
// bench (tests/bench/chart_paint.mjs) bundles this file, so it times what
// the page does.
import {
	init, registerIndicator, registerOverlay, type Chart, type DeepPartial, type KLineData,
	type OverlayCreateFiguresCallbackParams, type OverlayFigure, type Period, type Styles,
} from 'klinecharts';
import { css, num } from './dom';

/** The candles' pane and the volume's. */
export const CANDLE_PANE = 'candle_pane';
export const VOLUME_PANE = 'volume_pane';

/** The chart and its volume indicator's id (null: drawn without). */
export interface Kline {
	chart: Chart;
	volume: string | null;
}

/** The chart's colours from the page's theme now. */
export function klineStyles(): DeepPartial<Styles> {
	const fg = css('--fg'), muted = css('--muted'), line = css('--line'), grid = css('--grid');
	const up = css('--up'), down = css('--down'), panel = css('--panel');
	const axis = { axisLine: { color: line }, tickLine: { color: line }, tickText: { color: muted } };
	const cross = { line: { color: muted }, text: { color: panel, backgroundColor: muted, borderColor: muted } };
	return {
		grid: { horizontal: { color: grid }, vertical: { color: grid } },
		candle: {
			bar: {
				upColor: up, downColor: down, noChangeColor: muted,
				upBorderColor: up, downBorderColor: down, noChangeBorderColor: muted,
				upWickColor: up, downWickColor: down, noChangeWickColor: muted,
			},
			priceMark: {
				high: { color: fg }, low: { color: fg },
				last: { upColor: up, downColor: down, noChangeColor: muted },
			},
			tooltip: { showRule: 'follow_cross', title: { color: fg }, legend: { color: fg } },
		},
		indicator: {
			bars: [{ upColor: css('--up-soft'), downColor: css('--down-soft'), noChangeColor: muted }],
			tooltip: { title: { color: fg }, legend: { color: fg } },
		},
		xAxis: axis,
		yAxis: axis,
		separator: { color: line },
		crosshair: { horizontal: cross, vertical: cross },
	};
}

/** A timeframe in seconds as the chart's period. */
export function period(s: number): Period {
	if (s % 604800 === 0)
		return { type: 'week', span: s / 604800 };
	if (s % 86400 === 0)
		return { type: 'day', span: s / 86400 };
	if (s % 3600 === 0)
		return { type: 'hour', span: s / 3600 };
	return { type: 'minute', span: Math.max(1, Math.round(s / 60)) };
}

/*
 * A layer: one overlay on the candles' pane whose figures are whatever
 * its draw function (its extendData) makes of the chart now, called at
 * each paint.  A price line: a line across the pane at its price with its
 * title, and the price on the axis.
 */
export type LayerDraw = (p: OverlayCreateFiguresCallbackParams<unknown>) => OverlayFigure[];

/** A price line's look and what it is. */
export interface PriceLine {
	kind: string; title: string; color: string; width: number; dash: number[];
}

registerOverlay<LayerDraw>({
	name: 'qdLayer', totalStep: 1, lock: true,
	createPointFigures: (p) => p.overlay.extendData(p as OverlayCreateFiguresCallbackParams<unknown>),
});

const PLAIN_TEXT = {
	backgroundColor: 'transparent', borderSize: 0, borderColor: 'transparent',
	paddingLeft: 0, paddingRight: 0, paddingTop: 0, paddingBottom: 0, size: 11,
};

registerOverlay<PriceLine>({
	name: 'qdLine', totalStep: 2, lock: true,
	createPointFigures: ({ coordinates, bounding, overlay }) => {
		const d = overlay.extendData, y = coordinates[0].y;
		return [
			{
				type: 'line', ignoreEvent: true, attrs: { coordinates: [{ x: 0, y }, { x: bounding.width, y }] },
				styles: { style: d.dash.length ? 'dashed' : 'solid', dashedValue: d.dash, size: d.width, color: d.color },
			},
			{
				type: 'text', ignoreEvent: true, attrs: { x: 4, y: y - 2, text: d.title, baseline: 'bottom' },
				styles: { ...PLAIN_TEXT, color: d.color },
			},
		];
	},
	createYAxisFigures: ({ coordinates, overlay }) => {
		const d = overlay.extendData;
		return [{
			type: 'text', ignoreEvent: true,
			attrs: { x: 0, y: coordinates[0].y, text: num(overlay.points[0].value), align: 'left', baseline: 'middle' },
			styles: { ...PLAIN_TEXT, color: '#fff', backgroundColor: d.color, paddingLeft: 3, paddingRight: 3, paddingTop: 2, paddingBottom: 2 },
		}];
	},
});

/*
 * An indicator computed elsewhere (the server): its values come with
 * each instance, as its own calc (indicators.ts).
 */
registerIndicator({ name: 'qdIndicator', calc: () => [], figures: [] });

/*
 * The volume: a bar per candle in the colour of its candle's direction.
 * Its values are the chart's bars themselves (each has its volume, open
 * and close): no copy of 100 k rows for it.
 */
registerIndicator<KLineData>({
	name: 'qdVolume', shortName: 'VOL', series: 'volume', precision: 0, minValue: 0, shouldFormatBigNumber: true,
	figures: [{
		key: 'volume', title: 'VOL: ', type: 'bar', baseValue: 0,
		styles: ({ data, defaultStyles }) => {
			const b = data.current, c = defaultStyles?.bars[0];
			return { color: !b || !c ? undefined : b.close > b.open ? c.upColor : b.close < b.open ? c.downColor : c.noChangeColor };
		},
	}],
	calc: (list) => list,
});

/** The chart in `box` (its size), coloured by the page's theme; its
 *  volume in a pane under the candles unless `volume` is false. */
export function klineChart(box: HTMLElement, volume = true): Kline {
	const chart = init(box, { styles: klineStyles(), timezone: 'UTC', locale: 'en-US', hotkey: { enabled: false } });
	if (!chart)
		throw new Error('the chart could not be made');
	chart.setBarSpace(8);
	chart.setOffsetRightDistance(64);
	const vol = volume ? chart.createIndicator({ name: 'qdVolume', paneId: VOLUME_PANE }) : null;
	if (vol)
		chart.setPaneOptions({ id: VOLUME_PANE, height: 80 });
	return { chart, volume: vol };
}

/** A candle of the candles channel (its open time `ts`) as the chart's bar. */
export function bar(c: { ts: number; open: number; high: number; low: number; close: number; volume: number }): KLineData {
	return { timestamp: c.ts, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume };
}

/** The index of the bar at `ts` (ms) in `list` (oldest first), or -1. */
export function barIndex(list: KLineData[], ts: number): number {
	let lo = 0, hi = list.length - 1;
	while (lo <= hi) {
		const mid = (lo + hi) >> 1, t = list[mid].timestamp;
		if (t === ts)
			return mid;
		if (t < ts)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/** Draws `draw` as the layer `id` on the candles' pane (made the first
 *  time, its function replaced after). */
export function setLayer(chart: Chart, id: string, draw: LayerDraw): void {
	if (chart.getOverlays({ id }).length > 0)
		chart.overrideOverlay({ id, extendData: draw });
	else
		chart.createOverlay({ name: 'qdLayer', id, paneId: CANDLE_PANE, points: [{ dataIndex: 0, value: 0 }], extendData: draw, lock: true });
}

/** Draws a price line at `price` in the group `group`; its id. */
export function addPriceLine(chart: Chart, group: string, price: number, line: PriceLine): string {
	const id = chart.createOverlay({
		name: 'qdLine', groupId: group, paneId: CANDLE_PANE, lock: true,
		points: [{ dataIndex: 0, value: price }], extendData: line,
	});
	return typeof id === 'string' ? id : '';
}

/** The price lines of a group as the chart has them. */
export function priceLines(chart: Chart, group: string): Array<PriceLine & { price: number }> {
	return chart.getOverlays({ name: 'qdLine', groupId: group }).map((o) => ({
		...(o.extendData as PriceLine), price: o.points[0]?.value ?? NaN,
	}));
}

/** A marker on a bar: above or below it, an arrow, a dot or a square. */
export interface Marker {
	/** the bar's time (ms) */
	ts: number;
	above: boolean;
	shape: 'arrow' | 'circle' | 'square';
	color: string;
	text?: string;
	/** scale of the shape (1: normal) */
	size?: number;
}

/** The figures of `markers` at their bars (those on no bar: none);
 *  `drawn` gets how many were. */
export function markerFigures(p: OverlayCreateFiguresCallbackParams<unknown>, markers: Marker[],
	drawn: (m: Marker) => void = () => {}): OverlayFigure[] {
	const list = p.chart.getDataList();
	const out: OverlayFigure[] = [];
	if (!p.xAxis || !p.yAxis || list.length === 0)
		return out;
	const half = Math.max(2, Math.min(6, p.chart.getBarSpace().bar / 2));
	/* markers stacked on one bar's side move further out */
	const stack = new Map<string, number>();
	for (const m of markers) {
		const i = barIndex(list, m.ts);
		if (i < 0)
			continue;
		drawn(m);
		const b = list[i], x = p.xAxis.convertToPixel(i), r = half * (m.size ?? 1);
		const side = `${i} ${m.above}`, n = stack.get(side) ?? 0;
		stack.set(side, n + 1);
		const off = 4 + r + n * (2 * r + 3);
		const y = m.above ? p.yAxis.convertToPixel(b.high) - off : p.yAxis.convertToPixel(b.low) + off;
		if (m.shape === 'arrow') {
			const dir = m.above ? 1 : -1;   /* above the bar: pointing down */
			out.push({
				type: 'polygon', ignoreEvent: true, styles: { style: 'fill', color: m.color },
				attrs: { coordinates: [{ x: x - r, y: y - dir * r }, { x: x + r, y: y - dir * r }, { x, y: y + dir * r }] },
			});
		} else if (m.shape === 'circle') {
			out.push({ type: 'circle', ignoreEvent: true, attrs: { x, y, r }, styles: { style: 'fill', color: m.color } });
		} else {
			out.push({ type: 'rect', ignoreEvent: true, attrs: { x: x - r, y: y - r, width: 2 * r, height: 2 * r }, styles: { style: 'fill', color: m.color } });
		}
		if (m.text)
			out.push({
				type: 'text', ignoreEvent: true,
				attrs: { x, y: m.above ? y - r - 2 : y + r + 2, text: m.text, align: 'center', baseline: m.above ? 'bottom' : 'top' },
				styles: { ...PLAIN_TEXT, color: m.color },
			});
	}
	return out;
}

/** The panes in the chart's order (0: the candles'), by id. */
export function paneIndex(chart: Chart, id: string): number {
	const panes = chart.getPaneOptions();
	return (Array.isArray(panes) ? panes : []).filter((p) => p.id !== 'x_axis_pane').findIndex((p) => p.id === id);
}

/*
 * A line of values over time (a backtest's equity) in the chart's candle
 * pane, drawn as an area, and a second series (its drawdown) in a pane
 * under it; the whole of both in view.  `points`: [ms, value], oldest
 * first, one per time.
 */
export function valuesChart(box: HTMLElement, points: Array<[number, number]>,
	lower: { title: string; values: number[]; color: string }): Chart {
	const accent = css('--accent');
	const chart = init(box, {
		styles: klineStyles(), timezone: 'UTC', locale: 'en-US', hotkey: { enabled: false },
		layout: { barSpaceLimit: { min: 0.01 } },
	});
	if (!chart)
		throw new Error('the chart could not be made');
	chart.setStyles({
		candle: {
			type: 'area',
			area: { lineColor: accent, lineSize: 2, backgroundColor: 'transparent', point: { show: false } },
			priceMark: { high: { show: false }, low: { show: false } },
		},
	});
	const bars: KLineData[] = points.map(([t, v]) => ({ timestamp: t, open: v, high: v, low: v, close: v }));
	chart.createIndicator({
		name: 'qdIndicator', id: 'lower', shortName: lower.title, paneId: 'lower_pane', precision: 2,
		figures: [{ key: 'v', title: '', type: 'line', styles: () => ({ color: lower.color }) }],
		calc: (list) => list.map((_, i) => ({ v: lower.values[i] })),
	});
	chart.setPaneOptions({ id: 'lower_pane', height: 110 });
	chart.setDataLoader({ getBars: ({ callback }) => callback(bars, false) });
	chart.setOffsetRightDistance(0);
	chart.setPeriod(period(60));
	chart.setSymbol({ ticker: 'values' });
	const width = chart.getSize(CANDLE_PANE, 'main')?.width ?? box.clientWidth;
	chart.setBarSpace(Math.max(0.01, width / Math.max(1, bars.length)));
	chart.scrollToRealTime();
	return chart;
}
