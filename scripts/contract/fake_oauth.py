"""A stand-in for Google's key set and GitHub's OAuth endpoints that refuses every sign-in.

scripts/api-contract.sh points the gateway's GOOGLE_JWKS_URL, GITHUB_TOKEN_URL and
GITHUB_API_URL here, so that the fuzzer reaches the sign-in routes' own validation and their
refusals (400), instead of "not configured" (503): no real provider can be reached from CI.
Usage: python fake_oauth.py PORT
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Refuse(BaseHTTPRequestHandler):
    def _json(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # Google's key set: no key, so no token verifies
        self._json({"keys": []})

    def do_POST(self) -> None:  # GitHub's token exchange: every code is bad
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self._json({"error": "bad_verification_code"})

    def log_message(self, *_args) -> None:
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Refuse).serve_forever()
