"""Over Streamable HTTP, a request whose params do not fit its method is
answered `-32602 Invalid params` naming what is wrong, not `-32601 Method
not found` (the handler path both transports share)."""

import json

import httpx2
import pytest

pytestmark = pytest.mark.anyio

META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "1"},
    "io.modelcontextprotocol/clientCapabilities": {},
}


def stateless(url: str, method: str, params: dict) -> dict:
    """One stateless 2026-07-28 request; returns the JSON-RPC answer."""
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": method,
    }
    if isinstance(params.get("name"), str):
        headers["Mcp-Name"] = params["name"]
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": META}}
    answer = httpx2.post(url, headers=headers, json=body, timeout=30)
    for line in answer.text.splitlines():
        if line.startswith("data:") and line[5:].strip():
            return json.loads(line[5:])
    return answer.json()


@pytest.mark.parametrize(
    ("method", "params", "message"),
    [
        ("tools/call", {"name": "mul", "arguments": [1, 2]},
         "tools/call: `arguments` must be an object, got an array"),
        ("tools/call", {"name": "mul", "arguments": "x"},
         'tools/call: `arguments` must be an object, got the string "x"'),
        ("tools/call", {"arguments": {}}, "tools/call: `name` is required"),
        ("resources/read", {}, "resources/read: `uri` is required"),
        ("prompts/get", {"name": 7}, "prompts/get: `name` must be a string, got the number 7"),
    ],
)
async def test_params_that_do_not_fit_are_invalid_params(serve_http, plugin_dir, method, params, message):
    url = serve_http(plugin_dir).url
    answer = stateless(url, method, params)
    assert answer["error"]["code"] == -32602, answer
    assert answer["error"]["message"] == message, answer
    assert answer["id"] == 1

    fits = stateless(url, "tools/call", {"name": "mul", "arguments": {"x": 6, "y": 7}})
    assert fits["result"]["structuredContent"]["result"] == 42.0, fits


def raw_post(url: str, body: bytes) -> httpx2.Response:
    """A stateless POST of `body` as it is."""
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
    }
    return httpx2.post(url, headers=headers, content=body, timeout=30)


@pytest.mark.parametrize(
    ("body", "code", "id"),
    [
        (b'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":[1]}', -32602, 3),
        (b'{"jsonrpc":"2.0","id":null,"method":"ping"}', -32600, None),
        (b'{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}', -32600, None),
        (b'{"jsonrpc":"2.0","id":5,"method":7}', -32600, 5),
        (b"not json", -32700, None),
        (b"[1, 2]", -32600, None),
    ],
)
async def test_a_body_that_is_not_a_request_gets_a_json_rpc_error(serve_http, plugin_dir, body, code, id):
    """rmcp answers such a body with a bare 415; moat answers 400 with the
    JSON-RPC error the spec names, as over stdio."""
    url = serve_http(plugin_dir).url
    answer = raw_post(url, body)
    assert answer.status_code == 400, (answer.status_code, answer.text)
    error = answer.json()
    assert error["error"]["code"] == code, error
    assert error["id"] == id, error

    fits = stateless(url, "tools/call", {"name": "mul", "arguments": {"x": 6, "y": 7}})
    assert fits["result"]["structuredContent"]["result"] == 42.0, fits


async def test_a_notification_rmcp_cannot_read_is_accepted_unanswered(serve_http, plugin_dir):
    url = serve_http(plugin_dir).url
    answer = raw_post(url, b'{"jsonrpc":"2.0","method":"notifications/cancelled","params":[1]}')
    assert answer.status_code == 202, (answer.status_code, answer.text)
    assert answer.text == ""
