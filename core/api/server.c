/*
 * server.c -- the API's HTTP server on the net thread (see api.h).
 *
 * A transaction's life: LWS_CALLBACK_HTTP gives the method and the decoded
 * path; what the net thread can answer alone is answered there.  A route
 * of the table becomes a pending transaction with an id, kept in a hash of
 * the open transactions; a request with a body waits for the body's last
 * byte (HTTP_BODY_COMPLETION).  The request goes to the core thread as one
 * allocation (struct api_request followed by its strings).  The core's
 * answer comes back through `answers` (a mutex-protected list: one answer
 * per request, so bounded by the open transactions); the net thread, woken
 * by lws_cancel_service(), finds the transaction by id or drops the answer
 * when its connection went away.  Headers and body are written in
 * HTTP_WRITEABLE, the body in slices so one big answer cannot hold the
 * thread.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <libwebsockets.h>

#include "api/api.h"
#include "api/internal.h"
#include "log/log.h"
#include "loop/loop.h"
#include "metrics/metrics.h"
#include "net/net.h"
#include "util/file.h"

/* The largest static file served, bytes. */
#define STATIC_MAX (64L * 1024 * 1024)

/* ---- the hash of open transactions (net thread) ------------------------ */

uint64_t
api_open_add(struct api *a, struct conn *c)
{
	struct conn **b;

	c->id = ++a->next_id;
	b = &a->open[c->id % API_BUCKETS];
	c->next = *b;
	*b = c;
	return c->id;
}

