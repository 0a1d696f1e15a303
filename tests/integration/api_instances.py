#!/usr/bin/env python3
"""api_instances.py PORT ROOT_PW -- instances, params, config checks and
indicators through the API of a daemon set up by api_instances.sh ($QD_T:
its directory; instance "a" of tp-good, exchange "feed"; "bad" of
tp-failcreate, failed; candles of hist ETH/USDT and BTC/USDT in the store;
quantctl's macd.csv and bbands.csv over the same bars), and the instances
WebSocket channel.  One line per check; exit 1 on any failure."""
import asyncio
import csv
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

PORT = int(sys.argv[1])
ROOT_PW = sys.argv[2]
T = os.environ["QD_T"]
QUANTCTL = os.environ["QUANTCTL"]
BASE = "http://127.0.0.1:%d" % PORT
A_FILE = os.path.join(T, "quantd.d", "a.json")
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apitest  # noqa: E402
from apitest import error_is, finish, say  # noqa: E402
from apitest import recv_until, wait_for  # noqa: E402


def call(method, path, body=None, token=None, raw=None):
    """(status, body as JSON)."""
    data = raw if raw is not None else body
    r = apitest.call(BASE, method, path, body, token, raw=raw,
                     content_type="application/json" if data is not None else None)
    return r.status, r.doc


def err_is(resp, status, code=None, field=None):
    return error_is(resp[0], resp[1], status, code, field)


def log():
    with open(os.path.join(T, "quantd.log")) as f:
        return f.read()


def file_text():
    with open(A_FILE) as f:
        return f.read()


def quantctl_check(text):
    """`quantctl config check FILE` on text: [(line, col, message)]."""
    path = os.path.join(T, "check.json")
    with open(path, "w") as f:
        f.write(text)
    p = subprocess.run([QUANTCTL, "-c", os.path.join(T, "quantd.json"), "config", "check", path],
                       capture_output=True, text=True)
    out = []
    for ln in (p.stdout + p.stderr).splitlines():
        m = re.match(re.escape(path) + r":(\d+):(\d+): (.*)$", ln)
        if m:
            out.append((int(m.group(1)), int(m.group(2)), m.group(3)))
    return sorted(out)


# --- sign in ---------------------------------------------------------------
st, tok = call("POST", "/api/v1/auth/login", {"username": "root", "password": ROOT_PW})
say(st == 200, "the admin signs in", tok)
AT = tok.get("access_token")
st, u = call("POST", "/api/v1/users", {"username": "vic", "password": "vic-password-1",
                                       "role": "viewer", "plan": "enterprise"}, token=AT)
say(st == 201, "a viewer is added", u)
st, tok = call("POST", "/api/v1/auth/login", {"username": "vic", "password": "vic-password-1"})
VT = tok.get("access_token")

# --- list and info ---------------------------------------------------------
wait_for(lambda: "tp create period=3" in log())
st, doc = call("GET", "/api/v1/instances", token=VT)
byname = {i["name"]: i for i in doc.get("instances", [])} if st == 200 else {}
a, feed = byname.get("a", {}), byname.get("feed", {})
say(st == 200 and set(byname) == {"a", "b", "c", "s", "feed", "bad"}, "GET /instances lists every instance", doc)
say(byname.get("bad", {}).get("state") == "failed" and "create failed" in byname["bad"].get("reason", ""),
    "an instance whose create() failed is failed, with why", byname.get("bad"))
say(a.get("plugin") == "tp-good" and a.get("kind") == "strategy" and a.get("state") == "running"
    and a.get("sandboxed") is False and a.get("restarts") == 0, "a strategy: plugin, kind, state, trust, restarts", a)
