/*
 * test_venue.c -- the adapter core every exchange plugin shares
 * (plugins/common/venue.h), driven through a small dialect of its own
 * against a host that records what it is asked: two links each subscribed
 * what it carries, a stalled stream closed and reopened after backoff
 * with full jitter under its cap, REST kline pages continued on both
 * sides of a full page, a rate-limit answer pausing REST for the venue's
 * Retry-After with the range asked meanwhile fetched after it, skipped
 * minutes made flat bars, and the instrument list handed over for the
 * subscribed symbols only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../plugins/common/venue.h"

struct qd_params { int unused; };

#define MAXREC 64

static struct {
	int64_t now_ms;
	char logs[MAXREC * 4][256];
	int n_logs;
	uint64_t opened[MAXREC];
	char open_url[MAXREC][128];
	int n_open;
	uint64_t closed[MAXREC];
	int n_closed;
	char get[MAXREC][256];
	uint64_t get_id[MAXREC];
	int n_get;
	struct { uint64_t id; int64_t after, every; } timers[MAXREC * 4];
	int n_timers;
	struct qd_bar_event bars[MAXREC * 4];
	int n_bars;
	char instr[MAXREC][64];
	int n_instr;
	const char *retry_after;   /* the answer being handled's headers */
	const char *weight;
	uint64_t next_id;
	struct { int link; size_t from, to; } subs[MAXREC];
	int n_subs;
} h;

static void
h_log(qd_ctx *ctx, enum qd_log_level l, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	(void)l;
	if (h.n_logs == (int)QD_COUNTOF(h.logs))
		return;
	va_start(ap, fmt);
	vsnprintf(h.logs[h.n_logs++], sizeof(h.logs[0]), fmt, ap);
	va_end(ap);
}

static int
logged(const char *what)
{
	int i;

	for (i = 0; i < h.n_logs; i++)
		if (strstr(h.logs[i], what) != NULL)
			return 1;
	return 0;
}

static int64_t
h_now(qd_ctx *ctx)
{
	(void)ctx;
	return h.now_ms * 1000000;
}

static const char *
h_param_string(const qd_params *p, const char *name)
{
	(void)p;
	return strcmp(name, "ws_url") == 0 ? "ws://a/0" :
		strcmp(name, "rest_url") == 0 ? "http://r" : "";
}

static int
h_param_bool(const qd_params *p, const char *name)
{
	(void)p;
	(void)name;
	return 0;
}

static const char *names[] = { NULL, "BTC/USDT", "ETH/USDT", "SOL/USDT" };

static const char *
h_symbol_name(qd_ctx *ctx, qd_symbol s)
{
	(void)ctx;
	return s >= 1 && s <= 3 ? names[s] : NULL;
}

static int
h_timer_add(qd_ctx *ctx, int64_t after, int64_t every, uint64_t *id)
{
	(void)ctx;
	*id = ++h.next_id;
	if (h.n_timers < (int)QD_COUNTOF(h.timers)) {
		h.timers[h.n_timers].id = *id;
		h.timers[h.n_timers].after = after / 1000000;
		h.timers[h.n_timers].every = every / 1000000;
		h.n_timers++;
	}
	return QD_OK;
}

static int
h_timer_cancel(qd_ctx *ctx, uint64_t id)
{
	(void)ctx;
	(void)id;
	return QD_OK;
}

static int
h_ws_open(qd_ctx *ctx, const char *url, const struct qd_kv *kv, uint32_t n,
	uint64_t *conn)
{
	(void)ctx;
	(void)kv;
	(void)n;
	*conn = ++h.next_id;
	if (h.n_open < MAXREC) {
		h.opened[h.n_open] = *conn;
		snprintf(h.open_url[h.n_open++], sizeof(h.open_url[0]), "%s",
			url);
	}
	return QD_OK;
}

static int
h_ws_send(qd_ctx *ctx, uint64_t conn, const char *d, size_t len)
{
	(void)ctx;
	(void)conn;
	(void)d;
	(void)len;
	return QD_OK;
}

static int
h_ws_close(qd_ctx *ctx, uint64_t conn)
{
	(void)ctx;
	if (h.n_closed < MAXREC)
		h.closed[h.n_closed++] = conn;
	return QD_OK;
}

static int
h_http(qd_ctx *ctx, const struct qd_http_request *r, uint64_t *id)
{
	(void)ctx;
	*id = ++h.next_id;
	if (h.n_get < MAXREC) {
		h.get_id[h.n_get] = *id;
		snprintf(h.get[h.n_get++], sizeof(h.get[0]), "%s", r->url);
	}
	return QD_OK;
}

