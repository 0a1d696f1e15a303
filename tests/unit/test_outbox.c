/*
 * test_outbox.c -- the notification outbox on a real loop and a SQLite
 * store, with channels faked here (what the host's notifier instances
 * would be): routing, deduplication, retries and dead letters, rate
 * limits and 429 pauses, and nothing lost across a restart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "bus/bus.h"
#include "config/config.h"
#include "loop/loop.h"
#include "market/symbol.h"
#include "notify/channel.h"
#include "notify/outbox.h"
#include "store/store.h"
#include "vault/vault.h"

enum mode { ANSWER_OK, ANSWER_FAIL, ANSWER_NONE, ANSWER_LIMIT };

#define MAX_SENT 256

struct sent {
	char channel[16], key[64], event[32], user[16], recipient[16];
	char target[64], secret[64];   /* a user's channel: url and secret */
	uint32_t attempt;
	uint64_t req;
};

/* The fake channels: two notifier instances and what they were given. */
struct world {
	struct loop *loop;
	struct outbox *ob;
	struct config_route route[2];
	const char *name[2];
	int running[2];
	enum mode mode[2];
	int fail_left[2];          /* ANSWER_FAIL: then OK (-1: forever) */
	struct sent sent[MAX_SENT];
	size_t n_sent;
	char db[256];
	struct outbox_event heard[8];
	size_t n_heard;
	int serve_users;           /* "hook" carries users' webhooks */
};

/* The instance carrying users' channels of a plugin's kind. */
static const char *
serving(void *arg, const char *plugin)
{
	struct world *w = arg;

	return w->serve_users && strcmp(plugin, "notify-webhook") == 0 ?
	    "hook" : NULL;
}

static void
each(void *arg, void (*fn)(void *, const char *, const struct config_route *),
	void *fnarg)
{
	struct world *w = arg;
	int i;

	for (i = 0; i < 2; i++)
		if (w->running[i])
			fn(fnarg, w->name[i], &w->route[i]);
}

static int
send_fn(void *arg, const char *channel, uint64_t req,
	const struct qd_notification *n, const struct outbox_secret *sec)
{
	struct world *w = arg;
	int i = strcmp(channel, w->name[0]) == 0 ? 0 : 1;
	struct sent *s;

	assert_true(n->size >= sizeof(*n));
	assert_true(w->n_sent < MAX_SENT);
	s = &w->sent[w->n_sent++];
	/* a user's own channel comes with its target and secret, only */
	assert_true((sec != NULL) == qd_notification_targeted(n));
	if (sec != NULL) {
		size_t len = 0;

		snprintf(s->target, sizeof(s->target), "%s",
			qd_notification_target(n, "url"));
		assert_int_equal(sec->get(sec->arg, "secret", s->secret,
			sizeof(s->secret), &len), QD_OK);
		assert_int_equal(len, strlen(s->secret));
		assert_int_equal(sec->get(sec->arg, "bot_token", s->recipient,
			sizeof(s->recipient), &len), QD_ERR_NOTFOUND);
	}
	snprintf(s->channel, sizeof(s->channel), "%s", channel);
	snprintf(s->key, sizeof(s->key), "%s", n->key);
	snprintf(s->event, sizeof(s->event), "%s", n->event);
	snprintf(s->user, sizeof(s->user), "%s", n->user ? n->user : "");
	snprintf(s->recipient, sizeof(s->recipient), "%s",
		n->recipient ? n->recipient : "");
	s->attempt = n->attempt;
	s->req = req;
	switch (w->mode[i]) {
	case ANSWER_OK:
		outbox_done(w->ob, channel, req, QD_OK, NULL);
		break;
	case ANSWER_FAIL:
		if (w->fail_left[i] == 0) {
			outbox_done(w->ob, channel, req, QD_OK, NULL);
			break;
		}
		if (w->fail_left[i] > 0)
			w->fail_left[i]--;
		outbox_done(w->ob, channel, req, QD_ERR_DENIED,
			"HTTP 403: chat not found");
		break;
	case ANSWER_LIMIT:
		outbox_done(w->ob, channel, req, QD_ERR_LIMIT,
			"retry_after_ms=600000; HTTP 429");
		break;
	case ANSWER_NONE:
		break;
	}
	return QD_OK;
}