void
api_open_del(struct api *a, struct conn *c)
{
	struct conn **p;

	if (c->id == 0)
		return;
	for (p = &a->open[c->id % API_BUCKETS]; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	c->id = 0;
	c->next = NULL;
}

struct conn *
api_open_find(struct api *a, uint64_t id)
{
	for (struct conn *c = a->open[id % API_BUCKETS]; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

/* ---- answers -------------------------------------------------------------- */

static void
conn_reset(struct conn *c)
{
	free(c->body);
	free(c->out);
	api_page_unref(c->page);
	if (c->file)
		close(c->fd);
	c->file = 0;
	c->body = c->out = NULL;
	c->page = NULL;
	c->body_len = c->body_cap = c->body_expect = 0;
	c->out_len = c->out_off = 0;
	c->state = CONN_IDLE;
	c->headers_sent = 0;
	c->retry_after = 0;
	c->allow = 0;
	c->close_after = 0;
}

/* Answer now (net thread): `body` is copied. */
static void
conn_answer(struct conn *c, int status, const char *ctype, const char *body,
	size_t len)
{
	api_open_del(c->api, c);
	free(c->out);
	api_page_unref(c->page);
	c->page = NULL;
	c->out = malloc(LWS_PRE + len + 1);
	if (c->out == NULL) {
		len = 0;
		status = 503;
		c->out = malloc(LWS_PRE + 1);
		c->close_after = 1;
	}
	if (c->out != NULL && len > 0)
		memcpy(c->out + LWS_PRE, body, len);
	c->out_len = c->out ? len : 0;
	c->out_off = 0;
	c->status = status;
	snprintf(c->ctype, sizeof(c->ctype), "%s", ctype);
	c->state = CONN_WRITE;
	lws_callback_on_writable(c->wsi);
}

static void
conn_error(struct conn *c, int status, const char *code, const char *msg)
{
	char body[512];
	int n;

	/* code and msg are ours: plain ASCII without quotes or escapes. */
	n = snprintf(body, sizeof(body),
		"{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, msg);
	if (n < 0 || (size_t)n >= sizeof(body))
		n = (int)strlen(body);
	conn_answer(c, status, "application/json", body, (size_t)n);
}

/* What the core thread handed over, in order: answers matched to their
 * transactions, WebSocket work to ws.c. */
static void
drain_answers(struct api *a)
{
	struct answer *list, *next;

	pthread_mutex_lock(&a->mu);
	list = a->answers;
	a->answers = NULL;
	a->answers_tail = &a->answers;
	pthread_mutex_unlock(&a->mu);
	for (; list; list = next) {
		struct conn *c;

		next = list->next;
		if (list->kind != ANSWER_HTTP) {
			api_ws_apply(a, list);
			continue;
		}
		c = api_open_find(a, list->conn);
		if (c != NULL && !c->ws && c->state == CONN_CORE) {
			api_open_del(a, c);
			free(c->out);
			c->out = list->body;   /* allocated with LWS_PRE room */
			c->page = list->page;  /* or this, a reference */
			c->file = list->file;  /* or this file's bytes */
			c->fd = list->fd;
			c->out_len = list->len;
			c->out_off = 0;
			c->status = list->status;
			c->retry_after = list->retry_after;
			snprintf(c->ctype, sizeof(c->ctype), "%s", list->ctype);
			c->state = CONN_WRITE;
			lws_callback_on_writable(c->wsi);
		} else {
			free(list->body);
			api_page_unref(list->page);
			if (list->file)
				close(list->fd);
		}
		free(list);
	}
}

/* From the core thread: append to what the net thread will do, wake it. */
void
api_hand_over(struct api *a, struct answer *x)
{
	x->next = NULL;
	pthread_mutex_lock(&a->mu);
	*a->answers_tail = x;
	a->answers_tail = &x->next;
	pthread_mutex_unlock(&a->mu);
	lws_cancel_service(a->ctx);
}

/* FNV-1a, for the channel tables. */
unsigned
api_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % API_BUCKETS;
}

/* ---- requests to the core thread ------------------------------------------ */

struct builder {
	char *p, *end;
};

static const char *
put(struct builder *b, const char *s)
{
	size_t n;
	char *r = b->p;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	if ((size_t)(b->end - b->p) < n)
		return NULL;
	memcpy(b->p, s, n);
	b->p += n;
	return r;
}

/* The list of requests owed an answer. */
static void
owe(struct api *a, struct api_request *req)
{
	pthread_mutex_lock(&a->mu);
	req->prev_ = NULL;
	req->next_ = a->owed;
	if (a->owed != NULL)
		a->owed->prev_ = req;
	a->owed = req;
	pthread_mutex_unlock(&a->mu);
}

static void
paid(struct api *a, struct api_request *req)
{
	pthread_mutex_lock(&a->mu);
	if (req->prev_ != NULL)
		req->prev_->next_ = req->next_;
	else
		a->owed = req->next_;
	if (req->next_ != NULL)
		req->next_->prev_ = req->prev_;
	pthread_mutex_unlock(&a->mu);
}

static void
on_core_request(void *arg, void *msg, size_t len)
{
	struct api *a = arg;
	struct api_request *req;

	(void)len;
	memcpy(&req, msg, sizeof(req));
	a->fn(a->fn_arg, req);
}

/* Copy header `tok` (or custom header `name`) into out; "" if absent. */
static void
header(struct lws *wsi, int tok, const char *name, char *out, size_t cap)
{
	int n;

	out[0] = '\0';
	if (name != NULL)
		n = lws_hdr_custom_copy(wsi, out, (int)cap, name,
			(int)strlen(name));
	else
		n = lws_hdr_copy(wsi, out, (int)cap, tok);
	if (n < 0)
		out[0] = '\0';
}

/*
 * The transaction as a request for the core thread (one allocation), or
 * NULL after answering why not.  The query and the headers the API reads
 * are copied now (lws frees its header store once the body starts
 * arriving for some requests).
 */
static struct api_request *
request_of(struct conn *c)
{
	struct api *a = c->api;
	struct lws *wsi = c->wsi;
	static const struct { const char *name; int tok; } hdrs[] = {
		{ NULL, WSI_TOKEN_HTTP_AUTHORIZATION },
		{ "x-qd-key:", 0 }, { "x-qd-timestamp:", 0 },
		{ "x-qd-nonce:", 0 }, { "x-qd-signature:", 0 },
		{ NULL, WSI_TOKEN_HTTP_CONTENT_TYPE },
	};
	char hv[6][API_HDR], q[API_QBUF], pbuf[1024];
	struct api_kv params[API_MAX_PARAMS];
	size_t n_params = 0, size, nq = 0;
	struct api_request *req;
	struct builder b;
	enum api_match m;
	int route;

	for (size_t i = 0; i < 6; i++)
		header(wsi, hdrs[i].tok, hdrs[i].name, hv[i], sizeof(hv[i]));
	m = api_route_match(api_routes, c->method, c->path, &route, params,
		&n_params, pbuf, sizeof(pbuf), NULL);
	if (m != API_MATCH_OK) {
		conn_error(c, 400, "bad_request", "malformed path");
		return NULL;
	}
	size = sizeof(*req) + strlen(c->path) + 1 + sizeof(pbuf) + API_QBUF +
		sizeof(hv) + API_PEER + c->body_len + 1;
	if ((req = calloc(1, size)) == NULL) {
		conn_error(c, 503, "unavailable", "out of memory");
		return NULL;
	}
	b.p = (char *)(req + 1);
	b.end = (char *)req + size;
	req->api = a;
	req->method = c->method;
	req->route = c->route;
	req->t0_ns = c->t0_ns;
	req->path = put(&b, c->path);
	for (size_t i = 0; i < n_params; i++) {
		req->params[i].key = put(&b, params[i].key);
		req->params[i].value = put(&b, params[i].value);
	}
	req->n_params = n_params;
	for (int i = 0; nq < API_MAX_QUERY; i++) {
		int n = lws_hdr_copy_fragment(wsi, q, sizeof(q),
			WSI_TOKEN_HTTP_URI_ARGS, i);
		char *eq;

		if (n < 0)
			break;
		if (!api_utf8_valid(q, (size_t)n)) {
			free(req);
			conn_error(c, 400, "bad_request",
				"a query parameter is not valid UTF-8");
			return NULL;
		}
		eq = strchr(q, '=');
		if (eq != NULL)
			*eq = '\0';
		req->query[nq].key = put(&b, q);
		req->query[nq].value = put(&b, eq ? eq + 1 : "");
		nq++;
	}
	if (lws_hdr_copy_fragment(wsi, q, sizeof(q), WSI_TOKEN_HTTP_URI_ARGS,
	    (int)nq) >= 0) {
		free(req);
		conn_error(c, 400, "bad_request", "too many query parameters");
		return NULL;
	}
	req->n_query = nq;
	req->authorization = hv[0][0] ? put(&b, hv[0]) : NULL;
	req->api_key = hv[1][0] ? put(&b, hv[1]) : NULL;
	req->api_ts = hv[2][0] ? put(&b, hv[2]) : NULL;
	req->api_nonce = hv[3][0] ? put(&b, hv[3]) : NULL;
	req->api_signature = hv[4][0] ? put(&b, hv[4]) : NULL;
	req->content_type = hv[5][0] ? put(&b, hv[5]) : NULL;
	/* The peer's address is looked up only for the core (to_core()). */
	req->peer = b.p;
	b.p += API_PEER;
	if (c->body != NULL) {
		memcpy(b.p, c->body, c->body_len);
		b.p[c->body_len] = '\0';
		req->body = b.p;
		req->body_len = c->body_len;
	}
	return req;
}

/* Send a cached page (a reference, taken over) as the answer. */
static void
conn_page(struct conn *c, struct api_page *p)
{
	api_open_del(c->api, c);
	free(c->out);
	api_page_unref(c->page);
	c->out = NULL;
	c->page = p;
	c->out_len = p->len;
	c->out_off = 0;
	c->status = 200;
	snprintf(c->ctype, sizeof(c->ctype), "application/json");
	c->state = CONN_WRITE;
	lws_callback_on_writable(c->wsi);
}

/*
 * Answer a GET of a cacheable route here, on the net thread, when its key
 * has a live entry and the gate decides (api.h): 1 when answered with the
 * entry or the gate's refusal, 0 when the core thread is to handle it (no
 * gate, no entry, a request the core must look at: even a malformed one,
 * whose error the core words).
 */
static int
answer_cached(struct conn *c, const struct api_request *req)
{
	struct api *a = c->api;
	struct api_refusal no = { 0, NULL, 0 };
	struct api_page *p;
	char err[64], *key;

	if (a->gate == NULL || req->method != API_GET ||
	    !api_routes[req->route].cache)
		return 0;
	if ((key = api_command_request(req, err, sizeof(err))) == NULL)
		return 0;
	p = api_cache_find(a, key);
	free(key);
	if (p == NULL)
		return 0;
	switch (a->gate(a->gate_arg, req, &no)) {
	case API_GATE_PASS:
		metrics_counter_add(a->m_cached[0], 1);
		conn_page(c, p);
		return 1;
	case API_GATE_REFUSE:
		api_page_unref(p);
		c->retry_after = no.retry_after;
		conn_answer(c, no.status, "application/json", no.body ?
			no.body : "", no.body ? strlen(no.body) : 0);
		free(no.body);
		return 1;
	default:
		api_page_unref(p);
		free(no.body);
		return 0;
	}
}

/* Answer the transaction from the cache, or hand it to the core thread. */
static void
to_core(struct conn *c)
{
	struct api *a = c->api;
	struct api_request *req = request_of(c);

	if (req == NULL)
		return;
	if (answer_cached(c, req)) {
		free(req);
		return;
	}
	lws_get_peer_simple(c->wsi, (char *)req->peer, API_PEER);
	api_open_add(a, c);
	req->conn = c->id;
	c->state = CONN_CORE;
	/* the answer may take timeout_s (lws's own limit is shorter) */
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_HTTP_CONTENT,
		(int)a->timeout_s);
	owe(a, req);
	if (loop_post(a->core, on_core_request, a, &req, sizeof(req)) != 0) {
		paid(a, req);
		free(req);
		c->retry_after = 1;
		conn_error(c, 503, "unavailable",
			"the daemon is busy; retry shortly");
	}
}

/* ---- what the net thread answers alone ------------------------------------ */

static const char *
mime_of(const char *path)
{
	static const struct { const char *ext, *type; } m[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".woff2", "font/woff2" },
		{ ".map", "application/json" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(m) / sizeof(m[0]); i++)
		if (strcmp(dot, m[i].ext) == 0)
			return m[i].type;
	return "application/octet-stream";
}

/*
 * A file of the dashboard.  The path is already free of dot segments; the
 * file's real path must still lie under the root (no symlink out of it),
 * be a regular file and not a hidden one.  Paths without an extension that
 * name no file are the single-page app's routes: index.html.
 */
static void
serve_static(struct conn *c)
{
	struct api *a = c->api;
	char want[PATH_MAX], real[PATH_MAX];
	const char *rel = c->path[1] ? c->path : "/index.html";
	size_t rl, n;
	struct stat st;
	char *buf;

	if (a->static_root == NULL) {
		conn_error(c, 404, "not_found", "no such resource");
		return;
	}
	if (strstr(rel, "/.") != NULL) {
		conn_error(c, 404, "not_found", "no such file");
		return;
	}
	snprintf(want, sizeof(want), "%s%s", a->static_root, rel);
	if (realpath(want, real) == NULL) {
		const char *slash = strrchr(rel, '/');

		if (strchr(slash, '.') != NULL) {
			conn_error(c, 404, "not_found", "no such file");
			return;
		}
		snprintf(want, sizeof(want), "%s/index.html", a->static_root);
		if (realpath(want, real) == NULL) {
			conn_error(c, 404, "not_found", "no such file");
			return;
		}
	}
	rl = strlen(a->static_root);
	if (strncmp(real, a->static_root, rl) != 0 || real[rl] != '/' ||
	    stat(real, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > STATIC_MAX) {
		conn_error(c, 404, "not_found", "no such file");
		return;
	}
	if ((buf = file_read(real, STATIC_MAX, &n)) == NULL) {
		conn_error(c, 500, "internal", "the file cannot be read");
		return;
	}
	conn_answer(c, 200, mime_of(real), buf, n);
	free(buf);
}

static int
is_api_path(const char *p)
{
	return strncmp(p, "/api/", 5) == 0 || strcmp(p, "/api") == 0 ||
		strcmp(p, "/healthz") == 0 || strcmp(p, "/readyz") == 0 ||
		strcmp(p, "/metrics") == 0 || strcmp(p, "/ws") == 0;
}

static int
body_method(enum api_method m)
{
	return m == API_POST || m == API_PUT || m == API_PATCH ||
		m == API_DELETE;
}

static void
on_http(struct conn *c, const char *uri, size_t len)
{
	struct api *a = c->api;
	char pbuf[1024], clen[32];
	struct api_kv params[API_MAX_PARAMS];
	size_t n_params;
	unsigned allow = 0;
	enum api_match m;
	char *uri_ptr;
	int meth, ulen;

	conn_reset(c);
	c->route = -1;
	c->t0_ns = loop_now_ns();
	meth = lws_http_get_uri_and_method(c->wsi, &uri_ptr, &ulen);
	switch (meth) {
	case LWSHUMETH_GET: c->method = API_GET; break;
	case LWSHUMETH_HEAD: c->method = API_HEAD; break;
	case LWSHUMETH_POST: c->method = API_POST; break;
	case LWSHUMETH_PUT: c->method = API_PUT; break;
	case LWSHUMETH_PATCH: c->method = API_PATCH; break;
	case LWSHUMETH_DELETE: c->method = API_DELETE; break;
	case LWSHUMETH_OPTIONS: c->method = API_OPTIONS; break;
	default:
		c->close_after = 1;
		conn_error(c, 501, "not_implemented", "unsupported method");
		return;
	}
	if (len == 0 || len >= sizeof(c->path) ||
	    !api_utf8_valid(uri, len) || memchr(uri, '\0', len) != NULL) {
		c->close_after = body_method(c->method);
		conn_error(c, len >= sizeof(c->path) ? 414 : 400,
			len >= sizeof(c->path) ? "uri_too_long" : "bad_request",
			"malformed path");
		return;
	}
	memcpy(c->path, uri, len);
	c->path[len] = '\0';
	if (body_method(c->method)) {
		long long cl = -1;

		if (lws_hdr_copy(c->wsi, clen, sizeof(clen),
		    WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0) {
			char *e;

			errno = 0;
			cl = strtoll(clen, &e, 10);
			if (errno || *e || cl < 0)
				cl = LLONG_MAX;
		}
		if (cl > (long long)a->body_max) {
			c->close_after = 1;
			conn_error(c, 413, "payload_too_large",
				"the request body is too large");
			return;
		}
		c->body_expect = cl > 0 ? (size_t)cl : 0;
	}
	if (!is_api_path(c->path)) {
		if (c->method != API_GET && c->method != API_HEAD) {
			c->close_after = body_method(c->method);
			conn_error(c, 405, "method_not_allowed",
				"static files are read with GET");
			return;
		}
		serve_static(c);
		return;
	}
	if (strcmp(c->path, "/healthz") == 0 && c->method <= API_HEAD) {
		conn_answer(c, 200, "application/json", "{\"status\":\"ok\"}",
			15);
		return;
	}
	if (strcmp(c->path, "/readyz") == 0 && c->method <= API_HEAD) {
		if (atomic_load(&a->ready))
			conn_answer(c, 200, "application/json",
				"{\"status\":\"ready\"}", 18);
		else
			conn_error(c, 503, "not_ready",
				"the daemon is starting");
		return;
	}
	if (strcmp(c->path, "/ws") == 0) {
		c->close_after = body_method(c->method);
		conn_error(c, 426, "upgrade_required",
			"/ws takes a WebSocket upgrade");
		return;
	}
	m = api_route_match(api_routes, c->method == API_OPTIONS ? API_GET :
		c->method, c->path, &c->route, params, &n_params, pbuf,
		sizeof(pbuf), &allow);
	if (c->method == API_OPTIONS && m != API_MATCH_NONE &&
	    m != API_MATCH_BAD) {
		/* A CORS preflight (or a plain OPTIONS): the methods. */
		c->allow = allow | 1u << API_OPTIONS;
		conn_answer(c, 204, "application/json", "", 0);
		return;
	}
	switch (m) {
	case API_MATCH_OK:
		break;
	case API_MATCH_METHOD:
		c->allow = allow;
		c->close_after = body_method(c->method);
		conn_error(c, 405, "method_not_allowed",
			"the resource does not take this method");
		return;
	case API_MATCH_BAD:
		c->close_after = body_method(c->method);
		conn_error(c, 400, "bad_request", "malformed path");
		return;
	default:
		c->close_after = body_method(c->method);
		conn_error(c, 404, "not_found", "no such resource");
		return;
	}
	if (body_method(c->method)) {
		c->state = CONN_BODY;
		if (c->body_expect == 0 && lws_hdr_total_length(c->wsi,
		    WSI_TOKEN_HTTP_TRANSFER_ENCODING) <= 0)
			to_core(c);
		return;
	}
	to_core(c);
}

static int
on_body(struct conn *c, const void *in, size_t len)
{
	struct api *a = c->api;

	if (c->state != CONN_BODY)
		return 0;   /* answered already; the rest is ignored */
	if (c->body_len + len > a->body_max) {
		c->close_after = 1;
		conn_error(c, 413, "payload_too_large",
			"the request body is too large");
		return 0;
	}
	if (c->body_len + len + 1 > c->body_cap) {
		size_t cap = c->body_cap ? c->body_cap : 4096;
		char *nb;

		while (cap < c->body_len + len + 1)
			cap *= 2;
		if ((nb = realloc(c->body, cap)) == NULL) {
			c->close_after = 1;
			conn_error(c, 503, "unavailable", "out of memory");
			return 0;
		}
		c->body = nb;
		c->body_cap = cap;
	}
	memcpy(c->body + c->body_len, in, len);
	c->body_len += len;
	return 0;
}

/* ---- writing -------------------------------------------------------------- */

static int
add_header(struct lws *wsi, const char *name, const char *value,
	unsigned char **p, unsigned char *end)
{
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
		(const unsigned char *)value, (int)strlen(value), p, end);
}

/* Write the answer's headers: 0, or 1 when the body went with them (a
 * cached page over plain HTTP), or -1 to close. */
static int
write_headers(struct conn *c)
{
	struct api *a = c->api;
	unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *p = start,
		*end = buf + sizeof(buf) - 1;
	char tmp[256], origin[256];
	int static_file = !is_api_path(c->path);

	if (lws_add_http_common_headers(c->wsi, (unsigned)c->status,
	    c->ctype, c->out_len, &p, end) ||
	    add_header(c->wsi, "x-content-type-options:", "nosniff", &p, end) ||
	    add_header(c->wsi, "x-frame-options:", "DENY", &p, end) ||
	    add_header(c->wsi, "referrer-policy:", "no-referrer", &p, end) ||
	    add_header(c->wsi, "content-security-policy:", static_file ?
	    "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
	    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; "
	    "base-uri 'none'; form-action 'self'" :
	    "default-src 'none'; frame-ancestors 'none'", &p, end) ||
	    add_header(c->wsi, "cache-control:", static_file ?
	    "no-cache" : "no-store", &p, end))
		return -1;
	if (a->tls_cert != NULL && add_header(c->wsi,
	    "strict-transport-security:", "max-age=31536000", &p, end))
		return -1;
	if (c->retry_after > 0) {
		snprintf(tmp, sizeof(tmp), "%d", c->retry_after);
		if (add_header(c->wsi, "retry-after:", tmp, &p, end))
			return -1;
	}
	if (c->allow) {
		size_t o = 0;

		tmp[0] = '\0';
		for (int m = 0; m < API_METHOD_COUNT; m++)
			if (c->allow & (1u << m))
				o += (size_t)snprintf(tmp + o, sizeof(tmp) - o,
					"%s%s", o ? ", " : "",
					api_method_name((enum api_method)m));
		if (add_header(c->wsi, "allow:", tmp, &p, end))
			return -1;
	}
	if (a->cors != NULL && lws_hdr_copy(c->wsi, origin, sizeof(origin),
	    WSI_TOKEN_ORIGIN) > 0) {
		int any = strcmp(a->cors, "*") == 0, ok = any;
		const char *s = a->cors;
		size_t ol = strlen(origin);

		while (!ok && *s) {
			const char *e = strchr(s, ',');
			size_t n = e ? (size_t)(e - s) : strlen(s);

			ok = n == ol && memcmp(s, origin, n) == 0;
			s += n + (e != NULL);
		}
		if (ok && (add_header(c->wsi, "access-control-allow-origin:",
		    any ? "*" : origin, &p, end) ||
		    add_header(c->wsi, "vary:", "Origin", &p, end) ||
		    add_header(c->wsi, "access-control-allow-headers:",
		    "authorization, content-type, x-qd-key, x-qd-timestamp, "
		    "x-qd-nonce, x-qd-signature", &p, end) ||
		    add_header(c->wsi, "access-control-allow-methods:",
		    "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS", &p, end) ||
		    add_header(c->wsi, "access-control-max-age:", "600", &p,
		    end)))
			return -1;
	}
	if (c->page != NULL && a->tls_cert == NULL && c->method != API_HEAD &&
	    c->out_len <= API_SLICE) {
		/* Plain HTTP/1.1 (no TLS, so no h2 framing): the headers go
		 * into the page's head room and out with the body in one
		 * send, as one segment -- the client wakes once. */
		unsigned char *h;
		size_t n;

		if (lws_finalize_http_header(c->wsi, &p, end))
			return -1;
		n = (size_t)(p - start);
		if (n <= API_PAGE_ROOM) {
			h = (unsigned char *)API_PAGE_BODY(c->page) - n;
			memcpy(h, start, n);
			if (lws_write(c->wsi, h, n + c->out_len,
			    LWS_WRITE_HTTP_FINAL) != (int)(n + c->out_len))
				return -1;
			c->headers_sent = 1;
			c->out_off = c->out_len;
			return 1;
		}
		if (lws_write(c->wsi, start, n, LWS_WRITE_HTTP_HEADERS) !=
		    (int)n)
			return -1;
		c->headers_sent = 1;
		return 0;
	}
	if (lws_finalize_write_http_header(c->wsi, start, &p, end))
		return -1;
	c->headers_sent = 1;
	return 0;
}

/* Count the transaction: its route's pattern ("static", "other" when it
 * had none), method, status and time. */
static void
count_request(struct conn *c)
{
	struct api *a = c->api;
	const char *route = c->route >= 0 ? api_routes[c->route].pattern :
		strcmp(c->path, "/healthz") == 0 ? "/healthz" :
		strcmp(c->path, "/readyz") == 0 ? "/readyz" :
		!is_api_path(c->path) ? "static" : "other";
	char status[8];

	if (a->m_requests == NULL)
		return;
	snprintf(status, sizeof(status), "%d", c->status);
	metrics_counter_add(metrics_counter(a->m_requests, (const char *[]){
		route, api_method_name(c->method), status }), 1);
	metrics_histogram_observe(metrics_histogram(a->m_latency,
		(const char *[]){ route }), loop_now_ns() - c->t0_ns);
}

/* Finish the transaction: keep the connection for the next one, or not. */
static int
finish(struct conn *c)
{
	int close_it = c->close_after;

	count_request(c);
	conn_reset(c);
	if (close_it)
		return -1;
	return lws_http_transaction_completed(c->wsi) ? -1 : 0;
}

static int
on_writeable(struct conn *c)
{
	unsigned char *body;
	size_t n;
	int final;

	if (c->state != CONN_WRITE)
		return 0;
	if (!c->headers_sent) {
		int sent = write_headers(c);

		if (sent < 0)
			return -1;
		if (sent == 1 || c->out_len == 0 || c->method == API_HEAD)
			return finish(c);
		/* The headers went whole (the usual case): the body follows
		 * in this callback, without waiting for the next poll. */
		if (lws_send_pipe_choked(c->wsi)) {
			lws_callback_on_writable(c->wsi);
			return 0;
		}
	}
	n = c->out_len - c->out_off;
	if (n > API_SLICE)
		n = API_SLICE;
	final = c->out_off + n == c->out_len;
	if (c->file) {
		/* the next slice of the file, read now (the page cache's,
		 * usually): no copy of the whole answer is ever made */
		body = (unsigned char *)c->out + LWS_PRE;
		if (pread(c->fd, body, n, (off_t)c->out_off) != (ssize_t)n)
			return -1;    /* it shrank: the length sent is wrong */
	} else {
		body = (unsigned char *)(c->page != NULL ?
			API_PAGE_BODY(c->page) : c->out + LWS_PRE) + c->out_off;
	}
	if (lws_write(c->wsi, body, n, final ? LWS_WRITE_HTTP_FINAL :
	    LWS_WRITE_HTTP) != (int)n)
		return -1;
	c->out_off += n;
	if (final)
		return finish(c);
	/* A big answer lives as long as the client takes a slice every
	 * timeout_s, however long the whole takes. */
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_HTTP_CONTENT,
		(int)c->api->timeout_s);
	lws_callback_on_writable(c->wsi);
	return 0;
}

static int
api_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
	void *in, size_t len)
{
	struct lws_vhost *vh = lws_get_vhost(wsi);
	struct api *a = vh ? lws_get_vhost_user(vh) : NULL;
	struct conn *c = user;

	if (a == NULL)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		drain_answers(a);
		return 0;
	case LWS_CALLBACK_HTTP:
		c->api = a;
		c->wsi = wsi;
		on_http(c, in, len);
		return 0;
	case LWS_CALLBACK_HTTP_BODY:
		return c->api ? on_body(c, in, len) : -1;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (c->api && c->state == CONN_BODY)
			to_core(c);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return c->api ? on_writeable(c) : 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return api_ws_filter(a, wsi);
	case LWS_CALLBACK_ESTABLISHED:
		c->api = a;
		c->wsi = wsi;
		api_ws_established(a, c);
		return 0;
	case LWS_CALLBACK_RECEIVE:
		return c->api ? api_ws_receive(c, in, len) : -1;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return c->api ? api_ws_writeable(c) : 0;
	case LWS_CALLBACK_TIMER:
		if (c != NULL && c->api != NULL && c->ws)
			api_ws_timer(c);
		return 0;
	case LWS_CALLBACK_CLOSED:
		if (c != NULL && c->api != NULL && c->ws)
			api_ws_closed(c);
		return 0;
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (c != NULL && c->api != NULL && !c->ws) {
			api_open_del(a, c);
			conn_reset(c);
			c->api = NULL;
		}
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

/* ---- start and stop ------------------------------------------------------- */

static void
net_create(void *arg, void *msg, size_t len)
{
	struct api *a = arg;
	struct lws_context_creation_info info;

	(void)msg;
	(void)len;
	memset(&info, 0, sizeof(info));
	info.vhost_name = "api";
	/* accept.c listens and hands connections over */
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	info.protocols = a->protocols;
	info.user = a;
	info.keepalive_timeout = (int)a->timeout_s;
	info.timeout_secs = a->timeout_s;
	info.timeout_secs_ah_idle = a->timeout_s;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
	if (a->tls_cert != NULL) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = a->tls_cert;
		info.ssl_private_key_filepath = a->tls_key;
	}
	a->vh = lws_create_vhost(a->ctx, &info);
	if (a->vh != NULL && api_listen_adopt(a) == 0) {
		a->ok = 1;
	} else if (a->vh != NULL) {
		/* nothing is bound to it yet: it ends here and now */
		lws_vhost_destroy(a->vh);
		a->vh = NULL;
	}
	sem_post(&a->done);
}

static void
net_destroy(void *arg, void *msg, size_t len)
{
	struct api *a = arg;

	(void)msg;
	(void)len;
	/* lws ends a vhost later (its connections close, its protocol may
	 * still be called): the server's memory stays until api_free(),
	 * after the net thread has stopped. */
	if (a->vh != NULL)
		lws_vhost_destroy(a->vh);
	a->vh = NULL;
	atomic_store(&a->stopped, 1);
	sem_post(&a->done);
}

static void
wait_net(struct api *a)
{
	while (sem_wait(&a->done) != 0)
		if (errno != EINTR)
			abort();   /* only with a broken semaphore */
}

static void
release(struct api *a)
{
	struct answer *n;

	for (struct answer *x = a->answers; x; x = n) {
		n = x->next;
		free(x->body);
		api_page_unref(x->page);
		if (x->file)
			close(x->fd);
		free(x->channel);
		free(x->buf);
		free(x);
	}
	api_ws_free_all(a);
	while (a->owed != NULL) {
		struct api_request *r = a->owed;

		a->owed = r->next_;
		free(r);
	}
	if (a->listen_fd >= 0)
		close(a->listen_fd);
	free(a->listen_host);
	free(a->tls_cert);
	free(a->tls_key);
	free(a->static_root);
	free(a->cors);
	api_cache_free(a);
	pthread_mutex_destroy(&a->mu);
	sem_destroy(&a->done);
	free(a);
}

static char *
dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* "host:port", "[v6]:port" or ":port"; the host may be empty (all). */
static int
parse_listen(const char *s, char **host, int *port)
{
	const char *colon = strrchr(s, ':');
	const char *h = s;
	size_t hn;
	char *e;
	long p;

	if (colon == NULL)
		return -1;
	hn = (size_t)(colon - s);
	if (hn >= 2 && s[0] == '[' && s[hn - 1] == ']') {
		h++;
		hn -= 2;
	}
	errno = 0;
	p = strtol(colon + 1, &e, 10);
	if (errno || *e || e == colon + 1 || p < 0 || p > 65535)
		return -1;
	*port = (int)p;
	*host = hn ? strndup(h, hn) : NULL;
	return 0;
}

struct api *
api_start(struct net *n, struct loop *core, const struct api_config *cfg,
	api_handler_fn fn, void *arg)
{
	struct api *a = calloc(1, sizeof(*a));
	char real[PATH_MAX], err[256];

	if (a == NULL)
		return NULL;
	if (sem_init(&a->done, 0, 0) != 0) {
		free(a);
		return NULL;
	}
	a->listen_fd = -1;
	pthread_mutex_init(&a->mu, NULL);
	api_cache_init(a);
	a->answers_tail = &a->answers;
	a->net = n;
	a->core = core;
	a->ctx = net_context(n);
	a->fn = fn;
	a->fn_arg = arg;
	a->gate = cfg->gate;
	a->gate_arg = cfg->gate_arg;
	a->body_max = cfg->body_max ? cfg->body_max : 1024 * 1024;
	a->timeout_s = cfg->timeout_s ? cfg->timeout_s : 10;
	if (parse_listen(cfg->listen ? cfg->listen : "", &a->listen_host,
	    &a->port) != 0) {
		log_error("api", "listen \"%s\": expected host:port",
			cfg->listen ? cfg->listen : "");
		release(a);
		return NULL;
	}
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
		log_error("api", "TLS needs both tls_cert and tls_key");
		release(a);
		return NULL;
	}
	a->tls_cert = dup_or_null(cfg->tls_cert);
	a->tls_key = dup_or_null(cfg->tls_key);
	a->cors = dup_or_null(cfg->cors_origins);
	if (cfg->static_dir != NULL) {
		if (realpath(cfg->static_dir, real) == NULL) {
			log_warn("api", "static_dir %s: %s; no dashboard "
				"files are served", cfg->static_dir,
				strerror(errno));
		} else {
			a->static_root = strdup(real);
		}
	}
	if (cfg->metrics != NULL) {
		static const char *const rl[] = { "route", "method", "status" };
		static const char *const r1[] = { "route" };
		static const char *const tl[] = { "thread" };
		struct metrics_family *cf;

		a->m_requests = metrics_counter_family(cfg->metrics,
			"quantd_api_requests_total", "API requests answered, "
			"by route pattern, method and status.", rl, 3, 512);
		a->m_latency = metrics_latency_family(cfg->metrics,
			"quantd_api_request_duration_seconds", "From a request's "
			"headers to its answer's last byte written.", r1, 1, 64);
		a->m_ws_clients = metrics_gauge(metrics_gauge_family(
			cfg->metrics, "quantd_api_ws_clients", "WebSocket "
			"clients connected.", NULL, 0, 1), NULL);
		a->m_ws_slow = metrics_counter(metrics_counter_family(
			cfg->metrics, "quantd_api_ws_slow_closed_total",
			"WebSocket clients closed for falling behind.", NULL, 0,
			1), NULL);
		cf = metrics_counter_family(cfg->metrics,
			"quantd_api_cached_answers_total", "API answers sent "
			"from the answer cache, by the thread that answered "
			"(net: no trip to the core thread).", tl, 1, 2);
		a->m_cached[0] = metrics_counter(cf, (const char *[]){ "net" });
		a->m_cached[1] = metrics_counter(cf,
			(const char *[]){ "core" });
	}
	a->protocols[0].name = "quantd-api";
	a->protocols[0].callback = api_callback;
	a->protocols[0].per_session_data_size = sizeof(struct conn);
	a->protocols[0].rx_buffer_size = 16384;
	/* One send() per slice of an answer (else lws cuts every write to
	 * rx_buffer_size and sends the rest from its own copy). */
	a->protocols[0].tx_packet_size = API_SLICE;
	a->protocols[1].name = API_ACCEPT_PROTOCOL;
	a->protocols[1].callback = api_accept_callback;
	a->protocols[1].per_session_data_size = api_accept_session_size();
	if (api_listen_open(a, err, sizeof(err)) != 0) {
		log_error("api", "cannot listen on %s: %s", cfg->listen, err);
		release(a);
		return NULL;
	}
	if (net_post(n, net_create, a, NULL, 0) != 0) {
		log_error("api", "the net thread does not take work");
		release(a);
		return NULL;
	}
	wait_net(a);
	if (!a->ok) {
		log_error("api", "cannot serve on %s%s", cfg->listen,
			a->tls_cert ? ": the TLS certificate and key cannot "
			"be read" : "");
		release(a);
		return NULL;
	}
	log_info("api", "listening on %s port %d%s", a->listen_host ?
		a->listen_host : "*", a->port, a->tls_cert ? " (TLS)" : "");
	return a;
}

