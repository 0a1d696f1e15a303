#!/usr/bin/env python3
"""api_annotations.py PORT ROOT_PW -- a running `chan` instance's
annotations (instance "chanlive" on a synthetic feed) through
GET /api/v1/instances/{name}/annotations and the annotations.{name}
channel, with an admin "root".  One line per check; exit 1 on any
failure."""
import asyncio
import json
import os
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apitest  # noqa: E402
from apitest import say  # noqa: E402

PORT = int(sys.argv[1])
BASE = "http://127.0.0.1:%d" % PORT
KINDS = {"chan.fractal", "chan.stroke", "chan.segment", "chan.pivot", "chan.point"}


def call(method, path, token=None):
    """(status, JSON document) of a request."""
    r = apitest.call(BASE, method, path, token=token)
    return r.status, r.doc


def refused(resp, status, field=None):
    return apitest.error_is(resp[0], resp[1], status, field=field)


recv_until = apitest.recv_until


AT = apitest.login(BASE, "root", sys.argv[2])
if AT is None:
    print("not ok - root signs in")
    sys.exit(1)
PATH = "/api/v1/instances/chanlive/annotations"

# The synthetic feed gives a bar every 20 ms: strokes come within seconds.
doc = {}
end = time.time() + 30
while time.time() < end:
    st, doc = call("GET", PATH, token=AT)
    if st == 200 and any(a["kind"] == "chan.stroke" for a in doc.get("annotations", [])):
        break
    time.sleep(0.2)
anns = doc.get("annotations", [])
say(st == 200 and len(anns) > 2, "a running chan instance's annotations are listed", (st, doc))
seqs = [a.get("seq") for a in anns]
say(seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and all(isinstance(s, int) and s > 0 for s in seqs),
    "oldest first, each with its own growing seq", seqs[:10])
say(all(a.get("kind") in KINDS and isinstance(a.get("data"), dict) and isinstance(a.get("ts"), int) for a in anns),
    "each has a chan kind, its data object and a time", anns[:3])
stroke = next((a for a in anns if a["kind"] == "chan.stroke"), {})
d = stroke.get("data", {})
say(d.get("dir") in ("up", "down") and isinstance(d.get("from"), (int, float)) and d.get("to_ts", 0) > d.get("from_ts", 0),
    "a stroke as the strategy annotated it: direction, ends and times", stroke)
say(doc.get("next") == seqs[-1] and doc.get("more") is False, "next is the last seq; nothing more", doc.get("next"))

# Pages: two at a time from the start give the same list's beginning.
st, p1 = call("GET", PATH + "?limit=2", token=AT)
st2, p2 = call("GET", PATH + "?limit=2&after=%d" % p1.get("next", 0), token=AT)
got = [a["seq"] for a in p1.get("annotations", []) + p2.get("annotations", [])]
say(st == 200 and st2 == 200 and p1.get("more") is True and got == seqs[:4],
    "pages of two follow each other (after = the last page's next)", (got, seqs[:4], p1.get("more")))
st, p = call("GET", PATH + "?after=%d" % seqs[-1], token=AT)
say(st == 200 and all(a["seq"] > seqs[-1] for a in p["annotations"]), "after the last seq: only newer ones", p)

say(refused(call("GET", "/api/v1/instances/nosuch/annotations", token=AT), 404), "an unknown instance is 404")
say(refused(call("GET", PATH + "?limit=0", token=AT), 400, "limit"), "limit 0 is refused")
say(refused(call("GET", PATH + "?limit=5001", token=AT), 400, "limit"), "limit above 5000 is refused")
say(refused(call("GET", PATH + "?after=-1", token=AT), 400, "after"), "a negative after is refused")
say(refused(call("GET", PATH + "?after=x", token=AT), 400), "an after that is no integer is refused")
say(refused(call("GET", PATH + "?from=1", token=AT), 400), "an unknown parameter is refused")
st, _ = call("GET", PATH)
say(st == 401, "no token, no annotations", st)


async def ws_checks():
    import websockets
    url = "ws://127.0.0.1:%d/ws" % PORT

    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"op": "auth", "token": AT}))
        await recv_until(ws, lambda m: m.get("type") == "authenticated", 5)
        await ws.send(json.dumps({"op": "subscribe", "channel": "annotations.chanlive"}))
        snap = await recv_until(ws, lambda m: m.get("type") == "snapshot", 5)
        have = [a["seq"] for a in (snap or {}).get("data", {}).get("annotations", [])]
        say(snap is not None and snap["channel"] == "annotations.chanlive" and len(have) >= len(seqs)
            and have[:len(seqs)] == seqs, "channel: a snapshot of the kept annotations", (snap or {}).get("channel"))
        m = await recv_until(ws, lambda m: m.get("type") == "annotation", 15)
        say(m is not None and m["channel"] == "annotations.chanlive" and m["data"]["seq"] > (have[-1] if have else 0)
            and m["data"]["kind"] in KINDS and isinstance(m["data"]["data"], dict),
            "channel: each new annotation as it comes", m)
        await ws.send(json.dumps({"op": "subscribe", "channel": "annotations.nosuch"}))
        m = await recv_until(ws, lambda m: m.get("type") == "error", 5)
        say(m is not None and m.get("code") == "not_found", "channel: an unknown instance is an error frame", m)
        await ws.send(json.dumps({"op": "subscribe", "channel": "annotations.a/b"}))
        m = await recv_until(ws, lambda m: m.get("type") == "error", 5)
        say(m is not None and m.get("code") == "bad_request", "channel: a name that is no instance's is refused", m)


try:
    asyncio.run(asyncio.wait_for(ws_checks(), 60))
except Exception as e:  # noqa: BLE001 -- any failure is a failed check
    say(False, "WebSocket checks ran", repr(e))

apitest.finish()
