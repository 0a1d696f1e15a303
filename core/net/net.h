/*
 * net -- the network thread: one libwebsockets context serving every
 * WebSocket client, outgoing HTTP(S) request and (later) the API server.
 *
 * Debian's libwebsockets has no libevent integration, so lws runs its own
 * service loop in this thread.  The core thread hands it work with
 * net_post() (bounded queue + lws_cancel_service() wake-up); the net thread
 * hands results back with loop_post().
 */
#ifndef QD_NET_H
#define QD_NET_H

#include <stddef.h>

struct loop;
struct net;

typedef void (*net_msg_fn)(void *arg, void *msg, size_t len);

/** Start the net thread.  Returns NULL on failure (logged). */
struct net *net_start(struct loop *core, size_t queue_slots, size_t slot_size);

/** Stop the thread and free everything.  Core thread. */
void net_stop(struct net *n);

/**
 * From the core thread: run fn(arg, copy of msg) on the net thread.  Returns 0,
 * QD_ERR_LIMIT when the queue is full, QD_ERR_INVALID if len > slot size.
 */
int net_post(struct net *n, net_msg_fn fn, void *arg, const void *msg,
	size_t len);

#endif
