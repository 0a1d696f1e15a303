-- 0002 trades (optional, pruned by retention; a hypertable with
-- compression under timescaledb, monthly partitions otherwise), plugin
-- instance state and the notification outbox.

DO $$
DECLARE
	cols constant text := '(
		exchange text NOT NULL,
		symbol   text NOT NULL,
		time     bigint NOT NULL,
		trade_id bigint NOT NULL,
		price    numeric NOT NULL,
		qty      numeric NOT NULL,
		side     smallint NOT NULL DEFAULT 0,
		PRIMARY KEY (exchange, symbol, time, trade_id))';
BEGIN
	IF EXISTS (SELECT 1 FROM timescaledb_information.hypertables
	           WHERE hypertable_name = 'candles')
	THEN
		EXECUTE 'CREATE TABLE trades ' || cols;
		PERFORM create_hypertable('trades', 'time',
			chunk_time_interval => 86400000::bigint);
		PERFORM set_integer_now_func('trades', 'qd_now_ms');
		ALTER TABLE trades SET (timescaledb.compress,
			timescaledb.compress_segmentby = 'exchange, symbol',
			timescaledb.compress_orderby = 'time DESC');
		PERFORM add_compression_policy('trades',
			compress_after => 86400000::bigint);
	ELSE
		EXECUTE 'CREATE TABLE trades ' || cols
			|| ' PARTITION BY RANGE (time)';
	END IF;
EXCEPTION WHEN undefined_table THEN
	EXECUTE 'CREATE TABLE trades ' || cols || ' PARTITION BY RANGE (time)';
END $$;

CREATE TABLE plugin_state (
	instance   text PRIMARY KEY,
	data       bytea NOT NULL,
	updated_at bigint NOT NULL
);

CREATE TABLE outbox (
	id           bigserial PRIMARY KEY,
	created_at   bigint NOT NULL,
	channel      text NOT NULL,
	payload      jsonb NOT NULL,
	state        text NOT NULL DEFAULT 'pending'
	             CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
	attempts     integer NOT NULL DEFAULT 0,
	next_attempt bigint NOT NULL,
	last_error   text
);
CREATE INDEX outbox_due ON outbox (state, next_attempt);