say(a.get("exchange") == "feed" and a.get("account") == "paper:a", "a strategy's exchange and account", a)
say(feed.get("kind") == "exchange" and "exchange" not in feed, "an exchange instance", feed)
st, doc = call("GET", "/api/v1/instances/a", token=VT)
inst = doc.get("instance", {})
specs = {s["name"]: s for s in inst.get("param_specs", [])}
say(st == 200 and inst.get("params", {}).get("period") == 3 and inst["params"].get("label") == "kept"
    and inst["params"].get("mode") == "fast", "GET /instances/a: current params, defaults included", doc)
say(specs.get("period", {}).get("min") == 1 and specs["period"].get("max") == 100 and
    specs.get("mode", {}).get("choices") and specs["period"].get("type") == "int" and
    "description" in specs["period"], "GET /instances/a: the plugin's param specs", specs)
version = inst.get("version")
say(isinstance(version, str) and len(version) == 32, "GET /instances/a: the file's version", inst)
say(err_is(call("GET", "/api/v1/instances/nope", token=VT), 404, "not_found"), "an unknown instance is 404")

# --- stop and start --------------------------------------------------------
say(err_is(call("POST", "/api/v1/instances/a/start", token=VT), 403), "a viewer cannot start an instance")
say(err_is(call("POST", "/api/v1/instances/a/start", token=AT), 409, "conflict"), "starting a running instance is 409")
st, _ = call("POST", "/api/v1/instances/a/stop", token=AT)
st2, doc = call("GET", "/api/v1/instances/a", token=AT)
say(st == 200 and doc.get("instance", {}).get("state") == "stopped", "stop: the instance is stopped", doc)
st, doc = call("POST", "/api/v1/instances/a/start", token=AT)
st2, doc2 = call("GET", "/api/v1/instances/a", token=AT)
say(st == 200 and doc2.get("instance", {}).get("state") == "running", "start: it runs again", (doc, doc2))
say(err_is(call("POST", "/api/v1/instances/nope/start", token=AT), 404, "not_found"), "starting an unknown instance is 404")


