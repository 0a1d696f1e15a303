/*
 * vault.c -- AES-256-GCM sealing under loaded master keys (vault.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <quantd/sdk.h>

#include "host/sign.h"
#include "vault/vault.h"

#define VAULT_KEYS_MAX 16
#define TAG_LEN 16
#define NONCE_LEN 12

struct vault_key {
	char id[VAULT_KEY_ID_MAX + 1];
	unsigned char key[32];
};

struct vault {
	struct vault_key keys[VAULT_KEYS_MAX];
	int n;  /* keys[n - 1] is current */
};

int
vault_new(struct vault **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? QD_OK : QD_ERR_NOMEM;
}

void
vault_free(struct vault *v)
{
	if (v == NULL)
		return;
	OPENSSL_cleanse(v, sizeof(*v));
	free(v);
}

const char *
vault_current(const struct vault *v)
{
	return v->n > 0 ? v->keys[v->n - 1].id : NULL;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode exactly n bytes of hex (2n digits) into out. */
static int
hex_decode(const char *h, size_t hl, unsigned char *out, size_t n)
{
	size_t i;
	int a, b;

	if (hl != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if ((a = hexval((unsigned char)h[2 * i])) < 0 ||
		    (b = hexval((unsigned char)h[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(a << 4 | b);
	}
	return 0;
}

/* Lower-case hex of n bytes into out (2n + 1). */
static void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	size_t len;

	sign_encode(QD_ENC_HEX, in, n, out, 2 * n + 1, &len);
}

/* 32 key bytes from 64 hex digits or 44 Base64 characters. */
static int
key_decode(const char *t, size_t n, unsigned char key[32])
{
	unsigned char raw[36];
	int got;

	if (n == 64)
		return hex_decode(t, n, key, 32);
	if (n != 44 || t[43] != '=' || t[42] == '=')
		return -1;
	got = EVP_DecodeBlock(raw, (const unsigned char *)t, 44);
	if (got != 33)  /* 44 characters with one '=' pad: 33 - 1 bytes */
		return -1;
	memcpy(key, raw, 32);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

int
vault_ref_read(const char *ref, char *buf, size_t cap, const char **why)
{
	if (strncmp(ref, "env:", 4) == 0) {
		const char *val = getenv(ref + 4);

		if (val == NULL || *val == '\0') {
			*why = "its environment variable is not set";
			return QD_ERR_INVALID;
		}
		if (strlen(val) >= cap) {
			*why = "it is too long";
			return QD_ERR_INVALID;
		}
		strcpy(buf, val);
		return QD_OK;
	}
	if (strncmp(ref, "file:", 5) == 0) {
		FILE *f = fopen(ref + 5, "re");

		if (f == NULL) {
			*why = "its file cannot be read";
			return QD_ERR_INVALID;
		}
		if (fgets(buf, (int)cap, f) == NULL) {
			fclose(f);
			*why = "its file is empty";
			return QD_ERR_INVALID;
		}
		fclose(f);
		buf[strcspn(buf, "\r\n")] = '\0';
		return QD_OK;
	}
	*why = "a secret reference is env:VAR or file:PATH";
	return QD_ERR_INVALID;
}

static int
id_ok(const char *id, size_t n)
{
	size_t i;

	if (n == 0 || n > VAULT_KEY_ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && id[i] != '_' &&
		    id[i] != '.' && id[i] != '-')
			return 0;
	return 1;
}

int
vault_load(struct vault *v, const char *spec, char *err, size_t errlen)
{
	char item[1024], text[256], *eq;
	const char *p = spec, *end, *why;
	struct vault_key *k;
	size_t n;
	int i;

	if (spec == NULL || *spec == '\0') {
		snprintf(err, errlen, "vault: no master key given (ID=env:VAR "
			"or ID=file:PATH)");
		return QD_ERR_INVALID;
	}
	while (*p != '\0') {
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n >= sizeof(item) || (eq = memchr(p, '=', n)) == NULL ||
		    !id_ok(p, (size_t)(eq - p))) {
			snprintf(err, errlen, "vault: \"%.*s\" is not "
				"ID=REF (ID: 1-%d of A-Z a-z 0-9 _ . -)",
				(int)(n > 64 ? 64 : n), p, VAULT_KEY_ID_MAX);
			return QD_ERR_INVALID;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		item[eq - p] = '\0';
		if (v->n == VAULT_KEYS_MAX) {
			snprintf(err, errlen, "vault: more than %d master keys",
				VAULT_KEYS_MAX);
			return QD_ERR_LIMIT;
		}
		for (i = 0; i < v->n; i++)
			if (strcmp(v->keys[i].id, item) == 0) {
				snprintf(err, errlen, "vault: master key \"%s\" "
					"given twice", item);
				return QD_ERR_INVALID;
			}
		k = &v->keys[v->n];
		if (vault_ref_read(item + (eq - p) + 1, text, sizeof(text),
		    &why) != QD_OK) {
			snprintf(err, errlen, "vault: master key \"%s\": %s",
				item, why);
			OPENSSL_cleanse(text, sizeof(text));
			return QD_ERR_INVALID;
		}
		if (key_decode(text, strlen(text), k->key) != 0) {
			OPENSSL_cleanse(text, sizeof(text));
			OPENSSL_cleanse(k->key, sizeof(k->key));
			snprintf(err, errlen, "vault: master key \"%s\" is not "
				"32 bytes as 64 hex digits or Base64", item);
			return QD_ERR_INVALID;
		}
		OPENSSL_cleanse(text, sizeof(text));
		memcpy(k->id, item, (size_t)(eq - p) + 1);
		v->n++;
		p = end ? end + 1 : p + n;
	}
	return QD_OK;
}

const char *
vault_aad(enum store_sealed_kind kind, const char *row_id, char *buf,
	size_t cap)
{
	const char *tag = kind == STORE_SEALED_CREDENTIAL ? "credential" :
	    kind == STORE_SEALED_API_KEY ? "apikey" :
	    kind == STORE_SEALED_TOTP ? "totp" :
	    kind == STORE_SEALED_CHANNEL ? "channel" : NULL;
	int n;

	if (tag == NULL || row_id == NULL)
		return NULL;
	n = snprintf(buf, cap, "%s:%s", tag, row_id);
	return n < 0 || (size_t)n >= cap ? NULL : buf;
}

/* One AES-256-GCM pass: encrypt (tag written) or decrypt (tag checked). */
static int
gcm(int enc, const unsigned char *key, const unsigned char *nonce,
	const char *aad, const unsigned char *in, size_t n,
	unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len, ok;

	if (c == NULL)
		return QD_ERR_NOMEM;
	ok = EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) &&
	    EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) &&
	    EVP_CipherUpdate(c, NULL, &len, (const unsigned char *)aad,
	    (int)strlen(aad)) &&
	    (n == 0 || EVP_CipherUpdate(c, out, &len, in, (int)n)) &&
	    (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
	    tag));
	if (ok)
		ok = EVP_CipherFinal_ex(c, out + n, &len);  /* tag check */
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag);
	EVP_CIPHER_CTX_free(c);
	return ok ? QD_OK : enc ? QD_ERR_INTERNAL : QD_ERR_DENIED;
}

int
vault_seal(const struct vault *v, const char *aad, const void *plain,
	size_t len, struct vault_box *out)
{
	const struct vault_key *k;
	unsigned char nonce[NONCE_LEN], *buf;
	int rc;

	memset(out, 0, sizeof(*out));
	if (aad == NULL || (plain == NULL && len > 0) ||
	    len > VAULT_VALUE_MAX)
		return QD_ERR_INVALID;
	if (v->n == 0)
		return QD_ERR_STATE;
	k = &v->keys[v->n - 1];
	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return QD_ERR_INTERNAL;
	if ((buf = malloc(len + TAG_LEN + 16)) == NULL ||
	    (out->ct = malloc(2 * (len + TAG_LEN) + 1)) == NULL) {
		free(buf);
		return QD_ERR_NOMEM;
	}
	rc = gcm(1, k->key, nonce, aad, plain, len, buf, buf + len);
	if (rc == QD_OK) {
		hex_encode(buf, len + TAG_LEN, out->ct);
		hex_encode(nonce, sizeof(nonce), out->nonce);
		snprintf(out->key_id, sizeof(out->key_id), "%s", k->id);
	} else {
		vault_box_free(out);
	}
	OPENSSL_cleanse(buf, len + TAG_LEN);
	free(buf);
	return rc;
}

void
vault_box_free(struct vault_box *b)
{
	if (b == NULL)
		return;
	free(b->ct);
	b->ct = NULL;
}

struct store_sealed
vault_box_sealed(const struct vault_box *b)
{
	struct store_sealed s = { b->key_id, b->nonce, b->ct };

	return s;
}

int
vault_unseal(const struct vault *v, const char *aad,
	const struct store_sealed *in, void *plain, size_t cap, size_t *len)
{
	const struct vault_key *k = NULL;
	unsigned char nonce[NONCE_LEN], *buf;
	size_t hl, n;
	int i, rc;

	*len = 0;
	if (aad == NULL || in == NULL || in->key_id == NULL ||
	    in->nonce == NULL || in->ct == NULL)
		return QD_ERR_INVALID;
	for (i = 0; i < v->n; i++)
		if (strcmp(v->keys[i].id, in->key_id) == 0)
			k = &v->keys[i];
	if (k == NULL)
		return QD_ERR_NOTFOUND;
	hl = strlen(in->ct);
	if (hl % 2 != 0 || hl / 2 < TAG_LEN ||
	    hl / 2 > VAULT_VALUE_MAX + TAG_LEN ||
	    hex_decode(in->nonce, strlen(in->nonce), nonce, NONCE_LEN) != 0)
		return QD_ERR_INVALID;
	n = hl / 2 - TAG_LEN;
	if (n > cap)
		return QD_ERR_LIMIT;
	if ((buf = malloc(2 * (n + TAG_LEN) + 16)) == NULL)
		return QD_ERR_NOMEM;
	/* buf: ciphertext and tag, then the plaintext after them */
	if (hex_decode(in->ct, hl, buf, n + TAG_LEN) != 0) {
		free(buf);
		return QD_ERR_INVALID;
	}
	rc = gcm(0, k->key, nonce, aad, buf, n, buf + n + TAG_LEN,
		buf + n);
	if (rc == QD_OK) {
		memcpy(plain, buf + n + TAG_LEN, n);
		if (n < cap)
			((unsigned char *)plain)[n] = '\0';
		*len = n;
	}
	OPENSSL_cleanse(buf, 2 * (n + TAG_LEN) + 16);
	free(buf);
	return rc;
}

/* ---- rotation ------------------------------------------------------------- */

struct stale {
	enum store_sealed_kind kind;
	char *row_id;
	char key_id[VAULT_KEY_ID_MAX + 1];
	char nonce[25];
	char *ct;
};

struct stale_list {
	const struct vault *v;
	struct stale *a;
	size_t n, cap;
	int rc;
};

static int
collect(void *arg, enum store_sealed_kind kind, const char *row_id,
	const struct store_sealed *s)
{
	struct stale_list *l = arg;
	struct stale *e;

	if (strcmp(s->key_id, vault_current(l->v)) == 0)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct stale *a = realloc(l->a, cap * sizeof(*a));

		if (a == NULL) {
			l->rc = QD_ERR_NOMEM;
			return 1;
		}
		l->a = a;
		l->cap = cap;
	}
	e = &l->a[l->n];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->row_id = strdup(row_id);
	e->ct = strdup(s->ct);
	snprintf(e->key_id, sizeof(e->key_id), "%s", s->key_id);
	snprintf(e->nonce, sizeof(e->nonce), "%s", s->nonce);
	l->n++;
	if (e->row_id == NULL || e->ct == NULL) {
		l->rc = QD_ERR_NOMEM;
		return 1;
	}
	return 0;
}

