-- 0003 trading: accounts, orders, fills, ledger postings and the risk log.
-- Amounts are exact decimal text, as in 0001 (never REAL, never NUMERIC:
-- SQLite would turn fractions into binary floating point).  Times are
-- int64 milliseconds since the Unix epoch, UTC; sides, order types, time
-- in force and states are the SDK's enum values.
--
-- What comes next shaped this: users own accounts (accounts.owner, several
-- accounts per user), and the REST API lists an account's orders, fills
-- and postings page by page with a cursor -- keyset pagination on the
-- indexes below ((account, id), (account, ts_ms), (account, txn)), never
-- OFFSET.  No foreign keys: the ledger's counterparties ("venue:NAME",
-- "fees:NAME", "external:deposits") are accounts of the books but not rows
-- of `accounts`, and the journal writes rows in the order the core makes
-- them.

CREATE TABLE accounts (
	id         TEXT PRIMARY KEY,           -- e.g. 'paper:ma-fast'
	owner      TEXT NOT NULL DEFAULT '',   -- user; '' for none yet
	instance   TEXT NOT NULL DEFAULT '',   -- strategy instance, or ''
	venue      TEXT NOT NULL,              -- 'paper' or an exchange instance
	quote      TEXT NOT NULL,              -- asset equity is counted in
	margin     INTEGER NOT NULL DEFAULT 0 CHECK (margin IN (0, 1)),
	created_ms INTEGER NOT NULL
) WITHOUT ROWID;
-- A user's accounts.
CREATE INDEX accounts_owner ON accounts (owner, id);

-- One row per order, replaced at every state change.
CREATE TABLE orders (
	id             INTEGER PRIMARY KEY,    -- host order id, ascending
	client_id      TEXT NOT NULL UNIQUE,   -- idempotency key at the venue
	account        TEXT NOT NULL,
	instance       TEXT NOT NULL DEFAULT '',
	venue          TEXT NOT NULL,
	symbol         TEXT NOT NULL,
	side           INTEGER NOT NULL,       -- 1 buy, 2 sell
	type           INTEGER NOT NULL,
	tif            INTEGER NOT NULL,
	flags          INTEGER NOT NULL DEFAULT 0,  -- a uint32 mask
	state          INTEGER NOT NULL,       -- 1 created .. 7 expired
	qty            TEXT NOT NULL,
	price          TEXT,
	stop_price     TEXT,
	trail          TEXT,
	filled         TEXT NOT NULL DEFAULT '0',
	avg_price      TEXT,
	fees           TEXT NOT NULL DEFAULT '0',  -- quote units
	parent_id      INTEGER,                -- bracket entry, or NULL
	link_id        INTEGER,                -- OCO sibling, or NULL
	venue_order_id TEXT,
	reason         TEXT,
	tag            TEXT,
	created_ms     INTEGER NOT NULL,
	updated_ms     INTEGER NOT NULL
);
-- An account's orders page by page (the API's cursor is the last id).
CREATE INDEX orders_account ON orders (account, id);
-- An account's orders in one state.
CREATE INDEX orders_account_state ON orders (account, state);
-- Open orders (created, pending, partial): what a restart resumes; small,
-- as most orders end.
CREATE INDEX orders_open ON orders (account, id) WHERE state IN (1, 2, 3);

-- A fill is kept once: the venue's trade id within its order.
CREATE TABLE fills (
	order_id  INTEGER NOT NULL,
	trade_id  TEXT NOT NULL,
	account   TEXT NOT NULL,
	symbol    TEXT NOT NULL,
	side      INTEGER NOT NULL,
	qty       TEXT NOT NULL,
	price     TEXT NOT NULL,
	fee       TEXT NOT NULL,               -- negative for a rebate
	fee_asset TEXT NOT NULL,
	maker     INTEGER NOT NULL CHECK (maker IN (0, 1)),
	ts_ms     INTEGER NOT NULL,
	PRIMARY KEY (order_id, trade_id)
) WITHOUT ROWID;
-- An account's fills in time (the API's cursor: ts_ms, order_id, trade_id).
CREATE INDEX fills_account_time ON fills (account, ts_ms);

-- The ledger's journal: each balanced transaction's legs, numbered from 1
-- within the transaction, so that a transaction written twice is refused
-- instead of counted twice.
CREATE TABLE ledger_postings (
	txn     INTEGER NOT NULL,              -- transaction number, 1, 2, ...
	leg     INTEGER NOT NULL,              -- 1, 2, ... within txn
	ts_ms   INTEGER NOT NULL,
	kind    TEXT NOT NULL,                 -- trade, fee, deposit, transfer
	ref     TEXT NOT NULL DEFAULT '',      -- e.g. the fill's id
	account TEXT NOT NULL,                 -- also venue:, fees:, external:
	asset   TEXT NOT NULL,
	amount  TEXT NOT NULL,                 -- signed
	PRIMARY KEY (txn, leg)
) WITHOUT ROWID;
-- An account's postings (the API's cursor: txn, leg).
CREATE INDEX ledger_postings_account ON ledger_postings (account, txn);

-- Every risk decision: refused orders, breaches, halts and their ends.
-- scope is not constrained: scopes may grow (a user's).
CREATE TABLE risk_log (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	ts_ms    INTEGER NOT NULL,
	scope    TEXT NOT NULL,                -- global, account, instance
	scope_id TEXT NOT NULL DEFAULT '',     -- '' for global
	rule     TEXT NOT NULL,
	actions  TEXT NOT NULL,                -- e.g. 'halt,cancel,notify'
	symbol   TEXT,
	reason   TEXT NOT NULL,
	order_id INTEGER                       -- the refused order, or NULL
);
CREATE INDEX risk_log_time ON risk_log (ts_ms);
