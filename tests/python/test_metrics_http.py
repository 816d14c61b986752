"""`moat serve --http --http-metrics`: /metrics on the MCP listener, behind
the same bearer token, counting every method, the tool calls, and the open
sessions and connections."""

import re
import urllib.error
import urllib.request

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

pytestmark = pytest.mark.anyio


def scrape(url: str, token: str | None) -> tuple[int, str]:
    request = urllib.request.Request(url.replace("/mcp", "/metrics"))
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def value(text: str, series: str) -> float:
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no {series} in:\n{text}")


async def test_metrics_on_the_http_listener_behind_its_token(plugin_dir, serve_http, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("mcp-secret\n")
    http = serve_http(plugin_dir, "--token-file", str(token_file), "--http-metrics")
    assert scrape(http.url, None)[0] == 401
    assert scrape(http.url, "wrong")[0] == 401
    headers = {"Authorization": "Bearer mcp-secret"}
    async with httpx2.AsyncClient(headers=headers) as session:
        transport = streamable_http_client(http.url, http_client=session)
        async with Client(transport, mode="legacy", read_timeout_seconds=30) as client:
            for _ in range(3):
                assert not (await client.call_tool("add", {"x": 1, "y": 2})).is_error
            status, text = scrape(http.url, "mcp-secret")
            assert status == 200
            assert value(text, "moat_http_sessions_open") == 1
            assert value(text, "moat_http_connections_open") >= 1
    series = 'moat_tool_calls_total{gen_ai_tool_name="add",outcome="ok",plugin="math"}'
    assert value(text, series) == 3
    assert value(text, 'moat_requests_total{mcp_method_name="initialize"}') == 1
    assert value(text, 'moat_requests_total{mcp_method_name="notifications/initialized"}') == 1
    # Every request (the SDK also lists the tools), made with the shared token.
    requests = sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("moat_requests_total{") and "notifications/" not in line
    )
    assert requests >= 4
    assert value(text, 'moat_identity_requests_total{identity="token"}') == requests
    # The garbage plugin of plugin_dir was refused at load.
    assert value(text, "moat_plugin_refusals_total") == 1
    assert value(text, "moat_plugins_loaded") == 1
    assert re.search(r'^mcp_server_operation_duration_seconds_bucket\{mcp_method_name="tools/call",le="0.0001"\}', text, re.M)
    # Series come only from the host's own names.
    assert "no-such" not in text


async def test_without_http_metrics_there_is_no_metrics_route(plugin_dir, serve_http):
    http = serve_http(plugin_dir)
    assert scrape(http.url, None)[0] == 404
