/*
 * auth -- users and roles, passwords, access and refresh tokens, TOTP 2FA,
 * API keys with HMAC-signed requests, login throttling and the audit log.
 * No HTTP here: the API's handlers call these functions and turn an
 * enum auth_reason into a JSON error (auth_reason_code() is its "code",
 * auth_reason_status() its HTTP status).
 *
 * Users have a role (admin > trader > viewer) and a plan (core/limit).
 *
 * Passwords: argon2id, encoded string with its salt and parameters
 * ("$argon2id$v=19$m=65536,t=3,p=1$SALT$HASH"); defaults t=3 passes,
 * m=64 MiB, p=1 lane, 16-byte salt, 32-byte hash (RFC 9106's second
 * recommended option).  Verification is argon2's, constant-time; a hash
 * made with other parameters verifies and is re-hashed at the next login.
 *
 * Access tokens: JWT signed HS256 with the server secret (config: env: or
 * file:, at least 32 bytes).  The algorithm is pinned here: the token's own
 * "alg" is never trusted (none, RS256, HS512 ... are refused before any
 * key is used).  Claims: iss, sub (user id, decimal text), name, role,
 * plan, iat, nbf, exp, jti; default lifetime 15 minutes.  A token stays
 * valid until it expires (a disabled user's refresh fails at once).
 *
 * Refresh tokens: 256-bit random, shown to the client once, stored as
 * SHA-256 only.  Each login starts a family; a refresh uses the token and
 * issues the next of the family.  Presenting a used token again revokes
 * the whole family (someone else has it): AUTH_REFRESH_REUSED.
 *
 * TOTP (RFC 6238): SHA-1, 6 digits, 30 s steps, a window of one step either
 * way; an accepted step is recorded and never accepted again.  Enrolment
 * gives a 160-bit secret (Base32), its otpauth:// URI and that URI as an
 * SVG QR code; it takes effect when a first code confirms it, which also
 * gives 10 single-use recovery codes (stored hashed).  The secret is sealed
 * in the store (core/vault).
 *
 * API keys: an id ("qk_" + 24 hex) and a secret (64 hex) shown once; the
 * secret is sealed in the store (HMAC needs it).  Scopes: read, trade,
 * admin.  A signed request carries (header names are the API's choice):
 *   key id, timestamp (Unix milliseconds), nonce (16-64 of [A-Za-z0-9_-]),
 *   signature = hex(HMAC-SHA256(secret, canonical)), where canonical is
 *     TIMESTAMP "\n" NONCE "\n" METHOD "\n" PATH_AND_QUERY "\n"
 *     hex(SHA-256(body))
 *   (METHOD upper case as sent, PATH_AND_QUERY exactly as in the request
 *   line, body the raw bytes, empty when none).
 * The timestamp must be within the window (default +-30 s) of the server's
 * clock and a (key, nonce) pair is accepted once: nonces are remembered
 * until their timestamp leaves the window, in bounded memory (when full,
 * requests are refused with AUTH_REPLAY_FULL rather than let through).
 *
 * Throttling: failed logins are counted per account and per client IP
 * (token buckets: 5 per 15 minutes per account, 20 per 15 minutes per IP);
 * while either is exhausted a login is refused with AUTH_THROTTLED and the
 * seconds to wait, before the password is even checked.
 *
 * Audit: every security-relevant action is written to the store's audit
 * log (login.ok, login.failed, login.throttled, 2fa.enable, 2fa.disable,
 * 2fa.recovery, token.refresh_reuse, password.change, user.add, user.role,
 * user.plan, user.disable, user.enable, apikey.create, apikey.revoke;
 * secrets.rotate comes from core/vault).  Never a secret in it.
 *
 * Threads: a struct auth uses the store it was given (one thread at a
 * time, as any struct store); its limiter and nonce cache are locked.
 * Every `now_ms` is Unix milliseconds (tests pass a fixed clock).
 */
#ifndef QD_AUTH_H
#define QD_AUTH_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct vault;
struct auth;

