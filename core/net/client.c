/*
 * client.c -- WebSocket and HTTP clients on the net thread (see client.h).
 *
 * Core thread: `struct rec` per open id (owner, callback); commands go to
 * the net thread as a pointer to a heap `struct cmd` through net_post().
 * Net thread: `struct conn` per connection, bound to its wsi through the
 * opaque user data; events go back as heap `struct ev` appended to the
 * inbox (mutex), which the core drains.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log/log.h"
#include "loop/loop.h"
#include "net/client.h"
#include "net/client_lws.h"
#include "net/ipclass.h"
#include "net/net.h"

enum kind { K_WS = 1, K_HTTP = 2 };
enum cmd_type { C_OPEN = 1, C_SEND, C_CLOSE, C_FORGET, C_SHUTDOWN };

struct cmd {
	enum cmd_type type;
	uint64_t id;
	enum kind kind;
	void *owner;
	char *url;
	char *method;
	char **hk, **hv;        /* headers */
	uint32_t nh;
	char *data;             /* message, or request body */
	size_t len;
	int timeout_s;
	unsigned flags;         /* NETC_PUBLIC_ONLY */
};

struct ev {
	struct ev *next;
	struct netc_event e;
	char *data;
	char *reason;
	char *headers;
};

struct msg {
	struct msg *next;
	size_t len;
	unsigned char buf[];    /* LWS_PRE + len */
};

struct conn {
	lws_sorted_usec_list_t sul;   /* the deadline (first: see deadline()) */
	struct conn *next;
	struct net_client *c;
	uint64_t id;
	enum kind kind;
	void *owner;
	struct lws *wsi;
	char *method;
	char **hk, **hv;
	uint32_t nh;
	char *body;             /* HTTP request body */
	size_t body_len;
	struct msg *q_head, *q_tail;  /* WebSocket send queue */
	size_t q_n;
	char *rx;               /* message or response being received */
	size_t rx_len, rx_cap;
	char *hdrs;             /* HTTP answer's headers: name\0value\0... */
	size_t hdrs_len;
	int status;
	int close_code;
	int closing;            /* close code to send (1000, 1009), or 0 */
	int done;               /* the final event was sent */
	char host[256];         /* from the URL, for Host, SNI and DNS */
	char path[2048];
	int port, tls;
	int timeout_s;          /* the deadline once connecting */
	unsigned flags;         /* NETC_PUBLIC_ONLY */
	int refused;            /* NETC_PUBLIC_ONLY refused the address */
	char err[160];
};

/* A name to resolve, on the resolver thread. */
struct lookup {
	struct lookup *next;
	uint64_t id;            /* the connection */
	int public_only;        /* only a public address will do */
	char host[256];
	char addr[INET6_ADDRSTRLEN];  /* the answer, or "" */
	char err[96];
};

struct rec {
	uint64_t id;
	void *owner;
	netc_fn fn;
	enum kind kind;
};

struct net_client {
	struct net *net;
	struct loop *core;
	struct netc_limits lim;
	/* core thread */
	uint64_t next_id;
	struct rec *recs;
	size_t n_recs, cap_recs;
	struct loop_timer *drain_timer;
	/* net thread */
	struct conn *conns;
	/* the resolver thread: getaddrinfo blocks, so not on the net thread */
	pthread_t resolver;
	int resolver_ok;
	pthread_mutex_t rmu;
	pthread_cond_t rcond;
	struct lookup *lookups;
	int rstop;
	/* both, under mu */
	pthread_mutex_t mu;
	struct ev *in_head, *in_tail;
	atomic_int wake_posted;
};

/* ---- the net thread --------------------------------------------------------- */

static void drain_inbox(struct net_client *c);

static void
core_wake(void *arg, void *msg, size_t len)
{
	(void)msg;
	(void)len;
	drain_inbox(arg);
}

int
netc_url_host(const char *url, char *host, size_t cap, int *port)
{
	char buf[2048];
	const char *prot, *ads, *path;
	int n;

	if (url == NULL || !(strncmp(url, "ws://", 5) == 0 ||
	    strncmp(url, "wss://", 6) == 0 || strncmp(url, "http://", 7) == 0 ||
	    strncmp(url, "https://", 8) == 0) || strlen(url) >= sizeof(buf))
		return -1;
	/* User information ("user@host") is refused: what a reader takes
	 * for the host would not be the one connected to. */
	path = strstr(url, "://") + 3;
	if (memchr(path, '@', strcspn(path, "/?#")) != NULL)
		return -1;
	snprintf(buf, sizeof(buf), "%s", url);
	if (lws_parse_uri(buf, &prot, &ads, &n, &path) != 0 || ads[0] == '\0' ||
	    strlen(ads) >= cap)
		return -1;
	snprintf(host, cap, "%s", ads);
	*port = n;
	return 0;
}

const char *
netc_header(const struct netc_event *ev, const char *name)
{
	const char *p = ev->headers, *end = p ? p + ev->headers_len : NULL;

	while (p != NULL && p < end) {
		const char *val = p + strlen(p) + 1;

		if (strcasecmp(p, name) == 0)
			return val;
		p = val + strlen(val) + 1;
	}
	return NULL;
}

