/*
 * tp_api.c -- a strategy that calls every entry of struct qd_host_api once,
 * from start(), and logs what each returned ("api ENTRY: RESULT", at WARN
 * so backtests show it too).  tests/sandbox/host_api_modes.sh runs it
 * in-process and sandboxed, in the daemon and in backtests: the four logs
 * must be the same, line for line -- a plugin cannot tell where it runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

struct t {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	const qd_params *params;
};

#define SAY(...) t->api->log(t->ctx, QD_LOG_WARN, __VA_ARGS__)

static int
t_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct t *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return QD_ERR_NOMEM;
	t->api = api;
	t->ctx = ctx;
	t->params = p;
	*state = t;
	return QD_OK;
}

static const char *
st(int rc)
{
	return qd_strerror(rc);
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static void
walk_indicators(struct t *t)
{
	const struct qd_host_api *a = t->api;
	struct qd_kv kv[] = { { "period", "3" } };
	struct qd_bar b = { 0, 1, 2, 0.5, 1.5, 10 };
	qd_indicator *ind = NULL;
	qd_indicator *none = NULL;
	double out[QD_MAX_OUTPUTS];
	int i, rc;

	rc = a->indicator_new(t->ctx, "sma", kv, 1, &ind);
	SAY("api indicator_new: %s", st(rc));
	SAY("api indicator_new unknown: %s", st(a->indicator_new(t->ctx,
		"no-such-indicator", NULL, 0, &none)));
	if (rc != QD_OK)
		return;
	SAY("api indicator_outputs: %u", a->indicator_outputs(ind));
	SAY("api indicator_output_name: %s", a->indicator_output_name(ind, 0));
	SAY("api indicator_lookback: %u", a->indicator_lookback(ind));
	for (i = 0; i < 3; i++) {
		b.close = 1.5 + i;
		a->indicator_update(ind, &b, out);
	}
	SAY("api indicator_update: %.17g", out[0]);
	a->indicator_free(ind);
	SAY("api indicator_free: called");
}

static void
walk_trading(struct t *t, qd_symbol sym)
{
	const struct qd_host_api *a = t->api;
	struct qd_order_req o;
	struct qd_position pos;
	struct qd_account acc;
	uint64_t id = 0;
	int rc;

	SAY("api subscribe: %s", st(a->subscribe(t->ctx, sym, 60)));
	SAY("api subscribe bad symbol: %s", st(a->subscribe(t->ctx, 0, 60)));
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.symbol = sym;
	o.side = QD_SIDE_BUY;
	o.type = QD_ORDER_LIMIT;
	o.qty = 0.001;
	o.price = 1;
	o.tag = "walk";
	SAY("api order_submit: %s", st(a->order_submit(t->ctx, &o, &id)));
	{
		struct qd_order_update u;
		uint64_t ids[4];
		size_t n = 0;
		double q = 0;

		memset(&u, 0, sizeof(u));
		u.size = sizeof(u);
		rc = a->order_get(t->ctx, id, &u);
		SAY("api order_get: %s qty=%g price=%g", st(rc), u.qty,
			u.price);
		SAY("api order_get unknown: %s", st(a->order_get(t->ctx,
			id + 1000, &u)));
		rc = a->orders_open(t->ctx, ids, 4, &n);
		SAY("api orders_open: %s n=%zu", st(rc), n);
		rc = a->size_order(t->ctx, sym, QD_SIZE_FRACTION, 0.1, 100, 0,
			&q);
		SAY("api size_order: %s qty=%g", st(rc), q);
		SAY("api size_order bad method: %s", st(a->size_order(t->ctx,
			sym, 99, 0.1, 100, 0, &q)));
	}
	SAY("api order_cancel: %s", st(a->order_cancel(t->ctx, id)));
	SAY("api order_cancel again: %s", st(a->order_cancel(t->ctx, id)));
	o.size = 4;
	SAY("api order_submit short struct: %s", st(a->order_submit(t->ctx,
		&o, &id)));
	memset(&pos, 0, sizeof(pos));
	pos.size = sizeof(pos);
	rc = a->position_get(t->ctx, sym, &pos);
	SAY("api position_get: %s qty=%g", st(rc), pos.qty);
	memset(&acc, 0, sizeof(acc));
	acc.size = sizeof(acc);
	rc = a->account_get(t->ctx, &acc);
	SAY("api account_get: %s cash=%g fees=%g", st(rc), acc.cash,
		acc.fees_paid);
}

static void
walk_network(struct t *t)
{
	const struct qd_host_api *a = t->api;
	struct qd_kv h[] = { { "X-Test", "1" } };
	struct qd_http_request r;
	unsigned char mac[64];
	size_t n = sizeof(mac), i;
	char hex[129], secret[64];
	uint64_t id = 0;
	int rc;
	const char *msg = "The quick brown fox jumps over the lazy dog";

	SAY("api ws_open: %s", st(a->ws_open(t->ctx, "ws://127.0.0.1:1/x", h,
		1, &id)));
	SAY("api ws_send: %s", st(a->ws_send(t->ctx, 99, "x", 1)));
	SAY("api ws_close: %s", st(a->ws_close(t->ctx, 99)));
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.method = "GET";
	r.url = "http://127.0.0.1:1/x";
	r.headers = h;
	r.n_headers = 1;
	SAY("api http_request: %s", st(a->http_request(t->ctx, &r, &id)));
	SAY("api secrets lookup: %s", st(a->secret_get(t->ctx, "api_key", secret,
		sizeof(secret))));
	rc = a->hmac(t->ctx, QD_HASH_SHA256, "key", 3, msg, strlen(msg), mac,
		&n);
	SAY("api hmac sha256: %s", st(rc));
	for (i = 0; i < n && i < 64; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	hex[2 * i] = '\0';
	SAY("api hmac sha256 value: %s", hex);
	n = 16;
	SAY("api hmac short buffer: %s", st(a->hmac(t->ctx, QD_HASH_SHA512,
		"key", 3, msg, strlen(msg), mac, &n)));
	{
		/* No secrets configured: sign and a sealed name are refused
		 * alike in-process and sandboxed. */
		struct qd_sign_req sr;
		char sig[200];
		size_t sn = 0;

		memset(&sr, 0, sizeof(sr));
		sr.size = sizeof(sr);
		sr.alg = QD_SIGN_HMAC_SHA256;
		sr.enc = QD_ENC_HEX;
		sr.secret = "api_secret";
		sr.msg = msg;
		sr.msg_len = strlen(msg);
		SAY("api sign without the secret: %s", st(a->sign(t->ctx, &sr,
			sig, sizeof(sig), &sn)));
		sr.secret = NULL;
		SAY("api sign without a name: %s", st(a->sign(t->ctx, &sr,
			sig, sizeof(sig), &sn)));
		SAY("api secret_get of a signing key: %s",
			st(a->secret_get(t->ctx, "api_secret", sig,
			sizeof(sig))));
	}
}

