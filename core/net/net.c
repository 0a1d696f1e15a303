/*
 * net.c -- the network thread: a libwebsockets context and its service loop.
 *
 * Work arrives from the core thread through a bounded lock-free queue
 * (loop/queue.h).  net_post() wakes lws_service() with lws_cancel_service()
 * only when the queue says the net thread is parked; the wake-up arrives on
 * this thread as LWS_CALLBACK_EVENT_WAIT_CANCELLED, where at most
 * NET_DRAIN_BATCH messages run before lws services its sockets again.  The
 * context is created before the thread starts, then serviced and destroyed on
 * the net thread alone, apart from lws_cancel_service(), which lws documents
 * as callable from any thread.  So that the core's last lws_cancel_service()
 * in net_stop() cannot meet a context being destroyed, the net thread waits
 * for the core to say it is done with the context (`core_done`) before it
 * destroys it.
 *
 * Clients and servers (exchange WebSockets, HTTPS, the API) are added to this
 * context by their areas (net_context()).
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "log/log.h"
#include "loop/queue.h"
#include "net/client_lws.h"
#include "net/net.h"

struct net {
	struct lws_context *ctx;
	struct queue *q;
	struct loop *core;
	pthread_t thread;
	sem_t core_done;      /* net_stop() will not touch ctx any more */
	int sem_ok;
	atomic_int stop;
	atomic_uint_least64_t dropped;
};

/* Run a batch of posted messages; park, or wake ourselves for the next. */
static void
net_drain(struct net *n)
{
	size_t k = queue_drain(n->q, NET_DRAIN_BATCH);

	if (k == NET_DRAIN_BATCH || queue_park(n->q))
		lws_cancel_service(n->ctx);
}

/* The context's one protocol: it only listens for our wake-ups. */
static int
net_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
	void *in, size_t len)
{
	struct net *n;

	(void)user;
	(void)in;
	(void)len;
	if (reason != LWS_CALLBACK_EVENT_WAIT_CANCELLED)
		return 0;
	n = lws_context_user(lws_get_context(wsi));
	if (n != NULL)
		net_drain(n);
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ .name = "quantd-net", .callback = net_callback },
	/* Plugins' WebSocket and HTTP clients (client.c). */
	{ .name = NETC_PROTOCOL, .callback = netc_lws_callback,
	  .rx_buffer_size = 65536 },
	{ .name = NULL, .callback = NULL }
};

/* lws log lines (errors only) to our log, without lws's trailing newline. */
static void
lws_to_log(int level, const char *line)
{
	char buf[512];
	size_t len;

	snprintf(buf, sizeof(buf), "%s", line);
	len = strlen(buf);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	log_msg(level == LLL_ERR ? QD_LOG_ERROR : QD_LOG_WARN, "lws", "%s",
		buf);
}

static pthread_once_t lws_log_once = PTHREAD_ONCE_INIT;

/* lws's log level is process-wide: set it once, before any context. */
static void
lws_log_init(void)
{
	lws_set_log_level(LLL_ERR, lws_to_log);
}

/*
 * The net thread: serve until net_stop(), run whatever was accepted before
 * it, wait until the core has made its last lws_cancel_service(), then
 * destroy the context here, where it was serviced.
 */
static void *
net_main(void *arg)
{
	struct net *n = arg;

	while (!atomic_load(&n->stop)) {
		if (lws_service(n->ctx, 0) < 0) {
			log_error("net", "lws_service failed; the net thread "
				"stops serving");
			break;
		}
	}
	while (queue_drain(n->q, SIZE_MAX) > 0)
		;
	while (sem_wait(&n->core_done) != 0)
		if (errno != EINTR) {
			log_error("net", "sem_wait: %s", strerror(errno));
			abort();   /* only with a broken semaphore */
		}
	lws_context_destroy(n->ctx);
	return NULL;
}

/* WebSockets offer permessage-deflate (RFC 7692); a venue that compresses
 * its streams (OKX, Kraken, ...) then sends a fraction of the bytes.  What
 * arrives is inflated a buffer at a time, so the message cap holds for the
 * inflated size. */
static const struct lws_extension extensions[] = {
	{ "permessage-deflate", lws_extension_callback_pm_deflate,
	  "permessage-deflate; client_max_window_bits" },
	{ NULL, NULL, NULL }
};

