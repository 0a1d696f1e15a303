#!/bin/sh
# A sandboxed exchange adapter takes orders: tests/plugins/tp_venue.c runs
# in a child against tests/fakes/fake_venue.py and a tp-script strategy
# trades a live account through it.  Its calls are queued to the child and
# answered by updates: a market order fills, a resting limit is canceled,
# a stop (a type this venue lacks) is held by the host -- as in-process.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
sandbox_config
ln -s "$TP/tp-script.so" "$T/plugins/"
cp "$TP/tp-venue.so" "$T/untrusted/"
"$PY" "$QD_SRCDIR/tests/fakes/fake_venue.py" "$T/port" &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
wait_for 10 test -s "$T/port" || { not_ok "the fake venue starts"; finish; exit 1; }
PORT=$(cat "$T/port")
cat > "$T/quantd.d/venue.json" <<JSON
{"plugin": "tp-venue", "instance": "venue", "trust": "sandboxed",
 "params": {"base_url": "http://127.0.0.1:$PORT"}}
JSON
cat > "$T/quantd.d/s.json" <<JSON
{"plugin": "tp-script", "instance": "s", "exchange": "feed", "symbols": ["BTC/USDT"],
 "account": {"id": "live:s", "venue": "venue", "balance": 100000, "quote": "USDT"},
 "params": {"script": "wait 1500; buy market 0.5; buy limit 0.5 -50%; wait 500; cancel 2; sell stop 0.1 -60%"}}
JSON
start_daemon || { not_ok "daemon starts" "$(cat "$T/stderr")"; finish; exit 1; }
ok "daemon starts with a sandboxed venue adapter"
check "the adapter runs sandboxed" grep -q 'tag=venue msg="started plugin tp-venue .*sandboxed' "$T/quantd.log"
check "a market order fills at the venue" wait_for 20 grep -q 'script order [0-9]* #1 FILLED filled=0.5 ' "$T/quantd.log"
check "a resting limit is canceled at the venue" wait_for 20 grep -q 'script order [0-9]* #2 CANCELED' "$T/quantd.log"
check "a stop the venue lacks is held by the host" wait_for 20 grep -q 'script order [0-9]* #3 PENDING' "$T/quantd.log"
stop_daemon
curl -s "http://127.0.0.1:$PORT/fake/record" > "$T/record.json"
out=$("$PY" - "$T/record.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
orders = r["orders"] if isinstance(r["orders"], list) else list(r["orders"].values())
kinds = sorted((o["type"], o["state"] if "state" in o else o.get("status")) for o in orders)
print(len(orders), len(r["fills"]), kinds)
PY
)
check "the venue holds the two orders the adapter sent, one filled ($out)" sh -c "echo '$out' | grep -q '^2 [1-9]'"
check "no stop reached the venue" sh -c "! grep -q '\"stop' '$T/record.json'"
finish
