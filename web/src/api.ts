// api.ts -- the session and every REST call: tokens held in memory (the
// refresh token also in sessionStorage, so a reload of the tab keeps the
// session but closing the tab ends it), refreshed a minute before the
// access token expires, and errors as ApiError carrying the server's
// {"error":{"code","message","field"}} body.

/** A failed request: the HTTP status and the server's error body. */
export class ApiError extends Error {
	constructor(readonly status: number, readonly code: string,
		message: string, readonly field?: string) {
		super(message);
	}
}

/** A body sent as it is, not JSON-encoded (an instance file's text). */
export class RawBody {
	constructor(readonly text: string) {}
}

interface Tokens {
	access_token: string;
	expires_in: number;
	refresh_token: string;
}

const REFRESH_KEY = 'quantd.refresh';
let access: string | null = null;
let refreshTimer: number | undefined;
const listeners: Array<(signedIn: boolean) => void> = [];

/** Calls `fn` whenever the session starts, is renewed or ends. */
export function onSession(fn: (signedIn: boolean) => void): void {
	listeners.push(fn);
}

/** The current access token, or null when signed out. */
export function accessToken(): string | null {
	return access;
}

function adopt(t: Tokens): void {
	access = t.access_token;
	sessionStorage.setItem(REFRESH_KEY, t.refresh_token);
	window.clearTimeout(refreshTimer);
	// Renew a minute before expiry (half the lifetime for short ones).
	const lead = Math.min(60, t.expires_in / 2);
	refreshTimer = window.setTimeout(() => { void refresh(); },
		(t.expires_in - lead) * 1000);
	listeners.forEach((fn) => fn(true));
}

function drop(): void {
	access = null;
	sessionStorage.removeItem(REFRESH_KEY);
	window.clearTimeout(refreshTimer);
	listeners.forEach((fn) => fn(false));
}

async function send(method: string, path: string, body?: unknown,
	auth = true, raw = false): Promise<unknown> {
	const headers: Record<string, string> = {};
	if (body !== undefined)
		headers['Content-Type'] = 'application/json';
	if (auth && access)
		headers.Authorization = 'Bearer ' + access;
	let res: Response;
	try {
		res = await fetch(path, {
			method, headers,
			body: body === undefined ? undefined :
				body instanceof RawBody ? body.text : JSON.stringify(body),
		});
	} catch {
		throw new ApiError(0, 'network', 'the daemon cannot be reached');
	}
	const text = await res.text();
	if (raw && res.ok)
		return text;
	let doc: unknown = null;
	try {
		doc = text ? JSON.parse(text) : null;
	} catch {
		doc = null;
	}
	if (!res.ok) {
		const e = (doc as { error?: { code?: string; message?: string; field?: string } } | null)?.error;
		throw new ApiError(res.status, e?.code ?? 'http_' + res.status,
			e?.message ?? res.status + ' ' + res.statusText, e?.field);
	}
	return doc;
}

/**
 * A REST call with the session's token.  An expired token is refreshed
 * once and the call repeated; a session that cannot be renewed ends.
 */
export async function call<T = unknown>(method: string, path: string,
	body?: unknown, raw = false): Promise<T> {
	try {
		return await send(method, path, body, true, raw) as T;
	} catch (e) {
		if (!(e instanceof ApiError) || e.status !== 401 || !sessionStorage.getItem(REFRESH_KEY))
			throw e;
		if (!(await refresh()))
			throw e;
		return await send(method, path, body, true, raw) as T;
	}
}

/** A GET whose answer is a document, not JSON (a report, a CSV): its text. */
export function callText(path: string): Promise<string> {
	return call<string>('GET', path, undefined, true);
}

/**
 * Signs in.  Resolves to 'otp' when the account has 2FA on and no code was
 * given (the caller asks for one and calls again), 'ok' once signed in.
 */
export async function login(username: string, password: string,
	otp?: string): Promise<'ok' | 'otp'> {
	const body: Record<string, string> = { username, password };
	if (otp)
		body.otp = otp;
	try {
		adopt(await send('POST', '/api/v1/auth/login', body, false) as Tokens);
		return 'ok';
	} catch (e) {
		if (e instanceof ApiError && e.code === '2fa_required' && !otp)
			return 'otp';
		throw e;
	}
}

let refreshing: Promise<boolean> | null = null;

/** Trades the refresh token for a new pair; false (signed out) if refused. */
export function refresh(): Promise<boolean> {
	const rt = sessionStorage.getItem(REFRESH_KEY);
	if (!rt)
		return Promise.resolve(false);
	refreshing ??= send('POST', '/api/v1/auth/refresh', { refresh_token: rt }, false)
		.then((t) => { adopt(t as Tokens); return true; })
		.catch(() => { drop(); return false; })
		.finally(() => { refreshing = null; });
	return refreshing;
}

/** Ends the session on the server (its refresh family) and here. */
export async function logout(): Promise<void> {
	const rt = sessionStorage.getItem(REFRESH_KEY);
	try {
		if (rt)
			await send('POST', '/api/v1/auth/logout', { refresh_token: rt }, false);
	} catch {
		/* signed out here whatever the server said */
	}
	drop();
}
