/*
 * daemon.c -- the quantd process.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "api/api.h"
#include "bus/bus.h"
#include "config/config.h"
#include "ctl/ctl.h"
#include "daemon/alerts.h"
#include "daemon/daemon.h"
#include "daemon/history.h"
#include "daemon/instances.h"
#include "daemon/jobs.h"
#include "daemon/observe.h"
#include "daemon/notify.h"
#include "daemon/trading.h"
#include "daemon/web.h"
#include "host/host.h"
#include "log/log.h"
#include "loop/loop.h"
#include "net/client.h"
#include "net/mail.h"
#include "net/net.h"
#include "notify/channel.h"
#include "notify/outbox.h"
#include "plugin/describe.h"
#include "plugin/plugin.h"
#include "market/candles.h"
#include "market/symbol.h"
#include "market/tape.h"
#include "metrics/metrics.h"
#include "sandbox/sandbox.h"
#include "store/store.h"
#include "store/writer.h"
#include "trade/oms.h"
#include "vault/vault.h"

struct daemon {
	const char *config_path;
	struct loop *loop;
	struct bus *bus;
	struct net *net;
	struct net_client *netc;
	struct mailer *mailer;      /* notifiers' e-mail */
	struct host *host;
	struct plugin_registry *reg;
	struct ctl *ctl;
	struct web *web;            /* the HTTP API, or NULL */
	struct writer *writer;
	struct outbox *outbox;      /* notifications, or NULL */
	struct channel_book *channels; /* users' own channels, or NULL */
	uint64_t store_sub[2];
	struct tape *tape;          /* the latest trades and bars, to watch */
	struct store *reader;       /* reads for the API and quantctl, opened
	                               at the first one */
	char *store_url;
	struct vault *vault;        /* api.master_keys: opens instances'
	                               "vault:" secrets, or NULL */
	struct metrics *metrics;    /* `quantctl metrics`, the API's /metrics */
	struct observe *observe;
	struct observe_sources obs; /* what the metrics read */
	struct daemon_alerts *alerts;
	struct jobs *jobs;          /* backtests and optimisations */
	struct daemon_instances inst; /* instances, params, indicators */
	char *log_file;
	int log_level;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: quantd [-c FILE] [--check-config] [--version]\n"
		"  -c, --config FILE   daemon config (default: built-in "
		"defaults)\n"
		"      --check-config  load config and plugins, report, exit\n"
		"      --version       print version and SDK ABI, exit\n"
		"      --emergency-close [--ratio R] [--account A | --instance I]\n"
		"                      tell the running daemon to cancel every "
		"open order,\n"
		"                      then close R (default 1) of every "
		"position at market\n"
		"exit status: 0 stopped cleanly, 1 runtime failure, "
		"2 bad usage or config\n");
}

/* mkdir -p for the state directory. */
static int
mkdirs(const char *path)
{
	char buf[4096], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -1;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

static void
print_diag(FILE *f, const struct diag *d, const char *prefix)
{
	const char *p = d->text, *nl;

	while (p != NULL && *p) {
		nl = strchr(p, '\n');
		fprintf(f, "%s%.*s\n", prefix, (int)(nl ? nl - p : (long)strlen(p)),
			p);
		p = nl ? nl + 1 : NULL;
	}
}

static void
log_diag(enum qd_log_level lv, const struct diag *d, const char *prefix)
{
	const char *p = d->text, *nl;

	while (p != NULL && *p) {
		nl = strchr(p, '\n');
		log_msg(lv, "config", "%s%.*s", prefix,
			(int)(nl ? nl - p : (long)strlen(p)), p);
		p = nl ? nl + 1 : NULL;
	}
}

/* Load every configured plugin directory into r and resolve requirements. */
static void
load_plugins(struct plugin_registry *r, const struct config *c)
{
	size_t i;

	for (i = 0; i < c->n_plugin_dirs; i++)
		plugin_load_dir(r, c->plugin_dirs[i]);
	for (i = 0; i < c->n_sandbox_plugin_dirs; i++)
		sandbox_load_dir(r, c->sandbox_helper,
			c->sandbox_plugin_dirs[i]);
	plugin_resolve(r);
}

/*
 * SIGHUP: reopen the log, load the new config and any new plugin files,
 * reject the new config whole if anything is wrong, else upgrade changed
 * modules and apply the difference.  Returns the number of problems that
 * rejected it (0: applied).
 */
static int
daemon_reload(struct daemon *dm)
{
	struct diag d = { 0 }, w = { 0 };
	struct config *c;
	char **changed = NULL;
	size_t n, i;
	int problems;

	log_reopen();
	log_info("daemon", "reloading %s", dm->config_path ? dm->config_path :
		"built-in configuration");
	/* Upgrades first, so the new config is checked against new specs. */
	n = plugin_changed_modules(dm->reg, &changed);
	/* The alerts' indicator instances run the old modules' code. */
	if (n > 0)
		alert_indicators_drop(alerts_engine(dm->alerts));
	for (i = 0; i < n; i++) {
		log_info("daemon", "module %s changed on disk: upgrading",
			changed[i]);
		host_upgrade_module(dm->host, changed[i]);
		free(changed[i]);
	}
	free(changed);
	if (n > 0)
		alert_indicators_renew(alerts_engine(dm->alerts));
	c = config_load(dm->config_path, &d);
	if (c != NULL) {
		load_plugins(dm->reg, c);
		config_bind(c, dm->reg, &d, &w);
	}
	if (d.count > 0) {
		log_diag(QD_LOG_ERROR, &d, "reload rejected: ");
		log_error("daemon", "reload rejected: %d problem(s); the running "
			"configuration is kept", d.count);
		problems = d.count;
		config_free(c);
		diag_free(&d);
		diag_free(&w);
		return problems;
	}
	log_diag(QD_LOG_WARN, &w, "");
	if (c->log_level != dm->log_level)
		log_set_level((enum qd_log_level)c->log_level);
	i = (size_t)host_apply(dm->host, c, dm->reg);
	web_instances_applied(dm->web);
	log_info("daemon", "reload applied%s", i ? " with failed instances" :
		"");
	diag_free(&d);
	diag_free(&w);
	return 0;
}

static int
reload_cb(void *arg)
{
	return daemon_reload(arg);
}

/* Every instance has started or failed (sandboxed children report
 * asynchronously): say so, for operators and scripts waiting on it. */
static void
say_ready(void *arg, size_t failed)
{
	struct daemon *dm = arg;

	log_info("daemon", "ready: %zu instance(s), %zu failed to start",
		host_instance_count(dm->host), failed);
	web_ready(dm->web);
}

static void
on_hup(void *arg)
{
	daemon_reload(arg);
}

/* SIGUSR1: emergency close, everything, at once. */
static void
on_usr1(void *arg)
{
	struct daemon *dm = arg;
	struct oms_close_report rep;

	log_warn("daemon", "SIGUSR1: emergency close of every account");
	oms_emergency_close(host_oms(dm->host), NULL, 1.0, "SIGUSR1",
		loop_now_ns(), &rep);
}

static void
on_term(void *arg)
{
	struct daemon *dm = arg;

	log_info("daemon", "stopping");
	host_stop_all(dm->host);
	loop_stop(dm->loop);
}

/* ---- control requests ---------------------------------------------------- */

static cJSON *
instance_json(const struct host_instance_info *ii)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "instance", ii->instance);
	cJSON_AddStringToObject(o, "plugin", ii->plugin);
	cJSON_AddStringToObject(o, "trust", ii->trust);
	cJSON_AddStringToObject(o, "state", host_state_name(ii->state));
	if (ii->reason)
		cJSON_AddStringToObject(o, "reason", ii->reason);
	return o;
}