/* Open one stale value and seal it again under the current key. */
static int
reseal(const struct vault *v, struct store *s, const struct stale *e,
	char *err, size_t errlen)
{
	struct store_sealed in = { e->key_id, e->nonce, e->ct }, out;
	unsigned char plain[VAULT_VALUE_MAX + 1];
	struct vault_box box;
	char aad[300];
	size_t n;
	int rc;

	if (vault_aad(e->kind, e->row_id, aad, sizeof(aad)) == NULL) {
		snprintf(err, errlen, "vault: row id too long");
		return QD_ERR_INVALID;
	}
	rc = vault_unseal(v, aad, &in, plain, sizeof(plain), &n);
	if (rc != QD_OK) {
		snprintf(err, errlen, "vault: %s does not open (%s%s%s)", aad,
			rc == QD_ERR_NOTFOUND ? "master key \"" :
			qd_strerror(rc), rc == QD_ERR_NOTFOUND ? e->key_id : "",
			rc == QD_ERR_NOTFOUND ? "\" is not loaded" : "");
		return rc;
	}
	rc = vault_seal(v, aad, plain, n, &box);
	OPENSSL_cleanse(plain, sizeof(plain));
	if (rc != QD_OK) {
		snprintf(err, errlen, "vault: sealing %s: %s", aad,
			qd_strerror(rc));
		return rc;
	}
	out = vault_box_sealed(&box);
	rc = store_sealed_update(s, e->kind, e->row_id, &out);
	vault_box_free(&box);
	if (rc != QD_OK)
		snprintf(err, errlen, "vault: %s: %s", aad, store_error(s));
	return rc;
}

