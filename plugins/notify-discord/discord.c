/*
 * discord.c -- notify-discord: each notification executed on a Discord
 * webhook (POST WEBHOOK_URL?wait=true with content and one embed).
 *
 * The webhook URL holds its token (/api/webhooks/<id>/<token>): it is the
 * instance secret "webhook_url", never a parameter, and never logged (the
 * host's log masks /webhooks/<id>/<token> too).  A recipient, when given,
 * is another webhook URL of the same form.
 *
 * Limits: Discord allows 5 requests per 2 s per webhook (the outbox's
 * default for this plugin); a 429 carries retry_after in seconds (and a
 * Retry-After header), which the outbox honours for the whole channel.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <quantd/sdk.h>

#include "../common/notify_http.h"

struct discord {
	struct nh nh;
	const char *username;
};

static int
dc_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct discord *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return QD_ERR_NOMEM;
	d->nh.api = api;
	d->nh.ctx = ctx;
	d->nh.timeout_ns = api->param_int(p, "timeout_s") * 1000000000LL;
	d->username = api->param_string(p, "username");
	*state = d;
	return QD_OK;
}

static void
dc_destroy(void *state)
{
	free(state);
}

/* Discord's embed colours: red, amber, blue. */
static int
dc_colour(enum qd_severity s)
{
	return s == QD_SEV_CRITICAL ? 0xd32f2f : s == QD_SEV_WARNING ?
	    0xffa000 : 0x1976d2;
}

static int
dc_send(void *state, uint64_t req, const struct qd_notification *n)
{
	struct discord *d = state;
	char hook[1024], url[1100], content[2001], desc[4097], *body;
	cJSON *o, *embeds, *e;
	const char *key = nh_key(n);
	int rc;

	if (qd_notification_targeted(n)) {
		/* a user's own channel (SDK 1.6): their webhook */
		if ((rc = d->nh.api->secret_get(d->nh.ctx,
		    "target.webhook_url", hook, sizeof(hook))) != QD_OK) {
			d->nh.api->notify_done(d->nh.ctx, req, rc, "the user's "
				"webhook_url cannot be read");
			return QD_OK;
		}
	} else if (n->recipient && *n->recipient) {
		snprintf(hook, sizeof(hook), "%s", n->recipient);
	} else if ((rc = d->nh.api->secret_get(d->nh.ctx, "webhook_url",
	    hook, sizeof(hook))) != QD_OK) {
		d->nh.api->notify_done(d->nh.ctx, req, rc, "the "
			"\"webhook_url\" secret is not set (instance "
			"\"secrets\")");
		return QD_OK;
	}
	snprintf(url, sizeof(url), "%s%swait=true", hook,
		strchr(hook, '?') ? "&" : "?");
	memset(hook, 0, sizeof(hook));
	/* Discord's limits: content 2000 characters, a description 4096. */
	snprintf(content, sizeof(content), "%s", n->title ? n->title : "");
	snprintf(desc, sizeof(desc), "%s", n->body ? n->body : "");
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "content", content);
	if (*d->username)
		cJSON_AddStringToObject(o, "username", d->username);
	embeds = cJSON_AddArrayToObject(o, "embeds");
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "description", desc);
	cJSON_AddNumberToObject(e, "color", dc_colour(n->severity));
	if (key != NULL) {
		cJSON *f = cJSON_AddObjectToObject(e, "footer");

		cJSON_AddStringToObject(f, "text", key);
	}
	cJSON_AddItemToArray(embeds, e);
	body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (body == NULL) {
		d->nh.api->notify_done(d->nh.ctx, req, QD_ERR_NOMEM, NULL);
	} else {
		nh_post(&d->nh, req, url, NULL, 0, body);
		free(body);
	}
	memset(url, 0, sizeof(url));
	return QD_OK;
}

static void
dc_on_http_response(void *state, uint64_t id, int status, const char *body,
	size_t len)
{
	struct discord *d = state;

	nh_answer(&d->nh, id, status, body, len);
}

static const struct qd_notifier_ops dc_ops = {
	.base = {
		.size = sizeof(struct qd_notifier_ops),
		.create = dc_create,
		.destroy = dc_destroy,
	},
	.send = dc_send,
	.on_http_response = dc_on_http_response,
};

static const struct qd_param_spec dc_params[] = {
	QD_PARAM_STRING_SPEC("username", "", "the name the messages show "
		"(empty: the webhook's own)"),
	QD_PARAM_INT_SPEC("timeout_s", 10, 1, 300,
		"seconds to wait for Discord's answer"),
};

static const struct qd_plugin dc_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_NOTIFIER,
	.name = "notify-discord",
	.version = "1.0.0",
	.description = "notifications executed on a Discord webhook "
	    "(content and an embed), 429s honoured",
	.license = "MIT",
	.params = dc_params,
	.n_params = QD_COUNTOF(dc_params),
	.ops = &dc_ops,
};

static const struct qd_plugin *const plugins[] = { &dc_plugin, NULL };

QD_MODULE(plugins);
