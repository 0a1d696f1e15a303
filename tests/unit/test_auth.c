/*
 * test_auth.c -- users and auth over a real SQLite store: RFC 6238
 * vectors, argon2id, JWT refusals (alg=none, HS/RS confusion, other
 * algorithms, tampering, issuer, exp, nbf), refresh reuse revoking a
 * family, 2FA enrolment, API key HMAC (ok, stale, replayed, wrong), login
 * throttling and the audit log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <quantd/sdk.h>

#include "auth/auth.h"
#include "store/store.h"
#include "vault/vault.h"

#define JWT_SECRET "0123456789abcdef0123456789abcdef-test-only"
#define MASTER "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define T0 1700000000000LL  /* a fixed clock, ms */

struct fx {
	char path[64];
	struct store *s;
	struct vault *v;
	struct auth *a;
};

static struct auth *
auth_with(struct fx *f, const char *issuer)
{
	struct auth_config c;
	struct auth *a = NULL;
	char err[256];

	auth_config_defaults(&c);
	c.jwt_secret = "env:QD_TEST_JWT";
	c.argon_t_cost = 1;        /* fast tests; defaults are t=3, 64 MiB */
	c.argon_m_cost_kib = 1024;
	c.nonce_cache_max = 48;  /* a table of 128 slots: purged at 48 */
	if (issuer != NULL)
		c.issuer = issuer;
	if (auth_new(&c, f->s, f->v, &a, err, sizeof(err)) != QD_OK)
		fail_msg("auth_new: %s", err);
	return a;
}

static int
setup(void **st)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[512];
	int64_t id;

	setenv("QD_TEST_JWT", JWT_SECRET, 1);
	setenv("QD_TEST_MASTER", MASTER, 1);
	snprintf(f->path, sizeof(f->path), "/tmp/qd-auth-%d.db", (int)getpid());
	unlink(f->path);
	if (store_open(f->path, STORE_ROLE_ADMIN, &f->s, err, sizeof(err)) !=
	    QD_OK)
		fail_msg("store_open: %s", err);
	assert_int_equal(vault_new(&f->v), QD_OK);
	assert_int_equal(vault_load(f->v, "m1=env:QD_TEST_MASTER", err,
		sizeof(err)), QD_OK);
	f->a = auth_with(f, NULL);
	assert_int_equal(auth_user_add(f->a, "test", "alice",
		"correct horse battery", "trader", "free", &id), QD_OK);
	assert_int_equal(auth_user_add(f->a, "test", "root",
		"admin password 1", "admin", "enterprise", &id), QD_OK);
	*st = f;
	return 0;
}

static int
teardown(void **st)
{
	struct fx *f = *st;

	auth_free(f->a);
	vault_free(f->v);
	store_close(f->s);
	unlink(f->path);
	free(f);
	return 0;
}

static void
totp_rfc6238_vectors(void **st)
{
	static const struct {
		int64_t t;
		const char *code;
	} v[] = {
		{ 59, "94287082" }, { 1111111109, "07081804" },
		{ 1111111111, "14050471" }, { 1234567890, "89005924" },
		{ 2000000000, "69279037" }, { 20000000000LL, "65353130" },
	};
	char out[16];
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(auth_totp_code("12345678901234567890", 20,
			v[i].t, 8, out), QD_OK);
		if (strcmp(out, v[i].code) != 0)
			fail_msg("T=%lld: got %s, RFC 6238 says %s",
				(long long)v[i].t, out, v[i].code);
	}
	assert_int_equal(auth_totp_code("12345678901234567890", 20, 59, 6,
		out), QD_OK);
	assert_string_equal(out, "287082");
	assert_int_equal(auth_totp_code("x", 1, 59, 5, out), QD_ERR_INVALID);
}

static int
hash_of(void *arg, const struct store_user *u)
{
	snprintf(arg, 256, "%s", u->pass_hash);
	return 1;
}

