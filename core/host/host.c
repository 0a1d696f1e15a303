/*
 * host.c -- plugin instances at run time, and the daemon's world for the
 * host API (runtime.h): the loop's clock and timers, the bus, a paper
 * account per strategy instance, state files, annotations in the log.
 */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus/bus.h"
#include "config/config.h"
#include "host/annotations.h"
#include "host/host.h"
#include "host/runtime.h"
#include "json/json.h"
#include "log/log.h"
#include "loop/loop.h"
#include "market/symbol.h"
#include "plugin/indicator.h"
#include "plugin/params.h"
#include "plugin/plugin.h"
#include "market/candles.h"
#include "net/client.h"
#include "net/mail.h"
#include "store/import.h"
#include "store/store.h"
#include "store/writer.h"
#include "sandbox/sandbox.h"
#include "trade/journal.h"
#include "trade/oms.h"
#include "trade/paper.h"
#include "vault/vault.h"

struct instance;

struct itimer {
	uint64_t id;
	struct loop_timer *t;
	struct instance *inst;
	int periodic;
	struct itimer *next;
};

/* An open history cursor of an instance (api->history_open). */
#define MAX_HISTORY 4
struct history {
	uint64_t id;                    /* 0: free */
	struct store *st;               /* store sources */
	char exchange[64], symbol[32], timeframe[8];
	int64_t next, to;               /* ms */
	int64_t tf_ms;                  /* 0: trades */
	struct import_data file;        /* file sources, whole */
	size_t pos;
	int is_file;
};

/*
 * A "vault:NAME" secret of an instance: the credential as the store holds
 * it, read once when the instance starts and opened under the daemon's
 * master keys at each use, so its plaintext exists only while in use.
 */
struct sealed_ref {
	char *secret;                   /* its key in "secrets" */
	struct vault_box box;
};

/* An HTTP request a notifier made, public-only, for a user's
 * notification: the reason the client refused it replaces the plugin's
 * own account when it reports the notification failed. */
#define MAX_GUARDED 32
struct guarded {
	uint64_t http, req;
	char why[256];
};

struct instance {
	struct host *host;
	struct qd_ctx ctx;
	uint64_t id;
	struct config_instance cfg;     /* owned (moved out of a config) */
	qd_params *params;              /* owned, = cfg.values at create */
	const struct plugin *plugin;
	const struct qd_plugin *desc;
	const struct qd_ops *ops;
	char *file;                     /* module path, for upgrades */
	void *state;
	int created;
	enum bus_plugin_state st;
	char reason[256];
	uint64_t *subs;                 /* bus subscription ids */
	size_t n_subs, cap_subs;
	struct itimer *timers;
	uint64_t next_timer;
	/* Exchanges: the candle series of each symbol it trades, by id. */
	struct candle_series **series;
	size_t n_series;
	int starting;                   /* sandboxed: start not yet done */
	const struct netc_event *http_ev; /* the answer being handled */
	char feed[64];                  /* strategies: the exchange instance
	                                   their market data comes from */
	uint32_t restarts;              /* sandbox children lost and restarted */
	/* Exchanges: market data emitted (trades, bars, book tops) and the
	 * wall clock of the latest, for metrics. */
	uint64_t emitted[3];
	int64_t emitted_at;
	struct history hist[MAX_HISTORY];
	/* A notifier inside send() of a user's notification: where its
	 * "target.NAME" secrets come from (host_notify_send). */
	int (*target_secret)(void *, const char *, char *, size_t, size_t *);
	void *target_arg;
	/* A notifier inside send(): of notification send_req, for a user
	 * (its requests go to public addresses only, host_set_user_urls). */
	int in_send, send_user;
	uint64_t send_req;
	/* Its HTTP requests made public-only inside a user's send, and why
	 * the client refused one (for notify_done's detail). */
	struct guarded guarded[MAX_GUARDED];
	size_t n_guarded;
	/* Its "vault:NAME" secrets, read sealed at its start. */
	struct sealed_ref *sealed;
	size_t n_sealed;
	/* Strategies: the newest of what they annotated, for dashboards. */
	struct ann_log ann;
};

/* An exchange's state last saved through the journal, by instance name:
 * the newest, whether or not the journal has written it yet (an instance
 * started again reads it here). */
struct jstate {
	struct jstate *next;
	size_t len;
	unsigned char *buf;
	char name[];
};

struct host {
	struct loop *loop;
	char *sandbox_helper;
	/* Paper fills happen on each symbol's smallest timeframe bars;
	 * marks are their last closes. */
	double *marks;
	uint32_t *base_tf;
	size_t n_marks;
	int64_t bar_ts;
	struct bus *bus;
	char *state_dir;
	struct plugin_registry *reg;
	struct config *config;
	struct instance **inst;
	size_t n, cap;
	uint64_t next_id;
	/* Sandboxed instances still starting, and who waits for none. */
	size_t n_starting;
	void (*settled)(void *arg, size_t failed);
	void *settled_arg;
	/* The store thread: plugin state, and the backlog that slows the
	 * exchanges down.  NULL = state files in state_dir. */
	struct writer *writer;
	uint64_t ingest_paused;         /* exchange timer ticks skipped */
	/* Plugins' WebSocket and HTTP clients (NULL: no network). */
	struct net_client *netc;
	/* Trades into candles of every timeframe; the clock closes them. */
	struct candles *candles;
	struct loop_timer *candle_clock, *partial_clock;
	uint64_t late_logged;           /* late trades already logged */
	char *store_url;                /* history_* reads it, or NULL */
	const struct vault *vault;      /* opens "vault:" secrets, or NULL */
	/* Instruments the exchanges listed, by (instance, symbol). */
	struct host_instrument *instr;
	size_t n_instr, cap_instr;
	/* Orders, accounts, the ledger and risk: every strategy trades its
	 * own account through them.  The journal writes them ahead. */
	struct oms *oms;
	struct journal *journal;
	char *trading_url;              /* the journal's store, or NULL */
	struct jstate *jstates;
	struct loop_timer *oms_clock;
	struct risk_limits risk_instance;  /* instances without their own */
	int oms_started;
	/* Notifiers' answers go to the outbox (core/notify). */
	void (*notify_done)(void *arg, const char *channel, uint64_t req,
		int status, const char *detail);
	void *notify_arg;
	int user_urls_private;          /* host_set_user_urls */
	struct mailer *mailer;          /* api->mail_send, or NULL */
	/* Annotations: the last number given, and who is told of each. */
	uint64_t ann_seq;
	void (*ann_fn)(void *arg, const struct host_annotation *a);
	void *ann_arg;
};



const char *
host_state_name(enum bus_plugin_state s)
{
	switch (s) {
	case PLUGIN_STATE_LOADED: return "loaded";
	case PLUGIN_STATE_CREATED: return "created";
	case PLUGIN_STATE_RUNNING: return "running";
	case PLUGIN_STATE_STOPPED: return "stopped";
	case PLUGIN_STATE_RESTARTING: return "restarting";
	case PLUGIN_STATE_FAILED: return "failed";
	case PLUGIN_STATE_REFUSED: return "refused";
	}
	return "unknown";
}

/* Dependency rank: lower starts first, stops last. */
static int
kind_rank(enum qd_kind k)
{
	switch (k) {
	case QD_KIND_EXCHANGE: return 0;
	case QD_KIND_NOTIFIER: return 1;
	case QD_KIND_PAYMENT: return 2;
	case QD_KIND_STRATEGY: return 3;
	default: return 4;
	}
}

/* Tell the bus that the instance is in state `st`. */
static void
publish_state(struct instance *in, enum bus_plugin_state st,
	const char *reason)
{
	struct bus_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.topic = BUS_PLUGIN_STATE;
	ev.key = in->id;
	ev.u.plugin.instance_id = in->id;
	ev.u.plugin.instance = in->cfg.instance;
	ev.u.plugin.plugin = in->cfg.plugin;
	ev.u.plugin.state = st;
	ev.u.plugin.reason = reason;
	ev.u.plugin.current = in->st;
	ev.u.plugin.restarts = in->restarts;
	bus_publish(in->host->bus, &ev);
}

/* Set state, remember the reason, publish on the bus. */
static void
set_state(struct instance *in, enum bus_plugin_state st, const char *reason)
{
	in->st = st;
	if (reason != NULL)     /* cut to fit: the bus carries it whole */
		snprintf(in->reason, sizeof(in->reason), "%.*s",
			(int)sizeof(in->reason) - 1, reason);
	else
		in->reason[0] = '\0';
	publish_state(in, st, reason);
}

static struct instance *
find_instance(const struct host *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->inst[i]->cfg.instance, name) == 0)
			return h->inst[i];
	return NULL;
}

static struct candle_series *series_of(struct instance *in, qd_symbol sym);
static void history_release(struct instance *in);

int
host_backfill(struct host *h, const char *instance, const char *symbol,
	uint32_t tf_s, int64_t from_ms, int64_t to_ms)
{
	struct instance *in = find_instance(h, instance);
	const struct qd_exchange_ops *xo;
	qd_symbol sym;

	if (in == NULL)
		return QD_ERR_NOTFOUND;
	if (in->desc == NULL || in->desc->kind != QD_KIND_EXCHANGE ||
	    !symbol_valid(symbol) || from_ms >= to_ms)
		return QD_ERR_INVALID;
	if (in->st != PLUGIN_STATE_RUNNING)
		return QD_ERR_STATE;
	xo = (const void *)in->ops;
	if (xo->backfill == NULL)
		return QD_ERR_UNSUPPORTED;
	sym = symbol_intern(symbol);
	if (series_of(in, sym) == NULL)
		return QD_ERR_NOMEM;
	return xo->backfill(in->state, sym, tf_s, from_ms * 1000000,
		to_ms * 1000000);
}

/* ---- the daemon's world (runtime.h) --------------------------------------- */

#define INST(w) ((struct instance *)(void *)(w))

/* Annotations kept per instance (api->annotate caps each at 4 KiB). */
#define ANN_KEEP 5000
#define ANN_KEEP_BYTES (4u << 20)

static int64_t
w_now(struct world *w)
{
	(void)w;
	return loop_now_ns();
}

static void
timer_fire(void *arg)
{
	struct itimer *t = arg;
	struct instance *in = t->inst;
	uint64_t id = t->id;
	int periodic = t->periodic;

	if (!periodic) {
		struct itimer **pp;

		for (pp = &in->timers; *pp != NULL; pp = &(*pp)->next)
			if (*pp == t) {
				*pp = t->next;
				break;
			}
		loop_timer_cancel(t->t);
		free(t);
	}
	runtime_timer_fired(&in->ctx, periodic);
	if (in->st != PLUGIN_STATE_RUNNING)
		return;
	switch (in->desc->kind) {
	case QD_KIND_STRATEGY: {
		const struct qd_strategy_ops *o = (const void *)in->ops;

		if (o->on_timer)
			o->on_timer(in->state, id);
		break;
	}
	case QD_KIND_EXCHANGE: {
		const struct qd_exchange_ops *o = (const void *)in->ops;

		/* The store is behind: a source driven by its timers waits
		 * for the next tick instead of adding to the backlog. */
		if (writer_backlogged(in->host->writer)) {
			in->host->ingest_paused++;
			break;
		}
		if (o->on_timer)
			o->on_timer(in->state, id);
		break;
	}
	case QD_KIND_NOTIFIER: {
		const struct qd_notifier_ops *o = (const void *)in->ops;

		if (o->on_timer)
			o->on_timer(in->state, id);
		break;
	}
	default:
		break;
	}
}

