/*
 * observe.c -- the daemon's metrics, read from the areas' own counters.
 *
 * Each render calls the read families in registration order.  The first,
 * quantd_build_info, takes a snapshot of every area's counters; the
 * others read that snapshot, so one scrape costs one writer_stats(), one
 * oms_stats() and so on, and its figures are of one moment.
 */
#include "config.h"

#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bus/bus.h"
#include "daemon/observe.h"
#include "host/host.h"
#include "loop/loop.h"
#include "market/candles.h"
#include "metrics/metrics.h"
#include "net/net.h"
#include "sandbox/sandbox.h"
#include "store/store.h"
#include "store/writer.h"
#include "trade/journal.h"
#include "trade/oms.h"
#include "trade/risk.h"

/* Every figure of one scrape. */
struct snapshot {
	struct bus_stats bus;
	struct candles_stats candles;
	struct writer_stats store;
	int have_store;
	struct journal_stats journal;
	struct oms_stats oms;
	int have_oms;
	size_t halted[RISK_N_SCOPES];
	struct sandbox_stats sandbox;
	uint64_t net_dropped;
	uint64_t ingest_paused;
	double rss, vsize, cpu, fds;
};

struct scalar;

/* A single figure's callback argument: the figure and where to read it. */
struct scalar_ref {
	const struct scalar *sc;
	const struct observe *o;
};

struct observe {
	struct observe_sources *src;
	double start_time;
	struct snapshot s;
	struct scalar_ref *refs;
};

static const char *const scope_names[RISK_N_SCOPES] = {
	"global", "account", "instance"
};

static int
count_halted(void *arg, enum risk_scope scope, const char *id,
	const struct risk_state *st)
{
	size_t *halted = arg;

	(void)id;
	if (st->halted && scope < RISK_N_SCOPES)
		halted[scope]++;
	return 0;
}

