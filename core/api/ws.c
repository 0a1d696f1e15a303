/*
 * ws.c -- the API's WebSocket clients at /ws (see api.h).
 *
 * Core thread: the subscriber count of each channel (api_wanted) and the
 * channels of each client, kept as the core subscribes and unsubscribes;
 * every call becomes an answer handed to the net thread in order.  Net
 * thread: each channel's subscribers; each client's queue of shared
 * messages (a publish is one allocation, referenced by every queue it
 * reaches), written one message per writeable callback; a delayed client's
 * head waits for its due time on the connection's timer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "api/api.h"
#include "api/internal.h"
#include "log/log.h"
#include "loop/loop.h"
#include "metrics/metrics.h"

/* ---- core thread: who is subscribed to what --------------------------- */

struct cchan {
	struct cchan *next;
	size_t count;
	char name[];
};

struct cconn {
	struct cconn *next;
	uint64_t id;
	size_t n;
	char *channels[API_WS_MAX_SUBS];
};

void
api_set_ws(struct api *a, api_ws_fn fn, void *arg)
{
	a->ws_fn = fn;
	a->ws_arg = arg;
}

static struct cchan **
cchan_slot(const struct api *a, const char *name)
{
	struct cchan *const *p = &a->cchans[api_hash(name)];

	while (*p != NULL && strcmp((*p)->name, name) != 0)
		p = &(*p)->next;
	return (struct cchan **)p;
}

static struct cconn **
cconn_slot(const struct api *a, uint64_t id)
{
	struct cconn *const *p = &a->cconns[id % API_BUCKETS];

	while (*p != NULL && (*p)->id != id)
		p = &(*p)->next;
	return (struct cconn **)p;
}

int
api_wanted(const struct api *a, const char *channel)
{
	struct cchan *c = *cchan_slot(a, channel);

	return c != NULL && c->count > 0;
}

int
api_ws_subscribed(const struct api *a, uint64_t conn, const char *channel)
{
	struct cconn *cc = *cconn_slot(a, conn);

	for (size_t i = 0; cc != NULL && i < cc->n; i++)
		if (strcmp(cc->channels[i], channel) == 0)
			return 1;
	return 0;
}

size_t
api_ws_subscriptions(const struct api *a, uint64_t conn)
{
	struct cconn *cc = *cconn_slot(a, conn);

	return cc ? cc->n : 0;
}

static void
count(struct api *a, const char *channel, int delta)
{
	struct cchan **p = cchan_slot(a, channel), *c = *p;

	if (c == NULL) {
		size_t n = strlen(channel) + 1;

		if (delta < 0 || (c = calloc(1, sizeof(*c) + n)) == NULL)
			return;
		memcpy(c->name, channel, n);
		*p = c;
	}
	if (delta < 0 && c->count > 0)
		c->count--;
	else if (delta > 0)
		c->count++;
	if (c->count == 0) {
		*p = c->next;
		free(c);
	}
}

static struct answer *
answer_new(enum answer_kind kind, uint64_t conn, const char *channel)
{
	struct answer *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL;
	x->kind = kind;
	x->conn = conn;
	if (channel != NULL && (x->channel = strdup(channel)) == NULL) {
		free(x);
		return NULL;
	}
	return x;
}

static struct wsbuf *
wsbuf_new(const char *text)
{
	size_t len = strlen(text);
	struct wsbuf *b = malloc(sizeof(*b) + LWS_PRE + len + 1);

	if (b == NULL)
		return NULL;
	b->refs = 0;
	b->len = len;
	memcpy(b->data + LWS_PRE, text, len + 1);
	return b;
}

static void
hand_text(struct api *a, enum answer_kind kind, uint64_t conn,
	const char *channel, const char *text)
{
	struct answer *x = answer_new(kind, conn, channel);

	if (x == NULL || (x->buf = wsbuf_new(text)) == NULL) {
		if (x != NULL)
			free(x->channel);
		free(x);
		log_warn("api", "out of memory: a WebSocket message is lost");
		return;
	}
	api_hand_over(a, x);
}

void
api_ws_send(struct api *a, uint64_t conn, const char *text)
{
	hand_text(a, ANSWER_WS_SEND, conn, NULL, text);
}

void
api_publish(struct api *a, const char *channel, const char *text)
{
	if (api_wanted(a, channel))
		hand_text(a, ANSWER_PUBLISH, 0, channel, text);
}