/* A loop timer per plugin timer, in the instance's list. */
static int
w_timer_arm(struct world *w, uint64_t id, int64_t after_ns,
	int64_t interval_ns)
{
	struct instance *in = INST(w);
	struct itimer *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return QD_ERR_NOMEM;
	t->inst = in;
	t->id = id;
	t->periodic = interval_ns > 0;
	t->t = loop_timer_add(in->host->loop, after_ns, interval_ns,
		timer_fire, t);
	if (t->t == NULL) {
		free(t);
		return QD_ERR_NOMEM;
	}
	t->next = in->timers;
	in->timers = t;
	return QD_OK;
}

static int
w_timer_disarm(struct world *w, uint64_t id)
{
	struct itimer **pp, *t;

	for (pp = &INST(w)->timers; (t = *pp) != NULL; pp = &t->next)
		if (t->id == id) {
			*pp = t->next;
			loop_timer_cancel(t->t);
			free(t);
			return QD_OK;
		}
	return QD_ERR_NOTFOUND;
}

/* Cancel every timer of the instance. */
static void
release_timers(struct instance *in)
{
	while (in->timers != NULL) {
		struct itimer *t = in->timers;

		in->timers = t->next;
		loop_timer_cancel(t->t);
		free(t);
	}
	runtime_timers_cleared(&in->ctx);
}

static void
state_path(const struct instance *in, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s.state", in->host->state_dir,
		in->cfg.instance);
}

/*
 * An exchange's state (a cursor of the fills it has reported, say) is
 * written by the trading journal, after the fills and orders it emitted
 * before saving it: a crash never leaves a cursor ahead of the fills the
 * store holds.  Other state goes to the store when there is one (kept in
 * memory, written by the store thread); else to state_dir/INSTANCE.state,
 * replaced atomically.
 */
static int
journaled_state(const struct instance *in)
{
	return in->host->journal != NULL && in->desc != NULL &&
	    in->desc->kind == QD_KIND_EXCHANGE;
}

static struct jstate *
jstate_find(struct host *h, const char *name)
{
	struct jstate *j;

	for (j = h->jstates; j != NULL; j = j->next)
		if (strcmp(j->name, name) == 0)
			return j;
	return NULL;
}

static int
journal_state_save(struct instance *in, const void *buf, size_t len)
{
	struct host *h = in->host;
	struct jstate *j = jstate_find(h, in->cfg.instance);
	unsigned char *copy = malloc(len ? len : 1);

	if (copy == NULL)
		return QD_ERR_NOMEM;
	if (j == NULL) {
		size_t n = strlen(in->cfg.instance) + 1;

		if ((j = calloc(1, sizeof(*j) + n)) == NULL) {
			free(copy);
			return QD_ERR_NOMEM;
		}
		memcpy(j->name, in->cfg.instance, n);
		j->next = h->jstates;
		h->jstates = j;
	}
	if (journal_state(h->journal, in->cfg.instance, buf, len) == 0) {
		free(copy);
		return QD_ERR_NOMEM;
	}
	if (len)
		memcpy(copy, buf, len);
	free(j->buf);
	j->buf = copy;
	j->len = len;
	return QD_OK;
}

static int
journal_state_load(struct instance *in, void *buf, size_t cap, size_t *len)
{
	struct jstate *j = jstate_find(in->host, in->cfg.instance);
	struct store *s;
	char err[256];
	int rc;

	if (j != NULL && j->buf != NULL) {
		if (j->len)
			memcpy(buf, j->buf, j->len < cap ? j->len : cap);
		if (len)
			*len = j->len;
		return QD_OK;
	}
	if (in->host->trading_url == NULL)
		return QD_ERR_NOTFOUND;
	if (store_open(in->host->trading_url, STORE_ROLE_READER, &s, err,
	    sizeof(err)) != QD_OK) {
		log_error(in->cfg.instance, "cannot read its state: %s", err);
		return QD_ERR_IO;
	}
	rc = store_state_load(s, in->cfg.instance, buf, cap, len);
	if (rc != QD_OK && rc != QD_ERR_NOTFOUND)
		log_error(in->cfg.instance, "cannot read its state: %s",
			store_error(s));
	store_close(s);
	return rc;
}

static int
w_state_save(struct world *w, const void *buf, size_t len)
{
	struct instance *in = INST(w);
	char path[4096], tmp[4200];
	int fd;
	ssize_t n;

	if (journaled_state(in))
		return journal_state_save(in, buf, len);
	if (in->host->writer != NULL)
		return writer_state_save(in->host->writer, in->cfg.instance,
			buf, len);

	state_path(in, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error(in->cfg.instance, "cannot save state to %s: %s",
			tmp, strerror(errno));
		return QD_ERR_IO;
	}
	n = len ? write(fd, buf, len) : 0;
	if (n != (ssize_t)len || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		return QD_ERR_IO;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return QD_ERR_IO;
	}
	return QD_OK;
}

static int
w_state_load(struct world *w, void *buf, size_t cap, size_t *len)
{
	char path[4096];
	struct stat st;
	int fd;
	ssize_t r;
	size_t want;
	int rc;

	/* An exchange's from the journal's store; a state file or the
	 * market store's row of an earlier quantd is still read (once the
	 * instance saves, the journal has it). */
	if (journaled_state(INST(w)) && (rc = journal_state_load(INST(w),
	    buf, cap, len)) != QD_ERR_NOTFOUND)
		return rc;
	if (INST(w)->host->writer != NULL && (rc = writer_state_load(
	    INST(w)->host->writer, INST(w)->cfg.instance, buf, cap, len)) !=
	    QD_ERR_NOTFOUND)
		return rc;
	state_path(INST(w), path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? QD_ERR_NOTFOUND : QD_ERR_IO;
	if (fstat(fd, &st) != 0 || st.st_size > (off_t)RUNTIME_MAX_STATE_BYTES) {
		close(fd);
		return QD_ERR_IO;
	}
	want = (size_t)st.st_size < cap ? (size_t)st.st_size : cap;
	r = want ? read(fd, buf, want) : 0;
	close(fd);
	if (r != (ssize_t)want)
		return QD_ERR_IO;
	if (len)
		*len = (size_t)st.st_size;
	return QD_OK;
}

/* An event from the exchange instance the strategy streams from (any,
 * before one was running to ask). */
static int
from_feed(const struct instance *in, const struct bus_event *ev)
{
	return in->feed[0] == '\0' || ev->source == NULL ||
	    strcmp(ev->source, in->feed) == 0;
}

static void
on_bar_event(void *arg, const struct bus_event *ev)
{
	struct instance *in = arg;
	const struct qd_strategy_ops *o = (const void *)in->ops;

	/* A strategy sees its bars in time order: a gap filled later is
	 * stored, not replayed to it.  And only its exchange's: the same
	 * symbol on another venue is another market. */
	if (in->st == PLUGIN_STATE_RUNNING && o->on_bar != NULL &&
	    !ev->history && from_feed(in, ev))
		o->on_bar(in->state, &ev->u.bar);
}

static void
on_trade_event(void *arg, const struct bus_event *ev)
{
	struct instance *in = arg;
	const struct qd_strategy_ops *o = (const void *)in->ops;

	if (in->st == PLUGIN_STATE_RUNNING && o->on_trade != NULL &&
	    from_feed(in, ev))
		o->on_trade(in->state, &ev->u.trade);
}

static int
add_sub(struct instance *in, uint64_t id)
{
	if (in->n_subs == in->cap_subs) {
		size_t cap = in->cap_subs ? in->cap_subs * 2 : 8;
		uint64_t *n = realloc(in->subs, cap * sizeof(*n));

		if (n == NULL)
			return QD_ERR_NOMEM;
		in->subs = n;
		in->cap_subs = cap;
	}
	in->subs[in->n_subs++] = id;
	return QD_OK;
}

/* The exchange instance feeding strategy `in`: its `exchange` when that one
 * is created (a failed one has no state to subscribe with), or the first
 * running one. */
static struct instance *
feed_of(struct instance *in)
{
	struct host *h = in->host;
	struct instance *ex;
	size_t i;

	if (in->cfg.exchange != NULL) {
		ex = find_instance(h, in->cfg.exchange);
		return ex != NULL && ex->created ? ex : NULL;
	}
	for (i = 0; i < h->n; i++)
		if (h->inst[i]->desc != NULL &&
		    h->inst[i]->desc->kind == QD_KIND_EXCHANGE &&
		    h->inst[i]->st == PLUGIN_STATE_RUNNING)
			return h->inst[i];
	return NULL;
}

static struct candle_series *series_of(struct instance *in, qd_symbol sym);

/* An exchange that took a 1m subscription streams the venue's 1m klines:
 * they, not its trades, make its 1m bars from the start. */
static void
expect_bars(struct instance *ex, qd_symbol sym, uint32_t tf)
{
	struct candle_series *cs;

	if (tf == 60 && (cs = series_of(ex, sym)) != NULL)
		candles_expect_klines(cs);
}

/* Bars or trades of `sym` from the bus, and the feed asked to stream them. */
static int
w_subscribe(struct world *w, qd_symbol sym, uint32_t tf)
{
	struct instance *in = INST(w), *ex;
	uint64_t id;
	int rc;

	if (tf == 0)
		id = bus_subscribe(in->host->bus, BUS_TRADE, sym,
			on_trade_event, in);
	else
		id = bus_subscribe(in->host->bus, BUS_BAR, bus_key_bar(sym, tf),
			on_bar_event, in);
	if (id == 0 || add_sub(in, id) != QD_OK)
		return QD_ERR_NOMEM;
	ex = feed_of(in);
	if (ex == NULL) {
		log_warn(in->cfg.instance, "no running exchange instance to "
			"stream %s %us from", symbol_name(sym), tf);
		return QD_OK;
	}
	snprintf(in->feed, sizeof(in->feed), "%s", ex->cfg.instance);
	rc = ((const struct qd_exchange_ops *)(const void *)ex->ops)->subscribe ?
		((const struct qd_exchange_ops *)(const void *)ex->ops)->subscribe(
		ex->state, sym, tf) : QD_ERR_UNSUPPORTED;
	if (rc == QD_OK)
		expect_bars(ex, sym, tf);
	if (rc != QD_OK)
		log_warn(in->cfg.instance, "exchange %s cannot stream %s %us: "
			"%s", ex->cfg.instance, symbol_name(sym), tf,
			qd_strerror(rc));
	return rc;
}

static size_t
w_subscriptions(struct world *w)
{
	return INST(w)->n_subs;
}

/* An order of `instance` changed: tell it, and the bus. */
static void
on_oms_update(void *arg, const char *instance,
	const struct qd_order_update *u)
{
	struct host *h = arg;
	struct instance *in = find_instance(h, instance);
	struct bus_event ev;

	if (u->state == QD_ORDER_REJECTED && in != NULL)
		log_warn(in->cfg.instance, "order %llu rejected: %s",
			(unsigned long long)u->order_id, u->reason ? u->reason :
			"(no reason)");
	memset(&ev, 0, sizeof(ev));
	ev.topic = u->last_qty > 0 ? BUS_FILL : BUS_ORDER_UPDATE;
	ev.source = instance;
	ev.key = u->order_id;
	ev.u.order = *u;
	bus_publish(h->bus, &ev);
	if (in != NULL && in->st == PLUGIN_STATE_RUNNING && in->desc != NULL &&
	    in->desc->kind == QD_KIND_STRATEGY) {
		const struct qd_strategy_ops *o = (const void *)in->ops;

		if (o->on_order)
			o->on_order(in->state, u);
	}
}

/* A risk breach: an alert on the bus, which notifiers carry. */
static void
on_oms_risk(void *arg, const struct risk_event *e)
{
	struct host *h = arg;
	struct bus_event ev;
	char title[160], event[96], key[160];

	if (!(e->actions & (RISK_NOTIFY | RISK_RESUME)))
		return;
	snprintf(event, sizeof(event), "risk.%s%s", e->rule,
		e->actions & RISK_RESUME ? ".resumed" : "");
	/* One notification per breach: its rule, scope and time. */
	snprintf(key, sizeof(key), "risk:%s:%s:%lld", e->rule,
		e->scope_id[0] ? e->scope_id : "global", (long long)e->ts);
	snprintf(title, sizeof(title), "risk: %s%s%s%s", e->rule,
		e->scope_id[0] ? " (" : "", e->scope_id,
		e->scope_id[0] ? ")" : "");
	memset(&ev, 0, sizeof(ev));
	ev.topic = BUS_ALERT;
	ev.source = "risk";
	ev.u.alert.symbol = e->symbol ? symbol_intern(e->symbol) : 0;
	ev.u.alert.severity = e->actions & RISK_RESUME ? QD_SEV_INFO :
		e->actions & RISK_CLOSE ? QD_SEV_CRITICAL : QD_SEV_WARNING;
	ev.u.alert.title = title;
	ev.u.alert.body = e->reason;
	ev.u.alert.event = event;
	ev.u.alert.key = key;
	bus_publish(h->bus, &ev);
}

static int
on_oms_instrument(void *arg, const char *venue, const char *instance,
	qd_symbol sym, double *tick, double *lot, double *min_notional,
	double *min_qty)
{
	struct host *h = arg;
	struct instance *in = find_instance(h, instance);
	const struct host_instrument *x;
	const char *ex = venue;

	if (ex == NULL && in != NULL)
		ex = in->feed[0] ? in->feed : in->cfg.exchange;
	if (ex == NULL || (x = host_instrument(h, ex, sym)) == NULL)
		return QD_ERR_NOTFOUND;
	*tick = x->tick[0] ? strtod(x->tick, NULL) : 0;
	*lot = x->lot[0] ? strtod(x->lot, NULL) : 0;
	*min_notional = x->min_notional[0] ? strtod(x->min_notional, NULL) :
		0;
	*min_qty = x->min_qty[0] ? strtod(x->min_qty, NULL) : 0;
	return QD_OK;
}

/*
 * The order calls of exchange instance `venue`: QD_OK with *in and *xo,
 * or QD_ERR_NOTFOUND when it is not running.  A sandboxed adapter's calls
 * are its proxy's: queued to the child, answered by updates.
 */
static int
venue_of(struct host *h, const char *venue, struct instance **in,
	const struct qd_exchange_ops **xo)
{
	*in = find_instance(h, venue);
	if (*in == NULL || (*in)->desc == NULL ||
	    (*in)->desc->kind != QD_KIND_EXCHANGE ||
	    (*in)->st != PLUGIN_STATE_RUNNING)
		return QD_ERR_NOTFOUND;
	*xo = (const void *)(*in)->ops;
	return QD_OK;
}

/* The adapter derives the client id from the order id (sdk.h,
 * qd_client_order_id), so it is not passed on. */
static int
on_venue_place(void *arg, const char *venue, uint64_t id,
	const char *client_id, const struct qd_order_req *r)
{
	const struct qd_exchange_ops *xo;
	struct instance *in;
	int rc = venue_of(arg, venue, &in, &xo);

	(void)client_id;
	if (rc == QD_OK)
		rc = xo->order_place ? xo->order_place(in->state, id, r) :
			QD_ERR_UNSUPPORTED;
	return rc;
}

static int
on_venue_cancel(void *arg, const char *venue, uint64_t id,
	const char *client_id)
{
	const struct qd_exchange_ops *xo;
	struct instance *in;
	int rc = venue_of(arg, venue, &in, &xo);

	(void)client_id;
	if (rc == QD_OK)
		rc = xo->order_cancel ? xo->order_cancel(in->state, id) :
			QD_ERR_UNSUPPORTED;
	return rc;
}

static int
on_venue_query(void *arg, const char *venue, uint64_t id,
	const char *client_id)
{
	const struct qd_exchange_ops *xo;
	struct instance *in;
	int rc = venue_of(arg, venue, &in, &xo);

	(void)client_id;
	if (rc == QD_OK)
		rc = xo->order_query ? xo->order_query(in->state, id) :
			QD_ERR_UNSUPPORTED;
	return rc;
}

/* The exchange ops of ABI 1.4 an adapter may lack (base.size). */
#define XO_HAS(xo, fn) ((xo)->base.size >= offsetof(struct qd_exchange_ops, \
	fn) + sizeof((xo)->fn) && (xo)->fn != NULL)

