"""How `moat pull` reaches a registry: TLS with an extra CA (and refused
without it), credentials from a docker config.json for a registry with
htpasswd auth (and a clear error with wrong ones), and a plain URL pinned by
its sha256."""

import http.server
import json
import re
import ssl
import threading
from pathlib import Path

import pytest

from conftest import REGISTRY_USERS, built
from registry_keys import Tls, docker_config, sha256

pytestmark = pytest.mark.anyio


def math_wasm() -> Path:
    return Path(built("MOAT_MATH_WASM"))


AUTH_ERROR = re.compile(r"not authori[sz]ed|unauthori[sz]ed|\b401\b|credential", re.IGNORECASE)


def assert_refused(done, puller, *words: str) -> None:
    assert done.returncode == 2, f"exit {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"
    assert "usage:" not in done.stderr.lower(), done.stderr  # refused by moat, not by its argument parser
    for word in words:
        assert word.lower() in done.stderr.lower(), done.stderr
    assert puller.snapshot() == {}


async def test_tls_with_the_ca_file_is_pulled_and_refused_without_it(tls_puller, tls_registry, release, tmp_path):
    pushed = tls_registry.push_wasm("moat/math", "1.0", math_wasm(), tmp_path / "push")
    tls_registry.sign(pushed, release)

    refused = tls_puller.run(pushed.reference, reach=False)
    assert_refused(refused, tls_puller, "certificate")

    done = tls_puller.run(pushed.reference)
    assert done.returncode == 0, done.stderr
    assert (tls_puller.dir / "math.wasm").read_bytes() == math_wasm().read_bytes()
    assert tls_puller.lock()["math"]["source"]["key"] == "release"


async def test_plain_http_to_a_tls_registry_fails_cleanly(tls_puller, tls_registry, release, tmp_path):
    pushed = tls_registry.push_wasm("moat/math", "1.0", math_wasm(), tmp_path / "push")
    tls_registry.sign(pushed, release)
    assert_refused(tls_puller.run(pushed.reference, "--plain-http", reach=False), tls_puller)


@pytest.fixture
def pushed_with_auth(auth_registry, release, tmp_path):
    pushed = auth_registry.push_wasm("moat/math", "1.0", math_wasm(), tmp_path / "push")
    auth_registry.sign(pushed, release)
    return pushed


async def test_credentials_from_docker_config(auth_puller, auth_registry, pushed_with_auth):
    [(user, password)] = REGISTRY_USERS.items()
    docker_config(auth_puller.home / ".docker", auth_registry.host, user, password)
    done = auth_puller.run(pushed_with_auth.reference)
    assert done.returncode == 0, done.stderr
    assert (auth_puller.dir / "math.wasm").read_bytes() == math_wasm().read_bytes()
    # No secret lands in the lock or on stdout.
    assert password not in (auth_puller.dir / "moat.lock").read_text()
    assert password not in done.stdout + done.stderr


async def test_credentials_from_home_docker_config(auth_puller, auth_registry, pushed_with_auth):
    """`~/.docker/config.json`, with DOCKER_CONFIG unset."""
    [(user, password)] = REGISTRY_USERS.items()
    docker_config(auth_puller.home / ".docker", auth_registry.host, user, password)
    del auth_puller.env["DOCKER_CONFIG"]
    auth_puller.env["HOME"] = str(auth_puller.home)
    done = auth_puller.run(pushed_with_auth.reference)
    assert done.returncode == 0, done.stderr


async def test_wrong_credentials_are_a_clear_auth_error(auth_puller, auth_registry, pushed_with_auth):
    [(user, _)] = REGISTRY_USERS.items()
    docker_config(auth_puller.home / ".docker", auth_registry.host, user, "wrong password")
    done = auth_puller.run(pushed_with_auth.reference)
    assert done.returncode == 2, done.stderr
    assert AUTH_ERROR.search(done.stderr), done.stderr
    assert "refused access" in done.stderr and "docker config" in done.stderr and "were refused" in done.stderr, done.stderr
    assert "wrong password" not in done.stderr
    assert auth_puller.snapshot() == {}


async def test_no_credentials_are_a_clear_auth_error(auth_puller, pushed_with_auth):
    done = auth_puller.run(pushed_with_auth.reference)
    assert done.returncode == 2, done.stderr
    assert AUTH_ERROR.search(done.stderr), done.stderr
    assert "no credentials for it were found" in done.stderr and "--registry-token-file" in done.stderr, done.stderr
    assert auth_puller.snapshot() == {}


class Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def file_server(tmp_path):
    """A static file server on loopback holding math.wasm, plain or TLS."""
    served: list[http.server.ThreadingHTTPServer] = []

    def start(tls: Tls | None = None) -> str:
        root = tmp_path / "www"
        root.mkdir(exist_ok=True)
        (root / "math.wasm").write_bytes(math_wasm().read_bytes())
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), lambda *a: Files(*a, directory=str(root))
        )
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls.cert_file, tls.key_file)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        served.append(server)
        scheme = "https" if tls else "http"
        return f"{scheme}://127.0.0.1:{server.server_address[1]}/math.wasm"

    yield start
    for server in served:
        server.shutdown()


async def test_url_pinned_by_sha256(puller, file_server):
    url = file_server()
    pin = sha256(math_wasm().read_bytes())
    reference = f"{url}#sha256={pin.removeprefix('sha256:')}"
    done = puller.run(reference, "--plain-http", trust=False, reach=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(f"pulled math from {reference} (sha256:"), done.stdout
    assert (puller.dir / "math.wasm").read_bytes() == math_wasm().read_bytes()
    source = puller.lock()["math"]["source"]
    assert source["reference"] == reference and source["digest"] == pin
    assert "key" not in source


async def test_url_with_another_sha256_is_refused(puller, file_server):
    url = file_server()
    done = puller.run(f"{url}#sha256={'ab' * 32}", "--plain-http", trust=False, reach=False)
    assert_refused(done, puller, "sha256")


async def test_url_without_a_pin_is_refused(puller, file_server):
    done = puller.run(file_server(), "--plain-http", trust=False, reach=False)
    assert_refused(done, puller, "sha256")


async def test_https_url_with_the_ca_file(puller, file_server, tmp_path):
    tls = Tls.make(tmp_path)
    url = file_server(tls)
    pin = sha256(math_wasm().read_bytes()).removeprefix("sha256:")
    done = puller.run(f"{url}#sha256={pin}", "--ca-file", str(tls.ca_file), trust=False, reach=False)
    assert done.returncode == 0, done.stderr
    assert (puller.dir / "math.wasm").read_bytes() == math_wasm().read_bytes()


def test_docker_config_is_well_formed(tmp_path):
    path = docker_config(tmp_path, "127.0.0.1:5000", "u", "p")
    assert json.loads(path.read_text()) == {"auths": {"127.0.0.1:5000": {"auth": "dTpw"}}}
