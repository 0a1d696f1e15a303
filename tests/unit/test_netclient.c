/*
 * test_netclient.c WSPORT HTTPPORT -- the net thread's WebSocket and HTTP
 * clients against tests/fakes/echo_server.py (net_client.sh starts it):
 * headers, echo, fragments, oversized messages and bodies, server close
 * codes, timeouts, refused connections, bad arguments, and an owner that
 * is forgotten hearing nothing more.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "loop/loop.h"
#include "net/client.h"
#include "net/net.h"

static int wsport, httpport;
static struct loop *L;
static struct net *N;
static struct net_client *C;
static int pending;

struct owner {
	const char *name;
	int opened, closed, code, status, messages;
	char last[64];
	char ctype[64];
	char weight[16];
	char reason[128];
	size_t last_len;
	uint64_t id;
	int step;
};

static void
done(struct owner *o)
{
	(void)o;
	if (--pending == 0)
		loop_stop(L);
}

static void
on_event(void *arg, const struct netc_event *ev)
{
	struct owner *o = arg;

	if (getenv("NETC_DEBUG"))
		fprintf(stderr, "%s: type %d code %d len %zu reason %s\n",
			o->name, ev->type, ev->code, ev->len, ev->reason);
	switch (ev->type) {
	case NETC_WS_OPEN:
		o->opened++;
		break;
	case NETC_WS_MESSAGE:
		o->messages++;
		o->last_len = ev->len;
		snprintf(o->last, sizeof(o->last), "%.*s",
			(int)(ev->len > 60 ? 60 : ev->len), ev->data);
		/* The echo script: each answer sends the next message. */
		if (strcmp(o->name, "echo") == 0) {
			static const char *const script[] = { "ping1", "frag",
				"extensions", "big" };

			if (o->step == 1)
				assert_string_equal(o->last, "ping1");
			if (o->step == 2)
				assert_string_equal(o->last, "abcdefghi");
			/* permessage-deflate offered and taken. */
			if (o->step == 3)
				assert_string_equal(o->last,
					"extensions: permessage-deflate");
			if (o->step < 4)
				assert_int_equal(netc_ws_send(C, o->id,
					script[o->step],
					strlen(script[o->step])), QD_OK);
			o->step++;
		} else if (strcmp(o->name, "tls-ws") == 0) {
			assert_int_equal(netc_ws_close(C, o->id), QD_OK);
		} else if (strcmp(o->name, "closer") == 0) {
			assert_int_equal(netc_ws_send(C, o->id, "close-me", 8),
				QD_OK);
		}
		break;
	case NETC_WS_CLOSE:
		o->closed++;
		o->code = ev->code;
		snprintf(o->reason, sizeof(o->reason), "%s", ev->reason);
		done(o);
		break;
	case NETC_HTTP_RESPONSE:
		o->status = ev->code;
		snprintf(o->ctype, sizeof(o->ctype), "%s",
			netc_header(ev, "Content-Type") ?
			netc_header(ev, "Content-Type") : "");
		snprintf(o->weight, sizeof(o->weight), "%s",
			netc_header(ev, "x-mbx-used-weight-1m") ?
			netc_header(ev, "x-mbx-used-weight-1m") : "");
		o->last_len = ev->len;
		snprintf(o->last, sizeof(o->last), "%.*s",
			(int)(ev->len > 60 ? 60 : ev->len),
			ev->data ? ev->data : "");
		snprintf(o->reason, sizeof(o->reason), "%s", ev->reason);
		done(o);
		break;
	}
}

static void
deadline(void *arg)
{
	(void)arg;
	fail_msg("events still missing after 30 s: %d", pending);
}

