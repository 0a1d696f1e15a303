/*
 * email.c -- notify-email: each notification as a plain-text e-mail over
 * SMTP with STARTTLS (or implicit TLS) and AUTH.
 *
 * The plugin speaks no SMTP itself: it hands the message to the host
 * (api->mail_send, SDK 1.5), whose mail thread sends it with libcurl's
 * SMTP client.  So the plugin opens no socket (the SDK's rule, and what
 * a sandboxed plugin could not do), never reads the password (the host
 * resolves the secret it names), and the core thread never waits on a
 * mail server.
 *
 * Subject "[SEVERITY] title"; the body, then the event and its key; the
 * Message-ID is <KEY@quantd> so that a message sent twice (a crash between
 * the server's acceptance and its record) is recognisably the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#define EMAIL_MAX_TO 16

struct email {
	const struct qd_host_api *api;
	qd_ctx *ctx;
	const char *url, *username, *from, *to;
	int require_tls;
	int64_t timeout_ns;
	struct { uint64_t mail, req; } pend[1024];
	size_t n;
};

static int
em_create(const struct qd_host_api *api, qd_ctx *ctx, const qd_params *p,
	void **state)
{
	struct email *e;

	if (!QD_API_HAS(api, mail_send)) {
		api->log(ctx, QD_LOG_ERROR, "this host cannot send mail (SDK "
			"ABI 1.5 needed)");
		return QD_ERR_UNSUPPORTED;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return QD_ERR_NOMEM;
	e->api = api;
	e->ctx = ctx;
	e->url = api->param_string(p, "smtp_url");
	e->username = api->param_string(p, "username");
	e->from = api->param_string(p, "from");
	e->to = api->param_string(p, "to");
	e->require_tls = api->param_bool(p, "require_tls");
	e->timeout_ns = api->param_int(p, "timeout_s") * 1000000000LL;
	*state = e;
	return QD_OK;
}

static void
em_destroy(void *state)
{
	free(state);
}

/* Split a comma-separated list of addresses in place. */
static size_t
split(char *list, const char **out, size_t cap)
{
	size_t n = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(list, ", ", &save); tok != NULL && n < cap - 1;
	     tok = strtok_r(NULL, ", ", &save))
		out[n++] = tok;
	out[n] = NULL;
	return n;
}

static int
em_send(void *state, uint64_t req, const struct qd_notification *n)
{
	struct email *e = state;
	const char *to[EMAIL_MAX_TO + 1];
	const char *key = n->size >= offsetof(struct qd_notification, key) +
	    sizeof(n->key) ? n->key : NULL;
	char list[2048], subject[512], *body;
	struct qd_mail m;
	uint64_t id;
	size_t len;
	int rc;

	/* a user's own channel (SDK 1.6): its address, nothing else */
	snprintf(list, sizeof(list), "%s", qd_notification_targeted(n) ?
		(qd_notification_target(n, "to") ? qd_notification_target(n,
		"to") : "") : n->recipient && *n->recipient ? n->recipient :
		e->to);
	if (e->n == sizeof(e->pend) / sizeof(e->pend[0]) ||
	    split(list, to, EMAIL_MAX_TO + 1) == 0) {
		e->api->notify_done(e->ctx, req, e->n ? QD_ERR_LIMIT :
			QD_ERR_INVALID, e->n ? "too many mails in flight" :
			"no recipient: set \"to\" or a recipient");
		return QD_OK;
	}
	snprintf(subject, sizeof(subject), "[%s] %s",
		n->severity == QD_SEV_CRITICAL ? "CRITICAL" :
		n->severity == QD_SEV_WARNING ? "warning" : "info",
		n->title ? n->title : "");
	/* A title on several lines is one subject line (the host refuses a
	 * header field with CR or LF: no header injection). */
	for (len = 0; subject[len] != '\0'; len++)
		if (subject[len] == '\r' || subject[len] == '\n')
			subject[len] = ' ';
	len = strlen(n->body ? n->body : "") + 512;
	if ((body = malloc(len)) == NULL) {
		e->api->notify_done(e->ctx, req, QD_ERR_NOMEM, NULL);
		return QD_OK;
	}
	snprintf(body, len, "%s\n\n-- \nevent: %s\nkey: %s\n",
		n->body ? n->body : "", n->event ? n->event : "",
		key ? key : "");
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.url = e->url;
	m.username = *e->username ? e->username : NULL;
	m.password = *e->username ? "smtp_password" : NULL;
	m.from = e->from;
	m.to = to;
	m.subject = subject;
	m.body = body;
	m.key = key;
	m.require_tls = e->require_tls;
	m.timeout_ns = e->timeout_ns;
	rc = e->api->mail_send(e->ctx, &m, &id);
	free(body);
	if (rc != QD_OK) {
		e->api->notify_done(e->ctx, req, rc, rc == QD_ERR_NOTFOUND ?
			"the \"smtp_password\" secret is not set" :
			"the mail was refused before sending (addresses, "
			"smtp_url)");
		return QD_OK;
	}
	e->pend[e->n].mail = id;
	e->pend[e->n].req = req;
	e->n++;
	return QD_OK;
}

static void
em_on_mail_done(void *state, uint64_t id, int status, const char *detail)
{
	struct email *e = state;
	size_t i;

	for (i = 0; i < e->n; i++)
		if (e->pend[i].mail == id) {
			uint64_t req = e->pend[i].req;

			e->pend[i] = e->pend[--e->n];
			e->api->notify_done(e->ctx, req, status, detail);
			return;
		}
}

static const struct qd_notifier_ops em_ops = {
	.base = {
		.size = sizeof(struct qd_notifier_ops),
		.create = em_create,
		.destroy = em_destroy,
	},
	.send = em_send,
	.on_mail_done = em_on_mail_done,
};

static const struct qd_param_spec em_params[] = {
	QD_PARAM_STRING_SPEC("smtp_url", "smtp://localhost:587",
		"smtp://HOST:PORT (STARTTLS) or smtps://HOST:PORT"),
	QD_PARAM_STRING_SPEC("username", "", "AUTH user (the password is "
		"the secret \"smtp_password\"); empty: no AUTH"),
	{ sizeof(struct qd_param_spec), "from", QD_PARAM_STRING,
	  QD_PARAM_REQUIRED, 0, 0.0, NULL, 0.0, 0.0, NULL,
	  "sender address" },
	QD_PARAM_STRING_SPEC("to", "", "recipients, comma-separated, when "
		"the notification names none"),
	QD_PARAM_BOOL_SPEC("require_tls", 1, "refuse to send the login or "
		"the mail without TLS"),
	QD_PARAM_INT_SPEC("timeout_s", 30, 1, 600,
		"seconds for the whole SMTP exchange"),
};

static const struct qd_plugin em_plugin = {
	.size = sizeof(struct qd_plugin),
	.kind = QD_KIND_NOTIFIER,
	.name = "notify-email",
	.version = "1.0.0",
	.description = "notifications as e-mail over SMTP (STARTTLS, AUTH) "
	    "through the host's libcurl mail thread",
	.license = "MIT",
	.params = em_params,
	.n_params = QD_COUNTOF(em_params),
	.ops = &em_ops,
};

static const struct qd_plugin *const plugins[] = { &em_plugin, NULL };

QD_MODULE(plugins);
