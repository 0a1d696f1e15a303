// indicators.ts -- indicators on the K-line chart: any indicator plugin
// the daemon has (GET /indicators), its parameters from its specs,
// computed by the server over the candles the chart shows.  Each output
// goes where its "placement" says: a price (moving averages, bands,
// SuperTrend's line) over the candles, anything else (oscillators,
// SuperTrend's direction) in a pane of the indicator's own under them.
// Each can be removed; all are computed again when the market or
// timeframe changes, when a candle closes and when older candles are
// loaded.
import type { Chart, IndicatorFigure, KLineData } from 'klinecharts';
import { ApiError } from './api';
import { errorBox, h, replace, showError } from './dom';
import { CANDLE_PANE, paneIndex } from './kline';
import { paramFields, type ParamFields } from './params';
import * as api from './routes';

const COLORS = ['#f5a623', '#4c8dff', '#bd10e0', '#7ed321', '#50e3c2', '#e94e77', '#9b9b9b'];

/** An indicator as GET /indicators describes it: where each output goes. */
type Indicator = api.Plugin & { placement?: Array<'price' | 'pane'> };

/** One of the chart's indicators drawing some outputs (their indices). */
interface Part { id: string; outs: number[] }

interface Added {
	id: number; plugin: Indicator; params: Record<string, unknown>; label: string;
	/** on the chart: the price outputs' part, the pane outputs' */
	parts: Part[]; color: number;
}

type Values = api.IndicatorSeries;

/* The chart's values of outputs `outs` of `r` for its bars (none where the
 * server has none), made again only when the bars change. */
function calcOf(r: Values, outs: number[]): (list: KLineData[]) => Array<Record<string, number>> {
	const at = new Map<number, number>();
	r.ts.forEach((t, i) => at.set(t, i));
	let memo: { n: number; first: number; out: Array<Record<string, number>> } = { n: -1, first: NaN, out: [] };
	return (list) => {
		if (list.length === memo.n && list[0]?.timestamp === memo.first)
			return memo.out;
		const out = list.map((b) => {
			const i = at.get(b.timestamp);
			const o: Record<string, number> = {};
			if (i !== undefined)
				for (const j of outs) {
					const v = r.values[r.outputs[j]]?.[i];
					if (v !== null && v !== undefined)
						o['o' + j] = v;
				}
			return o;
		});
		memo = { n: list.length, first: list[0]?.timestamp ?? NaN, out };
		return out;
	};
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
export function indicatorLayer(chart: Chart, box: HTMLElement): IndicatorLayer {
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

	/* The pane each output of `a` is drawn in, as the chart has it. */
	function panesOf(a: Added): number[] {
		const out: number[] = [];
		for (const part of a.parts) {
			const pane = chart.getIndicators({ id: part.id })[0]?.paneId ?? '';
			part.outs.forEach((j) => { out[j] = paneIndex(chart, pane); });
		}
		return out;
	}

	function drawList(): void {
		// data-panes: the chart pane of each output (0: the candles'), as
		// the chart has them.
		replace(list, ...added.map((a) => {
			const panes = panesOf(a);
			return h('li', {
				'data-indicator': a.plugin.name,
				'data-placement': panes.every((p) => p === 0) ? 'overlay' : panes.some((p) => p === 0) ? 'both' : 'pane',
				'data-panes': panes.join(' '),
			},
			h('span', {}, h('span', { class: 'swatch', style: `background:${COLORS[a.color]}`, 'aria-hidden': 'true' }),
				`${a.label} · ${placed(a)}`),
			h('button', { type: 'button', class: 'small', 'aria-label': 'Remove ' + a.label, onclick: () => remove(a) }, 'Remove'));
		}));
		box.dataset.indicators = String(added.length);
	}

	function undraw(a: Added): void {
		a.parts.forEach((p) => chart.removeIndicator({ id: p.id }));
		a.parts = [];
	}

	function remove(a: Added): void {
		undraw(a);
		added.splice(added.indexOf(a), 1);
		drawList();
		pick.focus();
	}

	/* Computes `a` over the chart's candles and draws it (unless the
	 * chart's range changed meanwhile: the computation of the new one
	 * draws it): the outputs that are prices on the candles' pane, the
	 * others in one pane of their own. */
	async function draw(a: Added): Promise<void> {
		if (!market || to <= 0)
			throw new Error('no candles on the chart yet');
		const range = drawn;
		const r = await api.computeIndicator(a.plugin.name, market, tf, from, to + 1, a.params);
		if (stopped || !added.includes(a) || range !== drawn)
			return;
		if (a.parts.length === 0) {
			const at = r.outputs.map((o) => onPrice(a.plugin, (a.plugin.outputs ?? r.outputs).indexOf(o)));
			const groups = [r.outputs.map((_, j) => j).filter((j) => at[j]), r.outputs.map((_, j) => j).filter((j) => !at[j])];
			groups.forEach((outs, g) => {
				if (outs.length === 0)
					return;
				const figures: IndicatorFigure[] = outs.map((j) => {
					const color = COLORS[(a.color + j) % COLORS.length];
					return {
						key: 'o' + j, title: `${r.outputs.length > 1 ? r.outputs[j] : a.plugin.name}: `,
						type: r.outputs[j] === 'hist' ? 'bar' : 'line', baseValue: 0, styles: () => ({ color }),
					};
				});
				const part: Part = { id: `qd-ind-${a.id}-${g}`, outs };
				const pane = g === 0 ? CANDLE_PANE : `qd-pane-${a.id}`;
				chart.createIndicator({
					name: 'qdIndicator', id: part.id, shortName: a.label, paneId: pane, figures, calc: calcOf(r, outs),
				}, g === 0);
				if (g === 1)
					chart.setPaneOptions({ id: pane, height: 110 });
				a.parts.push(part);
			});
		} else {
			a.parts.forEach((p) => chart.overrideIndicator({ name: 'qdIndicator', id: p.id, calc: calcOf(r, p.outs) }));
		}
	}

	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		showError(err, null);
		const p = catalogue.find((x) => x.name === pick.value);
		if (!p || !fields)
			return;
		const params = fields.values();
		const a: Added = {
			id: nextId++, plugin: p, params, label: describe(p, params), parts: [],
			color: colorAt,
		};
		colorAt = (colorAt + Math.max(1, p.outputs?.length ?? 1)) % COLORS.length;
		added.push(a);
		fields.clearErrors();
		draw(a).then(drawList).catch((e) => {
			if (stopped)
				return;
			added.splice(added.indexOf(a), 1);
			undraw(a);
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
				added.forEach((a) => a.parts.forEach((p) => chart.overrideIndicator({ name: 'qdIndicator', id: p.id, calc: () => [] })));
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
