/*
 * web.c -- the daemon's side of the API server (see web.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/api.h"
#include "auth/auth.h"
#include "bus/bus.h"
#include "config/config.h"
#include "daemon/account.h"
#include "daemon/jobs.h"
#include "daemon/maint.h"
#include "daemon/trading.h"
#include "daemon/web.h"
#include "host/host.h"
#include "limit/limit.h"
#include "log/log.h"
#include "loop/loop.h"
#include "market/symbol.h"
#include "metrics/metrics.h"
#include "notify/outbox.h"
#include "market/tape.h"
#include "store/store.h"
#include "trade/oms.h"
#include "vault/vault.h"

/* Who is calling, once authenticated. */
struct caller {
	int known;
	struct auth_identity id;
	struct plan_limits plan;
};

/* Access tokens verified lately: the same bytes verify the same way until
 * they expire, so a client's next request skips the signature check.
 * (nbf is in the past once a token verified; a disabled user's tokens
 * stay valid until they expire, as without the cache.) */
#define TOKENS_KEPT 256

/* Answers of cacheable routes (market.candles) kept in the API's cache:
 * the same page asked again before a candle closes is served from memory
 * (by the net thread when the gate lets the caller through), for at most
 * CACHE_MS.  A closed candle reaches the store up to the writer's flush
 * interval later: a page made in that window (settle_ms after a close)
 * lives only until its end, so it cannot hide the new candle longer. */
#define CACHE_MS 5000
#define SETTLE_MARGIN_MS 100

/* Log lines waiting for the logs channel (from any thread), how long a
 * line may be and how often the core sends them on. */
#define LOG_SLOTS 1024
#define LOG_LINE_MAX 2048
#define LOG_DRAIN_NS 100000000
#define LOG_DRAIN_MAX 512

/* Levels that move with the price -- a trailing stop's stop_price, a
 * position's sl_price and tp_price (a trailing risk rule) -- are looked at
 * every LEVELS_NS while their channel has subscribers; an order or a
 * position whose level changed since its channel last said it is sent
 * again.  So at most one such message per order or position per
 * LEVELS_NS, however busy the feed, and none while nothing moves. */
#define LEVELS_NS 500000000
#define SAID_BUCKETS 1024

/* What the orders or positions channel last said of a level that moves:
 * key "o<order id>" (a: stop_price) or "p<account>\n<symbol>" (a:
 * sl_price, b: tp_price); `scan` is the look that last found it open. */
struct said {
	struct said *next;
	uint64_t scan;
	double a, b;
	char key[];
};

/* Plans as the store has them, read again every minute. */
#define PLAN_TTL_MS 60000
struct plan_cache {
	struct plan_limits p;
	int64_t read_ms;
};

/* A WebSocket client, as the core knows it. */
struct client {
	uint64_t conn;
	struct caller who;
	qd_symbol syms[API_WS_MAX_SUBS];   /* of its market subscriptions */
	char chans[API_WS_MAX_SUBS][96];
	size_t n_subs;
};

struct web {
	struct api *api;
	struct loop *core;
	struct bus *bus;
	struct tape *tape;
	ctl_handler ctl;
	void *ctl_arg;
	struct metrics *metrics;
	struct host *host;          /* orders' levels; NULL: none attached */
	uint64_t subs[7];
	struct maint *maint;        /* prune and vacuum, or NULL */
	struct jobs *jobs;          /* job results read off this thread */
	struct log_tail *logs;      /* lines for the logs channel */
	struct loop_timer *log_timer;
	uint64_t logs_dropped;      /* as last told to subscribers */
	struct loop_timer *levels_timer;
	struct said *said[SAID_BUCKETS];
	uint64_t scan;              /* looks at the levels so far */
	char **inst_names;          /* the host's instances, as last applied */
	size_t n_inst_names;
	struct client *clients;
	size_t n_clients, cap_clients;
	/* sign-in: verification here, the rest on the account worker */
	struct store *store;
	struct vault *vault;
	struct auth *auth;
	struct account *account;
	struct limiter *limiter;    /* shared by threads (limit.h) */
	int64_t closed_ms;          /* when a candle last closed */
	int64_t settle_ms;          /* how long the store may lag behind */
	/* mu guards plans and tokens: the core thread fills them, the net
	 * thread's gate reads them too */
	pthread_mutex_t mu;
	struct plan_cache plans[8];
	size_t n_plans;
	struct verified {
		char *token;
		struct auth_identity id;
	} tokens[TOKENS_KEPT];     /* by a hash of the token */
};

/* ---- callers -------------------------------------------------------------- */

/* The cached entry of plan `name`, or NULL (mu held). */
static struct plan_cache *
plan_cached(struct web *w, const char *name)
{
	for (size_t i = 0; i < w->n_plans; i++)
		if (strcmp(w->plans[i].p.name, name) == 0)
			return &w->plans[i];
	return NULL;
}

/* The limits of plan `name` if read from the store within PLAN_TTL_MS:
 * 1, or 0 when the store must be asked.  Any thread. */
static int
plan_fresh(struct web *w, const char *name, int64_t now,
	struct plan_limits *out)
{
	struct plan_cache *pc;
	int ok;

	pthread_mutex_lock(&w->mu);
	pc = plan_cached(w, name);
	ok = pc != NULL && now - pc->read_ms <= PLAN_TTL_MS;
	if (ok)
		*out = pc->p;
	pthread_mutex_unlock(&w->mu);
	return ok;
}

/* The limits of plan `name` (cached); a plan the store lacks gets the
 * free plan's limits, the strictest.  Core thread (reads the store). */
static void
plan_of(struct web *w, const char *name, struct plan_limits *out)
{
	int64_t now = loop_now_ns() / 1000000;
	struct plan_cache *pc;
	struct plan_limits p;

	if (plan_fresh(w, name, now, out))
		return;
	if (plan_limits_load(w->store, name, &p) != QD_OK &&
	    plan_limits_load(w->store, "free", &p) != QD_OK) {
		memset(&p, 0, sizeof(p));
		snprintf(p.name, sizeof(p.name), "free");
		p.symbols = 1;
		p.push_delay_ms = 5000;
		p.api_per_min = 10;
	}
	*out = p;
	pthread_mutex_lock(&w->mu);
	if ((pc = plan_cached(w, name)) == NULL && w->n_plans <
	    sizeof(w->plans) / sizeof(w->plans[0]))
		pc = &w->plans[w->n_plans++];
	if (pc != NULL) {
		pc->p = p;
		snprintf(pc->p.name, sizeof(pc->p.name), "%s", name);
		pc->read_ms = now;
	}
	pthread_mutex_unlock(&w->mu);
}

static unsigned
scope_mask(enum api_scope s)
{
	return s == API_SCOPE_ADMIN ? AUTH_SCOPE_ADMIN :
		s == API_SCOPE_TRADE ? AUTH_SCOPE_TRADE :
		s == API_SCOPE_READ ? AUTH_SCOPE_READ : 0;
}

/* Whether a caller's scopes cover `need` (admin covers everything,
 * trade covers read). */
static int
scope_covers(unsigned have, unsigned need)
{
	if (have & AUTH_SCOPE_ADMIN)
		return 1;
	if (need == AUTH_SCOPE_READ)
		return (have & (AUTH_SCOPE_READ | AUTH_SCOPE_TRADE)) != 0;
	return (have & need) == need;
}