static int
h_http_header(qd_ctx *ctx, const char *name, char *buf, size_t cap)
{
	(void)ctx;
	const char *v = strcmp(name, "retry-after") == 0 ? h.retry_after :
		strcmp(name, "x-used-weight") == 0 ? h.weight : NULL;

	if (v == NULL)
		return QD_ERR_NOTFOUND;
	snprintf(buf, cap, "%s", v);
	return QD_OK;
}

static void
h_bar(qd_ctx *ctx, const struct qd_bar_event *b)
{
	(void)ctx;
	if (h.n_bars < (int)QD_COUNTOF(h.bars))
		h.bars[h.n_bars++] = *b;
}

static void
h_instrument(qd_ctx *ctx, const struct qd_instrument *x)
{
	(void)ctx;
	if (h.n_instr < MAXREC)
		snprintf(h.instr[h.n_instr++], sizeof(h.instr[0]), "%s %s %s",
			x->native, x->tick ? x->tick : "-",
			x->min_notional ? x->min_notional : "-");
}

/* ---- the test dialect --------------------------------------------------- */

static void
t_subscribe(struct venue *v, int link, uint64_t conn, size_t from, size_t to)
{
	(void)v;
	(void)conn;
	if (h.n_subs < MAXREC) {
		h.subs[h.n_subs].link = link;
		h.subs[h.n_subs].from = from;
		h.subs[h.n_subs++].to = to;
	}
}

static int
t_message(struct venue *v, int link, uint64_t conn, const char *data,
	size_t len, char *why)
{
	(void)v;
	(void)link;
	(void)conn;
	(void)len;
	if (strcmp(data, "bad") == 0) {
		snprintf(why, 96, "bad");
		return -1;
	}
	return 0;
}

static void
t_klines_url(struct venue *v, const struct venue_sub *s, int64_t from,
	int64_t to, char *url, size_t cap)
{
	snprintf(url, cap, "%s/k?s=%s&from=%lld&to=%lld", v->rest_url,
		s->native, (long long)from, (long long)to);
}

/* Rows "open_ms,close;" oldest first, all closed. */
static long
t_klines(struct venue *v, struct venue_page *p, const char *body, size_t len)
{
	const char *q = body;
	long n = 0;

	(void)v;
	(void)len;
	while (*q != '\0') {
		char *end;
		long long t = strtoll(q, &end, 10);
		double c;

		if (*end != ',')
			return -1;
		c = strtod(end + 1, &end);
		venue_page_kline(p, t, c, c, c, c, 1, 1);
		n++;
		q = *end == ';' ? end + 1 : end;
	}
	return n;
}

static void
t_instruments_url(struct venue *v, char *url, size_t cap)
{
	snprintf(url, cap, "%s/instruments", v->rest_url);
}

static long
t_instruments(struct venue *v, const char *body, size_t len)
{
	(void)body;
	(void)len;
	venue_instrument(v, "BTC-USDT", "0.01", "0.0001", "0.0001", "5",
		"live", 1);
	venue_instrument(v, "DOGE-USDT", "0.00001", "1", "1", NULL, "live", 1);
	return 2;
}

static struct venue_dialect dialect = {
	.subscribe = t_subscribe,
	.message = t_message,
	.klines_url = t_klines_url,
	.klines = t_klines,
	.instruments_url = t_instruments_url,
	.instruments = t_instruments,
	.sep = '-',
	.links = 2,
	.kline_link = 1,
	.page_rows = 3,
	.silence_ms = 10000,
	.weight_header = "x-used-weight",
	.weight_limit = 100,
	.pause_status = { 429 },
	.pause_ms = { 60000 },
};

static struct qd_host_api api;
static struct venue *v;

static int
setup(void **unused)
{
	(void)unused;
	memset(&h, 0, sizeof(h));
	h.now_ms = 1704067200000LL + 30000;   /* half a minute in */
	memset(&api, 0, sizeof(api));
	api.size = sizeof(api);
	api.log = h_log;
	api.now_ns = h_now;
	api.param_string = h_param_string;
	api.param_bool = h_param_bool;
	api.symbol_name = h_symbol_name;
	api.timer_add = h_timer_add;
	api.timer_cancel = h_timer_cancel;
	api.ws_open = h_ws_open;
	api.ws_send = h_ws_send;
	api.ws_close = h_ws_close;
	api.http_request = h_http;
	api.http_header = h_http_header;
	api.emit_bar = h_bar;
	api.emit_instrument = h_instrument;
	v = calloc(1, sizeof(*v));
	venue_init(v, &api, NULL, &dialect, NULL);
	snprintf(v->link[1].url, sizeof(v->link[1].url), "ws://a/1");
	return 0;
}