static void
world_init(struct world *w, const char *tag)
{
	static char star[] = "*";
	static char *all[] = { star };

	memset(w, 0, sizeof(*w));
	assert_non_null(w->loop = loop_new(256, 64));
	w->name[0] = "hook";
	w->name[1] = "tg";
	w->running[0] = w->running[1] = 1;
	w->route[0].events = all;
	w->route[0].n_events = 1;
	w->route[0].inflight = 64;
	w->route[1].inflight = 64;
	snprintf(w->db, sizeof(w->db), "/tmp/qd-outbox-%d-%s.db",
		(int)getpid(), tag);
	unlink(w->db);
}

static struct outbox *
world_open(struct world *w, uint32_t max_attempts)
{
	struct config_notify cfg;
	struct outbox_channels ch = { each, send_fn, w, serving };
	char err[512];

	config_notify_default(&cfg);
	cfg.backoff_ms = 5;
	cfg.backoff_max_ms = 20;
	cfg.max_attempts = max_attempts;
	w->ob = outbox_open(w->loop, w->db, 0, &cfg, &ch, err, sizeof(err));
	if (w->ob == NULL)
		fail_msg("outbox_open: %s", err);
	return w->ob;
}

/* A restart: the outbox and its loop go, new ones start on the same
 * store (messages its journal posted die with the old loop). */
static void
world_reopen(struct world *w, uint32_t max_attempts)
{
	outbox_close(w->ob, 5000);
	loop_free(w->loop);
	assert_non_null(w->loop = loop_new(256, 64));
	world_open(w, max_attempts);
}