static int
on_venue_sync(void *arg, const char *venue)
{
	const struct qd_exchange_ops *xo;
	struct instance *in;
	int rc = venue_of(arg, venue, &in, &xo);

	if (rc == QD_OK)
		rc = XO_HAS(xo, account_sync) ? xo->account_sync(in->state) :
			QD_ERR_UNSUPPORTED;
	if (rc != QD_OK && rc != QD_ERR_UNSUPPORTED)
		log_warn(venue, "account sync: %s", qd_strerror(rc));
	return rc;
}

static int
on_venue_cancel_all(void *arg, const char *venue)
{
	const struct qd_exchange_ops *xo;
	struct instance *in;
	int rc = venue_of(arg, venue, &in, &xo);

	if (rc == QD_OK)
		rc = XO_HAS(xo, order_cancel_all) ?
			xo->order_cancel_all(in->state, 0) :
			QD_ERR_UNSUPPORTED;
	return rc;
}

static struct oms *
make_oms(struct host *h, struct journal *j, double kelly_cap)
{
	struct oms_hooks hk;
	struct oms_config oc;

	memset(&hk, 0, sizeof(hk));
	hk.arg = h;
	hk.on_update = on_oms_update;
	hk.on_risk = on_oms_risk;
	hk.instrument = on_oms_instrument;
	hk.venue_place = on_venue_place;
	hk.venue_cancel = on_venue_cancel;
	hk.venue_query = on_venue_query;
	hk.venue_sync = on_venue_sync;
	hk.venue_cancel_all = on_venue_cancel_all;
	memset(&oc, 0, sizeof(oc));
	oc.kelly_cap = kelly_cap;
	return oms_new(&oc, &hk, j);
}

/* Live trades: paper matching, marks, stops, the circuit breaker. */
static void
on_market_trade(void *arg, const struct bus_event *ev)
{
	struct host *h = arg;

	if (!ev->history && h->oms != NULL)
		oms_on_trade(h->oms, ev->source, &ev->u.trade);
}

/* Bars match paper orders of symbols without trades, on each symbol's
 * smallest timeframe. */
static void
on_market_bar(void *arg, const struct bus_event *ev)
{
	struct host *h = arg;
	qd_symbol s = ev->u.bar.symbol;

	if (ev->history)
		return;   /* an old bar marks nothing */
	if (s >= h->n_marks) {
		size_t n = s + 64;
		double *m = realloc(h->marks, n * sizeof(*m));
		uint32_t *t;

		if (m == NULL)
			return;
		h->marks = m;
		if ((t = realloc(h->base_tf, n * sizeof(*t))) == NULL)
			return;
		h->base_tf = t;
		memset(h->marks + h->n_marks, 0, (n - h->n_marks) * sizeof(*m));
		memset(h->base_tf + h->n_marks, 0,
			(n - h->n_marks) * sizeof(*t));
		h->n_marks = n;
	}
	if (h->base_tf[s] == 0 || ev->u.bar.timeframe_s < h->base_tf[s])
		h->base_tf[s] = ev->u.bar.timeframe_s;
	if (ev->u.bar.timeframe_s != h->base_tf[s])
		return;
	h->bar_ts = ev->u.bar.bar.ts;
	if (h->oms != NULL)
		oms_on_bar(h->oms, ev->source, s, &ev->u.bar.bar);
	h->marks[s] = ev->u.bar.bar.close;
}

/* Cancel every open order of the instance; logs how many. */
static void
cancel_open_orders(struct instance *in, const char *why)
{
	struct oms_scope sc = { NULL, in->cfg.instance };
	size_t n = in->host->oms ? oms_cancel_all(in->host->oms, &sc, why,
		loop_now_ns()) : 0;

	if (n > 0)
		log_warn(in->cfg.instance, "cancelled %zu open order(s): %s",
			n, why);
}

/* A strategy's account, opened before it is created: its own paper
 * account unless its file names another. */
static int
open_account(struct instance *in, char *why, size_t cap)
{
	struct host *h = in->host;
	struct config_account defaults = { NULL, NULL, NULL, 10000, 0.001,
		0.001, 0, 0, 1, 1 };
	const struct config_account *ca = in->cfg.account.parsed ?
		&in->cfg.account : &defaults;
	struct oms_account_cfg ac;
	char id[96];
	int rc;

	if (h->oms == NULL)
		return QD_OK;
	snprintf(id, sizeof(id), "paper:%s", in->cfg.instance);
	memset(&ac, 0, sizeof(ac));
	ac.id = ca->id ? ca->id : id;
	ac.owner = "";
	ac.instance = in->cfg.instance;
	ac.venue = ca->venue ? ca->venue : "paper";
	ac.feed = in->cfg.exchange;
	ac.quote = ca->quote;
	ac.balance = ca->balance;
	ac.margin = ca->margin;
	ac.maker_fee = ca->maker_fee;
	ac.taker_fee = ca->taker_fee;
	ac.slippage_bps = ca->slippage_bps;
	ac.latency_ns = (int64_t)ca->latency_ms * 1000000;
	if ((rc = oms_account_open(h->oms, &ac, loop_now_ns(), why, cap)) !=
	    QD_OK)
		return rc;
	return risk_set_limits(oms_risk(h->oms), RISK_SCOPE_INSTANCE,
		in->cfg.instance, in->cfg.has_risk ? &in->cfg.risk :
		&h->risk_instance);
}

static int
w_order_submit(struct world *w, const struct qd_order_req *r, uint64_t *id)
{
	struct instance *in = INST(w);
	char why[256];
	int rc;

	rc = oms_submit(in->host->oms, in->cfg.instance, r, loop_now_ns(), id,
		why, sizeof(why));
	if (rc != QD_OK)
		log_warn(in->cfg.instance, "order refused: %s", why);
	return rc;
}

static int
w_order_cancel(struct world *w, uint64_t id)
{
	struct instance *in = INST(w);

	return oms_cancel(in->host->oms, in->cfg.instance, id, NULL,
		loop_now_ns());
}

static size_t
w_open_orders(struct world *w, uint64_t *ids, size_t cap)
{
	struct instance *in = INST(w);

	return oms_open_orders(in->host->oms, in->cfg.instance, ids, cap);
}

static int
w_order_get(struct world *w, uint64_t id, struct qd_order_update *out)
{
	struct instance *in = INST(w);

	return oms_order_get(in->host->oms, in->cfg.instance, id, out);
}

static int
w_position_get(struct world *w, qd_symbol sym, struct qd_position *out)
{
	struct instance *in = INST(w);

	return oms_position(in->host->oms, in->cfg.instance, sym, out);
}

static int
w_account_get(struct world *w, struct qd_account *out)
{
	struct instance *in = INST(w);

	return oms_account_info(in->host->oms, in->cfg.instance, out);
}

static int
w_size_order(struct world *w, qd_symbol sym, int method, double value,
	double price, double stop_distance, double *qty)
{
	struct instance *in = INST(w);

	return oms_size_order(in->host->oms, in->cfg.instance, sym, method,
		value, price, stop_distance, qty);
}

/* Placed after the bar being processed: it fills from the next. */
static int64_t
w_order_time(struct world *w)
{
	return INST(w)->host->bar_ts + 1;
}

static const double *
w_marks(struct world *w, size_t *n)
{
	struct host *h = INST(w)->host;

	*n = h->n_marks;
	return h->marks;
}

