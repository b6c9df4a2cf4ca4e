#!/usr/bin/env bash
# Drive a running node with redis-cli (Debian redis-tools) and check outputs
# exactly. Exits non-zero on any mismatch.
#
#   SLOTRAFT_HOST=127.0.0.1 SLOTRAFT_PORT=6379 scripts/compat/redis_cli.sh
#
# Env: SLOTRAFT_HOST, SLOTRAFT_PORT, SLOTRAFT_PASSWORD (optional),
#      SLOTRAFT_SEED (seed for the generated --pipe feed; printed),
#      PIPE_N (number of SET commands in the --pipe feed, default 5000).
# The script FLUSHALLs the target. Keys used together share a {hash tag}.
set -euo pipefail

HOST="${SLOTRAFT_HOST:-127.0.0.1}"
PORT="${SLOTRAFT_PORT:-6379}"
PIPE_N="${PIPE_N:-5000}"
SEED="${SLOTRAFT_SEED:-$(( (RANDOM << 15 | RANDOM) + 1 ))}"

command -v redis-cli >/dev/null || { echo "redis-cli not found (apt-get install redis-tools)" >&2; exit 2; }

CLI=(redis-cli -h "$HOST" -p "$PORT")
if [ -n "${SLOTRAFT_PASSWORD:-}" ]; then
  CLI+=(--no-auth-warning -a "$SLOTRAFT_PASSWORD")
fi
cli() { timeout 30 "${CLI[@]}" "$@"; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/slotraft-cli.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

pass=0 fail=0
# check NAME EXPECTED ACTUAL
check() {
  if [ "$2" == "$3" ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: $1" >&2
    diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | head -20 | sed 's/^/    /' >&2 || true
  fi
}

echo "redis_cli.sh: target $HOST:$PORT, seed=$SEED (set SLOTRAFT_SEED to replay)"
echo "using $(redis-cli --version)"

check "PING" "PONG" "$(cli PING)"
check "FLUSHALL" "OK" "$(cli FLUSHALL)"

# --- plain commands, raw output (stdout is not a tty) ---
check "SET" "OK" "$(cli SET greeting 'hello world')"
check "GET" "hello world" "$(cli GET greeting)"
check "GET missing (raw prints empty line)" "" "$(cli GET nope)"
check "INCR" "1" "$(cli INCR counter)"
check "INCRBY" "11" "$(cli INCRBY counter 10)"
check "-r repeat" "$(printf '12\n13\n14')" "$(cli -r 3 INCR counter)"
check "APPEND" "16" "$(cli APPEND greeting '!!!!!')"
check "value with spaces and quotes" 'a "quoted" value' \
  "$(cli SET q 'a "quoted" value' >/dev/null; cli GET q)"
check "-x value from stdin" "OK" "$(printf 'line1\nline2' | cli -x SET fromstdin)"
check "-x value read back" "$(printf 'line1\nline2')" "$(cli GET fromstdin)"
check "STRLEN stdin value" "11" "$(cli STRLEN fromstdin)"
check "RPUSH" "3" "$(cli RPUSH list a b c)"
check "LRANGE raw" "$(printf 'a\nb\nc')" "$(cli LRANGE list 0 -1)"
check "LRANGE --csv" '"a","b","c"' "$(cli --csv LRANGE list 0 -1)"
check "MSET tagged" "OK" "$(cli MSET '{t}a' 1 '{t}b' 2)"
check "MGET tagged" "$(printf '1\n2\n')" "$(cli MGET '{t}a' '{t}b' '{t}c'; echo)"
check "error reply (raw)" "ERR value is not an integer or out of range" "$(cli INCR greeting)"
check "error reply WRONGTYPE" \
  "WRONGTYPE Operation against a key holding the wrong kind of value" "$(cli GET list)"
set +e
out="$(cli -e INCR greeting 2>&1)"; rc=$?
set -e
check "-e exit code on error" "1" "$rc"
check "-e error text" "ERR value is not an integer or out of range" "$out"

# --- --no-raw: reply types are visible ---
check "--no-raw integer" "(integer) 15" "$(cli --no-raw INCR counter)"
check "--no-raw nil" "(nil)" "$(cli --no-raw GET nope)"
check "--no-raw bulk" '"hello world!!!!!"' "$(cli --no-raw GET greeting)"
check "--no-raw array" "$(printf '1) "a"\n2) "b"\n3) "c"')" "$(cli --no-raw LRANGE list 0 -1)"
check "--no-raw empty array" "(empty array)" "$(cli --no-raw LRANGE nope 0 -1)"
check "--no-raw status" "OK" "$(cli --no-raw SET s v)"
check "--no-raw error" "(error) ERR wrong number of arguments for 'get' command" \
  "$(cli --no-raw GET a b)"
check "--no-raw zscore RESP2 is bulk" '"1.5"' "$(cli ZADD z 1.5 m >/dev/null; cli --no-raw ZSCORE z m)"
check "--no-raw hgetall RESP2" "$(printf '1) "f1"\n2) "v1"')" \
  "$(cli HSET h f1 v1 >/dev/null; cli --no-raw HGETALL h)"

# --- RESP3 (-3), if this redis-cli has it ---
cli_help="$(redis-cli --help 2>&1 || true)"
if grep -q -- '^  -3 ' <<<"$cli_help"; then
  check "-3 map" '1# "f1" => "v1"' "$(cli -3 --no-raw HGETALL h)"
  check "-3 double" "(double) 1.5" "$(cli -3 --no-raw ZSCORE z m)"
  check "-3 double raw" "1.5" "$(cli -3 ZSCORE z m)"
  check "-3 null" "(nil)" "$(cli -3 --no-raw GET nope)"
  check "-3 empty set" "(empty set)" "$(cli -3 --no-raw SMEMBERS nope)"
  check "-3 set" '1~ "x"' "$(cli SADD st x >/dev/null; cli -3 --no-raw SMEMBERS st)"
  check "-3 integer" "(integer) 1" "$(cli -3 --no-raw EXISTS st)"
  check "-3 zrange withscores" "$(printf '1) 1) "m"\n   2) (double) 1.5')" \
    "$(cli -3 --no-raw ZRANGE z 0 -1 WITHSCORES)"
  check "-3 HELLO proto" "3" \
    "$(cli -3 --no-raw HELLO 3 | sed -n 's/^[0-9]*# "proto" => (integer) //p')"
else
  echo "redis-cli has no -3 option; RESP3 checks skipped"
fi

# --- --pipe: a few thousand commands, then DBSIZE ---
check "FLUSHALL before pipe" "OK" "$(cli FLUSHALL)"
python3 - "$SEED" "$PIPE_N" >"$WORK/feed.resp" 2>"$WORK/expect.txt" <<'PY'
import random, sys
seed, n = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(seed)
out = sys.stdout.buffer
def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    out.write(b"".join(parts))
strings, lists, counters, total = set(), {}, {}, 0
for i in range(n):
    k = "pipe:%d" % rnd.randrange(n * 2)   # some overwrites
    v = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 64)))
    cmd("SET", k, v); strings.add(k); total += 1
