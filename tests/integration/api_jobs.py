#!/usr/bin/env python3
"""api_jobs.py run|before-kill|after-kill -- backtest, optimisation and
Monte Carlo jobs through the API of a daemon (port $QD_PORT) with users
root (admin), alice and bob, the candles of sim BTC/USDT 1m from $QD_FROM
to $QD_TO stored, one worker and a queue of 3 jobs per user; and the
progress of a Chan analysis of the many candles of sim ETH/USDT 1m from
$QD_CHAN_FROM to $QD_CHAN_TO.  One line per
check; exit 1 on any failure."""
import asyncio
import json
import os
import sys
import time

BASE = "http://127.0.0.1:%s" % os.environ["QD_PORT"]
FROM, TO = int(os.environ["QD_FROM"]), int(os.environ["QD_TO"])
STATE = os.environ["QD_STATE"]
DATA = {"exchange": "sim", "symbol": "BTC/USDT", "timeframe": "1m", "from": FROM, "to": TO}
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apitest  # noqa: E402
from apitest import error_is, finish, say  # noqa: E402


def call(method, path, body=None, token=None):
    """(status, content type, raw bytes, JSON body or None)."""
    r = apitest.call(BASE, method, path, body, token)
    return r.status, r.ctype, r.text, r.json if r.ctype.startswith("application/json") else None


def login(user, pw):
    st, _, _, doc = call("POST", "/api/v1/auth/login", {"username": user, "password": pw})
    if st != 200:
        print("not ok - %s signs in: %s" % (user, doc))
        sys.exit(1)
    return doc["access_token"]


def wait_state(path, tok, states, limit=30):
    """Poll a job until its state is one of `states`; the last job seen."""
    end = time.time() + limit
    job = {}
    while time.time() < end:
        st, _, _, doc = call("GET", path, token=tok)
        job = (doc or {}).get("job", {})
        if st != 200 or job.get("state") in states:
            return job
        time.sleep(0.1)
    return job


def refused(resp, status, field=None):
    return error_is(resp[0], resp[3], status, field=field)


ROOT = login("root", os.environ["QD_PW_ROOT"])
ALICE = login("alice", os.environ["QD_PW_ALICE"])
BOB = login("bob", os.environ["QD_PW_BOB"])
# A grid long enough to still run when canceled or killed (8,400 backtests).
LONG = {"strategy": "ma-cross", "data": DATA,
        "grid": {"fast": {"min": 1, "max": 60, "step": 1}, "slow": {"min": 61, "max": 200, "step": 1}}}