# --- the instances channel -------------------------------------------------
async def instances_channel():
    """A snapshot as GET /instances lists them, then each change."""
    import websockets
    loop = asyncio.get_running_loop()

    def later(method, path):
        return loop.run_in_executor(None, lambda: call(method, path, token=AT))

    def change(name):
        return lambda m: m.get("type") == "instance" and m["data"].get("name") == name

    async with websockets.connect("ws://127.0.0.1:%d/ws" % PORT) as ws:
        await ws.send(json.dumps({"op": "auth", "token": VT}))
        await recv_until(ws, lambda m: m.get("type") == "authenticated", 5)
        await ws.send(json.dumps({"op": "subscribe", "channel": "instances"}))
        m = await recv_until(ws, lambda m: m.get("type") == "snapshot", 5)
        st, doc = await later("GET", "/api/v1/instances")
        say(m is not None and m["channel"] == "instances" and m["data"]["instances"] == doc.get("instances"),
            "instances channel: a snapshot as GET /instances lists them", (m, doc))
        st, _ = await later("POST", "/api/v1/instances/a/stop")
        m = await recv_until(ws, change("a"), 5)
        say(st == 200 and m is not None and m["channel"] == "instances" and m["data"] ==
            {"name": "a", "plugin": "tp-good", "state": "stopped", "restarts": 0, "event": "stopped"},
            "instances channel: a stop as it happens", m)
        st, _ = await later("POST", "/api/v1/instances/a/start")
        seen = []
        m = await recv_until(ws, lambda m: change("a")(m) and seen.append(m["data"]["event"]) is None and
                             m["data"]["event"] == "running", 5)
        say(st == 200 and m is not None and m["data"]["state"] == "running" and seen == ["created", "running"],
            "instances channel: a start, created then running", (seen, m))
        st, _ = await later("POST", "/api/v1/instances/bad/start")
        m = await recv_until(ws, lambda m: change("bad")(m) and m["data"]["event"] == "failed", 5)
        say(st == 409 and m is not None and m["data"]["state"] == "failed" and
            "create failed" in m["data"].get("reason", ""), "instances channel: a failed start, with why", (st, m))
        # Instances a reload removes -- one running, one stopped (which
        # says nothing more as it goes) -- are "removed" messages.
        files = [os.path.join(T, "quantd.d", n + ".json") for n in ("gone1", "gone2")]
        for n, path in zip(("gone1", "gone2"), files):
            with open(path, "w") as f:
                f.write('{"plugin": "tp-good", "instance": "%s", "params": {"period": 2}}' % n)
        st, _ = await later("POST", "/api/v1/reload")
        m = await recv_until(ws, lambda m: change("gone2")(m) and m["data"]["event"] == "running", 10)
        st2, _ = await later("POST", "/api/v1/instances/gone2/stop")
        m2 = await recv_until(ws, lambda m: change("gone2")(m) and m["data"]["event"] == "stopped", 5)
        say(st == 200 and m is not None and st2 == 200 and m2 is not None,
            "instances channel: instances a reload adds, one of them stopped", (st, m, st2, m2))
        for path in files:
            os.remove(path)
        st, _ = await later("POST", "/api/v1/reload")
        seen = []
        await recv_until(ws, lambda m: seen.append(m) is None and
                         len([x for x in seen if x.get("type") == "removed"]) == 2, 10)
        say(st == 200 and [(x["type"], x["data"].get("name"), x["data"].get("event")) for x in seen] ==
            [("instance", "gone1", "stopped"), ("removed", "gone1", None), ("removed", "gone2", None)] and
            all(x["channel"] == "instances" and x["data"] == {"name": x["data"]["name"]}
                for x in seen if x["type"] == "removed"),
            "instances channel: those a reload removes are \"removed\" ({\"name\"})", (st, seen))
        st, doc = await later("GET", "/api/v1/instances")
        say(st == 200 and not {"gone1", "gone2"} & {i["name"] for i in doc.get("instances", [])},
            "and GET /instances no longer lists them", doc)
        await ws.send(json.dumps({"op": "unsubscribe", "channel": "instances"}))
        m = await recv_until(ws, lambda m: m.get("type") == "unsubscribed", 5)
        await later("POST", "/api/v1/instances/a/stop")
        await later("POST", "/api/v1/instances/a/start")
        m = await recv_until(ws, lambda m: m.get("channel") == "instances", 1)
        say(m is None, "instances channel: nothing after unsubscribing", m)


try:
    asyncio.run(asyncio.wait_for(instances_channel(), 60))
except Exception as e:  # noqa: BLE001 -- any failure is a failed check
    say(False, "the instances channel checks ran", repr(e))

# --- validate --------------------------------------------------------------
bad = {"period": 0, "mode": "slowest", "bogus": 1}
st, doc = call("POST", "/api/v1/instances/a/params/validate", {"params": bad}, token=AT)
errs = {e["field"]: e["message"] for e in doc.get("errors", [])}
say(st == 200 and doc.get("valid") is False and set(errs) == {"period", "mode", "bogus"},
    "three bad params: all three reported, each naming its field", doc)
# The config loader's own words for the same params in an instance file.
loader = quantctl_check(json.dumps({"plugin": "tp-good", "instance": "a", "params": bad}))
loader_msgs = {m.split(": ", 1)[0].replace("params.", ""): m.split(": ", 1)[1] for _, _, m in loader}
say(loader_msgs == errs, "the messages are the config loader's", (loader_msgs, errs))
st, doc = call("POST", "/api/v1/instances/a/params/validate", {"params": {"period": 7}}, token=AT)
say(st == 200 and doc.get("valid") is True and doc.get("errors") == [], "good params are valid", doc)
say(err_is(call("POST", "/api/v1/instances/a/params/validate", {"params": [1]}, token=AT), 400, field="params"),
    "params that are not an object are 400")
say(err_is(call("POST", "/api/v1/instances/a/params/validate", {"params": {}}, token=VT), 403),
    "a viewer cannot validate params")

