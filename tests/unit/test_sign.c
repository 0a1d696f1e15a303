/*
 * test_sign.c -- api->sign's cryptography against every published vector
 * (../shared/fixtures/exchanges/signing-vectors.json, read here: Binance's
 * three HMAC examples, Kraken's spot and custody API-Sign examples), the
 * RFC 8032 Ed25519 vectors, ES256 and PEM keys checked by verifying with
 * OpenSSL, the encodings, refusals, and which secret names are sealed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "host/sign.h"

static cJSON *vectors;

static const char *
str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int
sign_str(enum qd_sign_alg alg, enum qd_sign_enc enc, const char *secret,
	const char *msg, const char *msg2, char *out, size_t cap)
{
	struct qd_sign_req r;
	char why[160];
	size_t n = 0;
	int rc;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.alg = alg;
	r.enc = enc;
	r.secret = "test";
	r.msg = msg;
	r.msg_len = msg ? strlen(msg) : 0;
	r.msg2 = msg2;
	r.msg2_len = msg2 ? strlen(msg2) : 0;
	rc = sign_compute(&r, secret, strlen(secret), out, cap, &n, why,
		sizeof(why));
	if (rc == QD_OK)
		assert_int_equal(n, strlen(out));
	return rc;
}

static void
binance_hmac(void **st)
{
	const cJSON *arr = cJSON_GetObjectItem(vectors,
		"binance_hmac_sha256_hex"), *v;
	char out[200];
	int n = 0;

	(void)st;
	assert_true(cJSON_IsArray(arr));
	cJSON_ArrayForEach(v, arr) {
		const char *payload = str(v, "payload");

		/* Query string and body signed as one, without '&'. */
		if (str(v, "queryString") != NULL) {
			char joined[600];

			snprintf(joined, sizeof(joined), "%s%s",
				str(v, "queryString"), str(v, "requestBody"));
			assert_string_equal(joined, payload);
		}
		assert_int_equal(sign_str(QD_SIGN_HMAC_SHA256, QD_ENC_HEX,
			str(v, "secretKey"), payload, NULL, out, sizeof(out)),
			QD_OK);
		assert_string_equal(out, str(v, "signature"));
		n++;
	}
	assert_int_equal(n, 3);
}

static void
kraken_hmac(void **st)
{
	const cJSON *arr = cJSON_GetObjectItem(vectors,
		"kraken_spot_rest_api_sign"), *v;
	char out[200], body[300];

	(void)st;
	assert_true(cJSON_IsArray(arr) && cJSON_GetArraySize(arr) >= 2);
	/* Spot: HMAC-SHA512(b64decode(secret), path + SHA256(nonce + body)). */
	v = cJSON_GetArrayItem(arr, 0);
	snprintf(body, sizeof(body), "%s%s", str(v, "nonce"),
		str(v, "postdata"));
	assert_int_equal(sign_str(QD_SIGN_HMAC_SHA512_B64KEY, QD_ENC_BASE64,
		str(v, "secret"), str(v, "uri_path"), body, out, sizeof(out)),
		QD_OK);
	assert_string_equal(out, str(v, "api_sign"));
	/* Custody: the same scheme over a compact JSON body. */
	v = cJSON_GetArrayItem(arr, 1);
	snprintf(body, sizeof(body), "%s{\"nonce\":%s}", str(v, "nonce"),
		str(v, "nonce"));
	assert_int_equal(sign_str(QD_SIGN_HMAC_SHA512_B64KEY, QD_ENC_BASE64,
		str(v, "secret"), str(v, "uri_path"), body, out, sizeof(out)),
		QD_OK);
	assert_string_equal(out, str(v, "api_sign"));
	/* One bit of the body changed: another signature. */
	body[3] ^= 1;
	assert_int_equal(sign_str(QD_SIGN_HMAC_SHA512_B64KEY, QD_ENC_BASE64,
		str(v, "secret"), str(v, "uri_path"), body, out, sizeof(out)),
		QD_OK);
	assert_string_not_equal(out, str(v, "api_sign"));
}

static void
hex2bin(const char *hex, unsigned char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
}

