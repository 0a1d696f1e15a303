/*
 * auth.c -- users, passwords, tokens, TOTP, API keys, throttling and the
 * audit log (auth.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <jwt.h>
#include <liboath/oath.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <qrencode.h>

#include <quantd/sdk.h>

#include "auth/auth.h"
#include "host/sign.h"
#include "limit/limit.h"
#include "store/store.h"
#include "vault/vault.h"

#define SECRET_MAX 512
#define TOKEN_MAX 4096
#define TOTP_SECRET_LEN 20
#define TOTP_DIGITS 6
#define TOTP_STEP 30
#define SALT_LEN 16
#define HASH_LEN 32
#define LIMITER_KEYS 65536

/* The remembered nonces: 64-bit hashes of (key id, nonce) with the time
 * they can be forgotten; open addressing, h == 0 is an empty slot. */
struct nonce_slot {
	uint64_t h;
	int64_t expires;
};

struct auth {
	struct auth_config cfg;
	char issuer[128];
	char totp_issuer[128];
	unsigned char secret[SECRET_MAX];
	size_t secret_len;
	struct store *s;
	const struct vault *v;
	struct limiter *throttle;
	pthread_mutex_t nonce_lock;
	struct nonce_slot *nonces;
	size_t nslots, nused;  /* nused: slots ever filled since a purge */
	int64_t purged_ms;
};

/* A user as read from the store (copies). */
struct user {
	int64_t id;
	char name[65];
	char hash[256];
	char role[8];
	char plan[32];
	int disabled;
	int64_t created_ms;
};

/* ---- reasons ---------------------------------------------------------------- */

static const struct {
	const char *code;
	const char *text;
	int status;
} reasons[] = {
	[AUTH_OK] = { "ok", "ok", 200 },
	[AUTH_BAD_CREDENTIALS] = { "bad_credentials",
		"unknown user or wrong password", 401 },
	[AUTH_DISABLED] = { "user_disabled", "this user is disabled", 403 },
	[AUTH_THROTTLED] = { "too_many_attempts",
		"too many failed logins; retry later", 429 },
	[AUTH_2FA_REQUIRED] = { "2fa_required",
		"a TOTP or recovery code is required", 401 },
	[AUTH_2FA_INVALID] = { "2fa_invalid", "the 2FA code is wrong", 401 },
	[AUTH_2FA_REUSED] = { "2fa_reused",
		"this 2FA code was already used", 401 },
	[AUTH_2FA_STATE] = { "2fa_state",
		"2FA is not in a state that allows this", 409 },
	[AUTH_TOKEN_MALFORMED] = { "token_malformed",
		"the access token is not a JWT", 401 },
	[AUTH_TOKEN_ALG] = { "token_algorithm",
		"the access token's algorithm is not HS256", 401 },
	[AUTH_TOKEN_SIGNATURE] = { "token_signature",
		"the access token's signature does not verify", 401 },
	[AUTH_TOKEN_ISSUER] = { "token_issuer",
		"the access token was issued by someone else", 401 },
	[AUTH_TOKEN_EXPIRED] = { "token_expired",
		"the access token has expired", 401 },
	[AUTH_TOKEN_NOT_YET_VALID] = { "token_not_yet_valid",
		"the access token is not valid yet", 401 },
	[AUTH_TOKEN_CLAIMS] = { "token_claims",
		"the access token lacks a claim", 401 },
	[AUTH_REFRESH_UNKNOWN] = { "refresh_unknown",
		"unknown refresh token", 401 },
	[AUTH_REFRESH_EXPIRED] = { "refresh_expired",
		"the refresh token has expired", 401 },
	[AUTH_REFRESH_REVOKED] = { "refresh_revoked",
		"the refresh token was revoked", 401 },
	[AUTH_REFRESH_REUSED] = { "refresh_reused",
		"refresh token used twice: its session was revoked", 401 },
	[AUTH_KEY_UNKNOWN] = { "key_unknown", "unknown API key", 401 },
	[AUTH_KEY_REVOKED] = { "key_revoked", "this API key is revoked",
		401 },
	[AUTH_SIG_MALFORMED] = { "signature_malformed",
		"a signed-request field is malformed", 400 },
	[AUTH_SIG_STALE] = { "signature_stale",
		"the request timestamp is outside the allowed window", 401 },
	[AUTH_SIG_REPLAYED] = { "signature_replayed",
		"this nonce was already used", 401 },
	[AUTH_SIG_INVALID] = { "signature_invalid",
		"the request signature does not verify", 401 },
	[AUTH_SCOPE_DENIED] = { "forbidden",
		"the key or role does not allow this", 403 },
	[AUTH_REPLAY_FULL] = { "busy",
		"too many signed requests in flight; retry", 503 },
	[AUTH_ERROR] = { "internal", "internal error", 500 },
};

const char *
auth_reason_code(enum auth_reason r)
{
	return (unsigned)r <= AUTH_ERROR ? reasons[r].code : "internal";
}

const char *
auth_reason_text(enum auth_reason r)
{
	return (unsigned)r <= AUTH_ERROR ? reasons[r].text : "internal error";
}

int
auth_reason_status(enum auth_reason r)
{
	return (unsigned)r <= AUTH_ERROR ? reasons[r].status : 500;
}

/* ---- scopes and roles -------------------------------------------------------- */

static const char *const scope_names[] = { "read", "trade", "admin" };

int
auth_scopes_parse(const char *text)
{
	int mask = 0, i, hit;
	const char *p = text, *e;
	size_t n;

	if (text == NULL || *text == '\0')
		return -1;
	while (*p != '\0') {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		for (i = 0, hit = 0; i < 3; i++)
			if (strlen(scope_names[i]) == n &&
			    strncmp(p, scope_names[i], n) == 0) {
				mask |= 1 << i;
				hit = 1;
			}
		if (!hit)
			return -1;
		p = e ? e + 1 : p + n;
	}
	return mask;
}

const char *
auth_scopes_format(unsigned mask, char *buf, size_t cap)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < 3; i++)
		if (mask & (1u << i))
			n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0,
				"%s%s", n ? "," : "", scope_names[i]);
	return buf;
}

static unsigned
role_scopes(const char *role)
{
	if (strcmp(role, "admin") == 0)
		return AUTH_SCOPE_READ | AUTH_SCOPE_TRADE | AUTH_SCOPE_ADMIN;
	if (strcmp(role, "trader") == 0)
		return AUTH_SCOPE_READ | AUTH_SCOPE_TRADE;
	return strcmp(role, "viewer") == 0 ? AUTH_SCOPE_READ : 0;
}

/* ---- small helpers ------------------------------------------------------- */

/* Lower-case hex of n bytes into out (2n + 1). */
static void
hex(const unsigned char *in, size_t n, char *out)
{
	size_t len;

	sign_encode(QD_ENC_HEX, in, n, out, 2 * n + 1, &len);
}

