/*
 * account.c -- the API's account routes on their worker thread (see
 * account.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include <quantd/sdk.h>

#include "api/api.h"
#include "auth/auth.h"
#include "daemon/account.h"
#include "log/log.h"
#include "loop/loop.h"
#include "store/store.h"
#include "vault/vault.h"

struct job {
	struct job *next;
	struct api_request *req;
	struct auth_identity who;
	int has_who;
};

struct account {
	struct store *store;
	struct vault *vault;
	struct auth *auth;
	int registration_open;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, **tail;
	int stop;
	int started;
};

static const char *const commands[] = {
	"auth.login", "auth.refresh", "auth.logout", "auth.register",
	"me.get", "me.password", "me.2fa.enroll", "me.2fa.confirm",
	"me.2fa.disable", "me.keys", "me.keys.create", "me.keys.revoke",
	"users.list", "users.add", "users.update", "audit.list", "plans.list",
	"secrets.list", "secrets.set", "secrets.rotate", NULL
};

int
account_route(const char *cmd)
{
	for (size_t i = 0; cmd != NULL && commands[i] != NULL; i++)
		if (strcmp(commands[i], cmd) == 0)
			return 1;
	return 0;
}

/* ---- answers -------------------------------------------------------------- */

static void
reply(struct api_request *req, int status, cJSON *o)
{
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	if (s == NULL)
		api_respond_error(req, 500, "internal", "out of memory");
	else
		api_respond(req, status, s, "application/json", 0);
}

static void
refuse(struct api_request *req, enum auth_reason r, int retry_after)
{
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o,
		"error");
	char *s;

	cJSON_AddStringToObject(e, "code", auth_reason_code(r));
	cJSON_AddStringToObject(e, "message", auth_reason_text(r));
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	api_respond(req, auth_reason_status(r), s, "application/json",
		retry_after);
}

/* A QD_ERR_* of the store or auth as an answer. */
static void
refuse_status(struct api_request *req, int rc, const char *what)
{
	char msg[160];

	switch (rc) {
	case QD_ERR_STATE:
		snprintf(msg, sizeof(msg), "%s: already exists or not in a "
			"state for this", what);
		api_respond_error(req, 409, "conflict", msg);
		break;
	case QD_ERR_INVALID:
		snprintf(msg, sizeof(msg), "%s: invalid", what);
		api_respond_error(req, 400, "bad_request", msg);
		break;
	case QD_ERR_NOTFOUND:
		snprintf(msg, sizeof(msg), "%s: not found", what);
		api_respond_error(req, 404, "not_found", msg);
		break;
	default:
		api_respond_error(req, 500, "internal", "the store failed; "
			"see the log");
	}
}

static cJSON *
tokens_json(const struct auth_tokens *t, int64_t now_ms)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "access_token", t->access);
	cJSON_AddStringToObject(o, "token_type", "Bearer");
	cJSON_AddNumberToObject(o, "expires_in",
		(double)((t->access_expires_ms - now_ms) / 1000));
	cJSON_AddStringToObject(o, "refresh_token", t->refresh);
	cJSON_AddNumberToObject(o, "refresh_expires_in",
		(double)((t->refresh_expires_ms - now_ms) / 1000));
	return o;
}

/* The string member `key` of the request's fields, or NULL. */
static const char *
field(const cJSON *f, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int
need(struct api_request *req, const char *value, const char *key)
{
	char msg[96];

	if (value != NULL && value[0] != '\0')
		return 1;
	snprintf(msg, sizeof(msg), "\"%s\" is required (a string)", key);
	api_respond_error(req, 400, "bad_request", msg);
	return 0;
}

/* ---- users, keys, audit: rows as JSON ------------------------------------- */

static int
user_row(void *arg, const struct store_user *u)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "id", (double)u->id);
	cJSON_AddStringToObject(o, "username", u->name);
	cJSON_AddStringToObject(o, "role", u->role);
	cJSON_AddStringToObject(o, "plan", u->plan);
	cJSON_AddBoolToObject(o, "disabled", u->disabled);
	cJSON_AddNumberToObject(o, "created", (double)u->created_ms);
	if (cJSON_IsArray((cJSON *)arg))
		cJSON_AddItemToArray(arg, o);
	else
		cJSON_AddItemToObject(arg, "user", o);
	return 0;
}