/* RFC 8032 section 7.1, tests 1 and 2: the seed as its Base64. */
static void
ed25519_rfc8032(void **st)
{
	static const struct {
		const char *seed, *msg, *sig;
	} t[] = {
		{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		  "",
		  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
		{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		  "72",
		  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	};
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unsigned char seed[32], msg[1];
		char b64[64], out[200];
		struct qd_sign_req r;
		size_t mlen = strlen(t[i].msg) / 2, n;

		hex2bin(t[i].seed, seed, 32);
		hex2bin(t[i].msg, msg, mlen);
		assert_int_equal(sign_encode(QD_ENC_BASE64, seed, 32, b64,
			sizeof(b64), NULL), QD_OK);
		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		r.alg = QD_SIGN_ED25519;
		r.enc = QD_ENC_HEX;
		r.secret = "k";
		r.msg = msg;
		r.msg_len = mlen;
		assert_int_equal(sign_compute(&r, b64, strlen(b64), out,
			sizeof(out), &n, NULL, 0), QD_OK);
		assert_string_equal(out, t[i].sig);
	}
}

/* A fresh key as PEM text. */
static char *
pem_of(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *s;
	long n;

	assert_non_null(b);
	assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL,
		NULL), 1);
	n = BIO_get_mem_data(b, &p);
	s = malloc((size_t)n + 1);
	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	BIO_free(b);
	return s;
}

static size_t
b64url_decode(const char *in, unsigned char *out)
{
	size_t n = 0, i;
	unsigned acc = 0;
	int bits = 0;

	for (i = 0; in[i]; i++) {
		const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
			"vwxyz0123456789-_";
		const char *p = strchr(a, in[i]);

		assert_non_null(p);
		acc = acc << 6 | (unsigned)(p - a);
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return n;
}

/* ES256 as JWS wants it: 64 raw bytes (86 Base64url characters), which
 * OpenSSL verifies; keys with literal "\n" escapes read as well. */
static void
es256_verifies(void **st)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	const char *msg = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJrZXkifQ";
	unsigned char raw[64], der[80], *dp = der;
	char out[200], *pem = pem_of(k), esc[600];
	ECDSA_SIG *sig;
	EVP_MD_CTX *md;
	size_t i, o = 0;
	int dn, round;

	(void)st;
	for (i = 0; pem[i]; i++) {   /* as pasted from a JSON file */
		if (pem[i] == '\n') {
			esc[o++] = '\\';
			esc[o++] = 'n';
		} else {
			esc[o++] = pem[i];
		}
	}
	esc[o] = '\0';
	for (round = 0; round < 2; round++) {
		assert_int_equal(sign_str(QD_SIGN_ES256, QD_ENC_BASE64URL,
			round ? esc : pem, msg, NULL, out, sizeof(out)), QD_OK);
		assert_int_equal(strlen(out), 86);
		assert_int_equal(b64url_decode(out, raw), 64);
		sig = ECDSA_SIG_new();
		assert_int_equal(ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, NULL),
			BN_bin2bn(raw + 32, 32, NULL)), 1);
		dp = der;
		dn = i2d_ECDSA_SIG(sig, &dp);
		ECDSA_SIG_free(sig);
		md = EVP_MD_CTX_new();
		assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(),
			NULL, k), 1);
		assert_int_equal(EVP_DigestVerify(md, der, (size_t)dn,
			(const unsigned char *)msg, strlen(msg)), 1);
		EVP_MD_CTX_free(md);
	}
	/* An Ed25519 key is not an ES256 key. */
	free(pem);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	pem = pem_of(k);
	assert_int_equal(sign_str(QD_SIGN_ES256, QD_ENC_BASE64URL, pem, msg,
		NULL, out, sizeof(out)), QD_ERR_INVALID);
	/* ... but signs as Ed25519 from its PEM, and OpenSSL agrees. */
	assert_int_equal(sign_str(QD_SIGN_ED25519, QD_ENC_BASE64URL, pem, msg,
		NULL, out, sizeof(out)), QD_OK);
	assert_int_equal(b64url_decode(out, raw), 64);
	md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, NULL, NULL, k), 1);
	assert_int_equal(EVP_DigestVerify(md, raw, 64,
		(const unsigned char *)msg, strlen(msg)), 1);
	EVP_MD_CTX_free(md);
	free(pem);
	EVP_PKEY_free(k);
}

/* OKX and Coinbase Exchange: Base64 of HMAC-SHA256 (raw key / Base64
 * key), against OpenSSL's HMAC computed here. */
