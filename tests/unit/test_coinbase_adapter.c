/*
 * test_coinbase_adapter.c -- the coinbase adapter (plugins/exchange-
 * coinbase/coinbase.c with the shared core) driven through its ops by a
 * recording host: what it subscribes and when, which trades it emits
 * (taker side, oldest first, each once, a snapshot used only after a
 * loss), sequence gaps and venue errors logged, and the 1m candles polled
 * over REST: a gap of more than 350 minutes is asked in ranges the venue
 * accepts and every minute of it arrives exactly once, with minutes
 * without trades (no candle) in between.  The SPOT product list is asked
 * a second after the start and handed to the host for the subscribed
 * products only (exact decimal text; an alias product under its own
 * name and quote), again soon after a new symbol, and a 429 on it pauses
 * REST.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/exchange-coinbase/coinbase.c"

static int fails, checks;

#define CHECK(cond, ...) do {                                           \
	checks++;                                                       \
	if (!(cond)) {                                                  \
		fails++;                                                \
		printf("not ok - " __VA_ARGS__);                        \
		printf("\n");                                           \
	}                                                               \
} while (0)

/* ---- the recording host ------------------------------------------------ */

#define MAXREC 4096

static int64_t clock_ms;
static char logs[MAXREC][256];
static int n_logs;
static char sent[MAXREC][512];
static uint64_t sent_conn[MAXREC];
static int n_sent;
static uint64_t next_id = 100;
static uint64_t opened[16];
static int n_opened;
static struct { uint64_t id; int64_t after_ms; } timers[MAXREC];
static int n_timers;
static struct { uint64_t id; char url[512]; int done; } reqs[MAXREC];
static int n_reqs;
static struct qd_trade_event trades_out[MAXREC];
static int n_trades;
static struct qd_bar_event bars[MAXREC];
static int n_bars;
static struct qd_book_top_event tops[64];
static int n_tops;
static struct {
	qd_symbol symbol;
	char native[32], tick[32], lot[32], min_qty[32], min_notional[32];
	char status[16];
	int has_notional, trading;
} instr[64];
static int n_instr;

static void
h_log(qd_ctx *ctx, enum qd_log_level l, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	(void)l;
	if (n_logs == MAXREC)
		return;
	va_start(ap, fmt);
	vsnprintf(logs[n_logs++], sizeof(logs[0]), fmt, ap);
	va_end(ap);
}

static int64_t h_now(qd_ctx *c) { (void)c; return clock_ms * 1000000; }

static const char *
h_string(const qd_params *p, const char *name)
{
	(void)p;
	return strcmp(name, "ws_url") == 0 ? "wss://ws.test" :
	    strcmp(name, "rest_url") == 0 ? "https://rest.test" : "";
}

static int h_bool(const qd_params *p, const char *n) { (void)p; (void)n;
	return 1; }

/* rate_limit, the only integer parameter. */
static int64_t h_int(const qd_params *p, const char *n) { (void)p; (void)n;
	return 25; }

static const char *
h_symbol_name(qd_ctx *c, qd_symbol s)
{
	(void)c;
	return s == 1 ? "BTC/USD" : s == 2 ? "ETH/USD" : s == 3 ?
	    "BTC/USDC" : NULL;
}

static int
h_timer_add(qd_ctx *c, int64_t after, int64_t every, uint64_t *id)
{
	(void)c;
	(void)every;
	*id = ++next_id;
	timers[n_timers].id = *id;
	timers[n_timers++].after_ms = after / 1000000;
	return QD_OK;
}

static int h_timer_cancel(qd_ctx *c, uint64_t id) { (void)c; (void)id;
	return QD_OK; }

static int
h_ws_open(qd_ctx *c, const char *url, const struct qd_kv *h, uint32_t n,
	uint64_t *conn)
{
	(void)c; (void)url; (void)h; (void)n;
	*conn = ++next_id;
	opened[n_opened++] = *conn;
	return QD_OK;
}