/* Annotations are logged at debug level, kept in the instance's log
 * (the newest ANN_KEEP, ANN_KEEP_BYTES of text at most) and told to the
 * watcher (the API's channel).  Their time is the bar being handled. */
static int
w_annotation(struct world *w, const char *kind, const char *json)
{
	struct instance *in = INST(w);
	struct host *h = in->host;
	struct host_annotation a;
	int rc;

	log_debug(in->cfg.instance, "annotation %s %s", kind, json);
	a.seq = h->ann_seq + 1;
	a.ts_ms = (h->bar_ts > 0 ? h->bar_ts : loop_now_ns()) / 1000000;
	a.instance = in->cfg.instance;
	a.kind = kind;
	a.json = json;
	if ((rc = ann_log_add(&in->ann, a.seq, a.ts_ms, kind, json)) != QD_OK)
		return rc;
	h->ann_seq = a.seq;
	if (h->ann_fn != NULL)
		h->ann_fn(h->ann_arg, &a);
	return QD_OK;
}

void
host_watch_annotations(struct host *h,
	void (*fn)(void *arg, const struct host_annotation *a), void *arg)
{
	h->ann_fn = fn;
	h->ann_arg = arg;
}

struct ann_walk {
	const char *instance;
	void (*fn)(void *arg, const struct host_annotation *a);
	void *arg;
};

static void
ann_walk_one(void *arg, const struct ann_entry *e)
{
	struct ann_walk *wk = arg;
	struct host_annotation a = { e->seq, e->ts_ms, wk->instance, e->kind,
		e->json };

	wk->fn(wk->arg, &a);
}

int
host_annotations(const struct host *h, const char *instance, uint64_t after,
	size_t limit, void (*fn)(void *arg, const struct host_annotation *a),
	void *arg, int *more)
{
	const struct instance *in = find_instance(h, instance);
	struct ann_walk wk = { instance, fn, arg };

	*more = 0;
	if (in == NULL)
		return QD_ERR_NOTFOUND;
	ann_log_since(&in->ann, after, limit, ann_walk_one, &wk, more);
	return QD_OK;
}

static const struct json_value *
w_secrets(struct world *w)
{
	return json_get(INST(w)->cfg.doc, "secrets");
}

/* ---- sealed secrets ------------------------------------------------------- */

/* Forget the instance's sealed credentials. */
static void
sealed_release(struct instance *in)
{
	size_t i;

	for (i = 0; i < in->n_sealed; i++) {
		free(in->sealed[i].secret);
		vault_box_free(&in->sealed[i].box);
	}
	free(in->sealed);
	in->sealed = NULL;
	in->n_sealed = 0;
}

/* The start of a reason about the secret `key` = "vault:NAME": it names
 * both, in a form the log's redaction leaves alone (no value follows the
 * key after ':' or '='). */
static void
sealed_head(const char *key, const char *name, char *buf, size_t cap)
{
	snprintf(buf, cap, "secret \"%.48s\" (vault:%.64s): ", key, name);
}

/* Why the credential sealed in b does not open (rc from
 * vault_credential_open()), into why after `head`. */
static void
sealed_why(int rc, const char *head, const struct vault_box *b, char *why,
	size_t cap)
{
	if (rc == QD_ERR_NOTFOUND)
		snprintf(why, cap, "%ssealed under master key \"%s\", which "
			"is not loaded (api.master_keys)", head, b->key_id);
	else if (rc == QD_ERR_DENIED)
		snprintf(why, cap, "%sdoes not open under master key \"%s\" "
			"(not the key it was sealed with, or the stored value "
			"was altered)", head, b->key_id);
	else if (rc == QD_ERR_LIMIT)
		snprintf(why, cap, "%slonger than %d bytes", head,
			VAULT_VALUE_MAX);
	else
		snprintf(why, cap, "%smalformed in the store (%s)", head,
			qd_strerror(rc));
}

/*
 * Read every "vault:NAME" secret of the instance from the store, sealed,
 * and open each once under the daemon's master keys (the plaintext wiped
 * at once): a missing credential or master key, a wrong key under the
 * same id or an altered ciphertext fails the start here with its reason
 * rather than at the first signed request.  0, or -1 with `why` naming the
 * secret's key and the credential, never a value.  A synchronous read of
 * the store on the core thread, once per start, as history_open() does.
 */
static int
sealed_read(struct instance *in, char *why, size_t cap)
{
	const struct json_value *sec = json_get(in->cfg.doc, "secrets"), *m;
	struct host *h = in->host;
	struct store *st = NULL;
	struct sealed_ref *r;
	char head[160], err[300], *plain = NULL;
	const char *name;
	size_t n;
	int rc = 0;

	sealed_release(in);
	for (m = sec != NULL ? sec->child : NULL; m != NULL && rc == 0;
	     m = m->next) {
		if (m->type != JSON_STRING || strncmp(m->str, "vault:", 6) != 0)
			continue;
		name = m->str + 6;
		sealed_head(m->key, name, head, sizeof(head));
		rc = -1;
		if (h->vault == NULL || vault_current(h->vault) == NULL) {
			snprintf(why, cap, "%sno master key is loaded (set "
				"api.master_keys)", head);
			break;
		}
		if (h->store_url == NULL) {
			snprintf(why, cap, "%scredentials are kept in the "
				"store, and storage is off", head);
			break;
		}
		if (st == NULL && store_open(h->store_url, STORE_ROLE_READER,
		    &st, err, sizeof(err)) != QD_OK) {
			snprintf(why, cap, "%sthe store: %.60s", head, err);
			break;
		}
		if (plain == NULL && (plain = malloc(VAULT_VALUE_MAX + 1)) ==
		    NULL) {
			snprintf(why, cap, "%sout of memory", head);
			break;
		}
		r = realloc(in->sealed, (in->n_sealed + 1) * sizeof(*r));
		if (r == NULL) {
			snprintf(why, cap, "%sout of memory", head);
			break;
		}
		in->sealed = r;
		r = &in->sealed[in->n_sealed];
		memset(r, 0, sizeof(*r));
		if ((r->secret = strdup(m->key)) == NULL) {
			snprintf(why, cap, "%sout of memory", head);
			break;
		}
		in->n_sealed++;
		if ((rc = vault_credential_fetch(st, name, &r->box)) != QD_OK) {
			if (rc == QD_ERR_NOTFOUND)
				snprintf(why, cap, "%sno such credential in "
					"the store (quantctl secrets set %s)",
					head, name);
			else
				snprintf(why, cap, "%sreading the store: "
					"%.60s", head, store_error(st));
			rc = -1;
			break;
		}
		rc = vault_credential_open(h->vault, name, &r->box, plain,
			VAULT_VALUE_MAX + 1, &n);
		explicit_bzero(plain, VAULT_VALUE_MAX + 1);
		if (rc != QD_OK) {
			sealed_why(rc, head, &r->box, why, cap);
			rc = -1;
		}
	}
	free(plain);
	store_close(st);
	if (rc != 0)
		sealed_release(in);
	return rc;
}

/* A "vault:" secret opened for one use; the runtime wipes buf after it. */
static int
w_secret_open(struct world *w, const char *name, char *buf, size_t cap,
	size_t *len)
{
	struct instance *in = INST(w);
	const struct json_value *sec = json_get(in->cfg.doc, "secrets");
	const struct json_value *ref = sec ? json_get(sec, name) : NULL;
	char head[160], why[400];
	size_t i;
	int rc;

	for (i = 0; i < in->n_sealed; i++)
		if (strcmp(in->sealed[i].secret, name) == 0)
			break;
	if (i == in->n_sealed || in->host->vault == NULL || ref == NULL ||
	    ref->type != JSON_STRING || strncmp(ref->str, "vault:", 6) != 0)
		return QD_ERR_NOTFOUND;
	rc = vault_credential_open(in->host->vault, ref->str + 6,
		&in->sealed[i].box, buf, cap, len);
	if (rc != QD_OK && rc != QD_ERR_LIMIT) {
		sealed_head(name, ref->str + 6, head, sizeof(head));
		sealed_why(rc, head, &in->sealed[i].box, why, sizeof(why));
		log_warn(in->cfg.instance, "%s", why);
	}
	return rc;
}

/* The candle series of (exchange instance, symbol), cached by symbol id. */
static struct candle_series *
series_of(struct instance *in, qd_symbol sym)
{
	if (sym >= in->n_series) {
		size_t n = (size_t)sym + 64;
		struct candle_series **p = realloc(in->series, n * sizeof(*p));

		if (p == NULL)
			return NULL;
		memset(p + in->n_series, 0, (n - in->n_series) * sizeof(*p));
		in->series = p;
		in->n_series = n;
	}
	if (in->series[sym] == NULL)
		in->series[sym] = candles_series(in->host->candles,
			in->cfg.instance, sym);
	return in->series[sym];
}

static void
w_emit_trade(struct world *w, const struct qd_trade_event *e)
{
	struct instance *in = INST(w);
	struct candle_series *cs;
	struct bus_event ev;

	in->emitted[0]++;
	in->emitted_at = loop_now_ns();
	memset(&ev, 0, sizeof(ev));
	ev.topic = BUS_TRADE;
	ev.source = in->cfg.instance;
	ev.key = e->symbol;
	ev.u.trade = *e;
	bus_publish(in->host->bus, &ev);
	if ((cs = series_of(in, e->symbol)) != NULL &&
	    candles_trade(cs, e->ts, e->price, e->qty) == QD_ERR_STATE) {
		struct candles_stats st;

		/* Logged at powers of two: a stream of them stays readable. */
		candles_stats(in->host->candles, &st);
		if ((st.late & (st.late - 1)) == 0)
			log_warn(in->cfg.instance, "trade of %s at %lld ns is "
				"older than the open 1m bar: not aggregated "
				"(%llu late trades so far)", symbol_name(
				e->symbol), (long long)e->ts,
				(unsigned long long)st.late);
	}
}

/* A closed candle from the aggregator (or a venue kline it took). */
static void
on_candle(void *arg, const char *source, qd_symbol sym, uint32_t tf,
	const struct candle *c, int final)
{
	struct host *h = arg;
	struct bus_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.topic = final ? BUS_BAR : BUS_BAR_PARTIAL;
	ev.history = final == 2;
	ev.source = source;
	ev.key = bus_key_bar(sym, tf);
	ev.u.bar.size = sizeof(ev.u.bar);
	ev.u.bar.symbol = sym;
	ev.u.bar.timeframe_s = tf;
	ev.u.bar.bar.ts = c->ts;
	ev.u.bar.bar.open = c->open;
	ev.u.bar.bar.high = c->high;
	ev.u.bar.bar.low = c->low;
	ev.u.bar.bar.close = c->close;
	ev.u.bar.bar.volume = c->volume;
	bus_publish(h->bus, &ev);
}

static void
candle_clock(void *arg)
{
	struct host *h = arg;

	/* Two seconds of grace for trades still on their way. */
	candles_advance(h->candles, loop_now_ns() - 2000000000LL);
}

/* The open candles that changed, four times a second at most. */
static void
partial_clock(void *arg)
{
	struct host *h = arg;

	candles_partials(h->candles);
}

/*
 * A bar from an exchange: a closed 1m bar is the venue's kline (the
 * authority for its 1m candles, compared with what its trades built);
 * other timeframes go out as they are.
 */
