// chart.ts -- the K-line page: candles and volume of one market and
// timeframe from the REST history, as the chart's data loader asks for
// them (the newest page first; the page before the first candle once the
// view reaches it, until the store has none older), the open candle and
// each closed one from the candles channel (the loader's bar
// subscription), open orders as price lines (a trailing stop's moving
// with it: the channel's "levels" messages) and fills as markers from
// the orders channel, indicators (indicators.ts), the overlays
// (overlays.ts) and a small order ticket.  The chart scrolls with the
// mouse, the touch and the keys, and follows the theme.
import { dispose, type DataLoaderGetBarsParams, type KLineData, type VisibleRange } from 'klinecharts';
import { css, errorBox, field, h, num, replace, showError } from './dom';
import { indicatorLayer } from './indicators';
import {
	addPriceLine, bar, klineChart, klineStyles, markerFigures, period, priceLines, setLayer, type Marker,
} from './kline';
import { follow, type LiveMessage } from './live';
import { chartOverlays } from './overlays';
import * as api from './routes';

/** The timeframes the daemon builds, in seconds. */
export const TIMEFRAMES: Record<string, number> = {
	'1m': 60, '3m': 180, '5m': 300, '15m': 900, '30m': 1800, '1h': 3600,
	'2h': 7200, '4h': 14400, '6h': 21600, '12h': 43200, '1d': 86400, '1w': 604800,
};

const OPEN_STATES = new Set([1, 2, 3, 'created', 'pending', 'partial']);

/** The most bars the server computes an indicator over (INSTANCES_MAX_BARS):
 *  on a longer chart, indicators cover its newest bars. */
const INDICATOR_MAX_BARS = 100000;

/** After an older page failed to load, the wait before the next try (ms). */
const OLDER_RETRY_MS = 5000;

interface LiveCandle {
	exchange?: string; ts: number; open: number; high: number; low: number;
	close: number; volume: number; final?: boolean;
}

interface OrderEvent {
	order_id?: number; id?: number; symbol: string; side: string;
	state: number | string; ts?: number; qty: number; price: number;
	last_qty?: number; last_price?: number;
	type?: string; stop_price?: number; sl_price?: number; tp_price?: number; parent_id?: number;
}

/* The price lines of an open order: where it rests (a limit's price, a
 * stop's or take profit's trigger) and, for an entry with a bracket, the
 * stop loss and take profit its children will hold; each with its colour
 * (a CSS variable): a stop loss's the falling candles', a take profit's
 * the rising ones', an order's and a trailing stop's its side's (a buy's
 * the rising candles' colour, a sell's the falling ones'; a sell's
 * trailing stop trails under the price, a buy's over it). */
function orderLevels(o: OrderEvent, id: number): Array<{ price: number; kind: string; title: string; color: string }> {
	const qty = num(o.qty);
	const out: Array<{ price: number; kind: string; title: string; color: string }> = [];
	const side = o.side === 'buy' ? '--up' : '--down';
	const take = o.type === 'take_profit' || o.type === 'take_profit_limit';
	const trig = o.stop_price ?? 0;
	if (trig > 0) {
		// A bracket's children are its stop loss and take profit.
		const kind = take ? 'tp' : 'sl';
		const trailing = o.type === 'trailing_stop' && !o.parent_id;
		const what = o.parent_id ? (take ? 'TP' : 'SL') : (take ? 'take profit' : trailing ? 'trailing stop' : 'stop');
		out.push({ price: trig, kind, title: `${what} #${id} ${o.side} ${qty}`, color: trailing ? side : take ? '--up' : '--down' });
	}
	if (o.price > 0 && (trig === 0 || o.type === 'stop_limit' || o.type === 'take_profit_limit'))
		out.push({ price: o.price, kind: 'order', title: `#${id} ${o.side} ${qty}`, color: side });
	if ((o.sl_price ?? 0) > 0)
		out.push({ price: o.sl_price ?? 0, kind: 'sl', title: `SL of #${id}`, color: '--down' });
	if ((o.tp_price ?? 0) > 0)
		out.push({ price: o.tp_price ?? 0, kind: 'tp', title: `TP of #${id}`, color: '--up' });
	return out;
}

/** The channel's form of a symbol: BTC/USDT is BTC-USDT. */
function channelSymbol(s: string): string {
	return s.replace('/', '-');
}

