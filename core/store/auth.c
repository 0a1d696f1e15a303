/*
 * auth.c -- the auth tables of migration 0004 (store.h, "auth"), written
 * once over the backends' query operation: the SQL is the same on SQLite
 * and PostgreSQL ($1 .. $n parameters, INSERT ... RETURNING, ON CONFLICT).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <quantd/sdk.h>

#include "store/backend.h"

/* A read's callback and argument, and whether a row came. */
struct arow {
	union {
		int (*plan)(void *, const struct store_plan *);
		int (*user)(void *, const struct store_user *);
		int (*refresh)(void *, const struct store_refresh *);
		int (*key)(void *, const struct store_api_key *);
		int (*totp)(void *, const struct store_totp *);
		int (*audit)(void *, const struct store_audit *);
		int (*cred)(void *, const struct store_credential *);
		int (*sealed)(void *, enum store_sealed_kind, const char *,
			const struct store_sealed *);
		int (*channel)(void *, const struct store_user_channel *);
		int (*kind)(void *, const char *);
	} fn;
	void *arg;
	int rows;
	enum store_sealed_kind kind;
};

/* Decimal text of an int64 in b (24 bytes). */
static const char *
i64(char *b, int64_t v)
{
	snprintf(b, 24, "%" PRId64, v);
	return b;
}

static int64_t
num(const char *t)
{
	return t ? strtoll(t, NULL, 10) : 0;
}

static const char *
str(const char *t)
{
	return t ? t : "";
}

static int
query(struct store *s, const char *sql, int n, const char *const *v,
	int (*row)(void *, int, const char *const *), void *ctx,
	const char *what, long long *changed)
{
	return s->ops->query(s, sql, n, v, row, ctx, what, changed);
}

/* A read of rows into callbacks; NOTFOUND for a lookup without a row. */
static int
read_rows(struct store *s, const char *sql, int n, const char *const *v,
	int (*row)(void *, int, const char *const *), struct arow *a,
	const char *what, int lookup)
{
	int rc = query(s, sql, n, v, row, a, what, NULL);

	if (rc == QD_OK && lookup && a->rows == 0)
		return store_fail(s, QD_ERR_NOTFOUND, "%s: not found", what);
	return rc;
}

/* A write that must change a row. */
static int
write_one(struct store *s, const char *sql, int n, const char *const *v,
	const char *what)
{
	long long ch = 0;
	int rc = query(s, sql, n, v, NULL, NULL, what, &ch);

	if (rc == QD_OK && ch == 0)
		return store_fail(s, QD_ERR_NOTFOUND, "%s: not found", what);
	return rc;
}

static int
need(struct store *s, const char *t, const char *what)
{
	if (t == NULL || *t == '\0')
		return store_fail(s, QD_ERR_INVALID, "%s is empty", what);
	return QD_OK;
}

/* ---- plans ---------------------------------------------------------------- */

#define PLAN_COLS "name, symbols, strategies, push_delay_ms, api_per_min, " \
	"webhooks"

static int
plan_row(void *ctx, int nc, const char *const *c)
{
	struct arow *a = ctx;
	struct store_plan p;

	(void)nc;
	a->rows++;
	p.name = str(c[0]);
	p.symbols = num(c[1]);
	p.strategies = str(c[2]);
	p.push_delay_ms = num(c[3]);
	p.api_per_min = num(c[4]);
	p.webhooks = num(c[5]) != 0;
	return a->fn.plan(a->arg, &p);
}

int
store_plans(struct store *s,
	int (*fn)(void *arg, const struct store_plan *p), void *arg)
{
	struct arow a = { .fn.plan = fn, .arg = arg };

	return read_rows(s, "SELECT " PLAN_COLS " FROM plans ORDER BY "
		"api_per_min, name", 0, NULL, plan_row, &a, "reading plans", 0);
}

