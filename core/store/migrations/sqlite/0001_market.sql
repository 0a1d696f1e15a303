-- 0001 market data: instruments and candles.
-- Prices and quantities are exact decimal text: SQLite has no decimal
-- type, and a NUMERIC column would store fractions as binary floating
-- point.  Times are int64 milliseconds since the Unix epoch, UTC.

CREATE TABLE instruments (
	exchange      TEXT NOT NULL,
	symbol        TEXT NOT NULL,           -- canonical BASE/QUOTE
	native_symbol TEXT NOT NULL,           -- the venue's spelling
	tick          TEXT NOT NULL,           -- price increment (decimal)
	lot           TEXT NOT NULL,           -- quantity increment (decimal)
	min_notional  TEXT NOT NULL DEFAULT '0',
	updated_at    INTEGER NOT NULL,        -- ms
	PRIMARY KEY (exchange, symbol)
) WITHOUT ROWID;

CREATE TABLE candles (
	exchange     TEXT NOT NULL,
	symbol       TEXT NOT NULL,
	timeframe    TEXT NOT NULL,            -- 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 12h 1d 1w
	open_time    INTEGER NOT NULL,         -- ms, aligned to the timeframe
	open         TEXT NOT NULL,
	high         TEXT NOT NULL,
	low          TEXT NOT NULL,
	close        TEXT NOT NULL,
	volume       TEXT NOT NULL,            -- base units
	quote_volume TEXT,                     -- quote units, NULL if unknown
	trade_count  INTEGER,                  -- NULL if unknown
	PRIMARY KEY (exchange, symbol, timeframe, open_time)
) WITHOUT ROWID;

-- The chart and API query: latest candles of a symbol and period.
CREATE INDEX candles_symbol_period_time
	ON candles (symbol, timeframe, open_time DESC);
