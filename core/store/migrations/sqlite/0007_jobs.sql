-- Jobs: backtests, optimisations, walk-forward and Monte Carlo runs a user
-- asked the daemon for, each run by one quantctl process.  user_id is the
-- user's name (text, like alerts) so that compute can be attributed to a
-- user (cpu_ms: user + system time of the job's process) and limits
-- counted per user.  request is the validated request, JSON.
CREATE TABLE jobs (
	id          INTEGER PRIMARY KEY,
	user_id     TEXT NOT NULL,
	kind        TEXT NOT NULL,             -- backtest, optimize, walkforward, montecarlo
	request     TEXT NOT NULL,             -- JSON
	state       TEXT NOT NULL,             -- queued, running, done, failed, canceled
	progress    REAL NOT NULL DEFAULT 0,   -- 0 .. 1
	error       TEXT NOT NULL DEFAULT '',
	created_ms  INTEGER NOT NULL,
	started_ms  INTEGER,                   -- NULL: not started
	finished_ms INTEGER,                   -- NULL: not finished
	cpu_ms      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_user ON jobs (user_id, state, id);
