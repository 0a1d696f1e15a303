// routes.ts -- the REST routes the pages read and change, typed; one
// function per route, grouped by page, so a new route is one more entry.
import { call, RawBody } from './api';

/* ---- chart --------------------------------------------------------------- */

/** One candle: open time (ms) and OHLCV, in the chart's form of a bar
 *  (klinecharts' KLineData: the rows go to the chart as they are). */
export type Candle = {
	timestamp: number; open: number; high: number; low: number; close: number; volume: number;
};

/** A market to chart: venue (feed instance) and canonical symbol. */
export interface Market { exchange: string; symbol: string }

/** The most candles one request gives (GET /market/candles' limit). */
export const CANDLES_PAGE = 5000;

/* One page of GET /market/candles: its candles and `next` cursor. */
async function candlePage(m: Market, timeframe: string, q: Record<string, number>): Promise<{ rows: Candle[]; next?: number }> {
	const query = new URLSearchParams({ exchange: m.exchange, symbol: m.symbol, timeframe });
	for (const [k, v] of Object.entries(q))
		query.set(k, String(v));
	const page = await call<{ candles: number[][]; next?: number }>('GET',
		'/api/v1/market/candles?' + query.toString());
	return {
		rows: page.candles.map((c) => ({ timestamp: c[0], open: c[1], high: c[2], low: c[3], close: c[4], volume: c[5] })),
		next: page.next,
	};
}

/**
 * Candles of a series, oldest first: the newest `limit` (at most
 * CANDLES_PAGE) without `from`; from `from` (ms) on otherwise, following
 * the `next` cursor until `limit` candles or the end.
 */
export async function candles(m: Market, timeframe: string, limit = CANDLES_PAGE,
	from?: number): Promise<Candle[]> {
	const out: Candle[] = [];
	do {
		const q: Record<string, number> = { limit: Math.min(CANDLES_PAGE, limit - out.length) };
		if (from !== undefined)
			q.from = from;
		const page = await candlePage(m, timeframe, q);
		out.push(...page.rows);
		if (from === undefined || page.next === undefined || page.rows.length === 0)
			break;
		from = page.next;
	} while (out.length < limit);
	return out;
}

/**
 * The page before a chart's first candle: the newest `limit` (at most
 * CANDLES_PAGE) candles of a series opened before `before` (ms), oldest
 * first; fewer than asked when the store has no more.
 */