/* n random bytes as 2n hex digits. */
static int
rand_hex(size_t n, char *out)
{
	unsigned char b[64];

	if (n > sizeof(b) || RAND_bytes(b, (int)n) != 1)
		return QD_ERR_INTERNAL;
	hex(b, n, out);
	OPENSSL_cleanse(b, sizeof(b));
	return QD_OK;
}

static void
sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;

	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	hex(md, 32, out);
}

static int
all_of(const char *s, size_t min, size_t max, const char *set)
{
	size_t n = s ? strlen(s) : 0;

	return s != NULL && n >= min && n <= max && strspn(s, set) == n;
}

#define HEXDIGITS "0123456789abcdef"
#define NAMECHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
	"0123456789_.@-"

static int
user_copy(void *arg, const struct store_user *u)
{
	struct user *o = arg;

	o->id = u->id;
	snprintf(o->name, sizeof(o->name), "%s", u->name);
	snprintf(o->hash, sizeof(o->hash), "%s", u->pass_hash);
	snprintf(o->role, sizeof(o->role), "%s", u->role);
	snprintf(o->plan, sizeof(o->plan), "%s", u->plan);
	o->disabled = u->disabled;
	o->created_ms = u->created_ms;
	return 1;
}

/* Read a user by name (or by id when name is NULL). */
static int
user_get(struct auth *a, const char *name, int64_t id, struct user *u)
{
	memset(u, 0, sizeof(*u));
	if (name != NULL && !all_of(name, 1, 64, NAMECHARS))
		return QD_ERR_NOTFOUND;
	return store_user_get(a->s, name, id, user_copy, u);
}

static int
user_put(struct auth *a, const struct user *u, int64_t now_ms)
{
	struct store_user su = { u->id, u->name, u->hash, u->role, u->plan,
		u->disabled, u->created_ms, now_ms };

	return store_user_update(a->s, &su);
}

static int
audit_at(struct auth *a, int64_t now_ms, const char *actor,
	const char *action, const char *target, const char *ip, int ok,
	const char *detail)
{
	struct store_audit r = { 0, now_ms, actor && *actor ? actor : "-",
		action, target ? target : "", ip ? ip : "", ok,
		detail ? detail : "" };

	return store_audit_put(a->s, &r);
}

int
auth_audit(struct auth *a, const char *actor, const char *action,
	const char *target, const char *ip, int ok, const char *detail)
{
	return audit_at(a, store_now_ms(), actor, action, target, ip, ok,
		detail);
}

/* ---- setup ----------------------------------------------------------------- */

void
auth_config_defaults(struct auth_config *c)
{
	memset(c, 0, sizeof(*c));
	c->issuer = "quantd";
	c->access_ttl_s = 900;
	c->refresh_ttl_s = 30 * 86400;
	c->hmac_window_s = 30;
	c->nonce_cache_max = 100000;
	c->argon_t_cost = 3;
	c->argon_m_cost_kib = 65536;
	c->argon_lanes = 1;
	c->login_fail_account = 5;
	c->login_fail_ip = 20;
	c->login_window_s = 900;
	c->totp_issuer = "quantd";
}

int
auth_new(const struct auth_config *c, struct store *s, const struct vault *v,
	struct auth **out, char *err, size_t errlen)
{
	struct auth *a;
	char buf[SECRET_MAX + 2];
	const char *why = NULL;
	size_t n;

	*out = NULL;
	buf[0] = '\0';
	if (c->jwt_secret != NULL &&
	    vault_ref_read(c->jwt_secret, buf, sizeof(buf), &why) != QD_OK) {
		snprintf(err, errlen, "auth: jwt_secret: %s", why);
		OPENSSL_cleanse(buf, sizeof(buf));
		return QD_ERR_INVALID;
	}
	n = strlen(buf);
	if (c->jwt_secret != NULL && (n < 32 || n > SECRET_MAX)) {
		OPENSSL_cleanse(buf, sizeof(buf));
		snprintf(err, errlen, "auth: jwt_secret must be 32 to %d "
			"bytes", SECRET_MAX);
		return QD_ERR_INVALID;
	}
	if (c->access_ttl_s <= 0 || c->refresh_ttl_s <= 0 ||
	    c->hmac_window_s <= 0 || c->nonce_cache_max == 0 ||
	    c->argon_t_cost == 0 || c->argon_m_cost_kib < 8 ||
	    c->argon_lanes == 0 || c->login_fail_account == 0 ||
	    c->login_fail_ip == 0 || c->login_window_s <= 0 ||
	    c->issuer == NULL || *c->issuer == '\0') {
		OPENSSL_cleanse(buf, sizeof(buf));
		snprintf(err, errlen, "auth: a lifetime, window, cost or "
			"limit is zero or negative");
		return QD_ERR_INVALID;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return QD_ERR_NOMEM;
	}
	a->cfg = *c;
	snprintf(a->issuer, sizeof(a->issuer), "%s", c->issuer);
	snprintf(a->totp_issuer, sizeof(a->totp_issuer), "%s",
		c->totp_issuer ? c->totp_issuer : "quantd");
	a->cfg.issuer = a->issuer;
	a->cfg.totp_issuer = a->totp_issuer;
	a->cfg.jwt_secret = NULL;
	memcpy(a->secret, buf, n);
	a->secret_len = n;
	OPENSSL_cleanse(buf, sizeof(buf));
	a->s = s;
	a->v = v;
	for (a->nslots = 16; a->nslots < 2 * c->nonce_cache_max;
	    a->nslots *= 2)
		;
	a->nonces = calloc(a->nslots, sizeof(*a->nonces));
	if (a->nonces == NULL ||
	    limiter_new(LIMITER_KEYS, &a->throttle) != QD_OK) {
		auth_free(a);
		return QD_ERR_NOMEM;
	}
	pthread_mutex_init(&a->nonce_lock, NULL);
	oath_init();
	*out = a;
	return QD_OK;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	if (a->throttle != NULL) {
		pthread_mutex_destroy(&a->nonce_lock);
		oath_done();
	}
	limiter_free(a->throttle);
	free(a->nonces);
	OPENSSL_cleanse(a->secret, sizeof(a->secret));
	free(a);
}

/* ---- passwords --------------------------------------------------------------- */

int
auth_password_hash(const struct auth *a, const char *password, char *out,
	size_t cap)
{
	unsigned char salt[SALT_LEN];
	int rc;

	if (password == NULL)
		return QD_ERR_INVALID;
	if (argon2_encodedlen(a->cfg.argon_t_cost, a->cfg.argon_m_cost_kib,
	    a->cfg.argon_lanes, SALT_LEN, HASH_LEN, Argon2_id) > cap)
		return QD_ERR_LIMIT;
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return QD_ERR_INTERNAL;
	rc = argon2id_hash_encoded(a->cfg.argon_t_cost,
		a->cfg.argon_m_cost_kib, a->cfg.argon_lanes, password,
		strlen(password), salt, sizeof(salt), HASH_LEN, out, cap);
	return rc == ARGON2_OK ? QD_OK : rc == ARGON2_MEMORY_ALLOCATION_ERROR ?
	    QD_ERR_NOMEM : QD_ERR_INTERNAL;
}