/* The slot of `token` among the verified ones. */
static struct verified *
token_slot(struct web *w, const char *token)
{
	uint64_t h = 14695981039346656037ull;

	for (const char *p = token; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return &w->tokens[h % TOKENS_KEPT];
}

/* Whether `token` verified lately and has not expired: 1 with its
 * identity, or 0.  Any thread. */
static int
token_known(struct web *w, const char *token, int64_t now_ms,
	struct auth_identity *id)
{
	struct verified *v = token_slot(w, token);
	int ok;

	pthread_mutex_lock(&w->mu);
	ok = v->token != NULL && strcmp(v->token, token) == 0 &&
	    now_ms < v->id.expires_ms;
	if (ok)
		*id = v->id;
	pthread_mutex_unlock(&w->mu);
	return ok;
}

/* auth_token_verify(), remembering the tokens that verified.  Core
 * thread. */
static enum auth_reason
token_verify(struct web *w, const char *token, int64_t now_ms,
	struct auth_identity *id)
{
	struct verified *v = token_slot(w, token);
	enum auth_reason r;
	char *copy;

	if (token_known(w, token, now_ms, id))
		return AUTH_OK;
	if ((r = auth_token_verify(w->auth, token, now_ms, id)) != AUTH_OK)
		return r;
	copy = strdup(token);
	pthread_mutex_lock(&w->mu);
	free(v->token);
	v->token = copy;
	v->id = *id;
	pthread_mutex_unlock(&w->mu);
	return AUTH_OK;
}

/*
 * The caller of a REST request: a bearer access token, or an API key's
 * signed request (X-QD-Key, X-QD-Timestamp, X-QD-Nonce, X-QD-Signature
 * over the decoded path and query as the server reads them).  AUTH_OK, or
 * why not.
 */
static enum auth_reason
authenticate(struct web *w, const struct api_request *req, unsigned need,
	struct caller *who)
{
	int64_t now = loop_now_ns() / 1000000;
	enum auth_reason r;

	memset(who, 0, sizeof(*who));
	if (w->auth == NULL)
		return AUTH_ERROR;
	if (req->api_key != NULL) {
		struct auth_signed_request sr;
		char pq[4096];
		size_t o;

		o = (size_t)snprintf(pq, sizeof(pq), "%s", req->path);
		for (size_t i = 0; i < req->n_query && o < sizeof(pq); i++)
			o += (size_t)snprintf(pq + o, sizeof(pq) - o, "%c%s=%s",
				i ? '&' : '?', req->query[i].key,
				req->query[i].value);
		if (o >= sizeof(pq))
			return AUTH_SIG_MALFORMED;
		memset(&sr, 0, sizeof(sr));
		sr.key_id = req->api_key;
		sr.timestamp = req->api_ts ? req->api_ts : "";
		sr.nonce = req->api_nonce ? req->api_nonce : "";
		sr.signature = req->api_signature ? req->api_signature : "";
		sr.method = api_method_name(req->method);
		sr.path_query = pq;
		sr.body = req->body;
		sr.body_len = req->body_len;
		r = auth_apikey_verify(w->auth, &sr, need, now, &who->id);
	} else if (req->authorization != NULL &&
	    strncmp(req->authorization, "Bearer ", 7) == 0) {
		r = token_verify(w, req->authorization + 7, now, &who->id);
		if (r == AUTH_OK && need && !scope_covers(who->id.scopes, need))
			r = AUTH_SCOPE_DENIED;
	} else {
		return AUTH_TOKEN_MALFORMED;
	}
	if (r == AUTH_OK) {
		who->known = 1;
		plan_of(w, who->id.plan, &who->plan);
	}
	return r;
}

static void
refuse(struct api_request *req, enum auth_reason r, int retry_after)
{
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o,
		"error");
	char *s;

	cJSON_AddStringToObject(e, "code", r == AUTH_TOKEN_MALFORMED &&
		req->authorization == NULL ? "unauthorized" :
		auth_reason_code(r));
	cJSON_AddStringToObject(e, "message", r == AUTH_TOKEN_MALFORMED &&
		req->authorization == NULL ? "authentication is required "
		"(a bearer token or a signed API key request)" :
		auth_reason_text(r));
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	api_respond(req, auth_reason_status(r), s, "application/json",
		retry_after);
}

/*
 * Take the caller's token for one request: the plan's requests per minute,
 * per API key and per user.  0 when it passes, else the seconds until it
 * would (>= 1).  Any thread (the limiter is shared).
 */
static int
rate_take(struct web *w, const struct caller *who, int64_t now)
{
	char key[128];
	int retry = 0;

	if (who->plan.api_per_min == 0)
		return 0;
	if (who->id.key_id[0]) {
		snprintf(key, sizeof(key), "k:%s", who->id.key_id);
		if (!limiter_take(w->limiter, key, who->plan.api_per_min,
		    60000, now, &retry))
			return retry > 0 ? retry : 1;
	}
	snprintf(key, sizeof(key), "u:%lld", (long long)who->id.user_id);
	if (limiter_take(w->limiter, key, who->plan.api_per_min, 60000, now,
	    &retry))
		return 0;
	return retry > 0 ? retry : 1;
}

/* The body of a 429 for the caller's plan (malloc'd). */
static char *
rate_refusal(const struct caller *who)
{
	char msg[128];
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o,
		"error");
	char *s;

	snprintf(msg, sizeof(msg), "the %s plan allows %u requests a minute",
		who->plan.name, who->plan.api_per_min);
	cJSON_AddStringToObject(e, "code", "rate_limited");
	cJSON_AddStringToObject(e, "message", msg);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* The plan's limits on the caller: 1 after answering 429, or 0. */
static int
rate_limited(struct web *w, struct api_request *req, const struct caller *who)
{
	int retry = rate_take(w, who, loop_now_ns() / 1000000);

	if (retry == 0)
		return 0;
	api_respond(req, 429, rate_refusal(who), "application/json", retry);
	return 1;
}

/*
 * The gate in front of the API's answer cache (api.h), on the net thread:
 * a bearer token verified lately, its scope, its plan's limits read lately
 * and its rate-limit token, as on_request() does them.  What needs the
 * store or the signature checks (an API key's signed request, a token not
 * seen yet, a plan not read lately) or words an error (no credentials, a
 * scope denied) goes to the core thread, which decides as for any route.
 */
static enum api_gate
gate(void *arg, const struct api_request *req, struct api_refusal *out)
{
	struct web *w = arg;
	const struct api_route *r = &api_routes[req->route];
	int64_t now = loop_now_ns() / 1000000;
	struct caller who;

	if (r->scope == API_SCOPE_NONE)
		return API_GATE_PASS;
	memset(&who, 0, sizeof(who));
	if (req->api_key != NULL || req->authorization == NULL ||
	    strncmp(req->authorization, "Bearer ", 7) != 0 ||
	    !token_known(w, req->authorization + 7, now, &who.id) ||
	    !scope_covers(who.id.scopes, scope_mask(r->scope)) ||
	    !plan_fresh(w, who.id.plan, now, &who.plan))
		return API_GATE_CORE;
	who.known = 1;
	if ((out->retry_after = rate_take(w, &who, now)) == 0)
		return API_GATE_PASS;
	out->status = 429;
	out->body = rate_refusal(&who);
	return API_GATE_REFUSE;
}

/* ---- REST ----------------------------------------------------------------- */

/* A command that acts for its caller gets the caller's name as "user"
 * (and with `own` 2, "admin": true for an admin, who acts on everyone's,
 * and the caller's "plan");
 * a request naming a user itself is refused.  Takes `text` over. */
static char *
for_caller(char *text, const struct caller *who, int own, char *err,
	size_t errlen)
{
	cJSON *o = cJSON_Parse(text);
	char *s = NULL;

	/* a user's channel settings may hold its secret (api_command_secret) */
	api_text_wipe_free(text);
	if (o == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (cJSON_GetObjectItemCaseSensitive(o, "user") != NULL)
		snprintf(err, errlen, "unknown member 'user' (the caller's "
			"own are meant)");
	else if (own == 2 && (cJSON_GetObjectItemCaseSensitive(o, "admin") ||
	    cJSON_GetObjectItemCaseSensitive(o, "plan")))
		snprintf(err, errlen, "unknown member '%s'",
			cJSON_GetObjectItemCaseSensitive(o, "admin") ? "admin" :
			"plan");
	else if (cJSON_AddStringToObject(o, "user", who->id.user) != NULL &&
	    (own != 2 || (cJSON_AddStringToObject(o, "plan",
	    who->plan.name) != NULL && (strcmp(who->id.role, "admin") != 0 ||
	    cJSON_AddBoolToObject(o, "admin", 1) != NULL))))
		s = cJSON_PrintUnformatted(o);
	else
		snprintf(err, errlen, "out of memory");
	api_json_wipe(o);
	cJSON_Delete(o);
	return s;
}

/* Whether the route's `args` name query parameter `key`. */
static int
route_takes(const char *args, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = args; p != NULL && *p; p = strchr(p, ',') ?
	    strchr(p, ',') + 1 : NULL)
		if (strncmp(p, key, kl) == 0 && p[kl] == ':')
			return 1;
	return 0;
}

/*
 * Requests whose body or query is not the command's members as they are:
 * config.check takes the body as text (an instance file, broken JSON
 * included); indicator.compute by GET takes the query parameters its
 * route names as typed members and every other one as one of the
 * indicator's params.  The command's request (malloc'd), or NULL with the
 * reason in err (a 400).
 */
static char *
raw_request(const struct api_request *req, const char *cmd, char *err,
	size_t errlen)
{
	struct api_request typed = *req;
	cJSON *o = NULL, *params = cJSON_CreateObject();
	char *s = NULL;

	if (params == NULL)
		goto oom;
	if (strcmp(cmd, "config.check") == 0) {
		if (req->body == NULL || req->body_len == 0 ||
		    strlen(req->body) != req->body_len ||
		    !api_utf8_valid(req->body, req->body_len)) {
			snprintf(err, errlen, "the body must be the instance "
				"file's text (UTF-8, no NUL byte)");
			cJSON_Delete(params);
			return NULL;
		}
		if ((o = cJSON_CreateObject()) == NULL)
			goto oom;
		cJSON_AddStringToObject(o, "cmd", cmd);
		cJSON_AddStringToObject(o, "text", req->body);
		goto done;
	}
	typed.n_query = 0;
	for (size_t i = 0; i < req->n_query; i++) {
		const struct api_kv *kv = &req->query[i];

		if (route_takes(api_routes[req->route].args, kv->key)) {
			typed.query[typed.n_query++] = *kv;
		} else if (cJSON_GetObjectItemCaseSensitive(params, kv->key)) {
			snprintf(err, errlen, "query parameter '%.64s' given "
				"twice", kv->key);
			cJSON_Delete(params);
			return NULL;
		} else {
			cJSON_AddStringToObject(params, kv->key, kv->value);
		}
	}
	if ((s = api_command_request(&typed, err, errlen)) == NULL) {
		cJSON_Delete(params);
		return NULL;
	}
	o = cJSON_Parse(s);
	free(s);
	if (o == NULL)
		goto oom;
	cJSON_AddItemToObject(o, "params", params);
	params = NULL;
done:
	cJSON_Delete(params);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (s == NULL)
		snprintf(err, errlen, "out of memory");
	return s;
oom:
	cJSON_Delete(params);
	cJSON_Delete(o);
	snprintf(err, errlen, "out of memory");
	return NULL;
}