static void
w_emit_bar(struct world *w, const struct qd_bar_event *e)
{
	struct instance *in = INST(w);
	struct candle_series *cs;
	struct bus_event ev;

	in->emitted[1]++;
	in->emitted_at = loop_now_ns();
	if (e->timeframe_s == 60 && (cs = series_of(in, e->symbol)) != NULL) {
		struct candle c;

		c.ts = e->bar.ts;
		c.open = e->bar.open;
		c.high = e->bar.high;
		c.low = e->bar.low;
		c.close = e->bar.close;
		c.volume = e->bar.volume;
		c.quote_volume = NAN;
		c.trades = -1;
		if (candles_kline(cs, &c) == QD_OK)
			return;
		log_warn(in->cfg.instance, "1m bar of %s at %lld ns is not on "
			"a minute: dropped", symbol_name(e->symbol),
			(long long)e->bar.ts);
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.topic = BUS_BAR;
	ev.source = in->cfg.instance;
	ev.key = bus_key_bar(e->symbol, e->timeframe_s);
	ev.u.bar = *e;
	bus_publish(in->host->bus, &ev);
}

static void
w_emit_book_top(struct world *w, const struct qd_book_top_event *e)
{
	struct bus_event ev;

	INST(w)->emitted[2]++;
	INST(w)->emitted_at = loop_now_ns();
	memset(&ev, 0, sizeof(ev));
	ev.topic = BUS_BOOK_TOP;
	ev.source = INST(w)->cfg.instance;
	ev.key = e->symbol;
	ev.u.book = *e;
	bus_publish(INST(w)->host->bus, &ev);
}

static void
w_emit_order_update(struct world *w, const struct qd_order_update *u)
{
	struct bus_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.topic = BUS_ORDER_UPDATE;
	ev.key = u->order_id;
	ev.u.order = *u;
	bus_publish(INST(w)->host->bus, &ev);
	/* The venue's word on one of our orders: the OMS applies it (once). */
	if (INST(w)->host->oms != NULL)
		oms_on_venue_update(INST(w)->host->oms, INST(w)->cfg.instance,
			u, loop_now_ns());
}

static void
w_emit_balance(struct world *w, const struct qd_balance *b)
{
	if (INST(w)->host->oms != NULL)
		oms_on_venue_balance(INST(w)->host->oms,
			INST(w)->cfg.instance, b, loop_now_ns());
}

/* ---- network ----------------------------------------------------------- */

/*
 * The client flags of a connection the instance opens now: public
 * addresses only inside send() of a user's notification, and outside any
 * send() for a notifier carrying users' channels (a request it defers
 * cannot be told from one for a user), unless the operator allows
 * internal destinations (host_set_user_urls).
 */
static unsigned
net_flags(const struct instance *in)
{
	if (in->host->user_urls_private || in->desc == NULL ||
	    in->desc->kind != QD_KIND_NOTIFIER)
		return 0;
	if (in->in_send)
		return in->send_user ? NETC_PUBLIC_ONLY : 0;
	return in->cfg.route.user_channels ? NETC_PUBLIC_ONLY : 0;
}

/* A public-only request for a user's notification (see struct
 * guarded); the oldest is forgotten when the table is full. */
static void
guard(struct instance *in, uint64_t http)
{
	struct guarded *g;

	if (in->n_guarded == MAX_GUARDED)
		memmove(&in->guarded[0], &in->guarded[1],
			--in->n_guarded * sizeof(in->guarded[0]));
	g = &in->guarded[in->n_guarded++];
	g->http = http;
	g->req = in->send_req;
	g->why[0] = '\0';
}

static struct guarded *
guarded_http(struct instance *in, uint64_t http)
{
	size_t i;

	for (i = 0; i < in->n_guarded; i++)
		if (in->guarded[i].http == http)
			return &in->guarded[i];
	return NULL;
}

static void
unguard(struct instance *in, struct guarded *g)
{
	*g = in->guarded[--in->n_guarded];
}

/* Forget the guarded requests of notification req; the reason one was
 * refused goes to why (sizeof guarded.why; "" if none) unless NULL. */
static void
unguard_req(struct instance *in, uint64_t req, char *why)
{
	size_t i;

	if (why != NULL)
		why[0] = '\0';
	for (i = 0; i < in->n_guarded; )
		if (in->guarded[i].req == req) {
			if (why != NULL && in->guarded[i].why[0] != '\0')
				memcpy(why, in->guarded[i].why,
					sizeof(in->guarded[i].why));
			unguard(in, &in->guarded[i]);
		} else {
			i++;
		}
}

/* The answer to a guarded request: a refusal is kept for notify_done;
 * any other answer ends the guard. */
static void
guard_answer(struct instance *in, const struct netc_event *ev)
{
	struct guarded *g = guarded_http(in, ev->id);

	if (g == NULL)
		return;
	if (!ev->refused) {
		unguard(in, g);
		return;
	}
	snprintf(g->why, sizeof(g->why), "destination %s (users' URLs go to "
		"public addresses only: notify.user_urls.allow_private)",
		ev->reason);
}

/* A connection's event, to the instance's callback of its kind. */
static void
on_net_event(void *owner, const struct netc_event *ev)
{
	struct instance *in = owner;
	const char *data = ev->data ? ev->data : "";

	if (in->st != PLUGIN_STATE_RUNNING || in->desc == NULL)
		return;
	in->http_ev = ev->type == NETC_HTTP_RESPONSE ? ev : NULL;
	if (ev->refused)
		log_warn(in->cfg.instance, "plugin %s: connection %s",
			in->desc->name, ev->reason);
	if (ev->type == NETC_HTTP_RESPONSE)
		guard_answer(in, ev);
	switch (in->desc->kind) {
	case QD_KIND_EXCHANGE: {
		const struct qd_exchange_ops *o = (const void *)in->ops;

		if (ev->type == NETC_WS_OPEN && o->on_ws_open)
			o->on_ws_open(in->state, ev->id);
		else if (ev->type == NETC_WS_MESSAGE && o->on_ws_message)
			o->on_ws_message(in->state, ev->id, data, ev->len);
		else if (ev->type == NETC_WS_CLOSE && o->on_ws_close)
			o->on_ws_close(in->state, ev->id, ev->code, ev->reason);
		else if (ev->type == NETC_HTTP_RESPONSE && o->on_http_response)
			o->on_http_response(in->state, ev->id, ev->code, data,
				ev->len);
		break;
	}
	case QD_KIND_NOTIFIER: {
		const struct qd_notifier_ops *o = (const void *)in->ops;

		if (ev->type == NETC_HTTP_RESPONSE && o->on_http_response)
			o->on_http_response(in->state, ev->id, ev->code, data,
				ev->len);
		break;
	}
	case QD_KIND_PAYMENT: {
		const struct qd_payment_ops *o = (const void *)in->ops;

		if (ev->type == NETC_HTTP_RESPONSE && o->on_http_response)
			o->on_http_response(in->state, ev->id, ev->code, data,
				ev->len);
		break;
	}
	default:
		break;
	}
	in->http_ev = NULL;
}

static const char *
w_http_header(struct world *w, const char *name, int *state)
{
	const struct netc_event *ev = INST(w)->http_ev;

	*state = ev != NULL;
	return ev != NULL ? netc_header(ev, name) : NULL;
}

static int
w_ws_open(struct world *w, const char *url, const struct qd_kv *h,
	uint32_t n, uint64_t *conn)
{
	struct instance *in = INST(w);

	if (in->host->netc == NULL)
		return QD_ERR_UNSUPPORTED;
	return netc_ws_open_flags(in->host->netc, net_flags(in), url, h, n,
		on_net_event, in, conn);
}

static int
w_ws_send(struct world *w, uint64_t conn, const char *data, size_t len)
{
	struct net_client *c = INST(w)->host->netc;

	return c == NULL ? QD_ERR_NOTFOUND : netc_ws_send(c, conn, data, len);
}

static int
w_ws_close(struct world *w, uint64_t conn)
{
	struct net_client *c = INST(w)->host->netc;

	return c == NULL ? QD_ERR_NOTFOUND : netc_ws_close(c, conn);
}

static int
w_http_request(struct world *w, const struct qd_http_request *r, uint64_t *id)
{
	struct instance *in = INST(w);
	int64_t t = r->timeout_ns > 0 ? (r->timeout_ns + 999999999) /
	    1000000000 : 0;
	unsigned flags = net_flags(in);
	int rc;

	if (in->host->netc == NULL)
		return QD_ERR_UNSUPPORTED;
	rc = netc_http_flags(in->host->netc, flags, r->method, r->url,
		r->headers, r->n_headers, r->body, r->body_len, t > 3600 ? 3600 :
		(int)t, on_net_event, in, id);
	if (rc == QD_OK && (flags & NETC_PUBLIC_ONLY) && in->in_send)
		guard(in, *id);
	return rc;
}

/* ---- recorded market data ------------------------------------------------ */

static void
history_free(struct history *c)
{
	if (c->st != NULL)
		store_close(c->st);
	import_data_free(&c->file);
	memset(c, 0, sizeof(*c));
}

static void
history_release(struct instance *in)
{
	size_t i;

	for (i = 0; i < MAX_HISTORY; i++)
		if (in->hist[i].id != 0)
			history_free(&in->hist[i]);
}

static struct history *
history_of(struct instance *in, uint64_t id)
{
	size_t i;

	for (i = 0; id != 0 && i < MAX_HISTORY; i++)
		if (in->hist[i].id == id)
			return &in->hist[i];
	return NULL;
}

/* A file source must be a path one of the instance's parameters names:
 * a plugin reads no file its configuration did not give it. */
static int
named_by_params(const struct instance *in, const char *path)
{
	struct qd_kv kv[256];
	size_t i, n = in->params ? params_to_kv(in->params, kv, 256) : 0;

	for (i = 0; i < n; i++)
		if (strcmp(kv[i].value, path) == 0 ||
		    (strncmp(kv[i].value, "file:", 5) == 0 &&
		    strcmp(kv[i].value + 5, path) == 0))
			return 1;
	return 0;
}

static int
w_history_open(struct world *w, const char *source, uint32_t *tf_s,
	uint64_t *cursor)
{
	struct instance *in = INST(w);
	struct history *c = NULL;
	char buf[256], err[600], *f[5] = { NULL }, *save = NULL, *t;
	size_t i;
	int n = 0;

	for (i = 0; i < MAX_HISTORY && c == NULL; i++)
		if (in->hist[i].id == 0)
			c = &in->hist[i];
	if (c == NULL)
		return QD_ERR_LIMIT;
	memset(c, 0, sizeof(*c));
	if (strncmp(source, "file:", 5) == 0) {
		if (!named_by_params(in, source + 5)) {
			log_warn(in->cfg.instance, "history file %s refused: "
				"not a file the instance's configuration names",
				source + 5);
			return QD_ERR_DENIED;
		}
		if (import_read_file(source + 5, 0, &c->file, err,
		    sizeof(err)) != 0) {
			log_warn(in->cfg.instance, "history: %s", err);
			memset(c, 0, sizeof(*c));
			return errno == ENOENT ? QD_ERR_NOTFOUND :
				QD_ERR_INVALID;
		}
		c->is_file = 1;
		c->tf_ms = c->file.trades != NULL ? 0 : c->file.timeframe_ms;
	} else {
		if (in->host->store_url == NULL)
			return QD_ERR_UNSUPPORTED;
		snprintf(buf, sizeof(buf), "%s", source + 6);
		for (t = strtok_r(buf, ":", &save); t != NULL && n < 5;
		     t = strtok_r(NULL, ":", &save))
			f[n++] = t;
		if (n != 3 && n != 5)
			return QD_ERR_INVALID;   /* runtime_history_source_ok */
		snprintf(c->exchange, sizeof(c->exchange), "%s", f[0]);
		snprintf(c->symbol, sizeof(c->symbol), "%s", f[1]);
		snprintf(c->timeframe, sizeof(c->timeframe), "%s", f[2]);
		c->tf_ms = strcmp(f[2], "trades") == 0 ? 0 :
			store_timeframe_ms(f[2]);
		c->next = n == 5 ? strtoll(f[3], NULL, 10) : 0;
		c->to = n == 5 ? strtoll(f[4], NULL, 10) : INT64_MAX;
		if (store_open(in->host->store_url, STORE_ROLE_READER, &c->st,
		    err, sizeof(err)) != QD_OK) {
			log_warn(in->cfg.instance, "history: %s", err);
			memset(c, 0, sizeof(*c));
			return QD_ERR_UNSUPPORTED;
		}
	}
	c->id = ++in->host->next_id;
	*cursor = c->id;
	*tf_s = (uint32_t)(c->tf_ms / 1000);
	return QD_OK;
}

struct hist_fill {
	struct qd_history_row *rows;
	size_t cap, n;
	int64_t last;
};

static void
row_bar(struct qd_history_row *r, const struct store_candle *c, int64_t tf)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->timeframe_s = (uint32_t)(tf / 1000);
	r->ts = c->open_time * 1000000;
	r->bar.ts = r->ts;
	r->bar.open = c->open;
	r->bar.high = c->high;
	r->bar.low = c->low;
	r->bar.close = c->close;
	r->bar.volume = c->volume;
}

