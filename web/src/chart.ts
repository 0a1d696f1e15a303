// chart.ts -- the K-line page: candles and volume of one market and
// timeframe from the REST history (the newest page first; the page before
// the first candle shown once the view comes within a screen of it, until
// the store has none older), the open candle and each closed one from the
// candles channel, open orders as price lines (a trailing stop's moving
// with it: the channel's "levels" messages) and fills as markers from
// the orders channel, indicators (indicators.ts) and a small order
// ticket.  The chart scrolls with the mouse, the touch and the keys.
import {
	LineStyle, MismatchDirection, createSeriesMarkers, type CandlestickData, type HistogramData,
	type IPriceLine, type LogicalRange, type SeriesMarker, type Time, type UTCTimestamp,
} from 'lightweight-charts';
import { errorBox, field, h, num, replace, showError } from './dom';
import { indicatorLayer } from './indicators';
import { bar, klineChart, klineData, vol, volumeColors } from './kline';
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
 * stop loss and take profit its children will hold. */
function orderLevels(o: OrderEvent, id: number): Array<{ price: number; kind: string; title: string }> {
	const qty = num(o.qty);
	const out: Array<{ price: number; kind: string; title: string }> = [];
	const take = o.type === 'take_profit' || o.type === 'take_profit_limit';
	const trig = o.stop_price ?? 0;
	if (trig > 0) {
		// A bracket's children are its stop loss and take profit.
		const kind = take ? 'tp' : 'sl';
		const what = o.parent_id ? (take ? 'TP' : 'SL') : (take ? 'take profit' : o.type === 'trailing_stop' ? 'trailing stop' : 'stop');
		out.push({ price: trig, kind, title: `${what} #${id} ${o.side} ${qty}` });
	}
	if (o.price > 0 && (trig === 0 || o.type === 'stop_limit' || o.type === 'take_profit_limit'))
		out.push({ price: o.price, kind: 'order', title: `#${id} ${o.side} ${qty}` });
	if ((o.sl_price ?? 0) > 0)
		out.push({ price: o.sl_price ?? 0, kind: 'sl', title: `SL of #${id}` });
	if ((o.tp_price ?? 0) > 0)
		out.push({ price: o.tp_price ?? 0, kind: 'tp', title: `TP of #${id}` });
	return out;
}