/*
 * Answer a cacheable route's command from the API's cache, or run it and
 * keep a success's body ("ok" dropped, as api_command_respond() does) under
 * the command's text, the key the net thread looks it up by.
 */
static void
serve_cached(struct web *w, struct api_request *req, const char *text)
{
	static const char ok[] = "{\"ok\":true,";
	int64_t since = loop_now_ns() / 1000000 - w->closed_ms;
	char *reply;
	size_t len;

	if (api_cache_respond(req, text))
		return;
	reply = w->ctl(w->ctl_arg, text, NULL);
	if (reply == NULL || strncmp(reply, ok, sizeof(ok) - 1) != 0) {
		api_command_respond(req, reply);
		return;
	}
	len = strlen(reply) - (sizeof(ok) - 2);
	memmove(reply + 1, reply + sizeof(ok) - 1, len);   /* "{" + rest */
	if (api_cache_put(w->api, text, reply, len, since < w->settle_ms ?
	    w->settle_ms - since : CACHE_MS) != QD_OK ||
	    !api_cache_respond(req, text))
		api_respond_copy(req, 200, reply, len, "application/json");
	free(reply);
}

/* A job's file, opened by the jobs' keeper thread (jobs_read()): its
 * bytes as they are, with their content type, read by the net thread as
 * they go out; an error as any other command's (from the core thread
 * when the request is refused). */
static void
send_job_file(void *arg, int fd, size_t len, const char *ctype, char *error)
{
	struct api_request *req = arg;

	if (fd < 0)
		api_command_respond(req, error);
	else
		api_respond_fd(req, 200, fd, len, ctype);
}

static void
on_request(void *arg, struct api_request *req)
{
	struct web *w = arg;
	const struct api_route *r = &api_routes[req->route];
	struct caller who;
	enum auth_reason ar;
	char err[256], *text;
	int secret;

	memset(&who, 0, sizeof(who));
	if (r->scope != API_SCOPE_NONE) {
		if (w->auth == NULL) {
			api_respond_error(req, 401, "unauthorized",
				"authentication is required, and sign-in is "
				"not configured on this daemon "
				"(api.jwt_secret)");
			return;
		}
		if ((ar = authenticate(w, req, scope_mask(r->scope), &who)) !=
		    AUTH_OK) {
			refuse(req, ar, 0);
			return;
		}
		if (rate_limited(w, req, &who))
			return;
	}
	if (account_route(r->cmd)) {
		if (w->account == NULL)
			api_respond_error(req, 503, "unavailable", "sign-in "
				"is not configured (api.jwt_secret)");
		else
			account_submit(w->account, req, who.known ?
				&who.id : NULL);
		memset(&who, 0, sizeof(who));
		return;
	}
	if (maint_route(r->cmd)) {
		maint_submit(w->maint, req, who.id.user);
		memset(&who, 0, sizeof(who));
		return;
	}
	if (r->cmd == NULL) {
		api_respond(req, 200, strdup(api_openapi_json),
			"application/json", 0);
		return;
	}
	if (strcmp(r->cmd, "metrics") == 0) {
		char *mtext = w->metrics ? metrics_render(w->metrics, NULL) :
			NULL;

		if (mtext == NULL)
			api_respond_error(req, 503, "unavailable", "no metrics");
		else
			api_respond(req, 200, mtext, METRICS_CONTENT_TYPE, 0);
		return;
	}
	if (strcmp(r->cmd, "config.check") == 0 ||
	    (strcmp(r->cmd, "indicator.compute") == 0 &&
	    req->method == API_GET))
		text = raw_request(req, r->cmd, err, sizeof(err));
	else
		text = api_command_request(req, err, sizeof(err));
	/* A secret's copies go once the command's text is made: the body
	 * (the request is the core's until answered), then the text. */
	secret = api_command_secret(r->cmd);
	if (secret && req->body != NULL)
		explicit_bzero((char *)req->body, req->body_len);
	if (text == NULL) {
		api_respond_error(req, 400, "bad_request", err);
		return;
	}
	if (r->own && (text = for_caller(text, &who, r->own, err,
	    sizeof(err))) == NULL) {
		api_respond_error(req, 400, "bad_request", err);
		return;
	}
	if (r->cache && !r->own) {
		serve_cached(w, req, text);
		free(text);
		return;
	}
	if (jobs_cmd_is_file(r->cmd)) {
		cJSON *o = cJSON_Parse(text);

		free(text);
		if (o == NULL)
			api_respond_error(req, 500, "internal", "out of memory");
		else
			jobs_read(w->jobs, r->cmd, o, send_job_file, req);
		cJSON_Delete(o);
		return;
	}
	api_command_respond(req, w->ctl(w->ctl_arg, text, NULL));
	if (secret)
		api_text_wipe_free(text);
	else
		free(text);
}

/* ---- market events as JSON ------------------------------------------------ */

cJSON *
web_event_json(const struct tape_event *e)
{
	cJSON *o = cJSON_CreateObject();
	const char *sym = symbol_name(e->symbol);

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "seq", (double)e->seq);
	cJSON_AddStringToObject(o, "type", e->kind == TAPE_TRADE ? "trade" :
		e->kind == TAPE_PARTIAL ? "partial" : "candle");
	cJSON_AddStringToObject(o, "exchange", e->source);
	cJSON_AddStringToObject(o, "symbol", sym ? sym : "?");
	if (e->kind == TAPE_TRADE) {
		cJSON_AddNumberToObject(o, "ts", (double)(e->ts / 1000000));
		cJSON_AddNumberToObject(o, "price", e->price);
		cJSON_AddNumberToObject(o, "qty", e->qty);
		cJSON_AddStringToObject(o, "side", e->side == QD_SIDE_SELL ?
			"sell" : "buy");
		cJSON_AddNumberToObject(o, "id", (double)e->trade_id);
	} else {
		const char *tf = store_timeframe_label(e->tf_s);

		cJSON_AddStringToObject(o, "timeframe", tf ? tf : "?");
		cJSON_AddNumberToObject(o, "ts", (double)(e->ts / 1000000));
		cJSON_AddNumberToObject(o, "open", e->bar.open);
		cJSON_AddNumberToObject(o, "high", e->bar.high);
		cJSON_AddNumberToObject(o, "low", e->bar.low);
		cJSON_AddNumberToObject(o, "close", e->bar.close);
		cJSON_AddNumberToObject(o, "volume", e->bar.volume);
	}
	return o;
}

/* ---- channels ------------------------------------------------------------- */

/* The channel's symbol part: BASE/QUOTE -> BASE-QUOTE. */
static void
channel_symbol(const char *sym, char *out, size_t cap)
{
	size_t i;

	for (i = 0; sym[i] && i + 1 < cap; i++)
		out[i] = sym[i] == '/' ? '-' : sym[i];
	out[i] = '\0';
}

/*
 * Parse a channel name into its canonical form (symbols BASE-QUOTE) and
 * what it selects.  Returns 0, or -1 with the reason.
 */
struct chan_sel {
	enum { CH_TRADES, CH_CANDLES, CH_ORDERS, CH_RISK, CH_NOTIFY,
		CH_POSITIONS, CH_LOGS, CH_JOBS, CH_ANNOTATIONS,
		CH_INSTANCES } kind;
	qd_symbol symbol;
	uint32_t tf_s;
	char name[96];
};