static char *
handle_list(struct daemon *dm)
{
	cJSON *o = cJSON_CreateObject(), *pl, *rf, *in;
	size_t i, j;
	char *s;

	cJSON_AddBoolToObject(o, "ok", 1);
	cJSON_AddStringToObject(o, "source", "daemon");
	pl = cJSON_AddArrayToObject(o, "plugins");
	for (i = 0; i < plugin_count(dm->reg); i++) {
		const struct plugin *p = plugin_at(dm->reg, i);
		cJSON *pj = describe_plugin(p, 0);
		cJSON *insts = cJSON_AddArrayToObject(pj, "instances");

		cJSON_AddBoolToObject(pj, "sandbox_only",
			plugin_sandbox_only(p));

		for (j = 0; j < host_instance_count(dm->host); j++) {
			struct host_instance_info ii;

			host_instance_info(dm->host, j, &ii);
			if (strcmp(ii.plugin, plugin_desc(p)->name) == 0)
				cJSON_AddItemToArray(insts, instance_json(&ii));
		}
		cJSON_AddItemToArray(pl, pj);
	}
	in = cJSON_AddArrayToObject(o, "instances");
	for (j = 0; j < host_instance_count(dm->host); j++) {
		struct host_instance_info ii;

		host_instance_info(dm->host, j, &ii);
		cJSON_AddItemToArray(in, instance_json(&ii));
	}
	rf = cJSON_AddArrayToObject(o, "refused");
	for (i = 0; i < plugin_refusal_count(dm->reg); i++)
		cJSON_AddItemToArray(rf,
			describe_refusal(plugin_refusal_at(dm->reg, i)));
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* ---- storage ------------------------------------------------------------ */

/* Closed candles from the bus to the store thread. */
static void
on_store_bar(void *arg, const struct bus_event *ev)
{
	struct daemon *dm = arg;
	const struct qd_bar_event *b = &ev->u.bar;
	const char *tf = store_timeframe_label(b->timeframe_s);
	const char *sym = symbol_name(b->symbol);
	struct store_candle c;
	int rc;

	if (tf == NULL || sym == NULL)
		return;
	c.open_time = b->bar.ts / 1000000;
	c.open = b->bar.open;
	c.high = b->bar.high;
	c.low = b->bar.low;
	c.close = b->bar.close;
	c.volume = b->bar.volume;
	c.quote_volume = NAN;
	c.trades = -1;
	rc = writer_candle(dm->writer, ev->source ? ev->source : "unknown",
		sym, tf, &c);
	if (rc == QD_ERR_INVALID)
		log_debug("store", "candle %s %s %s at %lld not stored: "
			"malformed", ev->source ? ev->source : "?", sym, tf,
			(long long)c.open_time);
}

static void
on_store_trade(void *arg, const struct bus_event *ev)
{
	struct daemon *dm = arg;
	const struct qd_trade_event *t = &ev->u.trade;
	const char *sym = symbol_name(t->symbol);
	struct store_trade r;

	if (sym == NULL)
		return;
	r.time = t->ts / 1000000;
	r.trade_id = t->trade_id;
	r.price = t->price;
	r.qty = t->qty;
	r.side = t->side == QD_SIDE_BUY ? 1 : t->side == QD_SIDE_SELL ? 2 : 0;
	writer_trade(dm->writer, ev->source ? ev->source : "unknown", sym, &r);
}

static void
on_tape_trade(void *arg, const struct bus_event *ev)
{
	struct daemon *dm = arg;

	tape_trade(dm->tape, ev->source, &ev->u.trade);
}

static void
on_tape_bar(void *arg, const struct bus_event *ev)
{
	struct daemon *dm = arg;

	if (!ev->history)
		tape_bar(dm->tape, ev->source, &ev->u.bar,
			ev->topic == BUS_BAR_PARTIAL);
}

/* Open the store and route market data to it. */
static int
storage_start(struct daemon *dm, const struct config *c)
{
	struct writer_options o;
	char err[512];

	if (c->storage.url != NULL &&
	    (dm->store_url = strdup(c->storage.url)) == NULL)
		return -1;
	if (!c->storage.enabled) {
		log_info("store", "storage disabled: market data is not kept");
		return 0;
	}
	memset(&o, 0, sizeof(o));
	o.url = c->storage.url;
	o.flush_rows = c->storage.flush_rows;
	o.flush_ms = c->storage.flush_ms;
	o.queue_rows = c->storage.queue_rows;
	o.backlog_rows = c->storage.backlog_rows;
	o.trades_retention_ms = c->storage.trades ?
	    (int64_t)c->storage.trades_retention_days * 86400000 : 0;
	o.commit_latency = dm->obs.commit_latency;
	if ((dm->writer = writer_start(dm->loop, &o, err, sizeof(err))) ==
	    NULL) {
		log_error("store", "%s", err);
		return -1;
	}
	host_set_writer(dm->host, dm->writer);
	dm->obs.writer = dm->writer;
	dm->store_sub[0] = bus_subscribe(dm->bus, BUS_BAR, 0, on_store_bar, dm);
	if (c->storage.trades)
		dm->store_sub[1] = bus_subscribe(dm->bus, BUS_TRADE, 0,
			on_store_trade, dm);
	{
		struct writer_stats st;

		writer_stats(dm->writer, &st);
		log_info("store", "storing market data in %s (%s)%s",
			st.backend[0] == 's' ? c->storage.url : "postgresql",
			st.backend, c->storage.trades ? ", with trades" : "");
	}
	return 0;
}

/* ---- notifications ------------------------------------------------------- */

static void
ob_each(void *arg, void (*fn)(void *, const char *,
	const struct config_route *), void *fnarg)
{
	host_notifiers(arg, fn, fnarg);
}

static int
ob_send(void *arg, const char *channel, uint64_t req,
	const struct qd_notification *n, const struct outbox_secret *sec)
{
	return host_notify_send(arg, channel, req, n, sec ? sec->get : NULL,
		sec ? sec->arg : NULL);
}

static const char *
ob_serving(void *arg, const char *plugin)
{
	return host_notifier_of(arg, plugin);
}

static void
ob_done(void *arg, const char *channel, uint64_t req, int status,
	const char *detail)
{
	outbox_done(arg, channel, req, status, detail);
}

/* The notification outbox, in the store when there is one (its rows go
 * to the daemon's database even with market data storage off). */
static int
outbox_start(struct daemon *dm, const struct config *c)
{
	struct outbox_channels ch = { ob_each, ob_send, dm->host, ob_serving };
	char err[512];

	dm->outbox = outbox_open(dm->loop, c->storage.url,
		c->trading_power_safe, &c->notify, &ch, err, sizeof(err));
	if (dm->outbox == NULL) {
		log_error("notify", "%s", err);
		return -1;
	}
	host_set_notify(dm->host, ob_done, dm->outbox);
	host_set_user_urls(dm->host, c->notify.user_urls_allow_private);
	if (c->notify.user_urls_allow_private)
		log_warn("notify", "users' webhook and Discord URLs may reach "
			"internal addresses (notify.user_urls.allow_private)");
	/* Users' own channels live in the same store. */
	if (c->storage.url != NULL) {
		dm->channels = channel_book_open(c->storage.url, dm->vault, err,
			sizeof(err));
		if (dm->channels == NULL) {
			log_error("notify", "users' channels: %s", err);
			return -1;
		}
		outbox_set_book(dm->outbox, dm->channels);
	}
	if (outbox_watch(dm->outbox, dm->bus) != QD_OK) {
		log_error("notify", "out of memory");
		return -1;
	}
	return 0;
}

static char *
handle_store_stats(struct daemon *dm)
{
	struct writer_stats st;
	cJSON *o = cJSON_CreateObject(), *s;
	char *out;

	cJSON_AddBoolToObject(o, "ok", 1);
	if (dm->writer == NULL) {
		cJSON_AddBoolToObject(o, "enabled", 0);
	} else {
		writer_stats(dm->writer, &st);
		s = cJSON_AddObjectToObject(o, "store");
		cJSON_AddStringToObject(s, "backend", st.backend);
		cJSON_AddBoolToObject(s, "healthy", st.healthy);
		cJSON_AddNumberToObject(s, "rows_written",
			(double)st.rows_written);
		cJSON_AddNumberToObject(s, "states_written",
			(double)st.states_written);
		cJSON_AddNumberToObject(s, "batches", (double)st.batches);
		cJSON_AddNumberToObject(s, "failures", (double)st.failures);
		cJSON_AddNumberToObject(s, "reconnects", (double)st.reconnects);
		cJSON_AddNumberToObject(s, "dropped", (double)st.dropped);
		cJSON_AddNumberToObject(s, "invalid", (double)st.invalid);
		cJSON_AddNumberToObject(s, "queued", (double)st.queued);
		cJSON_AddNumberToObject(s, "backlog", (double)st.backlog);
		cJSON_AddNumberToObject(s, "ingest_paused",
			(double)host_ingest_paused(dm->host));
		cJSON_AddNumberToObject(s, "last_commit_ms",
			(double)st.last_commit_ms);
		cJSON_AddStringToObject(s, "last_error", st.last_error);
	}
	{
		struct candles_stats cs;
		cJSON *c = cJSON_AddObjectToObject(o, "candles");

		host_candles_stats(dm->host, &cs);
		cJSON_AddNumberToObject(c, "trades", (double)cs.trades);
		cJSON_AddNumberToObject(c, "late", (double)cs.late);
		cJSON_AddNumberToObject(c, "closed", (double)cs.closed);
		cJSON_AddNumberToObject(c, "empty", (double)cs.empty);
		cJSON_AddNumberToObject(c, "klines", (double)cs.klines);
		cJSON_AddNumberToObject(c, "divergences",
			(double)cs.divergences);
	}
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return out;
}

static void
recent_row(void *arg, const struct tape_event *e)
{
	cJSON_AddItemToArray(arg, web_event_json(e));
}

/* {"cmd":"market.instruments","exchange":E?,"symbol":S?}: the instruments
 * the exchange instances listed (steps and minimums as decimal text). */
static char *
handle_instruments(struct daemon *dm, const cJSON *req)
{
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(req, "exchange");
	const cJSON *sym = cJSON_GetObjectItemCaseSensitive(req, "symbol");
	cJSON *o, *arr;
	size_t i;
	char *out;

	if ((ex != NULL && !cJSON_IsString(ex)) ||
	    (sym != NULL && !cJSON_IsString(sym)))
		return ctl_error("bad_request", "market.instruments takes "
			"exchange and symbol (strings)");
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", 1);
	arr = cJSON_AddArrayToObject(o, "instruments");
	for (i = 0; i < host_instrument_count(dm->host); i++) {
		const struct host_instrument *x = host_instrument_at(dm->host,
			i);
		const char *name = symbol_name(x->symbol);
		cJSON *e;

		if ((ex != NULL && strcmp(ex->valuestring, x->exchange) != 0) ||
		    (sym != NULL && (name == NULL ||
		    strcmp(sym->valuestring, name) != 0)))
			continue;
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "exchange", x->exchange);
		cJSON_AddStringToObject(e, "symbol", name ? name : "?");
		cJSON_AddStringToObject(e, "native", x->native);
		if (x->tick[0])
			cJSON_AddStringToObject(e, "tick", x->tick);
		if (x->lot[0])
			cJSON_AddStringToObject(e, "lot", x->lot);
		if (x->min_qty[0])
			cJSON_AddStringToObject(e, "min_qty", x->min_qty);
		if (x->min_notional[0])
			cJSON_AddStringToObject(e, "min_notional",
				x->min_notional);
		cJSON_AddStringToObject(e, "status", x->status);
		cJSON_AddBoolToObject(e, "trading", x->trading);
		cJSON_AddNumberToObject(e, "updated",
			(double)(x->updated / 1000000));
		cJSON_AddItemToArray(arr, e);
	}
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return out;
}

