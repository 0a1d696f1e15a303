#!/usr/bin/env python3
"""api_downloads.py run|inflight -- big job results through the API of a
daemon (port $QD_PORT, state directory $QD_STATE) whose jobs run
tests/fakes/fake_quantctl.sh, user alice ($QD_PW_ALICE).

run: a backtest whose result is about 30 MB; one download is the file byte
for byte; then 8 downloads at once while a core-thread route (the job's
GET) and /healthz are asked over and over: every download is the file, and
the figures (their MB/s, the probes' latency) are printed.  Then the same
over the control socket ($QD_STATE/quantd.sock, job.result): the reply is
the text cJSON printed when the core thread read the file whole, 8 at
once leave the socket's ping answered, and the daemon's peak memory
(VmHWM of $QD_PID) grows by less than half the file.
inflight: 8 downloads started and left running, and 8 over the control
socket (the daemon is stopped under them)."""
import hashlib
import http.client
import json
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apitest  # noqa: E402
from apitest import finish, say  # noqa: E402

PORT = int(os.environ["QD_PORT"])
BASE = "http://127.0.0.1:%d" % PORT
STATE = os.environ["QD_STATE"]
DATA = {"exchange": "sim", "symbol": "BTC/USDT", "timeframe": "1m", "from": 1704067200000,
        "to": 1704153600000}
N = 8


def get(path, token=None, timeout=60):
    """(status, body bytes, seconds) of one GET on a connection of its own."""
    t0 = time.monotonic()
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    c.request("GET", path, headers={"Authorization": "Bearer " + token} if token else {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body, time.monotonic() - t0


def ctl(request, read=True):
    """(reply bytes, seconds) of one control-socket request; with read
    False, the connection left open and unread (the socket is returned)."""
    t0 = time.monotonic()
    c = socket.socket(socket.AF_UNIX)
    c.settimeout(60)
    c.connect(os.path.join(STATE, "quantd.sock"))
    c.sendall(json.dumps(request).encode() + b"\n")
    if not read:
        return c
    parts = []
    while True:
        b = c.recv(1 << 20)
        if not b:
            break
        parts.append(b)
    c.close()
    return b"".join(parts), time.monotonic() - t0


def peak_kb():
    """The daemon's peak resident memory so far (VmHWM), in kB."""
    with open("/proc/%s/status" % os.environ["QD_PID"]) as f:
        return int([ln.split()[1] for ln in f if ln.startswith("VmHWM:")][0])


def big_job(tok):
    """A done backtest of the fake's big result: its id and the file."""
    r = apitest.call(BASE, "POST", "/api/v1/backtests",
                     {"strategy": "ma-cross", "params": {"fast": 8}, "data": DATA}, tok)
    jid = (r.doc.get("job") or {}).get("id")
    done = apitest.wait_for(lambda: apitest.call(BASE, "GET", "/api/v1/backtests/%s" % jid,
                                                 token=tok).doc.get("job", {}).get("state") == "done",
                            secs=60, step=0.2)
    if not say(r.status == 200 and done, "a backtest with a result of about 30 MB runs", r.doc):
        finish()
    with open(os.path.join(STATE, "jobs", str(jid), "result.json"), "rb") as f:
        return jid, f.read()


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))] * 1000 if v else float("nan")


