-- 0004 auth: plans, users, refresh tokens, API keys, TOTP and recovery
-- codes, the audit log and encrypted credentials.  Times are int64
-- milliseconds since the Unix epoch, UTC.  No secret is stored in clear:
-- passwords are argon2id encoded strings, refresh tokens and recovery codes
-- are SHA-256 hashes (hex), and what must be read back to be used (API key
-- secrets for HMAC, TOTP secrets, exchange credentials) is sealed with
-- AES-256-GCM: key_id names the master key, nonce and ct are hex, ct ends
-- with the 16-byte tag (core/vault/vault.h).

-- Plans and their limits; -1 is unlimited.  Billing changes users.plan only.
CREATE TABLE plans (
	name          TEXT PRIMARY KEY,
	symbols       INTEGER NOT NULL,        -- symbols a user may follow
	strategies    TEXT NOT NULL CHECK (strategies IN ('basic', 'all', 'custom')),
	push_delay_ms INTEGER NOT NULL,        -- WebSocket push delay
	api_per_min   INTEGER NOT NULL,        -- REST requests per minute
	webhooks      INTEGER NOT NULL CHECK (webhooks IN (0, 1))
) WITHOUT ROWID;
INSERT INTO plans VALUES ('free', 1, 'basic', 5000, 10, 0);
INSERT INTO plans VALUES ('pro', 10, 'all', 0, 100, 0);
INSERT INTO plans VALUES ('enterprise', -1, 'custom', 0, 1000, 1);

CREATE TABLE users (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	pass_hash  TEXT NOT NULL,              -- argon2id encoded string
	role       TEXT NOT NULL CHECK (role IN ('admin', 'trader', 'viewer')),
	plan       TEXT NOT NULL REFERENCES plans (name),
	disabled   INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
	created_ms INTEGER NOT NULL,
	updated_ms INTEGER NOT NULL
);

-- Rotating refresh tokens: one row per token ever issued, by hash.  A
-- token presented once is used; presenting it again revokes its family.
CREATE TABLE refresh_tokens (
	hash       TEXT PRIMARY KEY,
	family     TEXT NOT NULL,
	user_id    INTEGER NOT NULL,
	created_ms INTEGER NOT NULL,
	expires_ms INTEGER NOT NULL,
	used_ms    INTEGER NOT NULL DEFAULT 0,
	revoked    INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
) WITHOUT ROWID;
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE api_keys (
	id         TEXT PRIMARY KEY,           -- public key id
	user_id    INTEGER NOT NULL,
	label      TEXT NOT NULL DEFAULT '',
	scopes     TEXT NOT NULL,              -- e.g. 'read,trade'
	key_id     TEXT NOT NULL,              -- sealed secret
	nonce      TEXT NOT NULL,
	ct         TEXT NOT NULL,
	created_ms INTEGER NOT NULL,
	revoked_ms INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX api_keys_user ON api_keys (user_id, id);

CREATE TABLE totp (
	user_id    INTEGER PRIMARY KEY,
	key_id     TEXT NOT NULL,              -- sealed secret
	nonce      TEXT NOT NULL,
	ct         TEXT NOT NULL,
	confirmed  INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
	last_step  INTEGER NOT NULL DEFAULT 0, -- last accepted time step
	created_ms INTEGER NOT NULL
);

CREATE TABLE recovery_codes (
	user_id    INTEGER NOT NULL,
	hash       TEXT NOT NULL,
	used_ms    INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (user_id, hash)
) WITHOUT ROWID;

CREATE TABLE audit_log (
	id      INTEGER PRIMARY KEY,
	ts_ms   INTEGER NOT NULL,
	actor   TEXT NOT NULL,                 -- user name, 'quantctl', ...
	action  TEXT NOT NULL,                 -- e.g. 'login.failed'
	target  TEXT NOT NULL DEFAULT '',
	ip      TEXT NOT NULL DEFAULT '',
	ok      INTEGER NOT NULL CHECK (ok IN (0, 1)),
	detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_ts ON audit_log (ts_ms);

-- Exchange credentials and other named secrets, sealed.
CREATE TABLE credentials (
	name       TEXT PRIMARY KEY,
	key_id     TEXT NOT NULL,
	nonce      TEXT NOT NULL,
	ct         TEXT NOT NULL,
	updated_ms INTEGER NOT NULL
) WITHOUT ROWID;
