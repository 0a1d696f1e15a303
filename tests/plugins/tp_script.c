/*
 * tp_script.c -- a strategy that runs a script of orders, for the venue
 * trading tests.  Once the first trade (or bar) of `symbol` arrives, the
 * steps of `script`, separated by ';', run one after another:
 *   buy|sell market QTY            buy|sell limit QTY PRICE [ioc|fok|post]
 *   buy|sell stop QTY STOP         buy|sell stop_limit QTY STOP PRICE
 *   cancel K                       (the K-th order placed, from 1)
 *   wait MS
 * PRICE and STOP may be written "+N%" / "-N%": relative to the last trade.
 * Every step and every update of its orders is logged on one line:
 *   script step K: <step> -> <status> [order N]
 *   script order N #K STATE filled=F avg=P last=Q@P fee=X trade=T
 *     error=E reason=R
 * and "script done" after the last step.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#define MAX_STEPS 64

struct script {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	qd_symbol sym;
	char text[2048];
	char *steps[MAX_STEPS];
	int n_steps, next;
	uint64_t ids[MAX_STEPS];
	int n_ids;
	double last;
	int started;
};

static const struct qd_param_spec specs[] = {
	QD_PARAM_STRING_SPEC("symbol", "BTC/USDT", "what to trade"),
	QD_PARAM_STRING_SPEC("script", "", "steps separated by ';'"),
};

static const char *const state_names[] = { "?", "CREATED", "PENDING",
	"PARTIAL", "FILLED", "CANCELED", "REJECTED", "EXPIRED" };

static int
sc_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct script *s = calloc(1, sizeof(*s));
	char *save = NULL, *t;

	if (s == NULL)
		return QD_ERR_NOMEM;
	s->api = api;
	s->ctx = ctx;
	s->sym = api->symbol_intern(ctx, api->param_string(p, "symbol"));
	snprintf(s->text, sizeof(s->text), "%s", api->param_string(p,
		"script"));
	for (t = strtok_r(s->text, ";", &save); t && s->n_steps < MAX_STEPS;
	    t = strtok_r(NULL, ";", &save)) {
		while (*t == ' ')
			t++;
		if (*t)
			s->steps[s->n_steps++] = t;
	}
	*state = s;
	return QD_OK;
}

static int
sc_start(void *state)
{
	struct script *s = state;

	/* Trades where the feed has them, else its 1m bars. */
	if (s->api->subscribe(s->ctx, s->sym, 0) == QD_OK)
		return QD_OK;
	return s->api->subscribe(s->ctx, s->sym, 60);
}

/* "123.4", "+1%" or "-2.5%" of the last trade. */
static double
price_of(const struct script *s, const char *w)
{
	size_t n = strlen(w);

	if (n > 1 && w[n - 1] == '%')
		return s->last * (1 + strtod(w, NULL) / 100);
	return strtod(w, NULL);
}

static void run(struct script *s);

