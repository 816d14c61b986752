"""What a load balancer or Kubernetes sees of `moat serve --http`: the probes
`/healthz` and `/readyz`, the drain on SIGTERM, and the `requestState` key
that replicas share (`--state-key-file`).

Each moat here is the real binary with real plugins; the clients are the
official Python SDK and plain HTTP."""

import json
import shutil
import signal
import socket
import subprocess
import threading
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client

from conftest import built
from test_http_security import stateless_call, write_request

pytestmark = pytest.mark.anyio

TOKEN = "a-token-for-the-probe-tests"


def get(url: str, path: str) -> httpx2.Response:
    base = url.removesuffix("/mcp")
    return httpx2.get(base + path, timeout=30)


def logged(http, text: str) -> None:
    """Waits for `text` in moat's log, which another thread reads."""
    wait_for(lambda: text in "".join(http.log), f"{text!r} in the log")


def port_of(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").removesuffix("/mcp").rsplit(":", 1)
    return host, int(port)


def refuses_connections(url: str) -> bool:
    try:
        with socket.create_connection(port_of(url), timeout=5):
            return False
    except ConnectionRefusedError:
        return True


def wait_for(predicate, what: str, seconds: float = 30) -> None:
    """A safety net for something that happens soon, not a speed check."""
    done = threading.Event()
    for _ in range(int(seconds * 10)):
        if predicate():
            return
        done.wait(0.1)
    pytest.fail(f"{what} did not happen within {seconds} s")


def test_probes_need_no_credential_and_name_no_plugin(serve_http, plugin_dir, tmp_path):
    (plugin_dir / "garbage.wasm").unlink()
    token = tmp_path / "token"
    token.write_text(TOKEN)
    http = serve_http(plugin_dir, "--token-file", str(token))

    healthz = get(http.url, "/healthz")
    assert (healthz.status_code, healthz.text) == (200, "ok\n")
    readyz = get(http.url, "/readyz")
    assert (readyz.status_code, readyz.text) == (200, "ready\n")
    assert readyz.headers["cache-control"] == "no-store"
    # The MCP endpoint itself still wants the token.
    assert httpx2.post(http.url, json={}, timeout=30).status_code == 401


def test_not_ready_while_a_plugin_is_refused_and_ready_once_it_is_gone(serve_http, plugin_dir):
    # plugin_dir holds math.wasm and garbage.wasm, which cannot load.
    http = serve_http(plugin_dir, "--watch")
    readyz = get(http.url, "/readyz")
    assert (readyz.status_code, readyz.text) == (503, "not ready\n")
    assert "garbage" not in readyz.text
    # The reason reaches the log (read by another thread) soon after.
    wait_for(
        lambda: any("not ready: not served:" in line and "garbage.wasm" in line for line in http.log),
        "the reason in the log",
    )
    # Liveness is another matter: the process serves.
    assert get(http.url, "/healthz").status_code == 200

    (plugin_dir / "garbage.wasm").unlink()
    wait_for(lambda: get(http.url, "/readyz").status_code == 200, "ready after the bad plugin left")


def test_not_ready_while_the_lock_names_a_plugin_not_served(moat_bin, serve_http, plugin_dir, tmp_path):
    (plugin_dir / "garbage.wasm").unlink()
    subprocess.run([moat_bin, "lock", "--plugins", str(plugin_dir)], check=True, capture_output=True, timeout=120)
    # The lock names math; a replica whose math did not arrive is not ready.
    empty = tmp_path / "empty"
    empty.mkdir()
    http = serve_http(empty, "--locked", "--lock", str(plugin_dir / "moat.lock"))
    assert get(http.url, "/readyz").status_code == 503
    wait_for(lambda: any("math (locked)" in line for line in http.log), "the reason in the log")

    served = serve_http(plugin_dir, "--locked")
    assert get(served.url, "/readyz").status_code == 200


@pytest.fixture
def sleeper_dir(tmp_path) -> Path:
    """The hostile fixture, whose `sleep` tool takes as long as asked."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    shutil.copy(built("MOAT_HOSTILE_WASM"), plugins / "hostile.wasm")
    (plugins / "hostile.toml").write_text('[limits]\ntimeout = "60s"\n')
    return plugins


def test_sigterm_lets_a_call_in_flight_finish_and_exits_0(serve_http, sleeper_dir):
    http = serve_http(sleeper_dir, "--drain-timeout", "30s", "--http-metrics")
    call, answers = sigterm_during_call(http, 3000)
    # It stops accepting at once, with the call still running.
    wait_for(lambda: refuses_connections(http.url), "refusing new connections")
    assert http.process.poll() is None
    call.join(timeout=60)
    [answer] = answers
    assert answer["result"]["structuredContent"] == {"slept_ms": 3000}, answer
    assert http.process.wait(timeout=60) == 0
    logged(http, "waiting up to 30s for 1 request(s) in flight")
    logged(http, "stopping: drained")


def sigterm_during_call(http, ms: int) -> tuple[threading.Thread, list]:
    """Starts a `sleep` call of `ms`, then sends moat SIGTERM while it runs;
    the thread making the call, and the list its answer goes to."""
    answers = []
    call = threading.Thread(target=lambda: answers.append(sleep_call(http.url, ms)))
    call.start()
    wait_for(lambda: running(http), "the call running in the plugin")
    http.process.send_signal(signal.SIGTERM)
    return call, answers


def running(http) -> bool:
    """Whether the hostile plugin has a run in progress (`--http-metrics`)."""
    metrics = get(http.url, "/metrics").text
    return 'moat_instances_in_use{plugin="hostile"} 1' in metrics


def sleep_call(url: str, ms: int) -> dict:
    """A stateless `tools/call` of the hostile fixture's `sleep`; the
    JSON-RPC answer, or the error that ended it."""
    headers, body = write_request("unused")
    headers["Mcp-Name"] = "sleep"
    body["params"].update(name="sleep", arguments={"ms": ms})
    try:
        answer = httpx2.post(url, headers=headers, json=body, timeout=90)
    except httpx2.HTTPError as error:
        return {"cut": repr(error)}
    for line in answer.text.splitlines():
        if line.startswith("data:") and line[5:].strip():
            return json.loads(line[5:])
    return answer.json()


async def test_sigterm_ends_open_sessions_and_streams_without_waiting_for_the_deadline(serve_http, plugin_dir):
    (plugin_dir / "garbage.wasm").unlink()
    # A deadline far longer than the safety net below: if the session's
    # stream held the drain, the process would still be running then.
    http = serve_http(plugin_dir, "--drain-timeout", "10m")
    async with Client(http.url, mode="legacy", read_timeout_seconds=30) as client:
        assert (await client.call_tool("mul", {"x": 25, "y": 17})).structured_content == {"result": 425}
        http.process.send_signal(signal.SIGTERM)
        code = await anyio.to_thread.run_sync(lambda: http.process.wait(timeout=30))
    assert code == 0
    logged(http, "stopping: drained")


def test_a_call_past_the_drain_timeout_is_cut_off_and_moat_still_exits_0(serve_http, sleeper_dir):
    http = serve_http(sleeper_dir, "--drain-timeout", "1s", "--http-metrics")
    call, answers = sigterm_during_call(http, 40000)
    assert http.process.wait(timeout=30) == 0
    call.join(timeout=60)
    [answer] = answers
    assert "cut" in answer, answer
    logged(http, "1 request(s) still in flight after --drain-timeout 1s")


def test_a_request_state_round_finishes_on_another_replica_with_the_same_key(serve_http, tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    shutil.copy(built("MOAT_EVERYTHING_WASM"), plugins / "everything.wasm")
    key = tmp_path / "state.key"
    key.write_text("c2hhcmVkIGJ5IGV2ZXJ5IHJlcGxpY2Egb2YgdGhpcyBkZXBsb3ltZW50\n")
    first = serve_http(plugins, "--state-key-file", str(key))
    second = serve_http(plugins, "--state-key-file", str(key))
    stranger = serve_http(plugins)
    tool = "test_input_required_result_request_state"
    confirmed = {"confirm": {"action": "accept", "content": {"ok": True}}}

    asked = stateless_call(first.url, tool)
    assert asked["result"]["resultType"] == "input_required", asked
    state = asked["result"]["requestState"]

    finished = stateless_call(second.url, tool, inputResponses=confirmed, requestState=state)
    assert finished["result"]["resultType"] == "complete", finished
    # A replica with a key of its own cannot open it.
    refused = stateless_call(stranger.url, tool, inputResponses=confirmed, requestState=state)
    assert refused["error"]["code"] == -32602, refused


@pytest.mark.parametrize("contents", [b"", b"too short\n", b"x" * 5000])
def test_a_bad_state_key_file_stops_moat_naming_it(moat_bin, plugin_dir, tmp_path, contents):
    key = tmp_path / "state.key"
    key.write_bytes(contents)
    done = subprocess.run(
        [moat_bin, "serve", "--http", "127.0.0.1:0", "--plugins", str(plugin_dir), "--state-key-file", str(key)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert str(key) in done.stderr and "32 to 4096" in done.stderr, done.stderr
    assert done.stdout == ""


async def test_sigterm_ends_a_listen_stream_gracefully(serve_http, plugin_dir):
    (plugin_dir / "garbage.wasm").unlink()
    http = serve_http(plugin_dir, "--watch", "--drain-timeout", "10m")
    async with Client(http.url, mode="2026-07-28", read_timeout_seconds=30) as client:
        async with client.listen(tools_list_changed=True) as changes:
            http.process.send_signal(signal.SIGTERM)
            # A graceful close ends the loop; a dropped stream would raise.
            # The bound is a safety net, far inside the 10 min deadline.
            with anyio.fail_after(30):
                async for event in changes:
                    pytest.fail(f"no change was made, yet heard {event}")
        code = await anyio.to_thread.run_sync(lambda: http.process.wait(timeout=30))
    assert code == 0
    logged(http, "stopping: drained")


async def test_with_a_drain_delay_it_answers_not_ready_and_goes_on_serving_first(serve_http, plugin_dir):
    (plugin_dir / "garbage.wasm").unlink()
    http = serve_http(plugin_dir, "--drain-delay", "5s", "--drain-timeout", "1s")
    assert get(http.url, "/readyz").status_code == 200
    http.process.send_signal(signal.SIGTERM)
    wait_for(lambda: get(http.url, "/readyz").status_code == 503, "not ready after SIGTERM")
    # Still serving, on a new connection, while balancers take it out.
    async with Client(http.url, mode="2026-07-28", read_timeout_seconds=30) as client:
        assert (await client.call_tool("mul", {"x": 25, "y": 17})).structured_content == {"result": 425}
    assert http.process.poll() is None
    assert get(http.url, "/healthz").status_code == 200
    wait_for(lambda: any("still serving for 5s (--drain-delay)" in line for line in http.log), "the delay logged")