int
vault_rotate(const struct vault *v, struct store *s, const char *actor,
	size_t *n, char *err, size_t errlen)
{
	struct stale_list l = { .v = v };
	struct store_audit a = { 0 };
	char detail[96];
	size_t i;
	int rc;

	*n = 0;
	if (v->n == 0) {
		snprintf(err, errlen, "vault: no master key loaded");
		return QD_ERR_STATE;
	}
	if ((rc = store_begin(s)) != QD_OK) {
		snprintf(err, errlen, "vault: %s", store_error(s));
		return rc;
	}
	rc = store_sealed_each(s, collect, &l);
	if (rc != QD_OK)
		snprintf(err, errlen, "vault: %s", store_error(s));
	else if ((rc = l.rc) != QD_OK)
		snprintf(err, errlen, "vault: out of memory");
	for (i = 0; i < l.n && rc == QD_OK; i++)
		rc = reseal(v, s, &l.a[i], err, errlen);
	if (rc == QD_OK) {
		snprintf(detail, sizeof(detail), "%zu values re-sealed under "
			"key %s", l.n, vault_current(v));
		a.ts_ms = store_now_ms();
		a.actor = actor ? actor : "quantctl";
		a.action = "secrets.rotate";
		a.target = vault_current(v);
		a.ok = 1;
		a.detail = detail;
		if ((rc = store_audit_put(s, &a)) != QD_OK)
			snprintf(err, errlen, "vault: %s", store_error(s));
	}
	if (rc == QD_OK && (rc = store_commit(s)) != QD_OK)
		snprintf(err, errlen, "vault: %s", store_error(s));
	if (rc != QD_OK)
		store_rollback(s);
	else
		*n = l.n;
	for (i = 0; i < l.n; i++) {
		free(l.a[i].row_id);
		free(l.a[i].ct);
	}
	free(l.a);
	return rc;
}

