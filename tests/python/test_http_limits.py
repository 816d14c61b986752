"""What a hostile HTTP client cannot do to `moat serve --http`: hold
sessions without bound, hold connections by stalling, slip a second `Host`
past the check, or be told a session it never had was ended.

Caps and timeouts are set small through their flags, so that each test
takes seconds."""

import json
import resource
import socket
import time
from pathlib import Path

import httpx2
import pytest

TOKEN = "s3cret-token-for-tests"

JSON_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
}


def initialize_body(id: int = 1) -> dict:
    return {
        "jsonrpc": "2.0",
        "id": id,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "hostile", "version": "1"},
        },
    }


def stateless_list_body() -> dict:
    return {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/list",
        "params": {
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
            }
        },
    }


STATELESS_HEADERS = {**JSON_HEADERS, "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/list"}


def initialize(client: httpx2.Client, url: str, **headers: str) -> httpx2.Response:
    return client.post(url, headers={**JSON_HEADERS, **headers}, json=initialize_body(), timeout=30)


def sse_message(response: httpx2.Response) -> dict:
    for line in response.text.splitlines():
        if line.startswith("data:") and line[5:].strip():
            return json.loads(line[5:])
    return response.json()


def in_session(client: httpx2.Client, url: str, session: str, **headers: str) -> httpx2.Response:
    """`notifications/initialized` then `tools/list` in `session`; returns the list's answer."""
    headers = {**JSON_HEADERS, "Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25", **headers}
    notified = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    client.post(url, headers=headers, json=notified, timeout=30)
    listed = {"jsonrpc": "2.0", "id": 3, "method": "tools/list"}
    return client.post(url, headers=headers, json=listed, timeout=30)


def delete(client: httpx2.Client, url: str, session: str, **headers: str) -> httpx2.Response:
    headers = {"Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25", **headers}
    return client.delete(url, headers=headers, timeout=30)


def assert_refused(response: httpx2.Response, status: int, flag: str, cap: int):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["retry-after"]) > 0
    error = response.json()
    assert error["jsonrpc"] == "2.0"
    assert error["id"] == 1  # the refused initialize's
    assert error["error"]["data"] == {"limit": flag, "value": cap}
    message = error["error"]["message"]
    assert f"{flag} {cap}" in message and "DELETE" in message, message


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_sessions_are_capped_and_a_freed_slot_is_reusable(serve_http, plugin_dir):
    http = serve_http(plugin_dir, "--max-sessions", "20")
    with httpx2.Client() as client:
        answers = [initialize(client, http.url) for _ in range(25)]
        sessions = [a.headers["mcp-session-id"] for a in answers if a.status_code == 200]
        assert len(sessions) == 20, [a.status_code for a in answers]
        for refused in answers[20:]:
            assert_refused(refused, 503, "--max-sessions", 20)

        # The sessions held keep working, and so do stateless requests.
        listed = in_session(client, http.url, sessions[0])
        assert listed.status_code == 200, listed.text
        assert sse_message(listed)["result"]["tools"]
        stateless = client.post(http.url, headers=STATELESS_HEADERS, json=stateless_list_body(), timeout=30)
        assert stateless.status_code == 200, stateless.text

        # Ending one frees its slot.
        assert delete(client, http.url, sessions[0]).status_code == 202
        again = initialize(client, http.url)
        assert again.status_code == 200, again.text
        assert_refused(initialize(client, http.url), 503, "--max-sessions", 20)
    assert "refused a new HTTP session" in http.stop()


def test_idle_sessions_expire_and_free_their_slots(serve_http, plugin_dir):
    http = serve_http(plugin_dir, "--max-sessions", "2", "--session-idle-timeout", "1s")
    with httpx2.Client() as client:
        held = [initialize(client, http.url).headers["mcp-session-id"] for _ in range(2)]
        assert_refused(initialize(client, http.url), 503, "--max-sessions", 2)
        deadline = time.monotonic() + 30  # a safety net, not a speed check
        while (answer := initialize(client, http.url)).status_code != 200:
            assert time.monotonic() < deadline, "idle sessions never expired"
            time.sleep(0.2)
        assert in_session(client, http.url, held[0]).status_code == 404


