#!/usr/bin/env bash
# redis-benchmark's default test set against a running node must complete
# with no error replies (issue 2's acceptance line). Not a speed test: the
# figures are printed, never judged; scripts/bench/ compares speed.
#
#   SLOTRAFT_HOST / SLOTRAFT_PORT   the node (default 127.0.0.1:6379)
#   BENCH_CHECK_N                   requests per test (default 100000)
set -euo pipefail
HOST="${SLOTRAFT_HOST:-127.0.0.1}"
PORT="${SLOTRAFT_PORT:-6379}"
N="${BENCH_CHECK_N:-100000}"
cli() { redis-cli -h "$HOST" -p "$PORT" "$@"; }

cli CONFIG RESETSTAT >/dev/null
echo "redis_benchmark.sh: redis-benchmark -q -n $N against $HOST:$PORT"
out="$(redis-benchmark -h "$HOST" -p "$PORT" -q -n "$N" 2>&1 | tr '\r' '\n' | grep -v 'rps=' | grep -v '^ *$')"
echo "$out"
errors="$(cli INFO stats | tr -d '\r' | sed -n 's/^total_error_replies://p')"
errorstats="$(cli INFO errorstats | tr -d '\r' | grep -v '^#' | grep -v '^$' || true)"
tests="$(printf '%s\n' "$out" | grep -c 'requests per second' || true)"
echo "tests run: $tests, total_error_replies: $errors"
if [ "$tests" -lt 15 ] || [ "$errors" != 0 ] || [ -n "$errorstats" ] || printf '%s\n' "$out" | grep -qi 'error'; then
  echo "redis_benchmark.sh: FAILED${errorstats:+ ($errorstats)}" >&2
  exit 1
fi
echo "redis_benchmark.sh: $tests tests, no error replies"
