// routes.ts -- the REST routes the pages read and change, typed; one
// function per route, grouped by page, so a new route is one more entry.
import { call } from './api';

/* ---- chart --------------------------------------------------------------- */

/** One candle: open time (ms) and OHLCV. */
export interface Candle {
	ts: number; open: number; high: number; low: number; close: number; volume: number;
}

/** A market to chart: venue (feed instance) and canonical symbol. */
export interface Market { exchange: string; symbol: string }

/**
 * Candles of a series, oldest first: the newest `limit` (at most 5000)
 * without `from`; from `from` (ms) on otherwise, following the `next`
 * cursor until `limit` candles or the end.
 */
export async function candles(m: Market, timeframe: string, limit = 5000,
	from?: number): Promise<Candle[]> {
	const out: Candle[] = [];
	do {
		const q = new URLSearchParams({
			exchange: m.exchange, symbol: m.symbol, timeframe,
			limit: String(Math.min(5000, limit - out.length)),
		});
		if (from !== undefined)
			q.set('from', String(from));
		const page = await call<{ candles: number[][]; next?: number }>('GET',
			'/api/v1/market/candles?' + q.toString());
		for (const c of page.candles)
			out.push({ ts: c[0], open: c[1], high: c[2], low: c[3], close: c[4], volume: c[5] });
		if (from === undefined || page.next === undefined || page.candles.length === 0)
			break;
		from = page.next;
	} while (out.length < limit);
	return out;
}

/**
 * The markets there is something to chart for: the venues' instruments
 * and the stored candle series.
 */
export async function markets(): Promise<Market[]> {
	const seen = new Map<string, Market>();
	const add = (exchange: unknown, symbol: unknown): void => {
		if (typeof exchange === 'string' && typeof symbol === 'string')
			seen.set(exchange + ' ' + symbol, { exchange, symbol });
	};
	const [inst, cov] = await Promise.allSettled([
		call<{ instruments: Array<Record<string, unknown>> }>('GET', '/api/v1/market/instruments'),
		call<{ series: Array<Record<string, unknown>> }>('GET', '/api/v1/data/coverage'),
	]);
	if (inst.status === 'fulfilled')
		inst.value.instruments.forEach((i) => add(i.exchange, i.symbol));
	if (cov.status === 'fulfilled')
		cov.value.series.forEach((s) => add(s.exchange, s.symbol));
	if (inst.status === 'rejected' && cov.status === 'rejected')
		throw inst.reason;
	return [...seen.values()].sort((a, b) =>
		(a.exchange + a.symbol).localeCompare(b.exchange + b.symbol));
}

/* ---- orders (chart, overview) -------------------------------------------- */

/** An open order as GET /orders lists it. */
export interface Order {
	id: number; client_id?: string; instance?: string; symbol: string;
	side: string; type: string; state: string; qty: number; price: number; filled: number;
}

/** The open orders. */
export async function openOrders(): Promise<Order[]> {
	return (await call<{ orders: Order[] }>('GET', '/api/v1/orders')).orders;
}

/** An order for a strategy instance's account; answers its id. */
export interface OrderTicket {
	instance: string; symbol: string; side: 'buy' | 'sell';
	type: 'market' | 'limit'; qty: number; price?: number;
}

/** Places an order through the instance's risk checks. */
export async function submitOrder(t: OrderTicket): Promise<number> {
	return (await call<{ id: number }>('POST', '/api/v1/orders', t)).id;
}

/** Cancels an open order. */
export async function cancelOrder(id: number): Promise<void> {
	await call('DELETE', '/api/v1/orders/' + id);
}

/* ---- overview ------------------------------------------------------------ */

/** A position inside an account. */
export interface AccountPosition { symbol: string; qty: number; avg_price: number; realized: number }

/** An account as GET /accounts shows it. */
export interface Account {
	id: string; instance?: string; venue?: string; quote?: string;
	cash: number; equity: number; fees?: number; reserved?: number;
	open_orders?: number; positions: AccountPosition[];
}

/** Every account with its cash, equity and positions. */
export async function accounts(): Promise<Account[]> {
	return (await call<{ accounts: Account[] }>('GET', '/api/v1/accounts')).accounts;
}

/* ---- risk ---------------------------------------------------------------- */

/** One scope's risk state. */
export interface RiskScope {
	scope: string; id?: string; halted: boolean; reason?: string;
	peak_equity?: number; day_start_equity?: number; consecutive_losses?: number;
}

/** The risk engine's state per scope. */
export async function riskStatus(): Promise<RiskScope[]> {
	return (await call<{ scopes: RiskScope[] }>('GET', '/api/v1/risk')).scopes ?? [];
}

/** Changes a scope's limits (admins); the server validates every key. */
export async function setRiskLimits(scope: string, id: string,
	limits: Record<string, number>): Promise<void> {
	const body: Record<string, unknown> = { scope, limits };
	if (scope !== 'global')
		body.id = id;
	await call('PUT', '/api/v1/risk/limits', body);
}

/** Resumes trading in a halted scope (admins). */
export async function riskResume(scope: string, id?: string): Promise<void> {
	await call('POST', '/api/v1/risk/resume', id ? { scope, id } : { scope });
}

/** Cancels every open order and closes `ratio` of every position. */
export async function emergencyClose(ratio: number, reason: string): Promise<unknown> {
	return call('POST', '/api/v1/emergency-close', { ratio, reason });
}

/* ---- account ------------------------------------------------------------- */

/** Who is signed in. */
export interface Me { username: string; role: string; plan: string; scopes: string }

/** The signed-in user. */
export function me(): Promise<Me> {
	return call<Me>('GET', '/api/v1/me');
}

/** A plan's limits. */
export interface Plan {
	name: string; symbols: number; strategies?: string; push_delay_ms: number;
	api_per_min: number; webhooks?: boolean;
}

/** Every plan. */
export async function plans(): Promise<Plan[]> {
	return (await call<{ plans: Plan[] }>('GET', '/api/v1/plans')).plans;
}

/** A 2FA enrolment: the secret, its otpauth URI and the URI's QR code. */
export interface Enrolment { secret: string; uri: string; qr_svg: string }

/** Starts 2FA enrolment (not on until confirmed). */
export function enroll2fa(): Promise<Enrolment> {
	return call<Enrolment>('POST', '/api/v1/me/2fa/enroll');
}

/** Turns 2FA on with a code from the app; answers the recovery codes. */
export async function confirm2fa(code: string): Promise<string[]> {
	const r = await call<{ recovery_codes?: string[] }>('POST', '/api/v1/me/2fa/confirm', { code });
	return r.recovery_codes ?? [];
}

/** An API key (never its secret, which is shown once at creation). */
export interface ApiKey { id: string; label?: string; scopes: string; created?: number; revoked?: number }

/** The caller's API keys. */
export async function apiKeys(): Promise<ApiKey[]> {
	return (await call<{ keys: ApiKey[] }>('GET', '/api/v1/me/keys')).keys;
}

/** Creates a key: its id and the secret, shown this once. */
export function createKey(scopes: string, label: string): Promise<{ id: string; secret: string; scopes: string }> {
	return call('POST', '/api/v1/me/keys', { scopes, label });
}

/** Revokes a key. */
export async function revokeKey(id: string): Promise<void> {
	await call('DELETE', '/api/v1/me/keys/' + encodeURIComponent(id));
}
