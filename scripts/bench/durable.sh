#!/usr/bin/env bash
# Durable write throughput: redis-benchmark -c 50 SET/INCR/LPUSH against
#   (i)  a 3-process slotraft group, appendfsync always on every member
#        (the benchmark talks to the leader: redis-benchmark does not follow
#        MOVED), and
#   (ii) a standalone slotraft, appendfsync always,
# each beside one redis-server --appendonly yes --appendfsync always, run one
# after the other on this machine. Markdown on stdout, progress on stderr. A
# script, not a test: it prints ratios and asserts nothing.
#
#   scripts/bench/durable.sh > durable.md
#   BENCH_N=20000 scripts/bench/durable.sh      # quick run
#
# Env (defaults in brackets):
#   SLOTRAFT_BIN     node binary                          [target/release/slotraft]
#   REDIS_SERVER     redis-server binary                  [redis-server]
#   BENCH_TARGETS    what to run, in order                [redis group standalone]
#   BENCH_N, BENCH_C redis-benchmark -n, -c               [100000, 50]
#   BENCH_P          redis-benchmark -P                   [1]
#   BENCH_R          redis-benchmark -r (empty: one key)  []
#   BENCH_TESTS      redis-benchmark -t                   [set,incr,lpush]
#   BENCH_REPEAT     runs per target; median reported     [1]
#   GROUP_WITNESS    id of a witness member in the group  [none]
#   SLOTRAFT_ARGS    extra node args                      [--appendfsync always]
#   KEEP_TMP=1       keep dirs and logs
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export SLOTRAFT_ROOT="$ROOT"
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$ROOT/scripts/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/group.sh
. "$ROOT/scripts/lib/group.sh"

BIN="${SLOTRAFT_BIN:-$ROOT/target/release/slotraft}"
TARGETS="${BENCH_TARGETS:-redis group standalone}"
N="${BENCH_N:-100000}"
C="${BENCH_C:-50}"
P="${BENCH_P:-1}"
R="${BENCH_R:-}"
TESTS="${BENCH_TESTS:-set,incr,lpush}"
REPEAT="${BENCH_REPEAT:-1}"
BTIMEOUT="${BENCH_TIMEOUT:-1800}"
CLIENT="$ROOT/scripts/bench/raft_client.py"
read -r -a NODE_ARGS <<<"${SLOTRAFT_ARGS:---appendfsync always}"

trap 'cleanup_started' EXIT
trap 'exit 130' INT TERM

ensure_cmd redis-cli redis-tools || die "redis-cli needed"
ensure_cmd redis-benchmark redis-tools || die "redis-benchmark needed"
case " $TARGETS " in
  *" redis "*) ensure_cmd "${REDIS_SERVER:-redis-server}" redis-server || die "redis-server needed" ;;
esac

declare -A RPS=() NOTE=()
PORT=""

median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }

start_target() { # start_target NAME -> sets PORT; the target's processes are in STARTED_PIDS
  local t="$1" dir leader
  new_tmpdir "durable-$t" dir || return 1
  case "$t" in
    redis)
      PORT="$(free_port)" || return 1
      start_redis_server "$PORT" "$dir" --appendonly yes --appendfsync always || return 1
      NOTE[$t]="redis-server $(redis-server --version | awk '{ print $3 }') --appendonly yes --appendfsync always" ;;
    standalone)
      PORT="$(free_port)" || return 1
      start_slotraft "$BIN" "$PORT" "$dir" "${NODE_ARGS[@]}" || return 1
      NOTE[$t]="one slotraft process ${NODE_ARGS[*]}" ;;
    group)
      start_group "$BIN" "$dir" "${NODE_ARGS[@]}" || return 1
      leader="$(python3 "$CLIENT" leader "${GROUP_PORTS[@]}")" || return 1
      PORT="${GROUP_PORTS[leader]}"
      wait_writable "$PORT" "${GROUP_PIDS[leader]}" 60 || return 1
      NOTE[$t]="$GROUP_SIZE slotraft processes${GROUP_WITNESS:+ (member $GROUP_WITNESS a witness)} ${NODE_ARGS[*]}; benchmark on leader node $leader" ;;
    *) die "unknown target $t" ;;
  esac
}