# --- set -------------------------------------------------------------------
before = file_text()
say(err_is(call("PUT", "/api/v1/instances/a/params", {"params": {"period": 500}}, token=AT), 400, "bad_request", "period"),
    "bad params are refused with the field")
say(file_text() == before, "a refused write leaves the file as it was")
say(err_is(call("PUT", "/api/v1/instances/a/params", {"params": {"period": 7}}, token=VT), 403),
    "a viewer cannot set params")
st, doc = call("PUT", "/api/v1/instances/a/params",
               {"params": {"period": 7, "mode": "slow", "label": "kept"}, "version": version}, token=AT)
say(st == 200 and isinstance(doc.get("version"), str) and doc["version"] != version, "good params are set", doc)
say(wait_for(lambda: "tp create period=7 ratio=0.5 mode=slow" in log()),
    "the instance restarts with them (its log)", log()[-800:])
after = file_text()
try:
    on_disk = json.loads(after)
except ValueError:
    on_disk = {}
say(on_disk.get("params") == {"period": 7, "mode": "slow", "label": "kept"}, "the file on disk has them", after)
say(on_disk.get("exchange") == "feed" and on_disk.get("account") == {"balance": 5000} and
    after.startswith('{\n  "plugin": "tp-good",\n  "instance": "a",\n  "exchange": "feed",\n  "params": {\n') and
    after.endswith('  },\n  "account": {"balance": 5000}\n}\n'), "its other members and layout are kept", after)
say(not any(n.endswith(".tmp") for n in os.listdir(os.path.join(T, "quantd.d"))), "no temporary file is left")
st, doc = call("GET", "/api/v1/instances/a", token=AT)
say(doc.get("instance", {}).get("params", {}).get("period") == 7 and doc["instance"].get("state") == "running"
    and doc["instance"].get("version") != version, "GET shows the new params and version", doc)
new_version = doc.get("instance", {}).get("version")
say(err_is(call("PUT", "/api/v1/instances/a/params", {"params": {"period": 9}, "version": version}, token=AT),
           409, "conflict", "version"), "a stale write is 409")
say(file_text() == after and "tp create period=9" not in log(), "the stale write changed nothing")
st, doc = call("PUT", "/api/v1/instances/a/params", {"params": {"period": 8}, "version": new_version}, token=AT)
say(st == 200 and wait_for(lambda: "tp create period=8" in log()), "a write with the current version goes through", doc)
st, doc = call("PUT", "/api/v1/instances/c/params", {"params": {"period": 4, "label": "a \"quoted\" label"}}, token=AT)
with open(os.path.join(T, "quantd.d", "c.json")) as f:
    ctext = f.read()
say(st == 200 and json.loads(ctext) == {"plugin": "tp-good", "instance": "c",
                                        "params": {"period": 4, "label": "a \"quoted\" label"}},
    "a file without params gets the member", ctext)
say(wait_for(lambda: "tag=c msg=\"tp create period=4" in log()), "and its instance restarts with them")
say("tag=b msg=\"tp stop" not in log(), "an instance whose file did not change is untouched")
say(err_is(call("PUT", "/api/v1/instances/nope/params", {"params": {}}, token=AT), 404), "an unknown instance's params are 404")

# --- config check ----------------------------------------------------------
broken = '{"plugin": "tp-good", "instance": "z",\n "params": {"period": 500, "mode": "nope"}\n'
st, doc = call("POST", "/api/v1/config/check", raw=broken.encode(), token=AT)
probs = doc.get("problems", [])
say(st == 200 and doc.get("valid") is False and len(probs) == 1 and probs[0]["line"] == 3,
    "a truncated file: line:column and why", doc)
say([(p["line"], p["column"], p["message"]) for p in probs] == quantctl_check(broken),
    "the same as quantctl config check", (probs, quantctl_check(broken)))
