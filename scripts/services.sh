#!/usr/bin/env bash
# Makes sure the Redis and PostgreSQL servers the tests use are up on 127.0.0.1 (6379, 5432),
# starting them the way this machine's image does when they have stopped. On a machine without
# them it says so; the tests themselves then skip loudly, or fail when CI=true.
set -uo pipefail

if command -v redis-cli >/dev/null && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if command -v redis-server >/dev/null; then
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
  fi
fi
if command -v pg_isready >/dev/null && ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
fi
for _ in $(seq 1 30); do
  redis_ok=0; pg_ok=0
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && redis_ok=1
  pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && pg_ok=1
  [ "$redis_ok" = 1 ] && [ "$pg_ok" = 1 ] && break
  sleep 1
done
[ "${redis_ok:-0}" = 1 ] && echo "redis: up on 127.0.0.1:6379" || echo "redis: NOT AVAILABLE on 127.0.0.1:6379"
[ "${pg_ok:-0}" = 1 ] && echo "postgres: up on 127.0.0.1:5432" || echo "postgres: NOT AVAILABLE on 127.0.0.1:5432"
# CI also needs the tools some tests call (promtool); developers get a loud skip instead.
[ "${CI:-}" = true ] && "$(dirname "$0")/ci-tools.sh"
exit 0
