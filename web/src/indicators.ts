// indicators.ts -- indicators on the K-line chart: any indicator plugin
// the daemon has (GET /indicators), its parameters from its specs,
// computed by the server over the candles the chart shows.  Each output
// goes where its "placement" says: a price (moving averages, bands,
// SuperTrend's line) over the candles, anything else (oscillators,
// SuperTrend's direction) in a pane of the indicator's own under them.
// Each can be removed; all are computed again when the market or
// timeframe changes, when a candle closes and when older candles are
// loaded.
import {
	HistogramSeries, LineSeries, type IChartApi, type IPaneApi, type ISeriesApi,
	type SeriesType, type Time, type UTCTimestamp, type WhitespaceData, type LineData,
} from 'lightweight-charts';
import { ApiError } from './api';
import { errorBox, h, replace, showError } from './dom';
import { paramFields, type ParamFields } from './params';
import * as api from './routes';

const COLORS = ['#f5a623', '#4c8dff', '#bd10e0', '#7ed321', '#50e3c2', '#e94e77', '#9b9b9b'];

/** An indicator as GET /indicators describes it: where each output goes. */
type Indicator = api.Plugin & { placement?: Array<'price' | 'pane'> };

interface Added {
	id: number; plugin: Indicator; params: Record<string, unknown>; label: string;
	series: Array<ISeriesApi<SeriesType>>; pane: IPaneApi<Time> | null; color: number;
}

/** Whether output j of `p` is a price, drawn over the candles: its own
 *  placement, else the indicator's overlay (daemons before SDK 1.7). */
function onPrice(p: Indicator, j: number): boolean {
	const at = p.placement?.[j];
	return at === undefined ? p.overlay === true : at === 'price';
}

/** Where an indicator's outputs are, in words: "over the price", "own
 *  pane", or output by output when they differ. */
function placed(a: Added): string {
	const outs = a.plugin.outputs ?? [];
	const price = outs.map((_, j) => onPrice(a.plugin, j));
	if (price.every((x) => x))
		return 'over the price';
	if (!price.some((x) => x))
		return 'own pane';
	return outs.map((o, j) => `${o} ${price[j] ? 'over the price' : 'in its pane'}`).join(', ');
}

/** What the chart page holds of its indicators. */
export interface IndicatorLayer {
	/** The controls: the picker, its parameters, the list of those added. */
	el: HTMLElement;
	/** The chart now shows `m` `tf` candles opened from `from` to `to` (ms). */
	update(m: api.Market | null, tf: string, from: number, to: number): void;
	/** The chart is going away: nothing more is drawn on it. */
	stop(): void;
}