/* {"cmd":"market.recent","exchange":E,"symbol":S,"after":SEQ}: the trades
 * and closed candles seen after event SEQ (without "after": none, only the
 * newest number, to start from). */
static char *
handle_recent(struct daemon *dm, const cJSON *req)
{
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(req, "exchange");
	const cJSON *sym = cJSON_GetObjectItemCaseSensitive(req, "symbol");
	const cJSON *after = cJSON_GetObjectItemCaseSensitive(req, "after");
	cJSON *o, *arr;
	uint64_t last;
	qd_symbol s = 0;
	char *out;

	if ((ex != NULL && !cJSON_IsString(ex)) ||
	    (sym != NULL && (!cJSON_IsString(sym) ||
	    !symbol_valid(sym->valuestring))) ||
	    (after != NULL && (!cJSON_IsNumber(after) ||
	    after->valuedouble < 0)))
		return ctl_error("bad_request", "market.recent takes "
			"exchange, symbol (BASE/QUOTE) and after (a number)");
	if (sym != NULL)
		s = symbol_intern(sym->valuestring);
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", 1);
	arr = cJSON_AddArrayToObject(o, "events");
	last = after == NULL ? tape_last(dm->tape) :
		tape_since(dm->tape, (uint64_t)after->valuedouble,
		ex ? ex->valuestring : NULL, s, 2000, recent_row, arr);
	cJSON_AddNumberToObject(o, "seq", (double)last);
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return out;
}