int
store_plan_get(struct store *s, const char *name,
	int (*fn)(void *arg, const struct store_plan *p), void *arg)
{
	struct arow a = { .fn.plan = fn, .arg = arg };
	const char *v[] = { name };

	if (need(s, name, "plan name") != QD_OK)
		return QD_ERR_INVALID;
	return read_rows(s, "SELECT " PLAN_COLS " FROM plans WHERE name = $1",
		1, v, plan_row, &a, "reading a plan", 1);
}

/* ---- users ---------------------------------------------------------------- */

#define USER_COLS "id, name, pass_hash, role, plan, disabled, created_ms, " \
	"updated_ms"

static int
role_ok(const char *r)
{
	return r != NULL && (strcmp(r, "admin") == 0 ||
	    strcmp(r, "trader") == 0 || strcmp(r, "viewer") == 0);
}

static int
plan_exists(void *arg, const struct store_plan *p)
{
	(void)p;
	*(int *)arg = 1;
	return 1;
}

/* Role known and plan stored, else QD_ERR_INVALID naming it. */
static int
check_role_plan(struct store *s, const struct store_user *u)
{
	int found = 0, rc;

	if (!role_ok(u->role))
		return store_fail(s, QD_ERR_INVALID, "unknown role \"%s\" "
			"(admin, trader or viewer)", str(u->role));
	if (need(s, u->pass_hash, "password hash") != QD_OK)
		return QD_ERR_INVALID;
	rc = store_plan_get(s, u->plan, plan_exists, &found);
	if (rc == QD_ERR_NOTFOUND || rc == QD_ERR_INVALID)
		return store_fail(s, QD_ERR_INVALID, "unknown plan \"%s\"",
			str(u->plan));
	return rc;
}

static int
id_row(void *ctx, int nc, const char *const *c)
{
	(void)nc;
	*(int64_t *)ctx = num(c[0]);
	return 0;
}

int
store_user_add(struct store *s, const struct store_user *u, int64_t *id)
{
	char b[3][24];
	const char *v[7];
	int rc;

	*id = 0;
	if (need(s, u->name, "user name") != QD_OK)
		return QD_ERR_INVALID;
	if ((rc = check_role_plan(s, u)) != QD_OK)
		return rc;
	v[0] = u->name;
	v[1] = u->pass_hash;
	v[2] = u->role;
	v[3] = u->plan;
	v[4] = u->disabled ? "1" : "0";
	v[5] = i64(b[0], u->created_ms);
	v[6] = i64(b[1], u->updated_ms);
	return query(s, "INSERT INTO users (name, pass_hash, role, plan, "
		"disabled, created_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, "
		"$6, $7) RETURNING id", 7, v, id_row, id, "adding a user",
		NULL);
}

int
store_user_update(struct store *s, const struct store_user *u)
{
	char b[2][24];
	const char *v[6];
	int rc;

	if ((rc = check_role_plan(s, u)) != QD_OK)
		return rc;
	v[0] = i64(b[0], u->id);
	v[1] = u->pass_hash;
	v[2] = u->role;
	v[3] = u->plan;
	v[4] = u->disabled ? "1" : "0";
	v[5] = i64(b[1], u->updated_ms);
	return write_one(s, "UPDATE users SET pass_hash = $2, role = $3, "
		"plan = $4, disabled = $5, updated_ms = $6 WHERE id = $1", 6, v,
		"updating a user");
}

static int
user_row(void *ctx, int nc, const char *const *c)
{
	struct arow *a = ctx;
	struct store_user u;

	(void)nc;
	a->rows++;
	u.id = num(c[0]);
	u.name = str(c[1]);
	u.pass_hash = str(c[2]);
	u.role = str(c[3]);
	u.plan = str(c[4]);
	u.disabled = num(c[5]) != 0;
	u.created_ms = num(c[6]);
	u.updated_ms = num(c[7]);
	return a->fn.user(a->arg, &u);
}