def run():
    tok = apitest.login(BASE, "alice", os.environ["QD_PW_ALICE"])
    jid, want = big_job(tok)
    path = "/api/v1/backtests/%s/result" % jid
    st, body, secs = get(path, tok)
    say(st == 200 and body == want and len(want) > 25 << 20,
        "one download is the result file byte for byte (%.1f MB in %.0f ms)" % (len(want) / 1e6, secs * 1000),
        (st, len(body), len(want)))
    idle_core = [get("/api/v1/backtests/%s" % jid, tok)[2] for _ in range(20)]
    idle_health = [get("/healthz")[2] for _ in range(20)]
    digests, took = [], []
    lock = threading.Lock()

    def download():
        s, b, t = get(path, tok)
        with lock:
            digests.append((s, hashlib.sha256(b).hexdigest(), len(b)))
            took.append(t)

    threads = [threading.Thread(target=download) for _ in range(N)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    core, health = [], []
    while any(t.is_alive() for t in threads):
        core.append(get("/api/v1/backtests/%s" % jid, tok)[2])
        health.append(get("/healthz")[2])
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    good = hashlib.sha256(want).hexdigest()
    say(len(digests) == N and all(d == (200, good, len(want)) for d in digests),
        "%d downloads at once are each the result file" % N, digests)
    print("# %d downloads of %.1f MB at once: %.2f s in all, %.0f MB/s together; slowest %.2f s"
          % (N, len(want) / 1e6, wall, N * len(want) / 1e6 / wall, max(took)))
    print("# job GET (core thread) while they ran: median %.1f ms, p90 %.1f ms, max %.1f ms over %d "
          "(idle: median %.1f ms)" % (pct(core, 0.5), pct(core, 0.9), pct(core, 1), len(core),
                                      pct(idle_core, 0.5)))
    print("# /healthz (net thread) while they ran: median %.1f ms, max %.1f ms over %d (idle: median %.1f ms)"
          % (pct(health, 0.5), pct(health, 1), len(health), pct(idle_health, 0.5)))
    say(len(core) >= 2 and max(core) < 5 and max(health) < 5,
        "the API answers other requests while the downloads run (each within 5 s)",
        (len(core), max(core or [0]), max(health or [0])))
    by_ctl(jid, want)
    finish()


def by_ctl(jid, want):
    """job.result over the control socket, one then N at once."""
    # what the core thread printed with cJSON when it read the file whole:
    # the same escapes as Python's for this ASCII text
    expect = json.dumps({"ok": True, "content_type": "application/json", "body": want.decode()},
                        separators=(",", ":")).encode() + b"\n"
    hwm0 = peak_kb()
    reply, secs = ctl({"cmd": "job.result", "id": jid})
    say(reply == expect, "over the control socket, job.result is the reply it always was, byte for "
        "byte (%.1f MB in %.0f ms)" % (len(reply) / 1e6, secs * 1000), (len(reply), len(expect), reply[:200]))
    idle = [ctl({"cmd": "ping"})[1] for _ in range(20)]
    got, pings = [], []
    lock = threading.Lock()

    def download():
        r, t = ctl({"cmd": "job.result", "id": jid})
        with lock:
            got.append((hashlib.sha256(r).hexdigest(), len(r), t))

    threads = [threading.Thread(target=download) for _ in range(N)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        r, t = ctl({"cmd": "ping"})
        pings.append(t if r == b'{"ok":true}\n' else 99)
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    good = hashlib.sha256(expect).hexdigest()
    say(len(got) == N and all(g[:2] == (good, len(expect)) for g in got),
        "%d at once over the control socket are each that reply" % N, [g[:2] for g in got])
    grew = (peak_kb() - hwm0) / 1024
    print("# %d job.result over the control socket at once: %.2f s in all, %.0f MB/s together; "
          "slowest %.2f s" % (N, wall, N * len(expect) / 1e6 / wall, max(g[2] for g in got)))
    print("# ping (core thread) meanwhile: median %.1f ms, max %.1f ms over %d (idle: median %.1f ms)"
          % (pct(pings, 0.5), pct(pings, 1), len(pings), pct(idle, 0.5)))
    print("# the daemon's peak memory grew by %.1f MB over the %d + 1 (the file: %.1f MB)"
          % (grew, N, len(want) / 1e6))
    say(len(pings) >= 2 and max(pings) < 5, "the control socket answers pings while they run (each within 5 s)",
        (len(pings), max(pings or [0])))
    say(grew < len(want) / 2 / 1e6,
        "the file is never held whole: peak memory grew by %.1f MB, less than half of it" % grew)


def inflight():
    tok = apitest.login(BASE, "alice", os.environ["QD_PW_ALICE"])
    jid = [j["id"] for j in apitest.call(BASE, "GET", "/api/v1/backtests", token=tok).doc["jobs"]
           if j["state"] == "done"][0]
    for _ in range(N):
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        c.request("GET", "/api/v1/backtests/%s/result" % jid, headers={"Authorization": "Bearer " + tok})
        # left open, unread: the daemon stops under them
        inflight.keep.append(c)
        inflight.keep.append(ctl({"cmd": "job.result", "id": jid}, read=False))
    time.sleep(0.05)
    print("ok - %d downloads and %d over the control socket are in flight" % (N, N), flush=True)
    time.sleep(5)


inflight.keep = []

if __name__ == "__main__":
    {"run": run, "inflight": inflight}[sys.argv[1]]()
