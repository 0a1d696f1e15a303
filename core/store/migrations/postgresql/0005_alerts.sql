-- Alerts: a condition on one (exchange, symbol) of a user, with the state
-- its evaluation needs across a restart.  user_id is text without a
-- foreign key: users are named by id or name, 'admin' when there are none.
CREATE TABLE alerts (
	id            bigint PRIMARY KEY,
	user_id       text NOT NULL DEFAULT 'admin',
	exchange      text NOT NULL,
	symbol        text NOT NULL,
	name          text NOT NULL DEFAULT '',
	spec          text NOT NULL,            -- the condition, JSON
	fire_mode     text NOT NULL,            -- once, every
	cooldown_ms   bigint NOT NULL DEFAULT 0,
	expires_ms    bigint,                   -- NULL: never
	enabled       boolean NOT NULL DEFAULT true,
	fire_count    bigint NOT NULL DEFAULT 0,
	last_fired_ms bigint,                   -- NULL: never fired
	state         text NOT NULL DEFAULT '{}', -- evaluation state, JSON
	created_ms    bigint NOT NULL,
	updated_ms    bigint NOT NULL
);
CREATE INDEX alerts_user ON alerts (user_id, id);

-- Every time an alert fired.
CREATE TABLE alert_events (
	id       bigserial PRIMARY KEY,
	alert_id bigint NOT NULL,
	user_id  text NOT NULL,
	ts_ms    bigint NOT NULL,
	price    numeric NOT NULL,
	message  text NOT NULL
);
CREATE INDEX alert_events_alert ON alert_events (alert_id, id);