int
store_user_get(struct store *s, const char *name, int64_t id,
	int (*fn)(void *arg, const struct store_user *u), void *arg)
{
	struct arow a = { .fn.user = fn, .arg = arg };
	char b[24];
	const char *v[1];

	if (name != NULL) {
		v[0] = name;
		return read_rows(s, "SELECT " USER_COLS " FROM users WHERE "
			"name = $1", 1, v, user_row, &a, "reading a user", 1);
	}
	v[0] = i64(b, id);
	return read_rows(s, "SELECT " USER_COLS " FROM users WHERE id = $1",
		1, v, user_row, &a, "reading a user", 1);
}

int
store_users(struct store *s,
	int (*fn)(void *arg, const struct store_user *u), void *arg)
{
	struct arow a = { .fn.user = fn, .arg = arg };

	return read_rows(s, "SELECT " USER_COLS " FROM users ORDER BY id", 0,
		NULL, user_row, &a, "reading users", 0);
}

/* ---- refresh tokens ------------------------------------------------------- */

#define REFRESH_COLS "hash, family, user_id, created_ms, expires_ms, " \
	"used_ms, revoked"

int
store_refresh_put(struct store *s, const struct store_refresh *r)
{
	char b[4][24];
	const char *v[6];

	if (need(s, r->hash, "token hash") != QD_OK ||
	    need(s, r->family, "token family") != QD_OK)
		return QD_ERR_INVALID;
	v[0] = r->hash;
	v[1] = r->family;
	v[2] = i64(b[0], r->user_id);
	v[3] = i64(b[1], r->created_ms);
	v[4] = i64(b[2], r->expires_ms);
	v[5] = r->revoked ? "1" : "0";
	return query(s, "INSERT INTO refresh_tokens (hash, family, user_id, "
		"created_ms, expires_ms, revoked) VALUES ($1, $2, $3, $4, $5, "
		"$6)", 6, v, NULL, NULL, "storing a refresh token", NULL);
}

static int
refresh_row(void *ctx, int nc, const char *const *c)
{
	struct arow *a = ctx;
	struct store_refresh r;

	(void)nc;
	a->rows++;
	r.hash = str(c[0]);
	r.family = str(c[1]);
	r.user_id = num(c[2]);
	r.created_ms = num(c[3]);
	r.expires_ms = num(c[4]);
	r.used_ms = num(c[5]);
	r.revoked = num(c[6]) != 0;
	return a->fn.refresh(a->arg, &r);
}

int
store_refresh_get(struct store *s, const char *hash,
	int (*fn)(void *arg, const struct store_refresh *r), void *arg)
{
	struct arow a = { .fn.refresh = fn, .arg = arg };
	const char *v[] = { hash };

	return read_rows(s, "SELECT " REFRESH_COLS " FROM refresh_tokens "
		"WHERE hash = $1", 1, v, refresh_row, &a,
		"reading a refresh token", 1);
}

int
store_refresh_use(struct store *s, const char *hash, int64_t now_ms)
{
	char b[24];
	const char *v[] = { hash, i64(b, now_ms) };
	long long ch = 0;
	int rc;

	rc = query(s, "UPDATE refresh_tokens SET used_ms = $2 WHERE hash = $1 "
		"AND used_ms = 0 AND revoked = 0", 2, v, NULL, NULL,
		"using a refresh token", &ch);
	if (rc == QD_OK && ch != 1)
		return store_fail(s, QD_ERR_STATE, "refresh token already "
			"used or revoked");
	return rc;
}

int
store_refresh_revoke(struct store *s, const char *family, int64_t user_id,
	long long *n)
{
	char b[24];
	const char *v[1];
	long long ch = 0;
	int rc;

	if (family != NULL) {
		v[0] = family;
		rc = query(s, "UPDATE refresh_tokens SET revoked = 1 WHERE "
			"family = $1 AND revoked = 0", 1, v, NULL, NULL,
			"revoking a token family", &ch);
	} else {
		v[0] = i64(b, user_id);
		rc = query(s, "UPDATE refresh_tokens SET revoked = 1 WHERE "
			"user_id = $1 AND revoked = 0", 1, v, NULL, NULL,
			"revoking a user's tokens", &ch);
	}
	if (n != NULL)
		*n = ch;
	return rc;
}

/* ---- API keys --------------------------------------------------------- */