function css(name: string): string {
	return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
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

	const { chart, candles, volume } = klineChart(box);
	const markers = createSeriesMarkers(candles, []);
	const layer = indicatorLayer(chart, box);
	status.after(layer.el);
	let firstTs = 0;
	const overlays = chartOverlays(candles, box);
	box.after(overlays.el);
	// Whatever is still on its way (candles, indicator values, a backtest's
	// overlay) is dropped once the chart is removed.
	stops.push(layer.stop, overlays.stop, () => { loadSeq++; },
		() => chart.timeScale().unsubscribeVisibleLogicalRangeChange(onRange), () => chart.remove());

	let market: api.Market | null = null;
	let tf = sessionStorage.getItem('quantd.tf') ?? '1m';
	if (!(tf in TIMEFRAMES))
		tf = '1m';
	let lastTime = 0;
	let count = 0;
	let unfollow: (() => void) | null = null;
	let loadSeq = 0;
	// The series shown or on its way ('' once its load failed): choosing
	// it again asks for nothing.
	let shownKey = '';
	// The older pages: none before firstTs once one came back short; the
	// load (its loadSeq) whose older page is on its way, if any.
	let oldest = true;
	let olderFor = 0;
	let olderRetry = 0;
	const fills: OrderEvent[] = [];
	const lines = new Map<number, Array<{ kind: string; line: IPriceLine }>>();
	const open = new Map<number, OrderEvent>();

	const tfButtons = Object.keys(TIMEFRAMES).map((t) => {
		const b = h('button', { type: 'button', 'data-tf': t, 'aria-pressed': String(t === tf), onclick: () => { tf = t; sessionStorage.setItem('quantd.tf', t); void load(); } }, t);
		tfBar.appendChild(b);
		return b;
	});

	function say(): void {
		status.textContent = market ? `${market.exchange} ${market.symbol} ${tf}: ${count} ${count === 1 ? 'candle' : 'candles'}` : 'no market';
		status.dataset.count = String(count);
		status.dataset.first = String(firstTs);
	}

	/* What indicators are computed over: the candles shown, or their
	 * newest INDICATOR_MAX_BARS. */
	function indicatorFrom(): number {
		if (count <= INDICATOR_MAX_BARS)
			return firstTs;
		const c = candles.dataByIndex(count - INDICATOR_MAX_BARS);
		return c ? (c.time as number) * 1000 : firstTs;
	}

	function onCandle(m: LiveMessage): void {
		if (m.type !== 'snapshot' && m.type !== 'candle')
			return;
		const list = m.type === 'snapshot' ? m.data as LiveCandle[] : [m.data as LiveCandle];
		for (const c of list) {
			if (!market || (c.exchange && c.exchange !== market.exchange))
				continue;
			const t = c.ts / 1000;
			if (t < lastTime)
				continue;
			if (t > lastTime) {
				count++;
				if (lastTime > 0)   /* the candle before closed */
					layer.update(market, tf, indicatorFrom(), lastTime * 1000);
			}
			lastTime = t;
			candles.update(bar(c));
			volume.update(vol(c, volumeColors()));
		}
		say();
	}

	async function load(): Promise<void> {
		const key = market ? `${market.exchange} ${market.symbol} ${tf}` : '';
		if (key !== '' && key === shownKey)
			return;
		shownKey = key;
		const seq = ++loadSeq;
		tfButtons.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.tf === tf)));
		unfollow?.();
		unfollow = null;
		if (!market)
			return;
		showError(err, null);
		status.textContent = 'loading…';
		try {
			const rows = await api.candles(market, tf);
			if (seq !== loadSeq)
				return;
			count = rows.length;
			lastTime = rows.length ? rows[rows.length - 1].ts / 1000 : 0;
			firstTs = rows.length ? rows[0].ts : 0;
			oldest = rows.length < api.CANDLES_PAGE;
			olderRetry = 0;
			// The view of the previous series moves to the newest
			// candles: no older page for it on the way.
			olderFor = seq;
			const data = klineData(rows);
			candles.setData(data.bars);
			volume.setData(data.vols);
			layer.update(market, tf, indicatorFrom(), lastTime * 1000);
			drawFills();
			overlays.setMarket(market, TIMEFRAMES[tf]);
			chart.timeScale().scrollToRealTime();
			olderFor = 0;
			say();
			unfollow = follow(`candles.${tf}.${channelSymbol(market.symbol)}`, onCandle);
		} catch (e) {
			if (olderFor === seq)
				olderFor = 0;
			if (seq === loadSeq)
				shownKey = '';
			showError(err, e);
		}
	}

	/*
	 * The page before the first candle, prepended: the bars in view stay
	 * where they are (the chart keeps its distance from the newest bar).
	 * One page at a time per load; none once the store had no more.
	 */
	async function loadOlder(): Promise<void> {
		const seq = loadSeq;
		if (!market || oldest || olderFor === seq || count === 0 || Date.now() < olderRetry)
			return;
		olderFor = seq;
		const m = market, before = firstTs;
		try {
			const rows = (await api.candlesBefore(m, tf, before)).filter((c) => c.ts < before);
			if (seq !== loadSeq)
				return;
			oldest = rows.length === 0 || rows.length < api.CANDLES_PAGE;
			if (rows.length > 0) {
				const data = klineData(rows);
				candles.setData([...data.bars, ...candles.data() as CandlestickData[]]);
				volume.setData([...data.vols, ...volume.data() as HistogramData[]]);
				count = candles.data().length;
				firstTs = rows[0].ts;
				layer.update(m, tf, indicatorFrom(), lastTime * 1000);
				drawFills();
				overlays.setMarket(m, TIMEFRAMES[tf]);
			}
			say();
		} catch (e) {
			if (seq !== loadSeq)
				return;
			olderRetry = Date.now() + OLDER_RETRY_MS;
			showError(err, e);
		} finally {
			if (olderFor === seq)
				olderFor = 0;
		}
	}

	/* The view moved: the time of its first bar (ms, one partly in view
	 * too) on the box; within a screen of the first candle, the page
	 * before that. */
	function onRange(r: LogicalRange | null): void {
		const first = r ? candles.dataByIndex(Math.max(0, Math.ceil(r.from)), MismatchDirection.NearestRight) : null;
		box.dataset.viewFrom = first ? String((first.time as number) * 1000) : '';
		if (r && r.from < r.to - r.from)
			void loadOlder();
	}
	chart.timeScale().subscribeVisibleLogicalRangeChange(onRange);

	/* The keys: arrows scroll a tenth of the view, + and - zoom about its
	 * right edge, Home shows the first candle, End the newest. */
	box.addEventListener('keydown', (ev) => {
		const ts = chart.timeScale();
		const r = ts.getVisibleLogicalRange();
		if (!r || ev.altKey || ev.ctrlKey || ev.metaKey)
			return;
		const width = r.to - r.from;
		const show = (from: number, to: number): void => ts.setVisibleLogicalRange({ from, to });
		switch (ev.key) {
		case 'ArrowLeft': show(r.from - width / 10, r.to - width / 10); break;
		case 'ArrowRight': show(r.from + width / 10, r.to + width / 10); break;
		case '+': case '=': show(r.to - width / 1.5, r.to); break;
		case '-': show(r.to - width * 1.5, r.to); break;
		case 'Home': show(0, width); break;
		case 'End': ts.scrollToRealTime(); break;
		default: return;
		}
		ev.preventDefault();
	});

	function bucket(ms: number): UTCTimestamp {
		const s = TIMEFRAMES[tf];
		return (Math.floor(ms / 1000 / s) * s) as UTCTimestamp;
	}

	/* The fills of this market since the page opened, at their candles of
	 * the timeframe shown. */
	function drawFills(): void {
		const list: Array<SeriesMarker<Time>> = fills
			.filter((f) => market && f.symbol === market.symbol && f.ts)
			.map((f) => ({
				time: bucket(f.ts ?? 0), position: f.side === 'buy' ? 'belowBar' : 'aboveBar',
				shape: f.side === 'buy' ? 'arrowUp' : 'arrowDown',
				color: f.side === 'buy' ? css('--up') : css('--down'),
				text: `${f.side} ${num(f.last_qty ?? f.qty)} @ ${num(f.last_price ?? f.price)}`,
			}));
		list.sort((a, b) => (a.time as number) - (b.time as number));
		markers.setMarkers(list);
		box.dataset.fills = String(list.length);
	}

	function drawOrder(o: OrderEvent): void {
		const id = o.order_id ?? o.id ?? 0;
		lines.get(id)?.forEach((l) => candles.removePriceLine(l.line));
		lines.delete(id);
		if (OPEN_STATES.has(o.state) && market && o.symbol === market.symbol) {
			open.set(id, o);
			const drawn = orderLevels(o, id).map((lv) => ({
				kind: lv.kind,
				line: candles.createPriceLine({
					price: lv.price,
					color: lv.kind === 'sl' ? css('--down') : lv.kind === 'tp' ? css('--up') :
						o.side === 'buy' ? css('--up') : css('--down'),
					lineStyle: lv.kind === 'order' ? LineStyle.Dashed : LineStyle.Dotted,
					lineWidth: 1, axisLabelVisible: true, title: lv.title,
				}),
			}));
			if (drawn.length)
				lines.set(id, drawn);
		} else {
			open.delete(id);
		}
	}

	/* The lines drawn, and how many are stop losses / take profits. */
	function countLines(): void {
		const all = [...lines.values()].flat();
		box.dataset.lines = String(all.length);
		box.dataset.sl = String(all.filter((l) => l.kind === 'sl').length);
		box.dataset.tp = String(all.filter((l) => l.kind === 'tp').length);
		box.dataset.linePrices = all.map((l) => l.line.options().price).join(' ');
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
			lines.forEach((ls) => ls.forEach((l) => candles.removePriceLine(l.line)));
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
		void load();
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
