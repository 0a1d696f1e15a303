#!/usr/bin/env python3
"""api_ops.py PHASE -- quantctl's remaining actions through the API of a
daemon set up by api_ops.sh ($QD_PORT; admin "root" with $QD_PW_ROOT;
$QD_T its directory, with bars.csv; $QUANTCTL; the chan plugin in a
sandbox plugin directory; jobs kept $QD_RETENTION_S seconds, at most 3).

Phases: main (data import, notify send, the Chan analysis, secrets set and
an API key, a rotate with nothing to re-seal), rotate-missing (k2 only: the
values under k1 cannot be opened), rotate (k1 and k2: every value re-sealed
under k2), after-rotate (k2 only: the API key still signs), retention (the
finished jobs beyond 3 and past their age go, with their files).  One line
per check; exit 1 on any failure."""
import json
import os
import subprocess
import sys
import time
import urllib.request

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from apitest import call as http, err_is, finish, login, say, signed, wait_for  # noqa: E402

BASE = "http://127.0.0.1:%s" % os.environ["QD_PORT"]
T = os.environ["QD_T"]
QUANTCTL = os.environ["QUANTCTL"]
CONFIG = os.path.join(T, "quantd.json")
KEYFILE = os.path.join(T, "apikey.json")
SECRET = os.environ["QD_SECRET"]
ROOT = login(BASE, "root", os.environ["QD_PW_ROOT"])
if ROOT is None:
    say(False, "root signs in")
    finish()


def call(method, path, body=None, token=ROOT, **kw):
    return http(BASE, method, path, body, token, **kw)


def quantctl(*args):
    """(exit status, stdout, stderr) of quantctl with the daemon's config."""
    p = subprocess.run([QUANTCTL, "-c", CONFIG] + list(args), capture_output=True, timeout=120)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def viewer():
    return login(BASE, "vera", "vera-password-1")


def job_done(path, tok=ROOT, secs=60):
    """Poll a job until it ended; the job."""
    last = {}

    def ended():
        nonlocal last
        last = call("GET", path, token=tok).doc.get("job", {})
        return last.get("state") in ("done", "failed", "canceled")
    wait_for(ended, secs, 0.1)
    return last