static void
walk_events(struct t *t, qd_symbol sym)
{
	const struct qd_host_api *a = t->api;
	struct qd_trade_event tr = { sizeof(tr), sym, QD_SIDE_BUY, 1, 2, 3, 4 };
	struct qd_bar_event be;
	struct qd_book_top_event bt = { sizeof(bt), sym, 1, 1, 1, 2, 1 };
	struct qd_order_update u;

	memset(&be, 0, sizeof(be));
	be.size = sizeof(be);
	be.symbol = sym;
	be.timeframe_s = 60;
	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.reason = "walk";
	/* A strategy's emits are refused silently, wherever it runs. */
	a->emit_trade(t->ctx, &tr);
	a->emit_bar(t->ctx, &be);
	a->emit_book_top(t->ctx, &bt);
	a->emit_order_update(t->ctx, &u);
	{
		struct qd_instrument x;

		memset(&x, 0, sizeof(x));
		x.size = sizeof(x);
		x.symbol = sym;
		x.native = "BTCUSDT";
		x.tick = "0.01";
		a->emit_instrument(t->ctx, &x);
	}
	{
		struct qd_balance b;

		memset(&b, 0, sizeof(b));
		b.size = sizeof(b);
		b.asset = "USDT";
		b.total = b.free = 1;
		a->emit_balance(t->ctx, &b);
	}
	SAY("api emit_*: called");
	{
		/* A strategy sends no mail, in any mode. */
		static const char *const to[] = { "ops@example.org", NULL };
		struct qd_mail m;
		uint64_t mid = 0;

		memset(&m, 0, sizeof(m));
		m.size = sizeof(m);
		m.url = "smtp://localhost:25";
		m.from = "quantd@example.org";
		m.to = to;
		m.subject = "walk";
		SAY("api mail_send from a strategy: %s",
			st(a->mail_send(t->ctx, &m, &mid)));
	}
	a->notify_done(t->ctx, 7, QD_ERR_INVALID, "walk detail");
	a->payment_done(t->ctx, 8, QD_ERR_INVALID, NULL);
	SAY("api annotate: %s", st(a->annotate(t->ctx, "walk",
		"{\"a\": 1}")));
	SAY("api annotate not an object: %s", st(a->annotate(t->ctx, "walk",
		"[1]")));
	{
		char hv[32];

		SAY("api http_header outside an answer: %s",
			st(a->http_header(t->ctx, "retry-after", hv,
			sizeof(hv))));
	}
	{
		struct qd_history_row row;
		uint32_t tf = 0;
		uint64_t cur = 0;
		size_t n = 1;

		/* Malformed sources and unknown cursors: the same answer in
		 * every mode (what a mode can read differs). */
		SAY("api history_open malformed: %s", st(a->history_open(
			t->ctx, "store:x:btc-usdt:1m", &tf, &cur)));
		SAY("api history_open bad form: %s", st(a->history_open(
			t->ctx, "http://x/", &tf, &cur)));
		SAY("api history_next unknown: %s n=%zu", st(a->history_next(
			t->ctx, 987654321, &row, 1, &n)), n);
		a->history_close(t->ctx, 987654321);
		SAY("api history_close: called");
	}
	{
		/* Plain libc: sorting more than a kilobyte works sandboxed
		 * too (glibc asks the kernel's memory size for it once). */
		static int v[4096];
		size_t i;

		for (i = 0; i < 4096; i++)
			v[i] = (int)((i * 2654435761u) % 10007);
		qsort(v, 4096, sizeof(v[0]), cmp_int);
		for (i = 1; i < 4096 && v[i - 1] <= v[i]; i++)
			;
		SAY("libc qsort: %s", i == 4096 ? "sorted" : "not sorted");
	}
}

