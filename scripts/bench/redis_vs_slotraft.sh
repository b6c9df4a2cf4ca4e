#!/usr/bin/env bash
# Benchmark slotraft against redis-server on this machine, one after the other,
# with the same redis-benchmark flags, and compare memory use after a load.
# Markdown tables go to stdout; progress goes to stderr.
#
#   scripts/bench/redis_vs_slotraft.sh > bench.md
#   BENCH_TARGETS=redis scripts/bench/redis_vs_slotraft.sh     # redis alone
#
# Env (defaults in brackets):
#   BENCH_TARGETS     targets to run, in order                 [redis slotraft]
#   SLOTRAFT_BIN      node binary                              [target/release/slotraft]
#   SLOTRAFT_ARGS     extra node args; if the node refuses them it is retried
#                     without them (and the table says so)     [--appendfsync no]
#   REDIS_SERVER      redis-server binary                      [redis-server]
#   REDIS_PORT / SLOTRAFT_PORT  client ports                   [free ports]
#   BENCH_N           requests per test                        [200000]
#   BENCH_C           clients                                  [50]
#   BENCH_PIPELINES   -P values                                [1 16]
#   BENCH_TESTS       redis-benchmark -t list  [set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,mset]
#   BENCH_R           redis-benchmark -r keyspace; empty = no -r (every test
#                     hits one key, as plain redis-benchmark does; note that
#                     with -r MSET spans slots, which a cluster-mode node
#                     rejects with CROSSSLOT)                  []
#   BENCH_THROUGHPUT  1 = run the redis-benchmark part         [1]
#   BENCH_MEMORY      1 = run the memory part                  [1]
#   MEM_KEYS          string keys loaded                       [1000000]
#   MEM_VALUE_SIZE    bytes per string value                   [100]
#   MEM_HASHES        hashes loaded                            [100000]
#   MEM_HASH_FIELDS   fields per hash (values are 10 bytes)    [10]
#   BENCH_SEED        seed for generated values (printed)      [random]
#   BENCH_REPEAT      redis-benchmark runs per P; the table shows the median [1]
#   BENCH_TIMEOUT     seconds allowed per redis-benchmark run  [900]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export SLOTRAFT_ROOT="$ROOT"
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$ROOT/scripts/lib/common.sh"

TARGETS="${BENCH_TARGETS:-redis slotraft}"
SLOTRAFT_BIN="${SLOTRAFT_BIN:-$ROOT/target/release/slotraft}"
SLOTRAFT_ARGS="${SLOTRAFT_ARGS---appendfsync no}"
REDIS_SERVER="${REDIS_SERVER:-redis-server}"
N="${BENCH_N:-200000}"
C="${BENCH_C:-50}"
PIPELINES="${BENCH_PIPELINES:-1 16}"
TESTS="${BENCH_TESTS:-set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,mset}"
R="${BENCH_R:-}"
DO_TP="${BENCH_THROUGHPUT:-1}"
DO_MEM="${BENCH_MEMORY:-1}"
MEM_KEYS="${MEM_KEYS:-1000000}"
MEM_VALUE_SIZE="${MEM_VALUE_SIZE:-100}"
MEM_HASHES="${MEM_HASHES:-100000}"
MEM_HASH_FIELDS="${MEM_HASH_FIELDS:-10}"
SEED="${BENCH_SEED:-$(( (RANDOM << 15 | RANDOM) + 1 ))}"
BTIMEOUT="${BENCH_TIMEOUT:-900}"
REPEAT="${BENCH_REPEAT:-1}"

trap 'cleanup_started' EXIT
trap 'exit 130' INT TERM

ensure_cmd redis-benchmark redis-tools
ensure_cmd redis-cli redis-tools
case " $TARGETS " in *" redis "*) command -v "$REDIS_SERVER" >/dev/null || ensure_cmd redis-server redis-server ;; esac
case " $TARGETS " in *" slotraft "*) [ -x "$SLOTRAFT_BIN" ] || die "no slotraft binary at $SLOTRAFT_BIN (cargo build --release, or BENCH_TARGETS=redis)" ;; esac