/* Hand an event to the core (copies data and reason). */
static void
post_event(struct conn *k, enum netc_type type, int code, const char *data,
	size_t len, const char *reason)
{
	struct net_client *c = k->c;
	struct ev *e = calloc(1, sizeof(*e));
	int was_empty;

	if (e == NULL)
		return;
	if (data != NULL) {
		if ((e->data = malloc(len + 1)) == NULL) {
			free(e);
			return;
		}
		memcpy(e->data, data, len);
		e->data[len] = '\0';
	}
	e->reason = strdup(reason ? reason : "");
	if (type == NETC_HTTP_RESPONSE && k->hdrs != NULL &&
	    (e->headers = malloc(k->hdrs_len)) != NULL) {
		memcpy(e->headers, k->hdrs, k->hdrs_len);
		e->e.headers_len = k->hdrs_len;
	}
	e->e.type = type;
	e->e.refused = k->refused;
	e->e.id = k->id;
	e->e.code = code;
	e->e.len = len;
	pthread_mutex_lock(&c->mu);
	was_empty = c->in_head == NULL;
	if (c->in_tail)
		c->in_tail->next = e;
	else
		c->in_head = e;
	c->in_tail = e;
	pthread_mutex_unlock(&c->mu);
	if (was_empty && atomic_exchange(&c->wake_posted, 1) == 0 &&
	    loop_post(c->core, core_wake, c, NULL, 0) != 0)
		atomic_store(&c->wake_posted, 0);  /* the timer will drain */
}

static void
free_strings(char **a, uint32_t n)
{
	uint32_t i;

	for (i = 0; a != NULL && i < n; i++)
		free(a[i]);
	free(a);
}

static void
conn_free(struct conn *k)
{
	struct net_client *c = k->c;
	struct conn **pp;
	struct msg *m;

	lws_sul_cancel(&k->sul);
	free(k->hdrs);
	for (pp = &c->conns; *pp; pp = &(*pp)->next)
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	while ((m = k->q_head) != NULL) {
		k->q_head = m->next;
		free(m);
	}
	free(k->method);
	free_strings(k->hk, k->nh);
	free_strings(k->hv, k->nh);
	free(k->body);
	free(k->rx);
	free(k);
}

static struct conn *
find_conn(struct net_client *c, uint64_t id)
{
	struct conn *k;

	for (k = c->conns; k; k = k->next)
		if (k->id == id)
			return k;
	return NULL;
}

/* The final event of a connection, once. */
static void
finish(struct conn *k, int code, const char *reason)
{
	if (k->done)
		return;
	k->done = 1;
	if (k->kind == K_WS)
		post_event(k, NETC_WS_CLOSE, code, NULL, 0, reason);
	else
		post_event(k, NETC_HTTP_RESPONSE, code, code ? k->rx : NULL,
			code ? k->rx_len : 0, reason);
}

static int
rx_append(struct conn *k, const void *in, size_t len)
{
	size_t need = k->rx_len + len + 1, cap;
	char *n;

	if (k->rx_len + len > k->c->lim.max_message)
		return -1;
	if (need > k->rx_cap) {
		cap = k->rx_cap ? k->rx_cap : 4096;
		while (cap < need)
			cap *= 2;
		if ((n = realloc(k->rx, cap)) == NULL)
			return -1;
		k->rx = n;
		k->rx_cap = cap;
	}
	memcpy(k->rx + k->rx_len, in, len);
	k->rx_len += len;
	k->rx[k->rx_len] = '\0';
	return 0;
}

/* Headers lws 4.1 has no token for and cannot list, kept by name: the
 * request weights and rate limits venues report. */
static const char *const custom_headers[] = {
	"x-mbx-used-weight", "x-mbx-used-weight-1m", "x-sapi-used-ip-weight-1m",
	"x-bapi-limit", "x-bapi-limit-status", "x-bapi-limit-reset-timestamp",
	"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset",
	"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset",
};

static void
keep_one(struct conn *k, const char *name, size_t nl, const char *val,
	size_t vl)
{
	size_t i;

	if (k->hdrs_len + nl + vl + 2 > 16384)
		return;
	for (i = 0; i < nl; i++)
		k->hdrs[k->hdrs_len + i] = (char)tolower((unsigned char)name[i]);
	k->hdrs[k->hdrs_len + nl] = '\0';
	memcpy(k->hdrs + k->hdrs_len + nl + 1, val, vl);
	k->hdrs[k->hdrs_len + nl + 1 + vl] = '\0';
	k->hdrs_len += nl + vl + 2;
}

/*
 * Keep the answer's headers lws knows by name (retry-after, content-type,
 * location, date, ...) and the rate-limit ones above (lws 4.1 cannot list
 * the others), at most 16 KiB, as "name\0value\0" pairs with lower-case
 * names.
 */