static void
clients(void **unused)
{
	struct netc_limits lim = { 4 << 20, 64, 5, 30, 30 };
	struct owner echo = { .name = "echo" }, closer = { .name = "closer" };
	struct owner hello = { .name = "hello" }, post = { .name = "post" };
	struct owner slow = { .name = "slow" }, big = { .name = "big" };
	struct owner refused = { .name = "refused" };
	struct owner hrefused = { .name = "hrefused" };
	struct owner forgotten = { .name = "forgotten" };
	struct owner byname = { .name = "byname" };
	struct owner noname = { .name = "noname" };
	/* NETC_PUBLIC_ONLY: loopback by name, by an odd spelling, by
	 * address, and a WebSocket */
	struct owner pub_name = { .name = "pub-name" };
	struct owner pub_odd = { .name = "pub-odd" };
	struct owner pub_addr = { .name = "pub-addr" };
	struct owner pub_ws = { .name = "pub-ws" };
	struct qd_kv h = { "X-Test", "42" }, h9 = { "X-Test", "9" };
	struct qd_kv evil = { "X-Test", "1\r\nX-Injected: 1" };
	struct loop_timer *t;
	char url[128];
	uint64_t id;

	(void)unused;
	L = loop_new(1024, 256);
	N = net_start(L, 1024, 256);
	C = netc_new(N, L, &lim);
	assert_non_null(C);
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/x", wsport);
	assert_int_equal(netc_ws_open(C, url, &h, 1, on_event, &echo,
		&echo.id), QD_OK);
	assert_int_equal(netc_ws_open(C, url, NULL, 0, on_event, &closer,
		&closer.id), QD_OK);
	assert_int_equal(netc_ws_open(C, url, NULL, 0, on_event, &forgotten,
		&forgotten.id), QD_OK);
	pending = 2;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hello", httpport);
	assert_int_equal(netc_http(C, "GET", url, NULL, 0, NULL, 0, 0,
		on_event, &hello, &id), QD_OK);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/echo", httpport);
	assert_int_equal(netc_http(C, "POST", url, &h9, 1, "xyz", 3, 0,
		on_event, &post, &id), QD_OK);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/slow", httpport);
	assert_int_equal(netc_http(C, "GET", url, NULL, 0, NULL, 0, 1,
		on_event, &slow, &id), QD_OK);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/big", httpport);
	assert_int_equal(netc_http(C, "GET", url, NULL, 0, NULL, 0, 0,
		on_event, &big, &id), QD_OK);
	assert_int_equal(netc_ws_open(C, "ws://127.0.0.1:1/x", NULL, 0,
		on_event, &refused, &id), QD_OK);
	assert_int_equal(netc_http(C, "GET", "http://127.0.0.1:1/x", NULL, 0,
		NULL, 0, 0, on_event, &hrefused, &id), QD_OK);
	/* A host name goes through the resolver thread; one that does not
	 * resolve (or not in time) fails the request. */
	snprintf(url, sizeof(url), "http://localhost:%d/hello", httpport);
	assert_int_equal(netc_http(C, "GET", url, NULL, 0, NULL, 0, 0,
		on_event, &byname, &id), QD_OK);
	assert_int_equal(netc_http(C, "GET", "http://no-such-host.invalid/x",
		NULL, 0, NULL, 0, 3, on_event, &noname, &id), QD_OK);
	pending += 8;
	assert_int_equal(netc_http_flags(C, NETC_PUBLIC_ONLY, "GET", url, NULL,
		0, NULL, 0, 0, on_event, &pub_name, &id), QD_OK);
	snprintf(url, sizeof(url), "http://2130706433:%d/hello", httpport);
	assert_int_equal(netc_http_flags(C, NETC_PUBLIC_ONLY, "GET", url, NULL,
		0, NULL, 0, 0, on_event, &pub_odd, &id), QD_OK);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hello", httpport);
	assert_int_equal(netc_http_flags(C, NETC_PUBLIC_ONLY, "POST", url,
		NULL, 0, "x", 1, 0, on_event, &pub_addr, &id), QD_OK);
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/", wsport);
	assert_int_equal(netc_ws_open_flags(C, NETC_PUBLIC_ONLY, url, NULL, 0,
		on_event, &pub_ws, &id), QD_OK);
	pending += 4;
	snprintf(url, sizeof(url), "http://localhost:%d/hello", httpport);
	/* Refused up front. */
	assert_int_equal(netc_ws_open(C, "http://127.0.0.1/x", NULL, 0,
		on_event, &echo, &id), QD_ERR_INVALID);
	assert_int_equal(netc_http(C, "GET", "ftp://x/", NULL, 0, NULL, 0, 0,
		on_event, &echo, &id), QD_ERR_INVALID);
	assert_int_equal(netc_http(C, "BREW", url, NULL, 0, NULL, 0, 0,
		on_event, &echo, &id), QD_ERR_INVALID);
	assert_int_equal(netc_http(C, "GET", url, &evil, 1, NULL, 0, 0,
		on_event, &echo, &id), QD_ERR_INVALID);
	assert_int_equal(netc_ws_send(C, 999999, "x", 1), QD_ERR_NOTFOUND);
	/* Forgotten: no event reaches it, not even its close. */
	netc_forget(C, &forgotten);
	assert_int_equal(netc_ws_send(C, forgotten.id, "x", 1),
		QD_ERR_NOTFOUND);
	t = loop_timer_add(L, 30000000000LL, 0, deadline, NULL);
	loop_run(L);
	loop_timer_cancel(t);

	assert_int_equal(echo.opened, 1);
	assert_int_equal(echo.step, 4);    /* hello, ping1, frag, extensions;
	                                      big never */
	assert_int_equal(echo.code, 1009); /* the 5 MiB message */
	assert_int_equal(closer.code, 4001);
	assert_string_equal(closer.reason, "bye");
	assert_int_equal(hello.status, 200);
	assert_string_equal(hello.last, "hello");
	assert_string_equal(hello.ctype, "text/plain");  /* its headers */
	assert_string_equal(hello.weight, "17");  /* a venue's own header */
	assert_int_equal(post.status, 201);
	assert_string_equal(post.last, "xyz");
	assert_int_equal(slow.status, 0);
	assert_int_equal(big.status, 0);
	assert_non_null(strstr(big.reason, "over"));
	assert_int_equal(refused.opened, 0);
	assert_int_equal(refused.code, 1006);
	assert_int_equal(hrefused.status, 0);
	assert_int_equal(byname.status, 200);
	assert_string_equal(byname.last, "hello");
	assert_int_equal(noname.status, 0);
	assert_int_equal(pub_name.status, 0);
	assert_string_equal(pub_name.reason, "refused: localhost -> 127.0.0.1 "
		"is not a public address (loopback)");
	assert_int_equal(pub_odd.status, 0);
	assert_string_equal(pub_odd.reason, "refused: 2130706433 -> 127.0.0.1 "
		"is not a public address (loopback)");
	assert_int_equal(pub_addr.status, 0);
	assert_string_equal(pub_addr.reason, "refused: 127.0.0.1 is not a "
		"public address (loopback)");
	assert_int_equal(pub_ws.opened, 0);
	assert_int_equal(pub_ws.code, 1006);
	assert_non_null(strstr(pub_ws.reason, "refused: 127.0.0.1"));
	assert_int_equal(forgotten.opened + forgotten.closed +
		forgotten.messages, 0);
	netc_free(C);
	net_stop(N);
	loop_free(L);
}

