#!/bin/sh
# quantctl data import/export/list/gaps/prune and backtests from the store,
# on SQLite and on a real PostgreSQL server started here.
. "$QD_SRCDIR/tests/integration/lib.sh"
. "$QD_SRCDIR/tests/fakes/pg.sh"
trap 'pg_stop; cleanup' EXIT
Q=$QUANTCTL
D=$T/data
mkdir -p "$D"
cat > "$T/q.json" <<JSON
{"plugin_dirs": ["$QD_BUILDDIR/lib/plugins"], "state_dir": "$T/var"}
JSON

# Files as users bring them.
"$Q" data synth --bars 3000 --seed 7 > "$D/ours.csv"
# Binance klines, no header, microseconds, quote volume and trade count.
awk -F, 'NR > 1 { printf "%s000,%s,%s,%s,%s,%s,%.0f,%.4f,%d,0,0,0\n", $1, $2, $3, $4, $5, $6, ($1 + 59999) * 1000 + 999, $5 * $6, NR }' "$D/ours.csv" > "$D/klines_us.csv"
# The same with Binance's header and milliseconds.
{ echo "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore"
  awk -F, 'NR > 1 { printf "%s,%s,%s,%s,%s,%s,%.0f,1,1,0,0,0\n", $1, $2, $3, $4, $5, $6, $1 + 59999 }' "$D/ours.csv"; } > "$D/klines_hdr.csv"
printf '101,42000.5,0.01,1,1,1704067200123,true,true\n102,42000.6,0.02,2,3,1704067200123,false,true\n103,41999,1.5,4,4,1704067201000,false,true\n' > "$D/agg.csv"
{ echo "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker"
  echo "7,1.5,2,1,1,1704067200000000,True"; } > "$D/agg_hdr.csv"
# Broken files: the error names FILE:LINE and nothing is imported.
{ head -1001 "$D/ours.csv"; echo "1704127200000,1,1,1,1"; } > "$D/short_row.csv"
{ head -1001 "$D/ours.csv"; sed -n 2p "$D/ours.csv"; } > "$D/out_of_order.csv"
{ head -1001 "$D/ours.csv"; sed -n 1001p "$D/ours.csv"; } > "$D/dup.csv"
{ echo "time,open,high,low,close,volume"; echo "2024-01-01T00:00:00+08:00,1,1,1,1,1"; } > "$D/non_utc.csv"
{ echo "time,open,high,low,close,volume"; echo "2024-01-01 00:00:00,1,1,1,1,1"; } > "$D/no_zone.csv"
printf 'a,b,c\n1,2,3\n' > "$D/wrong_cols.csv"
sed '1500,1510d' "$D/ours.csv" > "$D/gappy.csv"
"$Q" data synth --bars 9000 --seed 11 > "$D/long.csv"

count() { "$Q" --json data list --db "$1" --exchange "$2" | python3 -c 'import json,sys; print(sum(r["count"] for r in json.load(sys.stdin)))'; }