int
api_ws_subscribe(struct api *a, uint64_t conn, const char *channel, int on)
{
	struct cconn **p = cconn_slot(a, conn), *cc = *p;
	struct answer *x;
	size_t i;

	for (i = 0; cc != NULL && i < cc->n; i++)
		if (strcmp(cc->channels[i], channel) == 0)
			break;
	if (on) {
		if (cc != NULL && i < cc->n)
			return 0;     /* already */
		if (cc == NULL) {
			if ((cc = calloc(1, sizeof(*cc))) == NULL)
				return QD_ERR_NOMEM;
			cc->id = conn;
			*p = cc;
		}
		if (cc->n == API_WS_MAX_SUBS)
			return QD_ERR_LIMIT;
		if ((cc->channels[cc->n] = strdup(channel)) == NULL)
			return QD_ERR_NOMEM;
		cc->n++;
	} else {
		if (cc == NULL || i == cc->n)
			return 0;     /* not subscribed */
		free(cc->channels[i]);
		cc->channels[i] = cc->channels[--cc->n];
	}
	count(a, channel, on ? 1 : -1);
	x = answer_new(on ? ANSWER_WS_SUB : ANSWER_WS_UNSUB, conn, channel);
	if (x != NULL)
		api_hand_over(a, x);
	return 0;
}

/* The client is gone: its subscriptions go (core thread). */
static void
forget(struct api *a, uint64_t conn)
{
	struct cconn **p = cconn_slot(a, conn), *cc = *p;

	if (cc == NULL)
		return;
	for (size_t i = 0; i < cc->n; i++) {
		count(a, cc->channels[i], -1);
		free(cc->channels[i]);
	}
	*p = cc->next;
	free(cc);
}

void
api_ws_delay(struct api *a, uint64_t conn, unsigned delay_ms)
{
	struct answer *x = answer_new(ANSWER_WS_DELAY, conn, NULL);

	if (x != NULL) {
		x->status = (int)delay_ms;
		api_hand_over(a, x);
	}
}

void
api_ws_close(struct api *a, uint64_t conn, int code, const char *reason)
{
	struct answer *x = answer_new(ANSWER_WS_CLOSE, conn, reason);

	if (x != NULL) {
		x->status = code;
		api_hand_over(a, x);
	}
}

/* An event of a client, posted to the core thread as one allocation. */
struct ws_post {
	struct api_ws_event ev;
	char data[];
};

static void
on_core_ws(void *arg, void *msg, size_t len)
{
	struct api *a = arg;
	struct ws_post *p;

	(void)len;
	memcpy(&p, msg, sizeof(p));
	if (p->ev.kind == API_WS_CLOSED)
		forget(a, p->ev.conn);
	if (a->ws_fn != NULL)
		a->ws_fn(a->ws_arg, &p->ev);
	free(p);
}

/* ---- net thread: channels, queues, writing ----------------------------- */

struct nchan {
	struct nchan *next;
	struct conn **subs;
	size_t n, cap;
	char name[];
};

static struct nchan **
nchan_slot(struct api *a, const char *name)
{
	struct nchan **p = &a->chans[api_hash(name)];

	while (*p != NULL && strcmp((*p)->name, name) != 0)
		p = &(*p)->next;
	return p;
}

static void
unref(struct wsbuf *b)
{
	if (b != NULL && --b->refs <= 0)
		free(b);
}

/*
 * Post an event to the core thread.  A lost OPEN or TEXT closes the
 * client (the core cannot keep up); a lost CLOSED would leave its
 * subscriptions counted, so it is retried from the connection's timer
 * until the core takes it.
 */
static int
post_core(struct conn *c, enum api_ws_kind kind, const char *text,
	size_t len)
{
	struct api *a = c->api;
	char peer[64] = "", auth[1024] = "";
	struct ws_post *p;
	size_t need;

	if (kind == API_WS_OPEN) {
		lws_get_peer_simple(c->wsi, peer, sizeof(peer));
		if (lws_hdr_copy(c->wsi, auth, sizeof(auth),
		    WSI_TOKEN_HTTP_AUTHORIZATION) < 0)
			auth[0] = '\0';
	}
	need = sizeof(*p) + strlen(peer) + 1 + strlen(auth) + 1 + len + 1;
	if ((p = calloc(1, need)) == NULL)
		return -1;
	p->ev.kind = kind;
	p->ev.conn = c->id;
	p->ev.peer = strcpy(p->data, peer);
	p->ev.authorization = auth[0] ? strcpy(p->data + strlen(peer) + 1,
		auth) : NULL;
	if (text != NULL) {
		char *t = p->data + strlen(peer) + 1 + strlen(auth) + 1;

		memcpy(t, text, len);
		t[len] = '\0';
		p->ev.text = t;
		p->ev.len = len;
	}
	if (loop_post(a->core, on_core_ws, a, &p, sizeof(p)) != 0) {
		free(p);
		return -1;
	}
	return 0;
}

int
api_ws_filter(struct api *a, struct lws *wsi)
{
	char uri[64];

	/* Only /ws upgrades, and only with a handler for them. */
	if (a->ws_fn == NULL || lws_hdr_copy(wsi, uri, sizeof(uri),
	    WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, "/ws") != 0)
		return 1;
	return 0;
}

