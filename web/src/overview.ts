// overview.ts -- accounts (cash, equity, positions), open orders and the
// fills seen since sign-in; the accounts and orders are read again on
// every order event of the orders channel.
import { errorBox, h, num, replace, showError, table, time } from './dom';
import { follow } from './live';
import * as api from './routes';

interface Fill { order_id: number; symbol: string; side: string; ts: number; last_qty: number; last_price: number; fee?: number }

const recent: Fill[] = [];
let stopTracking: (() => void) | null = null;

/** Keeps the last 50 fills of the orders channel from now on (sign-in). */
export function trackFills(): void {
	stopTracking?.();
	recent.length = 0;
	stopTracking = follow('orders', (m) => {
		if (m.type === 'fill') {
			recent.unshift(m.data as Fill);
			recent.length = Math.min(recent.length, 50);
		}
	});
}

/** Draws the overview; returns what stops its live feed. */
export function overviewPage(root: HTMLElement): () => void {
	const err = errorBox();
	const accBox = h('div', { id: 'accounts' });
	const ordBox = h('div', { id: 'open-orders' });
	const fillBox = h('div', { id: 'fills' });
	replace(root, err,
		h('section', { class: 'panel' }, h('h2', {}, 'Accounts'), accBox),
		h('section', { class: 'panel' }, h('h2', {}, 'Open orders'), ordBox),
		h('section', { class: 'panel' }, h('h2', {}, 'Recent fills'), fillBox));

	let pending = false;
	function refresh(): void {
		if (pending)
			return;
		pending = true;
		Promise.all([api.accounts(), api.openOrders()]).then(([accs, orders]) => {
			showError(err, null);
			replace(accBox, table(accs, [
				['Account', (a) => a.id], ['Venue', (a) => a.venue ?? ''],
				['Cash', (a) => num(a.cash, 2)], ['Equity', (a) => num(a.equity, 2)],
				['Quote', (a) => a.quote ?? ''], ['Open orders', (a) => num(a.open_orders)],
				['Positions', (a) => a.positions.length === 0 ? '—' :
					a.positions.map((p) => `${p.symbol} ${num(p.qty)} @ ${num(p.avg_price)}`).join(', ')],
			], 'no account'));
			replace(ordBox, table(orders, [
				['#', (o) => o.id], ['Client id', (o) => o.client_id ?? ''],
				['Symbol', (o) => o.symbol], ['Side', (o) => o.side], ['Type', (o) => o.type],
				['Qty', (o) => num(o.qty)], ['Price', (o) => num(o.price)],
				['Filled', (o) => num(o.filled)], ['State', (o) => o.state],
			], 'no open order'));
		}).catch((e) => showError(err, e)).finally(() => { pending = false; });
	}
	function drawFills(): void {
		replace(fillBox, table(recent, [
			['Time (UTC)', (f) => time(f.ts)], ['#', (f) => f.order_id], ['Symbol', (f) => f.symbol],
			['Side', (f) => f.side], ['Qty', (f) => num(f.last_qty)], ['Price', (f) => num(f.last_price)],
			['Fee', (f) => num(f.fee)],
		], 'no fill since you signed in'));
	}
	refresh();
	drawFills();
	// trackFills() sees each fill first: it was followed earlier.
	return follow('orders', (m) => {
		if (m.type === 'fill')
			drawFills();
		if (m.type === 'order' || m.type === 'fill')
			refresh();
	});
}
