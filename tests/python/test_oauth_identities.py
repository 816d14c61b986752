"""What each OAuth identity may do: its own sessions only, the tools its
policy allows (the rest absent from its list, and a call to one refused
with 403 `insufficient_scope` naming the scope that would grant it), and a
rate limit of its own. Real tokens from the real OpenID provider, for two
clients (`moat-test`, with scopes `mcp:tools mcp:admin`, and `moat-reader`,
with `mcp:tools`), checked by the real `moat serve --http --auth`."""

import json
import shutil
import subprocess
import time

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import built
from oidc import NODE, READER, ROOT, call, result_of

pytestmark = pytest.mark.anyio

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}

# Everyone with `mcp:tools` may add and multiply; only `mcp:admin` may divide.
POLICY = """
@scope("mcp:tools")
permit(principal, action == Moat::Action::"call_tool", resource == Moat::Tool::"add")
  when { principal.kind == "oauth" && principal.scopes.contains("mcp:tools") };

@scope("mcp:tools")
permit(principal, action == Moat::Action::"call_tool", resource == Moat::Tool::"mul")
  when { principal.kind == "oauth" && principal.scopes.contains("mcp:tools") };

@scope("mcp:admin")
permit(principal, action == Moat::Action::"call_tool", resource in Moat::Plugin::"math")
  when { principal.scopes.contains("mcp:admin") };
"""


def headers(token: str, session: str | None = None) -> dict:
    h = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    if session:
        h["Mcp-Session-Id"] = session
        h["MCP-Protocol-Version"] = "2025-11-25"
    return h


async def tools_of(url: str, token: str) -> list[str]:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as session:
        transport = streamable_http_client(url, http_client=session)
        async with Client(transport, mode="legacy", read_timeout_seconds=30) as client:
            return [t.name for t in (await client.list_tools()).tools]


async def test_a_session_answers_only_the_identity_that_opened_it(serve_http, oidc, plugin_dir):
    oidc.start()
    http = serve_http(plugin_dir, "--auth", str(oidc.auth_file()), addr=oidc.moat_addr)
    owner, other = oidc.token(), oidc.token(client=READER)
    opened = httpx2.post(http.url, headers=headers(owner), json=INITIALIZE, timeout=30)
    assert opened.status_code == 200, opened.text
    session = opened.headers["mcp-session-id"]
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    # The other identity, with a valid token of its own, is told the session does not exist...
    for method, body in (("POST", listing), ("GET", None), ("DELETE", None)):
        stolen = httpx2.request(method, http.url, headers=headers(other, session), json=body, timeout=30)
        assert stolen.status_code == 404, (method, stolen.status_code, stolen.text)
        assert "Session not found" in stolen.text
    # ...and the session is still there, and still its owner's.
    httpx2.post(http.url, headers=headers(owner, session), json={"jsonrpc": "2.0", "method": "notifications/initialized"}, timeout=30)
    mine = httpx2.post(http.url, headers=headers(owner, session), json=listing, timeout=30)
    assert mine.status_code == 200, mine.text
    assert "mul" in mine.text
    assert "refused a request on a session another identity holds" in http.stop()


async def test_each_identity_sees_and_calls_only_what_its_scopes_allow(serve_http, oidc, plugin_dir, tmp_path):
    oidc.start()
    policy = tmp_path / "policy.cedar"
    policy.write_text(POLICY)
    http = serve_http(plugin_dir, "--auth", str(oidc.auth_file()), "--policy", str(policy), addr=oidc.moat_addr)
    admin = oidc.token(scope="mcp:tools mcp:admin")
    reader = oidc.token(client=READER)
    assert await tools_of(http.url, admin) == ["add", "sub", "mul", "div"]
    assert await tools_of(http.url, reader) == ["add", "mul"]
    assert result_of(call(http.url, reader))["structuredContent"] == {"result": 425}
    refused = call(http.url, reader, tool="div", arguments={"x": 8, "y": 2})
    assert refused.status_code == 403, refused.text
    challenge = refused.headers["www-authenticate"]
    assert challenge.startswith("Bearer "), challenge
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="mcp:admin"' in challenge
    assert f'resource_metadata="{oidc.metadata_url()}"' in challenge
    assert refused.json()["error"]["code"] == -32003
    assert result_of(call(http.url, admin, tool="div", arguments={"x": 8, "y": 2}))["structuredContent"] == {"result": 4}
    http.stop()


async def test_a_rate_limit_is_per_identity_and_recovers(serve_http, oidc, plugin_dir):
    oidc.start()
    http = serve_http(plugin_dir, "--auth", str(oidc.auth_file()), "--rate-limit-identity", "2/s", addr=oidc.moat_addr)
    busy, quiet = oidc.token(), oidc.token(client=READER)
    for _ in range(2):
        assert result_of(call(http.url, busy))["structuredContent"] == {"result": 425}
    limited = call(http.url, busy)
    assert limited.status_code == 429, limited.text
    assert limited.headers["retry-after"] == "1"
    assert "rate" in limited.json()["error"]["message"]
    # Another identity is not held back by the first one's calls.
    assert result_of(call(http.url, quiet))["structuredContent"] == {"result": 425}
    time.sleep(1.2)
    assert result_of(call(http.url, busy))["structuredContent"] == {"result": 425}
    http.stop()


