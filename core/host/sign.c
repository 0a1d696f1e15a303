/*
 * sign.c -- the signatures venues ask for, computed over a secret the
 * plugin never sees (api->sign).  OpenSSL does the cryptography.
 */
#include "host/sign.h"

#include <ctype.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#define SIGN_MAX_RAW 128

static int
fail(char *why, size_t cap, int rc, const char *msg)
{
	if (why != NULL && cap > 0)
		snprintf(why, cap, "%s", msg);
	return rc;
}

/* Base64 (standard alphabet, padding and white space allowed) into out;
 * returns the length or -1. */
static long
b64_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
	unsigned acc = 0;
	int bits = 0;
	size_t n = 0, i;

	for (i = 0; i < len; i++) {
		int c = (unsigned char)in[i], v;

		if (c == '=' || isspace(c))
			continue;
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+' || c == '-')
			v = 62;
		else if (c == '/' || c == '_')
			v = 63;
		else
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return (long)n;
}

int
sign_encode(enum qd_sign_enc enc, const unsigned char *raw, size_t n,
	char *out, size_t cap, size_t *out_len)
{
	static const char hex[] = "0123456789abcdef";
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789+/";
	static const char b64u[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789-_";
	const char *alpha = enc == QD_ENC_BASE64URL ? b64u : b64;
	size_t need, o = 0, i;

	switch (enc) {
	case QD_ENC_HEX:
		need = 2 * n;
		break;
	case QD_ENC_BASE64:
		need = (n + 2) / 3 * 4;
		break;
	case QD_ENC_BASE64URL:
		need = n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
		break;
	default:
		return QD_ERR_INVALID;
	}
	if (need + 1 > cap)
		return QD_ERR_LIMIT;
	if (enc == QD_ENC_HEX) {
		for (i = 0; i < n; i++) {
			out[o++] = hex[raw[i] >> 4];
			out[o++] = hex[raw[i] & 15];
		}
	} else {
		for (i = 0; i < n; i += 3) {
			unsigned v = (unsigned)raw[i] << 16;
			size_t left = n - i;

			if (left > 1)
				v |= (unsigned)raw[i + 1] << 8;
			if (left > 2)
				v |= raw[i + 2];
			out[o++] = alpha[(v >> 18) & 63];
			out[o++] = alpha[(v >> 12) & 63];
			if (left > 1)
				out[o++] = alpha[(v >> 6) & 63];
			else if (enc == QD_ENC_BASE64)
				out[o++] = '=';
			if (left > 2)
				out[o++] = alpha[v & 63];
			else if (enc == QD_ENC_BASE64)
				out[o++] = '=';
		}
	}
	out[o] = '\0';
	if (out_len != NULL)
		*out_len = o;
	return QD_OK;
}

/* A private key from PEM text (literal "\n" escapes read as newlines, as
 * keys pasted from a JSON file carry them), or NULL. */
static EVP_PKEY *
pem_key(const char *secret, size_t len)
{
	char *text = malloc(len + 1);
	EVP_PKEY *k = NULL;
	size_t i, n = 0;
	BIO *bio;

	if (text == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (secret[i] == '\\' && i + 1 < len && secret[i + 1] == 'n') {
			text[n++] = '\n';
			i++;
		} else {
			text[n++] = secret[i];
		}
	}
	text[n] = '\0';
	if ((bio = BIO_new_mem_buf(text, (int)n)) != NULL) {
		k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	OPENSSL_cleanse(text, n);
	free(text);
	return k;
}

static EVP_PKEY *
ed25519_key(const char *secret, size_t len)
{
	unsigned char raw[96];
	EVP_PKEY *k;
	long n;

	if (memmem(secret, len, "-----BEGIN", 10) != NULL)
		return pem_key(secret, len);
	n = b64_decode(secret, len, raw, sizeof(raw));
	k = n == 32 || n == 64 ? EVP_PKEY_new_raw_private_key(
		EVP_PKEY_ED25519, NULL, raw, 32) : NULL;
	OPENSSL_cleanse(raw, sizeof(raw));
	return k;
}

/* Sign with a private key: Ed25519 (pure, no digest) or ES256 (SHA-256,
 * the DER signature turned into r || s). */
static int
sign_pkey(EVP_PKEY *k, int es256, const struct qd_sign_req *r,
	unsigned char *raw, size_t *n, char *why, size_t cap)
{
	unsigned char der[160];
	size_t dn = sizeof(der);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	if (md == NULL)
		return fail(why, cap, QD_ERR_NOMEM, "out of memory");
	if (es256 && EVP_PKEY_get_base_id(k) != EVP_PKEY_EC) {
		EVP_MD_CTX_free(md);
		return fail(why, cap, QD_ERR_INVALID, "the secret is not an "
			"EC private key");
	}
	if (!es256 && EVP_PKEY_get_base_id(k) != EVP_PKEY_ED25519) {
		EVP_MD_CTX_free(md);
		return fail(why, cap, QD_ERR_INVALID, "the secret is not an "
			"Ed25519 private key");
	}
	ok = EVP_DigestSignInit(md, NULL, es256 ? EVP_sha256() : NULL, NULL,
		k) == 1 && EVP_DigestSign(md, es256 ? der : raw,
		es256 ? &dn : n, r->msg, r->msg_len) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return fail(why, cap, QD_ERR_INVALID, "the key refused to "
			"sign");
	if (es256) {
		const unsigned char *p = der;
		ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)dn);
		const BIGNUM *br, *bs;

		if (sig == NULL)
			return fail(why, cap, QD_ERR_INTERNAL, "malformed "
				"ECDSA signature");
		ECDSA_SIG_get0(sig, &br, &bs);
		ok = BN_num_bytes(br) <= 32 && BN_num_bytes(bs) <= 32 &&
			BN_bn2binpad(br, raw, 32) == 32 &&
			BN_bn2binpad(bs, raw + 32, 32) == 32;
		ECDSA_SIG_free(sig);
		if (!ok)
			return fail(why, cap, QD_ERR_INVALID, "the EC key is "
				"not a P-256 key");
		*n = 64;
	}
	return QD_OK;
}