/** Draws the chart page into `root`; returns what stops its live feeds. */
export function chartPage(root: HTMLElement): () => void {
	const stops: Array<() => void> = [];
	const err = errorBox();
	const marketSel = h('select', { id: 'market', 'aria-label': 'Market' });
	const tfBar = h('div', { class: 'tfs', role: 'group', 'aria-label': 'Timeframe' });
	const box = h('div', {
		class: 'chart', id: 'chart', tabindex: 0, role: 'img',
		'aria-label': 'K-line chart: arrow keys scroll, + and - zoom, Home goes to the oldest candle, End to the newest',
	});
	const status = h('p', { class: 'muted', id: 'chart-status', 'aria-live': 'polite' });
	const ticket = orderTicket();
	const orderList = h('div', { id: 'chart-orders' });
	replace(root,
		h('section', { class: 'panel chart-panel' },
			h('div', { class: 'toolbar' }, field('Market', marketSel), tfBar),
			err, box, status),
		h('section', { class: 'panel' }, h('h2', {}, 'Order'), ticket.form,
			h('h3', {}, 'Open orders'), orderList));

	const { chart } = klineChart(box);
	const bars = (): KLineData[] => chart.getDataList();
	const layer = indicatorLayer(chart, box);
	status.after(layer.el);
	const overlays = chartOverlays(chart, box);
	box.after(overlays.el);
	// The chart follows the theme: restyled, its candles kept.
	const restyle = (): void => {
		chart.setStyles(klineStyles());
		box.dataset.upColor = chart.getStyles().candle.bar.upColor;
		for (const o of open.values())
			drawOrder(o);
		countLines();
		drawFills();
		overlays.restyle();
	};
	const themes = new MutationObserver(restyle);
	themes.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
	// Whatever is still on its way (candles, indicator values, a backtest's
	// overlay) is dropped once the chart is removed.
	stops.push(layer.stop, overlays.stop, () => { loadSeq++; }, () => themes.disconnect(),
		() => chart.unsubscribeAction('onVisibleRangeChange', onRange), () => dispose(chart));

	let market: api.Market | null = null;
	let tf = sessionStorage.getItem('quantd.tf') ?? '1m';
	if (!(tf in TIMEFRAMES))
		tf = '1m';
	let loadSeq = 0;
	// The series shown or on its way ('' once its load failed): choosing
	// it again asks for nothing.
	let shownKey = '';
	let olderRetry = 0;
	// The chart's series is being switched: the load the period's change
	// asks for is not the one wanted (the symbol's, next, is).
	let switching = false;
	const fills: OrderEvent[] = [];
	const lines = new Map<number, string[]>();
	const open = new Map<number, OrderEvent>();

	const tfButtons = Object.keys(TIMEFRAMES).map((t) => {
		const b = h('button', { type: 'button', 'data-tf': t, 'aria-pressed': String(t === tf), onclick: () => { tf = t; sessionStorage.setItem('quantd.tf', t); load(); } }, t);
		tfBar.appendChild(b);
		return b;
	});

	/* The candles on the chart: how many, the first's and the last's
	 * times (ms). */
	const count = (): number => bars().length;
	const firstTs = (): number => bars()[0]?.timestamp ?? 0;
	const lastTs = (): number => bars()[count() - 1]?.timestamp ?? 0;

	function say(): void {
		const n = count();
		status.textContent = market ? `${market.exchange} ${market.symbol} ${tf}: ${n} ${n === 1 ? 'candle' : 'candles'}` : 'no market';
		status.dataset.count = String(n);
		status.dataset.first = String(firstTs());
	}

	/* What indicators are computed over: the candles shown, or their
	 * newest INDICATOR_MAX_BARS. */
	function indicatorFrom(): number {
		const n = count();
		return n <= INDICATOR_MAX_BARS ? firstTs() : bars()[n - INDICATOR_MAX_BARS].timestamp;
	}

	/* The series' candles after a load: what is drawn at their times. */
	function loaded(m: api.Market): void {
		layer.update(m, tf, indicatorFrom(), lastTs());
		drawFills();
		overlays.setMarket(m, TIMEFRAMES[tf]);
		say();
	}

	/* The newest page of the series shown, as the chart asks for it. */
	async function loadNewest(seq: number, done: DataLoaderGetBarsParams['callback']): Promise<void> {
		const m = market;
		if (!m)
			return;
		try {
			const rows = await api.candles(m, tf);
			if (seq !== loadSeq)
				return;
			olderRetry = 0;
			done(rows, { forward: rows.length >= api.CANDLES_PAGE, backward: false });
			loaded(m);
		} catch (e) {
			if (seq === loadSeq)
				shownKey = '';
			showError(err, e);
		}
	}

	/*
	 * The page before the first candle, as the chart asks for it once its
	 * view reaches that candle: prepended, the bars in view staying where
	 * they are; none more once the store had no more.
	 */
	async function loadOlder(seq: number, before: number, done: DataLoaderGetBarsParams['callback']): Promise<void> {
		const m = market;
		if (!m || Date.now() < olderRetry) {
			done([], { forward: true, backward: false });
			return;
		}
		try {
			const rows = (await api.candlesBefore(m, tf, before)).filter((c) => c.timestamp < before);
			if (seq !== loadSeq)
				return;
			done(rows, { forward: rows.length >= api.CANDLES_PAGE, backward: false });
			if (rows.length > 0)
				loaded(m);
		} catch (e) {
			if (seq !== loadSeq)
				return;
			olderRetry = Date.now() + OLDER_RETRY_MS;
			done([], { forward: true, backward: false });
			showError(err, e);
		}
	}

	/* The open candle and each closed one, from the candles channel, for
	 * as long as the chart shows the series. */
	let unfollow: (() => void) | null = null;
	function onCandle(m: LiveMessage, update: (b: KLineData) => void): void {
		if (m.type !== 'snapshot' && m.type !== 'candle')
			return;
		const list = m.type === 'snapshot' ? m.data as LiveCandle[] : [m.data as LiveCandle];
		for (const c of list) {
			if (!market || (c.exchange && c.exchange !== market.exchange))
				continue;
			const last = lastTs();
			if (c.ts < last)
				continue;
			if (c.ts > last && last > 0)   /* the candle before closed */
				layer.update(market, tf, indicatorFrom(), last);
			update(bar(c));
		}
		say();
	}

	chart.setDataLoader({
		getBars: ({ type, timestamp, callback }) => {
			if (type === 'init' && !switching)
				void loadNewest(loadSeq, callback);
			else if (type === 'forward' && timestamp !== null)
				void loadOlder(loadSeq, timestamp, callback);
		},
		subscribeBar: ({ callback }) => {
			unfollow?.();
			if (market)
				unfollow = follow(`candles.${tf}.${channelSymbol(market.symbol)}`, (m) => onCandle(m, callback));
		},
		unsubscribeBar: () => {
			unfollow?.();
			unfollow = null;
		},
	});

	/* Shows the market and timeframe chosen: the chart asks for their
	 * newest page (once: not again for the series shown). */
	function load(): void {
		const key = market ? `${market.exchange} ${market.symbol} ${tf}` : '';
		if (key !== '' && key === shownKey)
			return;
		shownKey = key;
		loadSeq++;
		tfButtons.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.tf === tf)));
		if (!market)
			return;
		showError(err, null);
		status.textContent = 'loading…';
		switching = true;
		chart.setPeriod(period(TIMEFRAMES[tf]));
		switching = false;
		chart.setSymbol({ ticker: key });
	}

	/* The view moved: the time of its first bar (ms, one partly in view
	 * too) on the box. */
	function onRange(r?: unknown): void {
		const v = r as VisibleRange | undefined;
		const first = v ? bars()[Math.max(0, v.from)] : undefined;
		box.dataset.viewFrom = first ? String(first.timestamp) : '';
	}
	chart.subscribeAction('onVisibleRangeChange', onRange);

	/* The keys: arrows scroll a tenth of the view, + and - zoom about its
	 * right edge, Home shows the first candle, End the newest. */
	box.addEventListener('keydown', (ev) => {
		if (ev.altKey || ev.ctrlKey || ev.metaKey)
			return;
		const v = chart.getVisibleRange();
		const space = chart.getBarSpace().bar;
		const width = v.realTo - v.realFrom;
		const right = { x: chart.getSize('candle_pane', 'main')?.width ?? 0, y: 0 };
		switch (ev.key) {
		case 'ArrowLeft': chart.scrollByDistance(width / 10 * space); break;
		case 'ArrowRight': chart.scrollByDistance(-width / 10 * space); break;
		case '+': case '=': chart.zoomAtCoordinate(1.5, right); break;
		case '-': chart.zoomAtCoordinate(1 / 1.5, right); break;
		case 'Home': chart.scrollByDistance((v.realFrom + 1) * space); break;
		case 'End': chart.scrollToRealTime(); break;
		default: return;
		}
		ev.preventDefault();
	});

	/* A time (ms) at the start of its candle of the timeframe shown. */
	function bucket(ms: number): number {
		const s = TIMEFRAMES[tf] * 1000;
		return Math.floor(ms / s) * s;
	}

	/* The fills of this market since the page opened, at their candles of
	 * the timeframe shown (data-fills: how many the last paint drew). */
	let fillsDrawn = -1;
	function drawFills(): void {
		const list: Marker[] = fills
			.filter((f) => market && f.symbol === market.symbol && f.ts)
			.map((f) => ({
				ts: bucket(f.ts ?? 0), above: f.side !== 'buy', shape: 'arrow',
				color: f.side === 'buy' ? css('--up') : css('--down'),
				text: `${f.side} ${num(f.last_qty ?? f.qty)} @ ${num(f.last_price ?? f.price)}`,
			}));
		setLayer(chart, 'fills', (p) => {
			let n = 0;
			const figs = markerFigures(p, list, () => { n++; });
			if (n !== fillsDrawn)
				box.dataset.fills = String(fillsDrawn = n);
			return figs;
		});
	}

	function drawOrder(o: OrderEvent): void {
		const id = o.order_id ?? o.id ?? 0;
		lines.get(id)?.forEach((l) => chart.removeOverlay({ id: l }));
		lines.delete(id);
		if (OPEN_STATES.has(o.state) && market && o.symbol === market.symbol) {
			open.set(id, o);
			const drawn = orderLevels(o, id).map((lv) => addPriceLine(chart, 'orders', lv.price, {
				kind: lv.kind, title: lv.title, color: css(lv.color), width: 1,
				dash: lv.kind === 'order' ? [6, 4] : [2, 3],
			}));
			if (drawn.length)
				lines.set(id, drawn);
		} else {
			open.delete(id);
		}
	}

	/* The lines the chart has, and how many are stop losses / take profits. */
	function countLines(): void {
		const all = priceLines(chart, 'orders');
		box.dataset.lines = String(all.length);
		box.dataset.sl = String(all.filter((l) => l.kind === 'sl').length);
		box.dataset.tp = String(all.filter((l) => l.kind === 'tp').length);
		box.dataset.linePrices = all.map((l) => l.price).join(' ');
	}

	function listOrders(): void {
		const rows = [...open.entries()];
		replace(orderList, rows.length === 0 ? h('p', { class: 'muted' }, 'none') :
			h('ul', { class: 'orders' }, ...rows.map(([id, o]) => h('li', { 'data-order': id },
				`#${id} ${o.type && o.type !== 'limit' ? o.type.replace(/_/g, ' ') + ' ' : ''}${o.side} ${num(o.qty)} @ ${num(o.price > 0 ? o.price : o.stop_price ?? 0)} `,
				h('button', { type: 'button', class: 'small', onclick: () => { api.cancelOrder(id).catch((e) => showError(ticket.err, e)); } }, 'Cancel')))));
	}

	function onOrders(m: LiveMessage): void {
		if (m.type === 'snapshot') {
			lines.forEach((ls) => ls.forEach((l) => chart.removeOverlay({ id: l })));
			lines.clear();
			open.clear();
			((m.data as { orders?: OrderEvent[] })?.orders ?? []).forEach(drawOrder);
		} else if (m.type === 'order' || m.type === 'levels') {
			drawOrder(m.data as OrderEvent);
		} else if (m.type === 'fill') {
			const f = m.data as OrderEvent;
			drawOrder(f);
			fills.push(f);
			drawFills();
		}
		countLines();
		listOrders();
	}
	stops.push(follow('orders', onOrders));

	marketSel.addEventListener('change', () => {
		const [exchange, ...rest] = marketSel.value.split(' ');
		market = { exchange, symbol: rest.join(' ') };
		sessionStorage.setItem('quantd.market', marketSel.value);
		ticket.setSymbol(market.symbol);
		load();
	});

	// The markets, asked again every 5 s while there is none (a daemon
	// that just started has stored no candle yet).
	let retry: number | undefined;
	function pickMarkets(): void {
		api.markets().then((list) => {
			replace(marketSel, ...list.map((m) => h('option', { value: `${m.exchange} ${m.symbol}` }, `${m.exchange} · ${m.symbol}`)));
			if (list.length === 0) {
				status.textContent = 'no market has candles yet';
				retry = window.setTimeout(pickMarkets, 5000);
				return;
			}
			const want = sessionStorage.getItem('quantd.market');
			if (want && list.some((m) => `${m.exchange} ${m.symbol}` === want))
				marketSel.value = want;
			marketSel.dispatchEvent(new Event('change'));
		}).catch((e) => showError(err, e));
	}
	pickMarkets();
	box.dataset.upColor = chart.getStyles().candle.bar.upColor;

	return () => {
		window.clearTimeout(retry);
		unfollow?.();
		stops.forEach((f) => f());
	};
}