static int
channel_parse(const char *in, struct chan_sel *out, const char **why)
{
	char sym[48], tf[8];
	const char *rest;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (strcmp(in, "jobs") == 0) {
		out->kind = CH_JOBS;
		snprintf(out->name, sizeof(out->name), "%s", in);
		return 0;
	}
	if (strncmp(in, "annotations.", 12) == 0) {
		/* an instance name: what an instance file may be called */
		rest = in + 12;
		for (i = 0; rest[i] && (rest[i] == '.' || rest[i] == '_' ||
		    rest[i] == '-' || (rest[i] >= 'a' && rest[i] <= 'z') ||
		    (rest[i] >= 'A' && rest[i] <= 'Z') ||
		    (rest[i] >= '0' && rest[i] <= '9')); i++)
			;
		if (i == 0 || rest[i] || i > 64) {
			*why = "annotations channels are annotations.{instance}";
			return -1;
		}
		out->kind = CH_ANNOTATIONS;
		snprintf(out->name, sizeof(out->name), "%s", in);
		return 0;
	}
	if (strcmp(in, "notifications") == 0) {
		out->kind = CH_NOTIFY;
		snprintf(out->name, sizeof(out->name), "%s", in);
		return 0;
	}
	if (strcmp(in, "orders") == 0 || strcmp(in, "risk") == 0 ||
	    strcmp(in, "positions") == 0 || strcmp(in, "logs") == 0 ||
	    strcmp(in, "instances") == 0) {
		out->kind = in[0] == 'o' ? CH_ORDERS : in[0] == 'r' ? CH_RISK :
			in[0] == 'p' ? CH_POSITIONS : in[0] == 'i' ?
			CH_INSTANCES : CH_LOGS;
		snprintf(out->name, sizeof(out->name), "%s", in);
		return 0;
	}
	if (strncmp(in, "trades.", 7) == 0) {
		out->kind = CH_TRADES;
		rest = in + 7;
	} else if (strncmp(in, "candles.", 8) == 0) {
		const char *dot = strchr(in + 8, '.');

		out->kind = CH_CANDLES;
		if (dot == NULL || (size_t)(dot - (in + 8)) >= sizeof(tf)) {
			*why = "candles channels are candles.{tf}.{symbol}";
			return -1;
		}
		memcpy(tf, in + 8, (size_t)(dot - (in + 8)));
		tf[dot - (in + 8)] = '\0';
		if ((out->tf_s = (uint32_t)(store_timeframe_ms(tf) / 1000)) == 0) {
			*why = "unknown timeframe (1m 3m 5m 15m 30m 1h 2h 4h "
				"6h 12h 1d 1w)";
			return -1;
		}
		rest = dot + 1;
	} else {
		*why = "unknown channel (trades.{symbol}, "
			"candles.{tf}.{symbol}, orders, positions, risk, "
			"notifications, logs, jobs, instances, "
			"annotations.{instance})";
		return -1;
	}
	if (strlen(rest) >= sizeof(sym)) {
		*why = "not a symbol";
		return -1;
	}
	for (i = 0; rest[i]; i++)
		sym[i] = rest[i] == '-' ? '/' : rest[i];
	sym[i] = '\0';
	if (!symbol_valid(sym)) {
		*why = "not a symbol (BASE-QUOTE, e.g. BTC-USDT)";
		return -1;
	}
	out->symbol = symbol_intern(sym);
	channel_symbol(sym, sym, sizeof(sym));
	if (out->kind == CH_TRADES)
		snprintf(out->name, sizeof(out->name), "trades.%s", sym);
	else
		snprintf(out->name, sizeof(out->name), "candles.%s.%s", tf,
			sym);
	return 0;
}

/* {"channel":C,"type":T,...} around `data` (taken over). */
static char *
message(const char *channel, const char *type, const char *key,
	cJSON *data)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddStringToObject(o, "channel", channel);
	cJSON_AddStringToObject(o, "type", type);
	if (data != NULL)
		cJSON_AddItemToObject(o, key, data);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static void
send_error(struct web *w, uint64_t conn, const char *code, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddStringToObject(o, "type", "error");
	cJSON_AddStringToObject(o, "code", code);
	cJSON_AddStringToObject(o, "message", msg);
	if ((s = cJSON_PrintUnformatted(o)) != NULL)
		api_ws_send(w->api, conn, s);
	free(s);
	cJSON_Delete(o);
}

struct snap {
	const struct chan_sel *sel;
	cJSON *arr;
};

static void
snap_row(void *arg, const struct tape_event *e)
{
	struct snap *s = arg;

	if ((s->sel->kind == CH_TRADES && e->kind == TAPE_TRADE) ||
	    (s->sel->kind == CH_CANDLES && e->kind != TAPE_TRADE &&
	    e->tf_s == s->sel->tf_s))
		cJSON_AddItemToArray(s->arr, web_event_json(e));
}

/* A control request's reply (members but "ok"). */
static cJSON *
command_reply(struct web *w, const char *req)
{
	char *reply;
	cJSON *o;

	reply = w->ctl(w->ctl_arg, req, NULL);
	o = reply ? cJSON_Parse(reply) : NULL;
	free(reply);
	if (o != NULL)
		cJSON_DeleteItemFromObjectCaseSensitive(o, "ok");
	return o;
}

/* A control command's reply (members but "ok"), for a snapshot. */
static cJSON *
command_data(struct web *w, const char *cmd)
{
	char req[64];

	snprintf(req, sizeof(req), "{\"cmd\":\"%s\"}", cmd);
	return command_reply(w, req);
}

/* A user's own jobs, for the "jobs" channel's snapshot. */
static cJSON *
user_jobs(struct web *w, const char *user)
{
	cJSON *rq = cJSON_CreateObject(), *o = NULL;
	char *text;

	cJSON_AddStringToObject(rq, "cmd", "job.list");
	cJSON_AddStringToObject(rq, "user", user);
	if ((text = cJSON_PrintUnformatted(rq)) != NULL)
		o = command_reply(w, text);
	cJSON_Delete(rq);
	free(text);
	return o;
}

/* What an instance annotated and keeps ("instance.annotations"): the
 * reply, or NULL when there is no such instance. */
static cJSON *
instance_annotations(struct web *w, const char *instance, int limit)
{
	cJSON *rq = cJSON_CreateObject(), *o = NULL;
	char *text;

	cJSON_AddStringToObject(rq, "cmd", "instance.annotations");
	cJSON_AddStringToObject(rq, "name", instance);
	if (limit > 0)
		cJSON_AddNumberToObject(rq, "limit", limit);
	if ((text = cJSON_PrintUnformatted(rq)) != NULL)
		o = command_reply(w, text);
	cJSON_Delete(rq);
	free(text);
	if (o != NULL && cJSON_GetObjectItemCaseSensitive(o, "error")) {
		cJSON_Delete(o);
		o = NULL;
	}
	return o;
}

/* ---- levels that move with the price ------------------------------------ */

static struct said **
said_slot(struct web *w, const char *key)
{
	uint32_t h = 2166136261u;           /* FNV-1a */
	struct said **p;

	for (const char *c = key; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	for (p = &w->said[h % SAID_BUCKETS]; *p != NULL &&
	    strcmp((*p)->key, key) != 0; p = &(*p)->next)
		;
	return p;
}

/*
 * Note that `key`'s levels are (a, b), as of the current look.  Returns 1
 * when that differs from what its channel last said (for a key it has
 * said nothing of: when a level is set), else 0.  Out of memory: 1, and
 * nothing kept.
 */
static int
said_note(struct web *w, const char *key, double a, double b)
{
	struct said **p = said_slot(w, key), *e = *p;
	size_t n;
	int moved;

	if (e == NULL) {
		n = strlen(key) + 1;
		if ((e = calloc(1, sizeof(*e) + n)) == NULL)
			return 1;
		memcpy(e->key, key, n);
		*p = e;
		moved = a != 0 || b != 0;
	} else {
		moved = e->a != a || e->b != b;
	}
	e->a = a;
	e->b = b;
	e->scan = w->scan;
	return moved;
}

/* Forget what no look since the last one found (gone, or its channel
 * without subscribers); all of it with every_one. */
static void
said_sweep(struct web *w, int every_one)
{
	for (size_t i = 0; i < SAID_BUCKETS; i++) {
		struct said **p = &w->said[i], *e;

		while ((e = *p) != NULL) {
			if (every_one || e->scan != w->scan) {
				*p = e->next;
				free(e);
			} else {
				p = &e->next;
			}
		}
	}
}

static double
member_num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *
member_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* The key of a position: its account and symbol. */
static void
position_key(char *out, size_t cap, const char *account, const char *symbol)
{
	snprintf(out, cap, "p%s\n%s", account, symbol);
}

/*
 * What a subscriber was just sent of the orders or positions (a snapshot,
 * or a message to every subscriber): its levels that move, noted as said.
 * A snapshot only adds what nothing was said of yet: a subscriber from
 * before may not have been told the newer level (the next look tells
 * everyone).
 */
static void
said_of(struct web *w, const cJSON *item, int position, int snapshot)
{
	char key[256];

	if (position) {
		position_key(key, sizeof(key), member_str(item, "account"),
			member_str(item, "symbol"));
	} else {
		if (strcmp(member_str(item, "type"), "trailing_stop") != 0)
			return;
		snprintf(key, sizeof(key), "o%.0f", member_num(item,
			cJSON_GetObjectItemCaseSensitive(item, "id") ? "id" :
			"order_id"));
	}
	if (snapshot && said_slot(w, key)[0] != NULL)
		return;
	said_note(w, key, member_num(item, position ? "sl_price" :
		"stop_price"), position ? member_num(item, "tp_price") : 0);
}

/* The state a new subscriber starts from. */
static void
send_snapshot(struct web *w, uint64_t conn, const struct chan_sel *sel,
	const char *user)
{
	cJSON *data;
	char *s;

	if (sel->kind == CH_ANNOTATIONS) {
		data = instance_annotations(w, sel->name + 12, 0);
	} else if (sel->kind == CH_JOBS) {
		data = user_jobs(w, user);
	} else if (sel->kind == CH_NOTIFY) {
		data = cJSON_CreateArray();
	} else if (sel->kind == CH_ORDERS) {
		data = command_data(w, "trade.orders");
	} else if (sel->kind == CH_RISK) {
		data = command_data(w, "risk.status");
	} else if (sel->kind == CH_POSITIONS) {
		data = command_data(w, "trade.positions");
	} else if (sel->kind == CH_INSTANCES) {
		data = command_data(w, "instance.list");
	} else if (sel->kind == CH_LOGS) {
		data = cJSON_CreateObject();
		cJSON_AddStringToObject(data, "level", sel->name + 5);
		cJSON_AddNumberToObject(data, "dropped",
			(double)log_tail_dropped(w->logs));
	} else {
		struct snap sn = { sel, cJSON_CreateArray() };

		tape_since(w->tape, 0, NULL, sel->symbol, 8192, snap_row, &sn);
		data = sn.arr;
	}
	if (sel->kind == CH_ORDERS || sel->kind == CH_POSITIONS) {
		const cJSON *item;

		cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(data,
		    sel->kind == CH_ORDERS ? "orders" : "positions"))
			said_of(w, item, sel->kind == CH_POSITIONS, 1);
	}
	if ((s = message(sel->kind == CH_LOGS ? "logs" : sel->name, "snapshot",
	    "data", data)) != NULL)
		api_ws_send(w->api, conn, s);
	free(s);
}

