/*
 * internal.h -- what the API's files share (server.c: HTTP; ws.c:
 * WebSocket): the connection, the server, the ordered list of what the
 * core thread hands the net thread.  Not part of the API's contract.
 */
#ifndef QD_API_INTERNAL_H
#define QD_API_INTERNAL_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "api/api.h"

#define API_BUCKETS 1024          /* hash of open transactions */
#define API_SLICE (64 * 1024)     /* body bytes per writeable callback */
#define API_QBUF 4096             /* query parameters, decoded */
#define API_HDR 1024              /* one header's value */
#define API_PEER 64               /* a client's address, as text */
#define API_HEADER_MAX 8192       /* a request's headers, request line
                                     included (accept.c) */
#define API_ACCEPT_PROTOCOL "quantd-accept"

/* A cached answer's body, shared by the cache and the connections sending
 * it; immutable once made but for its head room, which only the net thread
 * writes: lws_write's LWS_PRE scratch bytes, and before the body the
 * headers of the answer being sent, so that both go in one send (lws
 * copies whatever the socket does not take at once). */
#define API_PAGE_ROOM 2048
#define API_PAGE_HEAD (LWS_PRE + API_PAGE_ROOM)
struct api_page {
	atomic_int refs;
	size_t len;
	char data[];        /* API_PAGE_HEAD bytes, the body and a NUL */
};
/* Where a page's body starts. */
#define API_PAGE_BODY(p) ((p)->data + API_PAGE_HEAD)

/* One entry of the cache (cache.c), under api.cache_mu. */
struct api_cached {
	char *key;
	struct api_page *page;
	int64_t until_ns;   /* dropped after (CLOCK_REALTIME, loop_now_ns) */
};

/* What the core thread hands the net thread, in order. */
enum answer_kind {
	ANSWER_HTTP,        /* a request's answer */
	ANSWER_WS_SEND,     /* one client: buf */
	ANSWER_WS_SUB,      /* subscribe conn to channel */
	ANSWER_WS_UNSUB,
	ANSWER_WS_DELAY,    /* status = the delay, ms */
	ANSWER_WS_CLOSE,    /* status = the close code, channel = reason */
	ANSWER_PUBLISH,     /* every subscriber of channel: buf */
};

struct answer {
	struct answer *next;
	enum answer_kind kind;
	uint64_t conn;
	int status;
	int retry_after;
	char *body;         /* HTTP: LWS_PRE bytes, then the body */
	struct api_page *page;  /* HTTP: or a cached page (a reference) */
	size_t len;
	int file, fd;       /* HTTP: or (file) len bytes of fd, sent through
	                       body (room for a slice) */
	char ctype[64];
	struct wsbuf *buf;  /* WebSocket messages */
	char *channel;
};

/* A WebSocket message shared by the clients it goes to (net thread's
 * reference count once handed over). */
struct wsbuf {
	int refs;
	size_t len;
	unsigned char data[];   /* LWS_PRE bytes, then the text */
};

/* A WebSocket client's queue entry. */
struct wsq {
	struct wsbuf *b;
	int64_t due_ns;
};

struct nchan;

enum conn_state {
	CONN_IDLE,
	CONN_BODY,        /* reading a request body */
	CONN_CORE,        /* waiting for the core thread */
	CONN_WRITE,       /* writing an answer */
};

/* Per HTTP connection (lws's per-session data), reset per transaction. */
struct conn {
	struct conn *next;          /* hash chain */
	struct api *api;
	struct lws *wsi;
	uint64_t id;                /* 0: not in the hash */
	enum conn_state state;
	enum api_method method;
	int route;
	int close_after;            /* the body was not read: close */
	int headers_sent;
	int64_t t0_ns;
	char path[512];
	char *body;
	size_t body_len, body_cap;
	size_t body_expect;
	/* the answer */
	int status;
	int retry_after;
	unsigned allow;
	char ctype[64];
	char *out;                  /* LWS_PRE bytes, then the body */
	struct api_page *page;      /* or a cached page sent (a reference) */
	size_t out_len, out_off;
	int file, fd;               /* or (file) out_len bytes of fd, read a
	                               slice at a time into out */
	/* a WebSocket client */
	int ws;
	struct nchan *subs[API_WS_MAX_SUBS];
	size_t n_subs;
	struct wsq *q;              /* ring */
	size_t q_head, q_len, q_cap;
	unsigned delay_ms;
	char *rx;                   /* a message being received */
	size_t rx_len;
	int closing;                /* close code to send, or 0 */
	char close_reason[64];
};