static int
key_row(void *arg, const struct store_api_key *k)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "id", k->id);
	cJSON_AddStringToObject(o, "label", k->label ? k->label : "");
	cJSON_AddStringToObject(o, "scopes", k->scopes);
	cJSON_AddNumberToObject(o, "created", (double)k->created_ms);
	if (k->revoked_ms)
		cJSON_AddNumberToObject(o, "revoked", (double)k->revoked_ms);
	cJSON_AddItemToArray(arg, o);
	return 0;
}

struct key_owner {
	int64_t user_id;
	int found;
};

static int
key_owner(void *arg, const struct store_api_key *k)
{
	struct key_owner *o = arg;

	o->user_id = k->user_id;
	o->found = 1;
	return 0;
}

static int
audit_row(void *arg, const struct store_audit *a)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "id", (double)a->id);
	cJSON_AddNumberToObject(o, "ts", (double)a->ts_ms);
	cJSON_AddStringToObject(o, "actor", a->actor ? a->actor : "");
	cJSON_AddStringToObject(o, "action", a->action ? a->action : "");
	cJSON_AddStringToObject(o, "target", a->target ? a->target : "");
	cJSON_AddStringToObject(o, "ip", a->ip ? a->ip : "");
	cJSON_AddBoolToObject(o, "ok", a->ok);
	cJSON_AddStringToObject(o, "detail", a->detail ? a->detail : "");
	cJSON_AddItemToArray(arg, o);
	return 0;
}

static int
plan_row(void *arg, const struct store_plan *p)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", p->name);
	cJSON_AddNumberToObject(o, "symbols", (double)p->symbols);
	cJSON_AddStringToObject(o, "strategies", p->strategies);
	cJSON_AddNumberToObject(o, "push_delay_ms", (double)p->push_delay_ms);
	cJSON_AddNumberToObject(o, "api_per_min", (double)p->api_per_min);
	cJSON_AddBoolToObject(o, "webhooks", p->webhooks);
	cJSON_AddItemToArray(arg, o);
	return 0;
}

struct pass_check {
	char hash[256];
	int found;
};

static int
pass_row(void *arg, const struct store_user *u)
{
	struct pass_check *p = arg;

	snprintf(p->hash, sizeof(p->hash), "%s", u->pass_hash);
	p->found = 1;
	return 0;
}

/* The caller's password, checked again for a sensitive change. */
static int
password_ok(struct account *ac, struct api_request *req,
	const struct auth_identity *who, const char *password)
{
	struct pass_check pc = { .found = 0 };
	int rehash;

	if (!need(req, password, "password"))
		return 0;
	if (store_user_get(ac->store, who->user, 0, pass_row, &pc) != QD_OK ||
	    !pc.found || auth_password_verify(ac->auth, pc.hash, password,
	    &rehash) != QD_OK) {
		auth_audit(ac->auth, who->user, "password.check", who->user,
			req->peer, 0, "wrong password");
		refuse(req, AUTH_BAD_CREDENTIALS, 0);
		return 0;
	}
	return 1;
}

/* ---- secrets ---------------------------------------------------------------- */

static int
secret_row(void *arg, const struct store_credential *c)
{
	cJSON_AddItemToArray(arg, store_credential_json(c));
	return 0;
}

/* A credential's name: 1-128 of [A-Za-z0-9_.:-] (config refers to it). */
static int
secret_name_ok(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' &&
		    s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9') ||
		    strchr("_.:-", s[n]) != NULL))
			return 0;
	return n >= 1 && n <= 128;
}

/*
 * secrets.set: seal `value` under the current master key as credential
 * `name` (what `quantctl secrets set` does).  The value goes nowhere else:
 * not to the log, the answer or the audit log (which records the name and
 * the key id); the request's copies are wiped.
 */
