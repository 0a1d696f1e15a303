/*
 * test_sandbox.c -- what the host makes of a backtest batch's frames
 * (F_CALL_BATCH): the frames of a child are written by the test to the
 * proxy's socket (sandbox_proxy_attach in the state of a batch whose
 * orders may be deferred, the next id 1), and the proxy's log says what it
 * stopped the child for.  A deferred order is submitted at its bar with
 * the id the child gave it; one the host numbers otherwise or refuses, a
 * count past the bar an order ended the batch on, progress that goes
 * back, all stop the child with a reason that names the plugin.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "log/log.h"
#include "sandbox/frame.h"
#include "sandbox/proxy.h"

/* The host's answers: order_submit gives submit_rc and ids from next_id. */
static int submit_rc, submits;
static uint64_t next_id;
static char logged[4096];

static int
f_submit(qd_ctx *c, const struct qd_order_req *r, uint64_t *id)
{
	(void)c;
	(void)r;
	submits++;
	if (submit_rc != QD_OK)
		return submit_rc;
	*id = next_id++;
	return QD_OK;
}

static const struct qd_host_api api = {
	.size = sizeof(struct qd_host_api),
	.order_submit = f_submit,
};

static void
hook(void *arg, enum qd_log_level level, const char *line, size_t len)
{
	size_t have = strlen(logged);

	(void)arg;
	(void)level;
	if (have + len + 2 < sizeof(logged)) {
		memcpy(logged + have, line, len);
		logged[have + len] = '\n';
		logged[have + len + 1] = '\0';
	}
}

/* The frames a child sends, numbered from 1. */
struct child {
	unsigned char buf[8192];
	size_t len;
	uint32_t seq;
};

static struct frame_out *
frame(struct child *c, struct frame_out *o, uint16_t type)
{
	frame_begin(o, c->buf + c->len, sizeof(c->buf) - c->len, type,
		++c->seq);
	return o;
}

static void
sent(struct child *c, struct frame_out *o)
{
	size_t n = frame_end(o);

	assert_true(n > 0);
	c->len += n;
}

static void
progress(struct child *c, uint32_t bar)
{
	struct frame_out o;

	frame_put_u32(frame(c, &o, F_PROGRESS), bar);
	sent(c, &o);
}

static void
defer(struct child *c, uint64_t id)
{
	struct qd_order_req r;
	struct frame_out o;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.symbol = 1;
	r.side = QD_SIDE_BUY;
	r.type = QD_ORDER_MARKET;
	r.qty = 1;
	r.tag = "t";
	frame_put_u64(frame(c, &o, F_ORDER_DEFER), id);
	frame_put_order_req(&o, &r);
	sent(c, &o);
}

static void
done(struct child *c, uint32_t bars)
{
	struct frame_out o;

	frame_put_u32(frame(c, &o, F_DONE), 0);
	frame_put_u32(&o, bars);
	sent(c, &o);
}

/* Run the proxy (attached in `state`) over the child's frames; returns
 * what it logged. */
static const char *
run(struct child *c, int state)
{
	struct proxy *p;
	int sv[2];

	logged[0] = '\0';
	submits = 0;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], c->buf, c->len), (ssize_t)c->len);
	shutdown(sv[1], SHUT_WR);
	p = sandbox_proxy_attach(sv[0], &api, NULL, state);
	assert_non_null(p);
	sandbox_proxy_run(p);
	sandbox_proxy_free(p);
	close(sv[1]);
	return logged;
}

/* Stopped for `why` (and nothing else), or for nothing but the end. */
static void
stopped_for(const char *log, const char *why)
{
	char want[256];

	snprintf(want, sizeof(want), "sandboxed plugin attached stopped: %s",
		why ? why : "socket closed");
	if (strstr(log, want) == NULL)
		fail_msg("expected \"%s\" in the log, got:\n%s", want, log);
}

static void
deferred_order_is_submitted_with_its_id(void **unused)
{
	struct child c = { .len = 0 };

	(void)unused;
	submit_rc = QD_OK;
	next_id = 1;
	progress(&c, 2);
	defer(&c, 1);
	done(&c, 3);
	stopped_for(run(&c, 3), NULL);
	assert_int_equal(submits, 1);
	assert_int_equal(next_id, 2);
}

static void
deferred_order_with_another_id_stops_the_child(void **unused)
{
	struct child c = { .len = 0 };

	(void)unused;
	submit_rc = QD_OK;
	next_id = 1;
	progress(&c, 0);
	defer(&c, 9);
	done(&c, 1);
	stopped_for(run(&c, 3), "deferred order given id 9, the host's next "
		"is 1");
	assert_int_equal(submits, 0);
}

static void
deferred_order_the_host_numbers_otherwise_stops_the_child(void **unused)
{
	struct child c = { .len = 0 };

	(void)unused;
	submit_rc = QD_OK;
	next_id = 5;
	progress(&c, 0);
	defer(&c, 1);
	stopped_for(run(&c, 3), "deferred order 1 got id 5 from the host");
}

static void
deferred_order_the_host_refuses_stops_the_child(void **unused)
{
	struct child c = { .len = 0 };

	(void)unused;
	submit_rc = QD_ERR_INVALID;
	progress(&c, 1);
	defer(&c, 1);
	stopped_for(run(&c, 3), "deferred order 1 refused by the host: "
		"invalid argument");
	assert_int_equal(submits, 1);
}

static void
bars_past_a_deferred_order_stop_the_child(void **unused)
{
	struct child c = { .len = 0 };

	(void)unused;
	submit_rc = QD_OK;
	next_id = 1;
	progress(&c, 1);
	defer(&c, 1);
	done(&c, 4);
	stopped_for(run(&c, 3), "F_DONE counts 4 bars, but the batch ended "
		"after 2");
}

static void
deferring_where_it_was_not_offered_stops_the_child(void **unused)
{
	struct child c = { .len = 0 }, d = { .len = 0 };

	(void)unused;
	submit_rc = QD_OK;
	next_id = 1;
	/* A batch of plain F_CALL_BARS offers no deferral ... */
	progress(&c, 0);
	defer(&c, 1);
	stopped_for(run(&c, 2), "F_ORDER_DEFER where no order may be "
		"deferred");
	/* ... nor does a batch before its first bar (the fills). */
	defer(&d, 1);
	stopped_for(run(&d, 3), "F_ORDER_DEFER where no order may be "
		"deferred");
	assert_int_equal(submits, 0);
}

static void
progress_that_goes_back_stops_the_child(void **unused)
{
	struct child c = { .len = 0 }, d = { .len = 0 };

	(void)unused;
	progress(&c, 2);
	progress(&c, 1);
	stopped_for(run(&c, 3), "F_PROGRESS outside the batch");
	progress(&d, 4);
	stopped_for(run(&d, 3), "F_PROGRESS outside the batch");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deferred_order_is_submitted_with_its_id),
		cmocka_unit_test(deferred_order_with_another_id_stops_the_child),
		cmocka_unit_test(
			deferred_order_the_host_numbers_otherwise_stops_the_child),
		cmocka_unit_test(deferred_order_the_host_refuses_stops_the_child),
		cmocka_unit_test(bars_past_a_deferred_order_stop_the_child),
		cmocka_unit_test(
			deferring_where_it_was_not_offered_stops_the_child),
		cmocka_unit_test(progress_that_goes_back_stops_the_child),
	};

	log_set_hook(hook, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