static void
argon2id_verify_and_refuse(void **st)
{
	struct fx *f = *st;
	struct auth_config c;
	struct auth *strong = NULL;
	char h[256], err[256];
	int rehash = -1;

	assert_int_equal(auth_password_hash(f->a, "s3cret pass", h,
		sizeof(h)), QD_OK);
	assert_non_null(strstr(h, "$argon2id$v=19$m=1024,t=1,p=1$"));
	assert_int_equal(auth_password_verify(f->a, h, "s3cret pass",
		&rehash), QD_OK);
	assert_int_equal(rehash, 0);
	assert_int_equal(auth_password_verify(f->a, h, "s3cret pasS",
		&rehash), QD_ERR_DENIED);
	assert_int_equal(auth_password_verify(f->a, "$2y$10$bcrypt",
		"x", &rehash), QD_ERR_INVALID);
	/* two hashes of one password differ (salt) */
	{
		char h2[256];

		assert_int_equal(auth_password_hash(f->a, "s3cret pass", h2,
			sizeof(h2)), QD_OK);
		assert_string_not_equal(h, h2);
	}
	/* other parameters: still verifies, asks for a rehash */
	auth_config_defaults(&c);
	c.jwt_secret = "env:QD_TEST_JWT";
	c.argon_t_cost = 2;
	c.argon_m_cost_kib = 2048;
	assert_int_equal(auth_new(&c, f->s, f->v, &strong, err, sizeof(err)),
		QD_OK);
	assert_int_equal(auth_password_verify(strong, h, "s3cret pass",
		&rehash), QD_OK);
	assert_int_equal(rehash, 1);
	/* a login under the new parameters stores a new hash with them */
	{
		struct auth_tokens t;
		int retry;

		assert_int_equal(auth_login(strong, "alice",
			"correct horse battery", NULL, "10.0.0.1", T0, &t,
			&retry), AUTH_OK);
		assert_int_equal(store_user_get(f->s, "alice", 0, hash_of, h),
			QD_OK);
		assert_non_null(strstr(h, "$argon2id$v=19$m=2048,t=2,p=1$"));
		assert_int_equal(auth_login(f->a, "alice",
			"correct horse battery", NULL, "10.0.0.1", T0, &t,
			&retry), AUTH_OK);
	}
	auth_free(strong);
}

static void
login(struct fx *f, const char *name, const char *pw, const char *otp,
	int64_t now, struct auth_tokens *t)
{
	int retry = 0;
	enum auth_reason r = auth_login(f->a, name, pw, otp, "10.0.0.1", now, t,
		&retry);

	if (r != AUTH_OK)
		fail_msg("login %s: %s", name, auth_reason_code(r));
}

