/*
 * webhook.c -- notify-webhook: each notification POSTed as JSON to a URL,
 * signed so that the receiver knows it came from this quantd and was not
 * replayed.
 *
 * Body (one JSON object):
 *   {"id": KEY, "event": "risk.daily_loss", "severity": "critical",
 *    "ts": MS, "title": "...", "body": "...", "user": "alice" | null,
 *    "recipient": "..." | null, "attempt": 1}
 * Headers:
 *   X-Quantd-Timestamp: unix seconds when this attempt was sent
 *   X-Quantd-Signature: sha256=HEX, HMAC-SHA256 keyed with the instance's
 *                       secret `secret` over TIMESTAMP + "." + BODY
 *   Idempotency-Key:    KEY (the same for every attempt: count by it)
 *   X-Quantd-Event:     the event name
 * A receiver recomputes the HMAC over the timestamp header, a dot and the
 * raw body, compares in constant time, refuses timestamps older than its
 * tolerance (5 minutes, say) and counts each Idempotency-Key once
 * (docs/notifications.md).  The secret is sealed: the plugin signs
 * through api->sign and never sees its bytes.
 *
 * A user's own webhook (SDK 1.6, qd_notification.target): POSTed to the
 * user's "url", always signed, with the user's secret ("target.secret").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <quantd/sdk.h>

#include "../common/notify_http.h"

struct webhook {
	struct nh nh;
	const char *url;
	const char *secret;     /* the secret's name in "secrets" */
	int sign;
};

static int
wh_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct webhook *w;

	if (!QD_API_HAS(api, sign)) {
		api->log(ctx, QD_LOG_ERROR, "this host cannot sign (SDK "
			"ABI 1.4 needed)");
		return QD_ERR_UNSUPPORTED;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return QD_ERR_NOMEM;
	w->nh.api = api;
	w->nh.ctx = ctx;
	w->nh.timeout_ns = api->param_int(p, "timeout_s") * 1000000000LL;
	w->url = api->param_string(p, "url");
	w->secret = api->param_string(p, "secret");
	w->sign = api->param_bool(p, "sign");
	/* "": the instance carries users' own webhooks only */
	if (w->url != NULL && *w->url && strncmp(w->url, "http://", 7) != 0 &&
	    strncmp(w->url, "https://", 8) != 0) {
		api->log(ctx, QD_LOG_ERROR, "url: expected http:// or "
			"https://");
		free(w);
		return QD_ERR_INVALID;
	}
	*state = w;
	return QD_OK;
}

static void
wh_destroy(void *state)
{
	free(state);
}