for i in range(n // 5):
    k = "plist:%d" % rnd.randrange(50)
    cmd("RPUSH", k, i); lists[k] = lists.get(k, 0) + 1; total += 1
for i in range(n // 5):
    k = "pctr:%d" % rnd.randrange(20)
    cmd("INCR", k); counters[k] = counters.get(k, 0) + 1; total += 1
# expectations on stderr: replies, dbsize, one list length, one counter
lk = sorted(lists)[0]; ck = sorted(counters)[0]
print(total, len(strings) + len(lists) + len(counters), lk, lists[lk], ck,
      counters[ck], len([k for k in strings if k.startswith("pipe:1")]),
      file=sys.stderr)
PY
read -r want_replies want_dbsize lk llen ck cval want_pipe1 <"$WORK/expect.txt"
pipe_out="$(timeout 120 "${CLI[@]}" --pipe <"$WORK/feed.resp" 2>&1 | tail -n 1)"
check "--pipe summary" "errors: 0, replies: $want_replies" "$pipe_out"
check "DBSIZE after --pipe" "$want_dbsize" "$(cli DBSIZE)"
check "LLEN after --pipe" "$llen" "$(cli LLEN "$lk")"
check "counter after --pipe" "$cval" "$(cli GET "$ck")"

# --- --scan --pattern ---
scan_got="$(cli --scan --pattern 'pipe:1*' | sort -u)"
keys_got="$(cli KEYS 'pipe:1*' | sort -u)"
check "--scan count" "$want_pipe1" "$(printf '%s' "$scan_got" | grep -c '^' || true)"
check "--scan == KEYS" "$keys_got" "$scan_got"
check "--scan lists" "$(cli KEYS 'plist:*' | sort)" "$(cli --scan --pattern 'plist:*' | sort -u)"
check "--scan no match" "" "$(cli --scan --pattern 'nomatch:*')"

echo "redis_cli.sh: $pass checks ok, $fail mismatched"
[ "$fail" -eq 0 ]