static struct client *
client_find(struct web *w, uint64_t conn)
{
	for (size_t i = 0; i < w->n_clients; i++)
		if (w->clients[i].conn == conn)
			return &w->clients[i];
	return NULL;
}

/* A token for a WebSocket client: who it is and its plan's delay. */
static int
ws_login(struct web *w, struct client *cl, const char *token)
{
	int64_t now = loop_now_ns() / 1000000;
	enum auth_reason r = w->auth == NULL ? AUTH_ERROR :
		token_verify(w, token, now, &cl->who.id);

	if (r != AUTH_OK) {
		memset(&cl->who, 0, sizeof(cl->who));
		send_error(w, cl->conn, auth_reason_code(r),
			auth_reason_text(r));
		return -1;
	}
	cl->who.known = 1;
	plan_of(w, cl->who.id.plan, &cl->who.plan);
	api_ws_delay(w->api, cl->conn, cl->who.plan.push_delay_ms > 0 ?
		(unsigned)cl->who.plan.push_delay_ms : 0);
	return 0;
}

/* How many symbols the client follows with `sym` added. */
static size_t
symbols_with(const struct client *cl, qd_symbol sym)
{
	qd_symbol seen[API_WS_MAX_SUBS + 1];
	size_t n = 0;

	seen[n++] = sym;
	for (size_t i = 0; i < cl->n_subs; i++) {
		size_t k;

		if (cl->syms[i] == 0)
			continue;
		for (k = 0; k < n && seen[k] != cl->syms[i]; k++)
			;
		if (k == n)
			seen[n++] = cl->syms[i];
	}
	return n;
}

/* Keep the client's own list of its subscriptions in step. */
static void
client_note(struct client *cl, const struct chan_sel *sel, int on)
{
	size_t i;

	for (i = 0; i < cl->n_subs; i++)
		if (strcmp(cl->chans[i], sel->name) == 0)
			break;
	if (on && i == cl->n_subs && i < API_WS_MAX_SUBS) {
		snprintf(cl->chans[i], sizeof(cl->chans[i]), "%s", sel->name);
		cl->syms[i] = sel->symbol;
		cl->n_subs++;
	} else if (!on && i < cl->n_subs) {
		cl->n_subs--;
		memcpy(cl->chans[i], cl->chans[cl->n_subs],
			sizeof(cl->chans[i]));
		cl->syms[i] = cl->syms[cl->n_subs];
	}
}

static const char *const log_levels[] = { "error", "warn", "info",
	"debug" };

/*
 * The logs channel, admins only: a subscription at a level ("level" of the
 * message, "info" by default) is to the internal channel logs.LEVEL, lines
 * of that level and more severe; a client has one level at a time (a new
 * subscription replaces it).  An unsubscription drops whichever it has and
 * is answered here.  Returns 0 to go on subscribing `sel`, -1 when answered.
 */
static int
logs_select(struct web *w, struct client *cl, const cJSON *msg, int on,
	struct chan_sel *sel)
{
	const cJSON *lv = cJSON_GetObjectItemCaseSensitive(msg, "level");
	int level = QD_LOG_INFO;
	struct chan_sel old;
	char *s;

	if (on && (!cl->who.known || !scope_covers(cl->who.id.scopes,
	    AUTH_SCOPE_ADMIN) || strcmp(cl->who.id.role, "admin") != 0)) {
		send_error(w, cl->conn, "forbidden", "the logs channel is for "
			"admins");
		return -1;
	}
	if (on && lv != NULL && (!cJSON_IsString(lv) ||
	    (level = log_level_parse(lv->valuestring)) < 0)) {
		send_error(w, cl->conn, "bad_request", "level: error, warn, "
			"info or debug");
		return -1;
	}
	/* drop the level held, if any */
	memset(&old, 0, sizeof(old));
	old.kind = CH_LOGS;
	for (size_t i = 0; i < 4; i++) {
		snprintf(old.name, sizeof(old.name), "logs.%s", log_levels[i]);
		if ((!on || (int)i != level) &&
		    api_ws_subscribed(w->api, cl->conn, old.name)) {
			api_ws_subscribe(w->api, cl->conn, old.name, 0);
			client_note(cl, &old, 0);
		}
	}
	if (!on) {
		if ((s = message("logs", "unsubscribed", NULL, NULL)) != NULL)
			api_ws_send(w->api, cl->conn, s);
		free(s);
		return -1;
	}
	snprintf(sel->name, sizeof(sel->name), "logs.%s", log_levels[level]);
	return 0;
}

static void
on_ws_text(struct web *w, struct client *cl, const char *text)
{
	cJSON *o = cJSON_Parse(text), *op, *ch, *tok;
	struct chan_sel sel;
	const char *why, *ops;
	char *s;
	int on, rc;

	op = o ? cJSON_GetObjectItemCaseSensitive(o, "op") : NULL;
	if (!cJSON_IsString(op)) {
		send_error(w, cl->conn, "bad_request", "expected a JSON object "
			"with \"op\"");
		goto out;
	}
	ops = op->valuestring;
	if (strcmp(ops, "ping") == 0) {
		api_ws_send(w->api, cl->conn, "{\"type\":\"pong\"}");
		goto out;
	}
	if (strcmp(ops, "auth") == 0) {
		tok = cJSON_GetObjectItemCaseSensitive(o, "token");
		if (ws_login(w, cl, cJSON_IsString(tok) ? tok->valuestring :
		    "") == 0)
			api_ws_send(w->api, cl->conn,
				"{\"type\":\"authenticated\"}");
		goto out;
	}
	on = strcmp(ops, "subscribe") == 0;
	if (!on && strcmp(ops, "unsubscribe") != 0) {
		send_error(w, cl->conn, "bad_request", "unknown op (auth, "
			"subscribe, unsubscribe, ping)");
		goto out;
	}
	ch = cJSON_GetObjectItemCaseSensitive(o, "channel");
	if (!cJSON_IsString(ch)) {
		send_error(w, cl->conn, "bad_request", "\"channel\" is "
			"required");
		goto out;
	}
	if (channel_parse(ch->valuestring, &sel, &why) != 0) {
		send_error(w, cl->conn, "bad_request", why);
		goto out;
	}
	if (on && !cl->who.known) {
		send_error(w, cl->conn, "unauthorized", "authenticate first "
			"({\"op\":\"auth\",\"token\":...})");
		goto out;
	}
	if (sel.kind == CH_JOBS) {
		/* Each user's own jobs. */
		if (!cl->who.known) {
			send_error(w, cl->conn, "unauthorized", "authenticate "
				"first");
			goto out;
		}
		snprintf(sel.name, sizeof(sel.name), "jobs.%s",
			cl->who.id.user);
	}
	if (sel.kind == CH_NOTIFY) {
		/* Each user's own; admins also get the operators' events. */
		if (!cl->who.known) {
			send_error(w, cl->conn, "unauthorized", "authenticate "
				"first");
			goto out;
		}
		if (strcmp(cl->who.id.role, "admin") == 0)
			api_ws_subscribe(w->api, cl->conn,
				"notifications.@operators", on);
		snprintf(sel.name, sizeof(sel.name), "notifications.%s",
			cl->who.id.user);
	}
	if (sel.kind == CH_LOGS) {
		if (logs_select(w, cl, o, on, &sel) != 0)
			goto out;
	}
	if (on && api_ws_subscribed(w->api, cl->conn, sel.name))
		goto out;
	if (on && (sel.kind == CH_ORDERS || sel.kind == CH_RISK ||
	    sel.kind == CH_POSITIONS || sel.kind == CH_ANNOTATIONS ||
	    sel.kind == CH_INSTANCES) &&
	    !scope_covers(cl->who.id.scopes, AUTH_SCOPE_READ)) {
		send_error(w, cl->conn, "forbidden", "not with these scopes");
		goto out;
	}
	if (on && sel.kind == CH_ANNOTATIONS) {
		cJSON *probe = instance_annotations(w, sel.name + 12, 1);

		if (probe == NULL) {
			send_error(w, cl->conn, "not_found", "no such instance");
			goto out;
		}
		cJSON_Delete(probe);
	}
	if (on && sel.symbol != 0 && cl->who.plan.symbols >= 0 &&
	    symbols_with(cl, sel.symbol) > (size_t)cl->who.plan.symbols) {
		char msg[128];

		snprintf(msg, sizeof(msg), "the %s plan follows %lld "
			"symbol(s) at once", cl->who.plan.name,
			(long long)cl->who.plan.symbols);
		send_error(w, cl->conn, "plan_limit", msg);
		goto out;
	}
	rc = api_ws_subscribe(w->api, cl->conn, sel.name, on);
	if (rc != 0) {
		send_error(w, cl->conn, "limit", "too many subscriptions");
		goto out;
	}
	client_note(cl, &sel, on);
	if ((s = message(sel.kind == CH_LOGS ? "logs" : sel.name, on ?
	    "subscribed" : "unsubscribed", NULL, NULL)) != NULL)
		api_ws_send(w->api, cl->conn, s);
	free(s);
	if (on)
		send_snapshot(w, cl->conn, &sel, cl->who.id.user);
out:
	cJSON_Delete(o);
}

