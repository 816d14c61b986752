"""`moat serve --http --auth FILE`: an OAuth 2.1 resource server per the MCP
authorization spec, against a real OpenID provider (oidc-provider, on
loopback) and the official Python MCP client.

Each refused request is one a valid token would have let through (the test
shows that too), so that a refusal cannot pass by accident."""

import base64
import hashlib
import hmac
import json
import shutil
import subprocess
import time

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import built
from oidc import Key, call, result_of

pytestmark = pytest.mark.anyio

MODES = ["legacy", "2026-07-28"]


def serve(serve_http, oidc, plugins, **auth):
    return serve_http(plugins, "--auth", str(oidc.auth_file(**auth)), addr=oidc.moat_addr)


async def sdk_mul(url: str, token: str, mode: str):
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(headers=headers) as session:
        transport = streamable_http_client(url, http_client=session)
        async with Client(transport, mode=mode, read_timeout_seconds=30) as client:
            tools = [t.name for t in (await client.list_tools()).tools]
            assert tools == ["add", "sub", "mul", "div"]
            result = await client.call_tool("mul", {"x": 25, "y": 17})
            assert not result.is_error, result
            assert result.structured_content == {"result": 425}


@pytest.mark.parametrize("mode", MODES)
async def test_a_valid_token_lists_and_calls_through_the_sdk(serve_http, oidc, plugin_dir, mode):
    oidc.start()
    http = serve(serve_http, oidc, plugin_dir)
    await sdk_mul(http.url, oidc.token(), mode)
    # The identity is the token's subject.
    assert "refused" not in http.stop()


async def test_no_token_gets_401_with_the_metadata_link_and_the_metadata_is_served(serve_http, oidc, plugin_dir):
    oidc.start()
    http = serve(serve_http, oidc, plugin_dir)
    refused = call(http.url, None)
    assert refused.status_code == 401, refused.text
    assert refused.headers["www-authenticate"] == (
        f'Bearer resource_metadata="{oidc.metadata_url()}", scope="mcp:tools mcp:admin"'
    )
    assert "Authorization: Bearer" in refused.text

    expected = {
        "resource": oidc.resource,
        "authorization_servers": [oidc.issuer],
        "scopes_supported": ["mcp:tools", "mcp:admin"],
        "bearer_methods_supported": ["header"],
    }
    base = f"http://{oidc.moat_addr}"
    for path in ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]:
        document = httpx2.get(base + path, timeout=30)
        assert document.status_code == 200, path
        assert document.headers["content-type"] == "application/json"
        assert document.json() == expected

    # A malformed Authorization header is refused as such.
    refused = httpx2.post(http.url, headers={"Authorization": "Basic eDp5"}, json={}, timeout=30)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].endswith(', error="invalid_request"')

    assert result_of(call(http.url, oidc.token()))["structuredContent"] == {"result": 425}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(claims: dict) -> str:
    return f"{b64(json.dumps({'alg': 'none', 'typ': 'at+jwt'}).encode())}.{b64(json.dumps(claims).encode())}."


