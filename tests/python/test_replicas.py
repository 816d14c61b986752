"""Replicas of `moat serve --http` sharing state through Redis, behind
HAProxy, all on loopback: sessions move between replicas with their owner
and subscriptions, changes reach subscribers on every replica, and clients
of both eras keep working while replicas are killed or restarted."""

import json
import queue
import shutil
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx2
import pytest
from mcp import Client

from conftest import built
from replicas import (
    JSON_HEADERS,
    call,
    initialize,
    kill,
    open_session,
    session_headers,
    sse_json,
    stateless,
)

TOKEN = "replica-token-for-tests"


def mul(url: str, session: str, id: int = 2, **headers: str) -> dict:
    answer = call(url, session, "tools/call", {"name": "mul", "arguments": {"x": 25, "y": 17}}, id=id, **headers)
    assert answer.status_code == 200, answer.text
    return sse_json(answer)


def one_plugin(tmp_path, variable: str, name: str):
    """A plugin directory the replicas share, holding the plugin built at `variable`."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    shutil.copy(built(variable), plugins / f"{name}.wasm")
    return plugins


@pytest.fixture
def shared_dir(tmp_path):
    return one_plugin(tmp_path, "MOAT_MATH_WASM", "math")


@pytest.fixture
def everything_dir(tmp_path):
    return one_plugin(tmp_path, "MOAT_EVERYTHING_WASM", "everything")


def test_a_session_opened_on_one_replica_carries_on_on_another(cluster, shared_dir):
    c = cluster(shared_dir, 2)
    session = open_session(c.url(0))
    assert mul(c.url(0), session)["result"]["structuredContent"] == {"result": 425}
    # Replica 2 never saw the session: it restores it from Redis, same id.
    answer = call(c.url(1), session, "tools/call", {"name": "mul", "arguments": {"x": 25, "y": 17}})
    assert answer.status_code == 200, answer.text
    assert sse_json(answer)["result"]["structuredContent"] == {"result": 425}
    # An id nobody issued is unknown on every replica.
    for i in range(2):
        assert call(c.url(i), "0b6f5c1e-5a0d-4d2b-9a57-0c5f6b1e2a3d", "tools/list", {}).status_code == 404
        assert call(c.url(i), "not*a:key", "tools/list", {}).status_code == 404


def test_delete_ends_the_session_on_every_replica(cluster, shared_dir):
    c = cluster(shared_dir, 2)
    session = open_session(c.url(0))
    mul(c.url(1), session)  # now held by both
    headers = {"Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-11-25"}
    assert httpx2.delete(c.url(1), headers=headers, timeout=30).status_code == 202
    for i in range(2):
        deadline = time.monotonic() + 10
        while call(c.url(i), session, "tools/list", {}).status_code != 404:
            assert time.monotonic() < deadline, f"replica {i} still serves the ended session"
            time.sleep(0.1)


def test_a_stolen_session_id_still_needs_the_token_on_another_replica(cluster, shared_dir):
    (shared_dir.parent / "token").write_text(TOKEN)
    token = str(shared_dir.parent / "token")
    c = cluster(shared_dir, 2, "--token-file", token, "--max-sessions-per-token", "1")
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    session = open_session(c.url(0), **bearer)
    for headers in ({}, {"Authorization": "Bearer guessed"}):
        answer = call(c.url(1), session, "tools/list", {}, **headers)
        assert answer.status_code == 401, answer.text
    assert mul(c.url(1), session, **bearer)["result"]["structuredContent"] == {"result": 425}
    # The restored session counts against the token's cap on replica 2.
    refused = initialize(c.url(1), **bearer)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["data"] == {"limit": "--max-sessions-per-token", "value": 1}


@pytest.mark.anyio
async def test_a_session_moved_to_another_replica_still_answers_only_its_owner(cluster, oidc, shared_dir):
    from oidc import READER
    from replicas import free_port

    oidc.start()
    auth = str(oidc.auth_file())
    # Both replicas are the one resource the tokens are for (the balancer's URL, in production).
    c = cluster(shared_dir, 2, "--auth", auth, addrs=[oidc.moat_addr, f"127.0.0.1:{free_port()}"])
    owner = {"Authorization": f"Bearer {oidc.token()}"}
    other = {"Authorization": f"Bearer {oidc.token(client=READER)}"}
    session = open_session(c.url(0), **owner)
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    # Replica 2 does not hold the session: it must not restore it for the other identity...
    for method, body in (("POST", listing), ("GET", None), ("DELETE", None)):
        stolen = httpx2.request(method, c.url(1), headers=session_headers(session, **other), json=body, timeout=30)
        assert stolen.status_code == 404, (method, stolen.status_code, stolen.text)
    # ...nor end it: it is still there, for its owner, on both replicas.
    for i in (1, 0):
        mine = call(c.url(i), session, "tools/list", {}, **owner)
        assert mine.status_code == 200 and "mul" in mine.text, mine.text
    # Now held by replica 2, it is refused to the other identity there too.
    stolen = call(c.url(1), session, "tools/list", {}, **other)
    assert stolen.status_code == 404, stolen.text
    assert "refused to restore a session another identity holds" in "".join(c.replicas[1].log)


@pytest.mark.anyio
async def test_an_sdk_session_survives_each_replica_being_killed(cluster, shared_dir):
    c = cluster(shared_dir, 3)
    async with Client(c.haproxy.url, mode="legacy", read_timeout_seconds=30) as client:
        for victim in range(3):
            result = await client.call_tool("mul", {"x": 25, "y": 17})
            assert result.structured_content == {"result": 425}, result
            kill(c.replicas[victim].process)
            for _ in range(4):
                result = await client.call_tool("mul", {"x": 25, "y": 17})
                assert not result.is_error, result
                assert result.structured_content == {"result": 425}
            c.start(victim)


@pytest.mark.anyio
async def test_a_stateless_sdk_client_survives_each_replica_being_killed(cluster, shared_dir):
    c = cluster(shared_dir, 3)
    async with Client(c.haproxy.url, mode="2026-07-28", read_timeout_seconds=30) as client:
        for victim in range(3):
            kill(c.replicas[victim].process)
            for _ in range(4):
                result = await client.call_tool("mul", {"x": 25, "y": 17})
                assert result.structured_content == {"result": 425}, result
            c.start(victim)


def test_a_request_state_round_started_on_one_replica_finishes_on_another(cluster, everything_dir):
    c = cluster(everything_dir, 2)
    tool = "test_input_required_result_request_state"
    caps = {"io.modelcontextprotocol/clientCapabilities": {"elicitation": {}}}
    first = sse_json(stateless(c.url(0), "tools/call", {"name": tool, "arguments": {}, "_meta": caps}))
    assert first["result"]["resultType"] == "input_required", first
    confirmed = {"confirm": {"action": "accept", "content": {"ok": True}}}
    params = {"name": tool, "arguments": {}, "inputResponses": confirmed,
              "requestState": first["result"]["requestState"], "_meta": caps}
    second = sse_json(stateless(c.url(1), "tools/call", params))
    assert second["result"]["resultType"] == "complete", second


class Stream:
    """A session's GET stream, read in a thread: each message, parsed."""

    def __init__(self, url: str, session: str):
        self.messages: queue.Queue = queue.Queue()
        self.client = httpx2.Client(timeout=httpx2.Timeout(5, read=None))
        opened = threading.Event()

        def read():
            headers = {**session_headers(session), "Accept": "text/event-stream"}
            try:
                with self.client.stream("GET", url, headers=headers) as response:
                    assert response.status_code == 200
                    opened.set()
                    for line in response.iter_lines():
                        if line.startswith("data:") and line[5:].strip():
                            self.messages.put(json.loads(line[5:]))
            except httpx2.HTTPError:
                pass  # the replica went away: the test is over, or it killed it

        threading.Thread(target=read, daemon=True).start()
        assert opened.wait(10), "the GET stream did not open"

    def next(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no {method} arrived"
            try:
                message = self.messages.get(timeout=left)
            except queue.Empty:
                continue
            if message.get("method") == method:
                return message


def test_a_plugin_added_on_the_shared_volume_reaches_a_subscriber_of_the_other_replica(cluster, shared_dir):
    # Only replica 1 watches: replica 2 hears of the change only through Redis.
    c = cluster(shared_dir, 2, watch=(0,))
    session = open_session(c.url(1))
    stream = Stream(c.url(1), session)
    shutil.copy(built("MOAT_EVERYTHING_WASM"), shared_dir / "everything.wasm")
    stream.next("notifications/tools/list_changed", timeout=60)
    listed = sse_json(call(c.url(1), session, "tools/list", {}))
    assert "touch_watched_resource" in [t["name"] for t in listed["result"]["tools"]]


def test_a_resource_update_on_one_replica_reaches_a_subscriber_of_the_other(cluster, everything_dir):
    c = cluster(everything_dir, 2)
    session = open_session(c.url(1))
    answer = call(c.url(1), session, "resources/subscribe", {"uri": "test://watched-resource"})
    assert answer.status_code == 200 and "error" not in sse_json(answer), answer.text
    stream = Stream(c.url(1), session)
    touched = sse_json(stateless(c.url(0), "tools/call", {"name": "touch_watched_resource", "arguments": {}}))
    assert not touched["result"].get("isError"), touched
    update = stream.next("notifications/resources/updated")
    assert update["params"]["uri"] == "test://watched-resource"


def test_a_moved_session_keeps_its_subscriptions(cluster, everything_dir):
    c = cluster(everything_dir, 2)
    session = open_session(c.url(0))
    answer = call(c.url(0), session, "resources/subscribe", {"uri": "test://watched-resource"})
    assert answer.status_code == 200, answer.text
    # The session moves to replica 2 (restored there, subscriptions with it).
    stream = Stream(c.url(1), session)
    kill(c.replicas[0].process)
    touched = sse_json(call(c.url(1), session, "tools/call", {"name": "touch_watched_resource", "arguments": {}}, id=5))
    assert not touched["result"].get("isError"), touched
    assert stream.next("notifications/resources/updated")["params"]["uri"] == "test://watched-resource"


def test_load_through_haproxy_has_no_errors_while_a_replica_restarts(cluster, shared_dir):
    # --drain-delay: on SIGTERM /readyz answers 503 while the replica goes on
    # serving, so HAProxy (probing every 500 ms) takes it out before it stops
    # accepting. Without it, a request sent on a keep-alive connection just
    # as the replica closes it was lost (seen: 1-2 of ~16,000 in 2 of 6 runs).
    c = cluster(shared_dir, 3, "--drain-delay", "2s")
    stop = threading.Event()
    errors: list[str] = []
    counts = [0] * 8

    def client(n: int):
        with httpx2.Client(timeout=30) as http:
            answer = http.post(c.haproxy.url, headers=JSON_HEADERS, json={
                "jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "load", "version": "1"}}})
            if answer.status_code != 200:
                errors.append(f"initialize: {answer.status_code} {answer.text}")
                return
            session = answer.headers["mcp-session-id"]
            headers = session_headers(session)
            http.post(c.haproxy.url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
            i = 0
            while not stop.is_set() and i < 2000:
                i += 1
                x, y = n + 1, i
                body = {"jsonrpc": "2.0", "id": i + 1, "method": "tools/call",
                        "params": {"name": "mul", "arguments": {"x": x, "y": y}}}
                try:
                    answer = http.post(c.haproxy.url, headers=headers, json=body)
                except httpx2.TransportError as error:
                    errors.append(f"{time.monotonic() - began:.3f}s: mul({x}, {y}): {error!r}")
                    continue
                if answer.status_code != 200:
                    errors.append(f"{answer.status_code} {answer.text[:200]}")
                    continue
                got = sse_json(answer).get("result", {}).get("structuredContent")
                if got != {"result": x * y}:
                    errors.append(f"mul({x}, {y}) = {got}")
                counts[n] += 1

    began = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        running = [pool.submit(client, n) for n in range(8)]
        time.sleep(2)
        # SIGTERM alone, as Kubernetes or podman sends it: the replica takes
        # itself out of the balancer, drains and exits 0.
        c.replicas[1].process.send_signal(signal.SIGTERM)
        assert c.replicas[1].process.wait(timeout=30) == 0
        c.start(1)
        time.sleep(2)
        stop.set()
        for r in running:
            r.result()
    assert errors == [], errors[:5]
    assert all(count > 0 for count in counts), counts


def test_redis_down_leaves_stateless_requests_served_and_says_why_sessions_fail(cluster, shared_dir):
    c = cluster(shared_dir, 2, "--redis-timeout", "500ms")
    c.redis.stop()
    for i in range(2):
        answer = stateless(c.url(i), "tools/call", {"name": "mul", "arguments": {"x": 25, "y": 17}})
        assert sse_json(answer)["result"]["structuredContent"] == {"result": 425}
        refused = initialize(c.url(i))
        assert refused.status_code == 503, refused.text
        error = refused.json()["error"]
        assert "Redis" in error["message"] and error["data"]["limit"] == "--redis-timeout", error
    c.redis.start()
    deadline = time.monotonic() + 30
    while initialize(c.url(0)).status_code != 200:
        assert time.monotonic() < deadline, "sessions never came back with Redis"
        time.sleep(0.2)
    session = open_session(c.url(0))
    assert mul(c.url(1), session)["result"]["structuredContent"] == {"result": 425}