static void
on_ws(void *arg, const struct api_ws_event *ev)
{
	struct web *w = arg;
	struct client *cl = client_find(w, ev->conn);

	switch (ev->kind) {
	case API_WS_OPEN:
		if (cl == NULL) {
			if (w->n_clients == w->cap_clients) {
				size_t cap = w->cap_clients ?
					w->cap_clients * 2 : 16;
				struct client *nc = realloc(w->clients,
					cap * sizeof(*nc));

				if (nc == NULL) {
					api_ws_close(w->api, ev->conn, 1011,
						"out of memory");
					return;
				}
				w->clients = nc;
				w->cap_clients = cap;
			}
			cl = &w->clients[w->n_clients++];
			memset(cl, 0, sizeof(*cl));
			cl->conn = ev->conn;
		}
		if (ev->authorization != NULL &&
		    strncmp(ev->authorization, "Bearer ", 7) == 0)
			ws_login(w, cl, ev->authorization + 7);
		break;
	case API_WS_TEXT:
		if (cl != NULL)
			on_ws_text(w, cl, ev->text);
		break;
	case API_WS_CLOSED:
		if (cl != NULL)
			*cl = w->clients[--w->n_clients];
		break;
	}
}

/* ---- publishing the bus's events ------------------------------------------ */

static void
publish_market(struct web *w, const struct bus_event *ev,
	enum tape_kind kind)
{
	struct tape_event te;
	char sym[48], name[96], *s;
	const char *sname;
	cJSON *o;

	memset(&te, 0, sizeof(te));
	te.kind = kind;
	snprintf(te.source, sizeof(te.source), "%s", ev->source ?
		ev->source : "");
	if (kind == TAPE_TRADE) {
		te.symbol = ev->u.trade.symbol;
		te.ts = ev->u.trade.ts;
		te.price = ev->u.trade.price;
		te.qty = ev->u.trade.qty;
		te.side = ev->u.trade.side;
		te.trade_id = ev->u.trade.trade_id;
	} else {
		te.symbol = ev->u.bar.symbol;
		te.tf_s = ev->u.bar.timeframe_s;
		te.ts = ev->u.bar.bar.ts;
		te.bar = ev->u.bar.bar;
	}
	if ((sname = symbol_name(te.symbol)) == NULL)
		return;
	channel_symbol(sname, sym, sizeof(sym));
	if (kind == TAPE_TRADE)
		snprintf(name, sizeof(name), "trades.%s", sym);
	else
		snprintf(name, sizeof(name), "candles.%s.%s",
			store_timeframe_label(te.tf_s) ?
			store_timeframe_label(te.tf_s) : "?", sym);
	if (!api_wanted(w->api, name))
		return;
	o = web_event_json(&te);
	cJSON_DeleteItemFromObjectCaseSensitive(o, "seq");
	if (kind != TAPE_TRADE) {
		cJSON_ReplaceItemInObjectCaseSensitive(o, "type",
			cJSON_CreateString("candle"));
		cJSON_AddBoolToObject(o, "final", kind == TAPE_BAR);
	}
	if ((s = message(name, kind == TAPE_TRADE ? "trade" : "candle",
	    "data", o)) != NULL)
		api_publish(w->api, name, s);
	free(s);
}

static void
on_trade(void *arg, const struct bus_event *ev)
{
	publish_market(arg, ev, TAPE_TRADE);
}

static void
on_bar(void *arg, const struct bus_event *ev)
{
	struct web *w = arg;

	if (ev->topic == BUS_BAR) {
		/* stored pages may change as soon as the writer stores it */
		api_cache_clear(w->api);
		w->closed_ms = loop_now_ns() / 1000000;
	}
	if (!ev->history)
		publish_market(arg, ev, ev->topic == BUS_BAR ? TAPE_BAR :
			TAPE_PARTIAL);
}

/* An order as the orders channel shows it. */
static cJSON *
order_json(struct web *w, const struct qd_order_update *u)
{
	const char *sym = symbol_name(u->symbol);
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "order_id", (double)u->order_id);
	cJSON_AddStringToObject(o, "symbol", sym ? sym : "?");
	cJSON_AddStringToObject(o, "side", u->side == QD_SIDE_SELL ? "sell" :
		"buy");
	cJSON_AddNumberToObject(o, "state", u->state);
	cJSON_AddNumberToObject(o, "ts", (double)(u->ts / 1000000));
	cJSON_AddNumberToObject(o, "qty", u->qty);
	cJSON_AddNumberToObject(o, "price", u->price);
	cJSON_AddNumberToObject(o, "filled_qty", u->filled_qty);
	cJSON_AddNumberToObject(o, "avg_price", u->avg_price);
	cJSON_AddNumberToObject(o, "last_qty", u->last_qty);
	cJSON_AddNumberToObject(o, "last_price", u->last_price);
	cJSON_AddNumberToObject(o, "fee", u->fee);
	cJSON_AddStringToObject(o, "type", oms_type_name(u->type));
	if (w->host != NULL)
		trading_order_levels(host_oms(w->host), u, o);
	if (u->reason != NULL)
		cJSON_AddStringToObject(o, "reason", u->reason);
	return o;
}

static void
on_order(void *arg, const struct bus_event *ev)
{
	struct web *w = arg;
	cJSON *o;
	char *s;

	if (!api_wanted(w->api, "orders"))
		return;
	o = order_json(w, &ev->u.order);
	said_of(w, o, 0, 0);
	if ((s = message("orders", ev->topic == BUS_FILL ? "fill" : "order",
	    "data", o)) != NULL)
		api_publish(w->api, "orders", s);
	free(s);
}

/* trade.positions' answer to `req` (an object it takes over): each
 * position to the positions channel. */
static void
publish_positions(struct web *w, cJSON *req)
{
	char *text = cJSON_PrintUnformatted(req), *s;
	cJSON *data, *arr, *p;

	cJSON_Delete(req);
	data = text ? command_reply(w, text) : NULL;
	free(text);
	arr = data ? cJSON_GetObjectItemCaseSensitive(data, "positions") :
		NULL;
	cJSON_ArrayForEach(p, arr) {
		said_of(w, p, 1, 0);
		if ((s = message("positions", "position", "data",
		    cJSON_Duplicate(p, 1))) != NULL)
			api_publish(w->api, "positions", s);
		free(s);
	}
	cJSON_Delete(data);
}

/* A fill: to the orders channel, and the position it changed to the
 * positions channel (as trade.positions shows it, flat ones too). */
static void
on_fill(void *arg, const struct bus_event *ev)
{
	struct web *w = arg;
	const char *sym = symbol_name(ev->u.order.symbol);
	cJSON *req;

	on_order(arg, ev);
	if (!api_wanted(w->api, "positions") || sym == NULL ||
	    ev->source == NULL)
		return;
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", "trade.positions");
	cJSON_AddStringToObject(req, "instance", ev->source);
	cJSON_AddStringToObject(req, "symbol", sym);
	cJSON_AddTrueToObject(req, "closed");
	publish_positions(w, req);
}