/** Why a request was refused (AUTH_OK when it was not). */
enum auth_reason {
	AUTH_OK = 0,
	AUTH_BAD_CREDENTIALS,     /**< unknown user or wrong password (401) */
	AUTH_DISABLED,            /**< the user is disabled (403) */
	AUTH_THROTTLED,           /**< too many failures, retry later (429) */
	AUTH_2FA_REQUIRED,        /**< a TOTP or recovery code is needed (401) */
	AUTH_2FA_INVALID,         /**< the code is wrong (401) */
	AUTH_2FA_REUSED,          /**< the code was already used (401) */
	AUTH_2FA_STATE,           /**< not enrolled / already enabled (409) */
	AUTH_TOKEN_MALFORMED,     /**< not a JWT (401) */
	AUTH_TOKEN_ALG,           /**< alg is not HS256 (none, RS256 ...) (401) */
	AUTH_TOKEN_SIGNATURE,     /**< signature does not verify (401) */
	AUTH_TOKEN_ISSUER,        /**< another issuer (401) */
	AUTH_TOKEN_EXPIRED,       /**< exp is past (401) */
	AUTH_TOKEN_NOT_YET_VALID, /**< nbf is ahead (401) */
	AUTH_TOKEN_CLAIMS,        /**< a claim is missing or ill-typed (401) */
	AUTH_REFRESH_UNKNOWN,     /**< no such refresh token (401) */
	AUTH_REFRESH_EXPIRED,     /**< (401) */
	AUTH_REFRESH_REVOKED,     /**< its family was revoked (401) */
	AUTH_REFRESH_REUSED,      /**< used twice: family revoked (401) */
	AUTH_KEY_UNKNOWN,         /**< no such API key (401) */
	AUTH_KEY_REVOKED,         /**< (401) */
	AUTH_SIG_MALFORMED,       /**< a signed-request field is malformed (400) */
	AUTH_SIG_STALE,           /**< timestamp outside the window (401) */
	AUTH_SIG_REPLAYED,        /**< nonce already seen (401) */
	AUTH_SIG_INVALID,         /**< signature does not verify (401) */
	AUTH_SCOPE_DENIED,        /**< the key's scopes or role lack it (403) */
	AUTH_REPLAY_FULL,         /**< nonce cache full, retry (503) */
	AUTH_ERROR,               /**< store or internal failure (500) */
};

/** A stable snake_case code for JSON errors ("token_expired", ...). */
const char *auth_reason_code(enum auth_reason r);
/** A one-line English message for it. */
const char *auth_reason_text(enum auth_reason r);
/** The HTTP status that goes with it (200 for AUTH_OK). */
int auth_reason_status(enum auth_reason r);

/** API key scopes, a mask. */
enum auth_scope {
	AUTH_SCOPE_READ = 1,
	AUTH_SCOPE_TRADE = 2,
	AUTH_SCOPE_ADMIN = 4,
};
/** "read,trade" -> mask; -1 when a word is not a scope or none is given. */
int auth_scopes_parse(const char *text);
/** mask -> "read,trade" into buf (>= 20 bytes). */
const char *auth_scopes_format(unsigned mask, char *buf, size_t cap);

/** Settings; auth_config_defaults() fills the documented defaults. */
struct auth_config {
	const char *issuer;          /**< JWT iss; "quantd" */
	const char *jwt_secret;      /**< env:VAR or file:PATH, >= 32 bytes;
	                              *   NULL in tools that manage users but
	                              *   issue no token (login and token
	                              *   verification then fail: AUTH_ERROR) */
	int access_ttl_s;            /**< 900 */
	int refresh_ttl_s;           /**< 30 days */
	int hmac_window_s;           /**< 30 */
	size_t nonce_cache_max;      /**< nonces remembered at most; 100000 */
	uint32_t argon_t_cost;       /**< passes; 3 */
	uint32_t argon_m_cost_kib;   /**< memory in KiB; 65536 */
	uint32_t argon_lanes;        /**< parallelism; 1 */
	uint32_t login_fail_account; /**< failures per account per window; 5 */
	uint32_t login_fail_ip;      /**< failures per IP per window; 20 */
	int login_window_s;          /**< 900 */
	const char *totp_issuer;     /**< shown by authenticator apps; "quantd" */
};
void auth_config_defaults(struct auth_config *c);

/**
 * A new auth over store `s` (migrated) and vault `v` (both the caller's,
 * outliving it; without a current key in v, enrolling 2FA and creating API
 * keys fail with QD_ERR_STATE).  QD_ERR_INVALID with err naming the
 * setting (a missing or short JWT secret, ...).
 */
int auth_new(const struct auth_config *c, struct store *s,
	const struct vault *v, struct auth **out, char *err, size_t errlen);
void auth_free(struct auth *a);

/** Who a token or a signed request speaks for. */
struct auth_identity {
	int64_t user_id;
	char user[65];
	char role[8];                /**< "admin", "trader", "viewer" */
	char plan[32];
	unsigned scopes;             /**< an API key's; a token's: from role */
	char key_id[32];             /**< the API key, or "" for a token */
	char jti[40];                /**< the token's id, or "" */
	int64_t expires_ms;          /**< the token's exp, or 0 */
};

/** A login's or refresh's answer: both tokens and their expiries. */
struct auth_tokens {
	char access[1024];
	char refresh[80];
	int64_t access_expires_ms;
	int64_t refresh_expires_ms;
};

/* ---- passwords ------------------------------------------------------------ */

/** Hash a password with the configured parameters into out (>= 128). */
int auth_password_hash(const struct auth *a, const char *password,
	char *out, size_t cap);
/** QD_OK when it matches (*rehash set when the parameters differ from the
 *  configured ones), QD_ERR_DENIED when not, QD_ERR_INVALID when the
 *  encoded string is not argon2id. */
int auth_password_verify(const struct auth *a, const char *encoded,
	const char *password, int *rehash);

/* ---- users (each change audited as done by `actor`) ------------------------ */

