#!/usr/bin/python3
"""echo_server.py PORTFILE [CERT KEY] -- a WebSocket and an HTTP server on
loopback for the net client's tests (wss:// and https:// with CERT and
KEY).  Writes "WSPORT HTTPPORT" to PORTFILE once both listen; runs until
killed.

WebSocket (any path): first sends "hello <X-Test header>", then for each
text message:
  "close-me"   closes with code 4001, reason "bye"
  "big"        sends a 5 MiB message
  "frag"       sends "abc" + "def" + "ghi" as one fragmented message
  "extensions" names the extensions negotiated ("extensions: ...")
  anything     echoes it back
HTTP:
  GET  /hello  200 "hello" (Content-Type: text/plain, X-MBX-USED-WEIGHT-1M)
  POST /echo   201, body: the request body, header X-Echo: <X-Test>
  GET  /slow   answers after 5 s
  GET  /big    200 with a 5 MiB body
  else         404
"""
import asyncio
import http.server
import sys
import threading
import time

import websockets


async def ws_handler(ws, path=None):
    await ws.send("hello " + ws.request_headers.get("X-Test", "-"))
    async for msg in ws:
        if msg == "close-me":
            await ws.close(code=4001, reason="bye")
            return
        if msg == "extensions":
            await ws.send("extensions: " + ",".join(
                e.name for e in getattr(ws, "extensions", [])))
            continue
        if msg == "big":
            await ws.send("x" * (5 << 20))
        elif msg == "frag":
            await ws.send(iter(["abc", "def", "ghi"]))
        else:
            await ws.send(msg)


class Http(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/hello":
            self.reply(200, b"hello", [("Content-Type", "text/plain"),
                                       ("X-MBX-USED-WEIGHT-1M", "17")])
        elif self.path == "/slow":
            time.sleep(5)
            self.reply(200, b"late")
        elif self.path == "/big":
            self.reply(200, b"y" * (5 << 20))
        else:
            self.reply(404, b"not found")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        if self.path == "/echo":
            self.reply(201, body, [("X-Echo", self.headers.get("X-Test", "-"))])
        else:
            self.reply(404, b"not found")


async def main():
    import os
    import ssl
    ctx = None
    if len(sys.argv) == 4:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Http)
    if ctx is not None:
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    async with websockets.serve(ws_handler, "127.0.0.1", 0, ssl=ctx,
                                max_size=None) as server:
        wsport = server.sockets[0].getsockname()[1]
        with open(sys.argv[1] + ".tmp", "w") as f:
            f.write("%d %d\n" % (wsport, httpd.server_address[1]))
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        await asyncio.Future()


asyncio.run(main())
