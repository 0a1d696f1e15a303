/*
 * book.c -- the core thread's book of users' own channels (see
 * channel.h): read from the store, checked against the users' plans,
 * their secrets sealed and opened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <quantd/sdk.h>

#include "log/log.h"
#include "loop/loop.h"
#include "notify/channel.h"
#include "store/store.h"
#include "vault/vault.h"

/* What the book keeps of one channel of a user. */
struct uchan {
	char *target;
	char *ref;                 /* env:/file: reference, or NULL */
	struct vault_box box;      /* sealed secret (box.ct NULL: none) */
	int64_t updated_ms;
};

/* What the book keeps of one user. */
struct uentry {
	char *user;
	char plan[32];             /* "" when the store has no such user */
	unsigned allowed;          /* kinds the plan includes */
	unsigned set;              /* kinds the user set */
	int64_t read_ms;
	struct uchan ch[CHANNEL_KINDS];
};

struct channel_book {
	struct store *store;
	const struct vault *vault;
	struct uentry *u;
	size_t n, cap;
	char aad[160];
};

static int64_t
now_ms(void)
{
	return loop_now_ns() / 1000000;
}

static void
uentry_clear(struct uentry *e)
{
	int k;

	for (k = 0; k < CHANNEL_KINDS; k++) {
		free(e->ch[k].target);
		free(e->ch[k].ref);
		vault_box_free(&e->ch[k].box);
	}
	free(e->user);
	memset(e, 0, sizeof(*e));
}

struct channel_book *
channel_book_open(const char *url, const struct vault *v, char *err,
	size_t errlen)
{
	struct channel_book *b = calloc(1, sizeof(*b));

	if (b == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (store_open(url, STORE_ROLE_WRITER, &b->store, err, errlen) !=
	    QD_OK) {
		free(b);
		return NULL;
	}
	b->vault = v;
	return b;
}

void
channel_book_close(struct channel_book *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++)
		uentry_clear(&b->u[i]);
	free(b->u);
	store_close(b->store);
	free(b);
}

static int
user_plan(void *arg, const struct store_user *u)
{
	struct uentry *e = arg;

	snprintf(e->plan, sizeof(e->plan), "%s", u->plan);
	return 0;
}

static int
plan_kind(void *arg, const char *kind)
{
	struct uentry *e = arg;
	int k = channel_kind_parse(kind);

	if (k >= 0)
		e->allowed |= 1u << k;
	return 0;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL && *s ? strdup(s) : NULL;
}

static int
user_chan(void *arg, const struct store_user_channel *c)
{
	struct uentry *e = arg;
	int k = channel_kind_parse(c->kind);
	struct uchan *u;

	if (k < 0)
		return 0;
	u = &e->ch[k];
	u->target = strdup(c->target);
	u->ref = dup_or_null(c->secret_ref);
	u->updated_ms = c->updated_ms;
	if (c->sealed.ct != NULL && *c->sealed.ct) {
		snprintf(u->box.key_id, sizeof(u->box.key_id), "%s",
			c->sealed.key_id);
		snprintf(u->box.nonce, sizeof(u->box.nonce), "%s",
			c->sealed.nonce);
		u->box.ct = strdup(c->sealed.ct);
	}
	if (u->target == NULL || (*c->secret_ref && u->ref == NULL) ||
	    (*c->sealed.ct && u->box.ct == NULL))
		return QD_ERR_NOMEM;
	e->set |= 1u << k;
	return 0;
}

/* Read user into e (cleared first).  QD_OK or the store's error. */
static int
uentry_read(struct channel_book *b, struct uentry *e, const char *user)
{
	int rc;

	uentry_clear(e);
	if ((e->user = strdup(user)) == NULL)
		return QD_ERR_NOMEM;
	rc = store_user_get(b->store, user, 0, user_plan, e);
	if (rc == QD_ERR_NOTFOUND) {
		/* No such user: the operators' own alerts ("admin" on a
		 * daemon without users), which no plan limits. */
		e->plan[0] = '\0';
		e->allowed = (1u << CHANNEL_KINDS) - 1;
	} else if (rc != QD_OK ||
	    (rc = store_plan_channels(b->store, e->plan, plan_kind, e)) !=
	    QD_OK) {
		return rc;
	}
	if ((rc = store_user_channels(b->store, user, user_chan, e)) !=
	    QD_OK)
		return rc;
	e->read_ms = now_ms();
	return QD_OK;
}

/* The entry of user as kept (stale or not), or NULL. */
static struct uentry *
uentry_find(struct channel_book *b, const char *user)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->u[i].user, user) == 0)
			return &b->u[i];
	return NULL;
}