static void
b64url(const void *in, size_t n, char *out)
{
	size_t i, k = (size_t)EVP_EncodeBlock((unsigned char *)out, in,
		(int)n);

	for (i = 0; i < k; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	while (k > 0 && out[k - 1] == '=')
		out[--k] = '\0';
}

/* A token with this header and payload, signed HMAC-SHA256 with key (or
 * unsigned when key is NULL). */
static void
forge(const char *header, const char *payload, const char *key, char *out)
{
	unsigned char mac[64];
	unsigned int len = 0;
	char h[512], p[1024], sig[128] = "";

	b64url(header, strlen(header), h);
	b64url(payload, strlen(payload), p);
	sprintf(out, "%s.%s", h, p);
	if (key != NULL) {
		HMAC(EVP_sha256(), key, (int)strlen(key),
			(unsigned char *)out, strlen(out), mac, &len);
		b64url(mac, len, sig);
	}
	strcat(out, ".");
	strcat(out, sig);
}

static void
jwt_refusals(void **st)
{
	struct fx *f = *st;
	struct auth_identity id;
	struct auth_tokens t;
	struct auth *other;
	char tok[2048], payload[512];
	int64_t now = T0 / 1000;

	login(f, "alice", "correct horse battery", NULL, T0, &t);
	assert_int_equal(auth_token_verify(f->a, t.access, T0 + 1000, &id),
		AUTH_OK);
	assert_string_equal(id.user, "alice");
	assert_string_equal(id.role, "trader");
	assert_string_equal(id.plan, "free");
	assert_int_equal(id.scopes, AUTH_SCOPE_READ | AUTH_SCOPE_TRADE);
	assert_int_equal(id.expires_ms, T0 + 900000);
	assert_int_equal(strlen(id.jti), 32);

	/* expired after 15 minutes; not valid before its nbf */
	assert_int_equal(auth_token_verify(f->a, t.access, T0 + 900000, &id),
		AUTH_TOKEN_EXPIRED);
	assert_int_equal(auth_token_verify(f->a, t.access, T0 - 5000, &id),
		AUTH_TOKEN_NOT_YET_VALID);
	/* tampered: the payload changed, the signature kept */
	snprintf(payload, sizeof(payload), "{\"iss\":\"quantd\",\"sub\":\"1\","
		"\"name\":\"alice\",\"role\":\"admin\",\"plan\":\"free\","
		"\"jti\":\"x\",\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld}",
		(long long)now, (long long)now, (long long)now + 900);
	forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, JWT_SECRET, tok);
	assert_int_equal(auth_token_verify(f->a, tok, T0, &id), AUTH_OK);
	{
		char *sig = strrchr(t.access, '.'), copy[2048];

		snprintf(copy, sizeof(copy), "%.*s%s",
			(int)(strchr(tok, '.') - tok + 1 +
			(strrchr(tok, '.') - strchr(tok, '.') - 1)), tok, sig);
		assert_int_equal(auth_token_verify(f->a, copy, T0, &id),
			AUTH_TOKEN_SIGNATURE);
	}
	forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, "another secret "
		"of thirty-two bytes!", tok);
	assert_int_equal(auth_token_verify(f->a, tok, T0, &id),
		AUTH_TOKEN_SIGNATURE);
	/* alg=none, unsigned */
	forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, NULL, tok);
	assert_int_equal(auth_token_verify(f->a, tok, T0, &id), AUTH_TOKEN_ALG);
	/* HS/RS confusion: RS256 in the header, HMAC'd with the secret */
	forge("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", payload, JWT_SECRET, tok);
	assert_int_equal(auth_token_verify(f->a, tok, T0, &id), AUTH_TOKEN_ALG);
	forge("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", payload, JWT_SECRET, tok);
	assert_int_equal(auth_token_verify(f->a, tok, T0, &id), AUTH_TOKEN_ALG);
	/* wrong issuer: same secret, another issuer */
	other = auth_with(f, "someone-else");
	{
		struct auth_tokens t2;
		int retry;

		assert_int_equal(auth_login(other, "alice",
			"correct horse battery", NULL, "10.0.0.1", T0, &t2,
			&retry), AUTH_OK);
		assert_int_equal(auth_token_verify(f->a, t2.access, T0, &id),
			AUTH_TOKEN_ISSUER);
	}
	auth_free(other);
	/* a claim missing */
	snprintf(payload, sizeof(payload), "{\"iss\":\"quantd\",\"sub\":\"1\","
		"\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld}", (long long)now,
		(long long)now, (long long)now + 900);
	forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, JWT_SECRET, tok);
	assert_int_equal(auth_token_verify(f->a, tok, T0, &id),
		AUTH_TOKEN_CLAIMS);
	/* not a JWT */
	assert_int_equal(auth_token_verify(f->a, "abc", T0, &id),
		AUTH_TOKEN_MALFORMED);
	assert_int_equal(auth_token_verify(f->a, "a.b.c.d", T0, &id),
		AUTH_TOKEN_MALFORMED);
	assert_int_equal(auth_token_verify(f->a, "a b.c.d", T0, &id),
		AUTH_TOKEN_MALFORMED);
	assert_int_equal(auth_token_verify(f->a, "", T0, &id),
		AUTH_TOKEN_MALFORMED);
	assert_string_equal(auth_reason_code(AUTH_TOKEN_EXPIRED),
		"token_expired");
	assert_int_equal(auth_reason_status(AUTH_THROTTLED), 429);
}