static void
world_close(struct world *w)
{
	char p[300];

	outbox_close(w->ob, 5000);
	w->ob = NULL;
	loop_free(w->loop);
	unlink(w->db);
	snprintf(p, sizeof(p), "%s-wal", w->db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", w->db);
	unlink(p);
}

/* Run the loop until cond(w) holds, at most `ms` (then a failure if
 * `must`): what the outbox does on its own timers. */
struct wait {
	struct world *w;
	int (*cond)(struct world *);
	int64_t until;
	int met;
};

static void
wait_tick(void *arg)
{
	struct wait *x = arg;

	if ((x->cond != NULL && x->cond(x->w)) || loop_now_ns() > x->until) {
		x->met = x->cond != NULL && x->cond(x->w);
		loop_stop(x->w->loop);
	}
}

static int
run_until(struct world *w, int (*cond)(struct world *), int ms)
{
	struct wait x = { w, cond, loop_now_ns() + (int64_t)ms * 1000000, 0 };
	struct loop_timer *t = loop_timer_add(w->loop, 2000000, 2000000,
		wait_tick, &x);

	assert_non_null(t);
	loop_run(w->loop);
	loop_timer_cancel(t);
	return x.met;
}

static size_t
count_sent(const struct world *w, const char *channel, const char *key)
{
	size_t i, n = 0;

	for (i = 0; i < w->n_sent; i++)
		if ((channel == NULL || !strcmp(w->sent[i].channel, channel)) &&
		    (key == NULL || !strcmp(w->sent[i].key, key)))
			n++;
	return n;
}

static int
nothing_pending(struct world *w)
{
	struct outbox_stats st;

	outbox_stats(w->ob, &st);
	return st.pending == 0;
}

static int
some_dead(struct world *w)
{
	struct outbox_stats st;

	outbox_stats(w->ob, &st);
	return st.dead_now > 0;
}

static int
enqueue(struct outbox *ob, const char *event, enum qd_severity sev,
	const char *user, const char *key)
{
	struct outbox_event e;

	memset(&e, 0, sizeof(e));
	e.event = event;
	e.severity = sev;
	e.user = user;
	e.title = "title";
	e.body = "body";
	e.key = key;
	return outbox_enqueue(ob, &e);
}

/* hook takes risk.* only; tg takes alice's warnings and above. */
static void
routes_by_event_user_and_severity(void **st)
{
	static char risk[] = "risk.*", alice[] = "alice";
	static char *ev[] = { risk }, *users[] = { alice };
	struct world w;

	(void)st;
	world_init(&w, "route");
	w.route[0].events = ev;
	w.route[1].users = users;
	w.route[1].n_users = 1;
	w.route[1].min_severity = QD_SEV_WARNING;
	world_open(&w, 3);
	assert_int_equal(enqueue(w.ob, "risk.daily_loss", QD_SEV_CRITICAL,
		NULL, "r1"), 1);
	assert_int_equal(enqueue(w.ob, "alert", QD_SEV_WARNING, "alice",
		"a1"), 1);
	assert_int_equal(enqueue(w.ob, "alert", QD_SEV_INFO, "alice", "a2"),
		0);
	assert_int_equal(enqueue(w.ob, "alert", QD_SEV_CRITICAL, "bob",
		"a3"), 0);
	assert_int_equal(enqueue(w.ob, "fill", QD_SEV_INFO, NULL, NULL), 0);
	assert_int_equal(enqueue(w.ob, NULL, QD_SEV_INFO, NULL, NULL),
		QD_ERR_INVALID);
	assert_int_equal(enqueue(w.ob, "alert", QD_SEV_INFO, NULL,
		"bad key!"), QD_ERR_INVALID);
	assert_int_equal(enqueue(w.ob, "alert\r\nX-Evil: 1", QD_SEV_INFO,
		NULL, NULL), QD_ERR_INVALID);
	assert_true(run_until(&w, nothing_pending, 5000));
	assert_int_equal(w.n_sent, 2);
	assert_int_equal(count_sent(&w, "hook", "r1"), 1);
	assert_int_equal(count_sent(&w, "tg", "a1"), 1);
	assert_string_equal(w.sent[1].channel, "tg");
	assert_string_equal(w.sent[1].user, "alice");
	world_close(&w);
}

/* The same key twice is one notification per channel. */
static void
same_key_is_one_notification(void **st)
{
	static char star[] = "*";
	static char *all[] = { star };
	struct world w;

	(void)st;
	world_init(&w, "dedup");
	w.route[1].events = all;
	w.route[1].n_events = 1;
	world_open(&w, 3);
	assert_int_equal(enqueue(w.ob, "fill", QD_SEV_INFO, NULL,
		"fill:7:t1"), 2);
	assert_int_equal(enqueue(w.ob, "fill", QD_SEV_INFO, NULL,
		"fill:7:t1"), 0);
	assert_true(run_until(&w, nothing_pending, 5000));
	assert_int_equal(enqueue(w.ob, "fill", QD_SEV_INFO, NULL,
		"fill:7:t1"), 0);    /* delivered: still remembered */
	assert_int_equal(count_sent(&w, "hook", "fill:7:t1"), 1);
	assert_int_equal(count_sent(&w, "tg", "fill:7:t1"), 1);
	world_close(&w);
}

static int
count_row(void *arg, const struct store_notification *n)
{
	(void)n;
	(*(int *)arg)++;
	return QD_OK;
}

/* outbox_flush: once it returns, every row queued is in the store (read
 * through another connection without the loop ever running). */
static void
flush_waits_for_the_store(void **st)
{
	struct world w;
	struct store *s;
	char key[32], err[256];
	int i, n = 0;

	(void)st;
	world_init(&w, "flush");
	w.running[1] = 0;
	world_open(&w, 3);
	for (i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(enqueue(w.ob, "alert", QD_SEV_INFO, NULL, key),
			1);
	}
	assert_int_equal(outbox_flush(w.ob, 10000), QD_OK);
	assert_int_equal(store_open(w.db, STORE_ROLE_READER, &s, err,
		sizeof(err)), QD_OK);
	assert_int_equal(store_notifications(s, NULL, count_row, &n), QD_OK);
	store_close(s);
	assert_int_equal(n, 300);
	assert_int_equal(outbox_flush(w.ob, 0), QD_OK);  /* nothing new */
	world_close(&w);
}

/* Two failures, then delivered on the third attempt with the same key. */
static void
retries_then_delivers(void **st)
{
	struct world w;

	(void)st;
	world_init(&w, "retry");
	w.running[1] = 0;
	w.mode[0] = ANSWER_FAIL;
	w.fail_left[0] = 2;
	world_open(&w, 5);
	assert_int_equal(enqueue(w.ob, "alert", QD_SEV_INFO, NULL, "k1"), 1);
	assert_true(run_until(&w, nothing_pending, 5000));
	assert_int_equal(w.n_sent, 3);
	assert_int_equal(w.sent[0].attempt, 1);
	assert_int_equal(w.sent[2].attempt, 3);
	assert_string_equal(w.sent[2].key, "k1");
	assert_false(some_dead(&w));
	world_close(&w);
}

struct dead_got {
	uint64_t id;
	char error[256];
	uint32_t attempts;
	size_t n;
};

static void
dead_row(void *arg, const struct outbox_row *r)
{
	struct dead_got *g = arg;

	g->id = r->id;
	g->attempts = r->attempts;
	snprintf(g->error, sizeof(g->error), "%s", r->last_error);
	g->n++;
}

/* Rejected every time: dead after max_attempts with the reason, kept
 * dead across a restart, and sent again when retried. */
static void
dead_letter_with_reason_and_retry(void **st)
{
	struct world w;
	struct dead_got g = { 0 };

	(void)st;
	world_init(&w, "dead");
	w.running[1] = 0;
	w.mode[0] = ANSWER_FAIL;
	w.fail_left[0] = -1;
	world_open(&w, 3);
	assert_int_equal(enqueue(w.ob, "alert", QD_SEV_INFO, NULL, "k1"), 1);
	assert_true(run_until(&w, some_dead, 5000));
	assert_int_equal(w.n_sent, 3);
	outbox_each(w.ob, 1, dead_row, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.attempts, 3);
	assert_non_null(strstr(g.error, "HTTP 403: chat not found"));
	/* Restart: the dead row is still there. */
	world_reopen(&w, 3);
	memset(&g, 0, sizeof(g));
	outbox_each(w.ob, 1, dead_row, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(outbox_retry(w.ob, g.id + 100), QD_ERR_NOTFOUND);
	w.fail_left[0] = 0;
	assert_int_equal(outbox_retry(w.ob, g.id), 1);
	assert_true(run_until(&w, nothing_pending, 5000));
	assert_false(some_dead(&w));
	assert_int_equal(count_sent(&w, "hook", "k1"), 4);
	world_close(&w);
}

static int
fifty_sent(struct world *w)
{
	return w->n_sent >= 50;
}

/*
 * Sent but never confirmed (the daemon killed meanwhile): sent again at
 * the next start with the same keys; once confirmed, a third start sends
 * nothing and the keys are still known.
 */
static void
unconfirmed_sent_again_after_restart(void **st)
{
	struct world w;
	char key[32];
	size_t i;

	(void)st;
	world_init(&w, "restart");
	w.running[1] = 0;
	w.mode[0] = ANSWER_NONE;
	world_open(&w, 5);
	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "n%zu", i);
		assert_int_equal(enqueue(w.ob, "alert", QD_SEV_INFO, NULL,
			key), 1);
	}
	assert_true(run_until(&w, fifty_sent, 5000));
	w.mode[0] = ANSWER_OK;
	w.n_sent = 0;
	world_reopen(&w, 5);
	assert_true(run_until(&w, nothing_pending, 5000));
	assert_int_equal(w.n_sent, 50);
	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "n%zu", i);
		assert_int_equal(count_sent(&w, "hook", key), 1);
	}
	assert_int_equal(w.sent[0].attempt, 2);
	w.n_sent = 0;
	world_reopen(&w, 5);
	run_until(&w, NULL, 100);
	assert_int_equal(w.n_sent, 0);
	assert_int_equal(enqueue(w.ob, "alert", QD_SEV_INFO, NULL, "n3"), 0);
	world_close(&w);
}