def main():
    r = call("POST", "/api/v1/users", {"username": "vera", "password": "vera-password-1",
                                       "role": "viewer", "plan": "enterprise"})
    VT = viewer()
    say(r.status == 201 and VT is not None, "a viewer is added and signs in", r.doc)

    # --- data import --------------------------------------------------------
    bars = open(os.path.join(T, "bars.csv"), "rb").read()
    q = "?exchange=sim&symbol=BTC/USDT&timeframe=1m"
    r = call("POST", "/api/v1/data/import" + q, raw=bars, content_type="text/csv")
    rc, out, err = quantctl("data", "import", os.path.join(T, "bars.csv"), "--exchange", "sim",
                            "--symbol", "BTC/USDT", "--timeframe", "1m", "--db",
                            os.path.join(T, "other.db"), "--json")
    want = json.loads(out) if rc == 0 else {"error": err}
    want.pop("file", None)
    say(r.status == 200 and r.doc == want,
        "POST /data/import stores a CSV body and answers what quantctl data import --json prints",
        (r.status, r.doc, want))
    cov = call("GET", "/api/v1/data/coverage?exchange=sim&symbol=BTC/USDT&timeframe=1m", token=VT).doc
    s = (cov.get("series") or [{}])[0]
    say(s.get("count") == want.get("rows") and s.get("first") == want.get("first")
        and s.get("last") == want.get("last"), "the imported candles are stored", cov)
    r = call("POST", "/api/v1/data/import?exchange=sim&symbol=BTC/USDT", raw=bars, content_type="text/csv")
    say(r.status == 200 and r.doc.get("timeframe") == "1m" and r.doc.get("rows") == want.get("rows"),
        "again without a timeframe: inferred from the rows, the same rows replaced", r.doc)

    lines = bars.decode().splitlines()
    f = lines[5].split(",")
    f[2], f[3] = f[3], f[2]          # high below low
    lines[5] = ",".join(f)
    bad = ("\n".join(lines) + "\n").encode()
    badpath = os.path.join(T, "bad.csv")
    open(badpath, "wb").write(bad)
    rc, out, err = quantctl("data", "import", badpath, "--exchange", "sim", "--symbol", "ETH/USDT",
                            "--db", os.path.join(T, "other.db"))
    r = call("POST", "/api/v1/data/import?exchange=sim&symbol=ETH/USDT", raw=bad, content_type="text/csv")
    msg = r.doc.get("error", {}).get("message", "")
    say(err_is(r, 400, "bad_request") and rc != 0 and msg == err.strip().replace(badpath, "body"),
        "a bad row is quantctl's error, with the line, for the body", (msg, err))
    cov = call("GET", "/api/v1/data/coverage?exchange=sim&symbol=ETH/USDT", token=VT).doc
    say(cov.get("series") == [], "and nothing of it is stored", cov)
    say(err_is(call("POST", "/api/v1/data/import?exchange=sim", raw=bars), 400), "without a symbol: 400")
    say(err_is(call("POST", "/api/v1/data/import?exchange=sim&symbol=btc-usdt", raw=bars), 400),
        "a symbol not BASE/QUOTE: 400")
    say(err_is(call("POST", "/api/v1/data/import?exchange=sim&symbol=BTC/USDT&timeframe=7m", raw=bars), 400),
        "an unknown timeframe: 400")
    say(err_is(call("POST", "/api/v1/data/import?exchange=sim&symbol=BTC/USDT&file=/etc/passwd", raw=bars), 400),
        "an unknown query parameter: 400")
    say(err_is(call("POST", "/api/v1/data/import?exchange=sim&symbol=BTC/USDT", raw=b""), 400),
        "an empty body: 400")
    say(err_is(call("POST", "/api/v1/data/import?exchange=sim&symbol=BTC/USDT", raw=b"\xff\xfe,1,2\n"), 400),
        "a body that is no candle file: 400")
    say(err_is(call("POST", "/api/v1/data/import?exchange=sim&symbol=BTC/USDT", raw=bars, token=VT), 403),
        "a viewer may not import: 403")
    big = bars * (int(os.environ["QD_BODY_MAX"]) // len(bars) + 1)
    say(err_is(call("POST", "/api/v1/data/import?exchange=sim&symbol=BTC/USDT", raw=big), 413,
                    "payload_too_large"), "a body beyond api.body_max: 413")

    # --- notify send --------------------------------------------------------
    one = {"event": "ops.test", "title": "hello", "body": "from the API", "severity": "warning",
           "key": "ops-1"}
    r = call("POST", "/api/v1/notifications", {"notifications": [one]})
    say(r.status == 200 and r.doc == {"queued": 1}, "POST /notifications queues one for the webhook", r.doc)
    hook = os.environ["QD_HOOK"]

    def delivered():
        st = json.load(urllib.request.urlopen(hook + "/_stats"))["hook"]
        return st["keys"].get("ops-1") == 1 and st["bad_signature"] == 0
    say(wait_for(delivered, 20), "the webhook receives it, signed")
    r = call("POST", "/api/v1/notifications", {"notifications": [one]})
    say(r.status == 200 and r.doc == {"queued": 0}, "the same key again is queued once only", r.doc)
    lst = call("GET", "/api/v1/notifications").doc
    say(lst.get("stats", {}).get("enqueued", 0) >= 1 and lst["stats"].get("duplicates", 0) >= 1,
        "the outbox counts it and the duplicate", lst.get("stats"))
    say(err_is(call("POST", "/api/v1/notifications", {"notifications": []}), 400, "bad_request"),
        "an empty list: 400 bad_request")
    say(err_is(call("POST", "/api/v1/notifications", {"notifications": [{"title": "x"}]}), 400, "bad_request"),
        "a notification without an event: 400 bad_request")
    say(err_is(call("POST", "/api/v1/notifications",
                    {"notifications": [dict(one, key="ops-2"), dict(one, severity="loud", key="ops-3")]}), 400,
               "bad_request"),
        "a bad severity: 400 bad_request, and nothing of the request queued")
    say(err_is(call("POST", "/api/v1/notifications", {"notifications": [dict(one, event="Bad Event!")]}), 400,
               "bad_request"),
        "a malformed event name: 400 bad_request")
    say(err_is(call("POST", "/api/v1/notifications/-1/retry"), 400, "bad_request"),
        "a retry of a negative id: 400 bad_request")
    st = json.load(urllib.request.urlopen(hook + "/_stats"))["hook"]["keys"]
    say("ops-2" not in st, "(ops-2 was not sent)", st)
    say(err_is(call("POST", "/api/v1/notifications", {"notifications": [one]}, token=VT), 403),
        "a viewer may not send: 403")
    say(err_is(call("POST", "/api/v1/notifications", raw=b"{\"notifications\":"), 400), "truncated JSON: 400")

    # --- the Chan analysis --------------------------------------------------
    data = {"exchange": "sim", "symbol": "BTC/USDT", "timeframe": "1m",
            "from": int(os.environ["QD_FROM"]), "to": int(os.environ["QD_TO"])}
    r = call("POST", "/api/v1/chan", {"data": data, "min_gap": 5})
    job = r.doc.get("job", {})
    say(r.status == 200 and job.get("kind") == "chan" and job.get("user") == "root",
        "POST /chan queues an analysis", r.doc)
    job = job_done("/api/v1/chan/%s" % job.get("id"))
    say(job.get("state") == "done", "it runs to done", job)
    res = call("GET", "/api/v1/chan/%s/result" % job.get("id"))
    rc, out, err = quantctl("chan", "--data", "store:sim:BTC/USDT:1m", "--from", str(data["from"]),
                            "--to", str(data["to"]), "--min-gap", "5", "--sandbox", "--json")
    say(res.status == 200 and rc == 0 and res.text == out and json.loads(out)["strokes"],
        "its result is byte for byte quantctl chan --sandbox's over the same stored candles",
        (res.status, rc, err, len(res.text), len(out)))
    say("started sandboxed" in open(os.path.join(T, "quantd.log")).read(),
        "the job ran sandboxed, as the host runs a sandbox directory's plugin")
    rc2, out2, _ = quantctl("chan", "--data", os.path.join(T, "bars.csv"), "--min-gap", "5",
                            "--from", str(data["from"]), "--to", str(data["to"]), "--sandbox")
    say(rc2 == 0 and out2 == out, "quantctl chan over the CSV gives the same as over the stored candles")
    lst = call("GET", "/api/v1/chan").doc
    say([j["id"] for j in lst.get("jobs", [])] == [job.get("id")], "GET /chan lists it", lst)
    say(err_is(call("GET", "/api/v1/chan/%s" % job.get("id"), token=VT), 404), "another user does not see it")
    say(call("GET", "/api/v1/chan", token=VT).doc == {"jobs": []}, "nor list it")
    say(err_is(call("GET", "/api/v1/backtests/%s" % job.get("id")), 404), "a Chan job is not a backtest")
    say(err_is(call("DELETE", "/api/v1/chan/%s" % job.get("id")), 409), "a finished one cannot be canceled")
    say(err_is(call("GET", "/api/v1/chan/999999"), 404), "an unknown id: 404")
    say(err_is(call("GET", "/api/v1/chan/x1"), 400), "a bad id: 400")
    r = call("POST", "/api/v1/chan", {"data": data, "min_gap": 1})
    say(err_is(r, 400, field="min_gap") and
        r.doc["error"]["message"] == "param min_gap: 1 is out of range [2, 50]",
        "min_gap out of the plugin's range: 400 naming it once", r.doc)
    say(err_is(call("POST", "/api/v1/chan", {"data": data, "min_gap": "x"}), 400, field="min_gap"),
        "min_gap not an integer: 400")
    say(err_is(call("POST", "/api/v1/chan", {"data": dict(data, symbol="x' OR 1=1")}), 400,
                field="data.symbol"), "a bad symbol: 400 naming it")
    say(err_is(call("POST", "/api/v1/chan", {"data": dict(data, to=data["from"])}), 400, field="data.to"),
        "an empty range: 400")
    say(err_is(call("POST", "/api/v1/chan", {"data": data, "strategy": "ma-cross"}), 400, field="strategy"),
        "an unknown member: 400")
    say(err_is(call("POST", "/api/v1/chan", {"data": data}, token=VT), 403), "a viewer may not submit: 403")
    r = call("POST", "/api/v1/chan", {"data": dict(data, exchange="nowhere")})
    job = job_done("/api/v1/chan/%s" % r.doc.get("job", {}).get("id"))
    say(job.get("state") == "failed" and "no candles stored" in job.get("error", ""),
        "a series with no candles fails with quantctl's reason", job)
    say(err_is(call("GET", "/api/v1/chan/%s/result" % job.get("id")), 409), "a failed job has no result: 409")

    # --- secrets: one sealed under k1, an API key (its secret sealed too) -----
    r = call("PUT", "/api/v1/secrets/exchange.ops.key", {"value": SECRET})
    say(r.status == 200 and r.doc == {"name": "exchange.ops.key", "key_id": "k1"}, "a secret is sealed under k1", r.doc)
    r = call("POST", "/api/v1/me/keys", {"scopes": "read", "label": "ops"})
    say(r.status == 201 and r.doc.get("secret"), "an API key is made", r.doc)
    json.dump({"id": r.doc.get("id"), "secret": r.doc.get("secret")}, open(KEYFILE, "w"))
    r = call("POST", "/api/v1/secrets/rotate")
    say(r.status == 200 and r.doc == {"resealed": 0, "key_id": "k1"},
        "rotate with k1 current: nothing to re-seal", r.doc)


def rotate_missing():
    r = call("POST", "/api/v1/secrets/rotate")
    say(err_is(r, 409, "conflict") and "k1" in r.doc["error"]["message"],
        "rotate with only k2 loaded: 409, naming the key that is missing", r.doc)
    r = call("GET", "/api/v1/secrets")
    say(r.status == 200 and [s["key_id"] for s in r.doc.get("secrets", [])] == ["k1"],
        "and nothing changed", r.doc)


def rotate():
    VT = viewer()
    say(err_is(call("POST", "/api/v1/secrets/rotate", token=VT), 403), "a viewer may not rotate: 403")
    say(err_is(call("POST", "/api/v1/secrets/rotate", {"key": "k2"}), 400), "an unknown member: 400")
    r = call("POST", "/api/v1/secrets/rotate")
    say(r.status == 200 and r.doc == {"resealed": 2, "key_id": "k2"},
        "rotate with k1 and k2 (current): the secret and the API key's re-sealed under k2", r.doc)
    r = call("GET", "/api/v1/secrets")
    say(r.status == 200 and [(s.get("name"), s.get("key_id")) for s in r.doc.get("secrets", [])] ==
        [("exchange.ops.key", "k2")], "the secret is under k2 now", r.doc)
    r = call("POST", "/api/v1/secrets/rotate", {})
    say(r.status == 200 and r.doc == {"resealed": 0, "key_id": "k2"}, "again: nothing left to re-seal", r.doc)
    audit = call("GET", "/api/v1/audit?limit=1000").doc.get("audit", [])
    say(any(a.get("action") == "secrets.rotate" and a.get("actor") == "root" and a.get("ok") for a in audit),
        "the audit log has the rotation, by root", audit[-3:])


def after_rotate():
    k = json.load(open(KEYFILE))
    r = call("GET", "/api/v1/accounts", token=None, headers=signed("GET", "/api/v1/accounts", k["id"], k["secret"]))
    say(r.status == 200, "with only k2 loaded, the API key re-sealed under k2 still signs requests", r.doc)


def retention():
    keep_s = int(os.environ["QD_RETENTION_S"])
    jobs_dir = os.path.join(T, "var", "jobs")
    data = {"exchange": "sim", "symbol": "BTC/USDT", "timeframe": "1m",
            "from": int(os.environ["QD_FROM"]), "to": int(os.environ["QD_TO"])}
    # the jobs of the main phase are past their age by now (or soon)
    say(wait_for(lambda: call("GET", "/api/v1/chan").doc.get("jobs") == [], keep_s * 3, 0.5),
        "the earlier jobs are deleted once past jobs.retention_s")
    ids = []
    for _ in range(4):
        r = call("POST", "/api/v1/chan", {"data": data})
        ids.append(r.doc.get("job", {}).get("id"))
        job_done("/api/v1/chan/%s" % ids[-1])
    lst = [j["id"] for j in call("GET", "/api/v1/chan").doc.get("jobs", [])]
    say(lst == ids[1:], "four jobs ended, jobs.retention_max 3: the oldest is deleted", (lst, ids))
    say(wait_for(lambda: not os.path.exists(os.path.join(jobs_dir, str(ids[0]))), 10)
        and all(os.path.isfile(os.path.join(jobs_dir, str(i), "result.json")) for i in ids[1:]),
        "with its directory; the others keep their files", sorted(os.listdir(jobs_dir)))
    say(err_is(call("GET", "/api/v1/chan/%s/result" % ids[0]), 404), "its result is gone: 404")
    t0 = time.time()
    say(wait_for(lambda: call("GET", "/api/v1/chan").doc.get("jobs") == [], keep_s * 3, 0.2),
        "the rest go once jobs.retention_s passed", time.time() - t0)
    say(wait_for(lambda: not any(os.path.exists(os.path.join(jobs_dir, str(i))) for i in ids), 10),
        "with their files", os.listdir(jobs_dir))
    gone = time.time() - t0
    say(gone < keep_s + 10, "within the sweep's period after their age (%.1f s)" % gone, gone)


{"main": main, "rotate-missing": rotate_missing, "rotate": rotate, "after-rotate": after_rotate,
 "retention": retention}[sys.argv[1]]()
finish()
