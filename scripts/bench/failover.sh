#!/usr/bin/env bash
# Failover time of a 3-process slotraft group: SIGKILL the leader, measure
# until the first write acknowledged by the new leader; restart the killed
# node and let it catch up between trials. Markdown on stdout, progress on
# stderr. A script, not a test: it asserts nothing.
#
#   scripts/bench/failover.sh > failover.md
#   TRIALS=5 scripts/bench/failover.sh
#
# Env (defaults in brackets):
#   SLOTRAFT_BIN       node binary                       [target/release/slotraft]
#   TRIALS             number of kills                   [20]
#   HEARTBEAT_MS       --raft-heartbeat-interval         [100]
#   ELECTION_MS        --raft-election-timeout           [300, the node default]
#   GROUP_WITNESS      id of a witness member (e.g. 3)   [none: 3 data members]
#   FAILOVER_ARGS      extra node args                   [--appendfsync always]
#   KEEP_TMP=1         keep node dirs and logs
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export SLOTRAFT_ROOT="$ROOT"
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$ROOT/scripts/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/group.sh
. "$ROOT/scripts/lib/group.sh"

BIN="${SLOTRAFT_BIN:-$ROOT/target/release/slotraft}"
TRIALS="${TRIALS:-20}"
HEARTBEAT_MS="${HEARTBEAT_MS:-100}"
ELECTION_MS="${ELECTION_MS:-300}"
CLIENT="$ROOT/scripts/bench/raft_client.py"
read -r -a EXTRA <<<"${FAILOVER_ARGS:---appendfsync always}"

trap 'cleanup_started' EXIT
trap 'exit 130' INT TERM

ensure_cmd redis-cli redis-tools || die "redis-cli needed for readiness checks"
command -v python3 >/dev/null 2>&1 || apt_install python3 || die "python3 needed"

new_tmpdir failover WORK || die "no temp dir"
start_group "$BIN" "$WORK" --raft-heartbeat-interval "$HEARTBEAT_MS" \
  --raft-election-timeout "$ELECTION_MS" "${EXTRA[@]}" || die "group did not start (logs in $WORK)"

SAMPLES=()
for trial in $(seq 1 "$TRIALS"); do
  leader="$(python3 "$CLIENT" leader "${GROUP_PORTS[@]}")" || die "no leader"
  # shellcheck disable=SC2046
  python3 "$CLIENT" caught-up $(group_data_ports) || die "members did not converge before trial $trial"
  ms="$(python3 "$CLIENT" failover "${GROUP_PIDS[leader]}" "${GROUP_PORTS[@]}")" \
    || die "trial $trial: no write after killing node $leader"
  SAMPLES+=("$ms")
  log "trial $trial/$TRIALS: killed leader node $leader; first acknowledged write after $ms ms"
  restart_group_node "$leader" || die "node $leader did not restart"
done

sorted="$(printf '%s\n' "${SAMPLES[@]}" | sort -n)"
median="$(awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }' <<<"$sorted")"
max="$(tail -n 1 <<<"$sorted")"
min="$(head -n 1 <<<"$sorted")"

echo "# Failover: SIGKILL of the leader to the first acknowledged write"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ), host: $(nproc) cores"
echo "- group: $GROUP_SIZE processes${GROUP_WITNESS:+, member $GROUP_WITNESS a witness}; --raft-heartbeat-interval $HEARTBEAT_MS --raft-election-timeout $ELECTION_MS ${EXTRA[*]}"
echo "- trials: $TRIALS (the killed node is restarted and caught up before the next)"
echo
echo "| median ms | min ms | max ms |"
echo "|---:|---:|---:|"
echo "| $median | $min | $max |"
echo
echo "samples (ms, in trial order): ${SAMPLES[*]}"