def run():
    bt = {"strategy": "ma-cross", "params": {"fast": 5, "slow": 20}, "data": DATA}
    st, _, _, doc = call("POST", "/api/v1/backtests", bt, ALICE)
    job = (doc or {}).get("job", {})
    say(st == 200 and job.get("state") in ("queued", "running") and job.get("kind") == "backtest"
        and job.get("user") == "alice", "a backtest is submitted", doc)
    bid = job.get("id")
    job = wait_state("/api/v1/backtests/%s" % bid, ALICE, ("done", "failed", "canceled"))
    say(job.get("state") == "done" and job.get("progress") == 1 and job.get("finished_ms", 0) >= job.get("started_ms", 1) > 0,
        "the backtest runs to done with progress 1 and its times", job)
    st, ct, body, _ = call("GET", "/api/v1/backtests/%s/result" % bid, token=ALICE)
    expected = open(os.environ["QD_EXPECTED"], "rb").read()
    say(st == 200 and ct.startswith("application/json") and body == expected,
        "its result is byte for byte quantctl backtest's over the same stored candles",
        "%d %s %d vs %d bytes" % (st, ct, len(body), len(expected)))
    st, ct, body, _ = call("GET", "/api/v1/backtests/%s/report" % bid, token=ALICE)
    say(st == 200 and ct.startswith("text/html") and b"<html" in body.lower(), "its HTML report", (st, ct))
    st, ct, body, _ = call("GET", "/api/v1/backtests/%s/trades" % bid, token=ALICE)
    ntrades = len(json.loads(expected)["trades"])
    say(st == 200 and ct.startswith("text/csv") and len(body.splitlines()) == ntrades + 1,
        "its trades as CSV, one line each", (st, ct, body[:200]))
    st, _, _, doc = call("GET", "/api/v1/backtests", token=ALICE)
    say(st == 200 and [j["id"] for j in doc["jobs"]] == [bid], "alice lists her backtest", doc)

    # An untrusted strategy runs sandboxed, with the same result as
    # quantctl --sandbox gives.
    sb = {"strategy": "sma-cross-example", "params": {"fast": 6}, "data": DATA}
    st, _, _, doc = call("POST", "/api/v1/backtests", sb, ALICE)
    sid = (doc or {}).get("job", {}).get("id")
    job = wait_state("/api/v1/backtests/%s" % sid, ALICE, ("done", "failed", "canceled"))
    st, _, body, _ = call("GET", "/api/v1/backtests/%s/result" % sid, token=ALICE)
    say(job.get("state") == "done" and body == open(os.environ["QD_EXPECTED_SANDBOXED"], "rb").read(),
        "a sandbox directory's strategy: its result is quantctl backtest --sandbox's", job)

    # Another user neither sees nor cancels it; an admin sees it.
    say(refused(call("GET", "/api/v1/backtests/%s" % bid, token=BOB), 404), "bob cannot see alice's job")
    say(refused(call("GET", "/api/v1/backtests/%s/result" % bid, token=BOB), 404), "nor its result")
    say(refused(call("DELETE", "/api/v1/backtests/%s" % bid, token=BOB), 404), "nor cancel it")
    st, _, _, doc = call("GET", "/api/v1/backtests", token=BOB)
    say(st == 200 and doc["jobs"] == [], "bob's list is empty", doc)
    st, _, _, doc = call("GET", "/api/v1/backtests/%s" % bid, token=ROOT)
    say(st == 200 and doc["job"]["user"] == "alice", "an admin sees it", doc)
    say(refused(call("GET", "/api/v1/optimizations/%s" % bid, token=ALICE), 404), "a backtest is not an optimisation")
    say(refused(call("DELETE", "/api/v1/backtests/%s" % bid, token=ALICE), 409), "a finished job cannot be canceled")

    # Refusals, each a 400 naming the member at fault.
    bad = dict(bt, strategy="no-such-strategy")
    say(refused(call("POST", "/api/v1/backtests", bad, ALICE), 400, "strategy"), "an unknown strategy is refused")
    say(refused(call("POST", "/api/v1/backtests", dict(bt, strategy="../../etc/x"), ALICE), 400, "strategy"),
        "a path for a strategy is refused")
    bad = dict(bt, params={"fast": 0, "slow": 20})
    say(refused(call("POST", "/api/v1/backtests", bad, ALICE), 400, "params.fast"), "a parameter out of range is refused")
    bad = dict(bt, params={"fast": 5, "nope": 1})
    say(refused(call("POST", "/api/v1/backtests", bad, ALICE), 400, "params.nope"), "an unknown parameter is refused")
    bad = dict(bt, data=dict(DATA, to=FROM - 1))
    say(refused(call("POST", "/api/v1/backtests", bad, ALICE), 400, "data.to"), "a range ending before it starts is refused")
    bad = dict(bt, data=dict(DATA, symbol="BTC/USDT;rm -rf"))
    say(refused(call("POST", "/api/v1/backtests", bad, ALICE), 400, "data.symbol"), "a bad symbol is refused")
    bad = dict(bt, data=dict(DATA, file="/etc/passwd"))
    say(refused(call("POST", "/api/v1/backtests", bad, ALICE), 400, "data"), "a file in data is refused")
    bad = dict(bt, args=["--report", "/tmp/x"])
    say(refused(call("POST", "/api/v1/backtests", bad, ALICE), 400, "args"), "raw flags are refused")
    bad = dict(bt, equity_every="2d")
    say(refused(call("POST", "/api/v1/backtests", bad, ALICE), 400, "equity_every"),
        "an equity resolution that is no timeframe is refused")
    st, _, _, doc = call("POST", "/api/v1/backtests", bt, None)
    say(st == 401, "no token, no job", doc)

    # An hourly equity curve: one sample per hour of the range (the
    # default keeps one a day).
    st, _, _, doc = call("POST", "/api/v1/backtests", dict(bt, equity_every="1h"), ALICE)
    hid = (doc or {}).get("job", {}).get("id")
    job = wait_state("/api/v1/backtests/%s" % hid, ALICE, ("done", "failed", "canceled"))
    st, _, _, res = call("GET", "/api/v1/backtests/%s/result" % hid, token=ALICE)
    hours = (TO - FROM) // 3600000
    daily = len(json.loads(expected)["equity"])
    got = len((res or {}).get("equity", []))
    say(job.get("state") == "done" and job.get("request", {}).get("equity_every") == "1h"
        and hours - 1 <= got <= hours + 1 and got > daily,
        "equity_every 1h gives one equity sample per hour", (got, hours, daily, job))

    # A range without candles: the job fails with quantctl's reason.
    nodata = dict(bt, data=dict(DATA, exchange="nowhere"))
    st, _, _, doc = call("POST", "/api/v1/backtests", nodata, ALICE)
    job = wait_state("/api/v1/backtests/%s" % doc["job"]["id"], ALICE, ("done", "failed"))
    say(job.get("state") == "failed" and "no candles stored" in job.get("error", ""),
        "a backtest of no stored candles fails saying so", job)
    say(refused(call("GET", "/api/v1/backtests/%s/result" % job.get("id"), token=ALICE), 409),
        "a failed job has no result (409)")

    # An optimisation and a walk-forward.
    opt = {"strategy": "ma-cross", "params": {"slow": 20}, "data": DATA, "objective": "total_return",
           "grid": {"fast": {"min": 3, "max": 6, "step": 1}}}
    st, _, _, doc = call("POST", "/api/v1/optimizations", opt, ALICE)
    oid = (doc or {}).get("job", {}).get("id")
    job = wait_state("/api/v1/optimizations/%s" % oid, ALICE, ("done", "failed"))
    st, _, _, res = call("GET", "/api/v1/optimizations/%s/result" % oid, token=ALICE)
    say(job.get("state") == "done" and st == 200 and res.get("points") == 4 and len(res.get("results", [])) == 4
        and res.get("objective") == "total_return", "an optimisation ranks its 4 grid points", (job, res))
    say(refused(call("POST", "/api/v1/optimizations", dict(opt, grid={"fast": {"min": 6, "max": 3, "step": 1}}), ALICE),
                400, "grid.fast"), "a grid axis with min > max is refused")
    # More points than the old cut of 100: a heat map needs them all.
    big = dict(opt, grid={"fast": {"min": 1, "max": 12, "step": 1}, "slow": {"min": 30, "max": 40, "step": 1}})
    st, _, _, doc = call("POST", "/api/v1/optimizations", big, ALICE)
    job = wait_state("/api/v1/optimizations/%s" % (doc or {}).get("job", {}).get("id"), ALICE, ("done", "failed"))
    st, _, _, res = call("GET", "/api/v1/optimizations/%s/result" % job.get("id"), token=ALICE)
    say(job.get("state") == "done" and res.get("points") == 132 and len(res.get("results", [])) == 132,
        "an optimisation's result lists every point of its grid (132)", (job, (res or {}).get("points")))
    say(refused(call("POST", "/api/v1/optimizations", dict(opt, objective="luck"), ALICE), 400, "objective"),
        "an unknown objective is refused")
    # A grid axis outside the parameter's range: quantctl's words.
    st, _, _, doc = call("POST", "/api/v1/optimizations",
                         dict(opt, grid={"fast": {"min": 5, "max": 20000, "step": 5000}}), ALICE)
    job = wait_state("/api/v1/optimizations/%s" % (doc or {}).get("job", {}).get("id"), ALICE, ("done", "failed"))
    say(job.get("state") == "failed" and "leaves the parameter's range" in job.get("error", ""),
        "a grid beyond the parameter's range fails with quantctl's reason", job)
    wf = dict(opt, walk_forward={"train": 1000, "test": 500})
    st, _, _, doc = call("POST", "/api/v1/optimizations", wf, ALICE)
    wid = (doc or {}).get("job", {}).get("id")
    job = wait_state("/api/v1/optimizations/%s" % wid, ALICE, ("done", "failed"))
    st, _, _, res = call("GET", "/api/v1/optimizations/%s/result" % wid, token=ALICE)
    say(job.get("kind") == "walkforward" and job.get("state") == "done" and len(res.get("windows", [])) >= 4
        and "out_of_sample" in res, "a walk-forward reports its windows and the stitched out-of-sample run", (job, res))

    # Monte Carlo from the finished backtest.
    st, _, _, doc = call("POST", "/api/v1/montecarlo", {"backtest": bid, "runs": 500, "seed": 7}, ALICE)
    mid = (doc or {}).get("job", {}).get("id")
    job = wait_state("/api/v1/montecarlo/%s" % mid, ALICE, ("done", "failed"))
    st, _, _, res = call("GET", "/api/v1/montecarlo/%s/result" % mid, token=ALICE)
    say(job.get("state") == "done" and st == 200 and res is not None and len(res) > 0,
        "a Monte Carlo run over the backtest's trades", (job, res))
    say(refused(call("POST", "/api/v1/montecarlo", {"backtest": bid}, BOB), 400, "backtest"),
        "bob cannot resample alice's backtest")

    # A long optimisation, canceled while it runs; the plan's queue.
    st, _, _, doc = call("POST", "/api/v1/optimizations", LONG, ALICE)
    lid = (doc or {}).get("job", {}).get("id")
    job = wait_state("/api/v1/optimizations/%s" % lid, ALICE, ("running",))
    q1 = call("POST", "/api/v1/backtests", bt, ALICE)
    q2 = call("POST", "/api/v1/backtests", bt, ALICE)
    say(q1[0] == 200 and q2[0] == 200 and q2[3]["job"]["state"] == "queued", "two more wait behind it", q2[3])
    say(refused(call("POST", "/api/v1/backtests", bt, ALICE), 429), "a fourth job of alice's is refused (429)")
    st, _, _, doc = call("POST", "/api/v1/backtests", bt, BOB)
    say(st == 200, "bob's queue is his own", doc)
    say(refused(call("POST", "/api/v1/backtests", bt, BOB), 429), "bob's plan (pro) queues one job at a time")
    say(refused(call("POST", "/api/v1/backtests", dict(bt, plan="enterprise"), BOB), 400),
        "a caller cannot name a plan of their own")
    st, _, _, doc = call("DELETE", "/api/v1/backtests/%s" % q2[3]["job"]["id"], token=ALICE)
    say(st == 200 and doc["job"]["state"] == "canceled", "a queued job is canceled before it runs", doc)
    time.sleep(1.0)
    st, _, _, doc = call("GET", "/api/v1/optimizations/%s" % lid, token=ALICE)
    say(st == 200 and 0 < doc["job"]["progress"] < 1, "the running job reports progress between 0 and 1", doc)
    st, _, _, doc = call("DELETE", "/api/v1/optimizations/%s" % lid, token=ALICE)
    say(st == 200, "alice cancels her running optimisation", doc)
    job = wait_state("/api/v1/optimizations/%s" % lid, ALICE, ("canceled", "done", "failed"))
    say(job.get("state") == "canceled" and job.get("progress", 1) < 1, "it ends canceled, unfinished", job)
    job = wait_state("/api/v1/backtests/%s" % q1[3]["job"]["id"], ALICE, ("done", "failed"))
    say(job.get("state") == "done", "the job queued behind the canceled one runs", job)
    asyncio.run(ws_jobs())
    asyncio.run(chan_progress())


