# shellcheck shell=bash
# Shared helpers for slotraft scripts. Source it; do not execute it.
#   . "$(dirname "$0")/../lib/common.sh"

SLOTRAFT_ROOT="${SLOTRAFT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

# Run as root directly, otherwise through sudo (non-interactive) if present.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else die "need root to run: $*"
  fi
}

_APT_UPDATED=0
# apt_install PKG... : install Debian packages quietly (apt-get update once).
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install $* by hand"
  if [ "$_APT_UPDATED" = 0 ]; then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || return 1
    _APT_UPDATED=1
  fi
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
# NOTE: functions here are often called where `set -e` is suspended (e.g. in
# `f || rc=$?`), so every step that can fail returns explicitly.

# ensure_cmd CMD DEBIAN_PACKAGE
ensure_cmd() {
  command -v "$1" >/dev/null 2>&1 || apt_install "$2" || return 1
  command -v "$1" >/dev/null 2>&1 || { log "$1 still missing after installing $2"; return 1; }
}

# ensure_venv: creates $SLOTRAFT_ROOT/.venv with scripts/compat/requirements.txt
# installed; sets $VENV_PY. Idempotent: re-installs only when the requirements
# file changed.
ensure_venv() {
  local venv="${SLOTRAFT_VENV:-$SLOTRAFT_ROOT/.venv}"
  local req="$SLOTRAFT_ROOT/scripts/compat/requirements.txt"
  local py="${PYTHON:-python3}"
  if [ ! -x "$venv/bin/python" ]; then
    log "creating venv $venv"
    if ! "$py" -m venv "$venv" >/dev/null 2>&1; then
      # Debian's system python needs python3-venv for ensurepip.
      rm -rf "$venv"
      apt_install python3-venv || return 1
      "$py" -m venv "$venv" || return 1
    fi
  fi
  VENV_PY="$venv/bin/python"
  local stamp="$venv/.requirements.sha"
  local want
  want="$(sha256sum "$req" | cut -d' ' -f1)" || return 1
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "pip install -r scripts/compat/requirements.txt"
    "$VENV_PY" -m pip install -q --disable-pip-version-check -r "$req" || return 1
    echo "$want" >"$stamp"
  fi
}

# free_port: print a TCP port that is free on 127.0.0.1 right now.
free_port() {
  python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# wait_ping PORT PID [SECONDS]: poll PING until PONG, the process dies, or the
# deadline passes. Returns non-zero on failure. Uses $REDIS_AUTH_ARGS if set.
wait_ping() {
  local port="$1" pid="$2" secs="${3:-30}"
  local deadline=$((SECONDS + secs))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "server pid $pid exited before answering PING on port $port"
      return 1
    fi
    # shellcheck disable=SC2086
    if [ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$port" ${REDIS_AUTH_ARGS:-} PING 2>/dev/null)" = PONG ]; then
      return 0
    fi
    sleep 0.1   # poll interval, not synchronisation
  done
  log "timed out after ${secs}s waiting for PONG on port $port"
  return 1
}

# Process bookkeeping so that a trap can kill everything we started.
STARTED_PIDS=()
TMP_DIRS=()

# kill_pid PID: TERM, wait up to 10s, then KILL.
kill_pid() {
  local pid="$1" deadline
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + 10))
  while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid ignored SIGTERM; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# fg_run CMD...: run CMD as a background child and wait for it, so that a
# SIGTERM/SIGINT to this script runs its trap at once (bash defers traps while
# a foreground child runs) and the trap can kill the child. Returns CMD's exit
# code. The child gets this shell's stdin (redirect it when calling).
FG_PID=""
fg_run() {
  local rc=0
  "$@" <&0 &
  FG_PID=$!
  wait "$FG_PID" || rc=$?
  FG_PID=""
  return "$rc"
}

cleanup_started() {
  local pid d
  if [ -n "${FG_PID:-}" ]; then kill_pid "$FG_PID"; FG_PID=""; fi
  for pid in "${STARTED_PIDS[@]+"${STARTED_PIDS[@]}"}"; do kill_pid "$pid"; done
  STARTED_PIDS=()
  if [ -z "${KEEP_TMP:-}" ]; then
    for d in "${TMP_DIRS[@]+"${TMP_DIRS[@]}"}"; do rm -rf "$d"; done
  fi
  TMP_DIRS=()
}

# new_tmpdir NAME VAR: make a temp dir, store its path in VAR, and remember it
# for cleanup_started. (Not "$(new_tmpdir)": a subshell would lose the record.)
new_tmpdir() {
  local d
  d="$(mktemp -d "${TMPDIR:-/tmp}/slotraft-$1.XXXXXX")" || return 1
  TMP_DIRS+=("$d")
  printf -v "$2" '%s' "$d"
}

# start_redis_server PORT DIR [EXTRA ARGS...]: sets SERVER_PID.
# Persistence off; logs to DIR/server.log.
start_redis_server() {
  local port="$1" dir="$2"; shift 2
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" \
    --save '' --appendonly no --daemonize no --logfile "$dir/server.log" \
    "$@" </dev/null >/dev/null 2>&1 &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
  if ! wait_ping "$port" "$SERVER_PID" 30; then
    tail -n 30 "$dir/server.log" >&2 || true
    return 1
  fi
}

# start_slotraft BIN PORT DIR [EXTRA ARGS...]: sets SERVER_PID.
start_slotraft() {
  local bin="$1" port="$2" dir="$3"; shift 3
  [ -x "$bin" ] || { log "slotraft binary not found: $bin"; return 1; }
  "$bin" --port "$port" --bind 127.0.0.1 --dir "$dir" "$@" \
    </dev/null >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
  if ! wait_ping "$port" "$SERVER_PID" "${SLOTRAFT_START_TIMEOUT:-60}" ||
     ! wait_writable "$port" "$SERVER_PID" "${SLOTRAFT_START_TIMEOUT:-60}"; then
    tail -n 30 "$dir/server.log" >&2 || true
    return 1
  fi
}

# wait_writable PORT PID [SECONDS]: a fresh node answers PING before it has
# elected itself leader of its groups; poll a write until it is accepted.
wait_writable() {
  local port="$1" pid="$2" secs="${3:-30}" out=""
  local deadline=$((SECONDS + secs))
  while [ "$SECONDS" -lt "$deadline" ]; do
    kill -0 "$pid" 2>/dev/null || { log "server pid $pid exited"; return 1; }
    # shellcheck disable=SC2086
    out="$(timeout 5 redis-cli -h 127.0.0.1 -p "$port" ${REDIS_AUTH_ARGS:-} \
           SET __slotraft_ready__ 1 2>&1)" || true
    if [ "$out" = OK ]; then
      # shellcheck disable=SC2086
      timeout 5 redis-cli -h 127.0.0.1 -p "$port" ${REDIS_AUTH_ARGS:-} \
        DEL __slotraft_ready__ >/dev/null 2>&1 || true
      return 0
    fi
    sleep 0.1   # poll interval, not synchronisation
  done
  log "timed out after ${secs}s waiting for a write to succeed on port $port (last: $out)"
  return 1
}