static void
keep_headers(struct conn *k, struct lws *wsi)
{
	char val[2048], cname[64];
	size_t c;
	int t;

	if (k->hdrs == NULL && (k->hdrs = malloc(16384)) == NULL)
		return;
	k->hdrs_len = 0;
	for (t = 0; t < (int)WSI_TOKEN_COUNT; t++) {
		const char *name = (const char *)lws_token_to_string(
			(enum lws_token_indexes)t);
		size_t nl, vl;
		int n;

		if (name == NULL || name[0] == ':' ||
		    lws_hdr_total_length(wsi, (enum lws_token_indexes)t) <= 0 ||
		    (n = lws_hdr_copy(wsi, val, (int)sizeof(val),
		    (enum lws_token_indexes)t)) < 0)
			continue;
		nl = strcspn(name, ":");
		vl = (size_t)n;
		keep_one(k, name, nl, val, vl);
	}
	for (c = 0; c < sizeof(custom_headers) / sizeof(custom_headers[0]);
	     c++) {
		int n, cl = snprintf(cname, sizeof(cname), "%s:",
			custom_headers[c]);

		if (lws_hdr_custom_length(wsi, cname, cl) <= 0 ||
		    (n = lws_hdr_custom_copy(wsi, val, (int)sizeof(val), cname,
		    cl)) < 0)
			continue;
		keep_one(k, custom_headers[c], strlen(custom_headers[c]), val,
			(size_t)n);
	}
}

/* The deadline passed: connecting, the HTTP answer, or WebSocket silence
 * (lws replaces its own timeouts as a connection goes through its phases,
 * so the deadline is ours). */
static void
deadline(lws_sorted_usec_list_t *sul)
{
	struct conn *k = (struct conn *)(void *)sul;  /* sul is first */

	snprintf(k->err, sizeof(k->err), "%s", k->kind == K_WS &&
	    k->status ? "timed out (no frame received)" : "timed out");
	finish(k, k->kind == K_WS ? 1006 : 0, k->err);
	if (k->wsi != NULL) {
		lws_set_opaque_user_data(k->wsi, NULL);
		lws_set_timeout(k->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT,
			LWS_TO_KILL_ASYNC);
	}
	conn_free(k);
}

static void
arm(struct conn *k, int seconds)
{

	lws_sul_schedule(net_context(k->c->net), 0, &k->sul, deadline,
		(lws_usec_t)seconds * LWS_USEC_PER_SEC);
}

static int
is_address(const char *h)
{
	unsigned char b[16];

	return inet_pton(AF_INET, h, b) == 1 || inet_pton(AF_INET6, h, b) == 1;
}

/*
 * NETC_PUBLIC_ONLY: whether the connection may go to `addr` (numeric);
 * if not, the connection is refused with the reason in k->err.
 */
static int
public_ok(struct conn *k, const char *addr)
{
	enum ipclass c;

	if (!(k->flags & NETC_PUBLIC_ONLY))
		return 1;
	if (ipclass_text(addr, &c) == 0 && c == IPCLASS_PUBLIC)
		return 1;
	k->refused = 1;
	snprintf(k->err, sizeof(k->err), "refused: %.60s%s%.46s is not a "
		"public address (%s)", k->host, strcmp(k->host, addr) ? " -> " :
		"", strcmp(k->host, addr) ? addr : "", ipclass_text(addr, &c) ==
		0 ? ipclass_name(c) : "unknown");
	return 0;
}

/*
 * NETC_PUBLIC_ONLY, once connected: the peer of the socket is checked
 * again, so that whatever lws did with the address it was given, no
 * request is sent to an internal one.  0, or -1 with k->err.
 */
static int
peer_ok(struct conn *k, struct lws *wsi)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	lws_sockfd_type fd;

	if (!(k->flags & NETC_PUBLIC_ONLY))
		return 0;
	fd = lws_get_socket_fd(wsi);
	if (fd >= 0 && getpeername(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    ipclass_sockaddr((struct sockaddr *)&ss) == IPCLASS_PUBLIC)
		return 0;
	k->refused = 1;
	snprintf(k->err, sizeof(k->err), "refused: the peer of %.60s is not a "
		"public address", k->host);
	return -1;
}

/* Connect to `addr` (an IP address), saying the URL's host name in the
 * Host header and TLS's SNI, whose certificate it must present. */
static void
connect_to(struct conn *k, const char *addr)
{
	struct net_client *c = k->c;
	struct lws_client_connect_info i;
	uint64_t id = k->id;

	memset(&i, 0, sizeof(i));
	i.context = net_context(c->net);
	i.address = addr;
	i.port = k->port;
	i.path = k->path;
	i.host = k->host;
	i.origin = k->host;
	i.ssl_connection = k->tls ? LCCSCF_USE_SSL : 0;
	/* lws would look the next host up itself, unchecked */
	if (k->flags & NETC_PUBLIC_ONLY)
		i.ssl_connection |= LCCSCF_HTTP_NO_FOLLOW_REDIRECT;
	i.local_protocol_name = NETC_PROTOCOL;
	i.opaque_user_data = k;
	if (k->kind == K_HTTP)
		i.method = k->method;
	if ((k->wsi = lws_client_connect_via_info(&i)) == NULL) {
		/* The error callback may already have finished it. */
		if (find_conn(c, id) == k) {
			finish(k, k->kind == K_WS ? 1006 : 0,
				k->err[0] ? k->err : "cannot connect");
			conn_free(k);
		}
	}
}

