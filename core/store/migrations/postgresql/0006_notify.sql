-- 0006 notify: the notification outbox.  A notification is one row per
-- channel it goes to, written before it is first sent and replaced at
-- every attempt; rows that were neither delivered nor dead-lettered when
-- the daemon stopped are sent again at its start.  dkey is the
-- deduplication key: the same key enqueued twice for a channel is one row.
-- state: 0 pending, 1 delivered, 2 dead (attempts ran out; last_error
-- says why).  Times are int64 milliseconds since the Unix epoch, UTC.
--
-- It replaces 0002's `outbox`, which nothing ever wrote: it had no
-- deduplication key, user or event to route and list by.

DROP TABLE outbox;

CREATE TABLE notify_outbox (
	id         bigint PRIMARY KEY,         -- the outbox's id, ascending
	dkey       TEXT NOT NULL,              -- deduplication key
	channel    TEXT NOT NULL,              -- notifier instance
	event      TEXT NOT NULL,              -- 'alert', 'fill', 'risk.halt'
	severity   smallint NOT NULL DEFAULT 0, -- the SDK's qd_severity
	owner      TEXT NOT NULL DEFAULT '',   -- user it is for; '' operators
	title      TEXT NOT NULL DEFAULT '',
	body       TEXT NOT NULL DEFAULT '',
	recipient  TEXT,                       -- or NULL: the channel's default
	state      smallint NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),
	attempts   integer NOT NULL DEFAULT 0,
	next_ms    bigint NOT NULL DEFAULT 0, -- pending: not before
	last_error TEXT NOT NULL DEFAULT '',
	created_ms bigint NOT NULL,
	updated_ms bigint NOT NULL
);
CREATE UNIQUE INDEX notify_outbox_dkey ON notify_outbox (dkey, channel);
-- What start-up reloads, and what `quantctl notify dead` lists.
CREATE INDEX notify_outbox_state ON notify_outbox (state, id);