new_tmpdir bench WORK
log "seed=$SEED work=$WORK targets: $TARGETS"

declare -A RPS=()      # [target|P|test] = rps
declare -A MEM=()      # [target|metric] = bytes
declare -A NOTE=()     # [target] = free text
START_FAILED=0

cli() { timeout 60 redis-cli -h 127.0.0.1 -p "$PORT" "$@"; }

info_field() { # info_field SECTION FIELD -> value or empty
  cli INFO "$1" 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p" | head -n 1
}
vmrss_bytes() { # VmRSS of $SERVER_PID in bytes
  awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$SERVER_PID/status"
}

start_target() { # start_target redis|slotraft ; sets PORT SERVER_PID
  local t="$1" dir
  new_tmpdir "$t" dir
  if [ "$t" = redis ]; then
    PORT="${REDIS_PORT:-$(free_port)}"
    log "starting $REDIS_SERVER on :$PORT"
    "$REDIS_SERVER" --port "$PORT" --bind 127.0.0.1 --dir "$dir" --save '' \
      --appendonly no --daemonize no --logfile "$dir/server.log" </dev/null >/dev/null 2>&1 &
    SERVER_PID=$!
    STARTED_PIDS+=("$SERVER_PID")
    wait_ping "$PORT" "$SERVER_PID" 30 || { tail -n 20 "$dir/server.log" >&2; return 1; }
    NOTE[$t]="redis-server $(cli INFO server | tr -d '\r' | sed -n 's/^redis_version://p'), --save '' --appendonly no"
  else
    PORT="${SLOTRAFT_PORT:-$(free_port)}"
    log "starting $SLOTRAFT_BIN on :$PORT $SLOTRAFT_ARGS"
    # shellcheck disable=SC2086
    if start_slotraft "$SLOTRAFT_BIN" "$PORT" "$dir" $SLOTRAFT_ARGS; then
      NOTE[$t]="slotraft ${SLOTRAFT_ARGS:-(default args)}"
    else
      [ -n "$SLOTRAFT_ARGS" ] || { log "slotraft did not start (log above)"; return 1; }
      log "slotraft refused '$SLOTRAFT_ARGS'; retrying with default args"
      kill_pid "$SERVER_PID"
      new_tmpdir "$t" dir
      start_slotraft "$SLOTRAFT_BIN" "$PORT" "$dir" || { log "slotraft did not start (log above)"; return 1; }
      NOTE[$t]="slotraft default args (refused: $SLOTRAFT_ARGS)"
    fi
  fi
}

median() { # median of the arguments (numbers)
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2];
    else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

run_throughput() { # run_throughput TARGET
  local t="$1" P rep key
  declare -A samples=()
  for P in $PIPELINES; do
    for rep in $(seq 1 "$REPEAT"); do
      run_benchmark_once "$t" "$P" "$rep"
      for key in "${!RPS[@]}"; do
        [[ "$key" == "$t|$P|"* ]] && samples[$key]+="${RPS[$key]} "
      done
    done
  done
  for key in "${!samples[@]}"; do
    # shellcheck disable=SC2086
    RPS[$key]="$(median ${samples[$key]})"
  done
}

