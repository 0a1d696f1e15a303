#!/usr/bin/env python3
"""api_hostile.py PORT -- hostile HTTP clients against quantd's API server.

Prints one line per check, "ok - NAME" or "not ok - NAME: detail", and
exits non-zero if any failed.  Each check opens its own connection and
reads what the server answers; an answer must be JSON with an error
object (or, for huge headers on a kept-alive connection, the connection
closed), and the server must go on answering /healthz afterwards.
"""
import json
import os
import socket
import sys
import time

PORT = int(sys.argv[1])
fails = 0


def say(ok, name, detail=""):
    global fails
    if ok:
        print("ok - " + name)
    else:
        fails += 1
        print("not ok - %s: %s" % (name, detail))


def exchange(raw, timeout=5.0):
    """Send raw bytes, read until the server closes or an answer is whole."""
    s = socket.create_connection(("127.0.0.1", PORT))
    s.settimeout(timeout)
    out = read_answer(s, raw)
    s.close()
    return out


def read_answer(s, raw):
    out = b""
    try:
        s.sendall(raw)
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
            head, sep, body = out.partition(b"\r\n\r\n")
            if sep:
                clen = [l for l in head.split(b"\r\n")
                        if l.lower().startswith(b"content-length:")]
                if clen and len(body) >= int(clen[0].split(b":")[1]):
                    break
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass
    return out


RECORD = os.environ.get("QD_API_RECORD")


def parse(resp, raw=None):
    head, _, body = resp.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return None, {}, body
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(b":")
        hdrs[k.strip().lower().decode()] = v.strip().decode("latin-1")
    if RECORD and raw is not None:
        method, _, rest = raw.partition(b" ")
        path = rest.partition(b" ")[0].decode("utf-8", "replace")
        if path.startswith("/api/") or path in ("/healthz", "/readyz"):
            with open(RECORD, "a") as f:
                f.write(json.dumps({"method": method.decode(), "path": path,
                                    "status": status, "ctype": hdrs.get("content-type", ""),
                                    "body": body.decode("utf-8", "replace")}) + "\n")
    return status, hdrs, body


def json_error(name, raw, want_status):
    status, hdrs, body = parse(exchange(raw), raw)
    if status != want_status:
        say(False, name, "status %s, want %s" % (status, want_status))
        return
    try:
        e = json.loads(body)["error"]
        ok = isinstance(e["code"], str) and isinstance(e["message"], str)
    except (ValueError, KeyError, TypeError):
        ok = False
    say(ok and hdrs.get("content-type") == "application/json", name,
        "body %r" % body[:120])


def alive(name):
    req = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
    status, _, body = parse(exchange(req), req)
    say(status == 200 and json.loads(body) == {"status": "ok"},
        name + ": the server still answers", "status %s" % status)


def get(path):
    return b"GET " + path + b" HTTP/1.1\r\nHost: t\r\n\r\n"


def post(path, body, ctype=b"application/json", extra=b""):
    return (b"POST " + path + b" HTTP/1.1\r\nHost: t\r\nContent-Type: " +
            ctype + b"\r\nContent-Length: " + str(len(body)).encode() +
            b"\r\n" + extra + b"\r\n" + body)


json_error("unknown route is a JSON 404", get(b"/api/v1/nope"), 404)
json_error("wrong method is a JSON 405",
           b"DELETE /api/v1/plugins HTTP/1.1\r\nHost: t\r\n\r\n", 405)
json_error("a protected route without credentials is 401",
           get(b"/api/v1/plugins"), 401)
json_error("invalid UTF-8 in the path is 400", get(b"/api/v1/\xff\xfe"), 400)
json_error("an overlong UTF-8 path is 400", get(b"/api/v1/\xc0\xafx"), 400)
json_error("a path too long is 414", get(b"/api/v1/" + b"a" * 2000), 414)
json_error("a declared body beyond the cap is 413",
           b"POST /api/v1/reload HTTP/1.1\r\nHost: t\r\nContent-Length: "
           b"99999999\r\n\r\n", 413)
json_error("a body beyond the cap sent without a length is 413",
           b"POST /api/v1/reload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: "
           b"chunked\r\n\r\n" + (b"4000\r\n" + b"x" * 0x4000 + b"\r\n") * 5 +
           b"0\r\n\r\n", 413)
json_error("a negative Content-Length is 413",
           b"POST /api/v1/reload HTTP/1.1\r\nHost: t\r\nContent-Length: "
           b"-5\r\n\r\n", 413)
alive("after the error answers")

