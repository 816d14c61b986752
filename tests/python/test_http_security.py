"""What `moat serve --http` refuses before anything reaches a plugin: a
foreign `Origin` (a web page calling through the user's browser), a foreign
`Host` (DNS rebinding), and a missing or wrong bearer token.

Each refused request asks the hostile fixture to write a file into a
directory it is granted; the file must never appear. The same request,
allowed, does write it, so the check can fail."""

import json
import shutil
import subprocess

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import built

pytestmark = pytest.mark.anyio

TOKEN = "s3cret-token-for-tests"


@pytest.fixture
def writer_dir(tmp_path):
    """A plugin directory with `hostile`, allowed to write into `out/`."""
    plugins = tmp_path / "plugins"
    out = tmp_path / "out"
    plugins.mkdir()
    out.mkdir()
    shutil.copy(built("MOAT_HOSTILE_WASM"), plugins / "hostile.wasm")
    (plugins / "hostile.toml").write_text(
        f'[capabilities]\nfiles = [{{ host = "{out}", guest = "/out", access = "read-write" }}]\n'
    )
    return plugins, out


def write_request(name: str) -> tuple[dict, dict]:
    """Headers and body of a stateless 2026-07-28 `tools/call` of `write`."""
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/call",
        "Mcp-Name": "write",
    }
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {
            "name": "write",
            "arguments": {"path": f"/out/{name}", "text": "reached the plugin"},
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
            },
        },
    }
    return headers, body


def post(url: str, name: str, **extra_headers: str) -> httpx2.Response:
    headers, body = write_request(name)
    return httpx2.post(url, headers={**headers, **extra_headers}, json=body, timeout=30)


async def test_foreign_origin_and_host_are_refused_before_any_plugin(serve_http, writer_dir):
    plugins, out = writer_dir
    url = serve_http(plugins).url

    refused = post(url, "from-evil-origin", Origin="http://evil.example")
    assert refused.status_code == 403, refused.text
    assert "Origin" in refused.text

    port = url.split(":")[2].split("/")[0]
    refused = post(url, "from-rebound-host", Host=f"evil.example:{port}")
    assert refused.status_code == 403, refused.text
    assert "Host" in refused.text

    assert list(out.iterdir()) == []

    # Allowed: no Origin (not a browser), then a page served from loopback.
    assert post(url, "plain").status_code == 200
    assert post(url, "local-page", Origin="http://localhost:6274").status_code == 200
    assert sorted(p.name for p in out.iterdir()) == ["local-page", "plain"]


async def test_a_token_is_required_when_configured(serve_http, writer_dir, tmp_path):
    plugins, out = writer_dir
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    http = serve_http(plugins, "--token-file", str(token_file))

    missing = post(http.url, "no-token")
    assert missing.status_code == 401, missing.text
    assert missing.headers["www-authenticate"] == "Bearer"

    wrong = post(http.url, "wrong-token", Authorization="Bearer " + TOKEN[:-1])
    assert wrong.status_code == 401, wrong.text
    assert list(out.iterdir()) == []

    right = post(http.url, "right-token", Authorization="Bearer " + TOKEN)
    assert right.status_code == 200, right.text
    assert (out / "right-token").read_text() == "reached the plugin"

    # The official client, given the token, works in both protocol modes.
    for mode in ["legacy", "2026-07-28"]:
        headers = {"Authorization": "Bearer " + TOKEN}
        async with httpx2.AsyncClient(headers=headers) as session:
            transport = streamable_http_client(http.url, http_client=session)
            async with Client(transport, mode=mode, read_timeout_seconds=30) as client:
                result = await client.call_tool("echo", {"text": mode})
                assert not result.is_error, result
                assert mode in result.content[0].text

    assert "refused an HTTP request" in http.stop()


async def test_listening_beyond_loopback_needs_a_token(moat_bin, plugin_dir):
    done = subprocess.run(
        [moat_bin, "serve", "--http", "0.0.0.0:0", "--plugins", str(plugin_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--token-file" in done.stderr
    assert done.stdout == ""


def stateless_call(url: str, tool: str, **params) -> dict:
    """One stateless 2026-07-28 `tools/call`; returns the JSON-RPC answer."""
    headers, body = write_request("unused")
    headers["Mcp-Name"] = tool
    body["params"].update(name=tool, arguments={}, **params)
    body["params"]["_meta"]["io.modelcontextprotocol/clientCapabilities"] = {"elicitation": {}}
    answer = httpx2.post(url, headers=headers, json=body, timeout=30)
    for line in answer.text.splitlines():
        if line.startswith("data:") and line[5:].strip():
            return json.loads(line[5:])
    return answer.json()


async def test_a_request_state_cannot_be_replayed_into_another_request(serve_http, tmp_path):
    """Both tools ask the user to confirm under the key `confirm`. The sealed
    state of one, with its answer, must not unlock the other."""
    shutil.copy(built("MOAT_EVERYTHING_WASM"), tmp_path / "everything.wasm")
    url = serve_http(tmp_path).url

    first = stateless_call(url, "test_input_required_result_request_state")
    assert first["result"]["resultType"] == "input_required", first
    state = first["result"]["requestState"]
    confirmed = {"confirm": {"action": "accept", "content": {"ok": True}}}

    # The same request, retried with its own state, completes.
    retried = stateless_call(url, "test_input_required_result_request_state", inputResponses=confirmed, requestState=state)
    assert retried["result"]["resultType"] == "complete", retried

    # The state carried into a different tool is refused.
    replayed = stateless_call(url, "test_input_required_result_tampered_state", inputResponses=confirmed, requestState=state)
    assert replayed["error"]["code"] == -32602, replayed
    assert "requestState" in replayed["error"]["message"]
