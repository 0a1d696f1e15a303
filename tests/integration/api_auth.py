#!/usr/bin/env python3
"""api_auth.py PORT -- users, tokens, 2FA, API keys, plans and hostile
credentials against a daemon whose admin "root" (enterprise plan) exists
and whose JWT secret is in $QD_JWT.  One line per check; exit 1 on any
failure."""
import asyncio
import base64
import hashlib
import hmac
import json
import os
import struct
import sys
import time
import urllib.request

PORT = int(sys.argv[1])
ROOT_PW = sys.argv[2]
BASE = "http://127.0.0.1:%d" % PORT
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apitest  # noqa: E402
from apitest import error_is, finish, say  # noqa: E402
from apitest import signed  # noqa: E402


def call(method, path, body=None, token=None, headers=None, raw=None):
    """(status, headers, body as JSON)."""
    r = apitest.call(BASE, method, path, body, token, headers=headers, raw=raw, timeout=10)
    return r.status, r.headers, r.doc


def err_is(resp, status, code=None):
    return error_is(resp[0], resp[2], status, code)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def forge(header, claims, key):
    h = b64url(json.dumps(header).encode())
    p = b64url(json.dumps(claims).encode())
    sig = hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest()
    return h + "." + p + "." + b64url(sig)


def totp(secret_b32, t=None):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    step = int((t or time.time()) // 30)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7fffffff) % 1000000)


# --- sign-in, tokens ------------------------------------------------------
st, _, tok = call("POST", "/api/v1/auth/login", {"username": "root", "password": ROOT_PW})
say(st == 200 and tok.get("token_type") == "Bearer", "admin signs in", tok)
AT, RT = tok.get("access_token"), tok.get("refresh_token")
st, _, me = call("GET", "/api/v1/me", token=AT)
say(st == 200 and me.get("role") == "admin" and me.get("plan") == "enterprise", "GET /me names the admin", me)
say(err_is(call("POST", "/api/v1/auth/login", {"username": "root", "password": "wrong password"}), 401, "bad_credentials"),
    "a wrong password is 401")
say(err_is(call("POST", "/api/v1/auth/login", {"username": "root"}), 400, "bad_request"), "a login without password is 400")
say(err_is(call("POST", "/api/v1/auth/login", raw=b'{"username":"root",'), 400), "a truncated login body is 400")
say(err_is(call("POST", "/api/v1/auth/login", raw=b'{"username":"\xff\xfe","password":"x"}'), 400), "invalid UTF-8 in a body is 400")
say(err_is(call("POST", "/api/v1/auth/register", {"username": "eve", "password": "longenough1"}), 403, "forbidden"),
    "registration is closed by default")

st, _, t2 = call("POST", "/api/v1/auth/refresh", {"refresh_token": RT})
say(st == 200 and t2.get("refresh_token") != RT, "a refresh rotates the refresh token", t2)
say(err_is(call("POST", "/api/v1/auth/refresh", {"refresh_token": RT}), 401, "refresh_reused"),
    "reusing a rotated refresh token is refused")
say(err_is(call("POST", "/api/v1/auth/refresh", {"refresh_token": t2.get("refresh_token")}), 401),
    "and revokes its whole family (the newest token too)")

# --- users (admin) --------------------------------------------------------
st, _, u = call("POST", "/api/v1/users", {"username": "bob", "password": "bob-password-1", "role": "trader", "plan": "free"}, token=AT)
say(st == 201 and u["user"]["username"] == "bob", "an admin adds a trader", u)
say(err_is(call("POST", "/api/v1/users", {"username": "bob", "password": "bob-password-1"}, token=AT), 409, "conflict"),
    "a taken name is 409")
st, _, u = call("POST", "/api/v1/users", {"username": "vera", "password": "vera-password-1", "role": "viewer", "plan": "pro"}, token=AT)
say(st == 201, "an admin adds a viewer", u)
st, _, ul = call("GET", "/api/v1/users", token=AT)
say(st == 200 and {x["username"] for x in ul["users"]} >= {"root", "bob", "vera"} and
    all("pass" not in json.dumps(x) for x in ul["users"]), "users are listed without password hashes", ul)
st, _, u = call("PATCH", "/api/v1/users/vera", {"plan": "enterprise"}, token=AT)
say(st == 200 and u["user"]["plan"] == "enterprise", "an admin changes a plan", u)
say(err_is(call("PATCH", "/api/v1/users/nobody", {"plan": "pro"}, token=AT), 404), "an unknown user is 404")

_, _, vt = call("POST", "/api/v1/auth/login", {"username": "vera", "password": "vera-password-1"})
VT = vt.get("access_token")
say(err_is(call("GET", "/api/v1/users", token=VT), 403, "forbidden"), "a viewer cannot list users")
say(err_is(call("POST", "/api/v1/emergency-close", {"ratio": 1}, token=VT), 403), "a viewer cannot trade")
st, _, _ = call("GET", "/api/v1/accounts", token=VT)
say(st == 200, "a viewer reads accounts", st)

# --- hostile tokens ---------------------------------------------------------
key = os.environ["QD_JWT"].encode()
now = int(time.time())
base = {"iss": "quantd", "sub": "1", "name": "root", "role": "admin", "plan": "enterprise",
        "iat": now, "nbf": now, "exp": now + 600, "jti": "x" * 32}
cases = [
    ("alg=none", b64url(b'{"alg":"none","typ":"JWT"}') + "." + b64url(json.dumps(base).encode()) + ".", "token_algorithm"),
    ("RS256 header signed with the HMAC key (HS/RS confusion)", forge({"alg": "RS256", "typ": "JWT"}, base, key), "token_algorithm"),
    ("expired", forge({"alg": "HS256", "typ": "JWT"}, dict(base, exp=now - 10, iat=now - 1000, nbf=now - 1000), key), "token_expired"),
    ("not yet valid", forge({"alg": "HS256", "typ": "JWT"}, dict(base, nbf=now + 3600, exp=now + 7200), key), "token_not_yet_valid"),
    ("wrong issuer", forge({"alg": "HS256", "typ": "JWT"}, dict(base, iss="evil"), key), "token_issuer"),
    ("signed with another key", forge({"alg": "HS256", "typ": "JWT"}, base, b"k" * 32), "token_signature"),
    ("tampered payload", AT.split(".")[0] + "." + b64url(json.dumps(dict(base, role="admin", name="bob")).encode()) + "." + AT.split(".")[2], "token_signature"),
    ("not a JWT", "garbage", "token_malformed"),
]
for name, t, code in cases:
    say(err_is(call("GET", "/api/v1/me", token=t), 401, code), "JWT " + name + " is refused (" + code + ")",
        call("GET", "/api/v1/me", token=t))
say(err_is(call("GET", "/api/v1/me", headers={"Authorization": "Basic cm9vdDp4"}), 401), "Basic auth is refused")

# --- SQL injection strings ------------------------------------------------------
for s in ["' OR '1'='1", "root'--", "x\"; DROP TABLE users; --", "%27%20OR%201=1"]:
    say(err_is(call("POST", "/api/v1/auth/login", {"username": s, "password": s}), 401),
        "SQL in a login is just a wrong login: " + s)
    st, _, d = call("GET", "/api/v1/market/candles?exchange=" + urllib.request.quote(s) + "&symbol=BTC/USDT", token=AT)
    say(st in (200, 400, 503) and ("error" in d or "candles" in d), "SQL in a query parameter is data: " + s, (st, d))
st, _, ul2 = call("GET", "/api/v1/users", token=AT)
say(st == 200 and len(ul2["users"]) == len(ul["users"]), "the users table is intact", ul2)

# --- 2FA ----------------------------------------------------------------------
_, _, bt = call("POST", "/api/v1/auth/login", {"username": "bob", "password": "bob-password-1"})
BT = bt.get("access_token")
st, _, en = call("POST", "/api/v1/me/2fa/enroll", token=BT)
say(st == 200 and en.get("uri", "").startswith("otpauth://totp/") and "<svg" in en.get("qr_svg", ""),
    "2FA enrolment gives an otpauth URI and an SVG QR code", en.keys() if isinstance(en, dict) else en)
say(err_is(call("POST", "/api/v1/me/2fa/confirm", {"code": "000000" if totp(en["secret"]) != "000000" else "111111"}, token=BT), 401),
    "a wrong first code does not enable 2FA")
st, _, rc = call("POST", "/api/v1/me/2fa/confirm", {"code": totp(en["secret"])}, token=BT)
codes = rc.get("recovery_codes", [])
say(st == 200 and len(codes) == 10, "the right code enables 2FA and gives 10 recovery codes", rc)
say(err_is(call("POST", "/api/v1/auth/login", {"username": "bob", "password": "bob-password-1"}), 401, "2fa_required"),
    "a login without a code is refused once 2FA is on")
st, _, b2 = call("POST", "/api/v1/auth/login", {"username": "bob", "password": "bob-password-1", "otp": codes[0]})
say(st == 200, "a recovery code signs in", b2)
say(err_is(call("POST", "/api/v1/auth/login", {"username": "bob", "password": "bob-password-1", "otp": codes[0]}), 401),
    "a recovery code works once")
BT = b2.get("access_token", BT)

# --- API keys and signed requests ---------------------------------------------
st, _, k = call("POST", "/api/v1/me/keys", {"scopes": "read", "label": "ro"}, token=AT)
say(st == 201 and k.get("secret"), "an API key is created; its secret shown once", k)
KID, KSEC = k.get("id"), k.get("secret")
st, _, kl = call("GET", "/api/v1/me/keys", token=AT)
say(st == 200 and KID in [x["id"] for x in kl["keys"]] and KSEC not in json.dumps(kl), "keys are listed without secrets", kl)
st, _, d = call("GET", "/api/v1/accounts", headers=signed("GET", "/api/v1/accounts", KID, KSEC))
say(st == 200, "a signed request with a read key reads", (st, d))
st, _, d = call("GET", "/api/v1/market/trades?exchange=feed&symbol=BTC/USDT",
                headers=signed("GET", "/api/v1/market/trades?exchange=feed&symbol=BTC/USDT", KID, KSEC))
say(st == 200, "a signed request with a query string", (st, d))
h = signed("GET", "/api/v1/accounts", KID, KSEC)
call("GET", "/api/v1/accounts", headers=h)
say(err_is(call("GET", "/api/v1/accounts", headers=h), 401, "signature_replayed"), "a replayed nonce is refused")
say(err_is(call("GET", "/api/v1/accounts", headers=signed("GET", "/api/v1/accounts", KID, KSEC,
                                                           ts=int(time.time() * 1000) - 120000)), 401, "signature_stale"),
    "a stale timestamp is refused")
say(err_is(call("GET", "/api/v1/accounts", headers=signed("GET", "/api/v1/accounts", KID, "0" * 64)), 401, "signature_invalid"),
    "a wrong signature is refused")
body = json.dumps({"ratio": 1}).encode()
say(err_is(call("POST", "/api/v1/emergency-close", raw=body,
                headers=signed("POST", "/api/v1/emergency-close", KID, KSEC, body)), 403, "forbidden"),
    "a read key cannot trade")
st, _, _ = call("DELETE", "/api/v1/me/keys/" + KID, token=AT)
say(st == 200, "the key is revoked", st)
say(err_is(call("GET", "/api/v1/accounts", headers=signed("GET", "/api/v1/accounts", KID, KSEC)), 401, "key_revoked"),
    "a revoked key is refused")

# --- plan limits ------------------------------------------------------------------
statuses = []
call("POST", "/api/v1/users", {"username": "carl", "password": "carl-password-1", "plan": "free"}, token=AT)
_, _, ct = call("POST", "/api/v1/auth/login", {"username": "carl", "password": "carl-password-1"})
BT = ct.get("access_token")
for i in range(11):
    st, hd, _ = call("GET", "/api/v1/me", token=BT)
    statuses.append(st)
say(statuses[:10] == [200] * 10 and statuses[10] == 429, "the 11th request of a free user in a minute is 429", statuses)
say(int({k.lower(): v for k, v in hd.items()}.get("retry-after", "0")) >= 1, "with Retry-After", hd)

# --- throttled logins ---------------------------------------------------------------
for i in range(6):
    r = call("POST", "/api/v1/auth/login", {"username": "vera", "password": "not-her-password"})
say(err_is(r, 429, "too_many_attempts") and int({k.lower(): v for k, v in r[1].items()}.get("retry-after", "0")) >= 1,
    "repeated failed logins are throttled with Retry-After", r)

# --- audit log ----------------------------------------------------------------------
st, _, au = call("GET", "/api/v1/audit?limit=1000", token=AT)
acts = {a["action"] for a in au.get("audit", [])}
say(st == 200 and {"login.failed", "user.add", "apikey.create", "apikey.revoke", "2fa.enable",
                   "token.refresh_reuse"} <= acts, "the audit log has the security actions", sorted(acts))
say(KSEC not in json.dumps(au) and ROOT_PW not in json.dumps(au), "no secret in the audit log")

# --- orders ----------------------------------------------------------------------
st, _, od = call("POST", "/api/v1/orders", {"instance": "hold", "symbol": "BTC/USDT", "side": "buy",
                                            "type": "limit", "qty": 0.5, "price": 1}, token=AT)
say(st == 200 and od.get("id", 0) > 0, "an order is submitted into an instance's account", od)
OID = od.get("id", 0)
st, _, ol = call("GET", "/api/v1/orders?instance=hold", token=AT)
say(st == 200 and OID in [o["id"] for o in ol["orders"]], "it is listed among the open orders", ol)
say(err_is(call("POST", "/api/v1/orders", {"instance": "hold", "symbol": "BTC/USDT", "side": "up", "qty": 1}, token=AT), 400),
    "a bad side is 400")
say(err_is(call("POST", "/api/v1/orders", {"instance": "nobody", "symbol": "BTC/USDT", "side": "buy", "qty": 1}, token=AT), 404),
    "an unknown instance is 404")
say(err_is(call("POST", "/api/v1/orders", {"instance": "hold", "symbol": "BTC/USDT", "side": "buy", "type": "limit",
                                           "qty": 1000000, "price": 100}, token=AT), 403, "denied"),
    "an order beyond buying power is refused")
say(err_is(call("POST", "/api/v1/orders", {"instance": "hold", "symbol": "BTC/USDT", "side": "buy", "qty": 1}, token=VT), 403),
    "a viewer cannot submit")
st, _, _ = call("DELETE", "/api/v1/orders/%d?instance=hold" % OID, token=AT)
say(st == 200, "the order is canceled", st)
say(err_is(call("DELETE", "/api/v1/orders/%d?instance=hold" % OID, token=AT), 404), "a canceled order is not open")

# --- alerts and notifications ------------------------------------------------------
st, _, al = call("POST", "/api/v1/alerts", {"exchange": "feed", "symbol": "BTC/USDT", "name": "high",
                                            "condition": {"type": "price_above", "price": 1000000}}, token=AT)
say(st == 200 and al["alert"]["id"] > 0, "an alert is created through the API", al)
AID = al.get("alert", {}).get("id", 0)
st, _, ls = call("GET", "/api/v1/alerts", token=AT)
say(st == 200 and [a["id"] for a in ls["alerts"]] == [AID], "the caller's alerts are listed", ls)
st, _, g = call("GET", "/api/v1/alerts/%d" % AID, token=AT)
say(st == 200 and g["alert"]["name"] == "high", "one alert is read by id", g)
st, _, up = call("PATCH", "/api/v1/alerts/%d" % AID, {"enabled": False}, token=AT)
say(st == 200 and up["alert"]["enabled"] is False, "an alert is disabled", up)
say(err_is(call("GET", "/api/v1/alerts/abc", token=AT), 400), "a non-numeric alert id is 400")
say(err_is(call("POST", "/api/v1/alerts", {"user": "bob", "exchange": "feed", "symbol": "BTC/USDT",
                                           "condition": {"type": "price_above", "price": 1}}, token=AT), 400),
    "an alert for another user is refused")
say(err_is(call("POST", "/api/v1/alerts", {"exchange": "feed", "symbol": "BTC/USDT",
                                           "condition": {"type": "nonsense"}}, token=AT), 400),
    "a bad condition is 400")
st, _, vl = call("GET", "/api/v1/alerts/%d" % AID, token=VT)
say(st == 404 and "error" in vl, "another user's alert is not found", (st, vl))
st, _, h = call("GET", "/api/v1/alerts/%d/history" % AID, token=AT)
say(st == 200 and h["events"] == [], "an alert's history", h)
st, _, dl = call("DELETE", "/api/v1/alerts/%d" % AID, token=AT)
say(st == 200, "an alert is deleted", dl)
say(err_is(call("GET", "/api/v1/alerts/%d" % AID, token=AT), 404), "a deleted alert is 404")
st, _, nl = call("GET", "/api/v1/notifications", token=AT)
say(st == 200, "admins list the outbox", nl)
say(err_is(call("GET", "/api/v1/notifications", token=VT), 403), "a viewer cannot")

# --- WebSocket ----------------------------------------------------------------------
async def ws_checks():
    import websockets
    async with websockets.connect("ws://127.0.0.1:%d/ws" % PORT) as ws:
        await ws.send(json.dumps({"op": "subscribe", "channel": "trades.BTC-USDT"}))
        m = json.loads(await asyncio.wait_for(ws.recv(), 5))
        say(m.get("type") == "error" and m.get("code") == "unauthorized", "ws: subscribing before auth is refused", m)
        await ws.send(json.dumps({"op": "auth", "token": "nope"}))
        m = json.loads(await asyncio.wait_for(ws.recv(), 5))
        say(m.get("type") == "error", "ws: a bad token is refused", m)
        await ws.send(json.dumps({"op": "auth", "token": AT}))
        m = json.loads(await asyncio.wait_for(ws.recv(), 5))
        say(m.get("type") == "authenticated", "ws: a token signs in", m)
        await ws.send(json.dumps({"op": "subscribe", "channel": "trades.BTC-USDT"}))
        got = []
        t0 = time.time()
        while time.time() - t0 < 8 and len([x for x in got if x.get("type") == "trade"]) < 3:
            got.append(json.loads(await asyncio.wait_for(ws.recv(), 8)))
        kinds = [x.get("type") for x in got]
        say(kinds[:2] == ["subscribed", "snapshot"] and kinds.count("trade") >= 3,
            "ws: subscribed, a snapshot, then live trades", kinds[:8])
        tr = [x for x in got if x.get("type") == "trade"][0]
        say(tr["channel"] == "trades.BTC-USDT" and tr["data"]["symbol"] == "BTC/USDT" and tr["data"]["price"] > 0,
            "ws: a trade message names its channel, symbol and price", tr)
        await ws.send(json.dumps({"op": "subscribe", "channel": "notifications"}))
        call("POST", "/api/v1/emergency-close", {"ratio": 1, "reason": "api test"}, token=AT)
        seen = []
        t0 = time.time()
        while time.time() - t0 < 10 and not any(x.get("type") == "notification" for x in seen):
            seen.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
        note = [x for x in seen if x.get("type") == "notification"]
        say(note and note[0]["channel"] == "notifications" and note[0]["data"]["title"],
            "ws: an admin's dashboard gets the emergency close as a notification", [x.get("type") for x in seen][-5:])
        await ws.send(json.dumps({"op": "subscribe", "channel": "candles.5x.BTC-USDT"}))
        while True:
            m = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if m.get("type") == "error":
                break
        say(m.get("code") == "bad_request", "ws: an unknown timeframe is refused", m)
    # A free user: one symbol, and a 5 s delay.
    _, _, ft = call("POST", "/api/v1/auth/login", {"username": "bob", "password": "bob-password-1", "otp": codes[1]})
    async with websockets.connect("ws://127.0.0.1:%d/ws" % PORT) as ws:
        await ws.send(json.dumps({"op": "auth", "token": ft.get("access_token")}))
        t_auth = time.time()
        m = json.loads(await asyncio.wait_for(ws.recv(), 10))
        say(m.get("type") == "authenticated" and time.time() - t_auth >= 4.5,
            "ws: a free user's messages come 5 s late", (m, time.time() - t_auth))
        await ws.send(json.dumps({"op": "subscribe", "channel": "trades.BTC-USDT"}))
        await ws.send(json.dumps({"op": "subscribe", "channel": "trades.ETH-USDT"}))
        seen = []
        while not any(x.get("type") == "error" for x in seen):
            seen.append(json.loads(await asyncio.wait_for(ws.recv(), 12)))
        say([x for x in seen if x.get("type") == "error"][0].get("code") == "plan_limit",
            "ws: a free user follows one symbol", seen[-1])

asyncio.run(ws_checks())
finish()