void
api_ws_established(struct api *a, struct conn *c)
{
	c->ws = 1;
	api_open_add(a, c);
	metrics_gauge_add(a->m_ws_clients, 1);
	if (post_core(c, API_WS_OPEN, NULL, 0) != 0) {
		c->closing = 1013;
		snprintf(c->close_reason, sizeof(c->close_reason),
			"the daemon is busy");
		lws_callback_on_writable(c->wsi);
	}
}

static void
close_soon(struct conn *c, int code, const char *reason)
{
	if (c->closing)
		return;
	c->closing = code;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
	lws_callback_on_writable(c->wsi);
}

int
api_ws_receive(struct conn *c, const void *in, size_t len)
{
	char *nb;

	if (c->closing)
		return 0;
	if (lws_frame_is_binary(c->wsi)) {
		close_soon(c, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
			"text messages only");
		return 0;
	}
	if (c->rx_len + len > API_WS_MSG_MAX) {
		close_soon(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
			"message too large");
		return 0;
	}
	if ((nb = realloc(c->rx, c->rx_len + len + 1)) == NULL) {
		close_soon(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
			"out of memory");
		return 0;
	}
	c->rx = nb;
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	if (!lws_is_final_fragment(c->wsi))
		return 0;
	if (!api_utf8_valid(c->rx, c->rx_len) ||
	    memchr(c->rx, '\0', c->rx_len) != NULL)
		close_soon(c, LWS_CLOSE_STATUS_INVALID_PAYLOAD,
			"messages are UTF-8 JSON text");
	else if (post_core(c, API_WS_TEXT, c->rx, c->rx_len) != 0)
		close_soon(c, (enum lws_close_status)1013,
			"the daemon is busy");
	free(c->rx);
	c->rx = NULL;
	c->rx_len = 0;
	return 0;
}

/* Queue a message for a client; a full queue closes it. */
static void
enqueue(struct conn *c, struct wsbuf *b)
{
	struct wsq *nq;
	size_t i;

	if (c->closing)
		return;
	if (c->q_len == API_WS_QUEUE) {
		metrics_counter_add(c->api->m_ws_slow, 1);
		close_soon(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "too slow");
		return;
	}
	if (c->q_len == c->q_cap) {
		size_t cap = c->q_cap ? c->q_cap * 2 : 16;

		if ((nq = malloc(cap * sizeof(*nq))) == NULL) {
			close_soon(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
				"out of memory");
			return;
		}
		for (i = 0; i < c->q_len; i++)
			nq[i] = c->q[(c->q_head + i) % c->q_cap];
		free(c->q);
		c->q = nq;
		c->q_cap = cap;
		c->q_head = 0;
	}
	i = (c->q_head + c->q_len) % c->q_cap;
	c->q[i].b = b;
	c->q[i].due_ns = c->delay_ms ? loop_now_ns() +
		(int64_t)c->delay_ms * 1000000 : 0;
	b->refs++;
	c->q_len++;
	if (c->q_len == 1)
		lws_callback_on_writable(c->wsi);
}

int
api_ws_writeable(struct conn *c)
{
	struct wsq *e;
	int64_t now;

	if (c->closing) {
		lws_close_reason(c->wsi, (enum lws_close_status)c->closing,
			(unsigned char *)c->close_reason,
			strlen(c->close_reason));
		return -1;
	}
	if (c->q_len == 0)
		return 0;
	e = &c->q[c->q_head];
	if (e->due_ns > 0 && (now = loop_now_ns()) < e->due_ns) {
		lws_set_timer_usecs(c->wsi, (e->due_ns - now + 999) / 1000);
		return 0;
	}
	if (lws_write(c->wsi, e->b->data + LWS_PRE, e->b->len,
	    LWS_WRITE_TEXT) < (int)e->b->len)
		return -1;
	unref(e->b);
	c->q_head = (c->q_head + 1) % c->q_cap;
	c->q_len--;
	if (c->q_len > 0)
		lws_callback_on_writable(c->wsi);
	return 0;
}

void
api_ws_timer(struct conn *c)
{
	lws_callback_on_writable(c->wsi);
}

static void
unsubscribe(struct api *a, struct conn *c, struct nchan *ch)
{
	struct nchan **p;

	for (size_t i = 0; i < ch->n; i++)
		if (ch->subs[i] == c) {
			ch->subs[i] = ch->subs[--ch->n];
			break;
		}
	for (size_t i = 0; i < c->n_subs; i++)
		if (c->subs[i] == ch) {
			c->subs[i] = c->subs[--c->n_subs];
			break;
		}
	if (ch->n == 0) {
		p = nchan_slot(a, ch->name);
		*p = ch->next;
		free(ch->subs);
		free(ch);
	}
}

