"""The official Python MCP client against `moat serve`, over stdio and over
Streamable HTTP, in each protocol mode."""

import json

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

pytestmark = pytest.mark.anyio

# "legacy" is the 2025-11-25 initialize handshake; "2026-07-28" the stateless
# form; "auto" probes server/discover and picks.
MODES = ["legacy", "2026-07-28", "auto"]


TRANSPORTS = ["stdio", "http"]


@pytest.fixture(params=TRANSPORTS)
def client(request, moat_bin, plugin_dir, serve_http):
    """Makes a client of moat serving `plugin_dir` over the transport under test."""
    if request.param == "stdio":
        server = StdioServerParameters(command=moat_bin, args=["serve", "--plugins", str(plugin_dir)])
    else:
        server = serve_http(plugin_dir).url
    return lambda mode: Client(server, mode=mode, read_timeout_seconds=30)


@pytest.mark.parametrize("mode", MODES)
async def test_lists_the_math_tools_with_schemas(client, mode):
    async with client(mode) as c:
        tools = (await c.list_tools()).tools
        assert [t.name for t in tools] == ["add", "sub", "mul", "div"]
        for tool in tools:
            assert tool.input_schema["type"] == "object"
            assert tool.input_schema["properties"]["x"]["type"] == "number"
            assert sorted(tool.input_schema["required"]) == ["x", "y"]
            assert tool.output_schema["properties"]["result"]["type"] == "number"


@pytest.mark.parametrize("mode", MODES)
async def test_calls_each_tool(client, mode):
    async with client(mode) as c:
        for name, x, y, expected in [("add", 2, 3, 5), ("sub", 2, 3, -1), ("mul", 25, 17, 425), ("div", 1, 4, 0.25)]:
            result = await c.call_tool(name, {"x": x, "y": y})
            assert not result.is_error, result
            assert result.structured_content == {"result": expected}
            assert json.loads(result.content[0].text) == {"result": expected}


@pytest.mark.parametrize("mode", MODES)
async def test_tool_errors_and_protocol_errors(client, mode):
    async with client(mode) as c:
        result = await c.call_tool("div", {"x": 1, "y": 0})
        assert result.is_error
        assert "division by zero" in result.content[0].text

        result = await c.call_tool("add", {"x": 1})
        assert result.is_error
        assert "`y`" in result.content[0].text

        result = await c.call_tool("add", {"x": "one", "y": 2})
        assert result.is_error
        assert "x" in result.content[0].text

        with pytest.raises(MCPError) as raised:
            await c.call_tool("pow", {"x": 2, "y": 8})
        assert raised.value.error.code == -32602
        assert "pow" in raised.value.error.message

        # Still serving after every failure above.
        result = await c.call_tool("mul", {"x": 25, "y": 17})
        assert result.structured_content == {"result": 425}


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_connected_client_is_told_when_tools_change(moat_bin, plugin_dir, serve_http, transport):
    """`--watch`: a plugin dropped into the directory reaches a connected
    (legacy-mode) client as `notifications/tools/list_changed`."""
    changed = anyio.Event()

    async def on_message(message):
        if getattr(message, "method", None) == "notifications/tools/list_changed":
            changed.set()

    if transport == "stdio":
        server = StdioServerParameters(command=moat_bin, args=["serve", "--watch", "--plugins", str(plugin_dir)])
    else:
        server = serve_http(plugin_dir, "--watch").url
    async with Client(server, mode="legacy", read_timeout_seconds=30, message_handler=on_message) as c:
        assert [t.name for t in (await c.list_tools()).tools] == ["add", "sub", "mul", "div"]
        (plugin_dir / "math.toml").write_text('[tools]\nprefix = "m"\n')
        with anyio.fail_after(30):
            await changed.wait()
        assert [t.name for t in (await c.list_tools()).tools] == ["m_add", "m_sub", "m_mul", "m_div"]