static void
secret_set(struct account *ac, struct api_request *req, const cJSON *f,
	const struct auth_identity *who)
{
	const char *name = field(f, "name"), *value = field(f, "value");
	const cJSON *it;
	cJSON *o;
	int rc;

	cJSON_ArrayForEach(it, f)
		if (strcmp(it->string, "name") != 0 &&
		    strcmp(it->string, "value") != 0 &&
		    strcmp(it->string, "cmd") != 0) {
			api_respond_error(req, 400, "bad_request", "the body "
				"is {\"value\": \"...\"}: unknown member");
			return;
		}
	if (name == NULL || !secret_name_ok(name)) {
		api_respond_error(req, 400, "bad_request", "name: 1 to 128 of "
			"A-Z a-z 0-9 _ . : -");
		return;
	}
	if (value == NULL || value[0] == '\0' ||
	    strlen(value) > VAULT_VALUE_MAX) {
		api_respond_error(req, 400, "bad_request", "value: a string "
			"of 1 to 4096 bytes");
		return;
	}
	if (vault_current(ac->vault) == NULL) {
		api_respond_error(req, 503, "unavailable", "no master key is "
			"loaded (api.master_keys): secrets cannot be sealed");
		return;
	}
	rc = vault_credential_set(ac->vault, ac->store, name, value);
	auth_audit(ac->auth, who ? who->user : "?", "secret.set", name,
		req->peer, rc == QD_OK, vault_current(ac->vault));
	if (rc != QD_OK) {
		refuse_status(req, rc, "the secret");
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "key_id", vault_current(ac->vault));
	reply(req, 200, o);
}

/*
 * secrets.rotate: re-seal every sealed value (credentials, API key and TOTP
 * secrets) that is not under the current master key, in one transaction
 * (what `quantctl secrets rotate` does; vault_rotate() writes the audit
 * row).  The answer counts them and names the key: never a value.
 */
static void
secret_rotate(struct account *ac, struct api_request *req, const cJSON *f,
	const struct auth_identity *who)
{
	const char *user = who ? who->user : "?";
	char err[512], msg[600];
	size_t n = 0;
	cJSON *o;
	int rc;

	if (f->child != NULL && (f->child->next != NULL ||
	    strcmp(f->child->string, "cmd") != 0)) {
		api_respond_error(req, 400, "bad_request", "the body is empty "
			"or {}: unknown member");
		return;
	}
	if (vault_current(ac->vault) == NULL) {
		api_respond_error(req, 503, "unavailable", "no master key is "
			"loaded (api.master_keys): nothing can be re-sealed");
		return;
	}
	rc = vault_rotate(ac->vault, ac->store, user, &n, err, sizeof(err));
	if (rc != QD_OK) {
		auth_audit(ac->auth, user, "secrets.rotate",
			vault_current(ac->vault), req->peer, 0, err);
		log_error("vault", "secrets rotate by %s: %s", user, err);
		snprintf(msg, sizeof(msg), "nothing was re-sealed: %s%s", err,
			rc == QD_ERR_NOTFOUND || rc == QD_ERR_DENIED ? " (load "
			"the key it was sealed under in api.master_keys)" : "");
		api_respond_error(req, rc == QD_ERR_NOTFOUND ||
			rc == QD_ERR_DENIED ? 409 : 500, rc == QD_ERR_NOTFOUND ||
			rc == QD_ERR_DENIED ? "conflict" : "internal", msg);
		return;
	}
	log_info("vault", "secrets rotate by %s: %zu value(s) re-sealed under "
		"key %s", user, n, vault_current(ac->vault));
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "resealed", (double)n);
	cJSON_AddStringToObject(o, "key_id", vault_current(ac->vault));
	reply(req, 200, o);
}

/* ---- the commands ----------------------------------------------------------- */