static int
h_ws_send(qd_ctx *c, uint64_t conn, const char *data, size_t len)
{
	(void)c;
	snprintf(sent[n_sent], sizeof(sent[0]), "%.*s", (int)len, data);
	sent_conn[n_sent++] = conn;
	return QD_OK;
}

static int h_ws_close(qd_ctx *c, uint64_t conn) { (void)c; (void)conn;
	return QD_OK; }

static int
h_http(qd_ctx *c, const struct qd_http_request *r, uint64_t *id)
{
	(void)c;
	*id = ++next_id;
	reqs[n_reqs].id = *id;
	reqs[n_reqs].done = 0;
	snprintf(reqs[n_reqs++].url, sizeof(reqs[0].url), "%s", r->url);
	return QD_OK;
}

static int h_header(qd_ctx *c, const char *n, char *b, size_t cap) {
	(void)c; (void)n; (void)b; (void)cap; return QD_ERR_NOTFOUND; }

static void h_trade(qd_ctx *c, const struct qd_trade_event *t) { (void)c;
	trades_out[n_trades++] = *t; }
static void h_bar(qd_ctx *c, const struct qd_bar_event *b) { (void)c;
	bars[n_bars++] = *b; }
static void h_top(qd_ctx *c, const struct qd_book_top_event *t) { (void)c;
	tops[n_tops++] = *t; }

/* The host gets pointers valid for the call only: copied. */
static void
h_instrument(qd_ctx *c, const struct qd_instrument *in)
{
	(void)c;
	if (n_instr < (int)QD_COUNTOF(instr)) {
		instr[n_instr].symbol = in->symbol;
		snprintf(instr[n_instr].native, 32, "%s", in->native);
		snprintf(instr[n_instr].tick, 32, "%s", in->tick);
		snprintf(instr[n_instr].lot, 32, "%s", in->lot);
		snprintf(instr[n_instr].min_qty, 32, "%s", in->min_qty);
		snprintf(instr[n_instr].min_notional, 32, "%s",
			in->min_notional ? in->min_notional : "");
		snprintf(instr[n_instr].status, 16, "%s", in->status);
		instr[n_instr].has_notional = in->min_notional != NULL;
		instr[n_instr].trading = in->trading;
	}
	n_instr++;
}

static struct qd_host_api api = {
	.size = sizeof(struct qd_host_api),
	.abi_major = QD_ABI_MAJOR,
	.abi_minor = QD_ABI_MINOR,
	.log = h_log,
	.now_ns = h_now,
	.param_int = h_int,
	.param_bool = h_bool,
	.param_string = h_string,
	.symbol_name = h_symbol_name,
	.timer_add = h_timer_add,
	.timer_cancel = h_timer_cancel,
	.ws_open = h_ws_open,
	.ws_send = h_ws_send,
	.ws_close = h_ws_close,
	.http_request = h_http,
	.emit_trade = h_trade,
	.emit_bar = h_bar,
	.emit_book_top = h_top,
	.http_header = h_header,
	.emit_instrument = h_instrument,
};

static int
logged(const char *what)
{
	int i, n = 0;

	for (i = 0; i < n_logs; i++)
		n += strstr(logs[i], what) != NULL;
	return n;
}

static void
msg(void *st, uint64_t conn, const char *text)
{
	cb_ops.on_ws_message(st, conn, text, strlen(text));
}

/* A market_trades message of sequence `seq` with trades "id:maker_side"
 * at second `sec`, newest first as the venue sends them. */