#define KEY_COLS "id, user_id, label, scopes, key_id, nonce, ct, " \
	"created_ms, revoked_ms"

static int
sealed_ok(struct store *s, const struct store_sealed *v)
{
	if (need(s, v->key_id, "sealed key id") != QD_OK ||
	    need(s, v->nonce, "sealed nonce") != QD_OK ||
	    need(s, v->ct, "sealed ciphertext") != QD_OK)
		return QD_ERR_INVALID;
	return QD_OK;
}

int
store_api_key_put(struct store *s, const struct store_api_key *k)
{
	char b[3][24];
	const char *v[9];

	if (need(s, k->id, "API key id") != QD_OK ||
	    need(s, k->scopes, "API key scopes") != QD_OK ||
	    sealed_ok(s, &k->secret) != QD_OK)
		return QD_ERR_INVALID;
	v[0] = k->id;
	v[1] = i64(b[0], k->user_id);
	v[2] = str(k->label);
	v[3] = k->scopes;
	v[4] = k->secret.key_id;
	v[5] = k->secret.nonce;
	v[6] = k->secret.ct;
	v[7] = i64(b[1], k->created_ms);
	v[8] = i64(b[2], k->revoked_ms);
	return query(s, "INSERT INTO api_keys (" KEY_COLS ") VALUES ($1, $2, "
		"$3, $4, $5, $6, $7, $8, $9)", 9, v, NULL, NULL,
		"storing an API key", NULL);
}

static int
key_row(void *ctx, int nc, const char *const *c)
{
	struct arow *a = ctx;
	struct store_api_key k;

	(void)nc;
	a->rows++;
	k.id = str(c[0]);
	k.user_id = num(c[1]);
	k.label = str(c[2]);
	k.scopes = str(c[3]);
	k.secret.key_id = str(c[4]);
	k.secret.nonce = str(c[5]);
	k.secret.ct = str(c[6]);
	k.created_ms = num(c[7]);
	k.revoked_ms = num(c[8]);
	return a->fn.key(a->arg, &k);
}

int
store_api_key_get(struct store *s, const char *id,
	int (*fn)(void *arg, const struct store_api_key *k), void *arg)
{
	struct arow a = { .fn.key = fn, .arg = arg };
	const char *v[] = { id };

	return read_rows(s, "SELECT " KEY_COLS " FROM api_keys WHERE id = $1",
		1, v, key_row, &a, "reading an API key", 1);
}

int
store_api_keys(struct store *s, int64_t user_id,
	int (*fn)(void *arg, const struct store_api_key *k), void *arg)
{
	struct arow a = { .fn.key = fn, .arg = arg };
	char b[24];
	const char *v[] = { i64(b, user_id) };

	if (user_id == 0)
		return read_rows(s, "SELECT " KEY_COLS " FROM api_keys ORDER BY "
			"id", 0, NULL, key_row, &a, "reading API keys", 0);
	return read_rows(s, "SELECT " KEY_COLS " FROM api_keys WHERE "
		"user_id = $1 ORDER BY id", 1, v, key_row, &a,
		"reading API keys", 0);
}

int
store_api_key_revoke(struct store *s, const char *id, int64_t now_ms)
{
	char b[24];
	const char *v[] = { id, i64(b, now_ms) };

	return write_one(s, "UPDATE api_keys SET revoked_ms = $2 WHERE "
		"id = $1 AND revoked_ms = 0", 2, v, "revoking an API key");
}

/* ---- TOTP and recovery codes ------------------------------------------- */

