# shellcheck shell=bash
# Start and restart a 3-process slotraft Raft group on loopback. Source after
# common.sh:
#   . "$SLOTRAFT_ROOT/scripts/lib/group.sh"
#   start_group BIN DIR [EXTRA NODE ARGS...]   # sets GROUP_PORTS GROUP_PIDS ...
#   restart_group_node I                       # same args, same --dir
#
# Node i (1-based) is `--raft-node-id i`; GROUP_WITNESS=<id> makes that member
# a witness (`--raft-witnesses`). Arrays are indexed 1..GROUP_SIZE.

GROUP_SIZE="${GROUP_SIZE:-3}"
GROUP_PORTS=() GROUP_BUS=() GROUP_PIDS=() GROUP_DIRS=() GROUP_ARGS=()
GROUP_BIN=""

# group_free_ports N: N distinct free loopback ports, one a line.
group_free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
}

# start_group BIN DIR [EXTRA ARGS...]: start every member and wait for PING.
start_group() {
  local bin="$1" dir="$2" i members="" ports
  shift 2
  [ -x "$bin" ] || { log "slotraft binary not found: $bin"; return 1; }
  GROUP_BIN="$bin"
  mapfile -t ports < <(group_free_ports $((2 * GROUP_SIZE))) || return 1
  for i in $(seq 1 "$GROUP_SIZE"); do
    GROUP_PORTS[i]="${ports[2 * i - 2]}"
    GROUP_BUS[i]="${ports[2 * i - 1]}"
    GROUP_DIRS[i]="$dir/n$i"
    members+="${members:+,}$i=127.0.0.1:${GROUP_PORTS[i]}@${GROUP_BUS[i]}"
  done
  for i in $(seq 1 "$GROUP_SIZE"); do
    GROUP_ARGS[i]="--port ${GROUP_PORTS[i]} --bind 127.0.0.1 --dir ${GROUP_DIRS[i]} --raft-node-id $i --raft-members $members${GROUP_WITNESS:+ --raft-witnesses $GROUP_WITNESS} $*"
    mkdir -p "${GROUP_DIRS[i]}" || return 1
    start_group_node "$i" || return 1
  done
  for i in $(seq 1 "$GROUP_SIZE"); do
    if ! wait_ping "${GROUP_PORTS[i]}" "${GROUP_PIDS[i]}" "${SLOTRAFT_START_TIMEOUT:-60}"; then
      tail -n 30 "${GROUP_DIRS[i]}/node.log" >&2 || true
      return 1
    fi
  done
  log "group up: ports ${GROUP_PORTS[*]}, bus ${GROUP_BUS[*]}, pids ${GROUP_PIDS[*]}"
}

start_group_node() { # start_group_node I: spawn with GROUP_ARGS[I], log appended
  local i="$1"
  # shellcheck disable=SC2086  # GROUP_ARGS holds word-split arguments
  "$GROUP_BIN" ${GROUP_ARGS[i]} </dev/null >>"${GROUP_DIRS[i]}/node.log" 2>&1 &
  GROUP_PIDS[i]=$!
  STARTED_PIDS+=("$!")
}

# restart_group_node I: start member I again (it must have exited) and wait
# for PING.
restart_group_node() {
  local i="$1"
  wait "${GROUP_PIDS[i]}" 2>/dev/null || true
  start_group_node "$i"
  if ! wait_ping "${GROUP_PORTS[i]}" "${GROUP_PIDS[i]}" "${SLOTRAFT_START_TIMEOUT:-60}"; then
    tail -n 30 "${GROUP_DIRS[i]}/node.log" >&2 || true
    return 1
  fi
}

# group_data_ports: client ports of the members that hold data.
group_data_ports() {
  local i
  for i in $(seq 1 "$GROUP_SIZE"); do
    [ "$i" = "${GROUP_WITNESS:-}" ] || printf '%s ' "${GROUP_PORTS[i]}"
  done
}