static void
trades_msg(void *st, uint64_t conn, int seq, const char *type, int sec,
	const char *const *ids, int n)
{
	char m[4096];
	size_t o;
	int i;

	o = (size_t)snprintf(m, sizeof(m), "{\"channel\":\"market_trades\","
		"\"timestamp\":\"2026-01-01T00:00:%02dZ\",\"sequence_num\":%d,"
		"\"events\":[{\"type\":\"%s\",\"trades\":[", sec, seq, type);
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(m + o, sizeof(m) - o, "%s{\"product_id\":"
			"\"BTC-USD\",\"trade_id\":\"%.*s\",\"price\":\"100.5\","
			"\"size\":\"0.25\",\"time\":\"2026-01-01T00:00:%02d."
			"%03d999Z\",\"side\":\"%s\"}", i ? "," : "",
			(int)(strchr(ids[i], ':') - ids[i]), ids[i], sec, n - i,
			strchr(ids[i], ':')[1] == 'B' ? "BUY" : "SELL");
	snprintf(m + o, sizeof(m) - o, "]}]}");
	msg(st, conn, m);
}

/* ---- a venue answering candle requests --------------------------------- */

/* Minutes without trades have no candle: every 7th while `sparse`. */
static int sparse = 1;

static int
traded(int64_t minute_ms)
{
	return !sparse || (minute_ms / 60000) % 7 != 3;
}

static long long
query(const char *url, const char *key)
{
	const char *p = strstr(url, key);

	return p ? atoll(p + strlen(key)) : -1;
}

/* Answer request i as the venue would; 0, or -1 for a range it refuses. */
static int
answer(void *st, int i)
{
	long long lo = query(reqs[i].url, "start="), hi = query(reqs[i].url,
		"&end=");
	static char body[350 * 128 + 64];
	size_t o;
	int64_t t;

	reqs[i].done = 1;
	if (lo < 0 || hi < lo || hi - lo >= 350 * 60) {
		static const char e[] = "{\"error\":\"INVALID_ARGUMENT\","
			"\"message\":\"number of candles requested should be "
			"less than 350\"}";

		cb_ops.on_http_response(st, reqs[i].id, 400, e, sizeof(e) - 1);
		return -1;
	}
	o = (size_t)snprintf(body, sizeof(body), "{\"candles\":[");
	/* newest first; the minute still open included */
	for (t = hi / 60 * 60000; t >= lo * 1000; t -= 60000)
		if (t >= lo * 1000 && t <= clock_ms && traded(t))
			o += (size_t)snprintf(body + o, sizeof(body) - o,
				"%s{\"start\":\"%lld\",\"low\":\"1\",\"high\":"
				"\"3\",\"open\":\"2\",\"close\":\"2.5\","
				"\"volume\":\"%lld\"}", o > 12 ? "," : "",
				(long long)(t / 1000), (long long)(t / 60000));
	snprintf(body + o, sizeof(body) - o, "]}");
	cb_ops.on_http_response(st, reqs[i].id, 200, body, strlen(body));
	return 0;
}

/* Answer every request, those the answers cause included. */
static int
answer_all(void *st)
{
	int i, refused = 0, progress = 1;

	while (progress) {
		progress = 0;
		for (i = 0; i < n_reqs; i++)
			if (!reqs[i].done) {
				refused += answer(st, i) != 0;
				progress = 1;
			}
	}
	return refused;
}

static void
fire(void *st, uint64_t id)
{
	cb_ops.on_timer(st, id);
}

static void *the_state;

/* The core's once-a-minute poll timer. */
static uint64_t
poll_timer(void)
{
	return ((struct coinbase *)the_state)->v.poll_timer;
}

/* An outage until `until`: the poll asks the gap, in ranges the venue
 * accepts, and every closed minute with trades arrives once. */