static void
run(struct account *ac, struct api_request *req,
	const struct auth_identity *who)
{
	const char *cmd = api_routes[req->route].cmd;
	char err[256], *text = api_command_request(req, err, sizeof(err));
	int64_t now = loop_now_ns() / 1000000;
	struct auth_tokens tok;
	cJSON *f, *o;
	int rc, retry = 0;
	enum auth_reason r;

	if (text == NULL) {
		api_respond_error(req, 400, "bad_request", err);
		return;
	}
	f = cJSON_Parse(text);
	/* passwords and secrets pass through here: wipe them, and the
	 * body a secret came in (the request is the core's until answered) */
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	if (api_command_secret(cmd) && req->body != NULL)
		OPENSSL_cleanse((char *)req->body, req->body_len);
	if (f == NULL) {
		api_respond_error(req, 500, "internal", "out of memory");
		return;
	}
	if (strcmp(cmd, "auth.login") == 0) {
		const char *u = field(f, "username"), *p = field(f, "password");

		if (need(req, u, "username") && need(req, p, "password")) {
			r = auth_login(ac->auth, u, p, field(f, "otp"),
				req->peer, now, &tok, &retry);
			if (r != AUTH_OK)
				refuse(req, r, retry);
			else
				reply(req, 200, tokens_json(&tok, now));
			memset(&tok, 0, sizeof(tok));
		}
	} else if (strcmp(cmd, "auth.refresh") == 0) {
		const char *t = field(f, "refresh_token");

		if (need(req, t, "refresh_token")) {
			r = auth_refresh(ac->auth, t, req->peer, now, &tok);
			if (r != AUTH_OK)
				refuse(req, r, 0);
			else
				reply(req, 200, tokens_json(&tok, now));
			memset(&tok, 0, sizeof(tok));
		}
	} else if (strcmp(cmd, "auth.logout") == 0) {
		const char *t = field(f, "refresh_token");

		if (need(req, t, "refresh_token")) {
			auth_logout(ac->auth, t);
			reply(req, 200, cJSON_CreateObject());
		}
	} else if (strcmp(cmd, "auth.register") == 0) {
		const char *u = field(f, "username"), *p = field(f, "password");
		int64_t id;

		if (!ac->registration_open) {
			api_respond_error(req, 403, "forbidden", "registration "
				"is closed: an admin adds users");
		} else if (need(req, u, "username") &&
		    need(req, p, "password")) {
			rc = auth_user_add(ac->auth, "registration", u, p,
				"trader", "free", &id);
			if (rc != QD_OK) {
				refuse_status(req, rc, "username or password");
			} else {
				o = cJSON_CreateObject();
				store_user_get(ac->store, u, 0, user_row, o);
				reply(req, 201, o);
			}
		}
	} else if (strcmp(cmd, "me.get") == 0) {
		char scopes[32];

		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "username", who->user);
		cJSON_AddStringToObject(o, "role", who->role);
		cJSON_AddStringToObject(o, "plan", who->plan);
		cJSON_AddStringToObject(o, "scopes", auth_scopes_format(
			who->scopes, scopes, sizeof(scopes)));
		if (who->key_id[0])
			cJSON_AddStringToObject(o, "key_id", who->key_id);
		reply(req, 200, o);
	} else if (strcmp(cmd, "me.password") == 0) {
		const char *np = field(f, "new_password");

		if (password_ok(ac, req, who, field(f, "password")) &&
		    need(req, np, "new_password")) {
			rc = auth_user_passwd(ac->auth, who->user, who->user,
				np);
			if (rc != QD_OK)
				refuse_status(req, rc, "new_password");
			else
				reply(req, 200, cJSON_CreateObject());
		}
	} else if (strcmp(cmd, "me.2fa.enroll") == 0) {
		struct auth_totp_enrolment e;

		rc = auth_totp_enroll(ac->auth, who->user, &e);
		if (rc != QD_OK) {
			refuse_status(req, rc, "2FA");
		} else {
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "secret", e.secret_b32);
			cJSON_AddStringToObject(o, "uri", e.uri);
			cJSON_AddStringToObject(o, "qr_svg", e.svg ? e.svg : "");
			auth_totp_enrolment_free(&e);
			reply(req, 200, o);
		}
	} else if (strcmp(cmd, "me.2fa.confirm") == 0) {
		char codes[AUTH_RECOVERY_CODES][AUTH_RECOVERY_LEN];
		const char *code = field(f, "code");

		if (need(req, code, "code")) {
			r = auth_totp_confirm(ac->auth, who->user, code, now,
				codes);
			if (r != AUTH_OK) {
				refuse(req, r, 0);
			} else {
				cJSON *arr;

				o = cJSON_CreateObject();
				arr = cJSON_AddArrayToObject(o,
					"recovery_codes");
				for (int i = 0; i < AUTH_RECOVERY_CODES; i++)
					cJSON_AddItemToArray(arr,
						cJSON_CreateString(codes[i]));
				memset(codes, 0, sizeof(codes));
				reply(req, 200, o);
			}
		}
	} else if (strcmp(cmd, "me.2fa.disable") == 0) {
		if (password_ok(ac, req, who, field(f, "password"))) {
			rc = auth_totp_disable(ac->auth, who->user, who->user);
			if (rc != QD_OK)
				refuse_status(req, rc, "2FA");
			else
				reply(req, 200, cJSON_CreateObject());
		}
	} else if (strcmp(cmd, "me.keys") == 0) {
		o = cJSON_CreateObject();
		store_api_keys(ac->store, who->user_id, key_row,
			cJSON_AddArrayToObject(o, "keys"));
		reply(req, 200, o);
	} else if (strcmp(cmd, "me.keys.create") == 0) {
		const char *sc = field(f, "scopes");
		struct auth_api_key_new k;
		int mask = auth_scopes_parse(sc ? sc : "read");
		char scopes[32];

		if (mask < 0) {
			api_respond_error(req, 400, "bad_request", "\"scopes\": "
				"a comma-separated list of read, trade, admin");
		} else if ((rc = auth_apikey_create(ac->auth, who->user,
		    who->user, (unsigned)mask, field(f, "label"), &k)) !=
		    QD_OK) {
			if (rc == QD_ERR_DENIED)
				api_respond_error(req, 403, "forbidden", "the "
					"role does not allow these scopes");
			else
				refuse_status(req, rc, "key");
		} else {
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "id", k.id);
			cJSON_AddStringToObject(o, "secret", k.secret);
			cJSON_AddStringToObject(o, "scopes",
				auth_scopes_format((unsigned)mask, scopes,
				sizeof(scopes)));
			memset(&k, 0, sizeof(k));
			reply(req, 201, o);
		}
	} else if (strcmp(cmd, "me.keys.revoke") == 0) {
		struct key_owner ko = { 0, 0 };
		const char *id = api_param(req, "id");

		store_api_key_get(ac->store, id, key_owner, &ko);
		if (!ko.found || ko.user_id != who->user_id) {
			api_respond_error(req, 404, "not_found", "no such key");
		} else if ((rc = auth_apikey_revoke(ac->auth, who->user, id)) !=
		    QD_OK) {
			refuse_status(req, rc, "key");
		} else {
			reply(req, 200, cJSON_CreateObject());
		}
	} else if (strcmp(cmd, "users.list") == 0) {
		o = cJSON_CreateObject();
		store_users(ac->store, user_row, cJSON_AddArrayToObject(o,
			"users"));
		reply(req, 200, o);
	} else if (strcmp(cmd, "users.add") == 0) {
		const char *u = field(f, "username"), *p = field(f, "password");
		const char *role = field(f, "role"), *plan = field(f, "plan");
		int64_t id;

		if (need(req, u, "username") && need(req, p, "password")) {
			rc = auth_user_add(ac->auth, who->user, u, p,
				role ? role : "trader", plan ? plan : "free",
				&id);
			if (rc != QD_OK) {
				refuse_status(req, rc, "user");
			} else {
				o = cJSON_CreateObject();
				store_user_get(ac->store, u, 0, user_row, o);
				reply(req, 201, o);
			}
		}
	} else if (strcmp(cmd, "users.update") == 0) {
		const char *name = api_param(req, "name");
		const cJSON *dis = cJSON_GetObjectItemCaseSensitive(f,
			"disabled");

		rc = QD_OK;
		if (field(f, "role") != NULL)
			rc = auth_user_role(ac->auth, who->user, name,
				field(f, "role"));
		if (rc == QD_OK && field(f, "plan") != NULL)
			rc = auth_user_plan(ac->auth, who->user, name,
				field(f, "plan"));
		if (rc == QD_OK && field(f, "password") != NULL)
			rc = auth_user_passwd(ac->auth, who->user, name,
				field(f, "password"));
		if (rc == QD_OK && cJSON_IsBool(dis))
			rc = auth_user_disable(ac->auth, who->user, name,
				cJSON_IsTrue(dis));
		if (rc != QD_OK) {
			refuse_status(req, rc, "user");
		} else {
			o = cJSON_CreateObject();
			store_user_get(ac->store, name, 0, user_row, o);
			if (cJSON_GetObjectItem(o, "user") == NULL) {
				cJSON_Delete(o);
				api_respond_error(req, 404, "not_found",
					"no such user");
			} else {
				reply(req, 200, o);
			}
		}
	} else if (strcmp(cmd, "audit.list") == 0) {
		const cJSON *after = cJSON_GetObjectItemCaseSensitive(f,
			"after");
		const cJSON *lim = cJSON_GetObjectItemCaseSensitive(f, "limit");
		size_t limit = lim && lim->valuedouble >= 1 &&
			lim->valuedouble <= 1000 ? (size_t)lim->valuedouble :
			100;

		o = cJSON_CreateObject();
		store_audit(ac->store, after ? (int64_t)after->valuedouble : 0,
			limit, audit_row, cJSON_AddArrayToObject(o, "audit"));
		reply(req, 200, o);
	} else if (strcmp(cmd, "plans.list") == 0) {
		o = cJSON_CreateObject();
		store_plans(ac->store, plan_row, cJSON_AddArrayToObject(o,
			"plans"));
		reply(req, 200, o);
	} else if (strcmp(cmd, "secrets.list") == 0) {
		o = cJSON_CreateObject();
		if (store_credentials(ac->store, secret_row,
		    cJSON_AddArrayToObject(o, "secrets")) != QD_OK) {
			cJSON_Delete(o);
			refuse_status(req, QD_ERR_IO, "secrets");
		} else {
			reply(req, 200, o);
		}
	} else if (strcmp(cmd, "secrets.set") == 0) {
		secret_set(ac, req, f, who);
	} else if (strcmp(cmd, "secrets.rotate") == 0) {
		secret_rotate(ac, req, f, who);
	} else {
		api_respond_error(req, 404, "not_found", "no such resource");
	}
	api_json_wipe(f);
	cJSON_Delete(f);
}

