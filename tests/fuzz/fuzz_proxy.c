// sources: core/sandbox/proxy.c core/sandbox/frame.c core/sandbox/filter.c core/log/log.c core/loop/loop.c core/loop/queue.c core/plugin/params.c core/plugin/loader.c core/plugin/semver.c core/plugin/indicator.c core/config/config.c core/json/json.c core/market/symbol.c
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
	p = sandbox_proxy_attach(sv[0], &api, NULL, data[0] % 3);
	if (p == NULL)
		abort();
	sandbox_proxy_run(p);
	sandbox_proxy_free(p);
	close(sv[1]);
	return 0;
}