/* The resolver's answer, on the net thread. */
static void
resolved(void *arg, void *msg, size_t len)
{
	struct net_client *c = arg;
	struct lookup *l;
	struct conn *k;

	(void)len;
	memcpy(&l, msg, sizeof(l));
	if ((k = find_conn(c, l->id)) != NULL && k->wsi == NULL && !k->done) {
		if (l->addr[0] != '\0' && public_ok(k, l->addr)) {
			connect_to(k, l->addr);
		} else if (k->refused) {
			finish(k, k->kind == K_WS ? 1006 : 0, k->err);
			conn_free(k);
		} else {
			snprintf(k->err, sizeof(k->err), "cannot resolve "
				"%.60s: %.80s", k->host, l->err);
			finish(k, k->kind == K_WS ? 1006 : 0, k->err);
			conn_free(k);
		}
	}
	free(l);
}

static void *
resolver_main(void *arg)
{
	struct net_client *c = arg;
	struct lookup *l;

	pthread_mutex_lock(&c->rmu);
	for (;;) {
		struct addrinfo hints, *res = NULL;
		int rc;

		while (!c->rstop && c->lookups == NULL)
			pthread_cond_wait(&c->rcond, &c->rmu);
		if (c->rstop)
			break;
		l = c->lookups;
		c->lookups = l->next;
		pthread_mutex_unlock(&c->rmu);
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		rc = getaddrinfo(l->host, NULL, &hints, &res);
		if (rc == 0 && res != NULL) {
			/* IPv4 first when there is one: a host with both
			 * usually serves both, and loopback services often
			 * listen on 127.0.0.1 alone. */
			const struct addrinfo *ai = res, *x;
			const void *a;

			for (x = res; x != NULL; x = x->ai_next)
				if (x->ai_family == AF_INET) {
					ai = x;
					break;
				}
			/* Public only: the first public one (IPv4 first);
			 * none: the first, which the net thread refuses. */
			if (l->public_only &&
			    ipclass_sockaddr(ai->ai_addr) != IPCLASS_PUBLIC) {
				for (x = res; x != NULL; x = x->ai_next)
					if (ipclass_sockaddr(x->ai_addr) ==
					    IPCLASS_PUBLIC)
						break;
				if (x != NULL)
					ai = x;
			}
			a = ai->ai_family == AF_INET6 ?
			    (const void *)&((struct sockaddr_in6 *)(void *)
			    ai->ai_addr)->sin6_addr :
			    (const void *)&((struct sockaddr_in *)(void *)
			    ai->ai_addr)->sin_addr;
			if (inet_ntop(ai->ai_family, a, l->addr,
			    sizeof(l->addr)) == NULL)
				l->addr[0] = '\0';
		}
		if (rc != 0)
			snprintf(l->err, sizeof(l->err), "%s", gai_strerror(rc));
		else if (l->addr[0] == '\0')
			snprintf(l->err, sizeof(l->err), "no address");
		if (res != NULL)
			freeaddrinfo(res);
		/* Hand it back; a full queue is waited out, not dropped. */
		while (net_post(c->net, resolved, c, &l, sizeof(l)) != 0) {
			struct timespec ts = { 0, 5000000 };

			nanosleep(&ts, NULL);
		}
		pthread_mutex_lock(&c->rmu);
	}
	while ((l = c->lookups) != NULL) {
		c->lookups = l->next;
		free(l);
	}
	pthread_mutex_unlock(&c->rmu);
	return NULL;
}

static void
resolve(struct net_client *c, struct conn *k)
{
	struct lookup *l = calloc(1, sizeof(*l)), **pp;

	if (l == NULL || !c->resolver_ok) {
		free(l);
		finish(k, k->kind == K_WS ? 1006 : 0, "cannot resolve names");
		conn_free(k);
		return;
	}
	l->id = k->id;
	l->public_only = (k->flags & NETC_PUBLIC_ONLY) != 0;
	snprintf(l->host, sizeof(l->host), "%s", k->host);
	pthread_mutex_lock(&c->rmu);
	for (pp = &c->lookups; *pp; pp = &(*pp)->next)
		;
	*pp = l;
	pthread_cond_signal(&c->rcond);
	pthread_mutex_unlock(&c->rmu);
}

static void
do_open(struct net_client *c, struct cmd *m)
{
	struct conn *k = calloc(1, sizeof(*k));
	char buf[2048];
	const char *prot, *ads, *p;
	int port;

	if (k == NULL)
		return;
	k->c = c;
	k->id = m->id;
	k->kind = m->kind;
	k->flags = m->flags;
	k->owner = m->owner;
	k->next = c->conns;
	c->conns = k;
	k->method = m->method;
	m->method = NULL;
	k->hk = m->hk;
	k->hv = m->hv;
	k->nh = m->nh;
	m->hk = m->hv = NULL;
	k->body = m->data;
	k->body_len = m->len;
	m->data = NULL;
	snprintf(buf, sizeof(buf), "%s", m->url);
	if (lws_parse_uri(buf, &prot, &ads, &port, &p) != 0 ||
	    strlen(ads) >= sizeof(k->host)) {
		snprintf(k->err, sizeof(k->err), "bad URL");
		finish(k, k->kind == K_WS ? 1006 : 0, k->err);
		conn_free(k);
		return;
	}
	k->tls = strcmp(prot, "wss") == 0 || strcmp(prot, "https") == 0;
	k->port = port;
	snprintf(k->host, sizeof(k->host), "%s", ads);
	snprintf(k->path, sizeof(k->path), "/%s", p);
	k->timeout_s = k->kind == K_HTTP ? (m->timeout_s ? m->timeout_s :
	    c->lim.http_timeout_s) : c->lim.connect_timeout_s;
	/* The deadline covers the name lookup too. */
	arm(k, k->timeout_s);
	if (is_address(k->host) && !public_ok(k, k->host)) {
		finish(k, k->kind == K_WS ? 1006 : 0, k->err);
		conn_free(k);
	} else if (is_address(k->host))
		connect_to(k, k->host);
	else
		resolve(c, k);
}