/* Open trailing stops whose stop_price moved: "levels" messages (the
 * order as "order" messages show it; no state changed). */
static void
look_orders(struct web *w)
{
	struct oms *o = host_oms(w->host);
	size_t n = oms_open_orders(o, NULL, NULL, 0), k;
	uint64_t *ids = calloc(n + 1, sizeof(*ids));

	if (ids == NULL)
		return;
	k = oms_open_orders(o, NULL, ids, n);
	for (size_t i = 0; i < k && i < n; i++) {
		struct qd_order_update u;
		struct oms_order_levels lv;
		char key[32], *s;

		memset(&u, 0, sizeof(u));
		u.size = sizeof(u);
		if (oms_order_get(o, NULL, ids[i], &u) != QD_OK ||
		    u.type != QD_ORDER_TRAILING_STOP ||
		    oms_order_levels(o, ids[i], &lv) != QD_OK)
			continue;
		snprintf(key, sizeof(key), "o%llu",
			(unsigned long long)ids[i]);
		if (said_note(w, key, lv.trigger, 0) && (s = message("orders",
		    "levels", "data", order_json(w, &u))) != NULL) {
			api_publish(w->api, "orders", s);
			free(s);
		}
	}
	free(ids);
}

struct moved {
	struct web *w;
	char **keys;                /* "account\nsymbol" of those moved */
	size_t n, cap;
};

static void
position_moved(void *arg, const char *account, const char *symbol,
	double sl, double tp)
{
	struct moved *m = arg;
	char key[256];

	position_key(key, sizeof(key), account, symbol);
	if (!said_note(m->w, key, sl, tp))
		return;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		char **nk = realloc(m->keys, cap * sizeof(*nk));

		if (nk == NULL)
			return;
		m->keys = nk;
		m->cap = cap;
	}
	if ((m->keys[m->n] = strdup(key + 1)) != NULL)
		m->n++;
}

/* Open positions whose risk exits moved: "position" messages, as after
 * a fill. */
static void
look_positions(struct web *w)
{
	struct moved m = { w, NULL, 0, 0 };

	trading_position_levels(w->host, position_moved, &m);
	for (size_t i = 0; i < m.n; i++) {
		char *nl = strchr(m.keys[i], '\n');
		cJSON *req;

		if (nl == NULL) {   /* names too long for a key */
			free(m.keys[i]);
			continue;
		}
		*nl = '\0';
		req = cJSON_CreateObject();
		cJSON_AddStringToObject(req, "cmd", "trade.positions");
		cJSON_AddStringToObject(req, "account", m.keys[i]);
		cJSON_AddStringToObject(req, "symbol", nl + 1);
		publish_positions(w, req);
		free(m.keys[i]);
	}
	free(m.keys);
}

/* Every LEVELS_NS: the levels that moved, to the channels that have
 * subscribers; what is no longer open, or no longer followed, is
 * forgotten. */
static void
look_levels(void *arg)
{
	struct web *w = arg;

	w->scan++;
	if (w->host != NULL && api_wanted(w->api, "orders"))
		look_orders(w);
	if (w->host != NULL && api_wanted(w->api, "positions"))
		look_positions(w);
	said_sweep(w, 0);
}

/*
 * An instance's state changed: to the instances channel, the instance as
 * GET /instances lists it now (name, plugin, state, reason, restarts) and
 * what happened ("event": the state the host announced; a sandboxed
 * instance whose child is replaced stays running, its restarts one more).
 * Built from the event alone: listing the host's instances from here
 * could meet a reload half done.  An instance a reload adds is listed
 * whole by the next snapshot or GET.
 */
static void
on_instance(void *arg, const struct bus_event *ev)
{
	struct web *w = arg;
	const struct bus_plugin_event *p = &ev->u.plugin;
	cJSON *o;
	char *s;

	if (!api_wanted(w->api, "instances") || p->instance == NULL)
		return;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", p->instance);
	cJSON_AddStringToObject(o, "plugin", p->plugin ? p->plugin : "");
	cJSON_AddStringToObject(o, "state", host_state_name(p->current));
	if (p->reason != NULL && p->current == p->state)
		cJSON_AddStringToObject(o, "reason", p->reason);
	cJSON_AddNumberToObject(o, "restarts", p->restarts);
	cJSON_AddStringToObject(o, "event", host_state_name(p->state));
	if ((s = message("instances", "instance", "data", o)) != NULL)
		api_publish(w->api, "instances", s);
	free(s);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * A (re)load was applied: each instance it removed goes to the instances
 * channel as {"type":"removed","data":{"name"}} (a stopped one that is
 * still configured stays listed).  The names are kept sorted, to compare
 * with the next.
 */
void
web_instances_applied(struct web *w)
{
	size_t n, k = 0, i, j;
	char **now;

	if (w == NULL || w->host == NULL)
		return;
	n = host_instance_count(w->host);
	if ((now = calloc(n + 1, sizeof(*now))) == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		struct host_instance_info info;

		if (host_instance_info(w->host, i, &info) != QD_OK ||
		    info.instance == NULL)
			continue;
		if ((now[k] = strdup(info.instance)) == NULL) {
			names_free(now, k);
			goto oom;
		}
		k++;
	}
	qsort(now, k, sizeof(*now), name_cmp);
	for (i = j = 0; i < w->n_inst_names; i++) {
		cJSON *d;
		char *s;
		int c = 1;

		while (j < k && (c = strcmp(now[j], w->inst_names[i])) < 0)
			j++;
		if (c == 0 || !api_wanted(w->api, "instances"))
			continue;
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "name", w->inst_names[i]);
		if ((s = message("instances", "removed", "data", d)) != NULL)
			api_publish(w->api, "instances", s);
		free(s);
	}
	names_free(w->inst_names, w->n_inst_names);
	w->inst_names = now;
	w->n_inst_names = k;
	return;
oom:
	log_warn("api", "out of memory: dashboards may not hear of removed "
		"instances");
}

/* ---- the logs channel ----------------------------------------------------- */

struct log_out {
	struct web *w;
	int wanted[4];              /* logs.LEVEL has subscribers */
};

static void
publish_line(void *arg, enum qd_log_level level, const char *line,
	size_t len, int cut)
{
	struct log_out *lo = arg;
	cJSON *d;
	char *s;

	(void)len;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "level", log_levels[level]);
	cJSON_AddStringToObject(d, "line", line);
	if (cut)
		cJSON_AddTrueToObject(d, "cut");
	s = message("logs", "log", "data", d);
	/* to every level at least as verbose as the line's */
	for (int i = (int)level; s != NULL && i < 4; i++)
		if (lo->wanted[i]) {
			char name[16];

			snprintf(name, sizeof(name), "logs.%s", log_levels[i]);
			api_publish(lo->w->api, name, s);
		}
	free(s);
}

/* Every LOG_DRAIN_NS: the lines logged since, to the logs channel's
 * subscribers (read and dropped when there are none); lines the tail had
 * no room for are counted, and subscribers told how many. */
static void
drain_logs(void *arg)
{
	struct web *w = arg;
	struct log_out lo = { w, { 0 } };
	uint64_t dropped = log_tail_dropped(w->logs);
	int any = 0;

	for (int i = 0; i < 4; i++) {
		char name[16];

		snprintf(name, sizeof(name), "logs.%s", log_levels[i]);
		any |= lo.wanted[i] = api_wanted(w->api, name);
	}
	log_tail_drain(w->logs, LOG_DRAIN_MAX, publish_line, &lo);
	if (dropped != w->logs_dropped && any) {
		cJSON *d = cJSON_CreateObject();
		char *s;

		cJSON_AddNumberToObject(d, "dropped", (double)dropped);
		if ((s = message("logs", "dropped", "data", d)) != NULL)
			for (int i = 0; i < 4; i++) {
				char name[16];

				snprintf(name, sizeof(name), "logs.%s",
					log_levels[i]);
				if (lo.wanted[i])
					api_publish(w->api, name, s);
			}
		free(s);
	}
	w->logs_dropped = dropped;
}

static void
on_alert(void *arg, const struct bus_event *ev)
{
	struct web *w = arg;
	static const char *const sev[] = { "info", "warning", "critical" };
	cJSON *o;
	char *s;

	if (!api_wanted(w->api, "risk"))
		return;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "source", ev->source ? ev->source : "");
	cJSON_AddStringToObject(o, "severity",
		(unsigned)ev->u.alert.severity < 3 ?
		sev[ev->u.alert.severity] : "info");
	cJSON_AddStringToObject(o, "title", ev->u.alert.title ?
		ev->u.alert.title : "");
	cJSON_AddStringToObject(o, "body", ev->u.alert.body ?
		ev->u.alert.body : "");
	if ((s = message("risk", "risk", "data", o)) != NULL)
		api_publish(w->api, "risk", s);
	free(s);
}