/* A connection's queue and subscriptions go; the core hears of it. */
static void
release(struct conn *c)
{
	struct api *a = c->api;

	while (c->n_subs > 0)
		unsubscribe(a, c, c->subs[0]);
	while (c->q_len > 0) {
		unref(c->q[c->q_head].b);
		c->q_head = (c->q_head + 1) % c->q_cap;
		c->q_len--;
	}
	free(c->q);
	free(c->rx);
	c->q = NULL;
	c->rx = NULL;
	c->q_cap = c->rx_len = 0;
	api_open_del(a, c);
}

void
api_ws_closed(struct conn *c)
{
	uint64_t id = c->id;
	struct ws_post *p;

	release(c);
	metrics_gauge_add(c->api->m_ws_clients, -1);
	/* The core must hear of it to drop the client's subscriptions (once
	 * the server stopped, api_free() drops them all); when its queue is
	 * full, keep trying. */
	if (atomic_load(&c->api->stopped) ||
	    (p = calloc(1, sizeof(*p) + 2)) == NULL) {
		c->api = NULL;
		return;
	}
	p->ev.kind = API_WS_CLOSED;
	p->ev.conn = id;
	p->ev.peer = p->data;
	for (int tries = 0; loop_post(c->api->core, on_core_ws, c->api, &p,
	    sizeof(p)) != 0; tries++) {
		if (tries == 1000) {
			log_warn("api", "the core thread does not take the "
				"end of WebSocket client %llu",
				(unsigned long long)id);
			free(p);
			break;
		}
		usleep(1000);
	}
	c->api = NULL;
}

static void
subscribe(struct api *a, struct conn *c, const char *name)
{
	struct nchan **p = nchan_slot(a, name), *ch = *p;

	for (size_t i = 0; i < c->n_subs; i++)
		if (c->subs[i] == ch && ch != NULL)
			return;
	if (c->n_subs == API_WS_MAX_SUBS)
		return;   /* the core refuses first */
	if (ch == NULL) {
		size_t n = strlen(name) + 1;

		if ((ch = calloc(1, sizeof(*ch) + n)) == NULL)
			return;
		memcpy(ch->name, name, n);
		*p = ch;
	}
	if (ch->n == ch->cap) {
		size_t cap = ch->cap ? ch->cap * 2 : 8;
		struct conn **ns = realloc(ch->subs, cap * sizeof(*ns));

		if (ns == NULL)
			return;
		ch->subs = ns;
		ch->cap = cap;
	}
	ch->subs[ch->n++] = c;
	c->subs[c->n_subs++] = ch;
}

void
api_ws_apply(struct api *a, struct answer *x)
{
	struct conn *c = x->kind == ANSWER_PUBLISH ? NULL :
		api_open_find(a, x->conn);
	struct nchan *ch;

	if (c != NULL && !c->ws)
		c = NULL;
	switch (x->kind) {
	case ANSWER_PUBLISH:
		ch = *nchan_slot(a, x->channel);
		x->buf->refs++;        /* held while fanning out */
		for (size_t i = 0; ch != NULL && i < ch->n; i++)
			enqueue(ch->subs[i], x->buf);
		unref(x->buf);
		x->buf = NULL;
		break;
	case ANSWER_WS_SEND:
		if (c != NULL) {
			x->buf->refs++;
			enqueue(c, x->buf);
			unref(x->buf);
		} else {
			free(x->buf);
		}
		x->buf = NULL;
		break;
	case ANSWER_WS_SUB:
		if (c != NULL)
			subscribe(a, c, x->channel);
		break;
	case ANSWER_WS_UNSUB:
		if (c != NULL && (ch = *nchan_slot(a, x->channel)) != NULL)
			unsubscribe(a, c, ch);
		break;
	case ANSWER_WS_DELAY:
		if (c != NULL)
			c->delay_ms = (unsigned)x->status;
		break;
	case ANSWER_WS_CLOSE:
		if (c != NULL)
			close_soon(c, x->status, x->channel ? x->channel : "");
		break;
	default:
		break;
	}
	free(x->buf);
	free(x->channel);
	free(x);
}

void
api_ws_free_all(struct api *a)
{
	for (size_t i = 0; i < API_BUCKETS; i++) {
		while (a->cconns[i] != NULL) {
			struct cconn *cc = a->cconns[i];

			a->cconns[i] = cc->next;
			for (size_t k = 0; k < cc->n; k++)
				free(cc->channels[k]);
			free(cc);
		}
		while (a->cchans[i] != NULL) {
			struct cchan *c = a->cchans[i];

			a->cchans[i] = c->next;
			free(c);
		}
	}
}