static int
two_sent(struct world *w)
{
	return w->n_sent >= 2;
}

/* A bucket of 2 that refills once in 1000 s lets 2 of 5 out; a 429 with
 * retry_after pauses the channel (the other one goes on). */
static void
rate_limits_and_retry_after(void **st)
{
	static char star[] = "*";
	static char *all[] = { star };
	struct world w;
	struct outbox_stats s;
	char key[16];
	int i;

	(void)st;
	world_init(&w, "rate");
	w.route[0].rate_per_sec = 0.001;
	w.route[0].burst = 2;
	w.route[1].events = all;
	w.route[1].n_events = 1;
	w.mode[1] = ANSWER_LIMIT;
	world_open(&w, 10);
	for (i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "r%d", i);
		assert_int_equal(enqueue(w.ob, "alert", QD_SEV_INFO, NULL,
			key), 2);
	}
	assert_true(run_until(&w, two_sent, 5000));
	run_until(&w, NULL, 300);
	assert_int_equal(count_sent(&w, "hook", NULL), 2);
	/* tg answered 429 once: paused for 600 s, nothing more to it. */
	assert_int_equal(count_sent(&w, "tg", NULL), 1);
	outbox_stats(w.ob, &s);
	assert_int_equal(s.pending, 8);
	assert_int_equal(s.dead_now, 0);
	world_close(&w);
}