static void
refresh_reuse_revokes_family(void **st)
{
	struct fx *f = *st;
	struct auth_tokens t1, t2, t3, other;
	char first[80];

	login(f, "alice", "correct horse battery", NULL, T0, &t1);
	login(f, "alice", "correct horse battery", NULL, T0, &other);
	strcpy(first, t1.refresh);
	assert_int_equal(auth_refresh(f->a, t1.refresh, "10.0.0.1", T0 + 1000,
		&t2), AUTH_OK);
	assert_string_not_equal(t2.refresh, t1.refresh);
	assert_string_not_equal(t2.access, t1.access);
	assert_int_equal(auth_refresh(f->a, t2.refresh, "10.0.0.1", T0 + 2000,
		&t3), AUTH_OK);
	/* the first token again: the whole family is revoked */
	assert_int_equal(auth_refresh(f->a, first, "10.6.6.6", T0 + 3000,
		&t2), AUTH_REFRESH_REUSED);
	assert_int_equal(auth_refresh(f->a, t3.refresh, "10.0.0.1", T0 + 4000,
		&t2), AUTH_REFRESH_REVOKED);
	/* another login's family is untouched */
	assert_int_equal(auth_refresh(f->a, other.refresh, "10.0.0.1",
		T0 + 4000, &t2), AUTH_OK);
	/* unknown, expired, logout */
	assert_int_equal(auth_refresh(f->a, "rt_00", "", T0, &t3),
		AUTH_REFRESH_UNKNOWN);
	assert_int_equal(auth_refresh(f->a, t2.refresh, "", T0 +
		31LL * 86400000, &t3), AUTH_REFRESH_EXPIRED);
	login(f, "alice", "correct horse battery", NULL, T0, &t1);
	assert_int_equal(auth_logout(f->a, t1.refresh), QD_OK);
	assert_int_equal(auth_refresh(f->a, t1.refresh, "", T0, &t3),
		AUTH_REFRESH_REVOKED);
	/* a password change ends every session */
	login(f, "alice", "correct horse battery", NULL, T0, &t1);
	assert_int_equal(auth_user_passwd(f->a, "alice", "alice",
		"a new long password"), QD_OK);
	assert_int_equal(auth_refresh(f->a, t1.refresh, "", T0, &t3),
		AUTH_REFRESH_REVOKED);
	login(f, "alice", "a new long password", NULL, T0, &t1);
}

