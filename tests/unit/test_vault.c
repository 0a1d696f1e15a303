/*
 * test_vault.c -- secrets at rest: AES-256-GCM round trips, refusals
 * (unknown key id, tampered ciphertext, another row's AAD, a wrong key
 * under the same id) and rotation of every sealed row of a store.
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

#include <quantd/sdk.h>

#include "store/store.h"
#include "vault/vault.h"

#define K1 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
/* 32 bytes of 0x42 in Base64 */
#define K2 "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI="

static struct vault *
vault_with(const char *spec)
{
	struct vault *v = NULL;
	char err[256];

	assert_int_equal(vault_new(&v), QD_OK);
	if (vault_load(v, spec, err, sizeof(err)) != QD_OK)
		fail_msg("vault_load(%s): %s", spec, err);
	return v;
}

/* An empty SQLite store at /tmp/qd-vault-TAGPID.db (path), with both test
 * keys in the environment. */
static struct store *
fresh_store(const char *tag, char *path, size_t cap)
{
	struct store *s = NULL;
	char err[512];

	snprintf(path, cap, "/tmp/qd-vault-%s%d.db", tag, (int)getpid());
	unlink(path);
	if (store_open(path, STORE_ROLE_ADMIN, &s, err, sizeof(err)) != QD_OK)
		fail_msg("store_open(%s): %s", path, err);
	setenv("QD_TEST_K1", K1, 1);
	setenv("QD_TEST_K2", K2, 1);
	return s;
}

static void
round_trip(void **st)
{
	struct vault *v;
	struct vault_box b;
	struct store_sealed s;
	char out[64];
	size_t n;

	(void)st;
	setenv("QD_TEST_K1", K1, 1);
	v = vault_with("k1=env:QD_TEST_K1");
	assert_string_equal(vault_current(v), "k1");
	assert_int_equal(vault_seal(v, "credential:binance", "s3cret", 6, &b),
		QD_OK);
	assert_string_equal(b.key_id, "k1");
	assert_int_equal(strlen(b.nonce), 24);
	assert_int_equal(strlen(b.ct), 2 * (6 + 16));
	assert_null(strstr(b.ct, "s3cret"));
	s = vault_box_sealed(&b);
	assert_int_equal(vault_unseal(v, "credential:binance", &s, out,
		sizeof(out), &n), QD_OK);
	assert_int_equal(n, 6);
	assert_string_equal(out, "s3cret");
	/* A second seal of the same value has another nonce. */
	{
		struct vault_box b2;

		assert_int_equal(vault_seal(v, "credential:binance", "s3cret",
			6, &b2), QD_OK);
		assert_string_not_equal(b.nonce, b2.nonce);
		vault_box_free(&b2);
	}
	/* Too small a buffer. */
	assert_int_equal(vault_unseal(v, "credential:binance", &s, out, 3,
		&n), QD_ERR_LIMIT);
	vault_box_free(&b);
	vault_free(v);
}