static void
do_send(struct net_client *c, struct cmd *m)
{
	struct conn *k = find_conn(c, m->id);
	struct msg *q;

	if (k == NULL || k->kind != K_WS || k->closing || k->done)
		return;
	if (k->q_n >= c->lim.max_send_queue) {
		log_warn("net", "connection %llu: send queue full, message "
			"dropped", (unsigned long long)k->id);
		return;
	}
	if ((q = malloc(sizeof(*q) + LWS_PRE + m->len)) == NULL)
		return;
	q->next = NULL;
	q->len = m->len;
	memcpy(q->buf + LWS_PRE, m->data, m->len);
	if (k->q_tail)
		k->q_tail->next = q;
	else
		k->q_head = q;
	k->q_tail = q;
	k->q_n++;
	if (k->wsi != NULL)
		lws_callback_on_writable(k->wsi);
}

static void
do_close(struct conn *k)
{
	if (!k->closing)
		k->closing = 1000;
	if (k->wsi != NULL)
		lws_callback_on_writable(k->wsi);
}

static void
free_cmd(struct cmd *m)
{
	free(m->url);
	free(m->method);
	free_strings(m->hk, m->nh);
	free_strings(m->hv, m->nh);
	free(m->data);
	free(m);
}

/* A command, on the net thread. */
static void
run_cmd(void *arg, void *msg, size_t len)
{
	struct net_client *c = arg;
	struct cmd *m;
	struct conn *k, *next;

	(void)len;
	memcpy(&m, msg, sizeof(m));
	switch (m->type) {
	case C_OPEN:
		do_open(c, m);
		break;
	case C_SEND:
		do_send(c, m);
		break;
	case C_CLOSE:
		if ((k = find_conn(c, m->id)) != NULL)
			do_close(k);
		break;
	case C_FORGET:
	case C_SHUTDOWN:
		for (k = c->conns; k; k = next) {
			next = k->next;
			if (m->type == C_SHUTDOWN || k->owner == m->owner) {
				k->done = 1;  /* nobody listens any more */
				if (k->wsi != NULL) {
					lws_set_opaque_user_data(k->wsi, NULL);
					lws_set_timeout(k->wsi,
						PENDING_TIMEOUT_KILLED_BY_PARENT,
						LWS_TO_KILL_ASYNC);
				}
				conn_free(k);
			}
		}
		break;
	}
	free_cmd(m);
}

