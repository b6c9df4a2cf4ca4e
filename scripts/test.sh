#!/usr/bin/env bash
# THE test command of slotraft.
#
#   scripts/test.sh                 build, cargo test, then the compat suites
#                                   against a freshly started target/release/slotraft
#   scripts/test.sh --no-cargo      skip build + cargo test (use an existing binary)
#   scripts/test.sh --against-redis run only the compat suites, against Debian's
#                                   redis-server (validates the suites themselves)
#
# Env:
#   SLOTRAFT_PROFILE=release|debug  cargo profile to test and run (default release)
#   SLOTRAFT_BIN=path               node binary (default target/<profile>/slotraft)
#   SLOTRAFT_SEED=N                 seed for randomised compat checks (printed)
#   SLOTRAFT_EXTRA_ARGS="..."       extra args for the node (word-split)
#   KEEP_TMP=1                      keep the node's temp --dir and log
#
# Installs what it needs when missing (redis-tools via apt, a .venv with
# scripts/compat/requirements.txt). Prints `N passed, M failed` (counting
# stages) as its last line; exits non-zero if any stage failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SLOTRAFT_ROOT="$ROOT"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$ROOT/scripts/lib/common.sh"
cd "$ROOT"

RUN_CARGO=1
TARGET=slotraft
for arg in "$@"; do
  case "$arg" in
    --no-cargo) RUN_CARGO=0 ;;
    --against-redis) TARGET=redis; RUN_CARGO=0 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) die "unknown argument: $arg (see --help)" ;;
  esac
done

PROFILE="${SLOTRAFT_PROFILE:-release}"
case "$PROFILE" in
  release) CARGO_PROFILE_FLAG=(--release) ;;
  debug) CARGO_PROFILE_FLAG=() ;;
  *) die "SLOTRAFT_PROFILE must be release or debug" ;;
esac
BIN="${SLOTRAFT_BIN:-$ROOT/target/$PROFILE/slotraft}"
export SLOTRAFT_SEED="${SLOTRAFT_SEED:-$(( (RANDOM << 15 | RANDOM) + 1 ))}"

trap 'cleanup_started' EXIT
trap 'exit 130' INT TERM

PASSED=0 FAILED=0 RESULTS=()
# stage NAME CMD... : run one stage, record the outcome, never abort the script.
stage() {
  local name="$1"; shift
  local t0=$SECONDS rc=0
  echo
  echo "=== stage: $name"
  "$@" </dev/null || rc=$?
  if [ "$rc" -eq 0 ]; then
    PASSED=$((PASSED + 1)); RESULTS+=("ok    $name ($((SECONDS - t0))s)")
  else
    FAILED=$((FAILED + 1)); RESULTS+=("FAIL  $name (exit $rc, $((SECONDS - t0))s)")
    echo "=== stage FAILED: $name (exit $rc)"
  fi
  return 0
}
skip_stage() { # counted as failed: it could not run because of an earlier failure
  FAILED=$((FAILED + 1)); RESULTS+=("FAIL  $1 (not run: $2)")
  echo "=== stage $1 not run: $2"
}

# ---------------------------------------------------------------- deps
deps() {
  if ! command -v python3 >/dev/null 2>&1; then apt_install python3 python3-venv || return 1; fi
  ensure_cmd redis-cli redis-tools || return 1
  if [ "$TARGET" = redis ]; then ensure_cmd redis-server redis-server || return 1; fi
  ensure_venv || return 1
  log "redis-cli: $(redis-cli --version); python: $("$VENV_PY" --version)"
}

# ---------------------------------------------------------------- cargo
cargo_build() { fg_run cargo build --workspace --bins --locked "${CARGO_PROFILE_FLAG[@]}"; }
cargo_tests() { fg_run timeout 2400 cargo test --workspace --locked --no-fail-fast "${CARGO_PROFILE_FLAG[@]}"; }

