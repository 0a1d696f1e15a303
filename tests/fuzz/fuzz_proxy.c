// sources: core/sandbox/proxy.c core/sandbox/frame.c core/sandbox/filter.c core/log/log.c core/loop/loop.c core/loop/queue.c core/plugin/params.c core/plugin/loader.c core/plugin/semver.c core/plugin/indicator.c core/config/config.c core/json/json.c core/market/symbol.c core/net/ipclass.c core/net/client.c core/net/net.c core/util/file.c
// libs: libwebsockets libssl libcrypto
/*
 * fuzz_proxy.c -- the host's real frame handler (core/sandbox/proxy.c) on
 * arbitrary bytes from a "child".  The first byte picks the call state the
 * proxy is in (creating, in a call, in a bar batch); the rest is written to
 * the other end of a socketpair and read by the proxy exactly as from a
 * sandbox child: headers, sequence numbers, the per-state frame table,
 * payload layouts, and every request answered through a fake host API.  A
 * frame must be refused (the "child" stopped, with a reason) rather than
 * crash, leak or read outside what was sent.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log/log.h"
#include "sandbox/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- a fake host API: fixed answers, nothing kept --------------------------- */

static unsigned char state_bytes[300];

static void
f_log(qd_ctx *c, enum qd_log_level l, const char *fmt, ...)
{
	(void)c;
	(void)l;
	(void)fmt;
}

static int64_t
f_now(qd_ctx *c)
{
	(void)c;
	return 1700000000000000000LL;
}

static qd_symbol
f_intern(qd_ctx *c, const char *name)
{
	(void)c;
	return name[0] == 'B' ? 1 : 0;
}

static const char *
f_name(qd_ctx *c, qd_symbol s)
{
	(void)c;
	return s == 1 ? "BTC/USDT" : NULL;
}

static int
f_timer_add(qd_ctx *c, int64_t a, int64_t i, uint64_t *id)
{
	(void)c;
	*id = 7;
	return a < 0 || i < 0 ? QD_ERR_INVALID : QD_OK;
}

static int
f_id(qd_ctx *c, uint64_t id)
{
	(void)c;
	return id == 7 ? QD_OK : QD_ERR_NOTFOUND;
}

static int
f_save(qd_ctx *c, const void *b, size_t n)
{
	(void)c;
	if (n > sizeof(state_bytes))
		return QD_ERR_LIMIT;
	memcpy(state_bytes, b, n);
	return QD_OK;
}

static int
f_load(qd_ctx *c, void *b, size_t cap, size_t *len)
{
	(void)c;
	memcpy(b, state_bytes, cap < sizeof(state_bytes) ? cap :
		sizeof(state_bytes));
	*len = sizeof(state_bytes);
	return QD_OK;
}

static int
f_subscribe(qd_ctx *c, qd_symbol s, uint32_t tf)
{
	(void)c;
	(void)tf;
	return s == 1 ? QD_OK : QD_ERR_INVALID;
}

static int
f_submit(qd_ctx *c, const struct qd_order_req *r, uint64_t *id)
{
	(void)c;
	*id = 7;
	return r->qty > 0 && r->tag != NULL ? QD_OK : QD_ERR_INVALID;
}

static int
f_position(qd_ctx *c, qd_symbol s, struct qd_position *p)
{
	(void)c;
	p->symbol = s;
	p->qty = 1;
	return QD_OK;
}

static int
f_account(qd_ctx *c, struct qd_account *a)
{
	(void)c;
	a->cash = 10000;
	return QD_OK;
}

static int
f_annotate(qd_ctx *c, const char *kind, const char *json)
{
	(void)c;
	return kind[0] && json[0] ? QD_OK : QD_ERR_INVALID;
}

static int
f_ws_open(qd_ctx *c, const char *url, const struct qd_kv *h, uint32_t n,
	uint64_t *conn)
{
	(void)c;
	*conn = 9;
	return url[0] && (n == 0 || h[0].key[0]) ? QD_OK : QD_ERR_INVALID;
}

static int
f_ws_send(qd_ctx *c, uint64_t conn, const char *data, size_t len)
{
	(void)c;
	return conn == 9 && (len == 0 || data[0]) ? QD_OK : QD_ERR_NOTFOUND;
}

static int
f_http(qd_ctx *c, const struct qd_http_request *r, uint64_t *id)
{
	(void)c;
	*id = 11;
	return r->method[0] && r->url[0] &&
	    (r->body_len == 0 || r->body[r->body_len - 1] != 1) ? QD_OK :
	    QD_ERR_INVALID;
}

