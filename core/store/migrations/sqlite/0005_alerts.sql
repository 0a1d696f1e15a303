-- Alerts: a condition on one (exchange, symbol) of a user, with the state
-- its evaluation needs across a restart.  user_id is text without a
-- foreign key: users are named by id or name, 'admin' when there are none.
CREATE TABLE alerts (
	id            INTEGER PRIMARY KEY,
	user_id       TEXT NOT NULL DEFAULT 'admin',
	exchange      TEXT NOT NULL,
	symbol        TEXT NOT NULL,
	name          TEXT NOT NULL DEFAULT '',
	spec          TEXT NOT NULL,            -- the condition, JSON
	fire_mode     TEXT NOT NULL,            -- once, every
	cooldown_ms   INTEGER NOT NULL DEFAULT 0,
	expires_ms    INTEGER,                  -- NULL: never
	enabled       INTEGER NOT NULL DEFAULT 1,
	fire_count    INTEGER NOT NULL DEFAULT 0,
	last_fired_ms INTEGER,                  -- NULL: never fired
	state         TEXT NOT NULL DEFAULT '{}', -- evaluation state, JSON
	created_ms    INTEGER NOT NULL,
	updated_ms    INTEGER NOT NULL
);
CREATE INDEX alerts_user ON alerts (user_id, id);

-- Every time an alert fired.
CREATE TABLE alert_events (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	alert_id INTEGER NOT NULL,
	user_id  TEXT NOT NULL,
	ts_ms    INTEGER NOT NULL,
	price    TEXT NOT NULL,                 -- decimal text
	message  TEXT NOT NULL
);
CREATE INDEX alert_events_alert ON alert_events (alert_id, id);