int
store_totp_put(struct store *s, const struct store_totp *t)
{
	char b[3][24];
	const char *v[7];

	if (sealed_ok(s, &t->secret) != QD_OK)
		return QD_ERR_INVALID;
	v[0] = i64(b[0], t->user_id);
	v[1] = t->secret.key_id;
	v[2] = t->secret.nonce;
	v[3] = t->secret.ct;
	v[4] = t->confirmed ? "1" : "0";
	v[5] = i64(b[1], t->last_step);
	v[6] = i64(b[2], t->created_ms);
	return query(s, "INSERT INTO totp (user_id, key_id, nonce, ct, "
		"confirmed, last_step, created_ms) VALUES ($1, $2, $3, $4, $5, "
		"$6, $7) ON CONFLICT (user_id) DO UPDATE SET key_id = "
		"excluded.key_id, nonce = excluded.nonce, ct = excluded.ct, "
		"confirmed = excluded.confirmed, last_step = "
		"excluded.last_step, created_ms = excluded.created_ms", 7, v,
		NULL, NULL, "storing a TOTP secret", NULL);
}

static int
totp_row(void *ctx, int nc, const char *const *c)
{
	struct arow *a = ctx;
	struct store_totp t;

	(void)nc;
	a->rows++;
	t.user_id = num(c[0]);
	t.secret.key_id = str(c[1]);
	t.secret.nonce = str(c[2]);
	t.secret.ct = str(c[3]);
	t.confirmed = num(c[4]) != 0;
	t.last_step = num(c[5]);
	t.created_ms = num(c[6]);
	return a->fn.totp(a->arg, &t);
}

int
store_totp_get(struct store *s, int64_t user_id,
	int (*fn)(void *arg, const struct store_totp *t), void *arg)
{
	struct arow a = { .fn.totp = fn, .arg = arg };
	char b[24];
	const char *v[] = { i64(b, user_id) };

	return read_rows(s, "SELECT user_id, key_id, nonce, ct, confirmed, "
		"last_step, created_ms FROM totp WHERE user_id = $1", 1, v,
		totp_row, &a, "reading a TOTP secret", 1);
}

int
store_totp_confirm(struct store *s, int64_t user_id)
{
	char b[24];
	const char *v[] = { i64(b, user_id) };

	return write_one(s, "UPDATE totp SET confirmed = 1 WHERE user_id = $1",
		1, v, "confirming TOTP");
}

int
store_totp_step(struct store *s, int64_t user_id, int64_t step)
{
	char b[2][24];
	const char *v[] = { i64(b[0], user_id), i64(b[1], step) };
	long long ch = 0;
	int rc;

	rc = query(s, "UPDATE totp SET last_step = $2 WHERE user_id = $1 AND "
		"last_step < $2", 2, v, NULL, NULL, "recording a TOTP step",
		&ch);
	if (rc == QD_OK && ch != 1)
		return store_fail(s, QD_ERR_STATE, "TOTP code already used");
	return rc;
}

int
store_totp_delete(struct store *s, int64_t user_id)
{
	char b[24];
	const char *v[] = { i64(b, user_id) };
	int rc;

	rc = query(s, "DELETE FROM recovery_codes WHERE user_id = $1", 1, v,
		NULL, NULL, "deleting recovery codes", NULL);
	if (rc != QD_OK)
		return rc;
	return query(s, "DELETE FROM totp WHERE user_id = $1", 1, v, NULL,
		NULL, "deleting a TOTP secret", NULL);
}

int
store_recovery_set(struct store *s, int64_t user_id,
	const char *const *hashes, size_t n)
{
	char b[24];
	const char *v[2] = { i64(b, user_id), NULL };
	int rc, own = !s->in_tx;
	size_t i;

	if (own && (rc = store_begin(s)) != QD_OK)
		return rc;
	rc = query(s, "DELETE FROM recovery_codes WHERE user_id = $1", 1, v,
		NULL, NULL, "replacing recovery codes", NULL);
	for (i = 0; i < n && rc == QD_OK; i++) {
		v[1] = hashes[i];
		rc = need(s, v[1], "recovery code hash");
		if (rc == QD_OK)
			rc = query(s, "INSERT INTO recovery_codes (user_id, "
				"hash) VALUES ($1, $2)", 2, v, NULL, NULL,
				"storing a recovery code", NULL);
	}
	if (own)
		rc = rc == QD_OK ? store_commit(s) : (store_rollback(s), rc);
	return rc;
}

