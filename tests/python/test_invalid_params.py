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