static void
outage(void *st, int64_t until, const char *what)
{
	struct venue *v = st;
	int64_t gap_from = venue_gap_start(&v->subs[0]), t, now_min;
	int i, k, refused, seen[2000], flat[2000];

	clock_ms = until;
	now_min = clock_ms / 60000 * 60000;
	n_reqs = 0;
	n_bars = 0;
	fire(st, poll_timer());
	refused = answer_all(st);
	CHECK(refused == 0, "%s: no request the venue refuses (%d)", what,
		refused);
	CHECK(n_reqs >= 4, "%s: the gap takes several requests: %d", what,
		n_reqs);
	memset(seen, 0, sizeof(seen));
	memset(flat, 0, sizeof(flat));
	for (i = 0; i < n_bars; i++)
		if (bars[i].symbol == 1) {
			k = (int)((bars[i].bar.ts / 1000000 - gap_from) / 60000);
			if (k >= 0 && k < 2000) {
				seen[k]++;
				flat[k] = bars[i].bar.volume == 0 &&
				    bars[i].bar.open == bars[i].bar.close &&
				    bars[i].bar.high == bars[i].bar.close &&
				    bars[i].bar.low == bars[i].bar.close;
			}
		}
	/* Minutes with trades once; a minute without is at most once, and
	 * then a flat bar (the venue skipped it: see flat_gaps). */
	for (k = 0, t = gap_from; t < now_min && k < 2000; t += 60000, k++)
		if (traded(t) ? seen[k] != 1 : seen[k] > 1 ||
		    (seen[k] == 1 && !flat[k]))
			break;
	CHECK(t == now_min, "%s: every closed minute with trades once, "
		"one without at most once and flat; minute %d of the gap seen "
		"%d times", what, k, k < 2000 ? seen[k] : -1);
	for (k = 0, i = 0; k < 2000; k++)
		i += flat[k];
	CHECK(!sparse || i > 0, "%s: skipped minutes become flat bars (%d)",
		what, i);
	CHECK((now_min - gap_from) / 60000 < 2000 &&
		seen[(now_min - gap_from) / 60000] == 0,
		"%s: the minute still open is not emitted", what);
}

/* ---- the scenarios ----------------------------------------------------- */

static void
streaming(void *st, uint64_t conn)
{
	static const char *const snap[] = { "105:B", "104:S", "103:B" };
	static const char *const upd[] = { "108:B", "107:S", "106:B",
		"105:S" };
	static const char err[] = "{\"type\":\"error\",\"message\":"
		"\"Failure to subscribe\"}";
	static const char tick[] = "{\"channel\":\"ticker\",\"timestamp\":"
		"\"2026-01-01T00:00:05Z\",\"sequence_num\":4,\"events\":[{"
		"\"type\":\"update\",\"tickers\":[{\"product_id\":\"ETH-USD\","
		"\"price\":\"10\",\"best_bid\":\"9.5\",\"best_bid_quantity\":"
		"\"3\",\"best_ask\":\"10.5\",\"best_ask_quantity\":\"4\"}]}]}";

	trades_msg(st, conn, 0, "snapshot", 1, snap, 3);
	CHECK(n_trades == 0, "the first snapshot (trades before streaming "
		"began) is not emitted: %d", n_trades);
	trades_msg(st, conn, 1, "update", 2, upd, 4);
	CHECK(n_trades == 3, "an update emits its new trades: %d", n_trades);
	CHECK(n_trades == 3 && trades_out[0].trade_id == 106 &&
		trades_out[1].trade_id == 107 && trades_out[2].trade_id == 108,
		"oldest first, the one of the snapshot dropped");
	CHECK(n_trades == 3 && trades_out[0].side == QD_SIDE_SELL &&
		trades_out[1].side == QD_SIDE_BUY &&
		trades_out[2].side == QD_SIDE_SELL && trades_out[0].symbol == 1,
		"taker sides: the opposite of the maker's");
	CHECK(n_trades == 3 && trades_out[0].price == 100.5 &&
		trades_out[0].qty == 0.25 &&
		trades_out[0].ts == (1767225602000LL + 2) * 1000000,
		"price, size and time (ms, truncated) of a trade: %lld",
		(long long)trades_out[0].ts);
	CHECK(logged("sequence gap") == 0, "no gap in 0, 1");
	msg(st, conn, tick);
	CHECK(logged("sequence gap on ticker: 4 after 1") == 1,
		"a sequence jump is logged");
	CHECK(n_tops == 1 && tops[0].symbol == 2 && tops[0].bid == 9.5 &&
		tops[0].bid_qty == 3 && tops[0].ask == 10.5 &&
		tops[0].ask_qty == 4, "the ticker is the book top");
	msg(st, conn, err);
	CHECK(logged("coinbase says: Failure to subscribe") == 1,
		"the venue's error is logged");
	msg(st, conn, "{\"channel\":\"market_trades\"");
	CHECK(logged("skipped a malformed message") == 1,
		"a malformed message is logged");
}

