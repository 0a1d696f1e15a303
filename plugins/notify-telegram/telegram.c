/*
 * telegram.c -- notify-telegram: each notification as a Telegram Bot API
 * sendMessage to a chat (the notification's recipient, else `chat_id`).
 *
 * The bot token is the instance secret "bot_token" ("env:VAR" or
 * "file:PATH").  The Bot API takes it in the URL path
 * (BASE/bot<token>/sendMessage), so: the plugin never logs a URL, its
 * failure details name the HTTP status and Telegram's answer only, and
 * the host's log masks "/bot<id>:<token>" wherever it would appear.
 *
 * Limits (Telegram's documentation: about 30 messages a second per bot,
 * 1 a second per chat) are the outbox's defaults for this plugin; a 429
 * says how long to wait in parameters.retry_after, which the outbox
 * honours for the whole channel.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <quantd/sdk.h>

#include "../common/notify_http.h"

struct telegram {
	struct nh nh;
	const char *base_url;
	const char *chat_id;
	int silent_info;
};

static int
tg_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct telegram *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return QD_ERR_NOMEM;
	t->nh.api = api;
	t->nh.ctx = ctx;
	t->nh.timeout_ns = api->param_int(p, "timeout_s") * 1000000000LL;
	t->base_url = api->param_string(p, "base_url");
	t->chat_id = api->param_string(p, "chat_id");
	t->silent_info = api->param_bool(p, "silent_info");
	*state = t;
	return QD_OK;
}

static void
tg_destroy(void *state)
{
	free(state);
}

static int
tg_send(void *state, uint64_t req, const struct qd_notification *n)
{
	struct telegram *t = state;
	char token[256], url[1024], *body, *text;
	int targeted = qd_notification_targeted(n);
	const char *chat = targeted ? qd_notification_target(n, "chat_id") :
	    n->recipient && *n->recipient ? n->recipient : t->chat_id;
	size_t len;
	cJSON *o;
	int rc;

	if (chat == NULL || *chat == '\0') {
		t->nh.api->notify_done(t->nh.ctx, req, QD_ERR_INVALID, "no "
			"chat: set chat_id or a recipient");
		return QD_OK;
	}
	/* a user's own channel (SDK 1.6) comes with the user's bot */
	if ((rc = t->nh.api->secret_get(t->nh.ctx, targeted ?
	    "target.bot_token" : "bot_token", token, sizeof(token))) !=
	    QD_OK) {
		t->nh.api->notify_done(t->nh.ctx, req, rc, targeted ? "the "
			"user's bot_token cannot be read" : "the \"bot_token\" "
			"secret is not set (instance \"secrets\")");
		return QD_OK;
	}
	snprintf(url, sizeof(url), "%s/bot%s/sendMessage", t->base_url,
		token);
	memset(token, 0, sizeof(token));
	len = strlen(n->title ? n->title : "") + strlen(n->body ? n->body :
	    "") + 64;
	if ((text = malloc(len)) == NULL) {
		t->nh.api->notify_done(t->nh.ctx, req, QD_ERR_NOMEM, NULL);
		return QD_OK;
	}
	snprintf(text, len, "%s%s\n%s", n->severity == QD_SEV_CRITICAL ?
		"[CRITICAL] " : n->severity == QD_SEV_WARNING ? "[warning] " :
		"", n->title ? n->title : "", n->body ? n->body : "");
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "chat_id", chat);
	cJSON_AddStringToObject(o, "text", text);
	if (t->silent_info && n->severity == QD_SEV_INFO)
		cJSON_AddBoolToObject(o, "disable_notification", 1);
	body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	free(text);
	if (body == NULL) {
		t->nh.api->notify_done(t->nh.ctx, req, QD_ERR_NOMEM, NULL);
	} else {
		nh_post(&t->nh, req, url, NULL, 0, body);
		free(body);
	}
	memset(url, 0, sizeof(url));
	return QD_OK;
}

static void
tg_on_http_response(void *state, uint64_t id, int status, const char *body,
	size_t len)
{
	struct telegram *t = state;

	nh_answer(&t->nh, id, status, body, len);
}

static const struct qd_notifier_ops tg_ops = {
	.base = {
		.size = sizeof(struct qd_notifier_ops),
		.create = tg_create,
		.destroy = tg_destroy,
	},
	.send = tg_send,
	.on_http_response = tg_on_http_response,
};

static const struct qd_param_spec tg_params[] = {
	QD_PARAM_STRING_SPEC("base_url", "https://api.telegram.org",
		"Bot API base URL (a local fake in tests)"),
	QD_PARAM_STRING_SPEC("chat_id", "", "chat to send to when the "
		"notification names no recipient"),
	QD_PARAM_BOOL_SPEC("silent_info", 0, "send info notifications "
		"without a sound (disable_notification)"),
	QD_PARAM_INT_SPEC("timeout_s", 10, 1, 300,
		"seconds to wait for Telegram's answer"),
};

static const struct qd_plugin tg_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_NOTIFIER,
	.name = "notify-telegram",
	.version = "1.0.0",
	.description = "notifications as Telegram Bot API messages",
	.license = "MIT",
	.params = tg_params,
	.n_params = QD_COUNTOF(tg_params),
	.ops = &tg_ops,
};

static const struct qd_plugin *const plugins[] = { &tg_plugin, NULL };

QD_MODULE(plugins);