def hs256_with_public_key(claims: dict, key: Key) -> str:
    """The classic confusion attack: HS256 'signed' with the RSA public key."""
    header = b64(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": key.kid}).encode())
    payload = b64(json.dumps(claims).encode())
    signature = hmac.new(key.public_pem(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


BAD_TOKENS = {
    "wrong audience": (lambda o: o.token(resource=o.other_resource), "audience"),
    "expired": (lambda o: o.forge(o.keys[0], iat=int(time.time()) - 7200, exp=int(time.time()) - 3600), "expired"),
    "not yet valid": (lambda o: o.forge(o.keys[0], nbf=int(time.time()) + 3600), "not valid yet"),
    "foreign key": (lambda o: o.forge(Key(o.keys[0].kid)), "signature does not verify"),
    "foreign kid": (lambda o: o.forge(Key("nobody-publishes-this")), "no key"),
    "alg none": (lambda o: unsigned(o.claims()), "unsigned"),
    "hs256 with the public key": (lambda o: hs256_with_public_key(o.claims(), o.keys[0]), "HS256"),
    "untrusted issuer": (lambda o: o.forge(o.keys[0], iss="https://evil.example.com"), "not trusted"),
    "no expiry": (lambda o: o.forge(o.keys[0], exp=None), "`exp`"),
    "not a jwt": (lambda o: "opaque-garbage", "not a JWT"),
}


async def test_bad_tokens_get_401_naming_the_fault(serve_http, oidc, plugin_dir):
    oidc.start()
    http = serve(serve_http, oidc, plugin_dir)
    assert result_of(call(http.url, oidc.forge(oidc.keys[0])))["structuredContent"] == {"result": 425}
    tokens = {}
    for name, (make, words) in BAD_TOKENS.items():
        token = make(oidc)
        tokens[name] = token
        refused = call(http.url, token)
        assert refused.status_code == 401, f"{name}: {refused.status_code} {refused.text}"
        challenge = refused.headers["www-authenticate"]
        expected = f'Bearer resource_metadata="{oidc.metadata_url()}", scope="mcp:tools mcp:admin", error="invalid_token", error_description="'
        assert challenge.startswith(expected), f"{name}: {challenge}"
        assert words in refused.text, f"{name}: {refused.text}"
        assert token not in refused.text and token not in challenge, name
    log = http.stop()
    assert log.count("refused an HTTP request") >= len(BAD_TOKENS)
    for name, token in tokens.items():
        assert token not in log, f"the {name} token was logged"


async def test_key_rotation_keeps_valid_tokens_working(serve_http, oidc, plugin_dir):
    old = oidc.keys[0]
    oidc.start()
    http = serve(serve_http, oidc, plugin_dir, jwks_refetch_interval="1s")
    old_token = oidc.token()
    assert result_of(call(http.url, old_token))["structuredContent"] == {"result": 425}

    new = Key("key-2")
    oidc.restart([new, old])
    new_token = oidc.token()
    assert json.loads(base64.urlsafe_b64decode(new_token.split(".")[0] + "=="))["kid"] == "key-2"
    time.sleep(1.5)  # past the refetch interval, so the unknown kid may refetch
    assert result_of(call(http.url, new_token))["structuredContent"] == {"result": 425}
    # The old key is still published: its token still works.
    assert result_of(call(http.url, old_token))["structuredContent"] == {"result": 425}
    await sdk_mul(http.url, new_token, "2026-07-28")

    # Once the old key is withdrawn, a refetch (triggered by an unknown kid)
    # stops its tokens.
    oidc.restart([new])
    time.sleep(1.5)
    assert call(http.url, oidc.forge(Key("random-kid"))).status_code == 401
    refused = call(http.url, old_token)
    assert refused.status_code == 401 and "no key" in refused.text, refused.text
    http.stop()


async def test_a_flood_of_unknown_kids_does_not_become_a_flood_of_fetches(serve_http, oidc, plugin_dir):
    oidc.start()
    http = serve(serve_http, oidc, plugin_dir)  # the default 30 s refetch interval
    assert result_of(call(http.url, oidc.token()))["structuredContent"] == {"result": 425}
    for i in range(30):
        # A real signature, under a kid nobody publishes.
        forged = oidc.forge(oidc.keys[0])
        _, rest = forged.split(".", 1)
        fake = b64(json.dumps({"alg": "RS256", "typ": "at+jwt", "kid": f"random-{i}"}).encode())
        assert call(http.url, f"{fake}.{rest}").status_code == 401
    log = http.stop()
    fetches = log.count("signing key(s)") + log.count("cannot fetch the authorization server's keys")
    assert 1 <= fetches <= 2, log


async def test_authorization_server_down_at_start_then_up(serve_http, oidc, plugin_dir):
    http = serve(serve_http, oidc, plugin_dir, jwks_refetch_interval="2s")
    token = oidc.forge(oidc.keys[0])
    refused = call(http.url, token)
    assert refused.status_code == 401, refused.text
    assert "cannot reach the authorization server" in refused.text
    oidc.start()
    deadline = time.monotonic() + 60  # a "does not hang" bound, not a speed check
    while True:
        answer = call(http.url, token)
        if answer.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert result_of(answer)["structuredContent"] == {"result": 425}
    await sdk_mul(http.url, oidc.token(), "legacy")
    http.stop()


async def test_the_plugin_never_sees_the_token(serve_http, oidc, tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    shutil.copy(built("MOAT_HOSTILE_WASM"), plugins / "hostile.wasm")
    oidc.start()
    http = serve(serve_http, oidc, plugins)
    token = oidc.token()
    env = result_of(call(http.url, token, "env", {}))
    assert not env.get("isError"), env
    assert "vars" in env["structuredContent"]
    assert token not in json.dumps(env)
    assert "Bearer" not in json.dumps(env)
    http.stop()


async def test_sessions_are_owned_by_the_identity(serve_http, oidc, plugin_dir):
    """--max-sessions-per-token counts each identity's sessions."""
    oidc.start()
    http = serve_http(plugin_dir, "--auth", str(oidc.auth_file()), "--max-sessions-per-token", "1", addr=oidc.moat_addr)
    token = oidc.token()
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
    first = httpx2.post(http.url, headers=headers, json=initialize, timeout=30)
    assert first.status_code == 200, first.text
    second = httpx2.post(http.url, headers=headers, json=initialize, timeout=30)
    assert second.status_code == 429, second.text
    http.stop()


def test_a_bad_auth_file_stops_moat_with_the_reason(moat_bin, plugin_dir, tmp_path):
    bad = tmp_path / "auth.toml"
    bad.write_text(
        'resource = "https://mcp.example.com/mcp"\n[[authorization_server]]\nissuer = "https://login.example.com"\nalgorithms = ["HS256"]\n'
    )
    done = subprocess.run(
        [moat_bin, "serve", "--http", "127.0.0.1:0", "--plugins", str(plugin_dir), "--auth", str(bad)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode != 0
    assert "HS256" in done.stderr and "public key" in done.stderr, done.stderr
    token = tmp_path / "token"
    token.write_text("x")
    done = subprocess.run(
        [moat_bin, "serve", "--http", "127.0.0.1:0", "--plugins", str(plugin_dir), "--auth", str(bad), "--token-file", str(token)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2 and "--token-file" in done.stderr, done.stderr


def test_the_typescript_sdk_completes_its_own_oauth_flow(serve_http, oidc, plugin_dir):
    """Discovery from the 401, the metadata, a client_credentials token for
    moat's resource, and the call: all done by the TypeScript SDK itself."""
    from oidc import CLIENT_ID, CLIENT_SECRET, NODE, ROOT

    oidc.start()
    http = serve(serve_http, oidc, plugin_dir)
    done = subprocess.run(
        [NODE, str(ROOT / "tests" / "oidc" / "sdk-client.mjs"), http.url, CLIENT_ID, CLIENT_SECRET],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "tools": ["add", "sub", "mul", "div"],
        "result": {"result": 425},
    }
    log = http.stop()
    # It was refused first (no token), then served.
    assert "this server requires an OAuth access token" in log


async def test_opaque_tokens_are_introspected(serve_http, oidc, plugin_dir):
    oidc.opaque = True
    oidc.start()
    http = serve(serve_http, oidc, plugin_dir, introspection=True)
    token = oidc.token()
    assert token.count(".") != 2, "the provider should issue an opaque token"
    assert result_of(call(http.url, token))["structuredContent"] == {"result": 425}
    await sdk_mul(http.url, token, "legacy")
    refused = call(http.url, token + "x")
    assert refused.status_code == 401 and "not active" in refused.text, refused.text
    # A JWT for another resource is still checked locally, and refused.
    refused = call(http.url, oidc.token(resource=oidc.other_resource))
    assert refused.status_code == 401 and "audience" in refused.text, refused.text
    http.stop()