/* ---- credentials ---------------------------------------------------------- */

int
vault_credential_set(const struct vault *v, struct store *s,
	const char *name, const char *value)
{
	struct store_credential c;
	struct vault_box box;
	char aad[300];
	int rc;

	if (name == NULL || *name == '\0' || value == NULL ||
	    vault_aad(STORE_SEALED_CREDENTIAL, name, aad, sizeof(aad)) == NULL)
		return QD_ERR_INVALID;
	if ((rc = vault_seal(v, aad, value, strlen(value), &box)) != QD_OK)
		return rc;
	c.name = name;
	c.sealed = vault_box_sealed(&box);
	c.updated_ms = store_now_ms();
	rc = store_credential_put(s, &c);
	vault_box_free(&box);
	return rc;
}

/* The store's row, copied out (its strings are valid for the call only). */
static int
cred_copy(void *arg, const struct store_credential *c)
{
	struct vault_box *b = arg;

	snprintf(b->key_id, sizeof(b->key_id), "%s", c->sealed.key_id);
	snprintf(b->nonce, sizeof(b->nonce), "%s", c->sealed.nonce);
	b->ct = strdup(c->sealed.ct);
	return 1;
}

int
vault_credential_fetch(struct store *s, const char *name,
	struct vault_box *out)
{
	char aad[300];
	int rc;

	memset(out, 0, sizeof(*out));
	if (name == NULL || *name == '\0' ||
	    vault_aad(STORE_SEALED_CREDENTIAL, name, aad, sizeof(aad)) == NULL)
		return QD_ERR_INVALID;
	rc = store_credential_get(s, name, cred_copy, out);
	if (rc == QD_OK && out->ct == NULL)
		rc = out->key_id[0] != '\0' ? QD_ERR_NOMEM : QD_ERR_NOTFOUND;
	if (rc != QD_OK)
		vault_box_free(out);
	return rc;
}

int
vault_credential_open(const struct vault *v, const char *name,
	const struct vault_box *b, char *buf, size_t cap, size_t *len)
{
	struct store_sealed in = vault_box_sealed(b);
	char aad[300];
	int rc;

	*len = 0;
	if (name == NULL || buf == NULL || cap == 0 ||
	    vault_aad(STORE_SEALED_CREDENTIAL, name, aad, sizeof(aad)) == NULL)
		return QD_ERR_INVALID;
	rc = vault_unseal(v, aad, &in, buf, cap, len);
	if (rc == QD_OK && *len == cap)
		rc = QD_ERR_LIMIT;  /* no room for the NUL */
	if (rc != QD_OK) {
		OPENSSL_cleanse(buf, cap);
		*len = 0;
	}
	return rc;
}

int
vault_credential_get(const struct vault *v, struct store *s,
	const char *name, char *buf, size_t cap)
{
	struct vault_box b;
	size_t n;
	int rc;

	if (buf == NULL || cap == 0)
		return QD_ERR_INVALID;
	rc = vault_credential_fetch(s, name, &b);
	if (rc == QD_OK)
		rc = vault_credential_open(v, name, &b, buf, cap, &n);
	vault_box_free(&b);
	if (rc != QD_OK)
		OPENSSL_cleanse(buf, cap);
	return rc;
}