run_benchmark_once() { # run_benchmark_once TARGET P REP -> fills RPS[TARGET|P|test]
  local t="$1" P="$2" rep="$3" out name rps line
  unset_rps "$t" "$P"
  cli FLUSHALL >/dev/null
  log "$t: run $rep/$REPEAT: redis-benchmark -c $C -n $N -P $P -t $TESTS ${R:+-r $R}"
  out="$WORK/$t.P$P.$rep.csv"
  # shellcheck disable=SC2046
  if ! fg_run timeout "$BTIMEOUT" redis-benchmark -h 127.0.0.1 -p "$PORT" -c "$C" -n "$N" \
      -P "$P" -t "$TESTS" $( [ -n "$R" ] && echo "-r $R" ) --csv \
      >"$out" 2>"$WORK/$t.P$P.$rep.err" </dev/null; then
    log "$t: redis-benchmark -P $P failed: $(head -c 300 "$WORK/$t.P$P.$rep.err")"
  fi
  # CSV rows: "TEST NAME","rps",... ; the LPUSH done to prepare LRANGE is skipped.
  while IFS= read -r line; do
    name="$(cut -d, -f1 <<<"$line" | tr -d '"')"
    rps="$(cut -d, -f2 <<<"$line" | tr -d '"')"
    case "$name" in test|*needed*|"") continue ;; esac
    name="$(awk '{ print tolower($1) }' <<<"$name")"
    RPS["$t|$P|$name"]="$rps"
  done <"$out"
}

unset_rps() { # unset_rps TARGET P
  local key
  for key in "${!RPS[@]}"; do
    [[ "$key" == "$1|$2|"* ]] && unset "RPS[$key]"
  done
  return 0
}