def test_one_token_cannot_take_every_session(serve_http, plugin_dir, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    http = serve_http(plugin_dir, "--token-file", str(token_file), "--max-sessions-per-token", "3")
    bearer = {"Authorization": "Bearer " + TOKEN}
    with httpx2.Client() as client:
        answers = [initialize(client, http.url, **bearer) for _ in range(4)]
        assert [a.status_code for a in answers[:3]] == [200, 200, 200]
        assert_refused(answers[3], 429, "--max-sessions-per-token", 3)
        # Refused before the token check would be a leak; after it, the cap.
        assert initialize(client, http.url).status_code == 401
        assert delete(client, http.url, answers[0].headers["mcp-session-id"], **bearer).status_code == 202
        assert initialize(client, http.url, **bearer).status_code == 200


def test_an_initialize_flood_does_not_grow_the_host(serve_http, plugin_dir):
    http = serve_http(plugin_dir, "--max-sessions", "20")
    pid = http.process.pid
    with httpx2.Client() as client:
        for _ in range(100):
            initialize(client, http.url)
        before = rss_kib(pid)
        statuses = {initialize(client, http.url).status_code for _ in range(3000)}
        grown = rss_kib(pid) - before
    # Unbounded, 3,000 sessions held about 150 MB.
    assert grown < 30 * 1024, f"grew {grown} KiB over 3,000 initialize requests"
    assert statuses == {503}


def test_delete_of_an_unknown_or_ended_session_is_404(serve_http, plugin_dir):
    http = serve_http(plugin_dir)
    with httpx2.Client() as client:
        assert delete(client, http.url, "no-such-session").status_code == 404
        session = initialize(client, http.url).headers["mcp-session-id"]
        assert delete(client, http.url, session).status_code == 202
        assert delete(client, http.url, session).status_code == 404
        assert in_session(client, http.url, session).status_code == 404


def raw(url: str, request: bytes, timeout: float = 30) -> bytes:
    """Sends `request` on a fresh connection; returns all the server sent until it closed."""
    host, port = url.split("/")[2].split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


def post_bytes(url: str, hosts: list[str], body: dict, target: str = "/mcp", **headers: str) -> bytes:
    payload = json.dumps(body).encode()
    lines = [f"POST {target} HTTP/1.1", *(f"Host: {h}" for h in hosts)]
    lines += [f"{k}: {v}" for k, v in {**STATELESS_HEADERS, **headers}.items()]
    lines += [f"Content-Length: {len(payload)}", "Connection: close", "", ""]
    return raw(url, "\r\n".join(lines).encode() + payload)


def test_a_second_host_header_is_400(serve_http, plugin_dir, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    http = serve_http(plugin_dir, "--token-file", str(token_file))
    authority = http.url.split("/")[2]
    bearer = {"Authorization": "Bearer " + TOKEN}
    good = post_bytes(http.url, [authority], stateless_list_body(), **bearer)
    assert good.startswith(b"HTTP/1.1 200"), good
    for hosts in ([authority, "evil.example"], ["evil.example", authority], [authority, authority]):
        answer = post_bytes(http.url, hosts, stateless_list_body(), **bearer)
        assert answer.startswith(b"HTTP/1.1 400"), (hosts, answer)
    # An absolute-form target names the host that counts (RFC 9112 §3.2.2).
    answer = post_bytes(http.url, [authority], stateless_list_body(), target="http://evil.example/mcp", **bearer)
    assert answer.startswith(b"HTTP/1.1 403"), answer
    answer = post_bytes(http.url, [authority], stateless_list_body(), target=f"http://{authority}/mcp", **bearer)
    assert answer.startswith(b"HTTP/1.1 200"), answer


def stalled(url: str, count: int) -> list[socket.socket]:
    """`count` connections that each send the first 60 bytes of a POST and stop."""
    host, port = url.split("/")[2].split(":")
    head = f"POST /mcp HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n".encode()[:60]
    sockets = []
    for _ in range(count):
        sock = socket.create_connection((host, int(port)), timeout=30)
        sock.sendall(head)
        sockets.append(sock)
    return sockets


def test_stalled_connections_do_not_keep_good_clients_out(serve_http, plugin_dir):
    http = serve_http(plugin_dir, "--max-connections", "50", "--http-header-timeout", "1s")
    # 128 descriptors, so that exhausting them takes few connections.
    resource.prlimit(http.process.pid, resource.RLIMIT_NOFILE, (128, 128))
    held = stalled(http.url, 150)
    # A safety net of 20 s: the stalled ones ahead of it time out a second at a time.
    answer = httpx2.post(http.url, headers=STATELESS_HEADERS, json=stateless_list_body(), timeout=20)
    assert answer.status_code == 200, answer.text
    for sock in held:
        sock.close()
    assert "Too many open files" not in http.stop()


def test_a_connection_stalled_in_its_headers_is_closed(serve_http, plugin_dir):
    http = serve_http(plugin_dir, "--http-header-timeout", "1s")
    [sock] = stalled(http.url, 1)
    sock.settimeout(20)  # a safety net; the server closes it after 1 s
    assert sock.recv(65536) == b""

    # So is one left idle after a complete request (keep-alive).
    host, port = http.url.split("/")[2].split(":")
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        payload = json.dumps(stateless_list_body()).encode()
        lines = [f"POST /mcp HTTP/1.1", f"Host: {host}:{port}"]
        lines += [f"{k}: {v}" for k, v in STATELESS_HEADERS.items()]
        lines += [f"Content-Length: {len(payload)}", "", ""]
        sock.sendall("\r\n".join(lines).encode() + payload)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        assert received.startswith(b"HTTP/1.1 200"), received


def test_a_slow_or_stalled_body_is_cut_off(serve_http, plugin_dir):
    http = serve_http(plugin_dir, "--http-body-timeout", "1s")
    host, port = http.url.split("/")[2].split(":")
    payload = json.dumps(stateless_list_body()).encode()
    lines = [f"POST /mcp HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{k}: {v}" for k, v in STATELESS_HEADERS.items()]
    head = "\r\n".join([*lines, f"Content-Length: {len(payload)}", "", ""]).encode()

    # Half a body, then nothing.
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(head + payload[:10])
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert b"--http-body-timeout 1s" in answer

    # A byte every 0.2 s: each arrives in time, the whole does not. Between
    # bytes the client waits for the answer rather than sleeping: a byte sent
    # after the server has answered and closed draws a reset, which may
    # discard the unread answer.
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(head)
        sock.settimeout(0.2)
        answer = b""
        for byte in payload:
            try:
                sock.send(bytes([byte]))
                answer += sock.recv(65536)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
            if answer:
                break
        assert answer.startswith(b"HTTP/1.1 408"), answer


def open_stream(url: str, session: str) -> tuple[socket.socket, bytes]:
    """A session's `GET` stream; returns the socket, left open, and the response head."""
    host, port = url.split("/")[2].split(":")
    sock = socket.create_connection((host, int(port)), timeout=20)
    lines = [
        "GET /mcp HTTP/1.1",
        f"Host: {host}:{port}",
        "Accept: text/event-stream",
        f"Mcp-Session-Id: {session}",
        "MCP-Protocol-Version: 2025-11-25",
        "",
        "",
    ]
    sock.sendall("\r\n".join(lines).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(65536)
        if not chunk:
            break
        head += chunk
    return sock, head


def test_open_streams_leave_connections_for_requests(serve_http, plugin_dir):
    # Streams may take half of 8 connections: 4.
    http = serve_http(plugin_dir, "--max-connections", "8")
    with httpx2.Client() as client:
        session = initialize(client, http.url).headers["mcp-session-id"]
        opened = [open_stream(http.url, session) for _ in range(4)]
        for _, head in opened:
            assert head.startswith(b"HTTP/1.1 200"), head
        headers = {"Accept": "text/event-stream", "Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25"}
        refused = client.get(http.url, headers=headers, timeout=20)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["data"] == {"limit": "--max-connections", "value": 4}
        assert refused.json()["id"] is None  # a GET is no JSON-RPC request
        # Requests still get through.
        answer = client.post(http.url, headers=STATELESS_HEADERS, json=stateless_list_body(), timeout=20)
        assert answer.status_code == 200, answer.text
        # A closed stream gives its slot back.
        opened.pop()[0].close()
        deadline = time.monotonic() + 20  # a safety net, not a speed check
        while True:
            sock, head = open_stream(http.url, session)
            opened.append((sock, head))
            if head.startswith(b"HTTP/1.1 200"):
                break
            assert time.monotonic() < deadline, head
            time.sleep(0.1)
        for sock, _ in opened:
            sock.close()


def test_a_client_that_never_reads_its_responses_loses_its_connection(serve_http, plugin_dir):
    http = serve_http(plugin_dir, "--max-connections", "1", "--http-write-timeout", "1s")
    host, port = http.url.split("/")[2].split(":")
    payload = json.dumps(stateless_list_body()).encode()
    lines = [f"POST /mcp HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{k}: {v}" for k, v in STATELESS_HEADERS.items()]
    request = "\r\n".join([*lines, f"Content-Length: {len(payload)}", "", ""]).encode() + payload
    # Pipelined requests whose answers (megabytes) fill every buffer between
    # moat and a client that reads nothing, so that moat's writes stall.
    reader = socket.socket()
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    reader.connect((host, int(port)))
    reader.settimeout(0.5)
    sent = 0
    try:
        for _ in range(20000):
            sent += reader.send(request)
    except (TimeoutError, BlockingIOError, BrokenPipeError, ConnectionResetError):
        pass
    assert sent > 0
    # The only connection slot is the stalled reader's until moat drops it.
    answer = httpx2.post(http.url, headers=STATELESS_HEADERS, json=stateless_list_body(), timeout=20)
    assert answer.status_code == 200, answer.text
    reader.close()