static int
count_row(void *ctx, int nc, const char *const *c)
{
	(void)nc;
	*(long long *)ctx = num(c[0]);
	return 0;
}

int
store_recovery_use(struct store *s, int64_t user_id, const char *hash,
	int64_t now_ms, long long *left)
{
	char b[2][24];
	const char *v[] = { i64(b[0], user_id), hash, i64(b[1], now_ms) };
	int rc;

	rc = write_one(s, "UPDATE recovery_codes SET used_ms = $3 WHERE "
		"user_id = $1 AND hash = $2 AND used_ms = 0", 3, v,
		"using a recovery code");
	if (rc == QD_OK && left != NULL)
		rc = query(s, "SELECT count(*) FROM recovery_codes WHERE "
			"user_id = $1 AND used_ms = 0", 1, v, count_row, left,
			"counting recovery codes", NULL);
	return rc;
}

/* ---- audit log ------------------------------------------------------------ */

int
store_audit_put(struct store *s, const struct store_audit *a)
{
	char b[24];
	const char *v[7];

	if (need(s, a->actor, "audit actor") != QD_OK ||
	    need(s, a->action, "audit action") != QD_OK)
		return QD_ERR_INVALID;
	v[0] = i64(b, a->ts_ms);
	v[1] = a->actor;
	v[2] = a->action;
	v[3] = str(a->target);
	v[4] = str(a->ip);
	v[5] = a->ok ? "1" : "0";
	v[6] = str(a->detail);
	return query(s, "INSERT INTO audit_log (ts_ms, actor, action, target, "
		"ip, ok, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)", 7, v,
		NULL, NULL, "writing the audit log", NULL);
}

static int
audit_row(void *ctx, int nc, const char *const *c)
{
	struct arow *a = ctx;
	struct store_audit r;

	(void)nc;
	a->rows++;
	r.id = num(c[0]);
	r.ts_ms = num(c[1]);
	r.actor = str(c[2]);
	r.action = str(c[3]);
	r.target = str(c[4]);
	r.ip = str(c[5]);
	r.ok = num(c[6]) != 0;
	r.detail = str(c[7]);
	return a->fn.audit(a->arg, &r);
}

int
store_audit(struct store *s, int64_t after_id, size_t limit,
	int (*fn)(void *arg, const struct store_audit *a), void *arg)
{
	struct arow a = { .fn.audit = fn, .arg = arg };
	char b[2][24];
	const char *v[] = { i64(b[0], after_id),
		i64(b[1], limit == 0 || limit > INT64_MAX ? INT64_MAX :
		(int64_t)limit) };

	return read_rows(s, "SELECT id, ts_ms, actor, action, target, ip, ok, "
		"detail FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2", 2,
		v, audit_row, &a, "reading the audit log", 0);
}

/* ---- credentials and sealed values ------------------------------------- */

int
store_credential_put(struct store *s, const struct store_credential *c)
{
	char b[24];
	const char *v[5];

	if (need(s, c->name, "credential name") != QD_OK ||
	    sealed_ok(s, &c->sealed) != QD_OK)
		return QD_ERR_INVALID;
	v[0] = c->name;
	v[1] = c->sealed.key_id;
	v[2] = c->sealed.nonce;
	v[3] = c->sealed.ct;
	v[4] = i64(b, c->updated_ms);
	return query(s, "INSERT INTO credentials (name, key_id, nonce, ct, "
		"updated_ms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO "
		"UPDATE SET key_id = excluded.key_id, nonce = excluded.nonce, "
		"ct = excluded.ct, updated_ms = excluded.updated_ms", 5, v,
		NULL, NULL, "storing a credential", NULL);
}

static int
cred_row(void *ctx, int nc, const char *const *c)
{
	struct arow *a = ctx;
	struct store_credential r;

	(void)nc;
	a->rows++;
	r.name = str(c[0]);
	r.sealed.key_id = str(c[1]);
	r.sealed.nonce = str(c[2]);
	r.sealed.ct = str(c[3]);
	r.updated_ms = num(c[4]);
	return a->fn.cred(a->arg, &r);
}