/* The body, malloc'd (NULL: out of memory). */
static char *
wh_body(const struct qd_notification *n)
{
	cJSON *o = cJSON_CreateObject();
	const char *key = nh_key(n), *user = nh_user(n);
	char *s;

	cJSON_AddStringToObject(o, "id", key ? key : "");
	cJSON_AddStringToObject(o, "event", n->event ? n->event : "");
	cJSON_AddStringToObject(o, "severity", nh_severity(n->severity));
	cJSON_AddNumberToObject(o, "ts", (double)(n->ts / 1000000));
	cJSON_AddStringToObject(o, "title", n->title ? n->title : "");
	cJSON_AddStringToObject(o, "body", n->body ? n->body : "");
	if (user)
		cJSON_AddStringToObject(o, "user", user);
	else
		cJSON_AddNullToObject(o, "user");
	if (n->recipient)
		cJSON_AddStringToObject(o, "recipient", n->recipient);
	else
		cJSON_AddNullToObject(o, "recipient");
	cJSON_AddNumberToObject(o, "attempt", n->size >=
		offsetof(struct qd_notification, attempt) + sizeof(n->attempt) ?
		n->attempt : 1);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static int
wh_send(void *state, uint64_t req, const struct qd_notification *n)
{
	struct webhook *w = state;
	struct qd_kv h[4];
	uint32_t nh = 0;
	char ts[24], sig[160], hv[170], *msg = NULL, *body = wh_body(n);
	size_t sig_len = 0, blen;
	int rc = QD_OK, targeted = qd_notification_targeted(n);
	const char *url = targeted ? qd_notification_target(n, "url") :
	    w->url;

	if (body == NULL) {
		w->nh.api->notify_done(w->nh.ctx, req, QD_ERR_NOMEM, NULL);
		return QD_OK;
	}
	if (url == NULL || (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0)) {
		w->nh.api->notify_done(w->nh.ctx, req, QD_ERR_INVALID,
			targeted ? "the user's webhook has no http(s) url" :
			"this instance has no url (it carries users' own "
			"webhooks only)");
		free(body);
		return QD_OK;
	}
	snprintf(ts, sizeof(ts), "%lld",
		(long long)(w->nh.api->now_ns(w->nh.ctx) / 1000000000LL));
	h[nh].key = "X-Quantd-Timestamp";
	h[nh++].value = ts;
	/* A user's own channel (SDK 1.6): their URL, always signed with
	 * their secret. */
	if (targeted || w->sign) {
		struct qd_sign_req s;

		blen = strlen(body);
		if ((msg = malloc(strlen(ts) + 1 + blen + 1)) == NULL) {
			rc = QD_ERR_NOMEM;
			goto out;
		}
		sprintf(msg, "%s.%s", ts, body);
		memset(&s, 0, sizeof(s));
		s.size = sizeof(s);
		s.alg = QD_SIGN_HMAC_SHA256;
		s.enc = QD_ENC_HEX;
		s.secret = targeted ? "target.secret" : w->secret;
		s.msg = msg;
		s.msg_len = strlen(msg);
		if ((rc = w->nh.api->sign(w->nh.ctx, &s, sig, sizeof(sig),
		    &sig_len)) != QD_OK)
			goto out;
		snprintf(hv, sizeof(hv), "sha256=%s", sig);
		h[nh].key = "X-Quantd-Signature";
		h[nh++].value = hv;
	}
	if (nh_key(n) != NULL) {
		h[nh].key = "Idempotency-Key";
		h[nh++].value = nh_key(n);
	}
	h[nh].key = "X-Quantd-Event";
	h[nh++].value = n->event ? n->event : "";
	nh_post(&w->nh, req, url, h, nh, body);
out:
	if (rc != QD_OK)
		w->nh.api->notify_done(w->nh.ctx, req, rc, rc ==
			QD_ERR_NOTFOUND ? (targeted ? "the user's webhook "
			"secret cannot be read" : "the signing secret is not "
			"set (instance \"secrets\")") : "cannot sign");
	free(msg);
	free(body);
	return QD_OK;
}

static void
wh_on_http_response(void *state, uint64_t id, int status, const char *body,
	size_t len)
{
	struct webhook *w = state;

	nh_answer(&w->nh, id, status, body, len);
}

static const struct qd_notifier_ops wh_ops = {
	.base = {
		.size = sizeof(struct qd_notifier_ops),
		.create = wh_create,
		.destroy = wh_destroy,
	},
	.send = wh_send,
	.on_http_response = wh_on_http_response,
};

static const struct qd_param_spec wh_params[] = {
	QD_PARAM_STRING_SPEC("url", "", "the receiver's URL (http:// or "
		"https://); empty: the instance carries users' own webhooks "
		"only"),
	QD_PARAM_STRING_SPEC("secret", "signing_secret",
		"name of the instance secret (in \"secrets\") the HMAC is "
		"keyed with"),
	QD_PARAM_BOOL_SPEC("sign", 1, "sign each request (X-Quantd-"
		"Signature); off only for receivers that cannot check it"),
	QD_PARAM_INT_SPEC("timeout_s", 10, 1, 300,
		"seconds to wait for the receiver's answer"),
};

static const struct qd_plugin wh_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_NOTIFIER,
	.name = "notify-webhook",
	.version = "1.0.0",
	.description = "notifications POSTed as JSON, HMAC-SHA256 signed "
	    "over timestamp.body, with an idempotency key",
	.license = "MIT",
	.params = wh_params,
	.n_params = QD_COUNTOF(wh_params),
	.ops = &wh_ops,
};

static const struct qd_plugin *const plugins[] = { &wh_plugin, NULL };

QD_MODULE(plugins);