static int
t_start(void *state)
{
	struct t *t = state;
	const struct qd_host_api *a = t->api;
	char buf[16];
	size_t len = 0;
	uint64_t id = 0;
	qd_symbol sym;
	int rc;

	SAY("api size: %s", a->size >= sizeof(struct qd_host_api) ?
		"whole" : "short");
	SAY("api now_ns: %s", a->now_ns(t->ctx) > 0 ? "positive" : "zero");
	SAY("api params: %lld %g %d %s", (long long)a->param_int(t->params,
		"n"), a->param_double(t->params, "x"),
		a->param_bool(t->params, "b"), a->param_string(t->params, "s"));
	sym = a->symbol_intern(t->ctx, "BTC/USDT");
	SAY("api symbol_intern: %s", sym ? "id" : "0");
	SAY("api symbol_intern malformed: %u", a->symbol_intern(t->ctx,
		"not a symbol"));
	SAY("api symbol_name: %s", a->symbol_name(t->ctx, sym));
	SAY("api timer_add: %s", st(a->timer_add(t->ctx, 3600000000000LL, 0,
		&id)));
	SAY("api timer_cancel: %s", st(a->timer_cancel(t->ctx, id)));
	SAY("api timer_cancel again: %s", st(a->timer_cancel(t->ctx, id)));
	SAY("api timer_add negative: %s", st(a->timer_add(t->ctx, -1, 0,
		&id)));
	SAY("api state_save: %s", st(a->state_save(t->ctx, "walk", 4)));
	memset(buf, 0, sizeof(buf));
	rc = a->state_load(t->ctx, buf, sizeof(buf), &len);
	SAY("api state_load: %s %zu %.4s", st(rc), len, buf);
	walk_indicators(t);
	walk_trading(t, sym);
	walk_network(t);
	walk_events(t, sym);
	SAY("api walk: done");
	return QD_OK;
}

static void
t_destroy(void *state)
{
	free(state);
}

static const struct qd_strategy_ops t_ops = {
	.base = {
		.size = sizeof(struct qd_strategy_ops),
		.create = t_create,
		.start = t_start,
		.destroy = t_destroy,
	},
};

static const struct qd_param_spec t_params[] = {
	QD_PARAM_INT_SPEC("n", 7, 0, 100, "an integer"),
	QD_PARAM_DOUBLE_SPEC("x", 0.25, 0, 1, "a double"),
	QD_PARAM_BOOL_SPEC("b", 1, "a flag"),
	QD_PARAM_STRING_SPEC("s", "text", "a string"),
};

static const struct qd_plugin t_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_STRATEGY,
	.name = "tp-api",
	.version = "1.0.0",
	.description = "calls every host API entry once",
	.license = "MIT",
	.params = t_params,
	.n_params = QD_COUNTOF(t_params),
	.ops = &t_ops,
};

static const struct qd_plugin *const plugins[] = { &t_plugin, NULL };

QD_MODULE(plugins);
