#!/usr/bin/env python3
"""notify_user.py PORT ROOT_PW FAKE_BASE ALICE_SECRET BOB_SECRET TG_TOKEN --
users' own notification channels through the API, against a daemon whose
admin "root" exists, with a users-only notify-webhook instance and a
notify-telegram instance pointed at tests/fakes/fake_notify.py (which
checks /hook/alice against ALICE_SECRET and /hook/bob against BOB_SECRET):

  - an enterprise user sets a webhook channel: the answer and the listing
    show the secret as "set", never its value;
  - a pro user is refused a Telegram channel (403 channel_not_in_plan), and
    a platform user a secret reference (403 forbidden); email is for all;
  - each user's alert, when it fires, reaches that user's endpoint only,
    signed with that user's secret;
  - the channel test action reaches the user's Telegram chat with the
    user's bot token;
  - after a downgrade to pro, an alert's webhook notification is recorded
    as skipped with the reason (dead-lettered), and nothing is sent.
One line per check; exit 1 on any failure."""
import json
import os
import sys
import urllib.request

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apitest  # noqa: E402
from apitest import finish, say  # noqa: E402

PORT = int(sys.argv[1])
ROOT_PW = sys.argv[2]
FAKE = sys.argv[3]
SECRETS = {"alice": sys.argv[4], "bob": sys.argv[5]}
TG_TOKEN = sys.argv[6]
BASE = "http://127.0.0.1:%d" % PORT


def call(method, path, body=None, token=None):
    """status, JSON body, text (apitest.call, recorded)."""
    r = apitest.call(BASE, method, path, body, token)
    return r.status, r.doc, r.text.decode("utf-8", "replace")


def code_of(resp):
    return resp[1].get("error", {}).get("code") if isinstance(resp[1], dict) else None


def login(user, pw):
    return apitest.login(BASE, user, pw)


def fake_stats():
    with urllib.request.urlopen(FAKE + "/_stats", timeout=5) as r:
        return json.load(r)


def wait(pred, secs=30):
    return apitest.wait_for(pred, secs, 0.2)


def last_price():
    st, doc, _ = call("GET", "/api/v1/market/trades?exchange=feed&symbol=BTC/USDT&after=0", token=RT)
    prices = [e["price"] for e in doc.get("events", []) if isinstance(e, dict) and "price" in e]
    return prices[-1] if prices else None


RT = login("root", ROOT_PW)
say(RT is not None, "root signs in")
for name, plan in (("alice", "enterprise"), ("bob", "enterprise"), ("carol", "pro")):
    st, doc, _ = call("POST", "/api/v1/users", {"username": name, "password": name + "-password-1",
                                                "role": "trader", "plan": plan}, token=RT)
    say(st == 201, "user %s (%s) added" % (name, plan), doc)
TOK = {n: login(n, n + "-password-1") for n in ("alice", "bob", "carol")}

# --- setting channels -------------------------------------------------------
for name in ("alice", "bob"):
    st, doc, text = call("PUT", "/api/v1/me/channels/webhook",
                         {"url": FAKE + "/hook/" + name, "secret": SECRETS[name]}, token=TOK[name])
    ch = doc.get("channel", {})
    say(st == 200 and ch.get("secret") == "set" and ch.get("secret_from") == "store" and
        ch.get("url") == FAKE + "/hook/" + name, "%s sets a webhook channel (secret sealed)" % name, doc)
    say(SECRETS[name] not in text, "the answer does not hold %s's secret" % name)
st, doc, text = call("GET", "/api/v1/me/channels", token=TOK["alice"])
say(st == 200 and doc.get("plan") == "enterprise" and "webhook" in doc.get("plan_channels", []) and
    [c["kind"] for c in doc.get("channels", [])] == ["webhook"] and SECRETS["alice"] not in text,
    "alice lists her channels: the webhook, its secret only \"set\"", doc)
r = call("PUT", "/api/v1/me/channels/telegram", {"chat_id": "-100777", "bot_token": TG_TOKEN}, token=TOK["carol"])
say(r[0] == 403 and code_of(r) == "channel_not_in_plan" and "pro plan" in r[1]["error"]["message"],
    "a pro user is refused a Telegram channel (403 channel_not_in_plan)", r[1])