int
netc_lws_callback(struct lws *wsi, enum lws_callback_reasons reason,
	void *user, void *in, size_t len)
{
	struct conn *k = lws_get_opaque_user_data(wsi);

	(void)user;
	if (k == NULL)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
		unsigned char **p = in, *end = *p + len;
		char name[256], num[32];
		uint32_t i;

		if (peer_ok(k, wsi) != 0)
			return -1;

		for (i = 0; i < k->nh; i++) {
			snprintf(name, sizeof(name), "%s:", k->hk[i]);
			if (lws_add_http_header_by_name(wsi,
			    (const unsigned char *)name,
			    (const unsigned char *)k->hv[i],
			    (int)strlen(k->hv[i]), p, end))
				return -1;
		}
		if (k->kind == K_HTTP && k->body != NULL) {
			snprintf(num, sizeof(num), "%zu", k->body_len);
			if (lws_add_http_header_by_token(wsi,
			    WSI_TOKEN_HTTP_CONTENT_LENGTH,
			    (const unsigned char *)num, (int)strlen(num), p,
			    end))
				return -1;
			lws_client_http_body_pending(wsi, 1);
			lws_callback_on_writable(wsi);
		}
		break;
	}
	case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE: {
		unsigned char *buf;
		int n;

		if (k->body == NULL)
			break;
		if ((buf = malloc(LWS_PRE + k->body_len + 1)) == NULL)
			return -1;
		memcpy(buf + LWS_PRE, k->body, k->body_len);
		lws_client_http_body_pending(wsi, 0);
		n = lws_write(wsi, buf + LWS_PRE, k->body_len,
			LWS_WRITE_HTTP_FINAL);
		free(buf);
		if (n < 0)
			return -1;
		break;
	}
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		k->status = (int)lws_http_client_http_response(wsi);
		keep_headers(k, wsi);
		break;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
		char buf[LWS_PRE + 4096], *px = buf + LWS_PRE;
		int lenx = (int)sizeof(buf) - LWS_PRE;

		if (lws_http_client_read(wsi, &px, &lenx) < 0)
			return -1;
		break;
	}
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
		if (rx_append(k, in, len) != 0) {
			snprintf(k->err, sizeof(k->err), "response body over "
				"%zu bytes", k->c->lim.max_message);
			k->status = 0;
			finish(k, 0, k->err);
			return -1;
		}
		break;
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
		finish(k, k->status ? k->status : 0, "");
		lws_set_opaque_user_data(wsi, NULL);
		conn_free(k);
		return -1;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (!k->refused)
			snprintf(k->err, sizeof(k->err), "%s", in && len ?
				(char *)in : in ? (const char *)in :
				"connection failed");
		finish(k, k->kind == K_WS ? 1006 : 0, k->err);
		lws_set_opaque_user_data(wsi, NULL);
		conn_free(k);
		break;
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		finish(k, 0, k->err[0] ? k->err : "connection closed before "
			"the response");
		lws_set_opaque_user_data(wsi, NULL);
		conn_free(k);
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		k->status = 101;  /* open: the deadline is now for silence */
		arm(k, k->c->lim.idle_timeout_s);
		post_event(k, NETC_WS_OPEN, 0, NULL, 0, "");
		if (k->q_head != NULL || k->closing)
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		arm(k, k->c->lim.idle_timeout_s);
		if (lws_is_first_fragment(wsi))
			k->rx_len = 0;
		if (k->closing)
			break;  /* closing: the rest is not delivered */
		if (rx_append(k, in, len) != 0) {
			/* Closing from inside RECEIVE corrupts lws 4.1's state:
			 * close from WRITEABLE, as for a close the plugin asks. */
			k->closing = 1009;
			snprintf(k->err, sizeof(k->err), "message over %zu "
				"bytes", k->c->lim.max_message);
			lws_callback_on_writable(wsi);
			break;
		}
		if (lws_is_final_fragment(wsi) &&
		    lws_remaining_packet_payload(wsi) == 0) {
			post_event(k, NETC_WS_MESSAGE, 0, k->rx, k->rx_len, "");
			k->rx_len = 0;
		}
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE: {
		struct msg *q = k->q_head;

		if (k->closing) {
			static const char plugin[] = "closed by the plugin";
			static const char big[] = "message too big";
			int big_msg = k->closing == 1009;

			lws_close_reason(wsi, big_msg ?
				LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE :
				LWS_CLOSE_STATUS_NORMAL,
				(unsigned char *)(uintptr_t)(big_msg ? big : plugin),
				big_msg ? sizeof(big) - 1 : sizeof(plugin) - 1);
			finish(k, big_msg ? 1009 : 1000, big_msg ? k->err :
				plugin);
			return -1;
		}
		if (q == NULL)
			break;
		k->q_head = q->next;
		if (k->q_head == NULL)
			k->q_tail = NULL;
		k->q_n--;
		if (lws_write(wsi, q->buf + LWS_PRE, q->len, LWS_WRITE_TEXT) <
		    (int)q->len) {
			free(q);
			return -1;
		}
		free(q);
		if (k->q_head != NULL)
			lws_callback_on_writable(wsi);
		break;
	}
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2) {
			const unsigned char *b = in;

			k->close_code = (b[0] << 8) | b[1];
			snprintf(k->err, sizeof(k->err), "%.*s",
				(int)(len - 2 > 150 ? 150 : len - 2),
				(const char *)in + 2);
		}
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		finish(k, k->close_code ? k->close_code : 1006,
			k->err[0] ? k->err : "connection lost");
		lws_set_opaque_user_data(wsi, NULL);
		conn_free(k);
		break;
	case LWS_CALLBACK_WSI_DESTROY:
		/* Whatever ended it without a callback above. */
		finish(k, k->kind == K_WS ? 1006 : 0, k->err[0] ? k->err :
			"connection lost");
		lws_set_opaque_user_data(wsi, NULL);
		conn_free(k);
		break;
	default:
		break;
	}
	return 0;
}

/* ---- the core thread ------------------------------------------------------ */

static struct rec *
find_rec(struct net_client *c, uint64_t id)
{
	size_t i;

	for (i = 0; i < c->n_recs; i++)
		if (c->recs[i].id == id)
			return &c->recs[i];
	return NULL;
}

static void
drop_rec(struct net_client *c, struct rec *r)
{
	*r = c->recs[--c->n_recs];
}

static void
drain_inbox(struct net_client *c)
{
	struct ev *e, *next;
	struct rec *r;

	atomic_store(&c->wake_posted, 0);
	pthread_mutex_lock(&c->mu);
	e = c->in_head;
	c->in_head = c->in_tail = NULL;
	pthread_mutex_unlock(&c->mu);
	for (; e != NULL; e = next) {
		next = e->next;
		if ((r = find_rec(c, e->e.id)) != NULL) {
			netc_fn fn = r->fn;
			void *owner = r->owner;

			e->e.data = e->data;
			e->e.headers = e->headers;
			e->e.reason = e->reason ? e->reason : "";
			if (e->e.type == NETC_WS_CLOSE ||
			    e->e.type == NETC_HTTP_RESPONSE)
				drop_rec(c, r);
			fn(owner, &e->e);
		}
		free(e->data);
		free(e->reason);
		free(e->headers);
		free(e);
	}
}

