"""Gives the fuzzed account a history: one entry on each of the last 30 days (so that the
forecast, streak, calendar and effects routes answer with figures rather than "not enough
data") and one PHQ-9 result. Usage: python seed.py BASE_URL TOKEN
"""

import json
import sys
import urllib.request
from datetime import datetime, timedelta, timezone

TEXTS = ["A calm and good day", "Tired and a bit low", "Great walk with friends"]


def call(base: str, token: str, method: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def main(base: str, token: str) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    for day in range(30):
        at = (now - timedelta(days=day, hours=1)).isoformat()
        entry = {"text": TEXTS[day % 3], "date": at, "self_mood": 1 + day % 5, "tags": ["seed"]}
        call(base, token, "POST", "/api/journal/entries", entry)
    answers = [{"question_number": n, "value": 1} for n in range(1, 10)]
    call(base, token, "POST", "/api/tests/1/submit", {"answers": answers})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