struct api {
	struct net *net;
	struct loop *core;
	struct lws_context *ctx;
	struct lws_vhost *vh;
	api_handler_fn fn;
	void *fn_arg;
	char *listen_host;
	int port;
	int listen_fd;              /* until lws has it, else -1 */
	struct lws *listen_wsi;     /* net thread (accept.c) */
	int accept_paused;          /* net thread: out of descriptors */
	char *tls_cert, *tls_key;
	char *static_root;          /* realpath of static_dir, or NULL */
	char *cors;
	size_t body_max;
	unsigned timeout_s;
	atomic_int ready;
	pthread_mutex_t mu;
	struct answer *answers, **answers_tail;
	struct api_request *owed;   /* requests not answered yet */
	/* net thread only */
	struct conn *open[API_BUCKETS];
	uint64_t next_id;
	struct nchan *chans[API_BUCKETS];   /* channel -> its subscribers */
	/* core thread only */
	api_ws_fn ws_fn;
	void *ws_arg;
	struct cchan *cchans[API_BUCKETS];  /* channel -> subscriber count */
	struct cconn *cconns[API_BUCKETS];  /* client -> its channels */
	/* api_start/api_stop wait for the net thread */
	sem_t done;
	int ok;
	atomic_int stopped;         /* api_stop() ran: callbacks do nothing */
	struct lws_protocols protocols[3];
	/* metrics (NULL without a registry) */
	struct metrics_family *m_requests;
	struct metrics_family *m_latency;
	struct metrics_gauge *m_ws_clients;
	struct metrics_counter *m_ws_slow;
	struct metrics_counter *m_cached[2];  /* answers from the cache: on
	                                         the net thread, the core's */
	/* answers kept (cache.c) and the gate in front of them */
	pthread_mutex_t cache_mu;
	struct api_cached cache[API_CACHE_SLOTS];
	size_t cache_next;
	api_gate_fn gate;
	void *gate_arg;
};

struct cchan;
struct cconn;

/* server.c */
void api_hand_over(struct api *a, struct answer *x);
uint64_t api_open_add(struct api *a, struct conn *c);
void api_open_del(struct api *a, struct conn *c);
struct conn *api_open_find(struct api *a, uint64_t id);
unsigned api_hash(const char *s);

/* accept.c: open the listening socket (api_start: its errors go to `err`),
 * give it to lws' loop (net thread, once the vhost exists); the accept
 * protocol's callback */
int api_listen_open(struct api *a, char *err, size_t errlen);
int api_listen_adopt(struct api *a);
size_t api_accept_session_size(void);
int api_accept_callback(struct lws *wsi, enum lws_callback_reasons reason,
	void *user, void *in, size_t len);

/* cache.c */
void api_cache_init(struct api *a);
void api_cache_free(struct api *a);
struct api_page *api_cache_find(struct api *a, const char *key);
void api_page_unref(struct api_page *p);
/* server.c: answer `req` with a cached page, taking the reference over */
void api_respond_page(struct api_request *req, struct api_page *page);

/* ws.c: net thread */
int api_ws_filter(struct api *a, struct lws *wsi);
void api_ws_established(struct api *a, struct conn *c);
int api_ws_receive(struct conn *c, const void *in, size_t len);
int api_ws_writeable(struct conn *c);
void api_ws_timer(struct conn *c);
void api_ws_closed(struct conn *c);
void api_ws_apply(struct api *a, struct answer *x);
/* ws.c: freeing what is left at api_stop() */
void api_ws_free_all(struct api *a);

#endif