static void
refusals(void **st)
{
	struct vault *v, *other;
	struct vault_box b;
	struct store_sealed s;
	char out[64], ct[256], fname[64];
	size_t n;
	FILE *f;

	(void)st;
	snprintf(fname, sizeof(fname), "/tmp/qd-vault-%d", (int)getpid());
	f = fopen(fname, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", K2);
	fclose(f);
	setenv("QD_TEST_K1", K1, 1);
	{
		char spec[128];

		snprintf(spec, sizeof(spec), "k2=file:%s", fname);
		other = vault_with(spec);
	}
	v = vault_with("k1=env:QD_TEST_K1");
	assert_int_equal(vault_seal(v, "apikey:AK1", "abc", 3, &b), QD_OK);
	s = vault_box_sealed(&b);
	/* unknown key id */
	assert_int_equal(vault_unseal(other, "apikey:AK1", &s, out,
		sizeof(out), &n), QD_ERR_NOTFOUND);
	/* another row's AAD: a ciphertext swapped between rows */
	assert_int_equal(vault_unseal(v, "apikey:AK2", &s, out, sizeof(out),
		&n), QD_ERR_DENIED);
	/* tampered ciphertext, then tampered tag */
	snprintf(ct, sizeof(ct), "%s", b.ct);
	ct[0] = ct[0] == '0' ? '1' : '0';
	s.ct = ct;
	assert_int_equal(vault_unseal(v, "apikey:AK1", &s, out, sizeof(out),
		&n), QD_ERR_DENIED);
	snprintf(ct, sizeof(ct), "%s", b.ct);
	ct[strlen(ct) - 1] = ct[strlen(ct) - 1] == '0' ? '1' : '0';
	assert_int_equal(vault_unseal(v, "apikey:AK1", &s, out, sizeof(out),
		&n), QD_ERR_DENIED);
	/* a different key under the same id */
	vault_free(other);
	unlink(fname);
	setenv("QD_TEST_K1B", K2, 1);
	other = vault_with("k1=env:QD_TEST_K1B");
	s = vault_box_sealed(&b);
	assert_int_equal(vault_unseal(other, "apikey:AK1", &s, out,
		sizeof(out), &n), QD_ERR_DENIED);
	/* malformed */
	s.nonce = "zz";
	assert_int_equal(vault_unseal(v, "apikey:AK1", &s, out, sizeof(out),
		&n), QD_ERR_INVALID);
	vault_box_free(&b);
	vault_free(other);
	vault_free(v);
}

static void
bad_keys_refused(void **st)
{
	struct vault *v;
	char err[256];

	(void)st;
	assert_int_equal(vault_new(&v), QD_OK);
	setenv("QD_TEST_SHORT", "00112233", 1);
	assert_int_equal(vault_load(v, "k=env:QD_TEST_SHORT", err,
		sizeof(err)), QD_ERR_INVALID);
	assert_non_null(strstr(err, "32 bytes"));
	assert_null(strstr(err, "00112233"));
	unsetenv("QD_TEST_UNSET");
	assert_int_equal(vault_load(v, "k=env:QD_TEST_UNSET", err,
		sizeof(err)), QD_ERR_INVALID);
	assert_non_null(strstr(err, "not set"));
	assert_int_equal(vault_load(v, "bad id=env:X", err, sizeof(err)),
		QD_ERR_INVALID);
	assert_int_equal(vault_load(v, "k=plain", err, sizeof(err)),
		QD_ERR_INVALID);
	assert_null(vault_current(v));
	{
		struct vault_box b;

		assert_int_equal(vault_seal(v, "x", "a", 1, &b), QD_ERR_STATE);
	}
	vault_free(v);
}

static int
count_under(void *arg, enum store_sealed_kind kind, const char *row_id,
	const struct store_sealed *s)
{
	(void)kind;
	(void)row_id;
	if (strcmp(s->key_id, "k2") == 0)
		(*(int *)arg)++;
	return 0;
}

static void
rotation(void **st)
{
	struct vault *v1, *both, *only2;
	struct store *s = NULL;
	char err[512], path[64], out[64];
	struct vault_box b;
	struct store_api_key k = { 0 };
	struct store_totp t = { 0 };
	int64_t uid = 0;
	size_t n;
	int under2 = 0;

	(void)st;
	s = fresh_store("", path, sizeof(path));
	v1 = vault_with("k1=env:QD_TEST_K1");
	assert_int_equal(vault_credential_set(v1, s, "binance.api_secret",
		"top-secret"), QD_OK);
	assert_int_equal(vault_seal(v1, "apikey:AK1", "hmac-key", 8, &b),
		QD_OK);
	k.id = "AK1";
	k.user_id = 1;
	k.scopes = "read";
	k.secret = vault_box_sealed(&b);
	assert_int_equal(store_api_key_put(s, &k), QD_OK);
	vault_box_free(&b);
	assert_int_equal(vault_seal(v1, "totp:1", "totpsecret", 10, &b),
		QD_OK);
	t.user_id = 1;
	t.secret = vault_box_sealed(&b);
	assert_int_equal(store_totp_put(s, &t), QD_OK);
	vault_box_free(&b);
	(void)uid;

	/* Rotating with only the new key loaded: nothing opens, nothing
	 * changes. */
	only2 = vault_with("k2=env:QD_TEST_K2");
	assert_int_equal(vault_rotate(only2, s, "test", &n, err, sizeof(err)),
		QD_ERR_NOTFOUND);
	assert_non_null(strstr(err, "k1"));
	assert_int_equal(n, 0);
	assert_int_equal(vault_credential_get(v1, s, "binance.api_secret",
		out, sizeof(out)), QD_OK);

	both = vault_with("k1=env:QD_TEST_K1,k2=env:QD_TEST_K2");
	assert_string_equal(vault_current(both), "k2");
	assert_int_equal(vault_rotate(both, s, "test", &n, err, sizeof(err)),
		QD_OK);
	assert_int_equal(n, 3);
	assert_int_equal(store_sealed_each(s, count_under, &under2), QD_OK);
	assert_int_equal(under2, 3);
	/* The old key alone no longer opens it; the new one does. */
	assert_int_equal(vault_credential_get(v1, s, "binance.api_secret",
		out, sizeof(out)), QD_ERR_NOTFOUND);
	assert_int_equal(vault_credential_get(only2, s, "binance.api_secret",
		out, sizeof(out)), QD_OK);
	assert_string_equal(out, "top-secret");
	/* Again: nothing left to do. */
	assert_int_equal(vault_rotate(both, s, "test", &n, err, sizeof(err)),
		QD_OK);
	assert_int_equal(n, 0);
	assert_int_equal(vault_credential_get(only2, s, "nope", out,
		sizeof(out)), QD_ERR_NOTFOUND);
	store_close(s);
	unlink(path);
	vault_free(v1);
	vault_free(both);
	vault_free(only2);
}

/* A credential read sealed once opens later without the store, is bound
 * to its name, and a failed open leaves nothing in the buffer. */
static void
fetch_then_open(void **st)
{
	struct vault *v1, *other;
	struct store *s = NULL;
	struct vault_box b;
	char path[64], out[64];
	size_t n;

	(void)st;
	s = fresh_store("f-", path, sizeof(path));
	v1 = vault_with("k1=env:QD_TEST_K1");
	other = vault_with("k1=env:QD_TEST_K2");  /* another key, same id */
	assert_int_equal(vault_credential_set(v1, s, "okx.secret",
		"fetched-value"), QD_OK);
	assert_int_equal(vault_credential_fetch(s, "okx.nope", &b),
		QD_ERR_NOTFOUND);
	assert_null(b.ct);
	assert_int_equal(vault_credential_fetch(s, "", &b), QD_ERR_INVALID);
	assert_int_equal(vault_credential_fetch(s, "okx.secret", &b), QD_OK);
	assert_string_equal(b.key_id, "k1");
	assert_null(strstr(b.ct, "fetched-value"));
	store_close(s);
	unlink(path);

	assert_int_equal(vault_credential_open(v1, "okx.secret", &b, out,
		sizeof(out), &n), QD_OK);
	assert_int_equal(n, 13);
	assert_string_equal(out, "fetched-value");
	/* Bound to its name: under another name it does not authenticate. */
	assert_int_equal(vault_credential_open(v1, "okx.other", &b, out,
		sizeof(out), &n), QD_ERR_DENIED);
	assert_int_equal(n, 0);
	assert_int_equal(out[0], '\0');
	assert_int_equal(vault_credential_open(other, "okx.secret", &b, out,
		sizeof(out), &n), QD_ERR_DENIED);
	/* Exactly as long as the buffer: no room for the NUL. */
	assert_int_equal(vault_credential_open(v1, "okx.secret", &b, out, 13,
		&n), QD_ERR_LIMIT);
	assert_int_equal(vault_credential_open(v1, "okx.secret", &b, out, 14,
		&n), QD_OK);
	vault_box_free(&b);
	vault_free(v1);
	vault_free(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(refusals),
		cmocka_unit_test(bad_keys_refused),
		cmocka_unit_test(rotation),
		cmocka_unit_test(fetch_then_open),
	};

	return cmocka_run_group_tests_name("vault", tests, NULL, NULL);
}