/* ---- the worker ------------------------------------------------------------- */

static void *
worker(void *arg)
{
	struct account *ac = arg;
	struct job *j;

	for (;;) {
		pthread_mutex_lock(&ac->mu);
		while (ac->head == NULL && !ac->stop)
			pthread_cond_wait(&ac->cv, &ac->mu);
		j = ac->head;
		if (j != NULL && (ac->head = j->next) == NULL)
			ac->tail = &ac->head;
		pthread_mutex_unlock(&ac->mu);
		if (j == NULL)
			break;
		if (ac->stop)
			api_respond_error(j->req, 503, "unavailable",
				"the daemon is stopping");
		else
			run(ac, j->req, j->has_who ? &j->who : NULL);
		memset(&j->who, 0, sizeof(j->who));
		free(j);
	}
	return NULL;
}

void
account_submit(struct account *ac, struct api_request *req,
	const struct auth_identity *who)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		api_respond_error(req, 503, "unavailable", "out of memory");
		return;
	}
	j->req = req;
	if (who != NULL) {
		j->who = *who;
		j->has_who = 1;
	}
	pthread_mutex_lock(&ac->mu);
	*ac->tail = j;
	ac->tail = &j->next;
	pthread_cond_signal(&ac->cv);
	pthread_mutex_unlock(&ac->mu);
}