wrong = '{"plugin": "tp-good", "instance": "z",\n "params": {"period": 500,\n  "mode": "nope", "bogus": 1}}\n'
st, doc = call("POST", "/api/v1/config/check", raw=wrong.encode(), token=AT)
got = sorted((p["line"], p["column"], p["message"]) for p in doc.get("problems", []))
say(st == 200 and len(got) == 3 and got == quantctl_check(wrong), "every problem of a wrong file, as quantctl says", (got, quantctl_check(wrong)))
good = '{"plugin": "tp-good", "instance": "a", "params": {"period": 5}}'
st, doc = call("POST", "/api/v1/config/check", raw=good.encode(), token=AT)
say(st == 200 and doc.get("valid") is True and doc.get("problems") == [], "a good file is valid", doc)
say(err_is(call("POST", "/api/v1/config/check", raw=b"", token=AT), 400), "an empty body is 400")
say(err_is(call("POST", "/api/v1/config/check", raw=good.encode(), token=VT), 403), "a viewer cannot check config")
say(file_text().find('"period": 8') > 0, "checking changes no file")

# --- the instance file as text ----------------------------------------------
say(err_is(call("GET", "/api/v1/instances/a/config", token=VT), 403), "a viewer cannot read an instance file")
st, doc = call("GET", "/api/v1/instances/a/config", token=AT)
st2, info = call("GET", "/api/v1/instances/a", token=AT)
cur = info.get("instance", {}).get("version")
say(st == 200 and doc.get("text") == file_text() and doc.get("name") == "a" and
    doc.get("file", "").endswith("/quantd.d/a.json") and doc.get("version") == cur,
    "GET /instances/a/config: the file's text, path and version", doc)
say(err_is(call("GET", "/api/v1/instances/nope/config", token=AT), 404, "not_found"), "an unknown instance's file is 404")
before = file_text()
edited = before.replace('"period": 8', '"period": 6, "label": "edited"')
bad_text = before.replace('"period": 8', '"period": 500')
st, doc = call("PUT", "/api/v1/instances/a/config", {"text": bad_text, "version": cur}, token=AT)
say(err_is((st, doc), 400, "bad_request", "text") and re.search(r"line \d+ column \d+: params\.period", doc["error"]["message"]),
    "a bad param in the text is 400 at its line and column", doc)
st, doc = call("PUT", "/api/v1/instances/a/config", {"text": before[:-3], "version": cur}, token=AT)
say(err_is((st, doc), 400, "bad_request", "text") and "line" in doc["error"]["message"], "broken JSON is 400 with its line", doc)
st, doc = call("PUT", "/api/v1/instances/a/config", {"text": before.replace('"instance": "a"', '"instance": "a2"')}, token=AT)
say(err_is((st, doc), 400, "bad_request", "instance"), "the file cannot rename its instance", doc)
say(err_is(call("PUT", "/api/v1/instances/a/config", {"text": edited, "version": version}, token=AT), 409, "conflict", "version"),
    "a stale version is 409")
say(err_is(call("PUT", "/api/v1/instances/a/config", {"text": edited}, token=VT), 403), "a viewer cannot write an instance file")
say(err_is(call("PUT", "/api/v1/instances/a/config", {"text": 5}, token=AT), 400, "bad_request", "text"), "text that is not a string is 400")
say(file_text() == before and "tp create period=6" not in log(), "the refused writes changed nothing")
st, doc = call("PUT", "/api/v1/instances/a/config", {"text": edited, "version": cur}, token=AT)
say(st == 200 and isinstance(doc.get("version"), str) and doc["version"] != cur, "PUT /instances/a/config writes the text", doc)
say(file_text() == edited, "the file on disk is the text, byte for byte", file_text())
say(wait_for(lambda: "tp create period=6 " in log()),
    "the reload restarts the instance with it", log()[-800:])
