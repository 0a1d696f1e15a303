/*
 * net -- the network thread: one libwebsockets context serving every
 * WebSocket client, outgoing HTTP(S) request and (later) the API server.
 *
 * Debian's libwebsockets has no libevent integration, so lws runs its own
 * service loop in this thread.  The core thread hands it work with
 * net_post() (bounded lock-free queue + lws_cancel_service() wake-up, only
 * when the net thread may be asleep); the net thread hands results back with
 * loop_post().  lws's own log lines are reduced to errors and go to log_msg
 * with the tag "lws".
 */
#ifndef QD_NET_H
#define QD_NET_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct net;
struct lws_context;

typedef void (*net_msg_fn)(void *arg, void *msg, size_t len);

/** Posted messages run per wake-up of the net thread, at most, before lws
 *  services its sockets again. */
#define NET_DRAIN_BATCH 256

/**
 * Start the net thread with a client-only lws context (no listening vhost
 * yet; TLS initialised for wss:// and https:// clients) and a queue of
 * `queue_slots` messages of at most `slot_size` bytes.  `core` is the loop
 * results go back to.  Returns NULL on failure (logged).
 */
struct net *net_start(struct loop *core, size_t queue_slots, size_t slot_size);
/** net_start() with TLS peers checked against the CA certificates of
 *  `ca_file` (PEM) instead of the system's store; NULL: the system's. */
struct net *net_start_ca(struct loop *core, size_t queue_slots,
	size_t slot_size, const char *ca_file);

/**
 * Stop the thread and free everything.  Core thread.  Every message accepted
 * by net_post() has run on the net thread by the time net_stop() returns
 * (unless lws_service() failed earlier, which is logged: then what is still
 * queued is discarded).
 */
void net_stop(struct net *n);

/**
 * From the core thread (or another producer thread: the queue takes many):
 * run fn(arg, copy of msg) on the net thread, in
 * posting order.  Never blocks and never allocates.  Returns 0, QD_ERR_LIMIT
 * when the queue is full (nothing queued, counted in net_post_dropped()),
 * QD_ERR_INVALID if len > slot size.  `msg` may be NULL when len is 0.
 */
int net_post(struct net *n, net_msg_fn fn, void *arg, const void *msg,
	size_t len);

/** Messages refused by net_post() because the queue was full. */
uint64_t net_post_dropped(const struct net *n);

/** The lws context, for areas that add clients and vhosts to it.  Use it on
 *  the net thread only (from a net_post() callback). */
struct lws_context *net_context(struct net *n);

/** The core loop given to net_start(), for posting results back. */
struct loop *net_core(struct net *n);

#endif