int
api_port(const struct api *a)
{
	return a->port;
}

void
api_set_ready(struct api *a, int ready)
{
	atomic_store(&a->ready, ready);
}

void
api_stop(struct api *a)
{
	if (a == NULL)
		return;
	while (net_post(a->net, net_destroy, a, NULL, 0) != 0)
		usleep(1000);
	wait_net(a);
}

void
api_free(struct api *a)
{
	if (a != NULL)
		release(a);
}

/* Hand an answer whose body is already in an LWS_PRE buffer (out, or a
 * cached page whose reference it takes, or -- fd >= 0, taken -- a file
 * sent through out, a slice's room) over. */
static void
answer(struct api_request *req, int status, char *out, struct api_page *page,
	int fd, size_t len, const char *content_type, int retry_after)
{
	struct api *a = req->api;
	struct answer *x = calloc(1, sizeof(*x));

	paid(a, req);
	if (x == NULL) {
		/* The connection times out; nothing else to do. */
		free(out);
		api_page_unref(page);
		if (fd >= 0)
			close(fd);
		free(req);
		return;
	}
	x->conn = req->conn;
	x->status = status;
	x->retry_after = retry_after;
	x->body = out;
	x->page = page;
	x->file = fd >= 0;
	x->fd = fd;
	x->len = len;
	snprintf(x->ctype, sizeof(x->ctype), "%s", content_type ?
		content_type : "application/json");
	free(req);
	x->kind = ANSWER_HTTP;
	api_hand_over(a, x);
}