int
auth_password_verify(const struct auth *a, const char *encoded,
	const char *password, int *rehash)
{
	unsigned m, t, p;
	int rc;

	*rehash = 0;
	if (encoded == NULL || password == NULL ||
	    strncmp(encoded, "$argon2id$v=19$", 15) != 0 ||
	    sscanf(encoded + 15, "m=%u,t=%u,p=%u$", &m, &t, &p) != 3)
		return QD_ERR_INVALID;
	rc = argon2id_verify(encoded, password, strlen(password));
	if (rc == ARGON2_VERIFY_MISMATCH)
		return QD_ERR_DENIED;
	if (rc != ARGON2_OK)
		return QD_ERR_INVALID;
	*rehash = m != a->cfg.argon_m_cost_kib || t != a->cfg.argon_t_cost ||
	    p != a->cfg.argon_lanes;
	return QD_OK;
}

static int
password_ok(const char *pw)
{
	size_t n = pw ? strlen(pw) : 0;

	return n >= 8 && n <= 1024;
}

/* ---- users ------------------------------------------------------------------ */

int
auth_user_add(struct auth *a, const char *actor, const char *name,
	const char *password, const char *role, const char *plan,
	int64_t *id)
{
	struct store_user u;
	char hash[256];
	int64_t now = store_now_ms();
	int rc;

	*id = 0;
	if (!all_of(name, 1, 64, NAMECHARS) || !password_ok(password))
		return QD_ERR_INVALID;
	if ((rc = auth_password_hash(a, password, hash, sizeof(hash))) !=
	    QD_OK)
		return rc;
	u.id = 0;
	u.name = name;
	u.pass_hash = hash;
	u.role = role;
	u.plan = plan;
	u.disabled = 0;
	u.created_ms = now;
	u.updated_ms = now;
	rc = store_user_add(a->s, &u, id);
	audit_at(a, now, actor, "user.add", name, NULL, rc == QD_OK, rc ==
		QD_OK ? role : store_error(a->s));
	return rc;
}

/* Change one field of a user (what: "password", "role", "plan",
 * "disable", "enable"), audited. */
static int
user_change(struct auth *a, const char *actor, const char *name,
	const char *what, const char *value)
{
	const char *action = "password.change";
	int64_t now = store_now_ms();
	struct user u;
	int rc, revoke = 0;

	if ((rc = user_get(a, name, 0, &u)) != QD_OK)
		return rc;
	if (strcmp(what, "password") == 0) {
		if (!password_ok(value))
			return QD_ERR_INVALID;
		rc = auth_password_hash(a, value, u.hash, sizeof(u.hash));
		if (rc != QD_OK)
			return rc;
		revoke = 1;
		value = "";
	} else if (strcmp(what, "role") == 0) {
		action = "user.role";
		snprintf(u.role, sizeof(u.role), "%s", value);
		if (strcmp(u.role, value) != 0)
			return QD_ERR_INVALID;
	} else if (strcmp(what, "plan") == 0) {
		action = "user.plan";
		snprintf(u.plan, sizeof(u.plan), "%s", value);
		if (strcmp(u.plan, value) != 0)
			return QD_ERR_INVALID;
	} else {
		u.disabled = strcmp(what, "disable") == 0;
		action = u.disabled ? "user.disable" : "user.enable";
		revoke = u.disabled;
		value = "";
	}
	rc = user_put(a, &u, now);
	if (rc == QD_OK && revoke)
		rc = store_refresh_revoke(a->s, NULL, u.id, NULL);
	audit_at(a, now, actor, action, name, NULL, rc == QD_OK,
		rc == QD_OK ? value : store_error(a->s));
	return rc;
}

int
auth_user_passwd(struct auth *a, const char *actor, const char *name,
	const char *password)
{
	return user_change(a, actor, name, "password", password);
}

int
auth_user_role(struct auth *a, const char *actor, const char *name,
	const char *role)
{
	return user_change(a, actor, name, "role", role);
}

int
auth_user_plan(struct auth *a, const char *actor, const char *name,
	const char *plan)
{
	return user_change(a, actor, name, "plan", plan);
}

int
auth_user_disable(struct auth *a, const char *actor, const char *name,
	int disabled)
{
	return user_change(a, actor, name, disabled ? "disable" : "enable",
		"");
}

/* ---- access tokens ------------------------------------------------------ */

/* Base64url without padding of a MAC (at most 64 bytes) into out. */
static void
b64url(const unsigned char *in, size_t n, char *out)
{
	size_t len;

	sign_encode(QD_ENC_BASE64URL, in, n, out, 100, &len);
}

static int
token_issue(const struct auth *a, const struct user *u, int64_t now_ms,
	struct auth_tokens *out)
{
	char sub[24], jti[33];
	int64_t now = now_ms / 1000, exp = now + a->cfg.access_ttl_s;
	jwt_t *j = NULL;
	char *enc = NULL;
	int rc = QD_ERR_INTERNAL;

	snprintf(sub, sizeof(sub), "%" PRId64, u->id);
	if (a->secret_len == 0)
		return QD_ERR_STATE;  /* no jwt_secret: user admin only */
	if (rand_hex(16, jti) != QD_OK || jwt_new(&j) != 0)
		return QD_ERR_INTERNAL;
	if (jwt_add_grant(j, "iss", a->issuer) == 0 &&
	    jwt_add_grant(j, "sub", sub) == 0 &&
	    jwt_add_grant(j, "name", u->name) == 0 &&
	    jwt_add_grant(j, "role", u->role) == 0 &&
	    jwt_add_grant(j, "plan", u->plan) == 0 &&
	    jwt_add_grant(j, "jti", jti) == 0 &&
	    jwt_add_grant_int(j, "iat", now) == 0 &&
	    jwt_add_grant_int(j, "nbf", now) == 0 &&
	    jwt_add_grant_int(j, "exp", exp) == 0 &&
	    jwt_set_alg(j, JWT_ALG_HS256, a->secret, (int)a->secret_len) ==
	    0 && (enc = jwt_encode_str(j)) != NULL) {
		if (strlen(enc) < sizeof(out->access)) {
			strcpy(out->access, enc);
			out->access_expires_ms = exp * 1000;
			rc = QD_OK;
		} else {
			rc = QD_ERR_LIMIT;
		}
	}
	free(enc);
	jwt_free(j);
	return rc;
}

/* The claim `name` as text of at most cap - 1 bytes, or -1. */
static int
claim_text(jwt_t *j, const char *name, char *buf, size_t cap)
{
	const char *v = jwt_get_grant(j, name);

	if (v == NULL || strlen(v) >= cap)
		return -1;
	strcpy(buf, v);
	return 0;
}