static void
base64_hmacs(void **st)
{
	const char *key = "22582BD0CFF14C41EDBF1AB98506286D";
	const char *msg = "1538054050GET/users/self/verify";
	unsigned char mac[32];
	unsigned int n = 0;
	char want[64], out[100], b64key[64];

	(void)st;
	HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg,
		strlen(msg), mac, &n);
	EVP_EncodeBlock((unsigned char *)want, mac, (int)n);
	assert_int_equal(sign_str(QD_SIGN_HMAC_SHA256, QD_ENC_BASE64, key, msg,
		NULL, out, sizeof(out)), QD_OK);
	assert_string_equal(out, want);
	/* The same key, Base64 encoded, under the _B64KEY variant. */
	EVP_EncodeBlock((unsigned char *)b64key, (const unsigned char *)key,
		(int)strlen(key));
	assert_int_equal(sign_str(QD_SIGN_HMAC_SHA256_B64KEY, QD_ENC_BASE64,
		b64key, msg, NULL, out, sizeof(out)), QD_OK);
	assert_string_equal(out, want);
}

static void
encodings_and_refusals(void **st)
{
	const unsigned char raw[] = { 0xfb, 0xff, 0x01, 0x00, 0x7f };
	char out[64];
	size_t n;

	(void)st;
	assert_int_equal(sign_encode(QD_ENC_HEX, raw, 5, out, sizeof(out),
		&n), QD_OK);
	assert_string_equal(out, "fbff01007f");
	assert_int_equal(sign_encode(QD_ENC_BASE64, raw, 5, out, sizeof(out),
		&n), QD_OK);
	assert_string_equal(out, "+/8BAH8=");
	assert_int_equal(sign_encode(QD_ENC_BASE64URL, raw, 5, out,
		sizeof(out), &n), QD_OK);
	assert_string_equal(out, "-_8BAH8");
	assert_int_equal(n, 7);
	assert_int_equal(sign_encode(QD_ENC_HEX, raw, 5, out, 10, &n),
		QD_ERR_LIMIT);
	assert_int_equal(sign_encode(QD_ENC_HEX, raw, 5, out, 11, &n), QD_OK);
	assert_int_equal(sign_encode((enum qd_sign_enc)9, raw, 5, out, 64,
		&n), QD_ERR_INVALID);
	/* A 64-byte digest does not fit 100 hex characters. */
	assert_int_equal(sign_str(QD_SIGN_HMAC_SHA512_B64KEY, QD_ENC_HEX,
		"c2VjcmV0", "/0/private/x", "1", out, sizeof(out)),
		QD_ERR_LIMIT);
	assert_int_equal(sign_str(QD_SIGN_HMAC_SHA256_B64KEY, QD_ENC_HEX,
		"not base64 !", "m", NULL, out, sizeof(out)), QD_ERR_INVALID);
	assert_int_equal(sign_str(QD_SIGN_ED25519, QD_ENC_HEX, "c2hvcnQ=",
		"m", NULL, out, sizeof(out)), QD_ERR_INVALID);
	assert_int_equal(sign_str(QD_SIGN_ES256, QD_ENC_HEX, "-----BEGIN x",
		"m", NULL, out, sizeof(out)), QD_ERR_INVALID);
	assert_int_equal(sign_str((enum qd_sign_alg)99, QD_ENC_HEX, "k", "m",
		NULL, out, sizeof(out)), QD_ERR_INVALID);
}

static void
sealed_names(void **st)
{
	(void)st;
	assert_true(sign_sealed("api_secret"));
	assert_true(sign_sealed("secret"));
	assert_true(sign_sealed("API_SECRET"));
	assert_true(sign_sealed("private_key"));
	assert_true(sign_sealed("cdp_private_key"));
	assert_false(sign_sealed("api_key"));
	assert_false(sign_sealed("passphrase"));
	assert_false(sign_sealed("key_name"));
	assert_false(sign_sealed("secrets_dir"));
	assert_false(sign_sealed(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(binance_hmac),
		cmocka_unit_test(kraken_hmac),
		cmocka_unit_test(ed25519_rfc8032),
		cmocka_unit_test(es256_verifies),
		cmocka_unit_test(base64_hmacs),
		cmocka_unit_test(encodings_and_refusals),
		cmocka_unit_test(sealed_names),
	};
	char path[1024];
	FILE *f;
	char *text;
	long n;
	int rc;

	snprintf(path, sizeof(path), "%s/../shared/fixtures/exchanges/"
		"signing-vectors.json", QD_TEST_SRCDIR);
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "cannot read %s\n", path);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = malloc((size_t)n + 1);
	if (text == NULL || fread(text, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return 1;
	}
	fclose(f);
	text[n] = '\0';
	vectors = cJSON_Parse(text);
	free(text);
	if (vectors == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	cJSON_Delete(vectors);
	return rc;
}