static void
heard(void *arg, const struct outbox_event *e)
{
	struct world *w = arg;

	if (w->n_heard < 8)
		w->heard[w->n_heard++].severity = e->severity;
	assert_string_equal(e->user, "alice");
}

/* The dashboards' hook hears every notification, routed or not. */
static void
listeners_hear_every_notification(void **st)
{
	struct world w;

	(void)st;
	world_init(&w, "listen");
	w.running[0] = w.running[1] = 0;
	world_open(&w, 3);
	assert_int_equal(outbox_listen(w.ob, heard, &w), QD_OK);
	assert_int_equal(enqueue(w.ob, "alert", QD_SEV_CRITICAL, "alice",
		NULL), 0);
	assert_int_equal(w.n_heard, 1);
	assert_int_equal(w.heard[0].severity, QD_SEV_CRITICAL);
	world_close(&w);
}

static int
four_sent(struct world *w)
{
	return w->n_sent >= 4;
}

static size_t count_event(const struct world *w, const char *event);

static int
feed_down_sent(struct world *w)
{
	return count_event(w, "feed.down") >= 1;
}

static int
feed_back(struct world *w)
{
	return count_sent(w, "hook", NULL) >= 5;
}

static size_t
count_event(const struct world *w, const char *event)
{
	size_t i, n = 0;

	for (i = 0; i < w->n_sent; i++)
		n += strcmp(w->sent[i].event, event) == 0;
	return n;
}

/*
 * Events that notify, from the bus: a risk action, a fill (twice: one
 * notification), an instance failing, and a feed going quiet for
 * feed_down_s then coming back.
 */