static int
claim_int(jwt_t *j, const char *name, long *out)
{
	errno = 0;
	*out = jwt_get_grant_int(j, name);
	return errno == 0 ? 0 : -1;
}

enum auth_reason
auth_token_verify(const struct auth *a, const char *token, int64_t now_ms,
	struct auth_identity *id)
{
	static const char b64set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char want[100], sub[24];
	const char *d1, *d2;
	size_t n, siglen;
	long iat, nbf, exp;
	jwt_t *j = NULL;
	enum auth_reason r = AUTH_OK;

	memset(id, 0, sizeof(*id));
	if (a->secret_len == 0)
		return AUTH_ERROR;
	if (token == NULL || (n = strlen(token)) == 0 || n > TOKEN_MAX)
		return AUTH_TOKEN_MALFORMED;
	d1 = strchr(token, '.');
	d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (d1 == NULL || d2 == NULL || strchr(d2 + 1, '.') != NULL ||
	    d1 == token || d2 == d1 + 1 ||
	    strspn(token, b64set) != (size_t)(d1 - token) ||
	    strspn(d1 + 1, b64set) != (size_t)(d2 - d1 - 1) ||
	    strspn(d2 + 1, b64set) != strlen(d2 + 1))
		return AUTH_TOKEN_MALFORMED;
	/* Parse without a key (libjwt then checks no signature and reports
	 * alg "none" whatever the header says), so the header's own "alg"
	 * is read and must be exactly HS256: nothing else is ever tried. */
	if (jwt_decode(&j, token, NULL, 0) != 0 || j == NULL) {
		jwt_free(j);
		return AUTH_TOKEN_MALFORMED;
	}
	{
		const char *alg = jwt_get_header(j, "alg");

		if (alg == NULL || strcmp(alg, "HS256") != 0) {
			jwt_free(j);
			return AUTH_TOKEN_ALG;
		}
	}
	/* The signature, HMAC-SHA256 over "header.payload", compared in
	 * constant time. */
	HMAC(EVP_sha256(), a->secret, (int)a->secret_len,
		(const unsigned char *)token, (size_t)(d2 - token), mac,
		&maclen);
	b64url(mac, maclen, want);
	siglen = strlen(d2 + 1);
	if (siglen != strlen(want) ||
	    CRYPTO_memcmp(want, d2 + 1, siglen) != 0) {
		jwt_free(j);
		return AUTH_TOKEN_SIGNATURE;
	}
	{
		const char *iss = jwt_get_grant(j, "iss");

		if (iss == NULL || strcmp(iss, a->issuer) != 0)
			r = AUTH_TOKEN_ISSUER;
	}
	if (r == AUTH_OK && (claim_int(j, "exp", &exp) != 0 ||
	    claim_int(j, "nbf", &nbf) != 0 || claim_int(j, "iat", &iat) != 0))
		r = AUTH_TOKEN_CLAIMS;
	if (r == AUTH_OK && (int64_t)exp * 1000 <= now_ms)
		r = AUTH_TOKEN_EXPIRED;
	if (r == AUTH_OK && (int64_t)nbf * 1000 > now_ms)
		r = AUTH_TOKEN_NOT_YET_VALID;
	if (r == AUTH_OK && (claim_text(j, "sub", sub, sizeof(sub)) != 0 ||
	    claim_text(j, "name", id->user, sizeof(id->user)) != 0 ||
	    claim_text(j, "role", id->role, sizeof(id->role)) != 0 ||
	    claim_text(j, "plan", id->plan, sizeof(id->plan)) != 0 ||
	    claim_text(j, "jti", id->jti, sizeof(id->jti)) != 0 ||
	    !all_of(sub, 1, 19, "0123456789") ||
	    role_scopes(id->role) == 0))
		r = AUTH_TOKEN_CLAIMS;
	jwt_free(j);
	if (r != AUTH_OK) {
		memset(id, 0, sizeof(*id));
		return r;
	}
	id->user_id = strtoll(sub, NULL, 10);
	id->scopes = role_scopes(id->role);
	id->expires_ms = (int64_t)exp * 1000;
	return AUTH_OK;
}

/* ---- refresh tokens ------------------------------------------------------- */

/* A new refresh token of `family` (a new family when NULL) and an access
 * token for u. */