async def ws_jobs():
    """The "jobs" channel: alice's dashboard gets her job's changes, bob's
    does not."""
    import websockets
    url = BASE.replace("http://", "ws://") + "/ws"
    async with websockets.connect(url) as wa, websockets.connect(url) as wb:
        for ws, tok in ((wa, ALICE), (wb, BOB)):
            await ws.send(json.dumps({"op": "auth", "token": tok}))
            await asyncio.wait_for(ws.recv(), 5)
            await ws.send(json.dumps({"op": "subscribe", "channel": "jobs"}))
            got = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
            say([m.get("type") for m in got] == ["subscribed", "snapshot"] and isinstance(got[1]["data"].get("jobs"), list),
                "ws: jobs: subscribed, then a snapshot of the caller's jobs", got)
        bt = {"strategy": "ma-cross", "params": {"fast": 9, "slow": 30}, "data": DATA}
        _, _, _, doc = call("POST", "/api/v1/backtests", bt, ALICE)
        jid = doc["job"]["id"]
        states = []
        t0 = time.time()
        while time.time() - t0 < 20 and "done" not in states:
            m = json.loads(await asyncio.wait_for(wa.recv(), 20))
            if m.get("type") == "job" and m["data"]["id"] == jid:
                states.append(m["data"]["state"])
        say(states[:1] == ["queued"] and "running" in states and states[-1] == "done",
            "ws: alice's dashboard sees her job queued, running, done", states)
        others = []
        try:
            while True:
                m = json.loads(await asyncio.wait_for(wb.recv(), 0.5))
                if m.get("type") == "job" and m["data"].get("user") != "bob":
                    others.append(m)
        except asyncio.TimeoutError:
            pass
        say(not others, "ws: bob's dashboard gets nothing of alice's jobs", others[:1])


