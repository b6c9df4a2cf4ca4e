"""Fixtures for the slotraft compatibility suite.

The suite talks to an already running server given by SLOTRAFT_HOST /
SLOTRAFT_PORT (default 127.0.0.1:6379). It FLUSHALLs before every test, so
never point it at a server holding data you care about.

Expected values are Valkey 9 semantics. Where Redis 7.0 (Debian's
redis-server, used to validate the suite) answers differently, the test uses
`flavor`-dependent expectations; every such line carries a comment starting
with `VALKEY9-DIFF`. The flavor is detected from INFO server (a server that
reports redis_version 7.0.x and no valkey/slotraft marker is "redis7"), or
forced with SLOTRAFT_COMPAT_FLAVOR=valkey|redis7.
"""

import os

import pytest
import redis

HOST = os.environ.get("SLOTRAFT_HOST", "127.0.0.1")
PORT = int(os.environ.get("SLOTRAFT_PORT", "6379"))
PASSWORD = os.environ.get("SLOTRAFT_PASSWORD") or None


def make_client(raw=False, **kw):
    """A redis-py client. raw=True drops redis-py's per-command reply
    callbacks, so replies come back exactly as decoded from RESP (e.g. "OK"
    instead of True, "1.5" instead of 1.5)."""
    kw.setdefault("decode_responses", True)
    kw.setdefault("socket_timeout", 10)
    kw.setdefault("socket_connect_timeout", 10)
    c = redis.Redis(host=HOST, port=PORT, password=PASSWORD, **kw)
    if raw:
        c.response_callbacks.clear()
    return c


def _detect_flavor():
    forced = os.environ.get("SLOTRAFT_COMPAT_FLAVOR")
    if forced:
        assert forced in ("valkey", "redis7"), forced
        return forced
    c = make_client()
    try:
        info = c.info("server")
    finally:
        c.close()
    if "valkey_version" in info or "slotraft_version" in info:
        return "valkey"
    if str(info.get("server_name", "")).lower() in ("valkey", "slotraft"):
        return "valkey"
    if str(info.get("redis_version", "")).startswith("7.0."):
        return "redis7"
    return "valkey"


_FLAVOR = None


@pytest.fixture(scope="session")
def flavor():
    global _FLAVOR
    if _FLAVOR is None:
        _FLAVOR = _detect_flavor()
    return _FLAVOR


@pytest.fixture
def r(flavor):
    """RESP2 client (decode_responses=True) on a flushed server."""
    c = make_client()
    c.flushall()
    c.x = make_client(raw=True).execute_command  # exact replies
    yield c
    c.close()


@pytest.fixture
def r3(r):
    """RESP3 client on the same flushed server."""
    c = make_client(protocol=3)
    yield c
    c.close()


@pytest.fixture
def valkey_only(flavor):
    if flavor != "valkey":
        pytest.skip("VALKEY9-DIFF: command/option not in Redis 7.0")


def pytest_report_header(config):
    return f"slotraft compat target: {HOST}:{PORT}"