static void
step(struct script *s, const char *line)
{
	char w[6][32];
	struct qd_order_req r;
	uint64_t id = 0;
	int n, rc;

	memset(w, 0, sizeof(w));
	n = sscanf(line, "%31s %31s %31s %31s %31s %31s", w[0], w[1], w[2],
		w[3], w[4], w[5]);
	if (n >= 2 && strcmp(w[0], "wait") == 0) {
		uint64_t t;

		s->api->log(s->ctx, QD_LOG_INFO, "script step %d: %s -> ok",
			s->next, line);
		s->api->timer_add(s->ctx, (int64_t)atoll(w[1]) * 1000000, 0,
			&t);
		return;
	}
	if (n >= 2 && strcmp(w[0], "cancel") == 0) {
		int k = atoi(w[1]);

		rc = k >= 1 && k <= s->n_ids ? s->api->order_cancel(s->ctx,
			s->ids[k - 1]) : QD_ERR_NOTFOUND;
		s->api->log(s->ctx, QD_LOG_INFO, "script step %d: %s -> %s",
			s->next, line, qd_strerror(rc));
		run(s);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = s->sym;
	r.side = strcmp(w[0], "sell") == 0 ? QD_SIDE_SELL : QD_SIDE_BUY;
	r.qty = strtod(w[2], NULL);
	r.tag = "script";
	if (strcmp(w[1], "market") == 0) {
		r.type = QD_ORDER_MARKET;
	} else if (strcmp(w[1], "limit") == 0) {
		r.type = QD_ORDER_LIMIT;
		r.price = price_of(s, w[3]);
		if (strcmp(w[4], "ioc") == 0)
			r.tif = QD_TIF_IOC;
		else if (strcmp(w[4], "fok") == 0)
			r.tif = QD_TIF_FOK;
		else if (strcmp(w[4], "post") == 0)
			r.tif = QD_TIF_POST_ONLY;
	} else if (strcmp(w[1], "stop") == 0) {
		r.type = QD_ORDER_STOP;
		r.stop_price = price_of(s, w[3]);
	} else if (strcmp(w[1], "stop_limit") == 0) {
		r.type = QD_ORDER_STOP_LIMIT;
		r.stop_price = price_of(s, w[3]);
		r.price = price_of(s, w[4]);
	} else {
		s->api->log(s->ctx, QD_LOG_ERROR, "script step %d: %s -> "
			"not understood", s->next, line);
		run(s);
		return;
	}
	rc = s->api->order_submit(s->ctx, &r, &id);
	if (rc == QD_OK && s->n_ids < MAX_STEPS)
		s->ids[s->n_ids++] = id;
	s->api->log(s->ctx, QD_LOG_INFO, "script step %d: %s -> %s order %llu",
		s->next, line, qd_strerror(rc), (unsigned long long)id);
	run(s);
}

/* The next step, if any (a wait resumes from the timer). */
static void
run(struct script *s)
{
	if (s->next >= s->n_steps) {
		if (s->next++ == s->n_steps)
			s->api->log(s->ctx, QD_LOG_INFO, "script done");
		return;
	}
	s->next++;
	step(s, s->steps[s->next - 1]);
}

static void
begin(struct script *s, double price)
{
	s->last = price;
	if (!s->started) {
		s->started = 1;
		run(s);
	}
}

static void
sc_on_trade(void *state, const struct qd_trade_event *ev)
{
	struct script *s = state;

	if (ev->symbol == s->sym)
		begin(s, ev->price);
}

static void
sc_on_bar(void *state, const struct qd_bar_event *ev)
{
	struct script *s = state;

	if (ev->symbol == s->sym)
		begin(s, ev->bar.close);
}

static void
sc_on_timer(void *state, uint64_t id)
{
	(void)id;
	run(state);
}

static void
sc_on_order(void *state, const struct qd_order_update *u)
{
	struct script *s = state;
	int k, err = u->size >= sizeof(*u) ? u->error : 0;

	for (k = 0; k < s->n_ids && s->ids[k] != u->order_id; k++)
		;
	s->api->log(s->ctx, QD_LOG_INFO, "script order %llu #%d %s "
		"filled=%.8g avg=%.10g last=%.8g@%.10g fee=%.8g trade=%s "
		"error=%d reason=%s", (unsigned long long)u->order_id, k + 1,
		u->state >= 1 && u->state <= 7 ? state_names[u->state] : "?",
		u->filled_qty, u->avg_price, u->last_qty, u->last_price,
		u->fee, u->trade_id ? u->trade_id : "-", err,
		u->reason ? u->reason : "-");
}

static void
sc_destroy(void *state)
{
	free(state);
}

static const struct qd_strategy_ops sc_ops = {
	.base = {
		.size = sizeof(struct qd_strategy_ops),
		.create = sc_create,
		.start = sc_start,
		.destroy = sc_destroy,
	},
	.on_bar = sc_on_bar,
	.on_trade = sc_on_trade,
	.on_order = sc_on_order,
	.on_timer = sc_on_timer,
};

static const struct qd_plugin sc_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_STRATEGY,
	.name = "tp-script",
	.version = "1.0.0",
	.description = "runs a script of orders, for the venue tests",
	.license = "MIT",
	.params = specs,
	.n_params = 2,
	.ops = &sc_ops,
};

static const struct qd_plugin *const plugins[] = { &sc_plugin, NULL };

QD_MODULE(plugins);