async def chan_progress():
    """A Chan analysis of many bars reports its progress as it goes: the
    job route and the jobs channel show values between 0 and 1, never
    going back, then 1 when it is done."""
    import websockets
    data = {"exchange": "sim", "symbol": "ETH/USDT", "timeframe": "1m",
            "from": int(os.environ["QD_CHAN_FROM"]), "to": int(os.environ["QD_CHAN_TO"])}
    url = BASE.replace("http://", "ws://") + "/ws"
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"op": "auth", "token": ALICE}))
        await asyncio.wait_for(ws.recv(), 5)
        await ws.send(json.dumps({"op": "subscribe", "channel": "jobs"}))
        for _ in range(2):
            await asyncio.wait_for(ws.recv(), 5)
        st, _, _, doc = call("POST", "/api/v1/chan", {"data": data, "min_gap": 4}, ALICE)
        jid = (doc or {}).get("job", {}).get("id")
        say(st == 200 and doc["job"]["kind"] == "chan", "a Chan analysis of %d bars is submitted"
            % ((data["to"] - data["from"]) // 60000 + 1), doc)
        pushed = []

        async def listen():
            while True:
                m = json.loads(await ws.recv())
                if m.get("type") == "job" and m["data"]["id"] == jid:
                    pushed.append((m["data"]["state"], m["data"]["progress"]))
                    if m["data"]["state"] in ("done", "failed", "canceled"):
                        return
        listener = asyncio.ensure_future(listen())
        polled, job, end = [], {}, time.time() + 120
        while time.time() < end and job.get("state") not in ("done", "failed", "canceled"):
            st, _, _, doc = await asyncio.to_thread(call, "GET", "/api/v1/chan/%s" % jid, None, ALICE)
            job = (doc or {}).get("job", {})
            if job.get("state") in ("running", "done"):
                polled.append(job["progress"])
            await asyncio.sleep(0.02)
        try:
            await asyncio.wait_for(listener, 10)
        except asyncio.TimeoutError:
            pass
    mid = sorted({p for p in polled if 0 < p < 1})
    say(job.get("state") == "done" and polled[-1:] == [1], "it runs to done with progress 1", job)
    say(len(mid) >= 1, "GET /chan/{id} showed progress between 0 and 1 while it ran (%d values of %d samples)"
        % (len(mid), len(polled)), polled[:: max(1, len(polled) // 40)])
    say(all(a <= b for a, b in zip(polled, polled[1:])), "and it never went back", polled)
    seen = [p for s, p in pushed if s == "running"]
    say(any(0 < p < 1 for p in seen) and all(a <= b for a, b in zip(seen, seen[1:]))
        and pushed[-1:] == [("done", 1)], "the jobs channel pushed the same rise, then done with 1", pushed)


def before_kill():
    st, _, _, doc = call("POST", "/api/v1/optimizations", LONG, ALICE)
    lid = (doc or {}).get("job", {}).get("id")
    job = wait_state("/api/v1/optimizations/%s" % lid, ALICE, ("running",))
    say(job.get("state") == "running", "a long optimisation runs", job)
    bt = {"strategy": "ma-cross", "params": {"fast": 7, "slow": 25}, "data": DATA}
    st, _, _, doc = call("POST", "/api/v1/backtests", bt, ALICE)
    say(st == 200 and doc["job"]["state"] == "queued", "a backtest waits behind it", doc)
    open(STATE, "w").write("%s %s\n" % (lid, doc["job"]["id"]))


def after_kill():
    lid, bid = open(STATE).read().split()
    st, _, _, doc = call("GET", "/api/v1/optimizations/%s" % lid, token=ALICE)
    job = (doc or {}).get("job", {})
    say(job.get("state") == "failed" and "daemon stopped" in job.get("error", ""),
        "the job running at the kill failed, saying the daemon stopped", job)
    job = wait_state("/api/v1/backtests/%s" % bid, ALICE, ("done", "failed"))
    say(job.get("state") == "done", "the queued job ran after the restart", job)


{"run": run, "before-kill": before_kill, "after-kill": after_kill}[sys.argv[1]]()
finish()
