-- 0003 trading: accounts, orders, fills, ledger postings and the risk log.
-- Amounts are NUMERIC, written and read as plain decimal text (numeric
-- keeps the scale it was given: '0.00100000' reads back as written); times
-- are bigint milliseconds since the Unix epoch, UTC; sides, order types,
-- time in force and states are the SDK's enum values (smallint).
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
	id         text PRIMARY KEY,            -- e.g. 'paper:ma-fast'
	owner      text NOT NULL DEFAULT '',    -- user; '' for none yet
	instance   text NOT NULL DEFAULT '',    -- strategy instance, or ''
	venue      text NOT NULL,               -- 'paper' or an exchange instance
	quote      text NOT NULL,               -- asset equity is counted in
	margin     smallint NOT NULL DEFAULT 0 CHECK (margin IN (0, 1)),
	created_ms bigint NOT NULL
);
-- A user's accounts.
CREATE INDEX accounts_owner ON accounts (owner, id);

-- One row per order, replaced at every state change.
CREATE TABLE orders (
	id             bigint PRIMARY KEY,       -- host order id, ascending
	client_id      text NOT NULL UNIQUE,     -- idempotency key at the venue
	account        text NOT NULL,
	instance       text NOT NULL DEFAULT '',
	venue          text NOT NULL,
	symbol         text NOT NULL,
	side           smallint NOT NULL,        -- 1 buy, 2 sell
	type           smallint NOT NULL,
	tif            smallint NOT NULL,
	flags          bigint NOT NULL DEFAULT 0,  -- a uint32 mask
	state          smallint NOT NULL,        -- 1 created .. 7 expired
	qty            numeric NOT NULL,
	price          numeric,
	stop_price     numeric,
	trail          numeric,
	filled         numeric NOT NULL DEFAULT 0,
	avg_price      numeric,
	fees           numeric NOT NULL DEFAULT 0,  -- quote units
	parent_id      bigint,                   -- bracket entry, or NULL
	link_id        bigint,                   -- OCO sibling, or NULL
	venue_order_id text,
	reason         text,
	tag            text,
	created_ms     bigint NOT NULL,
	updated_ms     bigint NOT NULL
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
	order_id  bigint NOT NULL,
	trade_id  text NOT NULL,
	account   text NOT NULL,
	symbol    text NOT NULL,
	side      smallint NOT NULL,
	qty       numeric NOT NULL,
	price     numeric NOT NULL,
	fee       numeric NOT NULL,             -- negative for a rebate
	fee_asset text NOT NULL,
	maker     smallint NOT NULL CHECK (maker IN (0, 1)),
	ts_ms     bigint NOT NULL,
	PRIMARY KEY (order_id, trade_id)
);
-- An account's fills in time (the API's cursor: ts_ms, order_id, trade_id).
CREATE INDEX fills_account_time ON fills (account, ts_ms);

-- The ledger's journal: each balanced transaction's legs, numbered from 1
-- within the transaction, so that a transaction written twice is refused
-- instead of counted twice.
CREATE TABLE ledger_postings (
	txn     bigint NOT NULL,                -- transaction number, 1, 2, ...
	leg     integer NOT NULL,               -- 1, 2, ... within txn
	ts_ms   bigint NOT NULL,
	kind    text NOT NULL,                  -- trade, fee, deposit, transfer
	ref     text NOT NULL DEFAULT '',       -- e.g. the fill's id
	account text NOT NULL,                  -- also venue:, fees:, external:
	asset   text NOT NULL,
	amount  numeric NOT NULL,               -- signed
	PRIMARY KEY (txn, leg)
);
-- An account's postings (the API's cursor: txn, leg).
CREATE INDEX ledger_postings_account ON ledger_postings (account, txn);

-- Every risk decision: refused orders, breaches, halts and their ends.
-- scope is not constrained: scopes may grow (a user's).
CREATE TABLE risk_log (
	id       bigserial PRIMARY KEY,
	ts_ms    bigint NOT NULL,
	scope    text NOT NULL,                 -- global, account, instance
	scope_id text NOT NULL DEFAULT '',      -- '' for global
	rule     text NOT NULL,
	actions  text NOT NULL,                 -- e.g. 'halt,cancel,notify'
	symbol   text,
	reason   text NOT NULL,
	order_id bigint                         -- the refused order, or NULL
);
CREATE INDEX risk_log_time ON risk_log (ts_ms);