static int
teardown(void **unused)
{
	(void)unused;
	venue_stop(v);
	free(v);
	return 0;
}

static void
answer(uint64_t id, int status, const char *body)
{
	venue_on_http_response(v, id, status, body, strlen(body));
}

static void
links_and_stalls(void **unused)
{
	uint64_t c0, c1;
	int i, n;

	(void)unused;
	assert_int_equal(venue_subscribe(v, 1, 60), QD_OK);
	assert_string_equal(v->subs[0].native, "BTC-USDT");
	assert_string_equal(v->subs[0].stream, "btc-usdt");
	assert_int_equal(venue_start(v), QD_OK);
	assert_int_equal(h.n_open, 2);
	assert_string_equal(h.open_url[0], "ws://a/0");
	assert_string_equal(h.open_url[1], "ws://a/1");
	c0 = h.opened[0];
	c1 = h.opened[1];
	venue_on_ws_open(v, c0);
	venue_on_ws_open(v, c1);
	/* Each link is asked what it carries (the dialect decides). */
	assert_int_equal(h.n_subs, 2);
	assert_int_equal(h.subs[0].link, 0);
	assert_int_equal(h.subs[1].link, 1);
	/* A message keeps a link alive; silence past the limit does not. */
	h.now_ms += 6000;
	venue_on_ws_message(v, c0, "x", 1);
	h.now_ms += 6000;
	venue_on_timer(v, v->watch_timer);
	assert_int_equal(h.n_closed, 1);
	assert_true(h.closed[0] == c1);
	assert_true(logged("the stream stalled"));
	/* Its close is a loss: reopened after a backoff under 1 s + 0.1. */
	n = h.n_timers;
	venue_on_ws_close(v, c1, 1000, "");
	assert_int_equal(h.n_timers, n + 1);
	assert_true(h.timers[n].after >= 100 && h.timers[n].after <= 1100);
	venue_on_timer(v, h.timers[n].id);
	assert_int_equal(h.n_open, 3);
	assert_string_equal(h.open_url[2], "ws://a/1");
	/* Losses in a row: full jitter under a cap doubling to 60 s. */
	for (i = 0; i < 9; i++) {
		int64_t cap = 1000LL << (i + 1 < 6 ? i + 1 : 6);

		if (cap > 60000)
			cap = 60000;
		n = h.n_timers;
		venue_on_ws_close(v, h.opened[h.n_open - 1], 1006, "");
		assert_true(h.timers[n].after >= 100 &&
			h.timers[n].after <= cap + 100);
		venue_on_timer(v, h.timers[n].id);
	}
	/* A malformed message is counted and logged, not fatal. */
	venue_on_ws_message(v, c0, "bad", 3);
	assert_int_equal(v->malformed, 1);
	assert_true(logged("skipped a malformed message (bad"));
}

static void
paging_pauses_and_flat_minutes(void **unused)
{
	int64_t m = 1704067200000LL;

	(void)unused;
	assert_int_equal(venue_start(v), QD_OK);
	/* A range of ten minutes; the venue answers a full page (3 rows)
	 * from its middle: the rest is asked on both sides. */
	assert_int_equal(venue_backfill(v, 2, 60, m * 1000000,
		(m + 600000) * 1000000), QD_OK);
	assert_int_equal(h.n_get, 1);
	assert_non_null(strstr(h.get[0], "s=ETH-USDT&from=1704067200000&to="
		"1704067799999"));
	answer(h.get_id[0], 200, "1704067380000,1;1704067440000,2;"
		"1704067500000,3");
	assert_int_equal(h.n_get, 3);
	assert_non_null(strstr(h.get[1], "from=1704067200000&to=1704067379999"));
	assert_non_null(strstr(h.get[2], "from=1704067560000&to=1704067799999"));
	assert_int_equal(h.n_bars, 3);
	/* 429 with Retry-After: 7 -- REST stops for 7 s, not the 60 s
	 * assumed without one; the page refused is held for then. */
	h.retry_after = "7";
	answer(h.get_id[1], 429, "");
	h.retry_after = NULL;
	assert_true(logged("REST answered 429: no REST call for 7 s"));
	assert_true(v->rest_timer != 0);
	assert_int_equal(venue_backfill(v, 3, 60, m * 1000000,
		(m + 60000) * 1000000), QD_OK);
	assert_int_equal(h.n_get, 3);           /* held, not sent */
	h.now_ms += 7000;
	venue_on_timer(v, v->rest_timer);
	assert_int_equal(h.n_get, 5);
	assert_non_null(strstr(h.get[3], "s=ETH-USDT&from=1704067200000"));
	assert_non_null(strstr(h.get[4], "s=SOL-USDT"));
	/* Flat minutes: only for a venue that skips quiet ones. */
	dialect.flat_gaps = 1;
	answer(h.get_id[4], 200, "1704067200000,5");
	h.n_bars = 0;
	assert_int_equal(venue_backfill(v, 3, 60, (m + 60000) * 1000000,
		(m + 300000) * 1000000), QD_OK);
	answer(h.get_id[h.n_get - 1], 200, "1704067380000,6");
	dialect.flat_gaps = 0;
	/* The page starts right after the last kline: minutes 1 and 2
	 * were skipped, flat at 5; then minute 3 itself. */
	assert_int_equal(h.n_bars, 3);
	assert_int_equal(h.bars[0].bar.ts, (m + 60000) * 1000000);
	assert_true(h.bars[0].bar.close == 5 && h.bars[0].bar.volume == 0 &&
		h.bars[0].bar.open == 5);
	assert_int_equal(h.bars[1].bar.ts, (m + 120000) * 1000000);
	assert_true(h.bars[2].bar.close == 6 && h.bars[2].bar.volume == 1);
}