say(not any(n.endswith(".tmp") for n in os.listdir(os.path.join(T, "quantd.d"))), "no temporary file is left")
st, doc = call("GET", "/api/v1/instances/a", token=AT)
say(doc.get("instance", {}).get("params", {}).get("label") == "edited", "GET shows the new params", doc)
S_FILE = os.path.join(T, "quantd.d", "s.json")
st, doc = call("GET", "/api/v1/instances/s/config", token=AT)
shown = doc.get("text", "")
say(st == 200 and "hunter2" not in shown and json.loads(shown or "{}").get("params", {}).get("token") == "***",
    "a secret parameter's value is shown as ***", doc)
st, doc = call("PUT", "/api/v1/instances/s/config",
               {"text": shown.replace('"period": 4', '"period": 5'), "version": doc.get("version")}, token=AT)
with open(S_FILE) as f:
    s_text = f.read()
say(st == 200 and json.loads(s_text).get("params") == {"period": 5, "token": "hunter2-not-shown"},
    "saving the shown text keeps the secret's value", (doc, s_text))
say(wait_for(lambda: "tag=s msg=\"tp create period=5" in log()), "and the instance restarts with the new period")
st, doc = call("GET", "/api/v1/instances/s", token=AT)
params = doc.get("instance", {}).get("params", {})
say(params.get("token") == "***", "GET /instances/s shows the secret as ***", doc)
st, doc = call("PUT", "/api/v1/instances/s/params", {"params": dict(params, period=6)}, token=AT)
with open(S_FILE) as f:
    s_text = f.read()
say(st == 200 and json.loads(s_text).get("params", {}).get("token") == "hunter2-not-shown" and
    json.loads(s_text)["params"].get("period") == 6, "params given back with *** keep the secret's value", (doc, s_text))
say("hunter2" not in log(), "the secret never reaches the log")

# --- indicators ------------------------------------------------------------
st, doc = call("GET", "/api/v1/indicators", token=VT)
inds = {i["name"]: i for i in doc.get("indicators", [])}
say(st == 200 and "sma" in inds and inds.get("macd", {}).get("outputs") == ["macd", "signal", "hist"]
    and any(p["name"] == "fast" for p in inds["macd"].get("params", [])), "GET /indicators: params and outputs", doc)
say(inds.get("sma", {}).get("overlay") is True and inds.get("bbands", {}).get("overlay") is True and
    inds.get("macd", {}).get("overlay") is False and inds.get("rsi", {}).get("overlay") is False,
    "GET /indicators: averages and bands are drawn over the price, oscillators not", doc)
st_, one = call("GET", "/api/v1/plugins/supertrend", token=VT)
say(inds.get("supertrend", {}).get("outputs") == ["value", "direction"] and
    inds["supertrend"].get("placement") == ["price", "pane"] and inds["supertrend"].get("overlay") is True and
    one.get("plugin", {}).get("placement") == ["price", "pane"] and
    inds.get("bbands", {}).get("placement") == ["price"] * 3 and inds.get("macd", {}).get("placement") == ["pane"] * 3,
    "GET /indicators and /plugins/supertrend: each output's placement (SuperTrend's line on the price, its direction in a pane)",
    [inds.get("supertrend"), one])


def quantctl_csv(name):
    with open(os.path.join(T, name)) as f:
        rows = list(csv.reader(f))
    cols = rows[0][1:]
    ts = [int(r[0]) for r in rows[1:]]
    vals = {c: [float(r[i + 1]) if r[i + 1] != "" else None for r in rows[1:]] for i, c in enumerate(cols)}
    return ts, vals


def same(doc, name):
    """Whether doc has quantctl's numbers; else the first difference."""
    ts, vals = quantctl_csv(name)
    if doc.get("ts") != ts or doc.get("outputs") != list(vals):
        return "ts or outputs differ: %s" % doc.get("outputs")
    for c in vals:
        got = doc.get("values", {}).get(c, [])
        for i, v in enumerate(vals[c]):
            if i >= len(got) or got[i] != v:
                return "%s[%d]: quantctl %r, the API %r" % (c, i, v, got[i] if i < len(got) else None)
    return True