/* The reader connection of the API and quantctl, opened at its first use;
 * NULL (logged) when storage is off or the store cannot be opened. */
static struct store *
daemon_reader(struct daemon *dm)
{
	char err[256];

	if (dm->reader == NULL && dm->store_url != NULL &&
	    store_open(dm->store_url, STORE_ROLE_READER, &dm->reader, err,
	    sizeof(err)) != QD_OK) {
		log_error("store", "the API's reader: %s", err);
		dm->reader = NULL;
	}
	return dm->reader;
}

/* daemon_reader() for the instance commands: NULL with why in err. */
static struct store *
inst_reader(void *arg, char *err, size_t errlen)
{
	struct daemon *dm = arg;
	struct store *st = daemon_reader(dm);

	if (st == NULL)
		snprintf(err, errlen, "%s", dm->store_url == NULL ?
			"storage is disabled" : "the store cannot be read");
	return st;
}

/* Candles of market.candles as JSON rows, in the order read. */
struct candle_rows {
	char *buf;
	size_t len, cap;
	size_t *at;          /* where each row starts */
	size_t n;
	int64_t last;
	int failed;
};

static int
candle_row(void *arg, const struct store_candle *c, size_t n)
{
	struct candle_rows *r = arg;

	for (size_t i = 0; i < n; i++) {
		char row[256];
		int k = snprintf(row, sizeof(row), "[%lld,%.17g,%.17g,%.17g,"
			"%.17g,%.17g]", (long long)c[i].open_time, c[i].open,
			c[i].high, c[i].low, c[i].close, c[i].volume);
		size_t *at;

		if (r->len + (size_t)k + 1 > r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 65536;
			char *nb = realloc(r->buf, cap);

			if (nb == NULL) {
				r->failed = 1;
				return 1;
			}
			r->buf = nb;
			r->cap = cap;
		}
		if ((at = realloc(r->at, (r->n + 1) * sizeof(*at))) == NULL) {
			r->failed = 1;
			return 1;
		}
		r->at = at;
		r->at[r->n++] = r->len;
		memcpy(r->buf + r->len, row, (size_t)k);
		r->len += (size_t)k;
		r->last = c[i].open_time;
	}
	return 0;
}

