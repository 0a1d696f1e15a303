#!/bin/sh
# The API's answer cache: a page of candles asked again is answered by the
# net thread (quantd_api_cached_answers_total{thread="net"}) with the very
# bytes the core thread answered first (status line, headers and body); a
# candle closing replaces it; every request still passes authentication
# (401 without or with a bad token), the plan's rate limit (the 11th request
# of a free user in a minute is 429 with Retry-After, as on a route the core
# answers) and is counted once in quantd_api_requests_total.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3

make_config
ln -s "$QD_BUILDDIR/lib/plugins/exchange-replay.so" "$T/plugins/"
QD_JWT=$(openssl rand -hex 32)
export QD_JWT
sed -i 's|"listen": "127.0.0.1:0",|"listen": "127.0.0.1:0", "storage": {"url": "quantd.db", "flush_ms": 20}, "api": {"jwt_secret": "env:QD_JWT"},|' "$T/quantd.json"
# Trades 50 ms apart replayed 30 times faster: a 1m candle every 2 s.
"$PY" - "$T/trades.csv" <<'PY'
import random, sys
r = random.Random(7)
t0, p, rows = 1704067200000, 100.0, []
for i in range(40000):
    p = round(p * (1 + r.uniform(-8e-4, 8e-4)), 2)
    rows.append("%d,%.2f,%.4f,%d,%d,%d,%s,True" % (i + 1, p, r.uniform(0.001, 0.2), i + 1, i + 1, t0 + i * 50, "true" if r.random() < .5 else "false"))
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
cat > "$T/quantd.d/feed.json" <<JSON
{"plugin": "replay", "instance": "feed", "symbols": ["BTC/USDT"], "timeframes": ["1m"],
 "params": {"source": "file:$T/trades.csv", "symbol": "BTC/USDT", "speed": 30}}
JSON
root_pw=$(openssl rand -hex 12)
carl_pw=$(openssl rand -hex 12)
printf '%s\n' "$root_pw" | ctl user add root --role admin --plan enterprise > /dev/null 2>&1
printf '%s\n' "$carl_pw" | ctl user add carl --role viewer --plan free > /dev/null 2>&1
start_daemon || { not_ok "the daemon starts"; cat "$T/stderr"; finish; exit 1; }
port=$(sed -n 's/.*tag=api msg="listening on 127.0.0.1 port \([0-9]*\)".*/\1/p' "$T/quantd.log" | tail -1)
"$PY" - "$port" "$root_pw" "$carl_pw" > "$T/out" 2>&1 <<'PY'
import http.client, json, re, sys, time
port, root_pw, carl_pw = int(sys.argv[1]), sys.argv[2], sys.argv[3]
fails = 0
def say(ok, name, detail=""):
    global fails
    print(("ok - " if ok else "not ok - ") + name + ("" if ok else ": " + str(detail)[:300]))
    fails += not ok
def raw(path, token=None, method="GET", body=None):
    """The whole answer: status, headers in order, body bytes."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    h = {"Authorization": "Bearer " + token} if token else {}
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    out = (r.status, r.getheaders(), r.read())
    c.close()
    return out
def login(user, pw):
    st, _, b = raw("/api/v1/auth/login", method="POST",
                   body=json.dumps({"username": user, "password": pw}))
    return json.loads(b)["access_token"]
def metric(series):
    _, _, b = raw("/metrics")
    m = re.search(r"^" + re.escape(series) + r" (\d+)", b.decode(), re.M)
    return int(m.group(1)) if m else 0
NET = 'quantd_api_cached_answers_total{thread="net"}'
OK200 = 'quantd_api_requests_total{route="/api/v1/market/candles",method="GET",status="200"}'
AT = login("root", root_pw)
CT = login("carl", carl_pw)
url = lambda n: "/api/v1/market/candles?exchange=feed&symbol=BTC/USDT&timeframe=1m&limit=%d" % n
deadline = time.time() + 20
while time.time() < deadline:
    st, _, b = raw(url(50), AT)
    if st == 200 and len(json.loads(b)["candles"]) >= 2:
        break
    time.sleep(0.2)
say(st == 200 and len(json.loads(b)["candles"]) >= 2, "candles are stored", (st, b[:200]))

# The first answer of a page comes from the core, the next from the cache
# on the net thread: the same bytes.  (A candle closing in between makes
# the second a miss too: then again with another page.)
same = hit = False
for n in range(7, 17):
    net0 = metric(NET)
    first, second = raw(url(n), AT), raw(url(n), AT)
    hit = metric(NET) == net0 + 1
    if hit:
        same = first == second
        break
say(hit, "a page asked again is answered by the net thread")
say(same and first[0] == 200, "byte for byte the core's answer: status, headers and body",
    (first[:2], second[:2]) if hit else "")

# Replaced when a candle closes: the newest candle advances while most
# answers come from the cache.
net0, seen, t0 = metric(NET), [], time.time()
while time.time() - t0 < 7:
    st, _, b = raw(url(3), AT)
    if st == 200:
        seen.append(json.loads(b)["candles"][-1][0])
    time.sleep(0.05)
served = metric(NET) - net0
say(len(set(seen)) >= 2 and seen == sorted(seen), "a closed candle replaces the cached page", sorted(set(seen)))
say(served >= len(seen) // 2, "while the cache answers most requests", (served, len(seen)))

# Authentication and limits on a cached page.
raw(url(3), AT)
net0 = metric(NET)
st, _, b = raw(url(3))
say(st == 401 and json.loads(b)["error"]["code"] == "unauthorized", "no token: 401", (st, b))
st, _, b = raw(url(3), AT[:-4] + "AAAA")
say(st == 401 and "error" in json.loads(b), "a tampered token: 401", (st, b))
say(metric(NET) == net0, "neither was answered from the cache")

c200 = metric(OK200)
statuses, hdrs, bodies = [], None, []
for i in range(11):
    st, h, b = raw(url(3), CT)
    statuses.append(st)
    hdrs, body429 = dict((k.lower(), v) for k, v in h), b
say(statuses[:10] == [200] * 10 and statuses[10] == 429,
    "the 11th cached GET of a free user in a minute is 429", statuses)
say(int(hdrs.get("retry-after", "0")) >= 1, "with Retry-After", hdrs)
st, _, b = raw("/api/v1/me", CT)
say(st == 429 and b == body429, "the same refusal as a route the core answers", (st, b, body429))
say(metric(OK200) == c200 + 10, "each request counted once", (c200, metric(OK200)))
print("FAILS %d" % fails)
PY
rc=$?
sed 's/^/  /' "$T/out"
check "every cache check passed" sh -c "[ $rc -eq 0 ] && grep -q '^FAILS 0$' '$T/out'"
check "the daemon stops cleanly" stop_daemon
finish