static void
reconnect(void *st, uint64_t conn)
{
	static const char *const snap[] = { "111:B", "110:S", "109:B",
		"108:B" };
	int before = n_sent, i, hb = 0;
	uint64_t fresh;

	cb_ops.on_ws_close(st, conn, 1006, "cut");
	CHECK(logged("connection lost") == 1, "the loss is logged");
	fire(st, timers[n_timers - 1].id);
	CHECK(n_opened == 2, "reopened after the backoff");
	fresh = opened[n_opened - 1];
	cb_ops.on_ws_open(st, fresh);
	for (i = before; i < n_sent; i++)
		hb += sent_conn[i] == fresh && strcmp(sent[i],
			"{\"type\":\"subscribe\",\"channel\":\"heartbeats\"}") ==
			0;
	CHECK(hb == 1, "heartbeats asked again on the fresh connection");
	trades_msg(st, fresh, 0, "snapshot", 9, snap, 4);
	CHECK(n_trades == 6 && trades_out[3].trade_id == 109 &&
		trades_out[5].trade_id == 111, "after a loss the snapshot "
		"fills what was missed, once: %d", n_trades);
	CHECK(logged("sequence gap") == 1, "a fresh connection starts its "
		"own sequence");
}

static void
polling(void *st)
{
	int64_t start = clock_ms / 60000 * 60000;
	int refused, k;
	uint64_t id;

	/* The first poll: the minute streaming began. */
	clock_ms = start + 62000;
	id = poll_timer();
	n_reqs = 0;
	fire(st, id);
	CHECK(n_reqs == 2, "one candles request per symbol: %d", n_reqs);
	CHECK(n_reqs > 0 && strstr(reqs[0].url, "https://rest.test/api/v3/"
		"brokerage/market/products/BTC-USD/candles?start=") ==
		reqs[0].url && query(reqs[0].url, "start=") == start / 1000 &&
		query(reqs[0].url, "&end=") == start / 1000 + 59 &&
		strstr(reqs[0].url, "&granularity=ONE_MINUTE") != NULL,
		"the closed minute asked: %s", reqs[0].url);
	n_bars = 0;
	refused = answer_all(st);
	CHECK(refused == 0 && n_bars == 2 * traded(start) &&
		(n_bars == 0 || (bars[0].bar.ts == start * 1000000 &&
		bars[0].timeframe_s == 60 && bars[0].bar.open == 2 &&
		bars[0].bar.high == 3 && bars[0].bar.low == 1 &&
		bars[0].bar.close == 2.5)), "its 1m bar emitted: %d", n_bars);

	/* Ten hours later, then thirteen more (long outages): minutes
	 * without trades make short pages, which the adapter continues;
	 * full pages the core continues. */
	outage(st, start + 600 * 60000LL + 62000, "sparse gap");
	sparse = 0;
	outage(st, start + 1400 * 60000LL + 62000, "dense gap");
	/* The venue's rate limit: REST waits. */
	clock_ms += 60000;
	n_reqs = 0;
	fire(st, poll_timer());
	CHECK(n_reqs == 2, "polled again");
	cb_ops.on_http_response(st, reqs[0].id, 429, "", 0);
	reqs[0].done = 1;
	CHECK(logged("REST answered 429") == 1, "a 429 pauses REST");
	k = n_reqs;
	clock_ms += 5000;
	fire(st, poll_timer());
	CHECK(n_reqs == k, "no request while paused");
}

/* When timer `id` was set to fire (ms after it was added), or -1. */
static int64_t
timer_after(uint64_t id)
{
	int i;

	for (i = 0; i < n_timers; i++)
		if (timers[i].id == id)
			return timers[i].after_ms;
	return -1;
}

