"""`moat serve --otlp`: a real OTLP/HTTP receiver (otlp_receiver.py, decoding
with the official protobuf definitions) gets a span per request, with the
transport's span as parent, the plugin run as child, and the plugin, tool
and outcome as attributes; over stdio and over Streamable HTTP."""

import json
import os
import shutil
import signal
import subprocess

import pytest
from mcp import Client, StdioServerParameters

from conftest import built
from otlp_receiver import Receiver

pytestmark = pytest.mark.anyio


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def traced_dir(tmp_path):
    shutil.copy(built("MOAT_MATH_WASM"), tmp_path / "math.wasm")
    shutil.copy(built("MOAT_HOSTILE_WASM"), tmp_path / "hostile.wasm")
    (tmp_path / "hostile.toml").write_text('[limits]\ntimeout = "300ms"\n')
    return tmp_path


def by_name(spans, name):
    found = [s for s in spans if s["name"] == name]
    assert len(found) == 1, f"{name}: {[s['name'] for s in spans]}"
    return found[0]


def children(spans, parent, name):
    return [s for s in spans if s["parent_span_id"] == parent["span_id"] and s["name"] == name]


def check_call(spans, tool, plugin, request_outcome, run_outcome, transport):
    """The request span of `tool`, its parent `transport` span and its
    plugin-run child, with their attributes."""
    request = by_name(spans, f"tools/call {tool}")
    attributes = request["attributes"]
    assert attributes["mcp.method.name"] == "tools/call"
    assert attributes["gen_ai.tool.name"] == tool
    assert attributes["gen_ai.operation.name"] == "execute_tool"
    assert attributes["moat.outcome"] == request_outcome
    assert request["kind"] == "SPAN_KIND_SERVER"
    parent = [s for s in spans if s["span_id"] == request["parent_span_id"]]
    assert [s["name"] for s in parent] == [transport], request
    assert parent[0]["trace_id"] == request["trace_id"]
    [run] = children(spans, request, "plugin run")
    assert run["attributes"]["moat.plugin"] == plugin
    assert run["attributes"]["gen_ai.tool.name"] == tool
    assert run["attributes"]["moat.outcome"] == run_outcome
    assert run["trace_id"] == request["trace_id"]
    assert len(children(spans, run, "instance")) == 1
    return request, run


async def test_stdio_requests_are_traced_from_transport_to_plugin_run(moat_bin, traced_dir, receiver):
    server = StdioServerParameters(
        command=moat_bin,
        args=["serve", "--plugins", str(traced_dir), "--otlp", receiver.endpoint],
        env={**os.environ, "MOAT_STARTUP_WAIT": "10m"},
    )
    async with Client(server, mode="legacy", read_timeout_seconds=60) as client:
        assert not (await client.call_tool("add", {"x": 1, "y": 2})).is_error
        stopped = await client.call_tool("spin", {})
        assert stopped.is_error and "time limit" in stopped.content[0].text
    # moat exits when stdin closes, and sends the spans it holds first.
    spans = receiver.wait_for(lambda spans: any(s["name"] == "tools/call spin" for s in spans))
    assert {s["resource"].get("service.name") for s in spans} == {"moat"}
    by_name(spans, "initialize")
    add, add_run = check_call(spans, "add", "math", "ok", "ok", "stdio message")
    assert len(children(spans, add_run, "guest")) == 1
    assert add["status"] != "STATUS_CODE_ERROR"
    spin, spin_run = check_call(spans, "spin", "hostile", "tool_error", "failed", "stdio message")
    assert spin_run["attributes"]["error.type"] == "timeout"
    assert spin_run["status"] == "STATUS_CODE_ERROR"
    assert spin["attributes"]["error.type"] == "tool_error"
    # Only moat's own spans are exported: none of rmcp's or of its logs.
    names = {s["name"] for s in spans}
    assert names <= {"stdio message", "initialize", "tools/list", "tools/call add", "tools/call spin",
                     "plugin run", "instance", "guest"}, names


async def test_http_requests_are_traced_and_flushed_at_sigterm(moat_bin, traced_dir, receiver, serve_http):
    http = serve_http(traced_dir, "--otlp", receiver.endpoint)
    async with Client(http.url, mode="legacy", read_timeout_seconds=60) as client:
        assert not (await client.call_tool("mul", {"x": 6, "y": 7})).is_error
        with pytest.raises(Exception):
            await client.call_tool("no-such-tool", {})
    http.process.send_signal(signal.SIGTERM)
    assert http.process.wait(timeout=30) == 0
    spans = receiver.wait_for(lambda spans: any(s["name"] == "tools/call mul" for s in spans))
    request, _ = check_call(spans, "mul", "math", "ok", "ok", "POST /mcp")
    transport = [s for s in spans if s["span_id"] == request["parent_span_id"]][0]
    assert transport["attributes"]["http.request.method"] == "POST"
    assert transport["attributes"]["http.route"] == "/mcp"
    assert transport["attributes"]["http.response.status_code"] == 200
    assert request["attributes"]["mcp.session.id"]
    unknown = by_name(spans, "tools/call no-such-tool")
    assert unknown["attributes"]["moat.outcome"] == "error"
    assert unknown["attributes"]["rpc.response.status_code"] == "-32602"
    assert unknown["status"] == "STATUS_CODE_ERROR"
    assert not children(spans, unknown, "plugin run")


def test_without_otlp_nothing_is_sent(moat_bin, traced_dir, receiver):
    # No --otlp, no export, even with the standard OTEL_* variable
    # pointing at the receiver.
    env = {**os.environ, "MOAT_STARTUP_WAIT": "10m", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}
    lines = (
        '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",'
        '"capabilities":{},"clientInfo":{"name":"t","version":"1"}}}\n'
        '{"jsonrpc":"2.0","method":"notifications/initialized"}\n'
        '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add","arguments":{"x":1,"y":2}}}\n'
    )
    done = subprocess.run([moat_bin, "serve", "--plugins", str(traced_dir)], input=lines,
                          capture_output=True, text=True, env=env, timeout=120)
    answers = {m.get("id"): m for m in map(json.loads, done.stdout.splitlines())}
    assert answers[2]["result"]["structuredContent"] == {"result": 3}, done.stdout
    assert receiver.requests == 0


async def test_a_collector_that_is_down_costs_no_requests(moat_bin, traced_dir):
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    # Nothing listens on `port` now.
    server = StdioServerParameters(
        command=moat_bin,
        args=["serve", "--plugins", str(traced_dir), "--otlp", f"http://127.0.0.1:{port}"],
        env={**os.environ, "MOAT_STARTUP_WAIT": "10m"},
    )
    async with Client(server, mode="legacy", read_timeout_seconds=60) as client:
        for x in range(5):
            result = await client.call_tool("add", {"x": x, "y": 1})
            assert result.structured_content == {"result": x + 1}