# Static files: traversal in every spelling stays inside the root.
for raw in (b"/../../../../etc/passwd", b"/%2e%2e/%2e%2e/etc/passwd",
            b"/..%2f..%2f..%2fetc%2fpasswd", b"/static/..%5c..%5cetc/passwd",
            b"/%252e%252e/etc/passwd", b"/.hidden", b"/secret.txt/..",
            b"/link-out/passwd"):
    status, hdrs, body = parse(exchange(get(raw)))
    say(b"root:" not in body and b"outside" not in body,
        "no file outside the root: " + raw.decode(), "status %s" % status)
status, hdrs, body = parse(exchange(get(b"/.hidden")))
say(status == 404, "hidden files are not served", "status %s" % status)
status, hdrs, body = parse(exchange(get(b"/link-out/passwd")))
say(status in (404,) or b"outside" not in body,
    "a symlink out of the root is not followed", "status %s" % status)

# Headers beyond the cap (8 KiB, request line and blank line included):
# a JSON 431, the connection closed after it; a path alone beyond it a
# JSON 414.  At the cap exactly, and sent in pieces, a request is served.
def sized(total, name=b"X-Pad"):
    head = b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + name + b": "
    return head + b"a" * (total - len(head) - 4) + b"\r\n\r\n"


json_error("headers beyond 8 KiB are a JSON 431",
           b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 20000 +
           b"\r\n\r\n", 431)
json_error("two thousand headers are a JSON 431",
           b"GET /healthz HTTP/1.1\r\nHost: t\r\n" +
           b"".join(b"X-H%d: v\r\n" % i for i in range(2000)) + b"\r\n", 431)
json_error("8,193 bytes of headers are a JSON 431", sized(8193), 431)
json_error("a request line beyond 8 KiB is a JSON 414",
           get(b"/" + b"a" * 9000), 414)
req = sized(8192)
status, hdrs, _ = parse(exchange(req))
say(status == 200 and len(req) == 8192, "8,192 bytes of headers are served",
    "status %s" % status)
resp = exchange(sized(9000))
status, hdrs, _ = parse(resp)
say(status == 431 and hdrs.get("connection") == "close",
    "a 431 closes the connection", "status %s, %r" % (status, hdrs))
s = socket.create_connection(("127.0.0.1", PORT))
s.settimeout(5)
req = sized(6000, b"Cookie")
try:
    for i in range(0, len(req), 700):
        s.sendall(req[i:i + 700])
        time.sleep(0.05)
    out = read_answer(s, b"")
except OSError as e:
    out = repr(e).encode()
s.close()
status, _, _ = parse(out)
say(status == 200, "headers sent in pieces are served", "status %s" % status)
# A kept-alive connection's later requests: refused (closed or an error).
s = socket.create_connection(("127.0.0.1", PORT))
s.settimeout(5)
first = read_answer(s, get(b"/healthz"))
second = read_answer(s, b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " +
                     b"a" * 40000 + b"\r\n\r\n")
s.close()
status, _, _ = parse(second)
say(parse(first)[0] == 200 and (status is None or status >= 400),
    "huge headers on a kept-alive connection are refused",
    "status %s" % status)
alive("after oversized headers")

# Truncated request: the server waits, then drops it; never crashes.
t0 = time.time()
resp = exchange(post(b"/api/v1/reload", b"{\"a\":")[:-3], timeout=8)
say(time.time() - t0 < 7.5, "a truncated body is dropped after the idle "
    "timeout", "%.1f s" % (time.time() - t0))

# Slowloris: a header line a second never completes a request.
s = socket.create_connection(("127.0.0.1", PORT))
s.settimeout(1)
t0 = time.time()
closed = False
try:
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
    for _ in range(12):
        s.sendall(b"X-Slow: 1\r\n")
        time.sleep(0.5)
        try:
            if s.recv(1) == b"":
                closed = True
                break
        except socket.timeout:
            pass
except (BrokenPipeError, ConnectionResetError):
    closed = True
s.close()
say(closed, "a slowloris client is dropped", "open after %.1f s" %
    (time.time() - t0))

# Many idle connections do not stop others being served.
idle = [socket.create_connection(("127.0.0.1", PORT)) for _ in range(50)]
alive("with 50 idle connections open")
for c in idle:
    c.close()

# Keep-alive: two requests on one connection.
s = socket.create_connection(("127.0.0.1", PORT))
s.settimeout(5)
first = read_answer(s, get(b"/healthz"))
second = read_answer(s, get(b"/readyz"))
s.close()
say(b" 200 " in first and b" 200 " in second and b"ready" in second,
    "keep-alive: a second request on the same connection", repr(second[:40]))

sys.exit(1 if fails else 0)