/*
 * TLS (test_netclient tls WSPORT HTTPPORT CAFILE, the server's certificate
 * for localhost signed by CAFILE): checked against CAFILE, wss:// and
 * https:// work; against the system's store (which does not hold that
 * CA), both fail.
 */
static char *ca_file;

static void
tls(void **unused)
{
	struct owner ws = { .name = "tls-ws" }, get = { .name = "tls-get" };
	struct owner bad_ws = { .name = "bad-ws" }, bad_get = { .name = "bad-get" };
	struct netc_limits lim = { 4 << 20, 64, 5, 30, 30 };
	struct net_client *c2;
	struct net *n2;
	struct loop_timer *t;
	char url[128], url2[128];
	uint64_t id;

	(void)unused;
	L = loop_new(1024, 256);
	N = net_start_ca(L, 1024, 256, ca_file);
	C = netc_new(N, L, &lim);
	n2 = net_start(L, 1024, 256);
	c2 = netc_new(n2, L, &lim);
	assert_non_null(C);
	assert_non_null(c2);
	snprintf(url, sizeof(url), "wss://localhost:%d/x", wsport);
	snprintf(url2, sizeof(url2), "https://localhost:%d/hello", httpport);
	assert_int_equal(netc_ws_open(C, url, NULL, 0, on_event, &ws,
		&ws.id), QD_OK);
	assert_int_equal(netc_http(C, "GET", url2, NULL, 0, NULL, 0, 0,
		on_event, &get, &id), QD_OK);
	assert_int_equal(netc_ws_open(c2, url, NULL, 0, on_event, &bad_ws,
		&bad_ws.id), QD_OK);
	assert_int_equal(netc_http(c2, "GET", url2, NULL, 0, NULL, 0, 0,
		on_event, &bad_get, &id), QD_OK);
	pending = 4;   /* the good WebSocket closes after its first message */
	t = loop_timer_add(L, 30000000000LL, 0, deadline, NULL);
	loop_run(L);
	loop_timer_cancel(t);
	assert_int_equal(ws.opened, 1);
	assert_true(ws.messages >= 1);
	assert_string_equal(ws.last, "hello -");
	assert_int_equal(get.status, 200);
	assert_string_equal(get.last, "hello");
	assert_int_equal(bad_ws.opened, 0);
	assert_int_equal(bad_ws.code, 1006);
	assert_int_equal(bad_get.status, 0);
	netc_free(c2);
	netc_free(C);
	net_stop(n2);
	net_stop(N);
	loop_free(L);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clients),
	};
	const struct CMUnitTest tls_tests[] = {
		cmocka_unit_test(tls),
	};

	if (argc == 5 && strcmp(argv[1], "tls") == 0) {
		wsport = atoi(argv[2]);
		httpport = atoi(argv[3]);
		ca_file = argv[4];
		return cmocka_run_group_tests(tls_tests, NULL, NULL);
	}
	if (argc < 3) {
		fprintf(stderr, "usage: test_netclient WSPORT HTTPPORT\n"
			"       test_netclient tls WSPORT HTTPPORT CAFILE\n");
		return 2;
	}
	wsport = atoi(argv[1]);
	httpport = atoi(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