static void
bus_events_notify(void **st)
{
	struct world w;
	struct config_notify cfg;
	struct outbox_channels ch = { each, send_fn, &w, NULL };
	struct bus *bus = bus_new();
	struct bus_event ev;
	char err[256];

	(void)st;
	assert_non_null(bus);
	world_init(&w, "events");
	w.running[1] = 0;
	config_notify_default(&cfg);
	cfg.feed_down_s = 1;
	w.ob = outbox_open(w.loop, w.db, 0, &cfg, &ch, err, sizeof(err));
	assert_non_null(w.ob);
	assert_int_equal(outbox_watch(w.ob, bus), QD_OK);

	memset(&ev, 0, sizeof(ev));
	ev.topic = BUS_ALERT;
	ev.source = "risk";
	ev.u.alert.severity = QD_SEV_CRITICAL;
	ev.u.alert.title = "risk: daily_loss (paper:a)";
	ev.u.alert.body = "loss 6% > 5%";
	ev.u.alert.event = "risk.daily_loss";
	ev.u.alert.key = "risk:daily_loss:paper:a:17";
	bus_publish(bus, &ev);

	memset(&ev, 0, sizeof(ev));
	ev.topic = BUS_FILL;
	ev.source = "ma-fast";
	ev.u.order.size = sizeof(ev.u.order);
	ev.u.order.order_id = 7;
	ev.u.order.symbol = symbol_intern("BTC/USDT");
	ev.u.order.side = QD_SIDE_BUY;
	ev.u.order.qty = 1;
	ev.u.order.last_qty = 0.5;
	ev.u.order.last_price = 100;
	ev.u.order.trade_id = "t 1";
	bus_publish(bus, &ev);
	bus_publish(bus, &ev);      /* the same fill again: one notification */

	memset(&ev, 0, sizeof(ev));
	ev.topic = BUS_PLUGIN_STATE;
	ev.u.plugin.instance = "binance";
	ev.u.plugin.plugin = "binance";
	ev.u.plugin.state = PLUGIN_STATE_FAILED;
	ev.u.plugin.reason = "restarts used up";
	bus_publish(bus, &ev);

	memset(&ev, 0, sizeof(ev));
	ev.topic = BUS_TRADE;
	ev.source = "feed";
	ev.u.trade.size = sizeof(ev.u.trade);
	bus_publish(bus, &ev);      /* the feed is alive, then quiet */
	assert_true(run_until(&w, four_sent, 5000));
	assert_int_equal(count_sent(&w, "hook", "risk:daily_loss:paper:a:17"),
		1);
	assert_int_equal(count_sent(&w, "hook", "fill:7:t_1"), 1);
	assert_int_equal(count_event(&w, "fill"), 1);
	assert_int_equal(count_event(&w, "plugin.failed"), 1);
	/* Quiet for longer than feed_down_s. */
	assert_true(run_until(&w, feed_down_sent, 10000));
	assert_int_equal(count_event(&w, "feed.down"), 1);
	bus_publish(bus, &ev);      /* back */
	assert_true(run_until(&w, feed_back, 5000));
	assert_int_equal(count_event(&w, "feed.up"), 1);
	assert_int_equal(count_event(&w, "feed.down"), 1);
	world_close(&w);
	bus_free(bus);
}

struct skipped_seen {
	char user[16], kind[16], why[200];
	int n;
};

static void
skipped_row(void *arg, const struct outbox_row *r)
{
	struct skipped_seen *k = arg;

	if (!r->skipped)
		return;
	k->n++;
	snprintf(k->user, sizeof(k->user), "%s", r->user);
	snprintf(k->kind, sizeof(k->kind), "%s", r->user_channel ?
		r->user_channel : "");
	snprintf(k->why, sizeof(k->why), "%s", r->last_error);
}

/* The users of the channel tests, on w's store: alice (enterprise) with
 * her webhook set through the book, carol (pro) with one set while she was
 * on enterprise; "hook" alone runs, routing every event; the outbox holds
 * the book.  *v and the book are the caller's to free. */