int
store_credential_get(struct store *s, const char *name,
	int (*fn)(void *arg, const struct store_credential *c), void *arg)
{
	struct arow a = { .fn.cred = fn, .arg = arg };
	const char *v[] = { name };

	return read_rows(s, "SELECT name, key_id, nonce, ct, updated_ms FROM "
		"credentials WHERE name = $1", 1, v, cred_row, &a,
		"reading a credential", 1);
}

int
store_credentials(struct store *s,
	int (*fn)(void *arg, const struct store_credential *c), void *arg)
{
	struct arow a = { .fn.cred = fn, .arg = arg };

	return read_rows(s, "SELECT name, key_id, nonce, ct, updated_ms FROM "
		"credentials ORDER BY name", 0, NULL, cred_row, &a,
		"reading credentials", 0);
}

int
store_credential_delete(struct store *s, const char *name)
{
	const char *v[] = { name };

	return write_one(s, "DELETE FROM credentials WHERE name = $1", 1, v,
		"deleting a credential");
}

/* ---- user channels (migration 0008) --------------------------------------- */

#define CHANNEL_COLS "user_name, kind, target, secret_ref, key_id, nonce, " \
	"ct, created_ms, updated_ms"

static int
channel_kind_ok(const char *k)
{
	return k != NULL && (strcmp(k, "email") == 0 ||
	    strcmp(k, "telegram") == 0 || strcmp(k, "discord") == 0 ||
	    strcmp(k, "webhook") == 0);
}

int
store_user_channel_put(struct store *s, const struct store_user_channel *c)
{
	char b[2][24];
	const char *v[9];

	if (need(s, c->user, "channel user") != QD_OK)
		return QD_ERR_INVALID;
	if (!channel_kind_ok(c->kind))
		return store_fail(s, QD_ERR_INVALID, "channel kind: expected "
			"email, telegram, discord or webhook");
	v[0] = c->user;
	v[1] = c->kind;
	v[2] = str(c->target);
	v[3] = str(c->secret_ref);
	v[4] = str(c->sealed.key_id);
	v[5] = str(c->sealed.nonce);
	v[6] = str(c->sealed.ct);
	v[7] = i64(b[0], c->created_ms);
	v[8] = i64(b[1], c->updated_ms);
	return query(s, "INSERT INTO user_channels (" CHANNEL_COLS ") VALUES "
		"($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (user_name, "
		"kind) DO UPDATE SET target = excluded.target, secret_ref = "
		"excluded.secret_ref, key_id = excluded.key_id, nonce = "
		"excluded.nonce, ct = excluded.ct, updated_ms = "
		"excluded.updated_ms", 9, v, NULL, NULL,
		"storing a user channel", NULL);
}

static int
channel_row(void *ctx, int nc, const char *const *c)
{
	struct arow *a = ctx;
	struct store_user_channel r;

	(void)nc;
	a->rows++;
	r.user = str(c[0]);
	r.kind = str(c[1]);
	r.target = str(c[2]);
	r.secret_ref = str(c[3]);
	r.sealed.key_id = str(c[4]);
	r.sealed.nonce = str(c[5]);
	r.sealed.ct = str(c[6]);
	r.created_ms = num(c[7]);
	r.updated_ms = num(c[8]);
	return a->fn.channel(a->arg, &r);
}

int
store_user_channels(struct store *s, const char *user,
	int (*fn)(void *arg, const struct store_user_channel *c), void *arg)
{
	struct arow a = { .fn.channel = fn, .arg = arg };
	const char *v[] = { user };

	if (user == NULL)
		return read_rows(s, "SELECT " CHANNEL_COLS " FROM "
			"user_channels ORDER BY user_name, kind", 0, NULL,
			channel_row, &a, "reading user channels", 0);
	return read_rows(s, "SELECT " CHANNEL_COLS " FROM user_channels WHERE "
		"user_name = $1 ORDER BY kind", 1, v, channel_row, &a,
		"reading user channels", 0);
}