static int
f_secret(qd_ctx *c, const char *name, char *buf, size_t cap)
{
	(void)c;
	if (strcmp(name, "k") != 0)
		return QD_ERR_NOTFOUND;
	snprintf(buf, cap, "%s", "s3cr3t");
	return QD_OK;
}

static int
f_hmac(qd_ctx *c, enum qd_hash hash, const void *key, size_t kl,
	const void *msg, size_t ml, unsigned char *out, size_t *out_len)
{
	size_t i;

	(void)c;
	if (hash != QD_HASH_SHA256 || *out_len < 32)
		return QD_ERR_INVALID;
	for (i = 0; i < 32; i++)
		out[i] = (unsigned char)((kl ? ((const unsigned char *)key)[
			i % kl] : 0) ^ (ml ? ((const unsigned char *)msg)[
			i % ml] : 0));
	*out_len = 32;
	return QD_OK;
}

static void
f_emit_trade(qd_ctx *c, const struct qd_trade_event *e)
{
	(void)c;
	state_bytes[0] = (unsigned char)e->symbol;
}

static void
f_emit_bar(qd_ctx *c, const struct qd_bar_event *e)
{
	(void)c;
	state_bytes[1] = (unsigned char)e->timeframe_s;
}

static void
f_emit_book(qd_ctx *c, const struct qd_book_top_event *e)
{
	(void)c;
	state_bytes[2] = (unsigned char)e->symbol;
}

static void
f_emit_order(qd_ctx *c, const struct qd_order_update *u)
{
	(void)c;
	state_bytes[3] = u->reason ? (unsigned char)u->reason[0] : 0;
}

static void
f_done(qd_ctx *c, uint64_t req, int status, const char *detail)
{
	(void)c;
	state_bytes[4] = (unsigned char)(req + (unsigned)status +
		(detail ? (unsigned char)detail[0] : 0));
}

static int
f_order_get(qd_ctx *c, uint64_t id, struct qd_order_update *u)
{
	(void)c;
	if (id & 1)
		return QD_ERR_NOTFOUND;
	memset(u, 0, sizeof(*u));
	u->size = sizeof(*u);
	u->order_id = id;
	u->reason = "a reason";
	u->client_id = "qd1";
	return QD_OK;
}

static int
f_orders_open(qd_ctx *c, uint64_t *ids, size_t cap, size_t *n)
{
	size_t i;

	(void)c;
	for (i = 0; i < cap && i < 7; i++)
		ids[i] = i + 1;
	*n = 7;
	return QD_OK;
}

static int
f_size(qd_ctx *c, qd_symbol s, int m, double v, double p, double d,
	double *q)
{
	(void)c;
	(void)s;
	(void)d;
	*q = m == QD_SIZE_FRACTION && p > 0 ? v / p : 0;
	return m >= 1 && m <= 3 ? QD_OK : QD_ERR_INVALID;
}

static const struct qd_host_api api = {
	.size = sizeof(struct qd_host_api),
	.abi_major = QD_ABI_MAJOR,
	.abi_minor = QD_ABI_MINOR,
	.log = f_log,
	.now_ns = f_now,
	.symbol_intern = f_intern,
	.symbol_name = f_name,
	.timer_add = f_timer_add,
	.timer_cancel = f_id,
	.state_save = f_save,
	.state_load = f_load,
	.subscribe = f_subscribe,
	.order_submit = f_submit,
	.order_cancel = f_id,
	.position_get = f_position,
	.account_get = f_account,
	.annotate = f_annotate,
	.ws_open = f_ws_open,
	.ws_send = f_ws_send,
	.ws_close = f_id,
	.http_request = f_http,
	.secret_get = f_secret,
	.hmac = f_hmac,
	.emit_trade = f_emit_trade,
	.emit_bar = f_emit_bar,
	.emit_book_top = f_emit_book,
	.emit_order_update = f_emit_order,
	.notify_done = f_done,
	.payment_done = f_done,
	.order_get = f_order_get,
	.orders_open = f_orders_open,
	.size_order = f_size,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	struct proxy *p;
	int sv[2];
	size_t off;

	if (!quiet) {
		log_set_level((enum qd_log_level)-1);
		quiet = 1;
	}
	/* A socket buffer holds it all: the "child" writes, then closes. */
	if (size < 1 || size > 100000 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return 0;
	for (off = 1; off < size;) {
		ssize_t w = write(sv[1], data + off, size - off);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
	shutdown(sv[1], SHUT_WR);
	p = sandbox_proxy_attach(sv[0], &api, NULL, data[0] % 4);
	if (p == NULL)
		abort();
	sandbox_proxy_run(p);
	sandbox_proxy_free(p);
	close(sv[1]);
	return 0;
}
