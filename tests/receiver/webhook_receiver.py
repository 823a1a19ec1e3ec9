"""A webhook endpoint for the integration tests (tests/src/webhooks.rs starts it).

It listens on 127.0.0.1 (a free port, printed first as {"port": N}), verifies every
delivery with the `standardwebhooks` package from PyPI (a verifier no one here wrote),
and prints one JSON line per delivery as it arrives: its webhook-id, whether it verified
(and why not), its body and when it arrived. It then waits the request's delay and
answers the request's status. Usage:

    webhook_receiver.py SECRET STATUSES DELAYS

STATUSES and DELAYS are comma-separated, one per request in order, the last repeating:
`500,500,200` fails twice, then succeeds; DELAYS in seconds (`4` makes a slow endpoint).
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError

SECRET, STATUSES, DELAYS = sys.argv[1], sys.argv[2].split(","), sys.argv[3].split(",")
lock = threading.Lock()
seen = [0]


def nth(values, n):
    return values[min(n, len(values) - 1)]


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            Webhook(SECRET).verify(body, headers)
            verified, error = True, None
        except WebhookVerificationError as e:
            verified, error = False, str(e)
        with lock:
            n = seen[0]
            seen[0] += 1
            print(json.dumps({"webhook_id": headers.get("webhook-id"), "verified": verified,
                              "error": error, "body": body.decode(), "at": time.time()}),
                  flush=True)
        time.sleep(float(nth(DELAYS, n)))
        self.send_response(int(nth(STATUSES, n)))
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
server.daemon_threads = True
print(json.dumps({"port": server.server_address[1]}), flush=True)
server.serve_forever()