int
store_user_channel_delete(struct store *s, const char *user,
	const char *kind)
{
	const char *v[] = { user, kind };

	return write_one(s, "DELETE FROM user_channels WHERE user_name = $1 "
		"AND kind = $2", 2, v, "deleting a user channel");
}

static int
kind_row(void *ctx, int nc, const char *const *c)
{
	struct arow *a = ctx;

	(void)nc;
	a->rows++;
	return a->fn.kind(a->arg, str(c[0]));
}

int
store_plan_channels(struct store *s, const char *plan,
	int (*fn)(void *arg, const char *kind), void *arg)
{
	struct arow a = { .fn.kind = fn, .arg = arg };
	const char *v[] = { plan };

	if (need(s, plan, "plan name") != QD_OK)
		return QD_ERR_INVALID;
	return read_rows(s, "SELECT kind FROM plan_channels WHERE plan = $1 "
		"ORDER BY kind", 1, v, kind_row, &a, "reading plan channels",
		0);
}

/* The table and row key of each sealed kind, in enum order. */
static const struct {
	const char *select;
	const char *update;
} sealed_sql[] = {
	[STORE_SEALED_CREDENTIAL] = {
		"SELECT name, key_id, nonce, ct FROM credentials ORDER BY name",
		"UPDATE credentials SET key_id = $2, nonce = $3, ct = $4 "
		"WHERE name = $1" },
	[STORE_SEALED_API_KEY] = {
		"SELECT id, key_id, nonce, ct FROM api_keys ORDER BY id",
		"UPDATE api_keys SET key_id = $2, nonce = $3, ct = $4 "
		"WHERE id = $1" },
	[STORE_SEALED_TOTP] = {
		"SELECT user_id, key_id, nonce, ct FROM totp ORDER BY user_id",
		"UPDATE totp SET key_id = $2, nonce = $3, ct = $4 "
		"WHERE user_id = $1" },
	/* a channel's row id is "USER:KIND" (a kind has no ':') */
	[STORE_SEALED_CHANNEL] = {
		"SELECT user_name || ':' || kind, key_id, nonce, ct FROM "
		"user_channels WHERE ct <> '' ORDER BY user_name, kind",
		"UPDATE user_channels SET key_id = $2, nonce = $3, ct = $4 "
		"WHERE user_name || ':' || kind = $1" },
};

static int
sealed_row(void *ctx, int nc, const char *const *c)
{
	struct arow *a = ctx;
	struct store_sealed v = { str(c[1]), str(c[2]), str(c[3]) };

	(void)nc;
	a->rows++;
	return a->fn.sealed(a->arg, a->kind, str(c[0]), &v);
}

int
store_sealed_each(struct store *s,
	int (*fn)(void *arg, enum store_sealed_kind kind, const char *row_id,
	const struct store_sealed *v), void *arg)
{
	struct arow a = { .fn.sealed = fn, .arg = arg };
	int k, rc = QD_OK;

	for (k = STORE_SEALED_CREDENTIAL; k <= STORE_SEALED_CHANNEL &&
	    rc == QD_OK; k++) {
		a.kind = (enum store_sealed_kind)k;
		a.rows = 0;
		rc = read_rows(s, sealed_sql[k].select, 0, NULL, sealed_row, &a,
			"reading sealed values", 0);
	}
	return rc;
}

int
store_sealed_update(struct store *s, enum store_sealed_kind kind,
	const char *row_id, const struct store_sealed *v)
{
	const char *p[4];

	if (kind < STORE_SEALED_CREDENTIAL || kind > STORE_SEALED_CHANNEL)
		return store_fail(s, QD_ERR_INVALID, "unknown sealed kind %d",
			(int)kind);
	if (need(s, row_id, "row id") != QD_OK || sealed_ok(s, v) != QD_OK)
		return QD_ERR_INVALID;
	p[0] = row_id;
	p[1] = v->key_id;
	p[2] = v->nonce;
	p[3] = v->ct;
	return write_one(s, sealed_sql[kind].update, 4, p,
		"re-sealing a value");
}