run_once() { # run_once TARGET REP: fills RPS[TARGET|test|REP]
  local t="$1" rep="$2" out line name rps
  out="$(mktemp)"
  log "$t: run $rep/$REPEAT: redis-benchmark -c $C -n $N -P $P -t $TESTS ${R:+-r $R}"
  # shellcheck disable=SC2046
  if ! fg_run timeout "$BTIMEOUT" redis-benchmark -h 127.0.0.1 -p "$PORT" -c "$C" -n "$N" \
      -P "$P" -t "$TESTS" $( [ -n "$R" ] && echo "-r $R" ) --csv >"$out" 2>&1 </dev/null; then
    log "$t: redis-benchmark failed: $(head -c 300 "$out")"
  fi
  # CSV rows: "TEST","rps",...
  while IFS= read -r line; do
    name="$(cut -d, -f1 <<<"$line" | tr -d '"')"
    rps="$(cut -d, -f2 <<<"$line" | tr -d '"')"
    case "$name" in test|"") continue ;; esac
    [[ "$rps" =~ ^[0-9.]+$ ]] || continue
    name="$(awk '{ print tolower($1) }' <<<"$name")"
    RPS["$t|$name|$rep"]="$rps"
  done <"$out"
  rm -f "$out"
}

for t in $TARGETS; do
  if ! start_target "$t"; then
    NOTE[$t]="DID NOT START (see stderr)"
    cleanup_started
    continue
  fi
  for rep in $(seq 1 "$REPEAT"); do
    redis-cli -h 127.0.0.1 -p "$PORT" FLUSHALL >/dev/null 2>&1 || true
    run_once "$t" "$rep"
  done
  cleanup_started
done

IFS=, read -r -a test_list <<<"$TESTS"
for t in $TARGETS; do
  for name in "${test_list[@]}"; do
    samples=()
    for rep in $(seq 1 "$REPEAT"); do
      if [ -n "${RPS["$t|$name|$rep"]:-}" ]; then samples+=("${RPS["$t|$name|$rep"]}"); fi
    done
    if [ "${#samples[@]}" -gt 0 ]; then RPS["$t|$name"]="$(median "${samples[@]}")"; fi
  done
done

ratio() { # ratio A B -> A/B with 2 decimals, or "-"
  if [[ "${1:-}" =~ ^[0-9.]+$ && "${2:-}" =~ ^[0-9.]+$ ]] && awk "BEGIN { exit !($2 > 0) }"; then
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
  else
    echo "-"
  fi
}

echo "# Durable writes: slotraft vs redis-server, appendfsync always"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ), host: $(nproc) cores"
echo "- \`redis-benchmark -c $C -n $N -P $P -t $TESTS${R:+ -r $R}\`, median of $REPEAT run(s), requests/s"
for t in $TARGETS; do echo "- $t: ${NOTE[$t]:-}"; done
echo
echo "| test | redis | group (3 procs) | standalone | group/redis (target ≥ 1.0) | standalone/redis (target ≥ 1.5) |"
echo "|---|---:|---:|---:|---:|---:|"
for name in "${test_list[@]}"; do
  a="${RPS["redis|$name"]:-}" g="${RPS["group|$name"]:-}" s="${RPS["standalone|$name"]:-}"
  echo "| $name | ${a:--} | ${g:--} | ${s:--} | $(ratio "$g" "$a") | $(ratio "$s" "$a") |"
done

# Non-zero exit if a target could not be started (the table is still printed).
for t in $TARGETS; do
  if [ "${NOTE[$t]:-}" = "DID NOT START (see stderr)" ]; then exit 1; fi
done