static void
row_trade(struct qd_history_row *r, const struct store_trade *t)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->ts = t->time * 1000000;
	r->price = t->price;
	r->qty = t->qty;
	r->side = t->side == 1 ? QD_SIDE_BUY : t->side == 2 ? QD_SIDE_SELL :
		(enum qd_side)0;
	r->trade_id = t->trade_id;
}

static int
fill_candles(void *arg, const struct store_candle *c, size_t n)
{
	struct hist_fill *f = arg;
	size_t i;

	for (i = 0; i < n && f->n < f->cap; i++) {
		row_bar(&f->rows[f->n++], &c[i], 0);
		f->last = c[i].open_time;
	}
	return f->n == f->cap;
}

static int
fill_trades(void *arg, const struct store_trade *t, size_t n)
{
	struct hist_fill *f = arg;
	size_t i;

	for (i = 0; i < n && f->n < f->cap; i++) {
		row_trade(&f->rows[f->n++], &t[i]);
		f->last = t[i].time;
	}
	return f->n == f->cap;
}

static int
w_history_next(struct world *w, uint64_t cursor, struct qd_history_row *rows,
	size_t cap, size_t *n)
{
	struct history *c = history_of(INST(w), cursor);
	struct store_series k;
	struct hist_fill f = { rows, cap, 0, -1 };
	size_t i;
	int rc;

	if (c == NULL)
		return QD_ERR_NOTFOUND;
	if (c->is_file) {
		for (i = 0; i < cap && c->pos < c->file.n; i++, c->pos++) {
			if (c->file.trades != NULL)
				row_trade(&rows[i], &c->file.trades[c->pos]);
			else
				row_bar(&rows[i], &c->file.candles[c->pos],
					c->tf_ms);
		}
		*n = i;
		return QD_OK;
	}
	if (c->next >= c->to || cap == 0)
		return QD_OK;
	k.exchange = c->exchange;
	k.symbol = c->symbol;
	k.timeframe = c->timeframe;
	if (c->tf_ms > 0) {
		rc = store_candles(c->st, &k, c->next, c->to, cap, 0,
			fill_candles, &f);
		for (i = 0; i < f.n; i++) {
			rows[i].timeframe_s = (uint32_t)(c->tf_ms / 1000);
			rows[i].size = sizeof(rows[i]);
		}
		c->next = f.n > 0 ? f.last + 1 : c->to;
	} else {
		rc = store_trades(c->st, &k, c->next, c->to, cap, fill_trades,
			&f);
		/* A full page may cut a millisecond's trades in two: the
		 * next page starts at that millisecond again, without it. */
		if (f.n == cap && f.n > 1 && rows[0].ts != rows[f.n - 1].ts) {
			while (f.n > 0 && rows[f.n - 1].ts / 1000000 == f.last)
				f.n--;
			c->next = f.last;
		} else {
			c->next = f.n > 0 ? f.last + 1 : c->to;
		}
	}
	if (rc != QD_OK) {
		log_warn(INST(w)->cfg.instance, "history: %s",
			store_error(c->st));
		return QD_ERR_IO;
	}
	*n = f.n;
	return QD_OK;
}

static void
w_history_close(struct world *w, uint64_t cursor)
{
	struct history *c = history_of(INST(w), cursor);

	if (c != NULL)
		history_free(c);
}

/* ---- instruments ----------------------------------------------------------- */

static void
w_emit_instrument(struct world *w, const struct qd_instrument *x)
{
	struct instance *in = INST(w);
	struct host *h = in->host;
	struct host_instrument *e = NULL;
	size_t k;

	for (k = 0; k < h->n_instr && e == NULL; k++)
		if (h->instr[k].symbol == x->symbol &&
		    strcmp(h->instr[k].exchange, in->cfg.instance) == 0)
			e = &h->instr[k];
	if (e == NULL) {
		if (h->n_instr == h->cap_instr) {
			size_t cap = h->cap_instr ? h->cap_instr * 2 : 64;
			struct host_instrument *n = realloc(h->instr,
				cap * sizeof(*n));

			if (n == NULL)
				return;
			h->instr = n;
			h->cap_instr = cap;
		}
		e = &h->instr[h->n_instr++];
		memset(e, 0, sizeof(*e));
		snprintf(e->exchange, sizeof(e->exchange), "%s",
			in->cfg.instance);
		e->symbol = x->symbol;
	}
	snprintf(e->native, sizeof(e->native), "%s", x->native);
	snprintf(e->tick, sizeof(e->tick), "%s", x->tick ? x->tick : "");
	snprintf(e->lot, sizeof(e->lot), "%s", x->lot ? x->lot : "");
	snprintf(e->min_qty, sizeof(e->min_qty), "%s",
		x->min_qty ? x->min_qty : "");
	snprintf(e->min_notional, sizeof(e->min_notional), "%s",
		x->min_notional ? x->min_notional : "");
	snprintf(e->status, sizeof(e->status), "%s",
		x->status ? x->status : "");
	e->trading = x->trading != 0;
	e->updated = loop_now_ns();
}

size_t
host_instrument_count(const struct host *h)
{
	return h->n_instr;
}

const struct host_instrument *
host_instrument_at(const struct host *h, size_t i)
{
	return i < h->n_instr ? &h->instr[i] : NULL;
}

const struct host_instrument *
host_instrument(const struct host *h, const char *exchange, qd_symbol sym)
{
	size_t k;

	for (k = 0; k < h->n_instr; k++)
		if (h->instr[k].symbol == sym &&
		    strcmp(h->instr[k].exchange, exchange) == 0)
			return &h->instr[k];
	return NULL;
}

/* ---- notifiers ------------------------------------------------------------ */

static void
w_notify_done(struct world *w, uint64_t req, int status, const char *detail)
{
	struct instance *in = INST(w);
	char why[sizeof(in->guarded[0].why)];

	/* A destination the host refused: its reason, whatever the plugin
	 * made of the failed request. */
	unguard_req(in, req, why);
	if (status != QD_OK && why[0] != '\0')
		detail = why;
	if (in->host->notify_done != NULL)
		in->host->notify_done(in->host->notify_arg, in->cfg.instance,
			req, status, detail);
	else
		log_msg(status == QD_OK ? QD_LOG_DEBUG : QD_LOG_WARN,
			in->cfg.instance, "notification %llu: %s%s%s",
			(unsigned long long)req, qd_strerror(status),
			detail ? ": " : "", detail ? detail : "");
}

/* The mail thread's outcome for an instance still running. */
static void
on_mail_done(void *owner, uint64_t id, int status, const char *detail)
{
	struct instance *in = owner;
	const struct qd_notifier_ops *o = (const void *)in->ops;

	if (in->st != PLUGIN_STATE_RUNNING || in->desc == NULL ||
	    in->desc->kind != QD_KIND_NOTIFIER || o->base.size <
	    offsetof(struct qd_notifier_ops, on_mail_done) +
	    sizeof(o->on_mail_done) || o->on_mail_done == NULL)
		return;
	o->on_mail_done(in->state, id, status, detail);
}

static int
w_mail_send(struct world *w, const struct qd_mail *m, const char *password,
	uint64_t *id)
{
	struct instance *in = INST(w);

	if (in->host->mailer == NULL)
		return QD_ERR_UNSUPPORTED;
	return mailer_send(in->host->mailer, m, password, on_mail_done, in,
		id);
}

void
host_set_mail(struct host *h, struct mailer *m)
{
	h->mailer = m;
}

void
host_set_notify(struct host *h, void (*done)(void *arg, const char *channel,
	uint64_t req, int status, const char *detail), void *arg)
{
	h->notify_done = done;
	h->notify_arg = arg;
}

void
host_set_user_urls(struct host *h, int allow_private)
{
	h->user_urls_private = allow_private;
}

void
host_notifiers(struct host *h, void (*fn)(void *arg, const char *channel,
	const struct config_route *route), void *arg)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		struct instance *in = h->inst[i];

		if (in->desc != NULL && in->desc->kind == QD_KIND_NOTIFIER &&
		    in->st == PLUGIN_STATE_RUNNING)
			fn(arg, in->cfg.instance, &in->cfg.route);
	}
}

const char *
host_notifier_of(struct host *h, const char *plugin)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		struct instance *in = h->inst[i];

		if (in->desc != NULL && in->desc->kind == QD_KIND_NOTIFIER &&
		    in->st == PLUGIN_STATE_RUNNING &&
		    in->cfg.route.user_channels &&
		    strcmp(in->desc->name, plugin) == 0)
			return in->cfg.instance;
	}
	return NULL;
}

int
host_notify_send(struct host *h, const char *channel, uint64_t req,
	const struct qd_notification *n, int (*secret)(void *arg,
	const char *name, char *buf, size_t cap, size_t *len),
	void *secret_arg)
{
	struct instance *in = find_instance(h, channel);
	const struct qd_notifier_ops *o;
	int rc;

	if (in == NULL || in->desc == NULL ||
	    in->desc->kind != QD_KIND_NOTIFIER ||
	    in->st != PLUGIN_STATE_RUNNING)
		return QD_ERR_NOTFOUND;
	o = (const void *)in->ops;
	if (o->send == NULL)
		return QD_ERR_UNSUPPORTED;
	/* A module older than 1.6 would send a user's notification to its
	 * own destination: refused, the outbox records why. */
	if (n->target != NULL && plugin_abi_minor(in->plugin) < 6)
		return QD_ERR_UNSUPPORTED;
	in->target_secret = secret;
	in->target_arg = secret_arg;
	in->in_send = 1;
	in->send_user = n->target != NULL;
	in->send_req = req;
	/* a new attempt: what an earlier one of req left is stale */
	unguard_req(in, req, NULL);
	rc = o->send(in->state, req, n);
	in->in_send = in->send_user = 0;
	in->target_secret = NULL;
	in->target_arg = NULL;
	return rc;
}

/* A "target.NAME" secret, only while send() runs (host_notify_send). */
static int
w_target_secret(struct world *w, const char *name, char *buf, size_t cap,
	size_t *len)
{
	struct instance *in = INST(w);

	if (in->target_secret == NULL)
		return QD_ERR_NOTFOUND;
	return in->target_secret(in->target_arg, name, buf, cap, len);
}