void
api_respond_fd(struct api_request *req, int status, int fd, size_t len,
	const char *content_type)
{
	char *slice = malloc(LWS_PRE + API_SLICE);

	if (slice == NULL) {
		close(fd);
		api_respond_error(req, 503, "unavailable", "out of memory");
		return;
	}
	answer(req, status, slice, NULL, fd, len, content_type, 0);
}

void
api_respond_copy(struct api_request *req, int status, const char *body,
	size_t len, const char *content_type)
{
	char *out = malloc(LWS_PRE + len + 1);

	if (out != NULL) {
		memcpy(out + LWS_PRE, body, len);
		out[LWS_PRE + len] = '\0';
	}
	answer(req, out ? status : 503, out, NULL, -1, out ? len : 0,
		content_type, 0);
}

void
api_respond_page(struct api_request *req, struct api_page *page)
{
	answer(req, 200, NULL, page, -1, page->len, "application/json", 0);
}

void
api_respond(struct api_request *req, int status, char *body,
	const char *content_type, int retry_after)
{
	size_t len = body ? strlen(body) : 0;
	char *out = malloc(LWS_PRE + len + 1);

	if (out != NULL)
		memcpy(out + LWS_PRE, body ? body : "", len + 1);
	free(body);
	answer(req, out ? status : 503, out, NULL, -1, out ? len : 0,
		content_type, retry_after);
}