static void
totp_enrolment_and_login(void **st)
{
	struct fx *f = *st;
	struct auth_totp_enrolment e;
	char codes[AUTH_RECOVERY_CODES][AUTH_RECOVERY_LEN], code[16];
	unsigned char secret[64];
	size_t n = 0;
	struct auth_tokens t;
	char *raw = NULL;
	int retry, i;

	assert_int_equal(auth_totp_enroll(f->a, "alice", &e), QD_OK);
	assert_int_equal(strlen(e.secret_b32), 32);
	assert_non_null(strstr(e.uri, "otpauth://totp/quantd:alice?secret="));
	assert_non_null(strstr(e.uri, "&digits=6&period=30"));
	assert_non_null(e.svg);
	assert_true(strncmp(e.svg, "<svg ", 5) == 0);
	assert_non_null(strstr(e.svg, "</svg>"));
	/* the user's app: decode the Base32 secret */
	{
		extern int oath_base32_decode(const char *, size_t, char **,
			size_t *);

		assert_int_equal(oath_base32_decode(e.secret_b32,
			strlen(e.secret_b32), &raw, &n), 0);
		assert_int_equal(n, 20);
		memcpy(secret, raw, n);
		free(raw);
	}
	auth_totp_enrolment_free(&e);
	/* not on until confirmed: login needs no code */
	login(f, "alice", "correct horse battery", NULL, T0, &t);
	assert_int_equal(auth_totp_code(secret, n, T0 / 1000, 6, code), QD_OK);
	assert_int_equal(auth_totp_confirm(f->a, "alice", "000000", T0, codes),
		(strcmp(code, "000000") == 0 ? AUTH_OK : AUTH_2FA_INVALID));
	assert_int_equal(auth_totp_confirm(f->a, "alice", code, T0, codes),
		AUTH_OK);
	for (i = 0; i < AUTH_RECOVERY_CODES; i++)
		assert_int_equal(strlen(codes[i]), 17);
	assert_int_equal(auth_totp_confirm(f->a, "alice", code, T0, codes),
		AUTH_2FA_STATE);
	assert_int_equal(auth_totp_enroll(f->a, "alice", &e), QD_ERR_STATE);
	/* now a code is required */
	assert_int_equal(auth_login(f->a, "alice", "correct horse battery",
		NULL, "10.0.0.1", T0 + 30000, &t, &retry), AUTH_2FA_REQUIRED);
	/* the confirming code's step is used: the next step's code, one
	 * step late (window +-1) */
	assert_int_equal(auth_totp_code(secret, n, T0 / 1000 + 30, 6, code),
		QD_OK);
	assert_int_equal(auth_login(f->a, "alice", "correct horse battery",
		code, "10.0.0.1", T0 + 60000, &t, &retry), AUTH_OK);
	/* the same code again is refused */
	assert_int_equal(auth_login(f->a, "alice", "correct horse battery",
		code, "10.0.0.1", T0 + 61000, &t, &retry), AUTH_2FA_REUSED);
	/* two steps away is outside the window */
	assert_int_equal(auth_totp_code(secret, n, T0 / 1000 + 150, 6, code),
		QD_OK);
	assert_int_equal(auth_login(f->a, "alice", "correct horse battery",
		code, "10.0.0.1", T0 + 60000, &t, &retry), AUTH_2FA_INVALID);
	/* a recovery code works once, with or without dashes */
	assert_int_equal(auth_login(f->a, "alice", "correct horse battery",
		codes[3], "10.0.0.1", T0 + 62000, &t, &retry), AUTH_OK);
	assert_int_equal(auth_login(f->a, "alice", "correct horse battery",
		codes[3], "10.0.0.1", T0 + 63000, &t, &retry),
		AUTH_2FA_INVALID);
	/* disabling 2FA */
	assert_int_equal(auth_totp_disable(f->a, "root", "alice"), QD_OK);
	login(f, "alice", "correct horse battery", NULL, T0 + 64000, &t);
}

static void
sign(const char *secret, struct auth_signed_request *r, char *sig)
{
	assert_int_equal(auth_hmac_sign(secret, r, sig, 65), QD_OK);
	r->signature = sig;
}

