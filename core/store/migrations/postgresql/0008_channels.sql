-- 0008 channels: each user's own notification channels and the channel
-- kinds each plan includes.  Times are int64 milliseconds since the Unix
-- epoch, UTC.
--
-- plan_channels: which kinds of user channel a plan includes.  A plan
-- sold later (commerce) adds its rows here; a kind a user's plan lacks is
-- refused when the user sets it (403) and skipped, with the reason, when
-- a notification would use it after a downgrade.  The dashboard's
-- WebSocket push is no row: every plan has it.
CREATE TABLE plan_channels (
	plan TEXT NOT NULL REFERENCES plans (name),
	kind TEXT NOT NULL CHECK (kind IN ('email', 'telegram', 'discord',
		'webhook')),
	PRIMARY KEY (plan, kind)
);
INSERT INTO plan_channels VALUES ('free', 'email');
INSERT INTO plan_channels VALUES ('pro', 'email');
INSERT INTO plan_channels VALUES ('enterprise', 'email');
INSERT INTO plan_channels VALUES ('enterprise', 'telegram');
INSERT INTO plan_channels VALUES ('enterprise', 'discord');
INSERT INTO plan_channels VALUES ('enterprise', 'webhook');

-- user_channels: one row per (user, kind).  user_name is the user's name,
-- as alerts and jobs name users.  target is what is not secret (an e-mail
-- address, a Telegram chat id, a webhook URL); the secret (the webhook's
-- HMAC secret, the Telegram bot token, the Discord webhook URL) is either
-- a reference, secret_ref = 'env:VAR' or 'file:PATH', read when a
-- notification is sent, or sealed here with AES-256-GCM (key_id, nonce,
-- ct as in 0004; its AAD is "channel:USER:KIND").  Neither is ever
-- returned by the API.
CREATE TABLE user_channels (
	user_name  TEXT NOT NULL,
	kind       TEXT NOT NULL CHECK (kind IN ('email', 'telegram',
		'discord', 'webhook')),
	target     TEXT NOT NULL DEFAULT '',
	secret_ref TEXT NOT NULL DEFAULT '',
	key_id     TEXT NOT NULL DEFAULT '',
	nonce      TEXT NOT NULL DEFAULT '',
	ct         TEXT NOT NULL DEFAULT '',
	created_ms bigint NOT NULL,
	updated_ms bigint NOT NULL,
	PRIMARY KEY (user_name, kind)
);

-- A notification row for a user's own channel: user_channel names its
-- kind ('' for the notifier instance's own destination), so that one
-- instance can carry both the operators' copy and the user's.
ALTER TABLE notify_outbox ADD COLUMN user_channel TEXT NOT NULL DEFAULT '';
DROP INDEX notify_outbox_dkey;
CREATE UNIQUE INDEX notify_outbox_dkey ON notify_outbox (dkey, channel,
	user_channel);

-- An alert's chosen channels among its owner's: kinds joined by commas
-- ("webhook,email"), '' for none (the dashboard only), NULL for every
-- channel the owner set.
ALTER TABLE alerts ADD COLUMN channels TEXT;