gen_feeds() { # RESP feeds for the memory test, generated once for all targets
  [ -f "$WORK/strings.resp" ] && return 0
  log "generating feeds: $MEM_KEYS strings x ${MEM_VALUE_SIZE}B, $MEM_HASHES hashes x $MEM_HASH_FIELDS fields (seed $SEED)"
  fg_run python3 - "$SEED" "$MEM_KEYS" "$MEM_VALUE_SIZE" "$MEM_HASHES" "$MEM_HASH_FIELDS" "$WORK" <<'PY'
import random, sys
seed, nkeys, vsize, nhash, nfields, work = (int(sys.argv[1]), int(sys.argv[2]),
    int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
rnd = random.Random(seed)
def value(n):  # printable, incompressible-ish
    return rnd.randbytes((n + 1) // 2).hex()[:n].encode()
def cmd(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)
with open(f"{work}/strings.resp", "wb") as f:
    buf = []
    for i in range(nkeys):
        buf.append(cmd([b"SET", b"str:%010d" % i, value(vsize)]))
        if len(buf) >= 10000:
            f.write(b"".join(buf)); buf.clear()
    f.write(b"".join(buf))
with open(f"{work}/hashes.resp", "wb") as f:
    buf = []
    for i in range(nhash):
        args = [b"HSET", b"hash:%08d" % i]
        for j in range(nfields):
            args += [b"field%d" % j, value(10)]
        buf.append(cmd(args))
        if len(buf) >= 10000:
            f.write(b"".join(buf)); buf.clear()
    f.write(b"".join(buf))
PY
}

pipe_load() { # pipe_load FILE EXPECTED_REPLIES
  local res
  fg_run timeout "$BTIMEOUT" redis-cli -h 127.0.0.1 -p "$PORT" --pipe <"$1" >"$WORK/pipe.out" 2>&1 || true
  res="$(tail -n 1 "$WORK/pipe.out")"
  [ "$res" = "errors: 0, replies: $2" ] || { log "--pipe $1: unexpected '$res'"; return 1; }
}

run_memory() { # run_memory TARGET
  local t="$1" dbsize
  gen_feeds
  cli FLUSHALL >/dev/null
  MEM["$t|used_empty"]="$(info_field memory used_memory)"
  MEM["$t|rss_empty"]="$(vmrss_bytes)"
  local t0
  t0="$(date +%s%N)"
  log "$t: loading strings"
  pipe_load "$WORK/strings.resp" "$MEM_KEYS" || NOTE[$t]+="; strings load FAILED"
  log "$t: loading hashes"
  pipe_load "$WORK/hashes.resp" "$MEM_HASHES" || NOTE[$t]+="; hashes load FAILED"
  MEM["$t|load_s"]="$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')"
  dbsize="$(cli DBSIZE)"
  [ "$dbsize" = $((MEM_KEYS + MEM_HASHES)) ] || NOTE[$t]+="; DBSIZE $dbsize != $((MEM_KEYS + MEM_HASHES))"
  MEM["$t|used_loaded"]="$(info_field memory used_memory)"
  MEM["$t|rss_loaded"]="$(vmrss_bytes)"
}

for t in $TARGETS; do
  if ! start_target "$t"; then
    NOTE[$t]="DID NOT START (see stderr)"
    START_FAILED=1
    continue
  fi
  if [ "$DO_TP" = 1 ]; then run_throughput "$t"; fi
  if [ "$DO_MEM" = 1 ]; then run_memory "$t"; fi
  cleanup_pid="$SERVER_PID"
  kill_pid "$cleanup_pid"
done

# ------------------------------------------------------------------ report
ratio() { # ratio A B -> A/B with 2 decimals, or "-"
  if [[ "${1:-}" =~ ^[0-9.]+$ && "${2:-}" =~ ^[0-9.]+$ ]] && awk "BEGIN{exit !($2 > 0)}"; then
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
  else
    echo "-"
  fi
}
mib() { [[ "${1:-}" =~ ^[0-9]+$ ]] && awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }' || echo "n/a"; }
sub() { [[ "${1:-}" =~ ^[0-9]+$ && "${2:-}" =~ ^[0-9]+$ ]] && echo $(($1 - $2)) || echo ""; }

echo "# redis vs slotraft"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ), host: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
echo "- $(redis-benchmark --version 2>/dev/null | head -n 1 || echo redis-benchmark)"
for t in $TARGETS; do echo "- $t: ${NOTE[$t]:-}"; done
echo "- seed: $SEED"
echo

if [ "$DO_TP" = 1 ]; then
  echo "## Throughput: \`redis-benchmark -c $C -n $N${R:+ -r $R} -P <P>\` (requests/s)"
  echo
  echo "| test | P | redis rps | slotraft rps | slotraft/redis |"
  echo "|---|---:|---:|---:|---:|"
  IFS=, read -r -a test_list <<<"$TESTS"
  for P in $PIPELINES; do
    for name in "${test_list[@]}"; do
      a="${RPS["redis|$P|$name"]:-}"; b="${RPS["slotraft|$P|$name"]:-}"
      echo "| $name | $P | ${a:--} | ${b:--} | $(ratio "$b" "$a") |"
    done
  done
  echo
fi

if [ "$DO_MEM" = 1 ]; then
  echo "## Memory: $MEM_KEYS strings x ${MEM_VALUE_SIZE} B + $MEM_HASHES hashes x $MEM_HASH_FIELDS fields"
  echo
  echo "| metric | redis | slotraft | slotraft/redis |"
  echo "|---|---:|---:|---:|"
  for m in used_empty used_loaded used_delta rss_empty rss_loaded rss_delta; do
    case "$m" in
      used_delta) a="$(sub "${MEM["redis|used_loaded"]:-}" "${MEM["redis|used_empty"]:-}")"
                  b="$(sub "${MEM["slotraft|used_loaded"]:-}" "${MEM["slotraft|used_empty"]:-}")" ;;
      rss_delta)  a="$(sub "${MEM["redis|rss_loaded"]:-}" "${MEM["redis|rss_empty"]:-}")"
                  b="$(sub "${MEM["slotraft|rss_loaded"]:-}" "${MEM["slotraft|rss_empty"]:-}")" ;;
      *) a="${MEM["redis|$m"]:-}"; b="${MEM["slotraft|$m"]:-}" ;;
    esac
    label="${m/used_/used_memory }"; label="${label/rss_/VmRSS }"
    echo "| $label | $(mib "$a") | $(mib "$b") | $(ratio "$b" "$a") |"
  done
  echo "| load time (s, via --pipe) | ${MEM["redis|load_s"]:--} | ${MEM["slotraft|load_s"]:--} | $(ratio "${MEM["slotraft|load_s"]:-}" "${MEM["redis|load_s"]:-}") |"
  echo
fi

# Non-zero exit if a target could not be started (the tables are still printed).
[ "$START_FAILED" = 0 ]