/*
 * {"cmd":"market.candles","exchange":E,"symbol":S,"timeframe":TF,
 *  "from":ms,"to":ms,"limit":N}: stored candles in time order as rows
 * [open_time, open, high, low, close, volume].  Without "from": the newest
 * `limit` (default 500, at most 5000).  "next" is the "from" of the
 * following page when the limit cut the range.
 */
static char *
handle_candles(struct daemon *dm, const cJSON *req)
{
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(req, "exchange");
	const cJSON *sym = cJSON_GetObjectItemCaseSensitive(req, "symbol");
	const cJSON *tf = cJSON_GetObjectItemCaseSensitive(req, "timeframe");
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(req, "from");
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(req, "to");
	const cJSON *lim = cJSON_GetObjectItemCaseSensitive(req, "limit");
	struct candle_rows r = { 0 };
	struct store_series k;
	char *out;
	size_t limit = 500, o;
	int rc, desc = from == NULL;

	if (!cJSON_IsString(ex) || !cJSON_IsString(sym) ||
	    !symbol_valid(sym->valuestring) ||
	    (tf != NULL && (!cJSON_IsString(tf) ||
	    store_timeframe_ms(tf->valuestring) == 0)) ||
	    (from != NULL && !cJSON_IsNumber(from)) ||
	    (to != NULL && !cJSON_IsNumber(to)) ||
	    (lim != NULL && (!cJSON_IsNumber(lim) || lim->valuedouble < 1 ||
	    lim->valuedouble > 5000)))
		return ctl_error("bad_request", "market.candles takes "
			"exchange, symbol (BASE/QUOTE), timeframe (1m ... 1w), "
			"from and to (ms) and limit (1 to 5000)");
	if (dm->store_url == NULL)
		return ctl_error("unavailable", "storage is disabled");
	if (daemon_reader(dm) == NULL)
		return ctl_error("unavailable", "the store cannot be read");
	if (lim != NULL)
		limit = (size_t)lim->valuedouble;
	k.exchange = ex->valuestring;
	k.symbol = sym->valuestring;
	k.timeframe = tf ? tf->valuestring : "1m";
	rc = store_candles(dm->reader, &k, from ? (int64_t)from->valuedouble :
		INT64_MIN, to ? (int64_t)to->valuedouble : INT64_MAX, limit,
		desc, candle_row, &r);
	if (rc != QD_OK || r.failed ||
	    (out = malloc(r.len + r.n + 160)) == NULL) {
		free(r.buf);
		free(r.at);
		return ctl_error("unavailable", "the store cannot be read");
	}
	o = (size_t)sprintf(out, "{\"ok\":true,\"columns\":[\"ts\","
		"\"open\",\"high\",\"low\",\"close\",\"volume\"],"
		"\"candles\":[");
	for (size_t i = 0; i < r.n; i++) {
		/* newest first from the store when reading back from the end */
		size_t j = desc ? r.n - 1 - i : i;
		size_t end = j + 1 < r.n ? r.at[j + 1] : r.len;

		if (i)
			out[o++] = ',';
		memcpy(out + o, r.buf + r.at[j], end - r.at[j]);
		o += end - r.at[j];
	}
	out[o++] = ']';
	if (!desc && r.n == limit)
		o += (size_t)sprintf(out + o, ",\"next\":%lld",
			(long long)r.last + 1);
	out[o++] = '}';
	out[o] = '\0';
	free(r.buf);
	free(r.at);
	return out;
}

/* {"cmd":"data.backfill","exchange":E,"symbol":S,"timeframe":"1m",
 *  "from":ms,"to":ms}: the exchange instance fetches [from, to). */
static char *
handle_backfill(struct daemon *dm, const cJSON *req)
{
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(req, "exchange");
	const cJSON *sym = cJSON_GetObjectItemCaseSensitive(req, "symbol");
	const cJSON *tf = cJSON_GetObjectItemCaseSensitive(req, "timeframe");
	const cJSON *from = cJSON_GetObjectItemCaseSensitive(req, "from");
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(req, "to");
	int64_t tf_ms;
	int rc;

	if (!cJSON_IsString(ex) || !cJSON_IsString(sym) ||
	    !cJSON_IsString(tf) || !cJSON_IsNumber(from) ||
	    !cJSON_IsNumber(to))
		return ctl_error("bad_request", "data.backfill needs "
			"exchange, symbol, timeframe, from and to (ms)");
	tf_ms = store_timeframe_ms(tf->valuestring);
	if (tf_ms <= 0 || tf_ms % 1000 != 0)
		return ctl_error("bad_request", "unknown timeframe");
	rc = host_backfill(dm->host, ex->valuestring, sym->valuestring,
		(uint32_t)(tf_ms / 1000), (int64_t)from->valuedouble,
		(int64_t)to->valuedouble);
	switch (rc) {
	case QD_OK:
		return strdup("{\"ok\":true}");
	case QD_ERR_NOTFOUND:
		return ctl_error("not_found", "no such exchange instance");
	case QD_ERR_STATE:
		return ctl_error("failed", "the exchange instance is not "
			"running");
	case QD_ERR_UNSUPPORTED:
		return ctl_error("unsupported", "the exchange cannot "
			"backfill that timeframe over REST (1m is what every "
			"adapter of this tree fetches)");
	default:
		return ctl_error("bad_request", qd_strerror(rc));
	}
}

/* {"cmd":"metrics"}: the Prometheus exposition text, as a string. */
static char *
handle_metrics(struct daemon *dm)
{
	char *text = metrics_render(dm->metrics, NULL), *out;
	cJSON *o;

	if (text == NULL)
		return ctl_error("failed", "out of memory rendering the "
			"metrics");
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "ok", 1);
	cJSON_AddStringToObject(o, "content_type", METRICS_CONTENT_TYPE);
	cJSON_AddStringToObject(o, "text", text);
	free(text);
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return out;
}