/* The entry of user, read when missing or stale; NULL with *rc. */
static struct uentry *
uentry_get(struct channel_book *b, const char *user, int *rc)
{
	int64_t now = now_ms();
	struct uentry *e = uentry_find(b, user);
	size_t i;

	if (e != NULL && now - e->read_ms < CHANNEL_BOOK_TTL_MS) {
		*rc = QD_OK;
		return e;
	}
	if (e == NULL) {
		/* reuse a stale entry before growing */
		for (i = 0; i < b->n && e == NULL; i++)
			if (now - b->u[i].read_ms >= CHANNEL_BOOK_TTL_MS)
				e = &b->u[i];
	}
	if (e == NULL) {
		if (b->n == b->cap) {
			size_t cap = b->cap ? b->cap * 2 : 16;
			struct uentry *u = realloc(b->u, cap * sizeof(*u));

			if (u == NULL) {
				*rc = QD_ERR_NOMEM;
				return NULL;
			}
			memset(u + b->cap, 0, (cap - b->cap) * sizeof(*u));
			b->u = u;
			b->cap = cap;
		}
		e = &b->u[b->n++];
	}
	if ((*rc = uentry_read(b, e, user)) != QD_OK) {
		log_warn("notify", "the channels of user %s cannot be read: %s",
			user, store_error(b->store));
		uentry_clear(e);
		e->user = strdup("");       /* matches no user; reused */
		return NULL;
	}
	return e;
}

/* Forget user (read again at the next use). */
static void
uentry_forget(struct channel_book *b, const char *user)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->u[i].user != NULL && strcmp(b->u[i].user, user) == 0)
			b->u[i].read_ms = 0;
}

static const char *
plan_words(const struct uentry *e)
{
	return e->plan[0] ? e->plan : "(no plan)";
}

int
channel_book_set(struct channel_book *b, const char *user,
	const struct channel_settings *s, int64_t now, char *why, size_t cap)
{
	struct store_user_channel c;
	struct vault_box box;
	struct uentry *e;
	int rc;

	memset(&box, 0, sizeof(box));
	uentry_forget(b, user);
	if ((e = uentry_get(b, user, &rc)) == NULL) {
		snprintf(why, cap, "the store cannot be read");
		return QD_ERR_IO;
	}
	if (!(e->allowed & (1u << s->kind))) {
		snprintf(why, cap, "the %s plan does not include %s channels "
			"(they come with: enterprise)", plan_words(e),
			channel_kind_name(s->kind));
		return QD_ERR_DENIED;
	}
	memset(&c, 0, sizeof(c));
	c.user = user;
	c.kind = channel_kind_name(s->kind);
	c.target = s->target;
	c.secret_ref = s->secret_ref;
	c.sealed.key_id = c.sealed.nonce = c.sealed.ct = "";
	c.created_ms = c.updated_ms = now;
	if (s->secret != NULL) {
		char aad[160];
		char row[140];

		if (b->vault == NULL || vault_current(b->vault) == NULL) {
			snprintf(why, cap, "no master key is loaded "
				"(api.master_keys): a secret cannot be sealed");
			return QD_ERR_STATE;
		}
		snprintf(row, sizeof(row), "%.96s:%s", user, c.kind);
		if (vault_aad(STORE_SEALED_CHANNEL, row, aad, sizeof(aad)) ==
		    NULL || (rc = vault_seal(b->vault, aad, s->secret,
		    strlen(s->secret), &box)) != QD_OK) {
			snprintf(why, cap, "the secret cannot be sealed");
			return QD_ERR_INVALID;
		}
		c.sealed = vault_box_sealed(&box);
	}
	rc = store_user_channel_put(b->store, &c);
	vault_box_free(&box);
	uentry_forget(b, user);
	if (rc != QD_OK) {
		snprintf(why, cap, "the store: %s", store_error(b->store));
		return QD_ERR_IO;
	}
	log_info("notify", "user %s set a %s channel%s", user, c.kind,
		s->secret ? " (secret sealed)" : s->secret_ref[0] ?
		" (secret by reference)" : "");
	return QD_OK;
}

int
channel_book_delete(struct channel_book *b, const char *user,
	enum channel_kind k)
{
	int rc;

	if ((unsigned)k >= CHANNEL_KINDS)
		return QD_ERR_INVALID;
	rc = store_user_channel_delete(b->store, user, channel_kind_name(k));
	uentry_forget(b, user);
	if (rc == QD_OK)
		log_info("notify", "user %s removed their %s channel", user,
			channel_kind_name(k));
	return rc;
}