static int
tokens_issue(struct auth *a, const struct user *u, const char *family,
	int64_t now_ms, struct auth_tokens *out)
{
	char fam[33], raw[65], hash[65];
	struct store_refresh r;
	int rc;

	memset(out, 0, sizeof(*out));
	if (family == NULL) {
		if (rand_hex(16, fam) != QD_OK)
			return QD_ERR_INTERNAL;
		family = fam;
	}
	if ((rc = token_issue(a, u, now_ms, out)) != QD_OK)
		return rc;
	if (rand_hex(32, raw) != QD_OK)
		return QD_ERR_INTERNAL;
	snprintf(out->refresh, sizeof(out->refresh), "rt_%s", raw);
	sha256_hex(out->refresh, strlen(out->refresh), hash);
	r.hash = hash;
	r.family = family;
	r.user_id = u->id;
	r.created_ms = now_ms;
	r.expires_ms = now_ms + (int64_t)a->cfg.refresh_ttl_s * 1000;
	r.used_ms = 0;
	r.revoked = 0;
	out->refresh_expires_ms = r.expires_ms;
	rc = store_refresh_put(a->s, &r);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (rc != QD_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

struct refresh_copy {
	char family[40];
	int64_t user_id, expires_ms, used_ms;
	int revoked;
};

static int
refresh_copy(void *arg, const struct store_refresh *r)
{
	struct refresh_copy *o = arg;

	snprintf(o->family, sizeof(o->family), "%s", r->family);
	o->user_id = r->user_id;
	o->expires_ms = r->expires_ms;
	o->used_ms = r->used_ms;
	o->revoked = r->revoked;
	return 1;
}

static int
refresh_lookup(struct auth *a, const char *refresh, char hash[65],
	struct refresh_copy *rc)
{
	if (refresh == NULL || strncmp(refresh, "rt_", 3) != 0 ||
	    !all_of(refresh + 3, 64, 64, HEXDIGITS))
		return QD_ERR_NOTFOUND;
	sha256_hex(refresh, strlen(refresh), hash);
	memset(rc, 0, sizeof(*rc));
	return store_refresh_get(a->s, hash, refresh_copy, rc);
}

enum auth_reason
auth_refresh(struct auth *a, const char *refresh, const char *ip,
	int64_t now_ms, struct auth_tokens *out)
{
	struct refresh_copy r;
	struct user u;
	char hash[65];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = refresh_lookup(a, refresh, hash, &r);
	if (rc == QD_ERR_NOTFOUND)
		return AUTH_REFRESH_UNKNOWN;
	if (rc != QD_OK)
		return AUTH_ERROR;
	if (r.revoked)
		return AUTH_REFRESH_REVOKED;
	if (r.used_ms != 0 || store_refresh_use(a->s, hash, now_ms) != QD_OK) {
		/* Used before (or by a concurrent refresh): the token has
		 * leaked; nobody keeps this session. */
		store_refresh_revoke(a->s, r.family, 0, NULL);
		user_get(a, NULL, r.user_id, &u);
		audit_at(a, now_ms, u.name[0] ? u.name : "-",
			"token.refresh_reuse", u.name, ip, 0,
			"refresh token presented again: its family is revoked");
		return AUTH_REFRESH_REUSED;
	}
	if (r.expires_ms <= now_ms)
		return AUTH_REFRESH_EXPIRED;
	if (user_get(a, NULL, r.user_id, &u) != QD_OK)
		return AUTH_REFRESH_REVOKED;
	if (u.disabled) {
		store_refresh_revoke(a->s, r.family, 0, NULL);
		return AUTH_DISABLED;
	}
	return tokens_issue(a, &u, r.family, now_ms, out) == QD_OK ? AUTH_OK :
	    AUTH_ERROR;
}

int
auth_logout(struct auth *a, const char *refresh)
{
	struct refresh_copy r;
	char hash[65];
	int rc = refresh_lookup(a, refresh, hash, &r);

	if (rc != QD_OK)
		return rc;
	return store_refresh_revoke(a->s, r.family, 0, NULL);
}

/* ---- TOTP ------------------------------------------------------------------ */

int
auth_totp_code(const void *secret, size_t len, int64_t unix_s,
	unsigned digits, char *out)
{
	if (secret == NULL || digits < 6 || digits > 8 || unix_s < 0)
		return QD_ERR_INVALID;
	return oath_totp_generate(secret, len, (time_t)unix_s, TOTP_STEP, 0,
		digits, out) == OATH_OK ? QD_OK : QD_ERR_INTERNAL;
}

struct totp_copy {
	char key_id[VAULT_KEY_ID_MAX + 1];
	char nonce[32];
	char ct[2 * (TOTP_SECRET_LEN + 16) + 1];
	int confirmed;
	int found;
};

static int
totp_copy(void *arg, const struct store_totp *t)
{
	struct totp_copy *o = arg;

	snprintf(o->key_id, sizeof(o->key_id), "%s", t->secret.key_id);
	snprintf(o->nonce, sizeof(o->nonce), "%s", t->secret.nonce);
	snprintf(o->ct, sizeof(o->ct), "%s", t->secret.ct);
	o->confirmed = t->confirmed;
	o->found = 1;
	return 1;
}

/* Check a TOTP code of user u (6 digits) and record its step. */
static enum auth_reason
totp_check(struct auth *a, const struct user *u, const struct totp_copy *t,
	const char *code, int64_t now_ms)
{
	struct store_sealed in = { t->key_id, t->nonce, t->ct };
	unsigned char secret[TOTP_SECRET_LEN + 1];
	char aad[64], uid[24];
	uint64_t counter = 0;
	int pos = 0, rc;
	size_t n;

	if (!all_of(code, TOTP_DIGITS, TOTP_DIGITS, "0123456789"))
		return AUTH_2FA_INVALID;
	snprintf(uid, sizeof(uid), "%" PRId64, u->id);
	vault_aad(STORE_SEALED_TOTP, uid, aad, sizeof(aad));
	if (vault_unseal(a->v, aad, &in, secret, sizeof(secret), &n) != QD_OK)
		return AUTH_ERROR;
	rc = oath_totp_validate3((const char *)secret, n, (time_t)(now_ms / 1000), TOTP_STEP,
		0, 1, &pos, &counter, code);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (rc < 0)
		return AUTH_2FA_INVALID;
	rc = store_totp_step(a->s, u->id, (int64_t)counter);
	return rc == QD_OK ? AUTH_OK : rc == QD_ERR_STATE ? AUTH_2FA_REUSED :
	    AUTH_ERROR;
}

/* Recovery codes are compared as lower case without dashes. */
static int
recovery_hash(const char *code, char out[65])
{
	char norm[32];
	size_t i, n = 0;

	for (i = 0; code[i] != '\0'; i++) {
		if (code[i] == '-' || code[i] == ' ')
			continue;
		if (n + 1 >= sizeof(norm) || !isalnum((unsigned char)code[i]))
			return -1;
		norm[n++] = (char)tolower((unsigned char)code[i]);
	}
	norm[n] = '\0';
	if (n != 15)
		return -1;
	sha256_hex(norm, n, out);
	return 0;
}

static int
percent_encode(const char *in, char *out, size_t cap)
{
	static const char d[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *in != '\0'; in++) {
		unsigned char c = (unsigned char)*in;

		if (n + 4 > cap)
			return -1;
		if (isalnum(c) || c == '-' || c == '.' || c == '_' ||
		    c == '~') {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = d[c >> 4];
			out[n++] = d[c & 15];
		}
	}
	out[n] = '\0';
	return 0;
}

/* The QR code of text as an SVG document (malloc'd), one path of unit
 * squares with a 4-module quiet zone. */
static char *
qr_svg(const char *text)
{
	QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	size_t cap, n = 0;
	char *svg;
	int x, y, w;

	if (q == NULL)
		return NULL;
	w = q->width;
	cap = 256 + (size_t)w * (size_t)w * 24;
	if ((svg = malloc(cap)) == NULL) {
		QRcode_free(q);
		return NULL;
	}
	n += (size_t)snprintf(svg + n, cap - n, "<svg xmlns=\"http://www.w3."
		"org/2000/svg\" viewBox=\"0 0 %d %d\" shape-rendering="
		"\"crispEdges\"><rect width=\"100%%\" height=\"100%%\" "
		"fill=\"#fff\"/><path fill=\"#000\" d=\"", w + 8, w + 8);
	for (y = 0; y < w; y++)
		for (x = 0; x < w; x++)
			if (q->data[y * w + x] & 1)
				n += (size_t)snprintf(svg + n, cap - n,
					"M%d %dh1v1h-1z", x + 4, y + 4);
	snprintf(svg + n, cap - n, "\"/></svg>");
	QRcode_free(q);
	return svg;
}

int
auth_totp_enroll(struct auth *a, const char *name,
	struct auth_totp_enrolment *out)
{
	unsigned char secret[TOTP_SECRET_LEN];
	struct totp_copy t = { 0 };
	struct store_totp row;
	struct vault_box box;
	char aad[64], uid[24], iss[400], acct[200], *b32 = NULL;
	size_t b32len = 0;
	struct user u;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = user_get(a, name, 0, &u)) != QD_OK)
		return rc;
	rc = store_totp_get(a->s, u.id, totp_copy, &t);
	if (rc != QD_OK && rc != QD_ERR_NOTFOUND)
		return rc;
	if (t.found && t.confirmed)
		return QD_ERR_STATE;
	if (RAND_bytes(secret, sizeof(secret)) != 1)
		return QD_ERR_INTERNAL;
	snprintf(uid, sizeof(uid), "%" PRId64, u.id);
	vault_aad(STORE_SEALED_TOTP, uid, aad, sizeof(aad));
	rc = vault_seal(a->v, aad, secret, sizeof(secret), &box);
	if (rc == QD_OK && oath_base32_encode((const char *)secret,
	    sizeof(secret), &b32, &b32len) != OATH_OK)
		rc = QD_ERR_INTERNAL;
	OPENSSL_cleanse(secret, sizeof(secret));
	if (rc != QD_OK)
		goto fail;
	row.user_id = u.id;
	row.secret = vault_box_sealed(&box);
	row.confirmed = 0;
	row.last_step = 0;
	row.created_ms = store_now_ms();
	if ((rc = store_totp_put(a->s, &row)) != QD_OK)
		goto fail;
	snprintf(out->secret_b32, sizeof(out->secret_b32), "%s", b32);
	if (percent_encode(a->totp_issuer, iss, sizeof(iss)) != 0 ||
	    percent_encode(u.name, acct, sizeof(acct)) != 0 ||
	    snprintf(out->uri, sizeof(out->uri), "otpauth://totp/%s:%s?"
	    "secret=%s&issuer=%s&algorithm=SHA1&digits=%d&period=%d", iss,
	    acct, b32, iss, TOTP_DIGITS, TOTP_STEP) >= (int)sizeof(out->uri)) {
		rc = QD_ERR_LIMIT;
		goto fail;
	}
	if ((out->svg = qr_svg(out->uri)) == NULL)
		rc = QD_ERR_NOMEM;
fail:
	vault_box_free(&box);
	if (b32 != NULL) {
		OPENSSL_cleanse(b32, b32len);
		free(b32);
	}
	if (rc != QD_OK)
		auth_totp_enrolment_free(out);
	return rc;
}

