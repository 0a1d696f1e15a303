// live.ts -- the one WebSocket to /ws: signs in with the access token,
// subscribes the channels pages ask for, hands each message to its
// channel's handlers, reconnects (re-subscribing) after a drop, and signs
// in again with each renewed token.
import { accessToken, onSession } from './api';

/** A message of a channel: "snapshot" first, then the changes. */
export interface LiveMessage {
	channel: string;
	type: string;
	data: unknown;
}

type Handler = (m: LiveMessage) => void;

const handlers = new Map<string, Set<Handler>>();
let ws: WebSocket | null = null;
let authed = false;
let retry = 500;
let retryTimer: number | undefined;

function url(): string {
	return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
}

function sendSub(op: 'subscribe' | 'unsubscribe', channel: string): void {
	if (ws && authed && ws.readyState === WebSocket.OPEN)
		ws.send(JSON.stringify({ op, channel }));
}

function connect(): void {
	const token = accessToken();
	if (!token || ws)
		return;
	const sock = new WebSocket(url());
	ws = sock;
	authed = false;
	sock.onopen = () => sock.send(JSON.stringify({ op: 'auth', token }));
	sock.onmessage = (ev) => {
		let m: LiveMessage;
		try {
			m = JSON.parse(String(ev.data)) as LiveMessage;
		} catch {
			return;
		}
		if (m.type === 'authenticated') {
			authed = true;
			retry = 500;
			handlers.forEach((_, ch) => sendSub('subscribe', ch));
			return;
		}
		handlers.get(m.channel)?.forEach((fn) => fn(m));
	};
	sock.onclose = () => {
		if (ws !== sock)
			return;
		ws = null;
		authed = false;
		if (accessToken()) {
			retryTimer = window.setTimeout(connect, retry);
			retry = Math.min(retry * 2, 10000);
		}
	};
}

/** Closes the socket; a new session's token opens the next one. */
function reset(): void {
	window.clearTimeout(retryTimer);
	const old = ws;
	ws = null;
	authed = false;
	old?.close();
}

onSession((signedIn) => {
	// A renewed token signs the open socket in again: its subscriptions
	// stay, and no message is lost to a reconnect.
	const token = accessToken();
	if (signedIn && token && ws && authed && ws.readyState === WebSocket.OPEN) {
		ws.send(JSON.stringify({ op: 'auth', token }));
		return;
	}
	reset();
	if (signedIn)
		connect();
});

/**
 * Follows `channel`: `fn` gets its snapshot and every change, also after a
 * reconnect.  Returns the function that stops following it.
 */
export function follow(channel: string, fn: Handler): () => void {
	let set = handlers.get(channel);
	if (!set) {
		set = new Set();
		handlers.set(channel, set);
		sendSub('subscribe', channel);
	}
	set.add(fn);
	connect();
	return () => {
		const s = handlers.get(channel);
		if (!s)
			return;
		s.delete(fn);
		if (s.size === 0) {
			handlers.delete(channel);
			sendSub('unsubscribe', channel);
		}
	};
}
