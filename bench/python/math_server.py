"""The math tools of moat's sample plugin, served by the Python MCP SDK.

The third server of `mcp-bench` (see docs/benchmarks.md): the same four tools
as `plugins/math` (add, sub, mul, div on {x: number, y: number}, answering
structured content {"result": N} and the same JSON as text), written the way
the SDK's documentation writes a server: `MCPServer` (formerly FastMCP) and
one decorated function per tool. The tools are `async def`: the SDK runs a
plain `def` tool on a worker thread, which would add a thread hop per call
that the Rust servers do not pay.

    python math_server.py stdio
    python math_server.py http PORT     # Streamable HTTP at http://127.0.0.1:PORT/mcp

Over HTTP it serves stateless (`stateless_http=True`), answering in SSE
frames as rmcp does by default, and logs only warnings (no access log), as
moat and `native-math` do.
"""

import math
import sys
from typing import TypedDict

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

server = MCPServer("math-python")

PURE = ToolAnnotations(readOnlyHint=True, idempotentHint=True, openWorldHint=False)


class Answer(TypedDict):
    """The structured result of every tool."""

    result: float


def answer(value: float) -> Answer:
    """`value` as the tool's result, or an error as the math plugin reports it.

    Whole floats are written as integers (425, not 425.0), as moat's plugin
    SDK does.
    """
    if not math.isfinite(value):
        raise ToolError("the result is out of range")
    if value.is_integer() and abs(value) <= 2**53:
        return {"result": int(value)}
    return {"result": value}


@server.tool(title="Add", annotations=PURE)
async def add(x: float, y: float) -> Answer:
    """Add two numbers"""
    return answer(x + y)


@server.tool(title="Subtract", annotations=PURE)
async def sub(x: float, y: float) -> Answer:
    """Subtract y from x"""
    return answer(x - y)


@server.tool(title="Multiply", annotations=PURE)
async def mul(x: float, y: float) -> Answer:
    """Multiply two numbers"""
    return answer(x * y)


@server.tool(title="Divide", annotations=PURE)
async def div(x: float, y: float) -> Answer:
    """Divide x by y"""
    if y == 0:
        raise ToolError("division by zero")
    return answer(x / y)


def main(argv: list[str]) -> None:
    """Serves stdio, or Streamable HTTP on 127.0.0.1:PORT."""
    match argv:
        case ["stdio"]:
            server.run("stdio")
        case ["http", port]:
            server.settings.log_level = "WARNING"
            server.run(
                "streamable-http",
                host="127.0.0.1",
                port=int(port),
                stateless_http=True,
            )
        case _:
            sys.exit("usage: math_server.py stdio | http PORT")


if __name__ == "__main__":
    main(sys.argv[1:])
