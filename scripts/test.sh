#!/usr/bin/env bash
# The project's test command: every crate's tests against the real Redis, PostgreSQL, SQLite and
# the real inference binary with the committed fixture models.
# Without Redis or PostgreSQL the tests that need them skip with a loud message; with CI=true they
# fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/moodtracker-target}"

scripts/services.sh
# The gateway's integration tests start the real inference binary; build it first and tell them
# where it is (they would otherwise build it themselves, serialised behind the test build).
cargo build --locked -p moodtracker-inference --bin moodtracker-inference
export MOODTRACKER_INFERENCE_BIN="$CARGO_TARGET_DIR/debug/moodtracker-inference"
cargo test --workspace --locked
# candle-transformers' encoders (the optional `candle-transformers` feature) against the same
# reference logits, beside our own.
cargo test --locked -p moodtracker-inference --features candle-transformers --lib --test parity

# The API's contract: schemathesis over /api/openapi.json against the real binaries, on SQLite
# and PostgreSQL, and a generated Python client's journey. Its tools install into a cache outside
# the repository; without Python it skips loudly, or fails with CI=true.
scripts/api-contract.sh

# The web app in headless Chromium: axe-core on every page, no console error or CSP violation,
# 360 px layouts, screenshots under $CARGO_TARGET_DIR/web-screenshots. Its tools (Debian's
# chromium, playwright-core and axe-core from npm) install themselves; without them it skips
# loudly, or fails with CI=true.
scripts/browser-check.sh

# The delivery: Helm chart, kustomize overlays, Dockerfiles and skaffold.yaml, rendered and
# validated (the probe test, deploy/tests/chart_probes.rs, ran with the workspace's tests above).
# Its tools install into a cache outside the repository; without them it skips loudly, or fails
# with CI=true.
scripts/k8s-checks.sh
