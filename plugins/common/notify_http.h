/*
 * notify_http.h -- what the HTTP notifiers (webhook, Telegram, Discord)
 * share, compiled into each (plugins share no code at run time):
 *
 *   nh_post()    POST a JSON body through the host's net thread and keep
 *                which notification (the host's req) it carries;
 *   nh_answer()  an answer to one of those: the host's notify_done with
 *                the outcome -- 2xx delivered; 429 QD_ERR_LIMIT with
 *                "retry_after_ms=N" (from the Retry-After header, or the
 *                body's retry_after: Discord's seconds, Telegram's
 *                parameters.retry_after) so that the outbox pauses the
 *                channel; 400/404/413 QD_ERR_INVALID; 401/403
 *                QD_ERR_DENIED; no answer or 5xx QD_ERR_IO.  The detail
 *                names the status and the start of the answer, never the
 *                URL (Telegram and Discord carry their token in it).
 */
#ifndef QD_PLUGINS_NOTIFY_HTTP_H
#define QD_PLUGINS_NOTIFY_HTTP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <quantd/sdk.h>

/* Requests in flight at once per instance (the outbox sends 4 by
 * default; a route may allow more). */
#define NH_MAX 1024

struct nh {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	int64_t timeout_ns;
	struct { uint64_t http, req; } pend[NH_MAX];
	size_t n;
};

/* POST `body` to `url` with `headers` (Content-Type added) for
 * notification `req`: QD_OK (the answer comes to nh_answer) or an error
 * (already reported with notify_done). */
static inline int
nh_post(struct nh *h, uint64_t req, const char *url, const struct qd_kv *hdr,
	uint32_t n_hdr, const char *body)
{
	struct qd_kv all[8];
	struct qd_http_request r;
	uint64_t id;
	uint32_t i;
	int rc;

	if (h->n == NH_MAX || n_hdr > 7) {
		h->api->notify_done(h->ctx, req, QD_ERR_LIMIT,
			"too many requests in flight");
		return QD_ERR_LIMIT;
	}
	all[0].key = "Content-Type";
	all[0].value = "application/json";
	for (i = 0; i < n_hdr; i++)
		all[i + 1] = hdr[i];
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.method = "POST";
	r.url = url;
	r.headers = all;
	r.n_headers = n_hdr + 1;
	r.body = body;
	r.body_len = strlen(body);
	r.timeout_ns = h->timeout_ns;
	if ((rc = h->api->http_request(h->ctx, &r, &id)) != QD_OK) {
		h->api->notify_done(h->ctx, req, rc, "the request could not "
			"be sent");
		return rc;
	}
	h->pend[h->n].http = id;
	h->pend[h->n].req = req;
	h->n++;
	return QD_OK;
}

/* A wait of `sec` seconds in ms: 1 ms .. 1 hour (NaN, negative: 0). */
static inline long long
nh_ms(double sec)
{
	if (!(sec > 0))
		return 0;
	if (sec > 3600.0)
		return 3600000;
	return (long long)(sec * 1000.0) > 0 ? (long long)(sec * 1000.0) : 1;
}

/* The wait a 429 asks for, in ms: the longer of the Retry-After header
 * and the body's retry_after; 1 s when neither says. */
static inline long long
nh_retry_after(struct nh *h, const char *body, size_t len)
{
	char v[32];
	long long ms = 0, b;
	cJSON *j, *x;

	if (QD_API_HAS(h->api, http_header) &&
	    h->api->http_header(h->ctx, "retry-after", v, sizeof(v)) == QD_OK)
		ms = nh_ms(strtod(v, NULL));
	if ((j = cJSON_ParseWithLength(body, len)) != NULL) {
		x = cJSON_GetObjectItemCaseSensitive(j, "retry_after");
		if (!cJSON_IsNumber(x))
			x = cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(j,
				"parameters"), "retry_after");
		if (cJSON_IsNumber(x) && (b = nh_ms(x->valuedouble)) > ms)
			ms = b;
		cJSON_Delete(j);
	}
	return ms > 0 ? ms : 1000;
}

/* The answer to HTTP request `http`: 0 if it was one of ours (reported),
 * -1 if not. */
static inline int
nh_answer(struct nh *h, uint64_t http, int status, const char *body,
	size_t len)
{
	char detail[320], excerpt[200];
	uint64_t req;
	size_t i, k;
	int rc;

	for (i = 0; i < h->n; i++)
		if (h->pend[i].http == http)
			break;
	if (i == h->n)
		return -1;
	req = h->pend[i].req;
	h->pend[i] = h->pend[--h->n];
	if (status >= 200 && status < 300) {
		h->api->notify_done(h->ctx, req, QD_OK, NULL);
		return 0;
	}
	/* The start of the answer on one line. */
	for (k = 0; k < len && k < sizeof(excerpt) - 1; k++)
		excerpt[k] = body[k] >= 0x20 && body[k] < 0x7f ? body[k] : ' ';
	excerpt[k] = '\0';
	if (status == 429) {
		snprintf(detail, sizeof(detail), "retry_after_ms=%lld; HTTP "
			"429: %s", nh_retry_after(h, body, len), excerpt);
		h->api->notify_done(h->ctx, req, QD_ERR_LIMIT, detail);
		return 0;
	}
	rc = status == 401 || status == 403 ? QD_ERR_DENIED :
	    status == 400 || status == 404 || status == 413 ? QD_ERR_INVALID :
	    status <= 0 ? QD_ERR_IO : status >= 500 ? QD_ERR_IO :
	    QD_ERR_INVALID;
	if (status <= 0)
		snprintf(detail, sizeof(detail), "no answer (connection "
			"failed or timed out)");
	else
		snprintf(detail, sizeof(detail), "HTTP %d: %s", status,
			excerpt);
	h->api->notify_done(h->ctx, req, rc, detail);
	return 0;
}

/* The severity's name, as the webhook body and the messages say it. */
static inline const char *
nh_severity(enum qd_severity s)
{
	return s == QD_SEV_CRITICAL ? "critical" : s == QD_SEV_WARNING ?
	    "warning" : "info";
}

/* The 1.5 fields of a notification, or NULL from an older host. */
static inline const char *
nh_key(const struct qd_notification *n)
{
	return n->size >= offsetof(struct qd_notification, key) +
	    sizeof(n->key) ? n->key : NULL;
}

static inline const char *
nh_user(const struct qd_notification *n)
{
	return n->size >= offsetof(struct qd_notification, user) +
	    sizeof(n->user) ? n->user : NULL;
}

#endif