sym = urllib.parse.quote("ETH/USDT", safe="")
st, doc = call("GET", "/api/v1/indicators/macd?exchange=hist&symbol=%s&timeframe=1m&fast=8" % sym, token=VT)
say(st == 200 and len(doc.get("ts", [])) == 3000, "GET /indicators/macd over the stored candles", str(doc)[:300])
r = same(doc, "macd.csv")
say(r is True, "the same numbers as quantctl indicator over the CSV", r)
ts, _ = quantctl_csv("macd.csv")
st, doc = call("POST", "/api/v1/indicators/bbands", {"exchange": "hist", "symbol": "ETH/USDT",
                                                    "params": {"period": 10}}, token=VT)
r = same(doc, "bbands.csv") if st == 200 else doc
say(r is True, "POST /indicators/bbands with params: the same numbers", r)
st, doc = call("GET", "/api/v1/indicators/sma?exchange=hist&symbol=%s&from=%d&to=%d&period=5" % (sym, ts[100], ts[200]), token=VT)
say(st == 200 and doc.get("ts") == ts[100:200] and doc["values"]["value"][:4] == [None] * 4 and
    doc["values"]["value"][4] is not None, "from/to select the bars; warm-up values are null", str(doc)[:300])
st, doc = call("GET", "/api/v1/indicators/sma?exchange=hist&symbol=%s&limit=50" % sym, token=VT)
say(st == 200 and doc.get("ts") == ts[-50:], "limit without from: the newest bars", str(doc)[:200])
say(err_is(call("GET", "/api/v1/indicators/nope?exchange=hist&symbol=%s" % sym, token=VT), 404, "not_found", "name"),
    "an unknown indicator is a JSON error")
say(err_is(call("GET", "/api/v1/indicators/sma?exchange=hist&symbol=%s&period=0" % sym, token=VT), 400, "bad_request", "params"),
    "a bad param is 400")
say(err_is(call("GET", "/api/v1/indicators/sma?exchange=hist&symbol=%s&bogus=1" % sym, token=VT), 400, "bad_request", "params"),
    "an unknown param is 400")
say(err_is(call("GET", "/api/v1/indicators/sma?exchange=hist&symbol=%s&from=%d&to=%d" % (sym, ts[200], ts[100]), token=VT), 400, "bad_request"),
    "an empty range is 400")
say(err_is(call("GET", "/api/v1/indicators/sma?exchange=hist&symbol=%s&limit=100001" % sym, token=VT), 400, "bad_request", "limit"),
    "a limit past 100000 is 400")
say(err_is(call("GET", "/api/v1/indicators/sma?exchange=hist&symbol=BTC%2FUSDT", token=VT), 400, "bad_request"),
    "a range of more than 100000 bars is 400")
say(err_is(call("GET", "/api/v1/indicators/sma?exchange=hist&symbol=%s&from=x" % sym, token=VT), 400),
    "a from that is not a number is 400")
say(err_is(call("GET", "/api/v1/indicators/sma?symbol=%s" % sym, token=VT), 400, field="exchange"),
    "no exchange is 400")
say(err_is(call("GET", "/api/v1/indicators/sma?exchange=hist&symbol=%s&timeframe=7m" % sym, token=VT), 400, field="timeframe"),
    "a bad timeframe is 400")
say(err_is(call("GET", "/api/v1/indicators/sma?exchange=hist&symbol=%s" % sym), 401), "without a token: 401")
t0 = time.time()
st, doc = call("GET", "/api/v1/indicators/sma?exchange=hist&symbol=%s&limit=100000&timeframe=1m" % urllib.parse.quote("BTC/USDT", safe=""), token=VT)
took = time.time() - t0
say(st == 200 and len(doc.get("ts", [])) == 100000, "100000 bars at most are computed", str(doc)[:200])
print("# sma over 100000 stored bars: %.0f ms from request to parsed answer (a figure, not a check)" % (took * 1000))

finish()
