#!/usr/bin/python3
"""fake_notify.py PORTFILE SECRET TOKEN [NAME=SECRET ...] -- the receivers
of the notifier
plugins on loopback, for the integration tests: a webhook receiver, the
Telegram Bot API's sendMessage and Discord's webhook execute.  Writes the
port to PORTFILE once it listens; runs until killed.

  POST /hook                 a webhook: checks X-Quantd-Signature (HMAC-
                             SHA256 keyed with SECRET over
                             X-Quantd-Timestamp "." body) and counts each
                             Idempotency-Key; a bad signature is 401
  POST /hook/<NAME>          a user's own webhook: the same, keyed with the
                             SECRET given as NAME=SECRET (another secret's
                             signature is 401), counted under "hook/NAME"
  POST /bot<TOKEN>/sendMessage   Telegram: a wrong token is 401; more than
                             1 message a second to one chat is 429 with
                             parameters.retry_after
  POST /api/webhooks/<id>/<tok>  Discord: more than 5 requests in 2 s is
                             429 with retry_after (seconds) and Retry-After
  GET  /_stats               {"hook"|"telegram"|"discord": {"keys": {KEY:
                             n}, "requests", "bad_signature", "throttled",
                             "refused"}}
  POST /_mode?target=T&mode=M   target hook|telegram|discord; mode "ok",
                             "down" (503 to everything) or "reject" (400
                             "rejected by the fake")

Counting: a webhook is counted by its Idempotency-Key; Telegram and
Discord by the text's or the embed footer's key (the last line / footer).
"""
import hashlib
import hmac
import http.server
import json
import socketserver
import sys
import threading
import time
import urllib.parse

SECRET = sys.argv[2].encode()
TOKEN = sys.argv[3]
lock = threading.Lock()
USERS = dict(a.split("=", 1) for a in sys.argv[4:])
stats = {t: {"keys": {}, "requests": 0, "bad_signature": 0, "throttled": 0,
             "refused": 0} for t in ["hook", "telegram", "discord"] +
         ["hook/" + u for u in USERS]}
mode = {t: "ok" for t in stats}
chat_last = {}
discord_times = []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, obj, headers=()):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_stats":
            with lock:
                self.reply(200, stats)
        else:
            self.reply(404, {"error": "no such path"})

    def gate(self, target):
        """Count the request; answer for the failing modes."""
        st = stats[target]
        st["requests"] += 1
        if mode[target] == "down":
            st["refused"] += 1
            self.reply(503, {"error": "down"})
            return False
        if mode[target] == "reject":
            st["refused"] += 1
            self.reply(400, {"error": "rejected by the fake"})
            return False
        return True

    def count(self, target, key):
        keys = stats[target]["keys"]
        keys[key] = keys.get(key, 0) + 1

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        url = urllib.parse.urlparse(self.path)
        with lock:
            if url.path == "/_mode":
                q = urllib.parse.parse_qs(url.query)
                mode[q["target"][0]] = q["mode"][0]
                self.reply(200, {"ok": True})
            elif url.path == "/hook":
                self.hook(raw)
            elif url.path[6:] in USERS and url.path.startswith("/hook/"):
                self.hook(raw, url.path[1:], USERS[url.path[6:]].encode())
            elif url.path.startswith("/bot"):
                self.telegram(url.path, raw)
            elif url.path.startswith("/api/webhooks/"):
                self.discord(raw)
            else:
                self.reply(404, {"error": "no such path"})

    def hook(self, raw, target="hook", secret=SECRET):
        if not self.gate(target):
            return
        ts = self.headers.get("X-Quantd-Timestamp", "")
        sig = self.headers.get("X-Quantd-Signature", "")
        want = "sha256=" + hmac.new(secret, ts.encode() + b"." + raw,
                                    hashlib.sha256).hexdigest()
        body = json.loads(raw)
        key = self.headers.get("Idempotency-Key", "")
        if (not hmac.compare_digest(sig, want) or key != body["id"] or
                abs(time.time() - int(ts or 0)) > 300):
            stats[target]["bad_signature"] += 1
            self.reply(401, {"error": "bad signature"})
            return
        self.count(target, key)
        self.reply(200, {"ok": True})

    def telegram(self, path, raw):
        if path != "/bot%s/sendMessage" % TOKEN:
            stats["telegram"]["requests"] += 1
            stats["telegram"]["refused"] += 1
            self.reply(401, {"ok": False, "error_code": 401,
                             "description": "Unauthorized"})
            return
        if not self.gate("telegram"):
            return
        body = json.loads(raw)
        now = time.time()
        chat = body["chat_id"]
        if now - chat_last.get(chat, 0) < 0.95:
            stats["telegram"]["throttled"] += 1
            self.reply(429, {"ok": False, "error_code": 429,
                             "description": "Too Many Requests: retry "
                             "after 1", "parameters": {"retry_after": 1}})
            return
        chat_last[chat] = now
        self.count("telegram", body["text"].split("\n")[-1])
        self.reply(200, {"ok": True, "result": {"message_id": 1}})

    def discord(self, raw):
        if not self.gate("discord"):
            return
        now = time.time()
        while discord_times and now - discord_times[0] > 2.0:
            discord_times.pop(0)
        if len(discord_times) >= 5:
            stats["discord"]["throttled"] += 1
            wait = 2.0 - (now - discord_times[0])
            self.reply(429, {"message": "You are being rate limited.",
                             "retry_after": round(wait, 3),
                             "global": False},
                       [("Retry-After", str(int(wait) + 1))])
            return
        discord_times.append(now)
        body = json.loads(raw)
        self.count("discord", body["embeds"][0]["footer"]["text"])
        self.reply(200, {"id": "1", "content": body["content"]})


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