r = call("PUT", "/api/v1/me/channels/webhook", {"url": FAKE + "/hook/carol", "secret": "x" * 20}, token=TOK["carol"])
say(r[0] == 403 and code_of(r) == "channel_not_in_plan", "and a webhook channel", r[1])
r = call("PUT", "/api/v1/me/channels/email", {"to": "carol@example.com"}, token=TOK["carol"])
say(r[0] == 200 and r[1].get("channel", {}).get("to") == "carol@example.com", "email is for every plan", r[1])
r = call("PUT", "/api/v1/me/channels/webhook", {"url": FAKE + "/hook/alice", "secret_ref": "env:QD_MK"}, token=TOK["alice"])
say(r[0] == 403 and code_of(r) == "forbidden", "a platform user cannot point a secret at the daemon's environment", r[1])
r = call("PUT", "/api/v1/me/channels/webhook", {"url": "ftp://x", "secret": "y" * 20}, token=TOK["alice"])
say(r[0] == 400 and "url" in r[1].get("error", {}).get("message", ""), "a bad URL is 400 naming url", r[1])
r = call("PUT", "/api/v1/me/channels/pager", {"to": "x"}, token=TOK["alice"])
say(r[0] == 400, "an unknown kind is 400", r[1])
r = call("PUT", "/api/v1/me/channels/telegram", {"chat_id": "-100777", "bot_token": TG_TOKEN}, token=TOK["alice"])
say(r[0] == 200 and r[1].get("channel", {}).get("bot_token") == "set", "alice (enterprise) sets a Telegram channel", r[1])
r = call("POST", "/api/v1/me/channels/telegram/test", token=TOK["alice"])
say(r[0] == 200 and r[1].get("queued") == 1, "the test action queues one notification", r[1])
say(wait(lambda: fake_stats()["telegram"]["requests"] >= 1 and len(fake_stats()["telegram"]["keys"]) == 1),
    "the test reached alice's Telegram chat with her bot token", fake_stats()["telegram"])

# --- alerts to each user's own endpoint ---------------------------------------
say(wait(lambda: last_price() is not None, 20), "the feed is trading")
alerts = {}
for name in ("alice", "bob"):
    p = last_price()
    ids = []
    for kind, level in (("price_above", p * 1.0004), ("price_below", p * 0.9996)):
        st, doc, _ = call("POST", "/api/v1/alerts", {"exchange": "feed", "symbol": "BTC/USDT",
                                                     "condition": {"type": kind, "price": round(level, 2)},
                                                     "fire": "once", "channels": ["webhook"]}, token=TOK[name])
        ids.append(doc.get("alert", {}).get("id"))
        say(st == 200 and doc["alert"].get("channels") == ["webhook"], "%s's %s alert, to her webhook" % (name, kind), doc)
    alerts[name] = ids


def got(name):
    return fake_stats()["hook/" + name]["keys"]


for name in ("alice", "bob"):
    want = {"alert:%d:1" % i for i in alerts[name]}
    say(wait(lambda: want <= set(got(name)), 60), "%s's endpoint got both of her alerts" % name,
        (want, got(name)))
for name, other in (("alice", "bob"), ("bob", "alice")):
    theirs = {"alert:%d:1" % i for i in alerts[other]}
    say(not (theirs & set(got(name))), "%s's endpoint got none of %s's" % (name, other), got(name))
    say(fake_stats()["hook/" + name]["bad_signature"] == 0,
        "every request to %s's endpoint was signed with her secret" % name)
st, _, _ = call("GET", "/api/v1/me/channels", token=TOK["bob"])

# --- a downgrade: skipped, with the reason ------------------------------------
st, doc, _ = call("PATCH", "/api/v1/users/alice", {"plan": "pro"}, token=RT)
say(st == 200, "alice is moved to the pro plan", doc)
st, doc, _ = call("GET", "/api/v1/me/channels", token=TOK["alice"])
hook = [c for c in doc.get("channels", []) if c["kind"] == "webhook"]
say(st == 200 and hook and hook[0].get("allowed") is False, "her webhook shows as not in her plan", doc)
before = dict(got("alice"))
p = last_price()
ids = []
for kind, level in (("price_above", p * 1.0004), ("price_below", p * 0.9996)):
    st, doc, _ = call("POST", "/api/v1/alerts", {"exchange": "feed", "symbol": "BTC/USDT",
                                                 "condition": {"type": kind, "price": round(level, 2)},
                                                 "fire": "once"}, token=TOK["alice"])
    ids.append(doc.get("alert", {}).get("id"))


def skipped():
    st, doc, _ = call("GET", "/api/v1/notifications/dead", token=RT)
    return [r for r in doc.get("dead", []) if r.get("user") == "alice" and r.get("skipped") and
            r.get("user_channel") == "webhook" and r.get("key") in {"alert:%d:1" % i for i in ids}]


say(wait(lambda: len(skipped()) == 2, 60), "both fires after the downgrade are recorded as skipped", skipped())
rows = skipped()
say(rows and all("the pro plan does not include webhook channels" in r.get("last_error", "") for r in rows),
    "with the reason: the pro plan does not include webhook channels", rows)
say(got("alice") == before, "and nothing more reached her webhook", got("alice"))
finish()