static const struct world_ops daemon_world = {
	.now = w_now,
	.timer_arm = w_timer_arm,
	.timer_disarm = w_timer_disarm,
	.subscribe = w_subscribe,
	.subscriptions = w_subscriptions,
	.order_submit = w_order_submit,
	.order_cancel = w_order_cancel,
	.open_orders = w_open_orders,
	.order_get = w_order_get,
	.position_get = w_position_get,
	.account_get = w_account_get,
	.size_order = w_size_order,
	.order_time = w_order_time,
	.marks = w_marks,
	.state_save = w_state_save,
	.state_load = w_state_load,
	.annotation = w_annotation,
	.secrets = w_secrets,
	.secret_open = w_secret_open,
	.target_secret = w_target_secret,
	.emit_trade = w_emit_trade,
	.emit_bar = w_emit_bar,
	.emit_book_top = w_emit_book_top,
	.emit_instrument = w_emit_instrument,
	.emit_order_update = w_emit_order_update,
	.emit_balance = w_emit_balance,
	.ws_open = w_ws_open,
	.ws_send = w_ws_send,
	.ws_close = w_ws_close,
	.http_request = w_http_request,
	.notify_done = w_notify_done,
	.mail_send = w_mail_send,
	.http_header = w_http_header,
	.history_open = w_history_open,
	.history_next = w_history_next,
	.history_close = w_history_close,
};

/* ---- sandboxed instances ------------------------------------------------- */

/* One instance fewer is starting: tell whoever waits when none is. */
static void
start_settled(struct instance *in)
{
	struct host *h = in->host;
	void (*fn)(void *, size_t);
	size_t i, failed = 0;

	if (!in->starting)
		return;
	in->starting = 0;
	if (--h->n_starting > 0 || h->settled == NULL)
		return;
	for (i = 0; i < h->n; i++)
		failed += h->inst[i]->st == PLUGIN_STATE_FAILED;
	fn = h->settled;
	h->settled = NULL;
	fn(h->settled_arg, failed);
}

/* The sandbox gave up on the instance: it failed, with the reason. */
static void
sandbox_gave_up(void *arg, const char *reason)
{
	struct instance *in = arg;

	log_error(in->cfg.instance, "instance failed: sandbox: %s", reason);
	cancel_open_orders(in, "the instance failed");
	set_state(in, PLUGIN_STATE_FAILED, reason);
	start_settled(in);
}

/* Its child was lost: the timers it armed die with it.  The bus hears
 * that it restarts (its state stays running: the proxy queues its calls
 * until the next child is ready). */
static void
sandbox_lost(void *arg)
{
	struct instance *in = arg;

	release_timers(in);
	in->restarts++;
	publish_state(in, PLUGIN_STATE_RESTARTING, "its sandbox child was "
		"lost (the log says why)");
}

/* Its child is ready and start() returned QD_OK. */
static void
sandbox_started(void *arg)
{
	struct instance *in = arg;

	log_info(in->cfg.instance, "started plugin %s %s (%s, sandboxed)",
		in->desc->name, in->desc->version,
		plugin_kind_name(in->desc->kind));
	start_settled(in);
}

/*
 * Create the instance in a quantd-sandbox child: in->ops becomes the proxy
 * table, in->state the proxy.  The child may load every indicator module
 * (they are trusted host plugins) so indicator_new runs inside it.
 */
static int
sandbox_start(struct instance *in, char *err, size_t errlen)
{
	struct plugin_registry *r = in->host->reg;
	const char *files[65];
	struct sandbox_spec spec;

	plugin_indicator_files(r, files, QD_COUNTOF(files));
	memset(&spec, 0, sizeof(spec));
	spec.helper_path = in->host->sandbox_helper;
	spec.plugin_file = plugin_file(in->plugin);
	spec.plugin_name = in->desc->name;
	spec.kind = in->desc->kind;
	spec.instance = in->cfg.instance;
	spec.limits = in->cfg.limits;
	spec.indicator_files = files;
	spec.on_failed = sandbox_gave_up;
	spec.on_started = sandbox_started;
	spec.on_lost = sandbox_lost;
	spec.arg = in;
	spec.loop = in->host->loop;
	return sandbox_create(&spec, &runtime_api, &in->ctx, in->params,
		&in->ops, &in->state, err, errlen);
}

/* ---- lifecycle ----------------------------------------------------------- */

/* Cancel timers, drop subscriptions, free indicators. */
static void
instance_release(struct instance *in)
{
	release_timers(in);
	while (in->n_subs > 0)
		bus_unsubscribe(in->host->bus, in->subs[--in->n_subs]);
	/* Its connections close; nothing more reaches it. */
	if (in->host->netc != NULL)
		netc_forget(in->host->netc, in);
	mailer_forget(in->host->mailer, in);
	history_release(in);
	sealed_release(in);
	runtime_release(&in->ctx);
}

/*
 * create() then start() one instance.  On failure the instance is FAILED
 * with the reason logged; returns 0 or -1.
 */
static int
instance_start(struct instance *in)
{
	char why[256];
	int rc;
	size_t i, j;

	in->desc = NULL;
	in->ops = NULL;
	in->plugin = plugin_find(in->host->reg, in->cfg.plugin);
	if (in->plugin == NULL) {
		snprintf(why, sizeof(why), "plugin '%s' is not loaded",
			in->cfg.plugin);
		goto fail;
	}
	in->desc = plugin_desc(in->plugin);
	in->ops = in->desc->ops;
	free(in->file);
	in->file = strdup(plugin_file(in->plugin));
	if (in->params == NULL) {
		snprintf(why, sizeof(why), "parameters were not validated");
		goto fail;
	}
	in->state = NULL;
	if (sealed_read(in, why, sizeof(why)) != 0)
		goto fail;
	if (in->desc->kind == QD_KIND_STRATEGY &&
	    open_account(in, why, sizeof(why)) != QD_OK)
		goto fail;
	runtime_init(&in->ctx, &daemon_world, (struct world *)(void *)in,
		in->cfg.instance, in->desc->kind, in->host->reg,
		&in->cfg.limits);
	if (in->cfg.trust == TRUST_SANDBOXED) {
		char err[200];

		rc = sandbox_start(in, err, sizeof(err));
		if (rc != QD_OK) {
			snprintf(why, sizeof(why), "sandbox: %s", err);
			goto fail;
		}
	} else {
		rc = in->ops->create(&runtime_api, &in->ctx, in->params,
			&in->state);
		if (rc != QD_OK) {
			snprintf(why, sizeof(why), "create failed: %s",
				qd_strerror(rc));
			goto fail;
		}
	}
	in->created = 1;
	set_state(in, PLUGIN_STATE_CREATED, NULL);
	set_state(in, PLUGIN_STATE_RUNNING, NULL);
	in->ctx.trading = 1;
	if (in->ops->start != NULL && (rc = in->ops->start(in->state)) != QD_OK) {
		snprintf(why, sizeof(why), "start failed: %s", qd_strerror(rc));
		goto fail;
	}
	if (in->desc->kind == QD_KIND_EXCHANGE && in->cfg.n_symbols > 0 &&
	    ((const struct qd_exchange_ops *)(const void *)in->ops)->subscribe) {
		const struct qd_exchange_ops *xo = (const void *)in->ops;

		/* What the exchange instance is told to stream (and store)
		 * whether or not a strategy asks for it. */
		for (i = 0; i < in->cfg.n_symbols; i++) {
			qd_symbol s = symbol_intern(in->cfg.symbols[i]);

			for (j = 0; j < in->cfg.n_timeframes || j == 0; j++) {
				uint32_t tf = in->cfg.n_timeframes ?
				    in->cfg.timeframes[j] : 60;

				if ((rc = xo->subscribe(in->state, s, tf)) !=
				    QD_OK)
					log_warn(in->cfg.instance, "cannot "
						"stream %s %us: %s",
						in->cfg.symbols[i], tf,
						qd_strerror(rc));
				else
					expect_bars(in, s, tf);
				if (in->cfg.n_timeframes == 0)
					break;
			}
		}
	}
	if (in->desc->kind == QD_KIND_STRATEGY) {
		for (i = 0; i < in->cfg.n_symbols; i++) {
			qd_symbol s = symbol_intern(in->cfg.symbols[i]);

			for (j = 0; j < in->cfg.n_timeframes; j++)
				runtime_api.subscribe(&in->ctx, s,
					in->cfg.timeframes[j]);
			if (in->cfg.n_timeframes == 0)
				runtime_api.subscribe(&in->ctx, s, 60);
		}
	}
	if (in->cfg.trust == TRUST_SANDBOXED) {
		/* The child reports later: sandbox_started or _gave_up. */
		in->starting = 1;
		in->host->n_starting++;
		log_info(in->cfg.instance, "starting plugin %s %s (%s, "
			"sandboxed)", in->desc->name, in->desc->version,
			plugin_kind_name(in->desc->kind));
		return 0;
	}
	log_info(in->cfg.instance, "started plugin %s %s (%s, %s)",
		in->desc->name, in->desc->version,
		plugin_kind_name(in->desc->kind),
		config_trust_name(in->cfg.trust));
	return 0;
fail:
	in->ctx.trading = 0;
	cancel_open_orders(in, "the instance failed");
	instance_release(in);
	if (in->created) {
		in->ops->destroy(in->state);
		in->created = 0;
	}
	log_error(in->cfg.instance, "instance failed: %s", why);
	set_state(in, PLUGIN_STATE_FAILED, why);
	return -1;
}

/* stop() then destroy(); the instance stays listed as STOPPED. */
static void
instance_stop(struct instance *in)
{
	if (!in->created)
		return;
	if (in->st == PLUGIN_STATE_RUNNING && in->ops->stop != NULL)
		in->ops->stop(in->state);
	in->ctx.trading = 0;
	cancel_open_orders(in, "the instance stopped");
	instance_release(in);
	start_settled(in);
	in->ops->destroy(in->state);
	in->state = NULL;
	in->created = 0;
	set_state(in, PLUGIN_STATE_STOPPED, NULL);
	log_info(in->cfg.instance, "stopped");
}

static void
instance_free(struct instance *in)
{
	instance_stop(in);
	params_free(in->params);
	config_instance_clear(&in->cfg);
	ann_log_clear(&in->ann);
	free(in->subs);
	free(in->series);
	free(in->file);
	free(in);
}

/* Take the instance config out of `ci` (zeroing it there). */
static struct instance *
instance_new(struct host *h, struct config_instance *ci)
{
	struct instance *in = calloc(1, sizeof(*in));

	if (in == NULL)
		return NULL;
	in->host = h;
	in->id = ++h->next_id;
	in->cfg = *ci;
	in->params = ci->values;
	in->cfg.values = NULL;
	memset(ci, 0, sizeof(*ci));
	in->st = PLUGIN_STATE_LOADED;
	ann_log_init(&in->ann, ANN_KEEP, ANN_KEEP_BYTES);
	return in;
}

/* Once a second: journal acknowledgements, equity rules. */
static void
oms_clock(void *arg)
{
	struct host *h = arg;

	oms_tick(h->oms, loop_now_ns());
}

static void
on_durable(void *arg, uint64_t seq)
{
	struct host *h = arg;

	oms_durable(h->oms, seq, loop_now_ns());
}