void
auth_totp_enrolment_free(struct auth_totp_enrolment *e)
{
	if (e == NULL)
		return;
	free(e->svg);
	OPENSSL_cleanse(e, sizeof(*e));
}

/* Ten new recovery codes for u: shown in codes, stored hashed. */
static int
recovery_new(struct auth *a, const struct user *u,
	char codes[AUTH_RECOVERY_CODES][AUTH_RECOVERY_LEN])
{
	static const char alpha[] = "abcdefghjkmnpqrstuvwxyz23456789";
	char hashes[AUTH_RECOVERY_CODES][65];
	const char *hp[AUTH_RECOVERY_CODES];
	unsigned char r[15];
	int i, k, rc;

	for (i = 0; i < AUTH_RECOVERY_CODES; i++) {
		if (RAND_bytes(r, sizeof(r)) != 1)
			return QD_ERR_INTERNAL;
		for (k = 0; k < 15; k++)
			codes[i][k + k / 5] = alpha[r[k] % (sizeof(alpha) - 1)];
		codes[i][5] = codes[i][11] = '-';
		codes[i][17] = '\0';
		recovery_hash(codes[i], hashes[i]);
		hp[i] = hashes[i];
	}
	OPENSSL_cleanse(r, sizeof(r));
	rc = store_recovery_set(a->s, u->id, hp, AUTH_RECOVERY_CODES);
	if (rc != QD_OK)
		OPENSSL_cleanse(codes, sizeof(codes[0]) * AUTH_RECOVERY_CODES);
	return rc;
}

enum auth_reason
auth_totp_confirm(struct auth *a, const char *name, const char *code,
	int64_t now_ms, char codes[AUTH_RECOVERY_CODES][AUTH_RECOVERY_LEN])
{
	struct totp_copy t = { 0 };
	enum auth_reason r;
	struct user u;

	if (user_get(a, name, 0, &u) != QD_OK)
		return AUTH_BAD_CREDENTIALS;
	if (store_totp_get(a->s, u.id, totp_copy, &t) != QD_OK || t.confirmed)
		return AUTH_2FA_STATE;
	if ((r = totp_check(a, &u, &t, code, now_ms)) != AUTH_OK)
		return r;
	if (store_begin(a->s) != QD_OK)
		return AUTH_ERROR;
	if (store_totp_confirm(a->s, u.id) != QD_OK ||
	    recovery_new(a, &u, codes) != QD_OK ||
	    audit_at(a, now_ms, u.name, "2fa.enable", u.name, NULL, 1, "") !=
	    QD_OK || store_commit(a->s) != QD_OK) {
		store_rollback(a->s);
		return AUTH_ERROR;
	}
	return AUTH_OK;
}

int
auth_totp_disable(struct auth *a, const char *actor, const char *name)
{
	struct user u;
	int rc;

	if ((rc = user_get(a, name, 0, &u)) != QD_OK)
		return rc;
	rc = store_totp_delete(a->s, u.id);
	audit_at(a, store_now_ms(), actor, "2fa.disable", u.name, NULL,
		rc == QD_OK, "");
	return rc;
}

/* ---- login ----------------------------------------------------------------- */

/* A well-formed hash no password matches quickly: an unknown user costs
 * as much as a known one. */
static void
burn_verify(const struct auth *a, const char *password)
{
	char dummy[256];
	int rehash;

	if (auth_password_hash(a, "not the password of anyone", dummy,
	    sizeof(dummy)) == QD_OK)
		auth_password_verify(a, dummy, password, &rehash);
}

static void
login_failed(struct auth *a, const char *acct_key, const char *ip_key,
	int64_t now_ms)
{
	int64_t win = (int64_t)a->cfg.login_window_s * 1000;
	int retry;

	limiter_take(a->throttle, acct_key, a->cfg.login_fail_account, win,
		now_ms, &retry);
	limiter_take(a->throttle, ip_key, a->cfg.login_fail_ip, win, now_ms,
		&retry);
}

enum auth_reason
auth_login(struct auth *a, const char *name, const char *password,
	const char *otp, const char *ip, int64_t now_ms,
	struct auth_tokens *out, int *retry_after_s)
{
	int64_t win = (int64_t)a->cfg.login_window_s * 1000;
	char acct_key[96], ip_key[96], rh[65];
	struct totp_copy t = { 0 };
	enum auth_reason r = AUTH_OK;
	int rehash = 0, rc, ra = 0, rb = 0;
	struct user u;

