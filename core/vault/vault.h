/*
 * vault -- secrets at rest: AES-256-GCM under master keys read from
 * "env:VAR" or "file:PATH", so that what the store holds (exchange
 * credentials, API key secrets, TOTP secrets) is useless without them.
 *
 * A master key is 32 bytes written as 64 hex digits or as Base64 (44
 * characters); each has a short id (1-32 of [A-Za-z0-9_.-]) stored beside
 * every ciphertext, so several keys can be loaded at once: the last loaded
 * is the current one (new values are sealed under it), the others still
 * open what they sealed, and vault_rotate() re-seals everything under the
 * current one.  Each value gets a random 96-bit nonce; its AAD names the
 * row it belongs to ("credential:NAME", "apikey:ID", "totp:USERID", see
 * vault_aad()), so a ciphertext copied to another row does not open.
 *
 * Plaintext is never logged and never kept: key bytes and opened values
 * are wiped when no longer needed (vault_free(), the caller's buffers are
 * the caller's to wipe).  A struct vault is read-only once loaded and may
 * be shared by threads.
 */
#ifndef QD_VAULT_H
#define QD_VAULT_H

#include <stddef.h>

#include "store/store.h"

struct vault;

/** Longest key id. */
#define VAULT_KEY_ID_MAX 32
/** Longest value vault_seal() takes (credentials, secrets: small). */
#define VAULT_VALUE_MAX 4096

/** A sealed value as the store keeps it (store_sealed, owned here). */
struct vault_box {
	char key_id[VAULT_KEY_ID_MAX + 1];
	char nonce[25];            /**< 12 bytes, hex */
	char *ct;                  /**< ciphertext + 16-byte tag, hex; malloc'd */
};

/**
 * Read a secret reference into buf: "env:VAR" (the variable's value) or
 * "file:PATH" (the file's first line, without its newline) -- the forms
 * config uses for every secret.  QD_OK, or QD_ERR_INVALID with *why saying
 * what is wrong (never the value).  The caller wipes buf.
 */
int vault_ref_read(const char *ref, char *buf, size_t cap, const char **why);

/** An empty vault (no key: sealing fails with QD_ERR_STATE). */
int vault_new(struct vault **out);
/** Wipe the keys and free; NULL is a no-op. */
void vault_free(struct vault *v);

/**
 * Load master keys from `spec`: "ID=REF[,ID=REF...]", REF being env:VAR or
 * file:PATH (the file's first line).  The last key loaded is current.
 * QD_ERR_INVALID with `err` saying which key and why (never its bytes).
 */
int vault_load(struct vault *v, const char *spec, char *err, size_t errlen);
/** The current key's id, or NULL when none is loaded. */
const char *vault_current(const struct vault *v);

/** The AAD of a sealed row: "credential:NAME", "apikey:ID", "totp:ID",
 *  "channel:USER:KIND".
 *  Returns buf, or NULL when it does not fit. */
const char *vault_aad(enum store_sealed_kind kind, const char *row_id,
	char *buf, size_t cap);

/** Seal len bytes (<= VAULT_VALUE_MAX) under the current key, bound to
 *  `aad`.  out->ct is freed with vault_box_free(). */
int vault_seal(const struct vault *v, const char *aad, const void *plain,
	size_t len, struct vault_box *out);
/** Free a box's ciphertext. */
void vault_box_free(struct vault_box *b);
/** A box as the store takes it (pointing into b). */
struct store_sealed vault_box_sealed(const struct vault_box *b);

/**
 * Open a sealed value into plain (cap bytes; a NUL is added after the
 * value when it fits).  QD_ERR_NOTFOUND when its key id is not loaded,
 * QD_ERR_DENIED when it does not authenticate (tampered, another row's AAD,
 * another key under the same id), QD_ERR_INVALID when malformed,
 * QD_ERR_LIMIT when cap is too small.
 */
int vault_unseal(const struct vault *v, const char *aad,
	const struct store_sealed *in, void *plain, size_t cap, size_t *len);

/**
 * Re-seal every sealed value of the store that is not under the current
 * key (credentials, API key secrets, TOTP secrets) in one transaction, and
 * write a "secrets.rotate" audit row.  *n counts the values re-sealed.  All
 * or nothing: a value that does not open (its key not loaded) stops it
 * with `err` naming the row.
 */
int vault_rotate(const struct vault *v, struct store *s, const char *actor,
	size_t *n, char *err, size_t errlen);

/** Store the credential `name` sealed under the current key. */
int vault_credential_set(const struct vault *v, struct store *s,
	const char *name, const char *value);
/** Open the credential `name` into buf (NUL-terminated); QD_ERR_NOTFOUND
 *  when there is none. */
int vault_credential_get(const struct vault *v, struct store *s,
	const char *name, char *buf, size_t cap);

/**
 * Read the credential `name` as the store holds it (sealed) into out, so
 * that it can be opened later without the store (vault_credential_open()).
 * out->ct is freed with vault_box_free().  QD_ERR_NOTFOUND when there is
 * none, QD_ERR_INVALID for an empty or too long name.
 */
int vault_credential_fetch(struct store *s, const char *name,
	struct vault_box *out);
/**
 * Open the fetched credential `name` into buf (NUL-terminated, *len its
 * length).  Codes as vault_unseal(): QD_ERR_NOTFOUND when its key id is
 * not loaded, QD_ERR_DENIED when it does not authenticate, QD_ERR_LIMIT
 * when the value and its NUL do not fit.  On failure buf is wiped; on
 * success the caller wipes it.
 */
int vault_credential_open(const struct vault *v, const char *name,
	const struct vault_box *b, char *buf, size_t cap, size_t *len);

#endif