static void
drain_tick(void *arg)
{
	drain_inbox(arg);
}

/* Stop the resolver; a lookup in progress is waited for (its answer is
 * handed to the net thread before this returns). */
static void
stop_resolver(struct net_client *c)
{
	if (c->resolver_ok) {
		pthread_mutex_lock(&c->rmu);
		c->rstop = 1;
		pthread_cond_signal(&c->rcond);
		pthread_mutex_unlock(&c->rmu);
		pthread_join(c->resolver, NULL);
		c->resolver_ok = 0;
	}
	pthread_cond_destroy(&c->rcond);
	pthread_mutex_destroy(&c->rmu);
}

struct net_client *
netc_new(struct net *n, struct loop *core, const struct netc_limits *lim)
{
	struct net_client *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->net = n;
	c->core = core;
	if (lim != NULL)
		c->lim = *lim;
	if (c->lim.max_message == 0)
		c->lim.max_message = 4 << 20;
	if (c->lim.max_send_queue == 0)
		c->lim.max_send_queue = 1024;
	if (c->lim.connect_timeout_s <= 0)
		c->lim.connect_timeout_s = 10;
	if (c->lim.idle_timeout_s <= 0)
		c->lim.idle_timeout_s = 120;
	if (c->lim.http_timeout_s <= 0)
		c->lim.http_timeout_s = 30;
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->rmu, NULL);
	pthread_cond_init(&c->rcond, NULL);
	c->resolver_ok = pthread_create(&c->resolver, NULL, resolver_main,
		c) == 0;
	if (!c->resolver_ok)
		log_error("net", "cannot start the name resolver: only URLs "
			"with an IP address will connect");
	atomic_init(&c->wake_posted, 0);
	c->drain_timer = loop_timer_add(core, 50000000, 50000000, drain_tick,
		c);
	if (c->drain_timer == NULL) {
		stop_resolver(c);
		pthread_mutex_destroy(&c->mu);
		free(c);
		return NULL;
	}
	return c;
}

static int
post_cmd(struct net_client *c, struct cmd *m)
{
	int rc = net_post(c->net, run_cmd, c, &m, sizeof(m));

	if (rc != 0)
		free_cmd(m);
	return rc;
}

/* A synchronous round to the net thread: everything posted before has run. */
static void
shutdown_done(void *arg, void *msg, size_t len)
{
	(void)msg;
	(void)len;
	atomic_store((atomic_int *)arg, 1);
}