struct account *
account_start(const struct account_config *c, char *err, size_t errlen)
{
	struct account *ac = calloc(1, sizeof(*ac));

	if (ac == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&ac->mu, NULL);
	pthread_cond_init(&ac->cv, NULL);
	ac->tail = &ac->head;
	ac->registration_open = c->registration_open;
	if (store_open(c->store_url, STORE_ROLE_ADMIN, &ac->store, err,
	    errlen) != QD_OK || vault_new(&ac->vault) != QD_OK ||
	    (c->master_keys != NULL && vault_load(ac->vault, c->master_keys,
	    err, errlen) != QD_OK) ||
	    auth_new(c->auth, ac->store, ac->vault, &ac->auth, err,
	    errlen) != QD_OK) {
		account_stop(ac);
		return NULL;
	}
	if (pthread_create(&ac->thread, NULL, worker, ac) != 0) {
		snprintf(err, errlen, "cannot start the account worker");
		account_stop(ac);
		return NULL;
	}
	ac->started = 1;
	return ac;
}

void
account_stop(struct account *ac)
{
	if (ac == NULL)
		return;
	if (ac->started) {
		pthread_mutex_lock(&ac->mu);
		ac->stop = 1;
		pthread_cond_signal(&ac->cv);
		pthread_mutex_unlock(&ac->mu);
		pthread_join(ac->thread, NULL);
	}
	auth_free(ac->auth);
	vault_free(ac->vault);
	store_close(ac->store);
	pthread_cond_destroy(&ac->cv);
	pthread_mutex_destroy(&ac->mu);
	free(ac);
}