static struct channel_book *
users_world(struct world *w, const char *tag, struct vault **v)
{
	struct channel_book *book;
	struct channel_settings cs;
	struct store_user u = { 0, "alice", "x", "trader", "enterprise", 0,
		1, 1 };
	struct store_user_channel carol = { "carol", "webhook",
		"https://c.example/h", "", { "", "", "" }, 1, 1 };
	struct store *s;
	cJSON *body;
	char err[300];
	int64_t id;

	setenv("QD_TEST_OUTBOX_MK", "000102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1f", 1);
	assert_int_equal(vault_new(v), QD_OK);
	assert_int_equal(vault_load(*v, "k1=env:QD_TEST_OUTBOX_MK", err,
		sizeof(err)), QD_OK);
	world_init(w, tag);
	w->serve_users = 1;
	w->running[1] = 0;         /* "hook" alone, routing every event */
	world_open(w, 3);
	assert_int_equal(store_open(w->db, STORE_ROLE_WRITER, &s, err,
		sizeof(err)), QD_OK);
	assert_int_equal(store_user_add(s, &u, &id), QD_OK);
	u.name = "carol";
	u.plan = "pro";
	assert_int_equal(store_user_add(s, &u, &id), QD_OK);
	/* carol set it while on enterprise, then was moved to pro */
	assert_int_equal(store_user_channel_put(s, &carol), QD_OK);
	store_close(s);
	book = channel_book_open(w->db, *v, err, sizeof(err));
	assert_non_null(book);
	body = cJSON_Parse("{\"url\":\"https://a.example/h\","
		"\"secret\":\"alice-secret-0123456789\"}");
	assert_int_equal(channel_settings_parse(CHANNEL_WEBHOOK, body, 0, &cs,
		err, sizeof(err)), QD_OK);
	assert_int_equal(channel_book_set(book, "alice", &cs, 5, err,
		sizeof(err)), QD_OK);
	channel_settings_clear(&cs);
	cJSON_Delete(body);
	outbox_set_book(w->ob, book);
	return book;
}

/* A user's notification goes to the instance's route and, as its own row,
 * to the user's webhook with the user's url and secret (the secret only
 * while send() runs); a user whose plan lacks the kind (a downgrade) is
 * skipped with the reason, never sent; a named kind the user did not set
 * is skipped too. */
static void
user_channels_get_target_and_secret_or_are_skipped(void **st)
{
	struct world w;
	struct channel_book *book;
	struct skipped_seen k;
	struct outbox_event e;
	struct vault *v;

	(void)st;
	book = users_world(&w, "users", &v);
	memset(&e, 0, sizeof(e));
	e.event = "alert";
	e.user = "alice";
	e.title = "alert 1";
	e.key = "alert:1:1";
	assert_int_equal(outbox_enqueue(w.ob, &e), 2);
	assert_true(run_until(&w, two_sent, 3000));
	assert_int_equal(w.n_sent, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct sent *x = &w.sent[i];

		assert_string_equal(x->channel, "hook");
		assert_string_equal(x->key, "alert:1:1");
		if (x->target[0] == '\0')
			continue;           /* the route's own copy */
		assert_string_equal(x->target, "https://a.example/h");
		assert_string_equal(x->secret, "alice-secret-0123456789");
	}
	assert_true(w.sent[0].target[0] != w.sent[1].target[0]);

	/* carol: the route's copy is sent, her webhook is skipped */
	e.user = "carol";
	e.key = "alert:2:1";
	assert_int_equal(outbox_enqueue(w.ob, &e), 2);
	memset(&k, 0, sizeof(k));
	run_until(&w, NULL, 200);
	outbox_each(w.ob, 1, skipped_row, &k);
	assert_int_equal(k.n, 1);
	assert_string_equal(k.user, "carol");
	assert_string_equal(k.kind, "webhook");
	assert_non_null(strstr(k.why, "skipped: the pro plan does not "
		"include webhook channels"));
	assert_int_equal(w.n_sent, 3);
	assert_string_equal(w.sent[2].target, "");

	/* a kind named by the alert that alice did not set: skipped */
	e.user = "alice";
	e.key = "alert:3:1";
	e.channels = "email";
	e.user_only = 1;
	assert_int_equal(outbox_enqueue(w.ob, &e), 1);
	memset(&k, 0, sizeof(k));
	outbox_each(w.ob, 1, skipped_row, &k);
	assert_int_equal(k.n, 2);
	assert_non_null(strstr(k.why, "no email channel"));
	e.channels = "pager";
	assert_int_equal(outbox_enqueue(w.ob, &e), QD_ERR_INVALID);
	world_close(&w);
	channel_book_close(book);
	vault_free(v);
}

/* A skipped row retried while no instance carries its kind is skipped
 * again with that reason (not left pending for an instance that is not
 * there); retried once one carries it, it goes through that one. */