void
api_respond_error(struct api_request *req, int status, const char *code,
	const char *msg)
{
	cJSON *o = cJSON_CreateObject(), *e;
	char *s = NULL;

	if (o != NULL && (e = cJSON_AddObjectToObject(o, "error")) != NULL &&
	    cJSON_AddStringToObject(e, "code", code) &&
	    cJSON_AddStringToObject(e, "message", msg))
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	api_respond(req, s ? status : 500, s, "application/json", 0);
}

void
api_command_respond(struct api_request *req, char *reply)
{
	static const char ok[] = "{\"ok\":true";
	cJSON *o, *e, *code;
	int status = 200;
	char *s;

	/* The daemon's answers are printed unformatted: a success starts
	 * with its "ok" member, which goes without parsing the rest (a page
	 * of candles is tens of kilobytes). */
	if (reply != NULL && strncmp(reply, ok, sizeof(ok) - 1) == 0 &&
	    (reply[sizeof(ok) - 1] == ',' || reply[sizeof(ok) - 1] == '}')) {
		size_t len = strlen(reply), skip = sizeof(ok) - 1 +
			(reply[sizeof(ok) - 1] == ',');

		memmove(reply + 1, reply + skip, len - skip + 1);
		api_respond(req, 200, reply, "application/json", 0);
		return;
	}
	o = reply ? cJSON_Parse(reply) : NULL;
	free(reply);
	if (o == NULL || !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		api_respond_error(req, 500, "internal",
			"the command gave no answer");
		return;
	}
	if ((e = cJSON_GetObjectItemCaseSensitive(o, "error")) != NULL) {
		code = cJSON_GetObjectItemCaseSensitive(e, "code");
		status = api_status_for(cJSON_IsString(code) ?
			code->valuestring : "");
	} else {
		cJSON_DeleteItemFromObjectCaseSensitive(o, "ok");
	}
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (s == NULL)
		api_respond_error(req, 500, "internal", "out of memory");
	else
		api_respond(req, status, s, "application/json", 0);
}