/* Resident and virtual size from /proc/self/statm, CPU time, open fds. */
static void
process_facts(struct snapshot *s)
{
	unsigned long long size = 0, resident = 0;
	long page = sysconf(_SC_PAGESIZE);
	struct rusage ru;
	struct dirent *de;
	FILE *f;
	DIR *d;

	if ((f = fopen("/proc/self/statm", "r")) != NULL) {
		if (fscanf(f, "%llu %llu", &size, &resident) != 2)
			size = resident = 0;
		fclose(f);
	}
	s->vsize = (double)size * (double)page;
	s->rss = (double)resident * (double)page;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		s->cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
			(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	s->fds = 0;
	if ((d = opendir("/proc/self/fd")) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				s->fds++;
		s->fds--;        /* the directory's own */
		closedir(d);
	}
}

static void
take_snapshot(struct observe *o)
{
	struct observe_sources *src = o->src;
	struct snapshot *s = &o->s;
	struct oms *oms;

	memset(s, 0, sizeof(*s));
	if (src->bus != NULL)
		bus_stats_get(src->bus, &s->bus);
	if (src->host != NULL) {
		host_candles_stats(src->host, &s->candles);
		host_journal_stats(src->host, &s->journal);
		s->ingest_paused = host_ingest_paused(src->host);
		if ((oms = host_oms(src->host)) != NULL) {
			oms_stats(oms, &s->oms);
			s->have_oms = 1;
			risk_each_state(oms_risk(oms), count_halted,
				s->halted);
		}
	}
	if (src->writer != NULL) {
		writer_stats(src->writer, &s->store);
		s->have_store = 1;
	}
	if (src->net != NULL)
		s->net_dropped = net_post_dropped(src->net);
	sandbox_stats(&s->sandbox);
	process_facts(s);
}

static void
build_info(void *arg, struct metrics_emit *e)
{
	take_snapshot(arg);
	metrics_emit(e, (const char *[]){ PACKAGE_VERSION }, 1);
}

/* ---- single figures --------------------------------------------------------- */

/* One unlabelled figure of the snapshot: a double, or a uint64_t / size_t
 * counter (`kind` 'd', 'u', 'z'), present only when `need` is set. */
struct scalar {
	const char *name, *help;
	enum metrics_type type;
	size_t offset;
	char kind;
	size_t need;       /* offset of an int that must be set, or 0 */
};

#define SNAP(f) offsetof(struct snapshot, f)
#define U(name, help, field) \
	{ name, help, METRICS_COUNTER, SNAP(field), 'u', 0 }
#define STORE(name, help, type, field, kind) \
	{ name, help, type, SNAP(store.field), kind, SNAP(have_store) }

static const struct scalar scalars[] = {
	{ "quantd_process_resident_memory_bytes", "Resident memory size "
	  "(from /proc/self/statm).", METRICS_GAUGE, SNAP(rss), 'd', 0 },
	{ "quantd_process_virtual_memory_bytes", "Virtual memory size.",
	  METRICS_GAUGE, SNAP(vsize), 'd', 0 },
	{ "quantd_process_open_fds", "Open file descriptors.", METRICS_GAUGE,
	  SNAP(fds), 'd', 0 },
	{ "quantd_process_cpu_seconds_total", "User and system CPU time.",
	  METRICS_COUNTER, SNAP(cpu), 'd', 0 },
	U("quantd_bus_handler_calls_total", "Event handler calls made by the "
	  "bus.", bus.delivered),
	U("quantd_bus_events_dropped_total", "Events published from inside a "
	  "handler that could not be queued (dropped).", bus.dropped),
	U("quantd_candles_trades_total", "Trades aggregated into candles.",
	  candles.trades),
	U("quantd_candles_late_trades_total", "Trades older than the open 1m "
	  "bar (not aggregated).", candles.late),
	U("quantd_candles_klines_total", "Venue 1m klines taken as bars.",
	  candles.klines),
	U("quantd_candles_kline_divergences_total", "Venue 1m klines unlike "
	  "the bar their trades built.", candles.divergences),
	U("quantd_feed_ingest_paused_total", "Exchange timer ticks skipped "
	  "because the store was behind.", ingest_paused),
	STORE("quantd_store_queue_rows", "Rows in the store writer's queue.",
	  METRICS_GAUGE, queued, 'z'),
	STORE("quantd_store_backlog_rows", "Rows in the core-side backlog "
	  "while the queue is full.", METRICS_GAUGE, backlog, 'z'),
	STORE("quantd_store_rows_written_total", "Candles and trades "
	  "committed.", METRICS_COUNTER, rows_written, 'u'),
	STORE("quantd_store_states_written_total", "Plugin states committed.",
	  METRICS_COUNTER, states_written, 'u'),
	STORE("quantd_store_batches_total", "Transactions committed.",
	  METRICS_COUNTER, batches, 'u'),
	STORE("quantd_store_failures_total", "Failed write attempts (each "
	  "retried).", METRICS_COUNTER, failures, 'u'),
	STORE("quantd_store_reconnects_total", "Database connections "
	  "re-established.", METRICS_COUNTER, reconnects, 'u'),
	STORE("quantd_store_rows_dropped_total", "Rows dropped past the "
	  "backlog.", METRICS_COUNTER, dropped, 'u'),
	STORE("quantd_store_rows_invalid_total", "Rows refused as malformed.",
	  METRICS_COUNTER, invalid, 'u'),
	STORE("quantd_store_healthy", "1 when the last write attempt "
	  "succeeded.", METRICS_GAUGE, healthy, 'i'),
	U("quantd_journal_records_total", "Trading records made durable.",
	  journal.records),
	U("quantd_journal_commits_total", "Trading journal transactions.",
	  journal.commits),
	U("quantd_journal_failures_total", "Failed journal attempts (each "
	  "retried).", journal.failures),
	{ "quantd_journal_queue_records", "Trading records waiting to be "
	  "written.", METRICS_GAUGE, SNAP(journal.queued), 'z', 0 },
	U("quantd_orders_submitted_total", "Orders accepted from strategies "
	  "and the API.", oms.submitted),
	U("quantd_orders_refused_total", "Orders refused (invalid, funds, "
	  "risk).", oms.refused),
	U("quantd_orders_sent_total", "Orders handed to a venue or the paper "
	  "engine.", oms.sent),
	U("quantd_order_fills_total", "Fills applied.", oms.fills),
	U("quantd_order_duplicate_fills_total", "Fills seen again and "
	  "ignored.", oms.duplicate_fills),
	{ "quantd_orders_waiting_durable", "Orders waiting for the journal "
	  "before they are sent.", METRICS_GAUGE, SNAP(oms.waiting_durable),
	  'z', 0 },
	U("quantd_risk_refusals_total", "Orders refused by a pre-trade risk "
	  "rule.", oms.risk_refusals),
	U("quantd_risk_trips_total", "Breaches of a continuous risk rule "
	  "(halt, cancel or close).", oms.risk_breaches),
	U("quantd_risk_halts_total", "Risk breaches that halted trading in "
	  "their scope.", oms.risk_halts),
	U("quantd_sandbox_children_lost_total", "Sandboxed children that "
	  "ended unasked (crash, kill, hang, violation).", sandbox.lost),
	U("quantd_sandbox_violations_total", "Sandboxed children killed for a "
	  "forbidden system call.", sandbox.violations),
	U("quantd_sandbox_restarts_total", "Sandboxed children restarted.",
	  sandbox.restarts),
	U("quantd_sandbox_failures_total", "Sandboxed instances given up on.",
	  sandbox.failed),
	U("quantd_net_queue_dropped_total", "Messages to the net thread "
	  "refused because its queue was full.", net_dropped),
};

static void
emit_scalar(void *arg, struct metrics_emit *e)
{
	const struct scalar_ref *ref = arg;
	const struct scalar *sc = ref->sc;
	const char *base = (const char *)&ref->o->s;
	double v;

	if (sc->need && !*(const int *)(base + sc->need))
		return;
	switch (sc->kind) {
	case 'u': v = (double)*(const uint64_t *)(base + sc->offset); break;
	case 'z': v = (double)*(const size_t *)(base + sc->offset); break;
	case 'i': v = *(const int *)(base + sc->offset); break;
	default: v = *(const double *)(base + sc->offset); break;
	}
	metrics_emit(e, NULL, v);
}

static void
start_time(void *arg, struct metrics_emit *e)
{
	metrics_emit(e, NULL, ((struct observe *)arg)->start_time);
}

static void
store_last_commit(void *arg, struct metrics_emit *e)
{
	const struct observe *o = arg;

	if (o->s.have_store && o->s.store.last_commit_ms > 0)
		metrics_emit(e, NULL, (double)o->s.store.last_commit_ms / 1e3);
}

/* ---- labelled figures --------------------------------------------------------- */

static const char *const topic_names[BUS_TOPIC_COUNT] = {
	"trade", "bar", "book_top", "order_update", "fill", "alert",
	"plugin_state", "bar_partial"
};

static void
bus_published(void *arg, struct metrics_emit *e)
{
	const struct observe *o = arg;
	int i;

	for (i = 0; i < BUS_TOPIC_COUNT; i++)
		metrics_emit(e, (const char *[]){ topic_names[i] },
			(double)o->s.bus.published[i]);
}

static void
candles_closed(void *arg, struct metrics_emit *e)
{
	const struct observe *o = arg;
	const char *tf;
	int i;

	for (i = 0; i < CANDLE_TFS; i++)
		if ((tf = store_timeframe_label(candle_tf_seconds[i])) != NULL)
			metrics_emit(e, (const char *[]){ tf },
				(double)o->s.candles.closed_tf[i]);
}

static void
candles_last_close(void *arg, struct metrics_emit *e)
{
	const struct observe *o = arg;
	const char *tf;
	int i;

	for (i = 0; i < CANDLE_TFS; i++)
		if (o->s.candles.last_open[i] > 0 &&
		    (tf = store_timeframe_label(candle_tf_seconds[i])) != NULL)
			metrics_emit(e, (const char *[]){ tf },
				(double)o->s.candles.last_open[i] / 1e9 +
				candle_tf_seconds[i]);
}

static const char *const order_states[OMS_STATES] = {
	NULL, "created", "pending", "partial", "filled", "canceled",
	"rejected", "expired"
};

static void
orders_entered(void *arg, struct metrics_emit *e)
{
	const struct observe *o = arg;
	int i;

	if (!o->s.have_oms)
		return;
	for (i = 1; i < OMS_STATES; i++)
		metrics_emit(e, (const char *[]){ order_states[i] },
			(double)o->s.oms.entered[i]);
}

static void
orders_open(void *arg, struct metrics_emit *e)
{
	const struct observe *o = arg;
	int i;

	if (!o->s.have_oms)
		return;
	for (i = QD_ORDER_CREATED; i <= QD_ORDER_PARTIAL; i++)
		metrics_emit(e, (const char *[]){ order_states[i] },
			(double)o->s.oms.open_by_state[i]);
}

static void
halted_scopes(void *arg, struct metrics_emit *e)
{
	const struct observe *o = arg;
	int i;

	for (i = 0; i < RISK_N_SCOPES; i++)
		metrics_emit(e, (const char *[]){ scope_names[i] },
			(double)o->s.halted[i]);
}

static void
instances_by_state(void *arg, struct metrics_emit *e)
{
	static const enum bus_plugin_state states[] = {
		PLUGIN_STATE_CREATED, PLUGIN_STATE_RUNNING,
		PLUGIN_STATE_STOPPED, PLUGIN_STATE_RESTARTING,
		PLUGIN_STATE_FAILED
	};
	const struct observe *o = arg;
	struct host_instance_info info;
	size_t i, k, n[sizeof(states) / sizeof(states[0])] = { 0 };

	if (o->src->host == NULL)
		return;
	for (i = 0; i < host_instance_count(o->src->host); i++)
		if (host_instance_info(o->src->host, i, &info) == 0)
			for (k = 0; k < sizeof(states) / sizeof(states[0]); k++)
				if (info.state == states[k])
					n[k]++;
	for (k = 0; k < sizeof(states) / sizeof(states[0]); k++)
		metrics_emit(e, (const char *[]){ host_state_name(states[k]) },
			(double)n[k]);
}

/* Exchange instances: fn(e, info) for each. */
static void
each_exchange(const struct observe *o, struct metrics_emit *e,
	void (*fn)(struct metrics_emit *e, const struct host_instance_info *i))
{
	struct host_instance_info info;
	size_t i;

	if (o->src->host == NULL)
		return;
	for (i = 0; i < host_instance_count(o->src->host); i++)
		if (host_instance_info(o->src->host, i, &info) == 0 &&
		    info.kind == QD_KIND_EXCHANGE)
			fn(e, &info);
}

static void
feed_counts(struct metrics_emit *e, const struct host_instance_info *i)
{
	metrics_emit(e, (const char *[]){ i->instance, "trade" },
		(double)i->trades);
	metrics_emit(e, (const char *[]){ i->instance, "bar" },
		(double)i->bars);
	metrics_emit(e, (const char *[]){ i->instance, "book_top" },
		(double)i->book_tops);
}

static void
feed_last(struct metrics_emit *e, const struct host_instance_info *i)
{
	if (i->last_emit > 0)
		metrics_emit(e, (const char *[]){ i->instance },
			(double)i->last_emit / 1e9);
}

static void
feed_messages(void *arg, struct metrics_emit *e)
{
	each_exchange(arg, e, feed_counts);
}

static void
feed_last_message(void *arg, struct metrics_emit *e)
{
	each_exchange(arg, e, feed_last);
}

/* ---- registration --------------------------------------------------------------- */

struct read_family {
	const char *name, *help;
	enum metrics_type type;
	const char *labels[2];
	size_t n_labels;
	metrics_collect_fn fn;
};

static const struct read_family read_families[] = {
	{ "quantd_bus_events_published_total", "Events published on the bus, "
	  "by topic.", METRICS_COUNTER, { "topic" }, 1, bus_published },
	{ "quantd_candles_closed_total", "Candles closed, by timeframe.",
	  METRICS_COUNTER, { "timeframe" }, 1, candles_closed },
	{ "quantd_candles_last_close_timestamp_seconds", "End time of the "
	  "newest candle closed, by timeframe (time() minus it: the lag).",
	  METRICS_GAUGE, { "timeframe" }, 1, candles_last_close },
	{ "quantd_feed_messages_total", "Market data messages emitted by each "
	  "exchange instance, by type.", METRICS_COUNTER,
	  { "exchange", "type" }, 2, feed_messages },
	{ "quantd_feed_last_message_timestamp_seconds", "Wall-clock time of "
	  "each exchange instance's latest market data message.",
	  METRICS_GAUGE, { "exchange" }, 1, feed_last_message },
	{ "quantd_orders_total", "Orders that entered each state.",
	  METRICS_COUNTER, { "state" }, 1, orders_entered },
	{ "quantd_orders_open", "Open orders, by state.", METRICS_GAUGE,
	  { "state" }, 1, orders_open },
	{ "quantd_risk_halted_scopes", "Risk scopes halted now, by kind of "
	  "scope.", METRICS_GAUGE, { "scope" }, 1, halted_scopes },
	{ "quantd_plugin_instances", "Plugin instances, by state.",
	  METRICS_GAUGE, { "state" }, 1, instances_by_state },
	{ "quantd_process_start_time_seconds", "Start time of the process, "
	  "seconds since the epoch.", METRICS_GAUGE, { NULL }, 0, start_time },
	{ "quantd_store_last_commit_timestamp_seconds", "Wall-clock time of "
	  "the store's last commit.", METRICS_GAUGE, { NULL }, 0,
	  store_last_commit },
};

struct observe *
observe_register(struct metrics *m, struct observe_sources *src)
{
	static const char *const version[] = { "version" };
	const size_t n_scalars = sizeof(scalars) / sizeof(scalars[0]);
	struct metrics_family *f;
	struct observe *o;
	size_t i;

	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (o->refs = calloc(n_scalars, sizeof(*o->refs))) == NULL)
		goto fail;
	o->src = src;
	o->start_time = (double)loop_now_ns() / 1e9;
	/* First: its callback takes the snapshot the others read. */
	if (metrics_collect(m, "quantd_build_info", "The quantd version "
	    "running (value 1).", METRICS_GAUGE, version, 1, build_info,
	    o) == NULL)
		goto fail;
	for (i = 0; i < sizeof(read_families) / sizeof(read_families[0]);
	    i++) {
		const struct read_family *r = &read_families[i];

		if (metrics_collect(m, r->name, r->help, r->type, r->labels,
		    r->n_labels, r->fn, o) == NULL)
			goto fail;
	}
	for (i = 0; i < n_scalars; i++) {
		o->refs[i].sc = &scalars[i];
		o->refs[i].o = o;
		if (metrics_collect(m, scalars[i].name, scalars[i].help,
		    scalars[i].type, NULL, 0, emit_scalar, &o->refs[i]) ==
		    NULL)
			goto fail;
	}
	f = metrics_latency_family(m, "quantd_store_commit_duration_seconds",
		"Time to write one batch of the store (a transaction or COPY), "
		"committed ones only.", NULL, 0, 1);
	if (f == NULL || (src->commit_latency = metrics_histogram(f, NULL)) ==
	    NULL)
		goto fail;
	f = metrics_latency_family(m, "quantd_journal_commit_duration_seconds",
		"Time to write one transaction of the trading journal (orders "
		"wait for it before they are sent), committed ones only.", NULL,
		0, 1);
	if (f == NULL || (src->journal_latency = metrics_histogram(f, NULL)) ==
	    NULL)
		goto fail;
	return o;
fail:
	observe_free(o);
	return NULL;
}

void
observe_free(struct observe *o)
{
	if (o == NULL)
		return;
	free(o->refs);
	free(o);
}