static void
apikey_hmac(void **st)
{
	struct fx *f = *st;
	struct auth_api_key_new k, ka;
	struct auth_identity id;
	struct auth_signed_request r;
	char ts[24], sig[65], bad[65];
	const char *body = "{\"symbol\":\"BTC/USDT\",\"qty\":\"0.01\"}";

	assert_int_equal(auth_apikey_create(f->a, "alice", "alice",
		AUTH_SCOPE_READ | AUTH_SCOPE_TRADE, "bot", &k), QD_OK);
	assert_int_equal(strncmp(k.id, "qk_", 3), 0);
	assert_int_equal(strlen(k.secret), 64);
	/* a trader cannot make an admin key */
	assert_int_equal(auth_apikey_create(f->a, "alice", "alice",
		AUTH_SCOPE_ADMIN, "", &ka), QD_ERR_DENIED);

	snprintf(ts, sizeof(ts), "%lld", (long long)T0);
	memset(&r, 0, sizeof(r));
	r.key_id = k.id;
	r.timestamp = ts;
	r.nonce = "nonce-0000000001";
	r.method = "POST";
	r.path_query = "/api/v1/orders?dry=1";
	r.body = body;
	r.body_len = strlen(body);
	sign(k.secret, &r, sig);
	assert_int_equal(auth_apikey_verify(f->a, &r, AUTH_SCOPE_TRADE,
		T0 + 5000, &id), AUTH_OK);
	assert_string_equal(id.user, "alice");
	assert_string_equal(id.key_id, k.id);
	assert_string_equal(id.plan, "free");
	/* the same nonce again: replay */
	assert_int_equal(auth_apikey_verify(f->a, &r, AUTH_SCOPE_TRADE,
		T0 + 6000, &id), AUTH_SIG_REPLAYED);
	/* stale and future timestamps (window 30 s) */
	r.nonce = "nonce-0000000002";
	sign(k.secret, &r, sig);
	assert_int_equal(auth_apikey_verify(f->a, &r, 0, T0 + 30001, &id),
		AUTH_SIG_STALE);
	assert_int_equal(auth_apikey_verify(f->a, &r, 0, T0 - 30001, &id),
		AUTH_SIG_STALE);
	/* a wrong signature: another body, another secret */
	r.body = "{}";
	r.body_len = 2;
	assert_int_equal(auth_apikey_verify(f->a, &r, 0, T0, &id),
		AUTH_SIG_INVALID);
	sign("0000000000000000000000000000000000000000000000000000000000000000",
		&r, bad);
	assert_int_equal(auth_apikey_verify(f->a, &r, 0, T0, &id),
		AUTH_SIG_INVALID);
	/* a failed request did not burn its nonce */
	sign(k.secret, &r, sig);
	assert_int_equal(auth_apikey_verify(f->a, &r, AUTH_SCOPE_READ, T0,
		&id), AUTH_OK);
	/* scope */
	r.nonce = "nonce-0000000003";
	sign(k.secret, &r, sig);
	assert_int_equal(auth_apikey_verify(f->a, &r, AUTH_SCOPE_ADMIN, T0,
		&id), AUTH_SCOPE_DENIED);
	/* malformed fields */
	r.nonce = "short";
	assert_int_equal(auth_apikey_verify(f->a, &r, 0, T0, &id),
		AUTH_SIG_MALFORMED);
	r.nonce = "nonce-0000000004";
	r.timestamp = "12x";
	assert_int_equal(auth_apikey_verify(f->a, &r, 0, T0, &id),
		AUTH_SIG_MALFORMED);
	r.timestamp = ts;
	r.key_id = "qk_000000000000000000000000";
	sign(k.secret, &r, sig);
	assert_int_equal(auth_apikey_verify(f->a, &r, 0, T0, &id),
		AUTH_KEY_UNKNOWN);
	/* revoked */
	r.key_id = k.id;
	sign(k.secret, &r, sig);
	assert_int_equal(auth_apikey_revoke(f->a, "alice", k.id), QD_OK);
	assert_int_equal(auth_apikey_verify(f->a, &r, 0, T0, &id),
		AUTH_KEY_REVOKED);
	assert_int_equal(auth_apikey_revoke(f->a, "alice", k.id),
		QD_ERR_NOTFOUND);
}

static void
nonce_cache_is_bounded(void **st)
{
	struct fx *f = *st;
	struct auth_api_key_new k;
	struct auth_identity id;
	struct auth_signed_request r = { 0 };
	char ts[24], sig[65], nonce[32];
	int i;

	assert_int_equal(auth_apikey_create(f->a, "root", "root",
		AUTH_SCOPE_READ, "", &k), QD_OK);
	snprintf(ts, sizeof(ts), "%lld", (long long)T0);
	r.key_id = k.id;
	r.timestamp = ts;
	r.nonce = nonce;
	r.method = "GET";
	r.path_query = "/api/v1/positions";
	/* the cache holds 48 here: the 49th live nonce is refused */
	for (i = 0; i < 49; i++) {
		snprintf(nonce, sizeof(nonce), "n-%014d", i);
		sign(k.secret, &r, sig);
		assert_int_equal(auth_apikey_verify(f->a, &r, 0, T0, &id),
			i < 48 ? AUTH_OK : AUTH_REPLAY_FULL);
	}
	/* once their window has passed they are forgotten */
	snprintf(ts, sizeof(ts), "%lld", (long long)T0 + 61000);
	for (i = 0; i < 200; i++) {
		snprintf(nonce, sizeof(nonce), "m-%014d", i);
		sign(k.secret, &r, sig);
		snprintf(ts, sizeof(ts), "%lld", (long long)T0 + 61000 +
			(i / 40) * 61000);
		sign(k.secret, &r, sig);
		assert_int_equal(auth_apikey_verify(f->a, &r, 0, T0 + 61000 +
			(i / 40) * 61000, &id), AUTH_OK);
	}
}

