/*
 * proxy -- the host side of a sandboxed instance, attached to a socket
 * without a child process: how the proxy fuzz target (tests/fuzz/
 * fuzz_proxy.c) feeds the real frame handler hostile bytes.  The daemon
 * and the backtester use sandbox.h.
 */
#ifndef QD_PROXY_H
#define QD_PROXY_H

#include <quantd/sdk.h>

struct proxy;

/**
 * A proxy reading frames from `fd` (owned from here on) as if from a
 * confined child in call state `state`: 0 creating, 1 in a call, 2 in a
 * batch of 4 bars, 3 in an F_CALL_BATCH of 4 bars whose orders may be
 * deferred (the next id 1).  Requests are answered with `api`.  NULL on
 * no memory.
 */
struct proxy *sandbox_proxy_attach(int fd, const struct qd_host_api *api,
	qd_ctx *ctx, int state);
/** Handle frames until the peer closes or breaks a rule (then logged). */
void sandbox_proxy_run(struct proxy *p);
/** Close the socket and free. */
void sandbox_proxy_free(struct proxy *p);

#endif