static char *
handle_request(void *arg, const char *request, struct ctl_conn *conn)
{
	struct daemon *dm = arg;
	cJSON *req = cJSON_Parse(request), *cmd, *name;
	char *reply = NULL;
	const char *c, *n;
	int rc;

	if (req == NULL || !cJSON_IsObject(req)) {
		cJSON_Delete(req);
		return ctl_error("bad_request", "expected one JSON object");
	}
	cmd = cJSON_GetObjectItemCaseSensitive(req, "cmd");
	name = cJSON_GetObjectItemCaseSensitive(req, "name");
	c = cJSON_IsString(cmd) ? cmd->valuestring : "";
	n = cJSON_IsString(name) ? name->valuestring : NULL;
	if (strcmp(c, "ping") == 0) {
		reply = strdup("{\"ok\":true}");
	} else if (strcmp(c, "plugin.list") == 0) {
		reply = handle_list(dm);
	} else if (strcmp(c, "plugin.info") == 0) {
		const struct plugin *p = n ? plugin_find(dm->reg, n) : NULL;
		cJSON *o;

		if (p == NULL) {
			reply = ctl_error("not_found", "no such plugin");
		} else {
			o = cJSON_CreateObject();
			cJSON_AddBoolToObject(o, "ok", 1);
			cJSON_AddItemToObject(o, "plugin", describe_plugin(p, 1));
			reply = cJSON_PrintUnformatted(o);
			cJSON_Delete(o);
		}
	} else if (strcmp(c, "instance.restart") == 0 ||
	    strcmp(c, "instance.stop") == 0) {
		rc = n == NULL ? QD_ERR_NOTFOUND : c[9] == 'r' ?
			host_restart(dm->host, n) : host_stop(dm->host, n);
		reply = rc == QD_OK ? strdup("{\"ok\":true}") :
			ctl_error(rc == QD_ERR_NOTFOUND ? "not_found" :
			"failed", rc == QD_ERR_NOTFOUND ? "no such instance" :
			"the instance failed to start; see the log");
	} else if (strcmp(c, "metrics") == 0) {
		reply = handle_metrics(dm);
	} else if (strcmp(c, "store.stats") == 0) {
		reply = handle_store_stats(dm);
	} else if (strcmp(c, "market.instruments") == 0) {
		reply = handle_instruments(dm, req);
	} else if (strcmp(c, "market.recent") == 0) {
		reply = handle_recent(dm, req);
	} else if (strcmp(c, "market.candles") == 0) {
		reply = handle_candles(dm, req);
	} else if (strcmp(c, "data.backfill") == 0) {
		reply = handle_backfill(dm, req);
	} else if (strncmp(c, "alert.", 6) == 0) {
		reply = alerts_request(dm->alerts, c, req);
	} else if (strncmp(c, "job.", 4) == 0) {
		reply = jobs_cmd_is_file(c) ? jobs_ctl_file(dm->jobs, c, req,
			conn) : jobs_request(dm->jobs, c, req);
	} else if (strncmp(c, "notify.", 7) == 0) {
		reply = notify_request(dm->outbox, c, req);
	} else if (history_command(c)) {
		reply = history_request(daemon_reader(dm), c, req);
	} else if (strncmp(c, "trade.", 6) == 0 || strncmp(c, "risk.", 5) == 0) {
		reply = trading_request(dm->host, c, req);
	} else if (instances_command(c)) {
		reply = instances_request(&dm->inst, c, req);
	} else if (strcmp(c, "reload") == 0) {
		daemon_reload(dm);
		reply = strdup("{\"ok\":true}");
	} else {
		reply = ctl_error("unknown_command", "unknown cmd");
	}
	/* a user channel's secret: not left in freed memory (the request's
	 * text is the caller's to wipe) */
	if (api_command_secret(c))
		api_json_wipe(req);
	cJSON_Delete(req);
	return reply;
}

/* ---- jobs --------------------------------------------------------------- */

/* Whether the host runs plugin `p` sandboxed: an instance of it is
 * configured so (a sandbox directory's plugin always is). */
static int
plugin_runs_sandboxed(void *arg, const struct plugin *p)
{
	struct daemon *dm = arg;
	const char *name = plugin_desc(p)->name;

	if (plugin_sandbox_only(p))
		return 1;
	for (size_t i = 0; i < host_instance_count(dm->host); i++) {
		struct host_instance_info ii;

		if (host_instance_info(dm->host, i, &ii) == 0 &&
		    strcmp(ii.plugin, name) == 0 &&
		    strcmp(ii.trust, "sandboxed") == 0)
			return 1;
	}
	return 0;
}

static int
jobs_begin(struct daemon *dm, const struct config *c)
{
	struct jobs_config jc;
	char err[512];

	memset(&jc, 0, sizeof(jc));
	jc.quantctl = c->jobs.quantctl;
	jc.config_path = dm->config_path;
	jc.state_dir = c->state_dir;
	jc.store_url = c->storage.url;
	jc.workers = c->jobs.workers;
	jc.timeout_s = c->jobs.timeout_s;
	jc.max_queued = c->jobs.max_queued;
	jc.retention_s = c->jobs.retention_s;
	jc.retention_max = c->jobs.retention_max;
	jc.plan_names = (const char *const *)c->jobs.plan_names;
	jc.plan_max = c->jobs.plan_max;
	jc.n_plans = c->jobs.n_plans;
	jc.reg = dm->reg;
	jc.sandboxed = plugin_runs_sandboxed;
	jc.sandboxed_arg = dm;
	if ((dm->jobs = jobs_start(dm->loop, &jc, err, sizeof(err))) == NULL) {
		log_error("jobs", "%s", err);
		return -1;
	}
	return 0;
}

/* ---- main ---------------------------------------------------------------- */

/* quantd --emergency-close: the running daemon does it (it holds the
 * venues' connections and the books); prints what it did. */