READ_POLICY = """
permit(principal, action == Moat::Action::"call_tool", resource);

@scope("mcp:admin")
permit(principal, action == Moat::Action::"read_resource", resource)
  when { principal.scopes.contains("mcp:admin") };
"""


async def test_a_resource_change_reaches_only_the_identities_that_may_read_it(serve_http, oidc, tmp_path):
    """Both identities subscribe to the same resource (a 2025-11-25 session
    each, and a 2026-07-28 listen stream each); only the one that may read
    it hears that it changed."""
    everything = tmp_path / "plugins"
    everything.mkdir()
    shutil.copy(built("MOAT_EVERYTHING_WASM"), everything / "everything.wasm")
    policy = tmp_path / "policy.cedar"
    policy.write_text(READ_POLICY)
    oidc.start()
    http = serve_http(everything, "--auth", str(oidc.auth_file()), "--policy", str(policy), addr=oidc.moat_addr)
    admin, reader = oidc.token(scope="mcp:tools mcp:admin"), oidc.token(client=READER)
    heard = {"admin": [], "reader": []}
    uri = "test://watched-resource"

    def listener(who):
        async def on_message(message):
            if getattr(message, "method", None) == "notifications/resources/updated":
                heard[who].append(message.params.uri)
        return on_message

    async def session(token, who, mode):
        http_client = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"})
        transport = streamable_http_client(http.url, http_client=http_client)
        return http_client, Client(transport, mode=mode, read_timeout_seconds=30, message_handler=listener(who))

    # 2025-11-25: resources/subscribe in a session.
    a_http, a = await session(admin, "admin", "legacy")
    r_http, r = await session(reader, "reader", "legacy")
    async with a_http, r_http, a, r:
        await a.subscribe_resource(uri)
        await r.subscribe_resource(uri)
        await r.call_tool("touch_watched_resource", {})
        with anyio.fail_after(10):
            while not heard["admin"]:
                await anyio.sleep(0.05)
        await a.call_tool("touch_watched_resource", {})
        with anyio.fail_after(10):
            while len(heard["admin"]) < 2:
                await anyio.sleep(0.05)
        await anyio.sleep(0.5)
    assert heard == {"admin": [uri, uri], "reader": []}

    # 2026-07-28: a subscriptions/listen stream.
    events = {"admin": [], "reader": []}
    a_http, a = await session(admin, "admin", "2026-07-28")
    r_http, r = await session(reader, "reader", "2026-07-28")
    async with a_http, r_http, a, r:
        async with a.listen(resource_subscriptions=[uri]) as a_changes, r.listen(resource_subscriptions=[uri]) as r_changes:
            async def drain(changes, who):
                async for event in changes:
                    events[who].append(repr(event))

            async with anyio.create_task_group() as group:
                group.start_soon(drain, a_changes, "admin")
                group.start_soon(drain, r_changes, "reader")
                await r.call_tool("touch_watched_resource", {})
                with anyio.fail_after(10):
                    while not events["admin"]:
                        await anyio.sleep(0.05)
                await anyio.sleep(0.5)
                group.cancel_scope.cancel()
    assert uri in events["admin"][0], events
    assert events["reader"] == [], events
    http.stop()


def test_a_desktop_client_registers_sends_its_user_to_log_in_and_calls_as_that_user(serve_http, oidc, plugin_dir, tmp_path):
    """The TypeScript SDK as a desktop client uses it: the 401, discovery,
    dynamic registration, the authorization code with PKCE after its user
    logs in and consents at the provider (tests/oidc/sdk-code-client.mjs
    plays the user's browser), the token, the call; the call is made as
    the user who logged in, and the audit log says so."""
    oidc.start()
    audit = tmp_path / "audit.jsonl"
    http = serve_http(plugin_dir, "--auth", str(oidc.auth_file()), "--audit", str(audit), addr=oidc.moat_addr)
    done = subprocess.run(
        [NODE, str(ROOT / "tests" / "oidc" / "sdk-code-client.mjs"), http.url, "ada"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "tools": ["add", "sub", "mul", "div"],
        "result": {"result": 425},
        "scope": "mcp:tools mcp:admin",
        "client": "registered",
    }
    http.stop()
    calls = [json.loads(line) for line in audit.read_text().splitlines()]
    calls = [c for c in calls if c.get("method") == "tools/call"]
    assert [(c["identity"], c["target"]) for c in calls] == [("ada", "mul")], calls