/** Passwords: 8 to 1024 bytes.  QD_ERR_STATE when the name is taken,
 *  QD_ERR_INVALID for a bad name (1-64 of [A-Za-z0-9_.@-]), role or plan. */
int auth_user_add(struct auth *a, const char *actor, const char *name,
	const char *password, const char *role, const char *plan,
	int64_t *id);
/** Set a new password and revoke the user's refresh tokens. */
int auth_user_passwd(struct auth *a, const char *actor, const char *name,
	const char *password);
int auth_user_role(struct auth *a, const char *actor, const char *name,
	const char *role);
int auth_user_plan(struct auth *a, const char *actor, const char *name,
	const char *plan);
/** Disable (1, also revoking refresh tokens) or enable (0) a user. */
int auth_user_disable(struct auth *a, const char *actor, const char *name,
	int disabled);

/* ---- login and tokens --------------------------------------------------- */

/**
 * Log in: throttle check, password, then (when enabled) 2FA with `otp` as a
 * TOTP code or a recovery code.  On AUTH_OK *out has both tokens; on
 * AUTH_THROTTLED *retry_after_s is set.  Audited.
 */
enum auth_reason auth_login(struct auth *a, const char *name,
	const char *password, const char *otp, const char *ip, int64_t now_ms,
	struct auth_tokens *out, int *retry_after_s);
/** Rotate a refresh token: the next tokens of its family, or why not. */
enum auth_reason auth_refresh(struct auth *a, const char *refresh,
	const char *ip, int64_t now_ms, struct auth_tokens *out);
/** Revoke the family of a refresh token (logout). */
int auth_logout(struct auth *a, const char *refresh);
/** Verify an access token (see the header comment for the checks). */
enum auth_reason auth_token_verify(const struct auth *a, const char *token,
	int64_t now_ms, struct auth_identity *id);

/* ---- TOTP ------------------------------------------------------------------- */

/** RFC 6238 SHA-1 code of `secret` (raw bytes) at unix_s, 30 s steps,
 *  `digits` 6-8, into out (>= 9). */
int auth_totp_code(const void *secret, size_t len, int64_t unix_s,
	unsigned digits, char *out);

/** An enrolment: show the URI or QR code once. */
struct auth_totp_enrolment {
	char secret_b32[64];         /**< for manual entry */
	char uri[512];               /**< otpauth://totp/... */
	char *svg;                   /**< QR code of the URI; malloc'd */
};
/** Start (or restart) enrolment; QD_ERR_STATE when 2FA is already on. */
int auth_totp_enroll(struct auth *a, const char *name,
	struct auth_totp_enrolment *out);
void auth_totp_enrolment_free(struct auth_totp_enrolment *e);

#define AUTH_RECOVERY_CODES 10
#define AUTH_RECOVERY_LEN 20    /**< "xxxxx-xxxxx-xxxxx" + NUL fits */
/** Confirm enrolment with a first code: 2FA is on, and `codes` gets the
 *  recovery codes (shown once). */
enum auth_reason auth_totp_confirm(struct auth *a, const char *name,
	const char *code, int64_t now_ms,
	char codes[AUTH_RECOVERY_CODES][AUTH_RECOVERY_LEN]);
/** Turn 2FA off (an admin's action, or the user's after a login). */
int auth_totp_disable(struct auth *a, const char *actor, const char *name);

/* ---- API keys ---------------------------------------------------------------- */

/** A new key's id and secret: the secret is never shown again. */
struct auth_api_key_new {
	char id[32];
	char secret[72];
};
/** Create a key for user `name` with `scopes` (a mask; admin scope only
 *  for an admin user). */
int auth_apikey_create(struct auth *a, const char *actor, const char *name,
	unsigned scopes, const char *label, struct auth_api_key_new *out);
/** Revoke a key; QD_ERR_NOTFOUND when no such valid key. */
int auth_apikey_revoke(struct auth *a, const char *actor, const char *id);

/** A signed request as received (strings NUL-terminated; body raw). */
struct auth_signed_request {
	const char *key_id;
	const char *timestamp;       /**< Unix ms, decimal */
	const char *nonce;
	const char *signature;       /**< 64 hex digits */
	const char *method;
	const char *path_query;
	const void *body;
	size_t body_len;
};
/**
 * Verify a signed request and that the key has every scope of `need` (a
 * mask; 0 for none).  AUTH_OK fills *id.  The nonce is remembered only
 * when everything else holds.
 */
enum auth_reason auth_apikey_verify(struct auth *a,
	const struct auth_signed_request *r, unsigned need, int64_t now_ms,
	struct auth_identity *id);
/** The signature of a request (clients, tests): hex into out (>= 65). */
int auth_hmac_sign(const char *secret, const struct auth_signed_request *r,
	char *out, size_t cap);

/* ---- audit -------------------------------------------------------------- */

/** Write one audit row (the API's own actions: logout, key listing ...). */
int auth_audit(struct auth *a, const char *actor, const char *action,
	const char *target, const char *ip, int ok, const char *detail);

#endif