/** Indicators over `chart`'s candles (its pane 0). */
export function indicatorLayer(chart: IChartApi, box: HTMLElement): IndicatorLayer {
	const err = errorBox();
	const pick = h('select', { id: 'indicator', 'aria-label': 'Indicator' });
	const paramsBox = h('div', { class: 'grid-form indicator-params' });
	const add = h('button', { type: 'submit' }, 'Add indicator');
	const list = h('ul', { class: 'orders', id: 'indicator-list', 'aria-label': 'Indicators on the chart' });
	const form = h('form', { id: 'indicator-form', class: 'indicator-form', novalidate: true },
		h('div', { class: 'toolbar' }, h('label', { class: 'field' }, h('span', {}, 'Indicator'), pick), add),
		paramsBox, err);
	const el = h('details', { class: 'indicators' }, h('summary', {}, 'Indicators'), form, list);
	const added: Added[] = [];
	let catalogue: Indicator[] = [];
	let fields: ParamFields | null = null;
	let market: api.Market | null = null;
	let tf = '1m';
	let from = 0;
	let to = 0;
	let nextId = 1;
	let colorAt = 0;
	let stopped = false;
	let drawn = 0;   /* the latest range the indicators are computed over */

	function describe(p: Indicator, params: Record<string, unknown>): string {
		const args = Object.entries(params).filter(([k, v]) =>
			p.params?.find((s) => s.name === k)?.default !== v).map(([k, v]) => `${k}=${String(v)}`);
		return `${p.name}(${args.join(', ')})`;
	}

	function showParams(): void {
		const p = catalogue.find((x) => x.name === pick.value);
		fields = p ? paramFields(p.params ?? [], null, 'ind-' + p.name) : null;
		replace(paramsBox, ...(fields?.fields ?? []));
	}

	function drawList(): void {
		// data-panes: the chart pane of each output's series (0: the
		// candles'), as the chart has them.
		replace(list, ...added.map((a) => h('li', {
			'data-indicator': a.plugin.name,
			'data-placement': !a.pane ? 'overlay' : a.series.some((s) => s.getPane().paneIndex() === 0) ? 'both' : 'pane',
			'data-panes': a.series.map((s) => s.getPane().paneIndex()).join(' '),
		},
			h('span', {}, h('span', { class: 'swatch', style: `background:${COLORS[a.color]}`, 'aria-hidden': 'true' }),
				`${a.label} · ${placed(a)}`),
			h('button', { type: 'button', class: 'small', 'aria-label': 'Remove ' + a.label, onclick: () => remove(a) }, 'Remove'))));
		box.dataset.indicators = String(added.length);
	}

	function remove(a: Added): void {
		const idx = a.pane ? a.pane.paneIndex() : -1;
		a.series.forEach((s) => chart.removeSeries(s));
		a.series = [];
		if (idx > 0 && chart.panes()[idx]?.getSeries().length === 0)
			chart.removePane(idx);
		added.splice(added.indexOf(a), 1);
		drawList();
		pick.focus();
	}

	/* Computes `a` over the chart's candles and draws it (unless the
	 * chart's range changed meanwhile: the computation of the new one
	 * draws it). */
	async function draw(a: Added): Promise<void> {
		if (!market || to <= 0)
			throw new Error('no candles on the chart yet');
		const range = drawn;
		const r = await api.computeIndicator(a.plugin.name, market, tf, from, to + 1, a.params);
		if (stopped || !added.includes(a) || range !== drawn)
			return;
		if (a.series.length === 0) {
			// The outputs that are not prices share one pane of their own.
			const at = r.outputs.map((o) => onPrice(a.plugin, (a.plugin.outputs ?? r.outputs).indexOf(o)));
			const pane = at.every((x) => x) ? null : chart.addPane();
			a.pane = pane;
			r.outputs.forEach((o, j) => {
				const opts = {
					color: COLORS[(a.color + j) % COLORS.length], lineWidth: 1 as const,
					priceLineVisible: false, lastValueVisible: false, title: r.outputs.length > 1 ? o : a.plugin.name,
				};
				const where = at[j] || !pane ? 0 : pane.paneIndex();
				const s: ISeriesApi<SeriesType> = o === 'hist' ?
					chart.addSeries(HistogramSeries, { color: opts.color, priceLineVisible: false, lastValueVisible: false }, where) :
					chart.addSeries(LineSeries, opts, where);
				a.series.push(s);
			});
			pane?.setHeight(120);
		}
		r.outputs.forEach((o, j) => {
			const data: Array<LineData | WhitespaceData> = r.ts.map((t, i) => {
				const v = r.values[o]?.[i];
				const time = (t / 1000) as UTCTimestamp;
				return v === null || v === undefined ? { time } : { time, value: v };
			});
			(a.series[j] as ISeriesApi<'Line'>).setData(data);
		});
	}

	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		showError(err, null);
		const p = catalogue.find((x) => x.name === pick.value);
		if (!p || !fields)
			return;
		const params = fields.values();
		const a: Added = {
			id: nextId++, plugin: p, params, label: describe(p, params), series: [], pane: null,
			color: colorAt,
		};
		colorAt = (colorAt + Math.max(1, p.outputs?.length ?? 1)) % COLORS.length;
		added.push(a);
		fields.clearErrors();
		draw(a).then(drawList).catch((e) => {
			if (stopped)
				return;
			added.splice(added.indexOf(a), 1);
			a.series.forEach((s) => chart.removeSeries(s));
			if (e instanceof ApiError && e.field === 'params') {
				// The server names the parameter in its message.
				const name = (p.params ?? []).find((s) => e.message.includes(s.name))?.name;
				if (name && fields?.showErrors([{ field: name, message: e.message }]).length === 0)
					return;
			}
			showError(err, e);
		});
	});
	pick.addEventListener('change', showParams);

	api.indicators().then((list) => {
		if (stopped)
			return;
		catalogue = list.filter((p) => !p.sandbox_only).sort((x, y) => x.name.localeCompare(y.name));
		replace(pick, ...catalogue.map((p) => h('option', { value: p.name },
			`${p.name}${p.overlay ? ' (on price)' : ''}`)));
		showParams();
	}).catch((e) => showError(err, e));

	let timer: number | undefined;
	return {
		el,
		update(m, t, f, last) {
			const same = market && m && market.exchange === m.exchange && market.symbol === m.symbol && tf === t;
			const closed = same && from === f;
			// Another series: the old one's values go at once (their
			// times would stay on the chart's time scale until then).
			if (!same)
				added.forEach((a) => a.series.forEach((s) => s.setData([])));
			market = m;
			tf = t;
			from = f;
			to = last;
			// A closed candle: once, a moment later (the store has it);
			// another series or older candles: at once.
			window.clearTimeout(timer);
			timer = window.setTimeout(() => {
				drawn++;
				added.forEach((a) => { draw(a).catch((e) => showError(err, e)); });
			}, closed ? 1500 : 0);
		},
		stop() {
			stopped = true;
			window.clearTimeout(timer);
		},
	};
}