suite() {
	db=$1 tag=$2
	out=$("$Q" --json data import "$D/ours.csv" --exchange ex --symbol BTC/USDT --db "$db" 2>&1)
	case $out in *'"rows":3000'*) ok "$tag: import our CSV";; *) not_ok "$tag: import our CSV" "$out";; esac
	"$Q" data import "$D/ours.csv" --exchange ex --symbol BTC/USDT --db "$db" >/dev/null 2>&1
	[ "$(count "$db" ex)" = 3000 ] && ok "$tag: importing again changes nothing" || not_ok "$tag: importing again changes nothing" "$(count "$db" ex)"
	"$Q" data export --db "$db" --exchange ex --symbol BTC/USDT --timeframe 1m > "$T/exp.csv"
	if cut -d, -f1-6 "$T/exp.csv" | sed 1d | cmp -s - "$T/ours.norm"; then ok "$tag: export gives the imported values back"
	else not_ok "$tag: export gives the imported values back" "$(cut -d, -f1-6 "$T/exp.csv" | sed 1d | diff - "$T/ours.norm" | head -5)"; fi
	"$Q" -c "$T/q.json" --json backtest --strategy ma-cross --data "$D/ours.csv" > "$T/bt_csv.json" 2>/dev/null
	printf '{"plugin_dirs": ["%s/lib/plugins"], "state_dir": "%s/var", "storage": {"url": "%s"}}\n' "$QD_BUILDDIR" "$T" "$db" > "$T/qs.json"
	"$Q" -c "$T/qs.json" --json backtest --strategy ma-cross --data store:ex:BTC/USDT:1m > "$T/bt_store.json" 2>"$T/bt.err"
	if [ -s "$T/bt_store.json" ] && cmp -s "$T/bt_csv.json" "$T/bt_store.json"; then ok "$tag: backtest from the store = from the CSV"
	else not_ok "$tag: backtest from the store = from the CSV" "$(cat "$T/bt.err")"; fi
	# Read a page at a time: 9,000 candles are three pages.
	"$Q" data import "$D/long.csv" --exchange pg --symbol BTC/USDT --db "$db" >/dev/null 2>&1
	"$Q" -c "$T/q.json" --json backtest --strategy ma-cross --data "$D/long.csv" --equity-every bar > "$T/bt_long_csv.json" 2>/dev/null
	"$Q" -c "$T/qs.json" --json backtest --strategy ma-cross --data store:pg:BTC/USDT:1m --equity-every bar > "$T/bt_long_store.json" 2>"$T/bt.err"
	if [ -s "$T/bt_long_store.json" ] && cmp -s "$T/bt_long_csv.json" "$T/bt_long_store.json"; then ok "$tag: a long backtest from the store, page by page = from the CSV"
	else not_ok "$tag: a long backtest from the store, page by page = from the CSV" "$(cat "$T/bt.err")"; fi

	"$Q" data import "$D/klines_us.csv" --exchange bn --symbol ETH/USDT --db "$db" >/dev/null 2>&1
	line=$("$Q" data export --db "$db" --exchange bn --symbol ETH/USDT --timeframe 1m | sed -n 3p)
	want=$(sed -n 3p "$D/ours.csv" | cut -d, -f1)
	case $line in "$want,"*",3") ok "$tag: Binance klines in microseconds, with quote volume and count";;
		*) not_ok "$tag: Binance klines in microseconds, with quote volume and count" "$line / $want";; esac
	out=$("$Q" --json data import "$D/klines_hdr.csv" --exchange bn2 --symbol ETH/USDT --db "$db" 2>&1)
	case $out in *'"format":"binance-klines"'*'"rows":3000'*) ok "$tag: Binance klines with header";; *) not_ok "$tag: Binance klines with header" "$out";; esac
	out=$("$Q" --json data import "$D/agg.csv" --exchange bn --symbol ETH/USDT --db "$db" 2>&1)
	case $out in *'"kind":"trades"'*'"rows":3'*) ok "$tag: Binance aggTrades without header";; *) not_ok "$tag: Binance aggTrades without header" "$out";; esac
	out=$("$Q" --json data import "$D/agg_hdr.csv" --exchange bn --symbol ETH/USDT --db "$db" 2>&1)
	case $out in *'"rows":1'*'"first":1704067200000'*) ok "$tag: Binance aggTrades with header, microseconds";; *) not_ok "$tag: Binance aggTrades with header, microseconds" "$out";; esac

	before=$(count "$db" bad)
	for f in short_row:1002:columns out_of_order:1002:"out of order" dup:1002:duplicate non_utc:2:"not a UTC time" no_zone:2:"without a time zone" wrong_cols:1:"no \"ts\" column"; do
		name=${f%%:*} rest=${f#*:} ln=${rest%%:*} msg=${rest#*:}
		out=$("$Q" data import "$D/$name.csv" --exchange bad --symbol BTC/USDT --db "$db" 2>&1); rc=$?
		case $out in *"$D/$name.csv:$ln: "*"$msg"*)
			[ $rc -eq 2 ] && ok "$tag: $name: FILE:LINE error" || not_ok "$tag: $name: exit status $rc";;
			*) not_ok "$tag: $name: FILE:LINE error" "$out";; esac
	done
	[ "$(count "$db" bad)" = "$before" ] && ok "$tag: broken files import nothing" || not_ok "$tag: broken files import nothing"

	"$Q" data import "$D/gappy.csv" --exchange gap --symbol BTC/USDT --db "$db" >/dev/null 2>&1
	out=$("$Q" --json data gaps --db "$db" --exchange gap --symbol BTC/USDT --timeframe 1m)
	case $out in '[{"from":'*'"missing":11}]') ok "$tag: gaps";; *) not_ok "$tag: gaps" "$out";; esac
	out=$("$Q" --json data list --db "$db" --exchange gap)
	case $out in *'"count":2989,"missing":11'*) ok "$tag: list shows coverage";; *) not_ok "$tag: list shows coverage" "$out";; esac
	out=$("$Q" --json data prune --db "$db" --exchange gap --older-than 1d)
	case $out in '{"deleted":2989}') ok "$tag: prune";; *) not_ok "$tag: prune" "$out";; esac
	"$Q" data vacuum --db "$db" >/dev/null && ok "$tag: vacuum" || not_ok "$tag: vacuum"
}

# What an export must give back: our CSV's values as the shortest decimals.
python3 - "$D/ours.csv" > "$T/ours.norm" <<'PY'
import sys
for i, l in enumerate(open(sys.argv[1])):
    if i == 0: continue
    f = l.strip().split(',')
    print(','.join([f[0]] + [repr(float(x)).rstrip('0').rstrip('.') if '.' in repr(float(x)) else repr(float(x)) for x in f[1:6]]))
PY
suite "$T/store.db" sqlite
if pg_start "$T/pg"; then
	suite "$PG_URL" postgresql
else
	not_ok "PostgreSQL server starts"
fi
finish