static void
login_throttling(void **st)
{
	struct fx *f = *st;
	struct auth_tokens t;
	int retry = 0, i;

	for (i = 0; i < 5; i++)
		assert_int_equal(auth_login(f->a, "alice", "wrong password",
			NULL, "10.0.0.9", T0 + i, &t, &retry),
			AUTH_BAD_CREDENTIALS);
	/* the right password no longer gets in for a while */
	assert_int_equal(auth_login(f->a, "alice", "correct horse battery",
		NULL, "10.0.0.8", T0 + 10, &t, &retry), AUTH_THROTTLED);
	assert_true(retry > 0 && retry <= 180);
	/* another account from that IP still may */
	assert_int_equal(auth_login(f->a, "root", "admin password 1", NULL,
		"10.0.0.9", T0 + 10, &t, &retry), AUTH_OK);
	/* after the account's bucket refills a token (15 min / 5) */
	assert_int_equal(auth_login(f->a, "alice", "correct horse battery",
		NULL, "10.0.0.8", T0 + 181000, &t, &retry), AUTH_OK);
	/* per IP: 20 failures over several (unknown) accounts */
	for (i = 0; i < 20; i++) {
		char name[32];

		snprintf(name, sizeof(name), "nobody%d", i);
		assert_int_equal(auth_login(f->a, name, "whatever pw", NULL,
			"10.9.9.9", T0 + 200000, &t, &retry),
			AUTH_BAD_CREDENTIALS);
	}
	assert_int_equal(auth_login(f->a, "root", "admin password 1", NULL,
		"10.9.9.9", T0 + 200000, &t, &retry), AUTH_THROTTLED);
}

struct seen {
	char log[4096];
};

static int
audit_row(void *arg, const struct store_audit *a)
{
	struct seen *s = arg;
	size_t n = strlen(s->log);

	snprintf(s->log + n, sizeof(s->log) - n, "%s:%s:%d\n", a->action,
		a->target, a->ok);
	return 0;
}

static void
users_and_audit(void **st)
{
	struct fx *f = *st;
	struct auth_tokens t;
	struct seen s = { "" };
	int retry;
	int64_t id;

	assert_int_equal(auth_user_add(f->a, "root", "alice", "another pw 12",
		"viewer", "free", &id), QD_ERR_STATE);
	assert_int_equal(auth_user_add(f->a, "root", "bad name!", "another pw",
		"viewer", "free", &id), QD_ERR_INVALID);
	assert_int_equal(auth_user_add(f->a, "root", "bob", "short",
		"viewer", "free", &id), QD_ERR_INVALID);
	assert_int_equal(auth_user_add(f->a, "root", "bob", "long enough",
		"boss", "free", &id), QD_ERR_INVALID);
	assert_int_equal(auth_user_role(f->a, "root", "alice", "viewer"),
		QD_OK);
	assert_int_equal(auth_user_plan(f->a, "root", "alice", "pro"), QD_OK);
	assert_int_equal(auth_user_plan(f->a, "root", "alice", "gold"),
		QD_ERR_INVALID);
	login(f, "alice", "correct horse battery", NULL, T0, &t);
	{
		struct auth_identity id2;

		assert_int_equal(auth_token_verify(f->a, t.access, T0, &id2),
			AUTH_OK);
		assert_string_equal(id2.role, "viewer");
		assert_string_equal(id2.plan, "pro");
	}
	assert_int_equal(auth_user_disable(f->a, "root", "alice", 1), QD_OK);
	assert_int_equal(auth_login(f->a, "alice", "correct horse battery",
		NULL, "10.0.0.1", T0, &t, &retry), AUTH_DISABLED);
	assert_int_equal(auth_user_disable(f->a, "root", "alice", 0), QD_OK);
	login(f, "alice", "correct horse battery", NULL, T0, &t);
	assert_int_equal(auth_login(f->a, "alice", "nope nope", NULL,
		"10.0.0.1", T0, &t, &retry), AUTH_BAD_CREDENTIALS);
	assert_int_equal(store_audit(f->s, 0, 0, audit_row, &s), QD_OK);
	assert_non_null(strstr(s.log, "user.add:alice:1\n"));
	assert_non_null(strstr(s.log, "user.role:alice:1\n"));
	assert_non_null(strstr(s.log, "user.plan:alice:1\n"));
	assert_non_null(strstr(s.log, "user.plan:alice:0\n"));
	assert_non_null(strstr(s.log, "user.disable:alice:1\n"));
	assert_non_null(strstr(s.log, "user.enable:alice:1\n"));
	assert_non_null(strstr(s.log, "login.ok:alice:1\n"));
	assert_non_null(strstr(s.log, "login.failed:alice:0\n"));
	/* no password ever reaches the log */
	assert_null(strstr(s.log, "horse"));
	assert_null(strstr(s.log, "nope"));
}