static int
emergency_close(const char *config_path, double ratio, const char *account,
	const char *instance)
{
	struct diag d = { 0 };
	struct config *c = config_load(config_path, &d);
	cJSON *req;
	char *text, *reply = NULL;
	int rc;

	diag_free(&d);
	if (c == NULL) {
		fprintf(stderr, "quantd: the configuration cannot be read\n");
		return QD_EXIT_CONFIG;
	}
	if (account != NULL && instance != NULL) {
		fprintf(stderr, "quantd: give --account or --instance, not "
			"both\n");
		config_free(c);
		return QD_EXIT_CONFIG;
	}
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", "trade.emergency_close");
	cJSON_AddNumberToObject(req, "ratio", ratio);
	if (account)
		cJSON_AddStringToObject(req, "account", account);
	if (instance)
		cJSON_AddStringToObject(req, "instance", instance);
	cJSON_AddStringToObject(req, "reason", "quantd --emergency-close");
	text = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	rc = text ? ctl_request(c->control_socket, text, &reply, 10000) : -2;
	free(text);
	if (rc != 0) {
		fprintf(stderr, "quantd: no daemon answers at %s: %s\n"
			"quantd: start it (it reloads every open order and "
			"position) and repeat, or send it SIGUSR1\n",
			c->control_socket, rc == -1 ? "not running" :
			strerror(errno));
		config_free(c);
		return QD_EXIT_FAILURE;
	}
	config_free(c);
	printf("%s\n", reply);
	rc = strstr(reply, "\"ok\":true") ? QD_EXIT_OK : QD_EXIT_FAILURE;
	free(reply);
	return rc;
}