/* A product list in the documented shape: BTC-USD online, ETH-USD online
 * but trading disabled, BTC-USDC (an alias of BTC-USD, subscribed later),
 * SOL-USD never subscribed, and a FUTURE the parser skips. */
static const char *
products_answer(void)
{
	static char b[8192];
	static const char *const rows[][8] = {
		/* id, base, quote, quote_inc, base_inc, base_min,
		 * quote_min, alias */
		{ "BTC-USD", "BTC", "USD", "0.01", "0.00000001", "0.00001",
		  "1", "" },
		{ "ETH-USD", "ETH", "USD", "0.01", "0.00000001", "0.0001",
		  "1", "" },
		{ "BTC-USDC", "BTC", "USDC", "0.01", "0.00000001", "0.00001",
		  "", "BTC-USD" },
		{ "SOL-USD", "SOL", "USD", "0.01", "0.001", "0.01", "1", "" },
	};
	size_t len, i;

	len = (size_t)snprintf(b, sizeof(b), "{\"products\":[{\"product_id\":"
		"\"BIT-28NOV26-CDE\",\"product_type\":\"FUTURE\","
		"\"status\":\"online\"}");
	for (i = 0; i < QD_COUNTOF(rows); i++)
		len += (size_t)snprintf(b + len, sizeof(b) - len,
			",{\"product_id\":\"%s\",\"price\":\"68925.98\","
			"\"base_increment\":\"%s\",\"quote_increment\":\"%s\","
			"\"quote_min_size\":\"%s\",\"base_min_size\":\"%s\","
			"\"status\":\"online\",\"trading_disabled\":%s,"
			"\"product_type\":\"SPOT\",\"quote_currency_id\":"
			"\"%s\",\"base_currency_id\":\"%s\",\"alias\":\"%s\","
			"\"alias_to\":[]}", rows[i][0], rows[i][4], rows[i][3],
			rows[i][6], rows[i][5], i == 1 ? "true" : "false",
			rows[i][2], rows[i][1], rows[i][7]);
	snprintf(b + len, sizeof(b) - len, "],\"num_products\":5,"
		"\"pagination\":null}");
	return b;
}

/* The product list, after the other tests (REST paused by their 429:
 * the pause ends first). */
