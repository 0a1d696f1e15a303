-- 0001 market data: instruments and candles.
-- Money and market values are NUMERIC (exact); times are bigint
-- milliseconds since the Unix epoch, UTC.  With the timescaledb extension
-- preloaded, candles become a hypertable with compression; otherwise a
-- table range-partitioned by month, partitions created ahead by quantd
-- through qd_ensure_partitions().

CREATE FUNCTION qd_now_ms() RETURNS bigint
	LANGUAGE sql STABLE AS
	$$ SELECT (extract(epoch FROM now()) * 1000)::bigint $$;

-- Create the monthly partitions of `tbl` covering [from_ms, to_ms];
-- returns how many it created.  A no-op for hypertables.
CREATE FUNCTION qd_ensure_partitions(tbl text, from_ms bigint, to_ms bigint)
	RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	m timestamp := date_trunc('month',
		to_timestamp(from_ms / 1000.0) AT TIME ZONE 'UTC');
	last timestamp := to_timestamp(to_ms / 1000.0) AT TIME ZONE 'UTC';
	lo bigint;
	hi bigint;
	part text;
	made integer := 0;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_class c
	               JOIN pg_namespace n ON n.oid = c.relnamespace
	               WHERE c.relname = tbl AND c.relkind = 'p'
	                 AND n.nspname = current_schema()) THEN
		RETURN 0;
	END IF;
	WHILE m <= last LOOP
		part := format('%s_p%s', tbl, to_char(m, 'YYYYMM'));
		lo := (extract(epoch FROM m AT TIME ZONE 'UTC') * 1000)::bigint;
		hi := (extract(epoch FROM (m + interval '1 month') AT TIME ZONE 'UTC')
			* 1000)::bigint;
		IF to_regclass(quote_ident(part)) IS NULL THEN
			EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I '
				'FOR VALUES FROM (%s) TO (%s)', part, tbl, lo, hi);
			made := made + 1;
		END IF;
		m := m + interval '1 month';
	END LOOP;
	RETURN made;
END $$;

CREATE TABLE instruments (
	exchange      text NOT NULL,
	symbol        text NOT NULL,
	native_symbol text NOT NULL,
	tick          numeric NOT NULL,
	lot           numeric NOT NULL,
	min_notional  numeric NOT NULL DEFAULT 0,
	updated_at    bigint NOT NULL,
	PRIMARY KEY (exchange, symbol)
);

DO $$
DECLARE
	cols constant text := '(
		exchange     text NOT NULL,
		symbol       text NOT NULL,
		timeframe    text NOT NULL,
		open_time    bigint NOT NULL,
		open         numeric NOT NULL,
		high         numeric NOT NULL,
		low          numeric NOT NULL,
		close        numeric NOT NULL,
		volume       numeric NOT NULL,
		quote_volume numeric,
		trade_count  bigint,
		PRIMARY KEY (exchange, symbol, timeframe, open_time))';
BEGIN
	IF EXISTS (SELECT 1 FROM pg_available_extensions
	           WHERE name = 'timescaledb')
	   AND current_setting('shared_preload_libraries') LIKE '%timescaledb%'
	THEN
		CREATE EXTENSION IF NOT EXISTS timescaledb;
		EXECUTE 'CREATE TABLE candles ' || cols;
		PERFORM create_hypertable('candles', 'open_time',
			chunk_time_interval => 604800000::bigint);
		PERFORM set_integer_now_func('candles', 'qd_now_ms');
		ALTER TABLE candles SET (timescaledb.compress,
			timescaledb.compress_segmentby = 'exchange, symbol, timeframe',
			timescaledb.compress_orderby = 'open_time DESC');
		PERFORM add_compression_policy('candles',
			compress_after => 2592000000::bigint);
	ELSE
		EXECUTE 'CREATE TABLE candles ' || cols
			|| ' PARTITION BY RANGE (open_time)';
	END IF;
END $$;

-- The chart and API query: latest candles of a symbol and period.
CREATE INDEX candles_symbol_period_time
	ON candles (symbol, timeframe, open_time DESC);