int
daemon_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "emergency-close", no_argument, NULL, 'E' },
		{ "ratio", required_argument, NULL, 'R' },
		{ "account", required_argument, NULL, 'A' },
		{ "instance", required_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon dm;
	struct diag d = { 0 }, w = { 0 };
	struct config *c = NULL;
	struct loop_signal *sig_int = NULL, *sig_term = NULL, *sig_hup = NULL;
	struct loop_signal *sig_usr1 = NULL;
	struct host_trading ht;
	const char *ec_account = NULL, *ec_instance = NULL;
	double ec_ratio = 1.0;
	int emergency = 0;
	char terr[512];
	int opt, check = 0, rc = QD_EXIT_FAILURE, api_off = 0;

	memset(&dm, 0, sizeof(dm));
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			dm.config_path = optarg;
			break;
		case 'k':
			check = 1;
			break;
		case 'V':
			printf("quantd %s (SDK ABI %d.%d)\n", PACKAGE_VERSION,
				QD_ABI_MAJOR, QD_ABI_MINOR);
			return QD_EXIT_OK;
		case 'h':
			usage(stdout);
			return QD_EXIT_OK;
		case 'E':
			emergency = 1;
			break;
		case 'R': {
			char *end;

			ec_ratio = strtod(optarg, &end);
			if (*end || !(ec_ratio > 0) || ec_ratio > 1) {
				fprintf(stderr, "quantd: --ratio %s: expected a "
					"number above 0 and at most 1\n", optarg);
				return QD_EXIT_CONFIG;
			}
			break;
		}
		case 'A':
			ec_account = optarg;
			break;
		case 'I':
			ec_instance = optarg;
			break;
		default:
			usage(stderr);
			return QD_EXIT_CONFIG;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return QD_EXIT_CONFIG;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!emergency && (ec_account || ec_instance || ec_ratio != 1.0)) {
		fprintf(stderr, "quantd: --ratio, --account and --instance go "
			"with --emergency-close\n");
		return QD_EXIT_CONFIG;
	}
	if (emergency)
		return emergency_close(dm.config_path, ec_ratio, ec_account,
			ec_instance);
	c = config_load(dm.config_path, &d);
	if (c == NULL) {
		print_diag(stderr, &d, "quantd: ");
		fprintf(stderr, "quantd: %d configuration problem(s)\n",
			d.count);
		diag_free(&d);
		return QD_EXIT_CONFIG;
	}
	if (!check && log_open(c->log_file, (enum qd_log_level)c->log_level) != 0) {
		fprintf(stderr, "quantd: cannot open log file %s: %s\n",
			c->log_file, strerror(errno));
		config_free(c);
		return QD_EXIT_CONFIG;
	}
	dm.log_level = c->log_level;
	if ((dm.reg = plugin_registry_new()) == NULL)
		goto out;
	load_plugins(dm.reg, c);
	config_bind(c, dm.reg, &d, &w);
	if (d.count > 0) {
		print_diag(stderr, &d, "quantd: ");
		fprintf(stderr, "quantd: %d configuration problem(s)\n",
			d.count);
		rc = QD_EXIT_CONFIG;
		goto out;
	}
	print_diag(stderr, &w, "quantd: warning: ");
	if (check) {
		printf("%s: configuration OK: %zu plugin(s) loaded, %zu "
			"refused, %zu instance(s)\n", c->path,
			plugin_count(dm.reg), plugin_refusal_count(dm.reg),
			c->n_instances);
		rc = QD_EXIT_OK;
		goto out;
	}
	if (mkdirs(c->state_dir) != 0) {
		log_error("daemon", "cannot create state directory %s: %s",
			c->state_dir, strerror(errno));
		goto out;
	}
	if ((dm.loop = loop_new(4096, 256)) == NULL ||
	    (dm.bus = bus_new()) == NULL ||
	    (dm.host = host_new(dm.loop, dm.bus, c->state_dir)) == NULL)
		goto out;
	if (host_set_sandbox_helper(dm.host, c->sandbox_helper) != QD_OK)
		goto out;
	dm.obs.host = dm.host;
	dm.obs.bus = dm.bus;
	if ((dm.metrics = metrics_new()) == NULL ||
	    (dm.observe = observe_register(dm.metrics, &dm.obs)) == NULL) {
		log_error("daemon", "cannot set up the metrics: out of memory");
		goto out;
	}
	if ((dm.tape = tape_new(8192)) == NULL ||
	    bus_subscribe(dm.bus, BUS_TRADE, 0, on_tape_trade, &dm) == 0 ||
	    bus_subscribe(dm.bus, BUS_BAR, 0, on_tape_bar, &dm) == 0 ||
	    bus_subscribe(dm.bus, BUS_BAR_PARTIAL, 0, on_tape_bar, &dm) == 0)
		goto out;
	if (storage_start(&dm, c) != 0)
		goto out;
	if (c->storage.enabled &&
	    host_set_history(dm.host, c->storage.url) != QD_OK)
		goto out;
	if (c->api.master_keys != NULL) {
		if (vault_new(&dm.vault) != QD_OK ||
		    vault_load(dm.vault, c->api.master_keys, terr,
		    sizeof(terr)) != QD_OK) {
			log_error("daemon", "api.master_keys: %s", dm.vault ?
				terr : "out of memory");
			goto out;
		}
		host_set_vault(dm.host, dm.vault);
	}
	memset(&ht, 0, sizeof(ht));
	ht.url = c->storage.url;
	ht.power_safe = c->trading_power_safe;
	ht.risk_global = c->risk_global;
	ht.risk_instance = c->risk_instance;
	ht.risk_account_ids = c->risk_account_ids;
	ht.risk_accounts = c->risk_accounts;
	ht.n_risk_accounts = c->n_risk_accounts;
	ht.kelly_cap = c->kelly_cap;
	ht.journal_latency = dm.obs.journal_latency;
	if (host_set_trading(dm.host, &ht, terr, sizeof(terr)) != QD_OK) {
		log_error("trade", "%s", terr);
		goto out;
	}
	if ((dm.alerts = alerts_start(dm.loop, dm.bus, dm.reg,
	    c->storage.enabled ? c->storage.url : NULL,
	    c->alerts_max_per_user, NULL, NULL, terr, sizeof(terr))) == NULL) {
		log_error("alert", "%s", terr);
		goto out;
	}
	if (outbox_start(&dm, c) != 0)
		goto out;
	if (jobs_begin(&dm, c) != 0)
		goto out;
	dm.inst.host = dm.host;
	dm.inst.reg = dm.reg;
	dm.inst.config_path = dm.config_path;
	dm.inst.reader = inst_reader;
	dm.inst.reload = reload_cb;
	dm.inst.arg = &dm;
	if ((dm.ctl = ctl_listen(dm.loop, c->control_socket, handle_request,
	    &dm)) == NULL)
		goto out;
	if ((dm.net = net_start_ca(dm.loop, 1024, 256, c->ca_file)) == NULL ||
	    (dm.netc = netc_new(dm.net, dm.loop, NULL)) == NULL)
		goto out;
	dm.obs.net = dm.net;
	host_set_net(dm.host, dm.netc);
	dm.web = web_start(c, dm.net, dm.loop, dm.bus, dm.tape, dm.metrics,
		handle_request, &dm, &api_off);
	if (dm.web == NULL && !api_off)
		goto out;
	web_attach_outbox(dm.web, dm.outbox);
	web_attach_jobs(dm.web, dm.jobs);
	web_attach_host(dm.web, dm.host);
	if ((dm.mailer = mailer_start(dm.loop, c->ca_file)) == NULL)
		goto out;
	host_set_mail(dm.host, dm.mailer);
	sig_int = loop_signal_add(dm.loop, SIGINT, on_term, &dm);
	sig_term = loop_signal_add(dm.loop, SIGTERM, on_term, &dm);
	sig_hup = loop_signal_add(dm.loop, SIGHUP, on_hup, &dm);
	sig_usr1 = loop_signal_add(dm.loop, SIGUSR1, on_usr1, &dm);
	if (sig_int == NULL || sig_term == NULL || sig_hup == NULL ||
	    sig_usr1 == NULL)
		goto out;
	log_info("daemon", "quantd %s starting: %zu plugin(s), %zu refused, "
		"%zu instance(s), control socket %s", PACKAGE_VERSION,
		plugin_count(dm.reg), plugin_refusal_count(dm.reg),
		c->n_instances, c->control_socket);
	host_apply(dm.host, c, dm.reg);
	web_instances_applied(dm.web);
	c = NULL;
	host_when_settled(dm.host, say_ready, &dm);
	rc = loop_run(dm.loop) == 0 ? QD_EXIT_OK : QD_EXIT_FAILURE;
	log_info("daemon", "stopped");
out:
	loop_signal_free(sig_int);
	loop_signal_free(sig_term);
	loop_signal_free(sig_hup);
	loop_signal_free(sig_usr1);
	/* Its children are killed and its rows written; the loop's timers
	 * still exist. */
	jobs_stop(dm.jobs);
	dm.jobs = NULL;
	host_free(dm.host);
	vault_free(dm.vault);
	/* After the notifiers stopped: what is queued is written. */
	outbox_close(dm.outbox, 10000);
	channel_book_close(dm.channels);
	/* After the instances stopped (their last state saves), before the
	 * loop goes. */
	writer_stop(dm.writer, 10000);
	web_stop(dm.web);
	store_close(dm.reader);
	free(dm.store_url);
	mailer_stop(dm.mailer);
	netc_free(dm.netc);
	if (dm.net)
		net_stop(dm.net);
	web_free(dm.web);
	ctl_close(dm.ctl);
	/* Before the bus and the loop it uses, and the registry its
	 * indicator instances come from. */
	alerts_stop(dm.alerts);
	bus_free(dm.bus);
	tape_free(dm.tape);
	loop_free(dm.loop);
	/* After the store thread (it observes commits) has stopped. */
	metrics_free(dm.metrics);
	observe_free(dm.observe);
	plugin_registry_free(dm.reg);
	config_free(c);
	diag_free(&d);
	diag_free(&w);
	log_close();
	return rc;
}
