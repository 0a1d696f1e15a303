/*
 * web -- the daemon's side of the API server (core thread): REST requests
 * run as control commands, WebSocket clients' subscriptions with their
 * snapshots, and the bus's events published to the channels that have
 * subscribers.
 *
 * Channels (symbols as BASE-QUOTE; BASE/QUOTE is accepted too):
 *   trades.{symbol}           every trade of every venue, live
 *   candles.{tf}.{symbol}     candles of a timeframe: the open one as it
 *                             changes ("final":false, 4/s at most) and the
 *                             closed one ("final":true)
 *   orders                    order updates and fills; a trailing stop's
 *                             stop_price as it moves ("levels")
 *   positions                 every account's open positions, then the
 *                             position a fill changed (trade.positions),
 *                             and one whose sl_price/tp_price moved
 *   instances                 instances' states; "removed" by a reload
 *   risk                      risk actions and alerts
 *   logs                      admins: the daemon's log lines as written,
 *                             at a level ("level" in the subscription),
 *                             from a bounded tail (lines dropped when it
 *                             is full are counted and reported)
 *   notifications             the caller's notifications (admins: also
 *                             the operators')
 * A subscription answers with a snapshot (the recent trades or candles the
 * daemon holds, the open orders, the positions, the risk status), then
 * the deltas.  Prune and vacuum run on their own worker (maint.h).
 * Client messages: {"op":"subscribe"|"unsubscribe","channel":C},
 * {"op":"auth","token":T}, {"op":"ping"}; answers carry "type":
 * "subscribed", "unsubscribed", "snapshot", "pong", "error".
 */
#ifndef QD_WEB_H
#define QD_WEB_H

#include <cjson/cJSON.h>

#include "ctl/ctl.h"

struct api;
struct bus;
struct config;
struct loop;
struct metrics;
struct net;
struct outbox;
struct tape;
struct tape_event;
struct web;

/**
 * Start the API server of configuration `c` (NULL is returned, not an
 * error, when the API is off: *off is set).  `ctl` runs a control command
 * as the control socket does; `metrics` (or NULL) is what /metrics renders
 * and where the API counts its requests.  NULL with *off == 0: failed
 * (logged).
 */
struct web *web_start(const struct config *c, struct net *n,
	struct loop *core, struct bus *bus, struct tape *tape,
	struct metrics *metrics, ctl_handler ctl, void *ctl_arg, int *off);

/** Push the outbox's notifications to the dashboards of their users
 *  (channel "notifications"; admins also get the operators'). */
void web_attach_outbox(struct web *w, struct outbox *ob);

struct jobs;
/** Push job state and progress changes to the dashboards of their users
 *  (channel "jobs"), and serve the jobs' files (result, report, trades)
 *  read on the jobs' keeper thread (jobs_read()). */
void web_attach_jobs(struct web *w, struct jobs *j);

struct host;
/** Push what strategy instances annotate to the dashboards following
 *  them (channel "annotations.{instance}"). */
void web_attach_host(struct web *w, struct host *h);

/** The host applied a configuration (at start and each reload): the
 *  instances it removed are told to the instances channel. */
void web_instances_applied(struct web *w);

/** The daemon is ready (/readyz). */
void web_ready(struct web *w);

/** Stop the server (NULL: nothing).  Before net_stop(). */
void web_stop(struct web *w);

/** Free what web_stop() left, after net_stop().  NULL: nothing. */
void web_free(struct web *w);

/** A market event of the tape as the API and `market.recent` show it. */
cJSON *web_event_json(const struct tape_event *e);

#endif