	memset(out, 0, sizeof(*out));
	*retry_after_s = 0;
	if (name == NULL || password == NULL)
		return AUTH_BAD_CREDENTIALS;
	snprintf(acct_key, sizeof(acct_key), "login:user:%.64s", name);
	snprintf(ip_key, sizeof(ip_key), "login:ip:%.64s", ip ? ip : "");
	if (!limiter_peek(a->throttle, acct_key, a->cfg.login_fail_account,
	    win, now_ms, &ra) | !limiter_peek(a->throttle, ip_key,
	    a->cfg.login_fail_ip, win, now_ms, &rb)) {
		*retry_after_s = ra > rb ? ra : rb;
		audit_at(a, now_ms, name, "login.throttled", name, ip, 0, "");
		return AUTH_THROTTLED;
	}
	rc = user_get(a, name, 0, &u);
	if (rc == QD_ERR_NOTFOUND) {
		burn_verify(a, password);
		r = AUTH_BAD_CREDENTIALS;
	} else if (rc != QD_OK) {
		return AUTH_ERROR;
	} else {
		rc = auth_password_verify(a, u.hash, password, &rehash);
		r = rc == QD_OK ? AUTH_OK : rc == QD_ERR_DENIED ||
		    rc == QD_ERR_INVALID ? AUTH_BAD_CREDENTIALS : AUTH_ERROR;
	}
	if (r == AUTH_OK && u.disabled)
		r = AUTH_DISABLED;
	if (r == AUTH_OK) {
		rc = store_totp_get(a->s, u.id, totp_copy, &t);
		if (rc != QD_OK && rc != QD_ERR_NOTFOUND)
			r = AUTH_ERROR;
	}
	if (r == AUTH_OK && t.found && t.confirmed) {
		if (otp == NULL || *otp == '\0')
			r = AUTH_2FA_REQUIRED;
		else if (all_of(otp, TOTP_DIGITS, TOTP_DIGITS, "0123456789"))
			r = totp_check(a, &u, &t, otp, now_ms);
		else if (recovery_hash(otp, rh) == 0 &&
		    store_recovery_use(a->s, u.id, rh, now_ms, NULL) == QD_OK)
			audit_at(a, now_ms, u.name, "2fa.recovery", u.name, ip,
				1, "a recovery code was used");
		else
			r = AUTH_2FA_INVALID;
	}
	if (r == AUTH_BAD_CREDENTIALS || r == AUTH_2FA_INVALID ||
	    r == AUTH_2FA_REUSED)
		login_failed(a, acct_key, ip_key, now_ms);
	if (r == AUTH_OK && rehash &&
	    auth_password_hash(a, password, u.hash, sizeof(u.hash)) == QD_OK)
		user_put(a, &u, now_ms);  /* best effort: login goes on */
	if (r == AUTH_OK && tokens_issue(a, &u, NULL, now_ms, out) != QD_OK)
		r = AUTH_ERROR;
	if (r == AUTH_OK)
		limiter_reset(a->throttle, acct_key);
	if (r != AUTH_2FA_REQUIRED)
		audit_at(a, now_ms, name, r == AUTH_OK ? "login.ok" :
			"login.failed", name, ip, r == AUTH_OK,
			r == AUTH_OK ? "" : auth_reason_code(r));
	return r;
}

/* ---- API keys ------------------------------------------------------------- */

int
auth_apikey_create(struct auth *a, const char *actor, const char *name,
	unsigned scopes, const char *label, struct auth_api_key_new *out)
{
	struct store_api_key k;
	struct vault_box box;
	char aad[64], sc[32], rnd[25];
	int64_t now = store_now_ms();
	struct user u;
	int rc;

	memset(out, 0, sizeof(*out));
	if (scopes == 0 || (scopes & ~7u) != 0 ||
	    (label != NULL && strlen(label) > 64))
		return QD_ERR_INVALID;
	if ((rc = user_get(a, name, 0, &u)) != QD_OK)
		return rc;
	if ((scopes & ~role_scopes(u.role)) != 0)
		return QD_ERR_DENIED;
	if (rand_hex(12, rnd) != QD_OK || rand_hex(32, out->secret) != QD_OK)
		return QD_ERR_INTERNAL;
	snprintf(out->id, sizeof(out->id), "qk_%s", rnd);
	vault_aad(STORE_SEALED_API_KEY, out->id, aad, sizeof(aad));
	if ((rc = vault_seal(a->v, aad, out->secret, strlen(out->secret),
	    &box)) != QD_OK) {
		OPENSSL_cleanse(out, sizeof(*out));
		return rc;
	}
	k.id = out->id;
	k.user_id = u.id;
	k.label = label ? label : "";
	k.scopes = auth_scopes_format(scopes, sc, sizeof(sc));
	k.secret = vault_box_sealed(&box);
	k.created_ms = now;
	k.revoked_ms = 0;
	rc = store_api_key_put(a->s, &k);
	vault_box_free(&box);
	audit_at(a, now, actor, "apikey.create", out->id, NULL, rc == QD_OK,
		sc);
	if (rc != QD_OK)
		OPENSSL_cleanse(out, sizeof(*out));
	return rc;
}

int
auth_apikey_revoke(struct auth *a, const char *actor, const char *id)
{
	int64_t now = store_now_ms();
	int rc = store_api_key_revoke(a->s, id, now);

	audit_at(a, now, actor, "apikey.revoke", id, NULL, rc == QD_OK, "");
	return rc;
}

/* The canonical string of a request into buf (malloc'd by the caller). */
static int
canonical(const struct auth_signed_request *r, char **out)
{
	char bh[65];
	size_t n;

	sha256_hex(r->body_len ? r->body : "", r->body_len, bh);
	n = strlen(r->timestamp) + strlen(r->nonce) + strlen(r->method) +
	    strlen(r->path_query) + 64 + 8;
	if ((*out = malloc(n)) == NULL)
		return QD_ERR_NOMEM;
	snprintf(*out, n, "%s\n%s\n%s\n%s\n%s", r->timestamp, r->nonce,
		r->method, r->path_query, bh);
	return QD_OK;
}

int
auth_hmac_sign(const char *secret, const struct auth_signed_request *r,
	char *out, size_t cap)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char *c = NULL;
	int rc;

	if (secret == NULL || cap < 65 || r->timestamp == NULL ||
	    r->nonce == NULL || r->method == NULL || r->path_query == NULL ||
	    (r->body == NULL && r->body_len > 0))
		return QD_ERR_INVALID;
	if ((rc = canonical(r, &c)) != QD_OK)
		return rc;
	HMAC(EVP_sha256(), secret, (int)strlen(secret),
		(const unsigned char *)c, strlen(c), mac, &len);
	free(c);
	hex(mac, len, out);
	return QD_OK;
}

static uint64_t
nonce_hash(const char *key_id, const char *nonce)
{
	unsigned char md[32];
	unsigned int len = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint64_t h = 0;
	int i;

	if (c == NULL)
		return 1;
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, key_id, strlen(key_id) + 1);
	EVP_DigestUpdate(c, nonce, strlen(nonce));
	EVP_DigestFinal_ex(c, md, &len);
	EVP_MD_CTX_free(c);
	for (i = 0; i < 8; i++)
		h = h << 8 | md[i];
	return h | 1;  /* 0 is an empty slot */
}

