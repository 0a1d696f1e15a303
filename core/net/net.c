/*
 * net.c -- the network thread: a libwebsockets context and its service loop.
 *
 * Work arrives from the core thread through a bounded queue; net_post()
 * wakes lws_service() with lws_cancel_service(), which delivers
 * LWS_CALLBACK_EVENT_WAIT_CANCELLED on this thread, where the queue is
 * drained.  Clients and servers (exchange WebSockets, HTTPS, the API) are
 * added to this context by their areas.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "log/log.h"
#include "loop/queue.h"
#include "net/net.h"

struct net {
	struct lws_context *ctx;
	struct queue *q;
	struct loop *core;
	pthread_t thread;
	int started;
	atomic_int stop;
};

static int
net_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
	void *in, size_t len)
{
	struct net *n;

	(void)user;
	(void)in;
	(void)len;
	if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
		n = lws_context_user(lws_get_context(wsi));
		if (n != NULL)
			queue_drain(n->q, SIZE_MAX);
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "quantd-net", net_callback, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void
lws_to_log(int level, const char *line)
{
	char buf[512];
	size_t len;

	snprintf(buf, sizeof(buf), "%s", line);
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	log_msg(level == LLL_ERR ? QD_LOG_ERROR : QD_LOG_WARN, "lws", "%s", buf);
}

static void *
net_main(void *arg)
{
	struct net *n = arg;

	while (!atomic_load(&n->stop))
		if (lws_service(n->ctx, 0) < 0)
			break;
	return NULL;
}

struct net *
net_start(struct loop *core, size_t queue_slots, size_t slot_size)
{
	struct lws_context_creation_info info;
	struct net *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->core = core;
	atomic_init(&n->stop, 0);
	if ((n->q = queue_new(queue_slots, slot_size)) == NULL)
		goto fail;
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_to_log);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = n;
	info.gid = -1;
	info.uid = -1;
	if ((n->ctx = lws_create_context(&info)) == NULL) {
		log_error("net", "cannot create the libwebsockets context");
		goto fail;
	}
	if (pthread_create(&n->thread, NULL, net_main, n) != 0) {
		log_error("net", "cannot start the net thread");
		goto fail;
	}
	n->started = 1;
	return n;
fail:
	if (n->ctx)
		lws_context_destroy(n->ctx);
	queue_free(n->q);
	free(n);
	return NULL;
}

void
net_stop(struct net *n)
{
	if (n == NULL)
		return;
	atomic_store(&n->stop, 1);
	lws_cancel_service(n->ctx);
	if (n->started)
		pthread_join(n->thread, NULL);
	lws_context_destroy(n->ctx);
	queue_free(n->q);
	free(n);
}

int
net_post(struct net *n, net_msg_fn fn, void *arg, const void *msg,
	size_t len)
{
	if (len > queue_slot_size(n->q))
		return QD_ERR_INVALID;
	if (queue_push(n->q, fn, arg, msg, len) != 0)
		return QD_ERR_LIMIT;
	lws_cancel_service(n->ctx);
	return 0;
}
