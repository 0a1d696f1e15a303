/*
 * instr_host.h -- a host for the adapters' instrument tests (included
 * after the adapter's .c): it records the REST requests, the log, the
 * timers armed and the instruments handed over (their text copied, NULL
 * kept apart from ""), and names symbols 1 BTC/USDT, 2 ETH/USDT,
 * 3 SOL/USDT and 10.. S<n>/USDT; CHECK counts checks and failures.
 */
#ifndef QD_TEST_INSTR_HOST_H
#define QD_TEST_INSTR_HOST_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define IH_MAX 64

static int fails, checks;

#define CHECK(cond, ...) do {                                           \
	checks++;                                                       \
	if (!(cond)) {                                                  \
		fails++;                                                \
		printf("not ok - " __VA_ARGS__);                        \
		printf("\n");                                           \
	}                                                               \
} while (0)

struct qd_params { int unused; };

struct ih_instr {
	qd_symbol sym;
	char native[32], status[24];
	char text[4][32];       /* tick, lot, min_qty, min_notional */
	int null[4];            /* that one was NULL */
	int trading;
};

static struct {
	char logs[IH_MAX][512];
	int n_logs;
	char get[IH_MAX][1024];
	int n_get;
	int64_t after_ms[IH_MAX];   /* each timer armed, by id */
	struct ih_instr in[IH_MAX];
	int n_in;
	uint64_t next_id;
	char names[IH_MAX][32];
} ih;

static void
ih_log(qd_ctx *ctx, enum qd_log_level l, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	(void)l;
	if (ih.n_logs == IH_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(ih.logs[ih.n_logs++], sizeof(ih.logs[0]), fmt, ap);
	va_end(ap);
}

static int64_t
ih_now(qd_ctx *ctx)
{
	(void)ctx;
	return 1700000000000LL * 1000000;
}

static const char *
ih_param_string(const qd_params *p, const char *name)
{
	(void)p;
	if (strcmp(name, "rest_url") == 0)
		return "http://rest";
	if (strcmp(name, "trade_stream") == 0)
		return "trade";
	return "ws://ws";
}

static int
ih_param_bool(const qd_params *p, const char *name)
{
	(void)p;
	(void)name;
	return 0;
}

static const char *
ih_symbol_name(qd_ctx *ctx, qd_symbol s)
{
	(void)ctx;
	if (s == 1)
		return "BTC/USDT";
	if (s == 2)
		return "ETH/USDT";
	if (s == 3)
		return "SOL/USDT";
	if (s < 10 || s >= 10 + IH_MAX)
		return NULL;
	snprintf(ih.names[s - 10], sizeof(ih.names[0]), "S%u/USDT",
		(unsigned)s);
	return ih.names[s - 10];
}

static int
ih_timer_add(qd_ctx *ctx, int64_t after, int64_t interval, uint64_t *id)
{
	(void)ctx;
	(void)interval;
	*id = ++ih.next_id;
	if (*id < IH_MAX)
		ih.after_ms[*id] = after / 1000000;
	return QD_OK;
}

static int
ih_timer_cancel(qd_ctx *ctx, uint64_t id)
{
	(void)ctx;
	(void)id;
	return QD_OK;
}

static int
ih_ws_open(qd_ctx *ctx, const char *url, const struct qd_kv *hd, uint32_t n,
	uint64_t *conn)
{
	(void)ctx;
	(void)url;
	(void)hd;
	(void)n;
	*conn = ++ih.next_id;
	return QD_OK;
}

static int
ih_ws_send(qd_ctx *ctx, uint64_t conn, const char *data, size_t len)
{
	(void)ctx;
	(void)conn;
	(void)data;
	(void)len;
	return QD_OK;
}

static int
ih_ws_close(qd_ctx *ctx, uint64_t conn)
{
	(void)ctx;
	(void)conn;
	return QD_OK;
}

static int
ih_http(qd_ctx *ctx, const struct qd_http_request *r, uint64_t *id)
{
	(void)ctx;
	if (ih.n_get < IH_MAX)
		snprintf(ih.get[ih.n_get++], sizeof(ih.get[0]), "%s %s",
			r->method, r->url);
	*id = ++ih.next_id;
	return QD_OK;
}

static void
ih_instrument(qd_ctx *ctx, const struct qd_instrument *x)
{
	struct ih_instr *r;
	const char *t[4];
	int k;

	(void)ctx;
	if (ih.n_in == IH_MAX)
		return;
	r = &ih.in[ih.n_in++];
	memset(r, 0, sizeof(*r));
	t[0] = x->tick;
	t[1] = x->lot;
	t[2] = x->min_qty;
	t[3] = x->min_notional;
	r->sym = x->symbol;
	snprintf(r->native, sizeof(r->native), "%s", x->native);
	snprintf(r->status, sizeof(r->status), "%s", x->status ? x->status :
		"(null)");
	for (k = 0; k < 4; k++) {
		r->null[k] = t[k] == NULL;
		snprintf(r->text[k], sizeof(r->text[k]), "%s", t[k] ? t[k] :
			"");
	}
	r->trading = x->trading;
}

static int
ih_logged(const char *s)
{
	int i;

	for (i = 0; i < ih.n_logs; i++)
		if (strstr(ih.logs[i], s) != NULL)
			return 1;
	return 0;
}

/* The instrument handed over for `sym`, or NULL. */
static const struct ih_instr *
ih_of(qd_symbol sym)
{
	int i;

	for (i = 0; i < ih.n_in; i++)
		if (ih.in[i].sym == sym)
			return &ih.in[i];
	return NULL;
}

/* Steps and minimums as "tick lot min_qty min_notional", NULL as "-". */
static void
ih_texts(const struct ih_instr *r, char *out, size_t cap)
{
	snprintf(out, cap, "%s %s %s %s", r->null[0] ? "-" : r->text[0],
		r->null[1] ? "-" : r->text[1], r->null[2] ? "-" : r->text[2],
		r->null[3] ? "-" : r->text[3]);
}

static void
ih_api(struct qd_host_api *api)
{
	memset(&ih, 0, sizeof(ih));
	memset(api, 0, sizeof(*api));
	api->size = sizeof(*api);
	api->abi_major = QD_ABI_MAJOR;
	api->abi_minor = QD_ABI_MINOR;
	api->log = ih_log;
	api->now_ns = ih_now;
	api->param_string = ih_param_string;
	api->param_bool = ih_param_bool;
	api->symbol_name = ih_symbol_name;
	api->timer_add = ih_timer_add;
	api->timer_cancel = ih_timer_cancel;
	api->ws_open = ih_ws_open;
	api->ws_send = ih_ws_send;
	api->ws_close = ih_ws_close;
	api->http_request = ih_http;
	api->emit_instrument = ih_instrument;
}

#endif