static void
skipped_rows_retried_without_a_carrier_are_skipped_again(void **st)
{
	struct world w;
	struct channel_book *book;
	struct skipped_seen k;
	struct outbox_event e;
	struct outbox_stats sts;
	struct vault *v;

	(void)st;
	book = users_world(&w, "carrier", &v);
	w.serve_users = 0;         /* no instance carries users' webhooks */
	memset(&e, 0, sizeof(e));
	e.event = "alert";
	e.user = "alice";
	e.title = "alert 1";
	e.key = "alert:9:1";
	e.user_only = 1;
	assert_int_equal(outbox_enqueue(w.ob, &e), 1);
	memset(&k, 0, sizeof(k));
	outbox_each(w.ob, 1, skipped_row, &k);
	assert_int_equal(k.n, 1);
	assert_non_null(strstr(k.why, "skipped: no running notify-webhook "
		"instance carries users' webhook channels"));
	/* retried, still no carrier: skipped again, nothing sent */
	assert_int_equal(outbox_retry(w.ob, 0), 1);
	assert_true(run_until(&w, nothing_pending, 2000));
	outbox_stats(w.ob, &sts);
	assert_int_equal(sts.pending, 0);
	assert_int_equal(sts.dead_now, 1);
	assert_int_equal(sts.skipped, 2);
	memset(&k, 0, sizeof(k));
	outbox_each(w.ob, 1, skipped_row, &k);
	assert_int_equal(k.n, 1);
	assert_non_null(strstr(k.why, "skipped: no running notify-webhook "
		"instance carries users' webhook channels"));
	assert_int_equal(w.n_sent, 0);
	/* carol's (her plan lacks webhooks) made while "hook" carried it,
	 * then "hook" stopped: retried, skipped for the carrier */
	w.serve_users = 1;
	e.user = "carol";
	e.key = "alert:9:2";
	assert_int_equal(outbox_enqueue(w.ob, &e), 1);
	w.serve_users = 0;
	w.running[0] = 0;
	assert_int_equal(outbox_retry(w.ob, 0), 2);
	assert_true(run_until(&w, nothing_pending, 2000));
	outbox_stats(w.ob, &sts);
	assert_int_equal(sts.pending, 0);
	assert_int_equal(sts.dead_now, 2);
	assert_int_equal(w.n_sent, 0);
	/* an instance carries them again: alice's goes through it */
	w.serve_users = 1;
	w.running[0] = 1;
	assert_int_equal(outbox_retry(w.ob, 0), 2);
	assert_true(run_until(&w, nothing_pending, 2000));
	assert_int_equal(w.n_sent, 1);
	assert_string_equal(w.sent[0].channel, "hook");
	assert_string_equal(w.sent[0].user, "alice");
	assert_string_equal(w.sent[0].target, "https://a.example/h");
	memset(&k, 0, sizeof(k));
	outbox_each(w.ob, 1, skipped_row, &k);
	assert_int_equal(k.n, 1);   /* carol's: her plan */
	assert_non_null(strstr(k.why, "skipped: the pro plan does not "
		"include webhook channels"));
	world_close(&w);
	channel_book_close(book);
	vault_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(routes_by_event_user_and_severity),
		cmocka_unit_test(same_key_is_one_notification),
		cmocka_unit_test(flush_waits_for_the_store),
		cmocka_unit_test(retries_then_delivers),
		cmocka_unit_test(dead_letter_with_reason_and_retry),
		cmocka_unit_test(unconfirmed_sent_again_after_restart),
		cmocka_unit_test(rate_limits_and_retry_after),
		cmocka_unit_test(listeners_hear_every_notification),
		cmocka_unit_test(bus_events_notify),
		cmocka_unit_test(user_channels_get_target_and_secret_or_are_skipped),
		cmocka_unit_test(
		    skipped_rows_retried_without_a_carrier_are_skipped_again),
	};

	return cmocka_run_group_tests_name("outbox", tests, NULL, NULL);
}
