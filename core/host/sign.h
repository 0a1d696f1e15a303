/*
 * sign -- api->sign's cryptography: HMAC-SHA256/512 (raw or Base64 keys,
 * Kraken's path + SHA-256 construction), Ed25519 and ES256 (JWS r || s),
 * encoded as hex, Base64 or Base64url.  Pure functions; the caller
 * resolves the secret and wipes it afterwards.
 */
#ifndef QD_HOST_SIGN_H
#define QD_HOST_SIGN_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include <quantd/sdk.h>

/** Sign r->msg with `secret` (len bytes) into out as r->enc wants; QD_OK
 *  or an error with `why` (never naming the secret's bytes). */
int sign_compute(const struct qd_sign_req *r, const char *secret,
	size_t len, char *out, size_t cap, size_t *out_len, char *why,
	size_t why_cap);

/** raw bytes as hex / Base64 / Base64url (unpadded), NUL-terminated. */
int sign_encode(enum qd_sign_enc enc, const unsigned char *raw, size_t n,
	char *out, size_t cap, size_t *out_len);

/** A signing key's name ("...secret", "...private_key"): secret_get
 *  refuses it, only sign uses it. */
int sign_sealed(const char *name);

/** The largest secret sign() reads (a PEM key is well under it). */
#define SIGN_SECRET_MAX 16384

#endif