/* A notification for a user (or the operators): to their dashboards. */
static void
on_notification(void *arg, const struct outbox_event *e)
{
	static const char *const sev[] = { "info", "warning", "critical" };
	struct web *w = arg;
	char name[96], *s;
	cJSON *o;

	snprintf(name, sizeof(name), "notifications.%s", e->user ? e->user :
		"@operators");
	if (!api_wanted(w->api, name))
		return;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", e->event ? e->event : "");
	cJSON_AddStringToObject(o, "severity", (unsigned)e->severity < 3 ?
		sev[e->severity] : "info");
	cJSON_AddStringToObject(o, "title", e->title ? e->title : "");
	cJSON_AddStringToObject(o, "body", e->body ? e->body : "");
	if ((s = message("notifications", "notification", "data", o)) !=
	    NULL)
		api_publish(w->api, name, s);
	free(s);
}

/* A job changed: to its user's dashboards. */
static void
on_job(void *arg, const char *user, const cJSON *job)
{
	struct web *w = arg;
	char name[96], *s;

	snprintf(name, sizeof(name), "jobs.%s", user);
	if (!api_wanted(w->api, name))
		return;
	if ((s = message("jobs", "job", "data", cJSON_Duplicate(job, 1))) !=
	    NULL)
		api_publish(w->api, name, s);
	free(s);
}

/* A strategy's annotation: to the dashboards following its instance. */
static void
on_annotation(void *arg, const struct host_annotation *a)
{
	struct web *w = arg;
	char name[96], *s;
	cJSON *o;

	if (snprintf(name, sizeof(name), "annotations.%s", a->instance) >=
	    (int)sizeof(name) || !api_wanted(w->api, name))
		return;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "seq", (double)a->seq);
	cJSON_AddNumberToObject(o, "ts", (double)a->ts_ms);
	cJSON_AddStringToObject(o, "kind", a->kind);
	cJSON_AddItemToObject(o, "data", cJSON_CreateRaw(a->json));
	if ((s = message(name, "annotation", "data", o)) != NULL)
		api_publish(w->api, name, s);
	free(s);
}

void
web_attach_host(struct web *w, struct host *h)
{
	if (w == NULL)
		return;
	w->host = h;
	host_watch_annotations(h, on_annotation, w);
}

void
web_attach_jobs(struct web *w, struct jobs *j)
{
	if (w == NULL)
		return;
	w->jobs = j;
	jobs_watch(j, on_job, w);
}

void
web_attach_outbox(struct web *w, struct outbox *ob)
{
	if (w != NULL && ob != NULL &&
	    outbox_listen(ob, on_notification, w) != QD_OK)
		log_warn("api", "notifications will not reach dashboards");
}

/* ---- start and stop ------------------------------------------------------- */

/* Verification on the core thread, everything else on the worker. */
static int
signin_start(struct web *w, const struct config *c)
{
	struct account_config acc;
	struct auth_config ac;
	char err[256];

	auth_config_defaults(&ac);
	ac.jwt_secret = c->api.jwt_secret;
	ac.access_ttl_s = c->api.access_ttl_s;
	if (c->storage.url == NULL) {
		log_error("api", "sign-in needs the store (storage.url)");
		return -1;
	}
	if (store_open(c->storage.url, STORE_ROLE_WRITER, &w->store, err,
	    sizeof(err)) != QD_OK || vault_new(&w->vault) != QD_OK ||
	    (c->api.master_keys != NULL && vault_load(w->vault,
	    c->api.master_keys, err, sizeof(err)) != QD_OK) ||
	    auth_new(&ac, w->store, w->vault, &w->auth, err,
	    sizeof(err)) != QD_OK ||
	    limiter_new(100000, &w->limiter) != QD_OK) {
		log_error("api", "sign-in: %s", err);
		return -1;
	}
	memset(&acc, 0, sizeof(acc));
	acc.store_url = c->storage.url;
	acc.auth = &ac;
	acc.master_keys = c->api.master_keys;
	acc.registration_open = c->api.registration_open;
	if ((w->account = account_start(&acc, err, sizeof(err))) == NULL) {
		log_error("api", "sign-in: %s", err);
		return -1;
	}
	return 0;
}

struct web *
web_start(const struct config *c, struct net *n, struct loop *core,
	struct bus *bus, struct tape *tape, struct metrics *metrics,
	ctl_handler ctl, void *ctl_arg, int *off)
{
	struct api_config ac;
	struct web *w;

	*off = !c->api.enabled || c->listen == NULL || c->listen[0] == '\0';
	if (*off)
		return NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->bus = bus;
	w->core = core;
	w->tape = tape;
	w->ctl = ctl;
	w->ctl_arg = ctl_arg;
	w->metrics = metrics;
	pthread_mutex_init(&w->mu, NULL);
	w->settle_ms = c->storage.flush_ms + SETTLE_MARGIN_MS;
	if (w->settle_ms > CACHE_MS)
		w->settle_ms = CACHE_MS;
	memset(&ac, 0, sizeof(ac));
	ac.metrics = metrics;
	ac.listen = c->listen;
	ac.tls_cert = c->api.tls_cert;
	ac.tls_key = c->api.tls_key;
	ac.static_dir = c->api.static_dir;
	ac.cors_origins = c->api.cors_origins;
	ac.body_max = c->api.body_max;
	ac.timeout_s = c->api.timeout_s;
	if (c->api.jwt_secret != NULL && signin_start(w, c) != 0) {
		web_stop(w);
		web_free(w);
		return NULL;
	}
	if (c->api.jwt_secret == NULL)
		log_warn("api", "api.jwt_secret is not set: no one can sign "
			"in; only /healthz, /readyz, /metrics and the OpenAPI "
			"document answer");
	if (w->auth != NULL) {
		ac.gate = gate;
		ac.gate_arg = w;
	}
	if ((w->api = api_start(n, core, &ac, on_request, w)) == NULL) {
		web_stop(w);
		web_free(w);
		return NULL;
	}
	api_set_ws(w->api, on_ws, w);
	if (c->storage.url != NULL &&
	    (w->maint = maint_start(c->storage.url)) == NULL) {
		log_error("api", "cannot start the store maintenance worker");
		web_stop(w);
		web_free(w);
		return NULL;
	}
	if ((w->logs = log_tail_new(LOG_SLOTS, LOG_LINE_MAX)) == NULL ||
	    (w->log_timer = loop_timer_add(core, LOG_DRAIN_NS, LOG_DRAIN_NS,
	    drain_logs, w)) == NULL) {
		log_error("api", "out of memory");
		web_stop(w);
		web_free(w);
		return NULL;
	}
	if ((w->levels_timer = loop_timer_add(core, LEVELS_NS, LEVELS_NS,
	    look_levels, w)) == NULL) {
		log_error("api", "out of memory");
		web_stop(w);
		web_free(w);
		return NULL;
	}
	log_set_hook(log_tail_push, w->logs);
	w->subs[0] = bus_subscribe(bus, BUS_TRADE, 0, on_trade, w);
	w->subs[1] = bus_subscribe(bus, BUS_BAR, 0, on_bar, w);
	w->subs[2] = bus_subscribe(bus, BUS_BAR_PARTIAL, 0, on_bar, w);
	w->subs[3] = bus_subscribe(bus, BUS_ORDER_UPDATE, 0, on_order, w);
	w->subs[4] = bus_subscribe(bus, BUS_ALERT, 0, on_alert, w);
	w->subs[5] = bus_subscribe(bus, BUS_FILL, 0, on_fill, w);
	w->subs[6] = bus_subscribe(bus, BUS_PLUGIN_STATE, 0, on_instance, w);
	for (size_t i = 0; i < sizeof(w->subs) / sizeof(w->subs[0]); i++)
		if (w->subs[i] == 0) {
			web_stop(w);
			web_free(w);
			return NULL;
		}
	return w;
}

void
web_ready(struct web *w)
{
	if (w != NULL)
		api_set_ready(w->api, 1);
}

void
web_stop(struct web *w)
{
	if (w == NULL)
		return;
	log_set_hook(NULL, NULL);
	loop_timer_cancel(w->log_timer);
	w->log_timer = NULL;
	loop_timer_cancel(w->levels_timer);
	w->levels_timer = NULL;
	maint_stop(w->maint);
	w->maint = NULL;
	for (size_t i = 0; i < sizeof(w->subs) / sizeof(w->subs[0]); i++)
		if (w->subs[i] != 0)
			bus_unsubscribe(w->bus, w->subs[i]);
	memset(w->subs, 0, sizeof(w->subs));
	/* The worker answers what it holds before the server goes. */
	account_stop(w->account);
	w->account = NULL;
	api_stop(w->api);
}

void
web_free(struct web *w)
{
	if (w == NULL)
		return;
	api_free(w->api);
	log_tail_free(w->logs);
	limiter_free(w->limiter);
	auth_free(w->auth);
	vault_free(w->vault);
	store_close(w->store);
	for (size_t i = 0; i < TOKENS_KEPT; i++)
		free(w->tokens[i].token);
	pthread_mutex_destroy(&w->mu);
	said_sweep(w, 1);
	names_free(w->inst_names, w->n_inst_names);
	free(w->clients);
	free(w);
}
