"""Replicas on loopback: Debian's redis-server and HAProxy, started by the
tests (`make replicas-deps` installs both), in front of `moat serve --http`
processes that share one plugin directory and one Redis.

HAPROXY_CONFIG is the configuration docs/deployment.md shows."""

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx2

REDIS_BIN = "/usr/bin/redis-server"
HAPROXY_BIN = "/usr/sbin/haproxy"

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}

# Health checks on /readyz every 500 ms; a replica that fails one is out,
# one that passes one is back. `option redispatch` and `retry-on` send a
# request whose replica refused the connection (killed, or draining) to
# another: it never reached a replica, so retrying it is safe.
# `empty-response` also retries a request whose connection closed without
# a byte of answer, which is safe for idempotent calls such as the tests'
# (drop it if a tool must never run twice).
HAPROXY_CONFIG = """\
global
    maxconn 512
    stats socket {socket} mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    retries 3
    option redispatch 1
    option http-server-close
    retry-on conn-failure empty-response response-timeout

frontend mcp
    bind 127.0.0.1:{port}
    default_backend moat

backend moat
    balance roundrobin
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
    default-server inter 500ms fall 1 rise 1
{servers}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port}")


class Redis:
    """redis-server on a free loopback port, nothing persisted."""

    def __init__(self, directory: Path, port: int | None = None):
        self.directory = directory
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            [REDIS_BIN, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), "--protected-mode", "yes"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.process, "redis-server")

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class Haproxy:
    """HAProxy in front of `ports`, on a free port of its own."""

    def __init__(self, directory: Path, ports: list[int]):
        self.port = free_port()
        servers = "\n".join(f"    server r{i} 127.0.0.1:{p} check" for i, p in enumerate(ports, 1))
        config = directory / "haproxy.cfg"
        self.socket = directory / "haproxy.sock"
        config.write_text(HAPROXY_CONFIG.format(port=self.port, servers=servers, socket=self.socket))
        self.process = subprocess.Popen(
            [HAPROXY_BIN, "-f", str(config), "-db"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        wait_for_port(self.port, self.process, "haproxy")
        self.url = f"http://127.0.0.1:{self.port}/mcp"

    def admin(self, command: str) -> str:
        """One command on HAProxy's runtime API, e.g. `set server moat/r2 state drain`."""
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.socket))
            s.sendall(command.encode() + b"\n")
            return s.makefile().read()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def ready(base: str, timeout: float = 60):
    """Waits until `base`/readyz answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx2.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{base} never became ready")


def sse_json(response: httpx2.Response) -> dict:
    for line in response.text.splitlines():
        if line.startswith("data:") and line[5:].strip():
            return json.loads(line[5:])
    return response.json()


def initialize(url: str, **headers: str) -> httpx2.Response:
    body = {
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "replicas", "version": "1"}},
    }
    return httpx2.post(url, headers={**JSON_HEADERS, **headers}, json=body, timeout=30)


def session_headers(session: str, **headers: str) -> dict:
    return {**JSON_HEADERS, "Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25", **headers}


def open_session(url: str, **headers: str) -> str:
    answer = initialize(url, **headers)
    assert answer.status_code == 200, answer.text
    session = answer.headers["mcp-session-id"]
    notified = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    assert httpx2.post(url, headers=session_headers(session, **headers), json=notified, timeout=30).status_code == 202
    return session


def call(url: str, session: str, method: str, params: dict, id: int = 2, **headers: str) -> httpx2.Response:
    body = {"jsonrpc": "2.0", "id": id, "method": method, "params": params}
    return httpx2.post(url, headers=session_headers(session, **headers), json=body, timeout=30)


def stateless(url: str, method: str, params: dict, id: int = 2, **headers: str) -> httpx2.Response:
    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
    body = {"jsonrpc": "2.0", "id": id, "method": method, "params": {**params, "_meta": {**meta, **params.get("_meta", {})}}}
    head = {**JSON_HEADERS, "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": method, **headers}
    if "name" in params:
        head["Mcp-Name"] = params["name"]
    return httpx2.post(url, headers=head, json=body, timeout=30)


def kill(process: subprocess.Popen):
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def state_key(directory: Path) -> Path:
    key = directory / "state.key"
    key.write_bytes(os.urandom(48))
    return key


def scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="moat-replicas-"))
