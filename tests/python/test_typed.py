"""A plain typed component (tests/fixtures/typed: wit-bindgen alone, no SDK)
served to the official Python MCP client, over stdio and Streamable HTTP, in
each protocol mode: its functions are tools with exact schemas, results are
structured, and bad arguments are refused naming the path."""

import json
import shutil
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from conftest import built

pytestmark = pytest.mark.anyio

MODES = ["legacy", "2026-07-28", "auto"]


@pytest.fixture
def typed_dir(tmp_path: Path) -> Path:
    shutil.copy(built("MOAT_TYPED_WASM"), tmp_path / "typed.wasm")
    return tmp_path


@pytest.fixture(params=["stdio", "http"])
def client(request, moat_bin, typed_dir, serve_http):
    if request.param == "stdio":
        server = StdioServerParameters(command=moat_bin, args=["serve", "--plugins", str(typed_dir)])
    else:
        server = serve_http(typed_dir).url
    return lambda mode: Client(server, mode=mode, read_timeout_seconds=30)


@pytest.mark.parametrize("mode", MODES)
async def test_functions_are_tools_with_exact_schemas(client, mode):
    async with client(mode) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        assert {"add", "mul", "kinds_add", "point-of"} <= tools.keys()
        mul = tools["mul"]
        assert mul.input_schema == {
            "type": "object",
            "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
            "required": ["x", "y"],
            "additionalProperties": False,
        }
        assert mul.output_schema["required"] == ["result"]
        ints = tools["ints"].input_schema["properties"]
        assert ints["h"] == {"type": "integer", "minimum": 0, "maximum": 18446744073709551615}


@pytest.mark.parametrize("mode", MODES)
async def test_calls_cross_both_ways(client, mode):
    async with client(mode) as c:
        result = await c.call_tool("mul", {"x": 25, "y": 17})
        assert not result.is_error, result
        assert result.structured_content == {"result": 425}
        assert json.loads(result.content[0].text) == {"result": 425}

        point = {"x": 1.5, "y": -2}
        result = await c.call_tool("point-of", {"p": point})
        assert result.structured_content == point

        result = await c.call_tool("div", {"x": 1, "y": 0})
        assert result.is_error
        assert result.content[0].text == "cannot divide 1 by zero"

        result = await c.call_tool("point-of", {"p": {"x": "a", "y": 1}})
        assert result.is_error
        assert "/p/x" in result.content[0].text
