#!/usr/bin/env python3
"""Minimal RESP client for the Raft-group benchmark scripts (stdlib only).

  raft_client.py leader PORT...              print the 1-based index of the
                                             confirmed leader (waits up to 30 s)
  raft_client.py failover PID PORT...        SIGKILL PID, then print the ms
                                             until a SET is acknowledged by
                                             another node (follows MOVED)
  raft_client.py caught-up PORT...           wait until every node reports the
                                             same raft_applied_index and digest

A leader is confirmed when it says raft_role:leader in term T and a majority
of the nodes report raft_leader_id = it in term T.
"""
import os
import signal
import socket
import sys
import time

HOST = "127.0.0.1"
POLL = 0.01  # poll interval of the waits below (not synchronisation)


class Reply(Exception):
    """An error reply (-ERR, -MOVED, ...)."""


def encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def read_reply(f):
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("connection closed")
    kind, body = line[:1], line[1:-2]
    if kind == b"+":
        return body.decode()
    if kind == b"-":
        raise Reply(body.decode())
    if kind == b":":
        return int(body)
    if kind == b"$":
        n = int(body)
        if n < 0:
            return None
        data = f.read(n + 2)
        if len(data) != n + 2:
            raise ConnectionError("connection closed")
        return data[:-2].decode()
    if kind == b"*":
        return [read_reply(f) for _ in range(int(body))]
    raise ConnectionError("bad reply %r" % line)


def call(port, *args, timeout=1.0):
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(encode(args))
        return read_reply(s.makefile("rb"))


def info(port):
    text = call(port, "INFO", "replication")
    return dict(l.split(":", 1) for l in text.splitlines() if ":" in l and not l.startswith("#"))


def confirmed_leader(ports):
    infos = {}
    for i, p in enumerate(ports):
        try:
            infos[i] = info(p)
        except (OSError, Reply, ConnectionError):
            pass
    for i, inf in infos.items():
        if inf.get("raft_role") != "leader":
            continue
        term = inf.get("raft_term")
        backers = sum(
            1 for o in infos.values()
            if o.get("raft_term") == term and o.get("raft_leader_id") == inf.get("raft_leader_id")
        )
        if backers >= len(ports) // 2 + 1:
            return i
    return None


def wait(cond, secs, what):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        v = cond()
        if v is not None:
            return v
        time.sleep(POLL)
    sys.exit("timed out after %ss waiting for %s" % (secs, what))


def write_once(ports, key, start):
    """Tries one SET, following MOVED; True when acknowledged."""
    port = ports[start % len(ports)]
    for _ in range(5):
        try:
            return call(port, "SET", key, "1", timeout=0.5) == "OK"
        except Reply as e:
            msg = str(e)
            if msg.startswith("MOVED "):
                port = int(msg.split()[2].rsplit(":", 1)[1])
                continue
            return False  # TRYAGAIN and the like: no leader yet
        except (OSError, ConnectionError):
            return False
    return False


def main():
    cmd, rest = sys.argv[1], sys.argv[2:]
    if cmd == "leader":
        ports = [int(p) for p in rest]
        print(wait(lambda: confirmed_leader(ports), 30, "a confirmed leader") + 1)
    elif cmd == "failover":
        pid, ports = int(rest[0]), [int(p) for p in rest[1:]]
        os.kill(pid, signal.SIGKILL)
        t0 = time.monotonic()
        n = 0
        while time.monotonic() - t0 < 60:
            n += 1
            if write_once(ports, "failover:%d:%d" % (pid, n), n):
                print("%.1f" % ((time.monotonic() - t0) * 1000))
                return
            time.sleep(0.002)  # retry interval
        sys.exit("no write acknowledged within 60 s of the kill")
    elif cmd == "caught-up":
        ports = [int(p) for p in rest]

        def same():
            try:
                seen = {(info(p).get("raft_applied_index"), call(p, "DEBUG", "DIGEST")) for p in ports}
            except (OSError, Reply, ConnectionError):
                return None
            return True if len(seen) == 1 else None

        wait(same, 60, "equal applied index and digest")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