/*
 * Create the queue and the context on the calling thread, then start the
 * thread with every signal blocked, so that process signals reach the core
 * thread's libevent handlers and never interrupt lws's poll().  Returns NULL
 * on failure (logged) with everything made so far freed.
 */
struct net *
net_start(struct loop *core, size_t queue_slots, size_t slot_size)
{
	return net_start_ca(core, queue_slots, slot_size, NULL);
}

struct net *
net_start_ca(struct loop *core, size_t queue_slots, size_t slot_size,
	const char *ca_file)
{
	struct lws_context_creation_info info;
	sigset_t all, old;
	struct net *n;
	int rc;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		log_error("net", "out of memory starting the net thread");
		return NULL;
	}
	n->core = core;
	atomic_init(&n->stop, 0);
	atomic_init(&n->dropped, 0);
	if ((n->q = queue_new(queue_slots, slot_size)) == NULL) {
		log_error("net", "cannot allocate a queue of %zu slots of "
			"%zu bytes", queue_slots, slot_size);
		goto fail;
	}
	if (sem_init(&n->core_done, 0, 0) != 0) {
		log_error("net", "sem_init: %s", strerror(errno));
		goto fail;
	}
	n->sem_ok = 1;
	pthread_once(&lws_log_once, lws_log_init);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = n;
	info.gid = -1;
	info.uid = -1;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.extensions = extensions;
	info.client_ssl_ca_filepath = ca_file;
	/* The API server's requests (api.h): twice the 8 KiB its headers
	 * may take (api/accept.c measures them first; lws stores a few bytes
	 * more than they take on the wire), and room for as many requests in
	 * flight at once as a busy dashboard and its scripts make (lws queues
	 * connections beyond the pool). */
	info.max_http_header_data = 16384;
	info.max_http_header_pool = 256;
	if ((n->ctx = lws_create_context(&info)) == NULL) {
		log_error("net", "cannot create the libwebsockets context");
		goto fail;
	}
	sigfillset(&all);
	if ((rc = pthread_sigmask(SIG_BLOCK, &all, &old)) != 0) {
		log_error("net", "pthread_sigmask: %s", strerror(rc));
		goto fail;
	}
	rc = pthread_create(&n->thread, NULL, net_main, n);
	if (pthread_sigmask(SIG_SETMASK, &old, NULL) != 0)
		log_error("net", "cannot restore the signal mask");
	if (rc != 0) {
		log_error("net", "cannot start the net thread: %s",
			strerror(rc));
		goto fail;
	}
	return n;
fail:
	if (n->ctx != NULL)
		lws_context_destroy(n->ctx);
	if (n->sem_ok)
		sem_destroy(&n->core_done);
	queue_free(n->q);
	free(n);
	return NULL;
}

void
net_stop(struct net *n)
{
	int rc;

	if (n == NULL)
		return;
	atomic_store(&n->stop, 1);
	lws_cancel_service(n->ctx);
	/* From here on the net thread may destroy the context. */
	if (sem_post(&n->core_done) != 0) {
		log_error("net", "sem_post: %s", strerror(errno));
		abort();   /* only with a broken semaphore */
	}
	if ((rc = pthread_join(n->thread, NULL)) != 0) {
		log_error("net", "pthread_join: %s", strerror(rc));
		abort();   /* only with a broken thread handle */
	}
	sem_destroy(&n->core_done);
	queue_free(n->q);
	free(n);
}

int
net_post(struct net *n, net_msg_fn fn, void *arg, const void *msg,
	size_t len)
{
	int rc;

	if (len > queue_slot_size(n->q))
		return QD_ERR_INVALID;
	rc = queue_push(n->q, fn, arg, msg, len);
	if (rc == QUEUE_FULL) {
		atomic_fetch_add_explicit(&n->dropped, 1,
			memory_order_relaxed);
		return QD_ERR_LIMIT;
	}
	if (rc == QUEUE_WAKE)
		lws_cancel_service(n->ctx);
	return 0;
}

uint64_t
net_post_dropped(const struct net *n)
{
	return atomic_load_explicit(&n->dropped, memory_order_relaxed);
}

struct lws_context *
net_context(struct net *n)
{
	return n->ctx;
}

struct loop *
net_core(struct net *n)
{
	return n->core;
}