void
netc_free(struct net_client *c)
{
	struct cmd *m;
	struct ev *e;
	atomic_int done;
	int tries;

	if (c == NULL)
		return;
	stop_resolver(c);
	atomic_init(&done, 0);
	if ((m = calloc(1, sizeof(*m))) != NULL) {
		m->type = C_SHUTDOWN;
		if (post_cmd(c, m) == 0 &&
		    net_post(c->net, shutdown_done, &done, NULL, 0) == 0)
			for (tries = 0; tries < 2000 && !atomic_load(&done);
			     tries++) {
				struct timespec ts = { 0, 1000000 };

				nanosleep(&ts, NULL);
			}
	}
	loop_timer_cancel(c->drain_timer);
	while ((e = c->in_head) != NULL) {
		c->in_head = e->next;
		free(e->data);
		free(e->reason);
		free(e->headers);
		free(e);
	}
	free(c->recs);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static int
add_rec(struct net_client *c, enum kind kind, netc_fn fn, void *owner,
	uint64_t *id)
{
	if (c->n_recs == c->cap_recs) {
		size_t cap = c->cap_recs ? c->cap_recs * 2 : 16;
		struct rec *n = realloc(c->recs, cap * sizeof(*n));

		if (n == NULL)
			return QD_ERR_NOMEM;
		c->recs = n;
		c->cap_recs = cap;
	}
	c->recs[c->n_recs].id = ++c->next_id;
	c->recs[c->n_recs].owner = owner;
	c->recs[c->n_recs].fn = fn;
	c->recs[c->n_recs].kind = kind;
	*id = c->next_id;
	c->n_recs++;
	return QD_OK;
}

static int
copy_headers(struct cmd *m, const struct qd_kv *h, uint32_t n)
{
	uint32_t i;

	if (n > 64)
		return QD_ERR_LIMIT;
	m->hk = calloc(n + 1, sizeof(char *));
	m->hv = calloc(n + 1, sizeof(char *));
	if (m->hk == NULL || m->hv == NULL)
		return QD_ERR_NOMEM;
	m->nh = n;
	for (i = 0; i < n; i++) {
		/* A header name or value with a line break would inject. */
		if (h[i].key == NULL || h[i].value == NULL ||
		    strpbrk(h[i].key, "\r\n:") || strpbrk(h[i].value, "\r\n") ||
		    !*h[i].key)
			return QD_ERR_INVALID;
		if ((m->hk[i] = strdup(h[i].key)) == NULL ||
		    (m->hv[i] = strdup(h[i].value)) == NULL)
			return QD_ERR_NOMEM;
	}
	return QD_OK;
}

static int
url_ok(const char *url, int ws)
{
	if (url == NULL || strlen(url) >= 2000 || strpbrk(url, " \r\n"))
		return 0;
	return ws ? strncmp(url, "ws://", 5) == 0 ||
	    strncmp(url, "wss://", 6) == 0 :
	    strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

static int
open_common(struct net_client *c, enum kind kind, unsigned flags,
	const char *method,
	const char *url, const struct qd_kv *h, uint32_t nh, const char *body,
	size_t body_len, int timeout_s, netc_fn fn, void *owner, uint64_t *id)
{
	struct cmd *m;
	int rc;

	if (!url_ok(url, kind == K_WS) || fn == NULL || id == NULL ||
	    (nh && h == NULL))
		return QD_ERR_INVALID;
	if (body_len > c->lim.max_message)
		return QD_ERR_LIMIT;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return QD_ERR_NOMEM;
	m->type = C_OPEN;
	m->kind = kind;
	m->flags = flags;
	m->owner = owner;
	m->timeout_s = timeout_s;
	m->url = strdup(url);
	if (method != NULL)
		m->method = strdup(method);
	if ((rc = copy_headers(m, h, nh)) != QD_OK || m->url == NULL ||
	    (method != NULL && m->method == NULL)) {
		free_cmd(m);
		return rc != QD_OK ? rc : QD_ERR_NOMEM;
	}
	if (body != NULL) {
		if ((m->data = malloc(body_len ? body_len : 1)) == NULL) {
			free_cmd(m);
			return QD_ERR_NOMEM;
		}
		memcpy(m->data, body, body_len);
		m->len = body_len;
	}
	if ((rc = add_rec(c, kind, fn, owner, id)) != QD_OK) {
		free_cmd(m);
		return rc;
	}
	m->id = *id;
	if (post_cmd(c, m) != 0) {
		drop_rec(c, find_rec(c, *id));
		return QD_ERR_LIMIT;
	}
	return QD_OK;
}

int
netc_ws_open_flags(struct net_client *c, unsigned flags, const char *url,
	const struct qd_kv *h, uint32_t nh, netc_fn fn, void *owner,
	uint64_t *id)
{
	return open_common(c, K_WS, flags, NULL, url, h, nh, NULL, 0, 0, fn,
		owner, id);
}

int
netc_ws_open(struct net_client *c, const char *url, const struct qd_kv *h,
	uint32_t nh, netc_fn fn, void *owner, uint64_t *id)
{
	return netc_ws_open_flags(c, 0, url, h, nh, fn, owner, id);
}

int
netc_http(struct net_client *c, const char *method, const char *url,
	const struct qd_kv *h, uint32_t nh, const char *body, size_t body_len,
	int timeout_s, netc_fn fn, void *owner, uint64_t *id)
{
	return netc_http_flags(c, 0, method, url, h, nh, body, body_len,
		timeout_s, fn, owner, id);
}

int
netc_http_flags(struct net_client *c, unsigned flags, const char *method,
	const char *url, const struct qd_kv *h, uint32_t nh, const char *body,
	size_t body_len, int timeout_s, netc_fn fn, void *owner, uint64_t *id)
{
	static const char *const methods[] = { "GET", "POST", "PUT",
		"DELETE", "PATCH", "HEAD", NULL };
	size_t i;

	for (i = 0; methods[i] && (method == NULL ||
	     strcmp(methods[i], method) != 0); i++)
		;
	if (methods[i] == NULL)
		return QD_ERR_INVALID;
	return open_common(c, K_HTTP, flags, method, url, h, nh, body,
		body_len, timeout_s, fn, owner, id);
}

int
netc_ws_send(struct net_client *c, uint64_t id, const char *data, size_t len)
{
	struct rec *r = find_rec(c, id);
	struct cmd *m;

	if (r == NULL || r->kind != K_WS)
		return QD_ERR_NOTFOUND;
	if (len > c->lim.max_message)
		return QD_ERR_LIMIT;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->data = malloc(len ? len : 1)) == NULL) {
		free(m);
		return QD_ERR_NOMEM;
	}
	m->type = C_SEND;
	m->id = id;
	memcpy(m->data, data, len);
	m->len = len;
	return post_cmd(c, m) == 0 ? QD_OK : QD_ERR_LIMIT;
}

int
netc_ws_close(struct net_client *c, uint64_t id)
{
	struct rec *r = find_rec(c, id);
	struct cmd *m;

	if (r == NULL || r->kind != K_WS)
		return QD_ERR_NOTFOUND;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return QD_ERR_NOMEM;
	m->type = C_CLOSE;
	m->id = id;
	return post_cmd(c, m) == 0 ? QD_OK : QD_ERR_LIMIT;
}

void
netc_forget(struct net_client *c, void *owner)
{
	struct cmd *m;
	size_t i;

	for (i = 0; i < c->n_recs;)
		if (c->recs[i].owner == owner)
			drop_rec(c, &c->recs[i]);
		else
			i++;
	if ((m = calloc(1, sizeof(*m))) != NULL) {
		m->type = C_FORGET;
		m->owner = owner;
		post_cmd(c, m);
	}
}