static void
request_weight(void **unused)
{
	int64_t m = 1704067200000LL;
	int n;

	(void)unused;
	assert_int_equal(venue_start(v), QD_OK);
	assert_int_equal(venue_backfill(v, 1, 60, m * 1000000,
		(m + 60000) * 1000000), QD_OK);
	/* 89 of 100 used: on. */
	h.weight = "89";
	answer(h.get_id[0], 200, "1704067200000,1");
	assert_false(logged("REST weight"));
	assert_int_equal(venue_backfill(v, 2, 60, m * 1000000,
		(m + 60000) * 1000000), QD_OK);
	assert_int_equal(h.n_get, 2);
	/* 95 of 100: nothing more this minute (30 s in: 31 s to wait). */
	h.weight = "95";
	n = h.n_timers;
	answer(h.get_id[1], 200, "1704067200000,1");
	h.weight = NULL;
	assert_true(logged("REST weight 95 of 100 used this minute: no REST "
		"call for 31 s"));
	assert_int_equal(h.timers[n].after, 31000);
	assert_int_equal(venue_backfill(v, 3, 60, m * 1000000,
		(m + 60000) * 1000000), QD_OK);
	assert_int_equal(h.n_get, 2);           /* held */
	h.now_ms += 31000;
	venue_on_timer(v, v->rest_timer);
	assert_int_equal(h.n_get, 3);
	assert_non_null(strstr(h.get[2], "s=SOL-USDT"));
}

static void
instruments(void **unused)
{
	int i;
	uint64_t t = 0;

	(void)unused;
	assert_int_equal(venue_subscribe(v, 1, 0), QD_OK);
	assert_int_equal(venue_start(v), QD_OK);
	for (i = 0; i < h.n_timers; i++)
		if (h.timers[i].id == v->instr_timer)
			t = h.timers[i].after;
	assert_int_equal(t, 1000);               /* a second after start */
	venue_on_timer(v, v->instr_timer);
	assert_int_equal(h.n_get, 1);
	assert_string_equal(h.get[0], "http://r/instruments");
	answer(h.get_id[0], 200, "{}");
	/* Only the subscribed symbol's; the next in an hour. */
	assert_int_equal(h.n_instr, 1);
	assert_string_equal(h.instr[0], "BTC-USDT 0.01 5");
	assert_true(logged("instrument list: 2 instruments"));
	assert_int_equal(h.timers[h.n_timers - 1].after, 3600000);
	/* A new symbol: asked again two seconds later. */
	assert_int_equal(venue_subscribe(v, 2, 0), QD_OK);
	assert_int_equal(h.timers[h.n_timers - 1].after, 2000);
	/* A rate-limit answer: after the pause. */
	venue_on_timer(v, v->instr_timer);
	answer(h.get_id[1], 429, "");
	assert_true(h.timers[h.n_timers - 1].after >= 60000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(links_and_stalls, setup,
			teardown),
		cmocka_unit_test_setup_teardown(paging_pauses_and_flat_minutes,
			setup, teardown),
		cmocka_unit_test_setup_teardown(request_weight, setup,
			teardown),
		cmocka_unit_test_setup_teardown(instruments, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
