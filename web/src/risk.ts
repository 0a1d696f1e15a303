// risk.ts -- the risk page: each scope's state, live from the risk
// channel; limits for admins (PUT /risk/limits, the server's validation
// error shown at the form); emergency close with a ratio, confirmed in a
// second step.
import { errorBox, field, h, num, replace, showError, table, time } from './dom';
import { follow } from './live';
import * as api from './routes';

/** The limit keys the risk engine knows (docs/trading.md). */
const LIMIT_KEYS = [
	'max_order_notional', 'max_position_notional', 'max_exposure', 'max_open_orders',
	'price_band_pct', 'max_orders', 'order_window_s', 'stop_loss_pct', 'take_profit_pct',
	'trailing_stop_pct', 'daily_loss_pct', 'weekly_loss_pct', 'monthly_loss_pct',
	'max_drawdown_pct', 'max_consecutive_losses', 'circuit_move_pct', 'circuit_window_s',
	'circuit_halt_s',
];

/** Draws the risk page; returns what stops its live feed. */
export function riskPage(root: HTMLElement, me: api.Me): () => void {
	const statusBox = h('div', { id: 'risk-status' });
	const statusErr = errorBox();
	const eventsBox = h('div', { id: 'risk-events' });
	const events: Array<RiskEvent & { at: number }> = [];
	replace(root,
		h('section', { class: 'panel' }, h('h2', {}, 'Risk status'), statusErr, statusBox,
			h('h3', {}, 'Risk events since this page opened'), eventsBox),
		me.scopes.includes('trade') ? emergencyPanel() : null,
		me.scopes.includes('admin') ? limitsPanel() : null);

	function draw(scopes: api.RiskScope[]): void {
		replace(statusBox, table(scopes, [
			['Scope', (s) => s.scope], ['Id', (s) => s.id ?? ''],
			['State', (s) => h('span', { class: s.halted ? 'bad' : 'good' }, s.halted ? 'halted' : 'trading')],
			['Reason', (s) => s.reason ?? ''], ['Peak equity', (s) => num(s.peak_equity, 2)],
			['Day start equity', (s) => num(s.day_start_equity, 2)],
			['Losses in a row', (s) => num(s.consecutive_losses)],
			['', (s) => s.halted && me.scopes.includes('admin') ?
				h('button', { type: 'button', class: 'small', onclick: () => { api.riskResume(s.scope, s.id).catch((e) => showError(statusErr, e)); } }, 'Resume') : ''],
		], 'no risk scope yet'));
	}
	function drawEvents(): void {
		replace(eventsBox, table(events, [
			['Time (UTC)', (e) => time(e.at)], ['Severity', (e) => h('span', { class: e.severity === 'info' ? '' : 'bad' }, e.severity)],
			['Source', (e) => e.source], ['Event', (e) => e.title], ['Detail', (e) => e.body],
		], 'none'));
	}
	api.riskStatus().then(draw).catch((e) => showError(statusErr, e));
	drawEvents();
	// The snapshot is the status; each later message is a breach, halt or
	// action (an alert), after which the status is read again.
	return follow('risk', (m) => {
		if (m.type === 'snapshot') {
			const d = m.data as { scopes?: api.RiskScope[] } | null;
			draw(d?.scopes ?? []);
			return;
		}
		if (m.type !== 'risk')
			return;
		events.unshift({ ...(m.data as RiskEvent), at: Date.now() });
		events.length = Math.min(events.length, 50);
		drawEvents();
		api.riskStatus().then(draw).catch((e) => showError(statusErr, e));
	});
}

/** A message of the risk channel after its snapshot. */
interface RiskEvent { source: string; severity: string; title: string; body: string }

/** Emergency close: a ratio, then an explicit confirmation. */
function emergencyPanel(): HTMLElement {
	const err = errorBox();
	const done = h('p', { 'aria-live': 'polite', id: 'ec-result' });
	const ratio = h('input', { type: 'number', id: 'ec-ratio', min: '0.01', max: '1', step: '0.01', value: '1', required: true });
	const reason = h('input', { id: 'ec-reason', value: 'dashboard' });
	const confirmBox = h('div', { class: 'confirm', hidden: true, role: 'alertdialog', 'aria-labelledby': 'ec-q' });
	const form = h('form', { class: 'grid-form', id: 'ec-form' },
		field('Ratio of each position to close', ratio), field('Reason', reason),
		h('button', { type: 'submit', class: 'danger' }, 'Emergency close…'));
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		showError(err, null);
		done.textContent = '';
		const r = Number(ratio.value);
		const yes = h('button', { type: 'button', class: 'danger', id: 'ec-confirm' }, 'Yes, close now');
		const no = h('button', { type: 'button' }, 'Cancel');
		replace(confirmBox, h('p', { id: 'ec-q' },
			`Cancel every open order and close ${Math.round(r * 100)} % of every position at market?`), yes, ' ', no);
		confirmBox.hidden = false;
		no.addEventListener('click', () => { confirmBox.hidden = true; });
		yes.addEventListener('click', () => {
			yes.disabled = true;
			api.emergencyClose(r, reason.value || 'dashboard')
				.then(() => { done.textContent = 'Emergency close sent: orders canceled, positions closing.'; })
				.catch((e) => showError(err, e))
				.finally(() => { confirmBox.hidden = true; });
		});
		no.focus();
	});
	return h('section', { class: 'panel danger-zone' }, h('h2', {}, 'Emergency close'), form, confirmBox, err, done);
}

/** Limits of a scope, admins only; empty fields are left as they are. */
function limitsPanel(): HTMLElement {
	const err = errorBox();
	const ok = h('p', { 'aria-live': 'polite' });
	const scope = h('select', { id: 'limit-scope' }, ...['global', 'account', 'instance'].map((s) => h('option', { value: s }, s)));
	const id = h('input', { id: 'limit-id', placeholder: 'paper:name or instance' });
	const inputs = LIMIT_KEYS.map((k) => h('input', { name: k, type: 'number', step: 'any', inputmode: 'decimal' }));
	const form = h('form', { class: 'grid-form', id: 'limits-form' },
		field('Scope', scope), field('Account or instance', id),
		...inputs.map((i) => field(i.name.replace(/_/g, ' '), i)),
		h('button', { type: 'submit' }, 'Apply limits'));
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		showError(err, null);
		ok.textContent = '';
		const limits: Record<string, number> = {};
		inputs.forEach((i) => { if (i.value !== '') limits[i.name] = Number(i.value); });
		api.setRiskLimits(scope.value, id.value, limits)
			.then(() => { ok.textContent = 'limits applied'; })
			.catch((e) => showError(err, e));
	});
	return h('section', { class: 'panel' }, h('h2', {}, 'Limits'),
		h('p', { class: 'muted' }, 'Numbers only; 0 turns a rule off, an empty field leaves it as it is.'), form, err, ok);
}