# ---------------------------------------------------------------- server
SERVER_PORT=""
SERVER_DIR=""
# A port P such that P and P+10000 (the cluster bus) are both free.
pick_ports() {
  python3 - <<'PY'
import random, socket
rnd = random.Random()
for _ in range(200):
    p = rnd.randrange(20000, 55000)
    socks = []
    try:
        for q in (p, p + 10000):
            s = socket.socket()
            s.bind(("127.0.0.1", q))
            socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(p)
    break
else:
    raise SystemExit("no free port pair found")
PY
}

start_target() {
  SERVER_PORT="$(pick_ports)" || return 1
  new_tmpdir node SERVER_DIR || return 1
  if [ "$TARGET" = redis ]; then
    log "starting redis-server on 127.0.0.1:$SERVER_PORT (dir $SERVER_DIR)"
    start_redis_server "$SERVER_PORT" "$SERVER_DIR" || return 1
  else
    log "starting $BIN on 127.0.0.1:$SERVER_PORT (dir $SERVER_DIR)"
    # shellcheck disable=SC2086
    start_slotraft "$BIN" "$SERVER_PORT" "$SERVER_DIR" ${SLOTRAFT_EXTRA_ARGS:-} || return 1
  fi
  log "server up, pid ${SERVER_PID:?}"
}

server_alive() {
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    log "server pid $SERVER_PID is gone; last log lines:"
    tail -n 40 "$SERVER_DIR/server.log" >&2 || true
    return 1
  fi
}

compat_py() {
  local rc=0
  SLOTRAFT_HOST=127.0.0.1 SLOTRAFT_PORT="$SERVER_PORT" \
    fg_run timeout 900 "$VENV_PY" -m pytest -q -p no:cacheprovider --timeout 120 \
    -o console_output_style=classic "$ROOT/scripts/compat" || rc=$?
  server_alive || rc=1
  return "$rc"
}

compat_cli() {
  local rc=0
  SLOTRAFT_HOST=127.0.0.1 SLOTRAFT_PORT="$SERVER_PORT" \
    fg_run timeout 600 "$ROOT/scripts/compat/redis_cli.sh" || rc=$?
  server_alive || rc=1
  return "$rc"
}

compat_benchmark() {
  local rc=0
  SLOTRAFT_HOST=127.0.0.1 SLOTRAFT_PORT="$SERVER_PORT" \
    fg_run timeout 900 "$ROOT/scripts/compat/redis_benchmark.sh" || rc=$?
  server_alive || rc=1
  return "$rc"
}

# ---------------------------------------------------------------- main
echo "slotraft test: target=$TARGET profile=$PROFILE seed=$SLOTRAFT_SEED"
stage "install test dependencies" deps
if [ "$FAILED" -ne 0 ]; then
  echo "$PASSED passed, $FAILED failed"
  exit 1
fi

have_bin=1
if [ "$RUN_CARGO" = 1 ]; then
  stage "cargo build ($PROFILE)" cargo_build
  stage "cargo test --workspace ($PROFILE)" cargo_tests
  [ -x "$BIN" ] || have_bin=0
elif [ "$TARGET" = slotraft ] && [ ! -x "$BIN" ]; then
  have_bin=0
fi

if [ "$have_bin" = 0 ]; then
  skip_stage "compat redis-py" "no binary at $BIN"
  skip_stage "compat redis-cli" "no binary at $BIN"
  skip_stage "redis-benchmark default set, no errors" "no binary at $BIN"
else
  started=0
  stage "start node" start_target && [ "${RESULTS[-1]:0:2}" = ok ] && started=1
  if [ "$started" = 1 ]; then
    stage "compat redis-py" compat_py
    if server_alive 2>/dev/null; then
      stage "compat redis-cli" compat_cli
    else
      skip_stage "compat redis-cli" "server died"
    fi
    if server_alive 2>/dev/null; then
      stage "redis-benchmark default set, no errors" compat_benchmark
    else
      skip_stage "redis-benchmark default set, no errors" "server died"
    fi
  else
    skip_stage "compat redis-py" "node did not start"
    skip_stage "compat redis-cli" "node did not start"
    skip_stage "redis-benchmark default set, no errors" "node did not start"
  fi
  cleanup_started
fi

echo
echo "=== summary (seed=$SLOTRAFT_SEED)"
printf '  %s\n' "${RESULTS[@]}"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
