// kline.ts -- the chart page's K-line as the chart library holds it: the
// chart with its candle and volume series, and candles turned into the
// series' data (the volume bars coloured by their candle's direction, the
// theme's colours read once per call, not per bar).  The 100 k-candle
// paint of the browser suite and bench (tests/bench/chart_paint.mjs)
// bundles this file, so it times what the page does.
import {
	CandlestickSeries, ColorType, HistogramSeries, createChart, type CandlestickData,
	type HistogramData, type IChartApi, type ISeriesApi, type Time, type UTCTimestamp,
} from 'lightweight-charts';
import { css } from './plots';
import type { Candle } from './routes';

/** A chart and its two series. */
export interface Kline {
	chart: IChartApi;
	candles: ISeriesApi<'Candlestick'>;
	volume: ISeriesApi<'Histogram'>;
}

/** The colours of a rising and of a falling candle's volume bar. */
export interface VolumeColors { up: string; down: string }

/*
 * The time axis' labels as the library writes them by default (the
 * date's part for the kind of tick, in UTC, in the chart's locale), with
 * one Intl formatter per locale and kind instead of toLocaleString's new
 * one per label.  A time that is not a timestamp goes to the default.
 */
const TICK_PARTS: Intl.DateTimeFormatOptions[] = [
	{ year: 'numeric' }, { month: 'short' }, { day: 'numeric' },
	{ hour12: false, hour: '2-digit', minute: '2-digit' },
	{ hour12: false, hour: '2-digit', minute: '2-digit', second: '2-digit' },
];
const tickFormats = new Map<string, Intl.DateTimeFormat>();

function tickMark(t: Time, kind: number, locale: string): string | null {
	if (typeof t !== 'number' || TICK_PARTS[kind] === undefined)
		return null;
	const key = `${locale} ${kind}`;
	let f = tickFormats.get(key);
	if (f === undefined) {
		f = new Intl.DateTimeFormat(locale, { timeZone: 'UTC', ...TICK_PARTS[kind] });
		tickFormats.set(key, f);
	}
	return f.format(new Date(t * 1000));
}

/** The chart in `box` (its size), coloured by the page's theme. */
export function klineChart(box: HTMLElement): Kline {
	const chart = createChart(box, {
		autoSize: true,
		layout: { background: { type: ColorType.Solid, color: 'transparent' }, textColor: css('--fg') },
		grid: { vertLines: { color: css('--grid') }, horzLines: { color: css('--grid') } },
		timeScale: { timeVisible: true, secondsVisible: false, rightOffset: 8, barSpacing: 8, tickMarkFormatter: tickMark },
	});
	const candles = chart.addSeries(CandlestickSeries, {
		upColor: css('--up'), downColor: css('--down'), borderVisible: false,
		wickUpColor: css('--up'), wickDownColor: css('--down'),
	});
	const volume = chart.addSeries(HistogramSeries, {
		priceScaleId: 'vol', priceFormat: { type: 'volume' }, lastValueVisible: false, priceLineVisible: false,
	});
	chart.priceScale('vol').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
	return { chart, candles, volume };
}

/** The theme's volume colours now. */
export function volumeColors(): VolumeColors {
	return { up: css('--up-soft'), down: css('--down-soft') };
}

/** A candle as the candle series' bar. */
export function bar(c: Candle): CandlestickData {
	return { time: (c.ts / 1000) as UTCTimestamp, open: c.open, high: c.high, low: c.low, close: c.close };
}

/** A candle's volume bar. */
export function vol(c: Candle, colors: VolumeColors): HistogramData {
	return { time: (c.ts / 1000) as UTCTimestamp, value: c.volume, color: c.close >= c.open ? colors.up : colors.down };
}

/** Candles (oldest first) as both series' data, in one pass. */
export function klineData(rows: Candle[]): { bars: CandlestickData[]; vols: HistogramData[] } {
	const colors = volumeColors();
	const bars = new Array<CandlestickData>(rows.length);
	const vols = new Array<HistogramData>(rows.length);
	for (let i = 0; i < rows.length; i++) {
		bars[i] = bar(rows[i]);
		vols[i] = vol(rows[i], colors);
	}
	return { bars, vols };
}
