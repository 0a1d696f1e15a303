-- Jobs: backtests, optimisations, walk-forward and Monte Carlo runs a user
-- asked the daemon for, each run by one quantctl process.  user_id is the
-- user's name (text, like alerts) so that compute can be attributed to a
-- user (cpu_ms: user + system time of the job's process) and limits
-- counted per user.  request is the validated request, JSON.
CREATE TABLE jobs (
	id          bigint PRIMARY KEY,
	user_id     text NOT NULL,
	kind        text NOT NULL,             -- backtest, optimize, walkforward, montecarlo
	request     text NOT NULL,             -- JSON
	state       text NOT NULL,             -- queued, running, done, failed, canceled
	progress    double precision NOT NULL DEFAULT 0,   -- 0 .. 1
	error       text NOT NULL DEFAULT '',
	created_ms  bigint NOT NULL,
	started_ms  bigint,                   -- NULL: not started
	finished_ms bigint,                   -- NULL: not finished
	cpu_ms      bigint NOT NULL DEFAULT 0
);
CREATE INDEX jobs_user ON jobs (user_id, state, id);
