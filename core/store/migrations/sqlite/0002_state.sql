-- 0002 trades (optional, pruned by retention), plugin instance state and
-- the notification outbox.

CREATE TABLE trades (
	exchange  TEXT NOT NULL,
	symbol    TEXT NOT NULL,
	time      INTEGER NOT NULL,            -- ms
	trade_id  INTEGER NOT NULL,            -- venue id or per-ms sequence
	price     TEXT NOT NULL,
	qty       TEXT NOT NULL,
	side      INTEGER NOT NULL DEFAULT 0,  -- 1 buy, 2 sell (taker), 0 unknown
	PRIMARY KEY (exchange, symbol, time, trade_id)
) WITHOUT ROWID;

-- What state_save() keeps for a plugin instance across restarts.
CREATE TABLE plugin_state (
	instance   TEXT PRIMARY KEY,
	data       BLOB NOT NULL,
	updated_at INTEGER NOT NULL            -- ms
);

-- Notifications waiting to be delivered (the notifier issue drains it).
CREATE TABLE outbox (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	created_at   INTEGER NOT NULL,         -- ms
	channel      TEXT NOT NULL,            -- notifier instance
	payload      TEXT NOT NULL,            -- JSON
	state        TEXT NOT NULL DEFAULT 'pending'
	             CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL,         -- ms
	last_error   TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt);