static void
bad_config_refused(void **st)
{
	struct fx *f = *st;
	struct auth_config c;
	struct auth *a = NULL;
	char err[256];

	auth_config_defaults(&c);
	c.jwt_secret = "env:QD_TEST_JWT_UNSET";
	unsetenv("QD_TEST_JWT_UNSET");
	assert_int_equal(auth_new(&c, f->s, f->v, &a, err, sizeof(err)),
		QD_ERR_INVALID);
	assert_non_null(strstr(err, "jwt_secret"));
	/* without a JWT secret: users are managed, no token is issued */
	c.jwt_secret = NULL;
	assert_int_equal(auth_new(&c, f->s, f->v, &a, err, sizeof(err)),
		QD_OK);
	{
		struct auth_tokens t;
		struct auth_identity id;
		int retry;

		assert_int_equal(auth_user_passwd(a, "root", "alice",
			"yet another password"), QD_OK);
		assert_int_equal(auth_login(a, "alice", "yet another password",
			NULL, "", T0, &t, &retry), AUTH_ERROR);
		assert_int_equal(auth_token_verify(a, "a.b.c", T0, &id),
			AUTH_ERROR);
	}
	auth_free(a);
	setenv("QD_TEST_JWT_SHORT", "short", 1);
	c.jwt_secret = "env:QD_TEST_JWT_SHORT";
	assert_int_equal(auth_new(&c, f->s, f->v, &a, err, sizeof(err)),
		QD_ERR_INVALID);
	assert_null(strstr(err, "short\""));
	c.jwt_secret = "plain text";
	assert_int_equal(auth_new(&c, f->s, f->v, &a, err, sizeof(err)),
		QD_ERR_INVALID);
	assert_int_equal(auth_scopes_parse("read,trade"), 3);
	assert_int_equal(auth_scopes_parse("read,root"), -1);
	assert_int_equal(auth_scopes_parse(""), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(totp_rfc6238_vectors),
		cmocka_unit_test_setup_teardown(argon2id_verify_and_refuse,
			setup, teardown),
		cmocka_unit_test_setup_teardown(jwt_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(refresh_reuse_revokes_family,
			setup, teardown),
		cmocka_unit_test_setup_teardown(totp_enrolment_and_login,
			setup, teardown),
		cmocka_unit_test_setup_teardown(apikey_hmac, setup, teardown),
		cmocka_unit_test_setup_teardown(nonce_cache_is_bounded, setup,
			teardown),
		cmocka_unit_test_setup_teardown(login_throttling, setup,
			teardown),
		cmocka_unit_test_setup_teardown(users_and_audit, setup,
			teardown),
		cmocka_unit_test_setup_teardown(bad_config_refused, setup,
			teardown),
	};

	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