cJSON *
channel_book_json(struct channel_book *b, const char *user, int kind)
{
	struct uentry *e;
	cJSON *o, *arr, *pc;
	int rc, k;

	uentry_forget(b, user);
	if ((e = uentry_get(b, user, &rc)) == NULL ||
	    (o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (e->plan[0])
		cJSON_AddStringToObject(o, "plan", e->plan);
	else
		cJSON_AddNullToObject(o, "plan");
	pc = cJSON_AddArrayToObject(o, "plan_channels");
	arr = cJSON_AddArrayToObject(o, "channels");
	for (k = 0; k < CHANNEL_KINDS; k++) {
		const struct uchan *u = &e->ch[k];
		cJSON *c;

		if (e->allowed & (1u << k))
			cJSON_AddItemToArray(pc,
				cJSON_CreateString(channel_kind_name(k)));
		if (!(e->set & (1u << k)) || (kind >= 0 && kind != k))
			continue;
		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "kind", channel_kind_name(k));
		if (channel_target_key(k) != NULL)
			cJSON_AddStringToObject(c, channel_target_key(k), u->target);
		if (channel_secret_name(k) != NULL && (u->ref || u->box.ct)) {
			cJSON_AddStringToObject(c, channel_secret_name(k), "set");
			cJSON_AddStringToObject(c, "secret_from", u->box.ct ?
				"store" : strncmp(u->ref, "env:", 4) == 0 ?
				"env" : "file");
		}
		cJSON_AddBoolToObject(c, "allowed",
			(e->allowed & (1u << k)) != 0);
		cJSON_AddNumberToObject(c, "updated", (double)u->updated_ms);
		cJSON_AddItemToArray(arr, c);
	}
	return o;
}

int
channel_book_resolve(struct channel_book *b, const char *user,
	enum channel_kind k, struct channel_resolved *out, char *why,
	size_t cap)
{
	struct uentry *e;
	int rc;

	if ((unsigned)k >= CHANNEL_KINDS)
		return QD_ERR_INVALID;
	if ((e = uentry_get(b, user, &rc)) == NULL) {
		snprintf(why, cap, "the user's channels cannot be read from "
			"the store");
		return QD_ERR_IO;
	}
	if (!(e->set & (1u << k))) {
		snprintf(why, cap, "user %s has no %s channel set", user,
			channel_kind_name(k));
		return QD_ERR_NOTFOUND;
	}
	if (!(e->allowed & (1u << k))) {
		snprintf(why, cap, "the %s plan does not include %s channels",
			plan_words(e), channel_kind_name(k));
		return QD_ERR_DENIED;
	}
	out->kind = k;
	out->target = e->ch[k].target ? e->ch[k].target : "";
	return QD_OK;
}

unsigned
channel_book_kinds(struct channel_book *b, const char *user)
{
	struct uentry *e;
	int rc;

	e = uentry_get(b, user, &rc);
	return e != NULL ? e->set : 0;
}

int
channel_book_secret(struct channel_book *b, const char *user,
	enum channel_kind k, const char *name, char *buf, size_t cap,
	size_t *len)
{
	const struct uchan *u;
	struct uentry *e;
	struct store_sealed sv;
	char row[140];
	const char *why = NULL;
	int rc;

	if ((unsigned)k >= CHANNEL_KINDS || channel_secret_name(k) == NULL ||
	    name == NULL || strcmp(name, channel_secret_name(k)) != 0)
		return QD_ERR_NOTFOUND;
	/* As kept, not read again merely for being old: the target that
	 * channel_book_resolve() handed out for this send stays valid while
	 * the plugin signs.  (Forgotten after a change: read now.) */
	if (((e = uentry_find(b, user)) == NULL || e->read_ms == 0) &&
	    (e = uentry_get(b, user, &rc)) == NULL)
		return QD_ERR_NOTFOUND;
	if (!(e->set & (1u << k)))
		return QD_ERR_NOTFOUND;
	u = &e->ch[k];
	if (u->ref != NULL) {
		if (vault_ref_read(u->ref, buf, cap, &why) == QD_OK) {
			*len = strlen(buf);
			return QD_OK;
		}
		log_warn("notify", "the %s secret of user %s: its reference: "
			"%s", channel_kind_name(k), user, why ? why : "unreadable");
		return QD_ERR_NOTFOUND;
	}
	if (u->box.ct == NULL)
		return QD_ERR_NOTFOUND;
	if (b->vault == NULL)
		return QD_ERR_DENIED;
	snprintf(row, sizeof(row), "%.96s:%s", user, channel_kind_name(k));
	if (vault_aad(STORE_SEALED_CHANNEL, row, b->aad, sizeof(b->aad)) ==
	    NULL)
		return QD_ERR_INVALID;
	sv = vault_box_sealed(&u->box);
	rc = vault_unseal(b->vault, b->aad, &sv, buf, cap, len);
	if (rc == QD_OK && *len < cap) {
		buf[*len] = '\0';
	} else if (rc == QD_OK) {
		OPENSSL_cleanse(buf, cap);
		rc = QD_ERR_LIMIT;
	}
	if (rc != QD_OK && rc != QD_ERR_LIMIT)
		log_warn("notify", "the %s secret of user %s does not open "
			"(%s): sealed under master key \"%s\"", channel_kind_name(k),
			user, qd_strerror(rc), u->box.key_id);
	return rc;
}
