"""apitest.py -- what the API's integration tests (tests/integration/api_*.py)
share: checks counted and printed one a line ("ok - NAME" or "not ok - NAME:
detail"), HTTP calls whose answers are recorded for tests/openapi/
validate.mjs ($QD_API_RECORD, JSON lines), sign-in, and API keys' signed
requests (X-QD-Key, X-QD-Timestamp, X-QD-Nonce, X-QD-Signature)."""
import base64
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.request

RECORD = os.environ.get("QD_API_RECORD")
fails = 0


def say(ok, name, detail="", width=400):
    """One check: counted as failed unless ok, with detail when it fails."""
    global fails
    print(("ok - " if ok else "not ok - ") + name + ("" if ok else ": " + str(detail)[:width]))
    if not ok:
        fails += 1
    return ok


def finish():
    """Print the failures' count; exit 1 if there was any."""
    print("%d failed" % fails)
    sys.exit(1 if fails else 0)


def record(method, path, status, headers, text):
    """Keep an answer for tests/openapi/validate.mjs (the query dropped)."""
    if RECORD:
        ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        with open(RECORD, "a") as f:
            f.write(json.dumps({"method": method, "path": path.split("?")[0], "status": status,
                                "ctype": ctype, "body": text.decode("utf-8", "replace")}) + "\n")


class Reply:
    """An answer: status, headers (dict), ctype, text (bytes), json (the
    body parsed, or None) and doc (json, or {"raw": ...} when it is not
    JSON)."""

    def __init__(self, status, headers, text):
        self.status = status
        self.headers = headers
        self.ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        self.text = text
        try:
            self.json = json.loads(text or b"{}")
        except ValueError:
            self.json = None
        self.doc = self.json if self.json is not None else \
            {"raw": text[:200].decode("utf-8", "replace")}


def call(base, method, path, body=None, token=None, headers=None, raw=None,
         content_type=None, timeout=20):
    """One request to base + path: body as JSON, or raw bytes as they are
    (with content_type); a bearer token or extra headers.  A Reply."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if content_type:
        req.add_header("Content-Type", content_type)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            st, hdr, text = r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        st, hdr, text = e.code, dict(e.headers), e.read()
    record(method, path, st, hdr, text)
    return Reply(st, hdr, text)


def error_is(got, doc, status, code=None, field=None):
    """Whether an answer of status `got` and body `doc` (JSON) is the error
    of status (and code, field)."""
    e = doc.get("error", {}) if isinstance(doc, dict) else {}
    return got == status and isinstance(e.get("message"), str) and \
        (code is None or e.get("code") == code) and (field is None or e.get("field") == field)


def err_is(reply, status, code=None, field=None):
    """error_is() of a Reply."""
    return error_is(reply.status, reply.doc, status, code, field)


def login(base, user, pw):
    """An access token for user, or None."""
    r = call(base, "POST", "/api/v1/auth/login", {"username": user, "password": pw})
    return r.doc.get("access_token") if r.status == 200 else None


def signed(method, path, key_id, secret, body=b"", ts=None, nonce=None):
    """The headers of an API key's signed request."""
    ts = str(ts if ts is not None else int(time.time() * 1000))
    nonce = nonce or base64.urlsafe_b64encode(os.urandom(12)).decode().rstrip("=")
    canon = "\n".join([ts, nonce, method, path, hashlib.sha256(body).hexdigest()])
    sig = hmac.new(secret.encode(), canon.encode(), hashlib.sha256).hexdigest()
    return {"X-QD-Key": key_id, "X-QD-Timestamp": ts, "X-QD-Nonce": nonce,
            "X-QD-Signature": sig}


def wait_for(fn, secs=10, step=0.05):
    """fn() until it is true or secs pass; its last value."""
    end = time.time() + secs
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


async def recv_until(ws, pred, secs):
    """The first WebSocket message within `secs` for which pred holds, or
    None."""
    import asyncio
    end = time.time() + secs
    while time.time() < end:
        try:
            m = json.loads(await asyncio.wait_for(ws.recv(), max(0.1, end - time.time())))
        except asyncio.TimeoutError:
            break
        if pred(m):
            return m
    return None