static void
instruments(void *st, uint64_t first)
{
	struct venue *v = st;
	const char *text = products_answer();
	int k;

	if (clock_ms < v->rest_blocked_until)
		clock_ms = v->rest_blocked_until;
	fire(st, v->rest_timer);
	CHECK(v->rest_blocked_until == 0, "the pause over");
	k = n_reqs;
	fire(st, first);
	CHECK(n_reqs == k + 1 && strcmp(reqs[k].url, "https://rest.test/api/"
		"v3/brokerage/market/products?product_type=SPOT") == 0,
		"the product list asked: %s", n_reqs > k ? reqs[k].url : "");
	cb_ops.on_http_response(st, next_id, 200, text, strlen(text));
	CHECK(n_instr == 2, "the subscribed two handed over (%d)", n_instr);
	CHECK(instr[0].symbol == 1 && strcmp(instr[0].native, "BTC-USD") ==
		0 && strcmp(instr[0].tick, "0.01") == 0 &&
		strcmp(instr[0].lot, "0.00000001") == 0 &&
		strcmp(instr[0].min_qty, "0.00001") == 0 &&
		strcmp(instr[0].min_notional, "1") == 0 &&
		strcmp(instr[0].status, "online") == 0 && instr[0].trading,
		"BTC-USD exactly: quote_increment the tick, base_increment "
		"the lot, base_min_size and quote_min_size the minimums");
	CHECK(instr[1].symbol == 2 && strcmp(instr[1].min_qty, "0.0001") == 0
		&& !instr[1].trading, "ETH-USD trading_disabled: not trading");
	CHECK(logged("instrument list: 4 instruments") == 1,
		"the count logged");
	CHECK(timer_after(v->instr_timer) == 3600000, "again in an hour");
	/* The alias product, subscribed now: its own name, no minimum
	 * notional where the venue gives "". */
	CHECK(cb_ops.subscribe(st, 3, 0) == QD_OK &&
		timer_after(v->instr_timer) == 2000, "a new symbol: the list "
		"in 2 s");
	k = n_reqs;
	fire(st, v->instr_timer);
	cb_ops.on_http_response(st, next_id, 200, text, strlen(text));
	CHECK(n_reqs == k + 1 && n_instr == 5 && instr[4].symbol == 3 &&
		strcmp(instr[4].native, "BTC-USDC") == 0 &&
		!instr[4].has_notional, "BTC-USDC handed over under its own "
		"name, no minimum notional (%d)", n_instr);
	/* A broken list: said, nothing handed over, again in a minute. */
	fire(st, v->instr_timer);
	text = "{\"products\":[{\"product_id\":\"BTC-USD\","
		"\"product_type\":\"SPOT\"}]}";
	cb_ops.on_http_response(st, next_id, 200, text, strlen(text));
	CHECK(n_instr == 5 && logged("product list refused") == 1 &&
		timer_after(v->instr_timer) == 60000, "a broken list refused, "
		"again in a minute");
	/* 429: REST pauses (30 s without Retry-After), the list after. */
	fire(st, v->instr_timer);
	k = n_reqs;
	cb_ops.on_http_response(st, next_id, 429, "", 0);
	CHECK(logged("REST answered 429") == 2 &&
		v->rest_blocked_until == clock_ms + 30000 &&
		timer_after(v->instr_timer) == 31000, "a 429 on the list "
		"pauses REST, the list after the pause (%lld ms)",
		(long long)timer_after(v->instr_timer));
	fire(st, poll_timer());
	CHECK(n_reqs == k && n_instr == 5, "no request while paused");
}

int
main(void)
{
	void *st = NULL;
	int rc, i, hb = 0, mt = 0, tk = 0;
	uint64_t first_list;

	clock_ms = 1767225600000LL + 30000;     /* 2026-01-01T00:00:30Z */
	rc = cb_ops.base.create(&api, NULL, NULL, &st);
	the_state = st;
	CHECK(rc == QD_OK && st != NULL, "created");
	cb_ops.subscribe(st, 1, 60);
	cb_ops.subscribe(st, 2, 60);
	CHECK(cb_ops.base.start(st) == QD_OK && n_opened == 1, "connects");
	first_list = ((struct venue *)st)->instr_timer;
	CHECK(first_list != 0 && timer_after(first_list) == 1000,
		"the product list a second after the start");
	cb_ops.on_ws_open(st, opened[0]);
	for (i = 0; i < n_sent; i++) {
		hb += strcmp(sent[i], "{\"type\":\"subscribe\",\"channel\":"
			"\"heartbeats\"}") == 0;
		mt += strcmp(sent[i], "{\"type\":\"subscribe\",\"product_ids\":"
			"[\"BTC-USD\",\"ETH-USD\"],\"channel\":"
			"\"market_trades\"}") == 0;
		tk += strcmp(sent[i], "{\"type\":\"subscribe\",\"product_ids\":"
			"[\"BTC-USD\",\"ETH-USD\"],\"channel\":\"ticker\"}") == 0;
	}
	CHECK(n_sent == 3 && hb == 1 && mt == 1 && tk == 1 &&
		strstr(sent[0], "heartbeats") != NULL, "subscribes heartbeats "
		"first, then one channel per message: %d sent", n_sent);
	streaming(st, opened[0]);
	reconnect(st, opened[0]);
	polling(st);
	instruments(st, first_list);
	cb_ops.base.stop(st);
	cb_ops.base.destroy(st);
	printf("%d checks, %d failed\n", checks, fails);
	return fails ? 1 : 0;
}
