#!/usr/bin/env bash
# Generates a Python client from the running gateway's OpenAPI document with
# openapi-python-client and runs a user's whole journey with it (journey.py). Called by
# scripts/api-contract.sh with the tools venv, the gateway's base URL and a scratch directory;
# the generated client is never committed.
set -euo pipefail
venv="$1" url="$2" work="$3"
here="$(cd "$(dirname "$0")" && pwd)"
rm -rf "$work" && mkdir -p "$work"
curl -fsS "$url/api/openapi.json" -o "$work/openapi.json"
(cd "$work" && "$venv/bin/openapi-python-client" generate --path openapi.json \
  --output-path client --meta none --overwrite --config "$here/client-config.yaml") \
  >"$work/generate.log" 2>&1 ||
  { cat "$work/generate.log" >&2; echo "api-contract: openapi-python-client could not generate a client" >&2; exit 1; }
# Warnings mean a part of the document the generator could not turn into code.
if grep -qi "warning\|error" "$work/generate.log"; then
  cat "$work/generate.log" >&2
  echo "api-contract: openapi-python-client reported problems with the document" >&2
  exit 1
fi
PYTHONPATH="$work" "$venv/bin/python" "$here/journey.py" "$url"