int
host_set_trading(struct host *h, const struct host_trading *t, char *err,
	size_t errlen)
{
	struct journal *j = NULL;
	struct oms *o;
	struct store *s = NULL;
	char why[256];
	int rc;

	if (h->n > 0 || h->oms_started) {
		snprintf(err, errlen, "trading is set up before any instance");
		return QD_ERR_STATE;
	}
	if (t->url != NULL && (j = journal_start(h->loop, t->url,
	    t->power_safe, on_durable, h, t->journal_latency, err,
	    errlen)) == NULL)
		return QD_ERR_IO;
	if ((o = make_oms(h, j, t->kelly_cap)) == NULL) {
		journal_stop(j, 0);
		snprintf(err, errlen, "out of memory");
		return QD_ERR_NOMEM;
	}
	if (t->url != NULL) {
		/* The books as the last run left them. */
		rc = store_open(t->url, STORE_ROLE_READER, &s, err, errlen);
		if (rc == QD_OK) {
			rc = oms_restore(o, s, loop_now_ns(), why, sizeof(why));
			if (rc != QD_OK)
				snprintf(err, errlen, "restoring orders and "
					"accounts: %s", why);
			store_close(s);
		}
		if (rc != QD_OK) {
			oms_free(o);
			journal_stop(j, 0);
			return rc;
		}
	}
	risk_set_limits(oms_risk(o), RISK_SCOPE_GLOBAL, "", &t->risk_global);
	for (size_t i = 0; i < t->n_risk_accounts; i++)
		risk_set_limits(oms_risk(o), RISK_SCOPE_ACCOUNT,
			t->risk_account_ids[i], &t->risk_accounts[i]);
	h->risk_instance = t->risk_instance;
	oms_free(h->oms);
	journal_stop(h->journal, 0);
	h->oms = o;
	h->journal = j;
	free(h->trading_url);
	h->trading_url = t->url != NULL ? strdup(t->url) : NULL;
	return QD_OK;
}

struct oms *
host_oms(struct host *h)
{
	return h->oms;
}

struct host *
host_new(struct loop *loop, struct bus *bus, const char *state_dir)
{
	struct host *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->loop = loop;
	h->bus = bus;
	h->risk_instance.max_orders = 0;
	if ((h->state_dir = strdup(state_dir)) == NULL ||
	    (h->sandbox_helper = strdup(QD_LIBEXECDIR "/quantd-sandbox")) ==
	    NULL || bus_subscribe(bus, BUS_BAR, 0, on_market_bar, h) == 0 ||
	    bus_subscribe(bus, BUS_TRADE, 0, on_market_trade, h) == 0 ||
	    (h->oms = make_oms(h, NULL, 0)) == NULL ||
	    (h->oms_clock = loop_timer_add(loop, 1000000000LL, 1000000000LL,
	    oms_clock, h)) == NULL ||
	    (h->candles = candles_new(CANDLE_ALL, on_candle, h)) == NULL ||
	    (h->candle_clock = loop_timer_add(loop, 1000000000LL,
	    1000000000LL, candle_clock, h)) == NULL ||
	    (h->partial_clock = loop_timer_add(loop, 250000000LL,
	    250000000LL, partial_clock, h)) == NULL) {
		loop_timer_cancel(h->candle_clock);
		loop_timer_cancel(h->oms_clock);
		oms_free(h->oms);
		candles_free(h->candles);
		free(h->sandbox_helper);
		free(h->state_dir);
		free(h);
		return NULL;
	}
	return h;
}

void
host_stop_all(struct host *h)
{
	int rank;
	size_t i;

	for (rank = 4; rank >= 0; rank--)
		for (i = h->n; i-- > 0;)
			if (h->inst[i]->desc != NULL &&
			    kind_rank(h->inst[i]->desc->kind) == rank)
				instance_stop(h->inst[i]);
}

void
host_free(struct host *h)
{
	size_t i;

	if (h == NULL)
		return;
	host_stop_all(h);
	for (i = h->n; i-- > 0;)
		instance_free(h->inst[i]);
	free(h->inst);
	config_free(h->config);
	free(h->state_dir);
	free(h->sandbox_helper);
	free(h->store_url);
	free(h->instr);
	free(h->marks);
	free(h->base_tf);
	loop_timer_cancel(h->candle_clock);
	loop_timer_cancel(h->partial_clock);
	loop_timer_cancel(h->oms_clock);
	candles_free(h->candles);
	oms_free(h->oms);
	/* After the last order record: everything queued is written. */
	journal_stop(h->journal, 10000);
	while (h->jstates != NULL) {
		struct jstate *j = h->jstates;

		h->jstates = j->next;
		free(j->buf);
		free(j);
	}
	free(h->trading_url);
	free(h);
}

void
host_when_settled(struct host *h, void (*fn)(void *arg, size_t failed),
	void *arg)
{
	size_t i, failed = 0;

	if (h->n_starting > 0) {
		h->settled = fn;
		h->settled_arg = arg;
		return;
	}
	for (i = 0; i < h->n; i++)
		failed += h->inst[i]->st == PLUGIN_STATE_FAILED;
	fn(arg, failed);
}

void
host_set_net(struct host *h, struct net_client *c)
{
	h->netc = c;
}

void
host_set_writer(struct host *h, struct writer *w)
{
	h->writer = w;
}

void
host_set_vault(struct host *h, const struct vault *v)
{
	h->vault = v;
}

int
host_set_history(struct host *h, const char *store_url)
{
	free(h->store_url);
	h->store_url = store_url ? strdup(store_url) : NULL;
	return store_url == NULL || h->store_url != NULL ? QD_OK :
		QD_ERR_NOMEM;
}

void
host_candles_stats(const struct host *h, struct candles_stats *out)
{
	candles_stats(h->candles, out);
}

void
host_journal_stats(struct host *h, struct journal_stats *out)
{
	if (h->journal == NULL)
		memset(out, 0, sizeof(*out));
	else
		journal_stats(h->journal, out);
}

uint64_t
host_ingest_paused(const struct host *h)
{
	return h->ingest_paused;
}

int
host_set_sandbox_helper(struct host *h, const char *path)
{
	char *c = strdup(path);

	if (c == NULL)
		return QD_ERR_NOMEM;
	free(h->sandbox_helper);
	h->sandbox_helper = c;
	return QD_OK;
}

static int
rank_of_config(const struct plugin_registry *r, const struct config_instance *ci)
{
	const struct plugin *p = plugin_find(r, ci->plugin);

	return p ? kind_rank(plugin_desc(p)->kind) : 4;
}

int
host_apply(struct host *h, struct config *c, struct plugin_registry *r)
{
	struct instance **keep;
	size_t i, nk = 0;
	int rank, failed = 0;

	h->reg = r;
	if ((keep = calloc(c->n_instances + 1, sizeof(*keep))) == NULL)
		return -1;
	/* Stop what is gone or changed, in reverse dependency order. */
	for (rank = 4; rank >= 0; rank--) {
		for (i = h->n; i-- > 0;) {
			struct instance *in = h->inst[i];
			const struct config_instance *ci;
			struct config_instance cur;

			if (in == NULL || (in->desc ? kind_rank(in->desc->kind) :
			    4) != rank)
				continue;
			ci = config_find_instance(c, in->cfg.instance);
			cur = in->cfg;
			cur.values = in->params;
			if (ci != NULL && ci->enabled &&
			    config_instance_equal(&cur, ci) &&
			    plugin_find(r, in->cfg.plugin) == in->plugin)
				continue;
			log_info(in->cfg.instance, ci ? "configuration "
				"changed: restarting" : "removed from "
				"configuration: stopping");
			instance_free(in);
			h->inst[i] = NULL;
		}
	}
	for (i = 0; i < h->n; i++)
		if (h->inst[i] != NULL)
			keep[nk++] = h->inst[i];
	free(h->inst);
	h->inst = keep;
	h->n = nk;
	h->cap = c->n_instances + 1;
	/* Create new and changed instances in dependency order. */
	for (rank = 0; rank <= 4; rank++) {
		for (i = 0; i < c->n_instances; i++) {
			struct config_instance *ci = &c->instances[i];
			struct instance *in;

			if (ci->instance == NULL || !ci->enabled ||
			    rank_of_config(r, ci) != rank ||
			    find_instance(h, ci->instance) != NULL)
				continue;
			if (h->n == h->cap)
				break;
			if ((in = instance_new(h, ci)) == NULL) {
				failed++;
				continue;
			}
			h->inst[h->n++] = in;
			if (instance_start(in) != 0)
				failed++;
		}
	}
	config_free(h->config);
	h->config = c;
	if (!h->oms_started) {
		/* Restored open orders back to their venues, once every
		 * account of the configuration is open. */
		h->oms_started = 1;
		oms_start(h->oms, loop_now_ns());
	}
	return failed;
}

int
host_restart(struct host *h, const char *name)
{
	struct instance *in = find_instance(h, name);

	if (in == NULL)
		return QD_ERR_NOTFOUND;
	instance_stop(in);
	return instance_start(in) == 0 ? QD_OK : QD_ERR_STATE;
}

int
host_start(struct host *h, const char *name)
{
	struct instance *in = find_instance(h, name);

	if (in == NULL)
		return QD_ERR_NOTFOUND;
	if (in->st != PLUGIN_STATE_STOPPED && in->st != PLUGIN_STATE_FAILED)
		return QD_ERR_STATE;
	instance_stop(in);      /* a failed child's remains */
	return instance_start(in) == 0 ? QD_OK : QD_ERR_INVALID;
}

int
host_stop(struct host *h, const char *name)
{
	struct instance *in = find_instance(h, name);

	if (in == NULL)
		return QD_ERR_NOTFOUND;
	instance_stop(in);
	return QD_OK;
}

int
host_upgrade_module(struct host *h, const char *path)
{
	struct plugin_registry *r = h->reg;
	size_t i;
	int rc, failed = 0;
	char err[1024];

	for (i = h->n; i-- > 0;)
		if (h->inst[i]->file && strcmp(h->inst[i]->file, path) == 0)
			instance_stop(h->inst[i]);
	plugin_unload_file(r, path);
	rc = plugin_load_file(r, path);
	if (rc > 0)
		plugin_resolve(r);
	for (i = 0; i < h->n; i++) {
		struct instance *in = h->inst[i];
		const struct plugin *p;
		qd_params *np;

		if (in->file == NULL || strcmp(in->file, path) != 0)
			continue;
		p = plugin_find(r, in->cfg.plugin);
		in->plugin = NULL;
		in->desc = NULL;
		in->ops = NULL;
		if (p == NULL) {
			set_state(in, PLUGIN_STATE_FAILED, "module refused "
				"after upgrade");
			failed++;
			continue;
		}
		np = params_from_json(plugin_desc(p), in->cfg.params,
			in->cfg.file, err, sizeof(err));
		if (np == NULL) {
			log_error(in->cfg.instance, "after upgrade: %s", err);
			set_state(in, PLUGIN_STATE_FAILED, err);
			failed++;
			continue;
		}
		params_free(in->params);
		in->params = np;
		if (instance_start(in) != 0)
			failed++;
	}
	return rc < 0 ? rc : (failed ? QD_ERR_STATE : QD_OK);
}

size_t
host_instance_count(const struct host *h)
{
	return h->n;
}

int
host_instance_info(const struct host *h, size_t i,
	struct host_instance_info *out)
{
	const struct instance *in;

	if (i >= h->n)
		return QD_ERR_NOTFOUND;
	in = h->inst[i];
	memset(out, 0, sizeof(*out));
	out->instance = in->cfg.instance;
	out->plugin = in->cfg.plugin;
	out->file = in->file;
	out->trust = config_trust_name(in->cfg.trust);
	out->config_file = in->cfg.file;
	out->exchange = in->cfg.exchange;
	out->account = in->cfg.account.id;
	out->params = in->params;
	out->restarts = in->restarts;
	out->state = in->st;
	out->reason = in->reason[0] ? in->reason : NULL;
	out->trades = in->emitted[0];
	out->bars = in->emitted[1];
	out->book_tops = in->emitted[2];
	out->last_emit = in->emitted_at;
	if (in->desc != NULL) {
		out->kind = in->desc->kind;
		out->version = in->desc->version;
	}
	if (in->plugin != NULL) {
		out->abi_major = plugin_abi_major(in->plugin);
		out->abi_minor = plugin_abi_minor(in->plugin);
	}
	return QD_OK;
}
