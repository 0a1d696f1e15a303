#!/usr/bin/python3
"""smtp_server.py PORTFILE OUTFILE CERT KEY USER PASSWORD -- a real SMTP
server (aiosmtpd) on loopback for notify-email's test: STARTTLS with
CERT/KEY required before anything else, AUTH (PLAIN, LOGIN) required
and only over TLS, USER/PASSWORD the one account.  Each message accepted
is appended to OUTFILE as one JSON line: {"key": X-Quantd-Idempotency-Key,
"message_id", "subject" (decoded), "from", "to", "tls", "body"}.  Writes
the port to PORTFILE once it listens; runs until killed.
"""
import email
import email.header
import email.policy
import json
import os
import socket
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

portfile, outfile, cert, key, user, password = sys.argv[1:7]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content,
                                       policy=email.policy.default)
        rec = {"key": msg.get("X-Quantd-Idempotency-Key"),
               "message_id": msg.get("Message-ID"),
               "subject": str(msg.get("Subject")),
               "from": envelope.mail_from, "to": envelope.rcpt_tos,
               "tls": session.ssl is not None,
               "body": msg.get_content()}
        with open(outfile, "a") as f:
            f.write(json.dumps(rec) + "\n")
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    if (isinstance(auth_data, LoginPassword) and
            auth_data.login == user.encode() and
            auth_data.password == password.encode()):
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
ctl = Controller(Handler(), hostname="127.0.0.1", port=port,
                 tls_context=ctx, require_starttls=True,
                 authenticator=authenticate, auth_require_tls=True,
                 auth_exclude_mechanism=["CRAM-MD5"])
ctl.start()
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % port)
os.rename(portfile + ".tmp", portfile)
while True:
    time.sleep(3600)