export async function candlesBefore(m: Market, timeframe: string, before: number,
	limit = CANDLES_PAGE): Promise<Candle[]> {
	return (await candlePage(m, timeframe, { to: before - 1, limit: Math.min(CANDLES_PAGE, limit) })).rows;
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
	type: 'market' | 'limit' | 'stop' | 'take_profit' | 'trailing_stop'; qty: number; price?: number;
	/** stop and take_profit: the price that triggers it */
	stop_price?: number;
	/** trailing_stop: how far its stop follows the best price since it was placed */
	trail?: number;
	/** a bracket: once this order fills, a stop loss and a take profit close it */
	sl_price?: number; tp_price?: number;
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

/* ---- strategies, plugins, indicators -------------------------------------- */

/** A plugin's parameter as its specs describe it. */
export interface ParamSpec {
	name: string; type: 'int' | 'double' | 'bool' | 'string' | 'enum';
	default?: number | boolean | string; min?: number; max?: number;
	choices?: string[]; required: boolean; secret?: boolean; description: string;
}

/** An instance as GET /instances lists it. */
export interface Instance {
	name: string; plugin: string; kind: string; plugin_version?: string;
	state: string; reason?: string; trust: string; sandboxed: boolean;
	restarts: number; exchange?: string; account?: string;
}

/** An instance with its params, its plugin's specs and its file's version. */
export interface InstanceInfo extends Instance {
	params: Record<string, unknown> | null; param_specs: ParamSpec[]; version?: string;
}

/** A problem the server found in one field. */
export interface FieldError { field: string; message: string }

/** Every instance. */
export async function instances(): Promise<Instance[]> {
	return (await call<{ instances: Instance[] }>('GET', '/api/v1/instances')).instances;
}

/** One instance in full. */
export async function instance(name: string): Promise<InstanceInfo> {
	return (await call<{ instance: InstanceInfo }>('GET', '/api/v1/instances/' + encodeURIComponent(name))).instance;
}

/** Starts, stops or restarts an instance (admins). */
export async function instanceAction(name: string, action: 'start' | 'stop' | 'restart'): Promise<void> {
	await call('POST', `/api/v1/instances/${encodeURIComponent(name)}/${action}`);
}

/** The server's checks of params: every problem, by field. */
export async function validateParams(name: string, params: Record<string, unknown>): Promise<FieldError[]> {
	return (await call<{ errors: FieldError[] }>('POST',
		`/api/v1/instances/${encodeURIComponent(name)}/params/validate`, { params })).errors;
}

/** Writes params into the instance's file (it restarts); the new version. */
export async function setParams(name: string, params: Record<string, unknown>, version?: string): Promise<string> {
	return (await call<{ version: string }>('PUT', `/api/v1/instances/${encodeURIComponent(name)}/params`,
		version ? { params, version } : { params })).version;
}

/** An instance file's text and version. */
export interface InstanceFile { name: string; file: string; text: string; version: string }

/** The instance's file (admins). */
export function instanceFile(name: string): Promise<InstanceFile> {
	return call<InstanceFile>('GET', `/api/v1/instances/${encodeURIComponent(name)}/config`);
}

/** Replaces the instance's file (admins; checked, then reloaded); the new version. */
export async function saveInstanceFile(name: string, text: string, version: string): Promise<string> {
	return (await call<{ version: string }>('PUT', `/api/v1/instances/${encodeURIComponent(name)}/config`,
		{ text, version })).version;
}

/** A problem of an instance file's text. */
export interface TextProblem { line: number; column: number; message: string }

/** Checks an instance file's text as a reload would. */
export async function checkConfig(text: string): Promise<TextProblem[]> {
	return (await call<{ problems: TextProblem[] }>('POST', '/api/v1/config/check', new RawBody(text))).problems;
}

/** A plugin as GET /plugins describes it. */
export interface Plugin {
	name: string; kind: string; version: string; abi: string; file: string;
	description: string; license: string; requires: string[]; sandbox_only?: boolean;
	instances?: Instance[]; params?: ParamSpec[]; outputs?: string[]; overlay?: boolean;
}

/** A module file the loader refused. */
export interface Refusal { file: string; name: string | null; reason: string }

/** The plugins and the refused files. */
export function plugins(): Promise<{ plugins: Plugin[]; refused: Refusal[] }> {
	return call('GET', '/api/v1/plugins');
}

/** One plugin with its param specs. */
export async function plugin(name: string): Promise<Plugin> {
	return (await call<{ plugin: Plugin }>('GET', '/api/v1/plugins/' + encodeURIComponent(name))).plugin;
}

/** The indicator plugins, with params and outputs. */
export async function indicators(): Promise<Plugin[]> {
	return (await call<{ indicators: Plugin[] }>('GET', '/api/v1/indicators')).indicators;
}

/** An indicator's outputs over stored candles: times (ms) and one column per output. */
export interface IndicatorSeries { ts: number[]; outputs: string[]; values: Record<string, Array<number | null>> }

/** Computes an indicator over the candles of [from, to] (ms) of a market. */
export function computeIndicator(name: string, m: Market, timeframe: string, from: number, to: number,
	params: Record<string, unknown>): Promise<IndicatorSeries> {
	return call<IndicatorSeries>('POST', '/api/v1/indicators/' + encodeURIComponent(name),
		{ exchange: m.exchange, symbol: m.symbol, timeframe, from, to, params });
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