int
sign_compute(const struct qd_sign_req *r, const char *secret, size_t len,
	char *out, size_t cap, size_t *out_len, char *why, size_t why_cap)
{
	unsigned char raw[SIGN_MAX_RAW], key[256], dg[SHA256_DIGEST_LENGTH];
	unsigned int hn = 0;
	size_t n = sizeof(raw);
	EVP_PKEY *k;
	long kn;
	int rc;

	if (r == NULL || r->size < sizeof(*r) || out == NULL || cap == 0 ||
	    (r->msg == NULL && r->msg_len > 0) ||
	    (r->msg2 == NULL && r->msg2_len > 0))
		return fail(why, why_cap, QD_ERR_INVALID, "bad arguments");
	switch (r->alg) {
	case QD_SIGN_HMAC_SHA256:
		if (HMAC(EVP_sha256(), secret, (int)len, r->msg ? r->msg :
		    (const void *)"", r->msg_len, raw, &hn) == NULL)
			return fail(why, why_cap, QD_ERR_INTERNAL, "HMAC");
		n = hn;
		break;
	case QD_SIGN_HMAC_SHA256_B64KEY:
	case QD_SIGN_HMAC_SHA512_B64KEY: {
		int is512 = r->alg == QD_SIGN_HMAC_SHA512_B64KEY;
		unsigned char *m;
		size_t mn = r->msg_len + (is512 ? sizeof(dg) : 0);

		kn = b64_decode(secret, len, key, sizeof(key));
		if (kn <= 0)
			return fail(why, why_cap, QD_ERR_INVALID, "the secret "
				"is not Base64");
		if ((m = malloc(mn + 1)) == NULL) {
			OPENSSL_cleanse(key, sizeof(key));
			return fail(why, why_cap, QD_ERR_NOMEM, "out of "
				"memory");
		}
		if (r->msg_len > 0)
			memcpy(m, r->msg, r->msg_len);
		if (is512) {
			SHA256(r->msg2 ? r->msg2 : (const void *)"",
				r->msg2_len, dg);
			memcpy(m + r->msg_len, dg, sizeof(dg));
		}
		rc = HMAC(is512 ? EVP_sha512() : EVP_sha256(), key, (int)kn,
			m, mn, raw, &hn) != NULL;
		free(m);
		OPENSSL_cleanse(key, sizeof(key));
		if (!rc)
			return fail(why, why_cap, QD_ERR_INTERNAL, "HMAC");
		n = hn;
		break;
	}
	case QD_SIGN_ED25519:
	case QD_SIGN_ES256:
		k = r->alg == QD_SIGN_ED25519 ? ed25519_key(secret, len) :
			pem_key(secret, len);
		if (k == NULL)
			return fail(why, why_cap, QD_ERR_INVALID, r->alg ==
				QD_SIGN_ED25519 ? "the secret is not an "
				"Ed25519 private key (PEM, or the Base64 of "
				"its 32-byte seed)" : "the secret is not a PEM "
				"EC private key");
		rc = sign_pkey(k, r->alg == QD_SIGN_ES256, r, raw, &n, why,
			why_cap);
		EVP_PKEY_free(k);
		if (rc != QD_OK)
			return rc;
		break;
	default:
		return fail(why, why_cap, QD_ERR_INVALID, "unknown algorithm");
	}
	rc = sign_encode(r->enc, raw, n, out, cap, out_len);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (rc == QD_ERR_LIMIT)
		return fail(why, why_cap, rc, "output buffer too small");
	if (rc != QD_OK)
		return fail(why, why_cap, rc, "unknown encoding");
	return QD_OK;
}

int
sign_sealed(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return (n >= 6 && strcasecmp(name + n - 6, "secret") == 0) ||
		(n >= 11 && strcasecmp(name + n - 11, "private_key") == 0);
}
