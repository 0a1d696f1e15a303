/*
 * bench_auth.c -- what authenticating one API request costs, against the
 * cryptography it cannot avoid:
 *   - auth_token_verify() of an access token vs one raw HMAC-SHA256 of
 *     the same header.payload (the signature check it must do);
 *   - auth_apikey_verify() of a signed request (SQLite key lookup, AES-GCM
 *     unseal, HMAC, nonce cache) vs one raw HMAC-SHA256 of its canonical
 *     string;
 *   - limiter_take() over 10,000 keys vs a bare loop's hash of the key.
 * Each figure is the median of 5 runs; printed as operations per second
 * and the ratio to the limit.  argon2id (a login) is printed alone: it is
 * slow on purpose.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <quantd/sdk.h>

#include "auth/auth.h"
#include "bench.h"
#include "limit/limit.h"
#include "store/store.h"
#include "vault/vault.h"

#define RUNS 5
#define T0 1700000000000LL

static volatile unsigned sink;

static double
raw_hmac(const char *key, const char *msg, int n)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int len;
	double t0 = bench_now();
	int i;

	for (i = 0; i < n; i++) {
		HMAC(EVP_sha256(), key, (int)strlen(key),
			(const unsigned char *)msg, strlen(msg), mac, &len);
		sink += mac[0];
	}
	return n / (bench_now() - t0);
}

static void
line(const char *what, double ours, const char *limit, double lim)
{
	printf("  %-28s %10.0f /s   %-26s %10.0f /s   %.2fx of the limit\n",
		what, ours, limit, lim, ours / lim);
}

int
main(void)
{
	double a[RUNS], b[RUNS], t0;
	struct auth_config c;
	struct auth_tokens tok;
	struct auth_identity id;
	struct auth_api_key_new k;
	struct auth_signed_request r = { 0 };
	struct store *s = NULL;
	struct vault *v = NULL;
	struct auth *au = NULL;
	struct limiter *l = NULL;
	char path[64], err[600], ts[24], nonce[32], sig[65], key[32], canon[512];
	const char *body = "{\"symbol\":\"BTC/USDT\",\"side\":\"buy\"}";
	int64_t uid;
	int i, j, retry, n = 20000;

	setenv("QD_BENCH_JWT", "bench-secret-of-at-least-thirty-two-bytes", 1);
	setenv("QD_BENCH_MK", "000102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1f", 1);
	snprintf(path, sizeof(path), "/tmp/qd-bench-auth-%d.db", (int)getpid());
	unlink(path);
	if (store_open(path, STORE_ROLE_ADMIN, &s, err, sizeof(err)) != QD_OK ||
	    vault_new(&v) != QD_OK ||
	    vault_load(v, "m=env:QD_BENCH_MK", err, sizeof(err)) != QD_OK)
		bench_die("bench_auth", "store/vault");
	auth_config_defaults(&c);
	c.jwt_secret = "env:QD_BENCH_JWT";
	c.nonce_cache_max = 1000000;
	if (auth_new(&c, s, v, &au, err, sizeof(err)) != QD_OK)
		bench_die("bench_auth", "auth_new");

	t0 = bench_now();
	if (auth_user_add(au, "bench", "u", "bench password", "trader", "free",
	    &uid) != QD_OK)
		bench_die("bench_auth", "user add");
	printf("auth: one request's authentication (median of %d)\n", RUNS);
	printf("  argon2id hash (t=3, 64 MiB) %.0f ms: a login's cost, on "
		"purpose\n", (bench_now() - t0) * 1e3);
	if (auth_login(au, "u", "bench password", NULL, "127.0.0.1", T0, &tok,
	    &retry) != AUTH_OK ||
	    auth_apikey_create(au, "bench", "u", AUTH_SCOPE_READ, "", &k) !=
	    QD_OK)
		bench_die("bench_auth", "login/key");

	for (j = 0; j < RUNS; j++) {
		t0 = bench_now();
		for (i = 0; i < n; i++)
			if (auth_token_verify(au, tok.access, T0 + 1000, &id) !=
			    AUTH_OK)
				bench_die("bench_auth", "token verify");
		a[j] = n / (bench_now() - t0);
		snprintf(canon, sizeof(canon), "%.*s",
			(int)(strrchr(tok.access, '.') - tok.access),
			tok.access);
		b[j] = raw_hmac("bench-secret-of-at-least-thirty-two-bytes",
			canon, n);
	}
	line("token verify", bench_median(a, RUNS), "raw HMAC-SHA256",
		bench_median(b, RUNS));

	r.key_id = k.id;
	r.timestamp = ts;
	r.nonce = nonce;
	r.signature = sig;
	r.method = "POST";
	r.path_query = "/api/v1/orders";
	r.body = body;
	r.body_len = strlen(body);
	snprintf(ts, sizeof(ts), "%lld", (long long)T0);
	for (j = 0; j < RUNS; j++) {
		t0 = bench_now();
		for (i = 0; i < n / 4; i++) {
			snprintf(nonce, sizeof(nonce), "n%03d-%012d", j, i);
			auth_hmac_sign(k.secret, &r, sig, sizeof(sig));
			if (auth_apikey_verify(au, &r, AUTH_SCOPE_READ, T0,
			    &id) != AUTH_OK)
				bench_die("bench_auth", "signed request");
		}
		/* each loop signs (client side) and verifies: count both */
		a[j] = (n / 4) / (bench_now() - t0);
		snprintf(canon, sizeof(canon), "%s\n%s\nPOST\n/api/v1/orders\n"
			"%064d", ts, nonce, 0);
		b[j] = raw_hmac(k.secret, canon, n / 4);
	}
	line("signed request sign+verify", bench_median(a, RUNS),
		"raw HMAC-SHA256", bench_median(b, RUNS));

	if (limiter_new(65536, &l) != QD_OK)
		bench_die("bench_auth", "limiter");
	n = 1000000;
	for (j = 0; j < RUNS; j++) {
		t0 = bench_now();
		for (i = 0; i < n; i++) {
			snprintf(key, sizeof(key), "user:%d", i % 10000);
			sink += (unsigned)limiter_take(l, key, 1000, 60000,
				T0 + i / 1000, &retry);
		}
		a[j] = n / (bench_now() - t0);
		t0 = bench_now();
		for (i = 0; i < n; i++) {
			uint64_t h = 1469598103934665603ULL;
			const char *p;

			snprintf(key, sizeof(key), "user:%d", i % 10000);
			for (p = key; *p; p++)
				h = (h ^ (unsigned char)*p) * 1099511628211ULL;
			sink += (unsigned)h;
		}
		b[j] = n / (bench_now() - t0);
	}
	line("limiter take (10k keys)", bench_median(a, RUNS),
		"format + hash the key", bench_median(b, RUNS));

	limiter_free(l);
	auth_free(au);
	vault_free(v);
	store_close(s);
	unlink(path);
	return 0;
}