/* Rebuild the nonce table keeping the live entries only. */
static void
nonce_purge(struct auth *a, int64_t now_ms)
{
	size_t m = a->nslots - 1, i, j;
	struct nonce_slot *old = a->nonces, *nt;

	if ((nt = calloc(a->nslots, sizeof(*nt))) == NULL)
		return;
	a->nused = 0;
	for (i = 0; i < a->nslots; i++) {
		if (old[i].h == 0 || old[i].expires <= now_ms)
			continue;
		for (j = old[i].h & m; nt[j].h != 0; j = (j + 1) & m)
			;
		nt[j] = old[i];
		a->nused++;
	}
	free(old);
	a->nonces = nt;
}

/* Remember (key, nonce) until expires: AUTH_OK the first time,
 * AUTH_SIG_REPLAYED after, AUTH_REPLAY_FULL when no room is left. */
static enum auth_reason
nonce_remember(struct auth *a, const char *key_id, const char *nonce,
	int64_t expires, int64_t now_ms)
{
	uint64_t h = nonce_hash(key_id, nonce);
	size_t m, i, reuse = SIZE_MAX;
	enum auth_reason r = AUTH_OK;

	pthread_mutex_lock(&a->nonce_lock);
	/* Full of slots ever used: drop the expired ones (at most once per
	 * millisecond, so a flood of live nonces does not rebuild the table
	 * at every request). */
	if (a->nused >= a->cfg.nonce_cache_max && now_ms != a->purged_ms) {
		nonce_purge(a, now_ms);
		a->purged_ms = now_ms;
	}
	m = a->nslots - 1;
	for (i = h & m; a->nonces[i].h != 0; i = (i + 1) & m) {
		if (a->nonces[i].expires <= now_ms) {
			if (reuse == SIZE_MAX)
				reuse = i;
		} else if (a->nonces[i].h == h) {
			r = AUTH_SIG_REPLAYED;
			break;
		}
	}
	if (r == AUTH_OK) {
		if (reuse != SIZE_MAX) {
			i = reuse;
		} else if (a->nused >= a->cfg.nonce_cache_max) {
			r = AUTH_REPLAY_FULL;
		} else {
			a->nused++;
		}
	}
	if (r == AUTH_OK) {
		a->nonces[i].h = h;
		a->nonces[i].expires = expires;
	}
	pthread_mutex_unlock(&a->nonce_lock);
	return r;
}

struct key_copy {
	int64_t user_id;
	char scopes[32];
	char key_id[VAULT_KEY_ID_MAX + 1];
	char nonce[32];
	char ct[2 * (72 + 16) + 1];
	int64_t revoked_ms;
};

static int
key_copy(void *arg, const struct store_api_key *k)
{
	struct key_copy *o = arg;

	o->user_id = k->user_id;
	snprintf(o->scopes, sizeof(o->scopes), "%s", k->scopes);
	snprintf(o->key_id, sizeof(o->key_id), "%s", k->secret.key_id);
	snprintf(o->nonce, sizeof(o->nonce), "%s", k->secret.nonce);
	snprintf(o->ct, sizeof(o->ct), "%s", k->secret.ct);
	o->revoked_ms = k->revoked_ms;
	return 1;
}

static int
hexbytes(const char *h, unsigned char *out, size_t n)
{
	size_t i;
	unsigned v;

	for (i = 0; i < n; i++) {
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* Are the fields of a signed request well formed? */
static int
signed_fields_ok(const struct auth_signed_request *r)
{
	return r->key_id != NULL && strncmp(r->key_id, "qk_", 3) == 0 &&
	    all_of(r->key_id + 3, 24, 24, HEXDIGITS) &&
	    all_of(r->timestamp, 1, 16, "0123456789") &&
	    all_of(r->nonce, 16, 64, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") &&
	    all_of(r->signature, 64, 64, HEXDIGITS "ABCDEF") &&
	    all_of(r->method, 1, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") &&
	    r->path_query != NULL && r->path_query[0] == '/' &&
	    strlen(r->path_query) <= 8192 &&
	    (r->body != NULL || r->body_len == 0);
}

enum auth_reason
auth_apikey_verify(struct auth *a, const struct auth_signed_request *r,
	unsigned need, int64_t now_ms, struct auth_identity *id)
{
	int64_t win = (int64_t)a->cfg.hmac_window_s * 1000, ts;
	unsigned char got[32], want[32];
	char secret[80], aad[64], mac_hex[65];
	struct key_copy k = { 0 };
	struct store_sealed in;
	enum auth_reason res;
	struct user u;
	unsigned scopes;
	size_t n;
	int rc;

	memset(id, 0, sizeof(*id));
	if (r == NULL || !signed_fields_ok(r))
		return AUTH_SIG_MALFORMED;
	ts = strtoll(r->timestamp, NULL, 10);
	if (ts < now_ms - win || ts > now_ms + win)
		return AUTH_SIG_STALE;
	rc = store_api_key_get(a->s, r->key_id, key_copy, &k);
	if (rc == QD_ERR_NOTFOUND)
		return AUTH_KEY_UNKNOWN;
	if (rc != QD_OK)
		return AUTH_ERROR;
	if (k.revoked_ms != 0)
		return AUTH_KEY_REVOKED;
	in.key_id = k.key_id;
	in.nonce = k.nonce;
	in.ct = k.ct;
	vault_aad(STORE_SEALED_API_KEY, r->key_id, aad, sizeof(aad));
	if (vault_unseal(a->v, aad, &in, secret, sizeof(secret), &n) != QD_OK)
		return AUTH_ERROR;
	rc = auth_hmac_sign(secret, r, mac_hex, sizeof(mac_hex));
	OPENSSL_cleanse(secret, sizeof(secret));
	if (rc != QD_OK || hexbytes(mac_hex, want, 32) != 0 ||
	    hexbytes(r->signature, got, 32) != 0)
		return AUTH_ERROR;
	if (CRYPTO_memcmp(got, want, 32) != 0)
		return AUTH_SIG_INVALID;
	if (user_get(a, NULL, k.user_id, &u) != QD_OK || u.disabled)
		return AUTH_DISABLED;
	/* a key cannot do more than its user's role allows now */
	scopes = (unsigned)auth_scopes_parse(k.scopes) & role_scopes(u.role);
	if ((need & ~scopes) != 0)
		return AUTH_SCOPE_DENIED;
	res = nonce_remember(a, r->key_id, r->nonce, ts + win + 1, now_ms);
	if (res != AUTH_OK)
		return res;
	id->user_id = u.id;
	snprintf(id->user, sizeof(id->user), "%s", u.name);
	snprintf(id->role, sizeof(id->role), "%s", u.role);
	snprintf(id->plan, sizeof(id->plan), "%s", u.plan);
	snprintf(id->key_id, sizeof(id->key_id), "%s", r->key_id);
	id->scopes = scopes;
	return AUTH_OK;
}