/** The order ticket: an order into a strategy instance's (paper) account. */
function orderTicket(): { form: HTMLFormElement; err: HTMLElement; setSymbol: (s: string) => void } {
	const err = errorBox();
	const ok = h('p', { class: 'muted', 'aria-live': 'polite' });
	const instance = h('select', { name: 'instance', required: true });
	const symbol = h('input', { name: 'symbol', required: true, autocomplete: 'off' });
	const side = h('select', { name: 'side' }, h('option', { value: 'buy' }, 'Buy'), h('option', { value: 'sell' }, 'Sell'));
	const type = h('select', { name: 'type' }, h('option', { value: 'limit' }, 'Limit'), h('option', { value: 'market' }, 'Market'),
		h('option', { value: 'stop' }, 'Stop'), h('option', { value: 'take_profit' }, 'Take profit'),
		h('option', { value: 'trailing_stop' }, 'Trailing stop'));
	const qty = h('input', { name: 'qty', type: 'number', step: 'any', min: '0', required: true, inputmode: 'decimal' });
	const price = h('input', { name: 'price', type: 'number', step: 'any', min: '0', inputmode: 'decimal' });
	const stop = h('input', { name: 'stop_price', type: 'number', step: 'any', min: '0', inputmode: 'decimal', disabled: true });
	const trail = h('input', { name: 'trail', type: 'number', step: 'any', min: '0', inputmode: 'decimal', disabled: true });
	const sl = h('input', { name: 'sl_price', type: 'number', step: 'any', min: '0', inputmode: 'decimal', placeholder: 'optional' });
	const tp = h('input', { name: 'tp_price', type: 'number', step: 'any', min: '0', inputmode: 'decimal', placeholder: 'optional' });
	type.addEventListener('change', () => {
		price.disabled = type.value !== 'limit';
		stop.disabled = type.value !== 'stop' && type.value !== 'take_profit';
		trail.disabled = type.value !== 'trailing_stop';
	});
	const form = h('form', { class: 'grid-form', id: 'order-ticket' },
		field('Instance', instance), field('Symbol', symbol), field('Side', side),
		field('Type', type), field('Quantity', qty), field('Price', price), field('Trigger price', stop), field('Trail', trail),
		field('Stop loss', sl), field('Take profit', tp),
		h('button', { type: 'submit' }, 'Place order'), err, ok);
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		showError(err, null);
		ok.textContent = '';
		const t: api.OrderTicket = {
			instance: instance.value, symbol: symbol.value,
			side: side.value as 'buy' | 'sell', type: type.value as api.OrderTicket['type'],
			qty: Number(qty.value),
		};
		if (t.type === 'limit')
			t.price = Number(price.value);
		if (t.type === 'stop' || t.type === 'take_profit')
			t.stop_price = Number(stop.value);
		if (t.type === 'trailing_stop')
			t.trail = Number(trail.value);
		if (sl.value !== '')
			t.sl_price = Number(sl.value);
		if (tp.value !== '')
			t.tp_price = Number(tp.value);
		api.submitOrder(t).then((id) => { ok.textContent = `order #${id} placed`; })
			.catch((e) => showError(err, e));
	});
	api.accounts().then((list) => {
		const names = [...new Set(list.map((a) => a.instance).filter((n): n is string => !!n))];
		replace(instance, ...names.map((n) => h('option', { value: n }, n)));
	}).catch((e) => showError(err, e));
	return { form, err, setSymbol: (s) => { symbol.value = s; } };
}
