"""Shared fixtures: the moat binary, plugin directories, and moat serving
Streamable HTTP.

The test command (see the README) builds the binary and the plugins and
passes their paths in MOAT_BIN, MOAT_MATH_WASM and MOAT_HOSTILE_WASM.
"""

import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest


@pytest.fixture
def anyio_backend():
    return "asyncio"


def built(variable: str) -> str:
    path = os.environ.get(variable)
    if not path or not Path(path).is_file():
        pytest.fail(f"set {variable} to the built file (the README's test command does)")
    return path


@pytest.fixture(scope="session")
def moat_bin() -> str:
    return built("MOAT_BIN")


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    shutil.copy(built("MOAT_MATH_WASM"), tmp_path / "math.wasm")
    (tmp_path / "garbage.wasm").write_bytes(b"not a component")
    return tmp_path


class Http:
    """`moat serve --http 127.0.0.1:0`, on the port it picked."""

    def __init__(self, moat_bin: str, plugin_dir: Path, *extra: str, addr: str = "127.0.0.1:0"):
        self.process = subprocess.Popen(
            [moat_bin, "serve", "--http", addr, "--plugins", str(plugin_dir), *extra],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "RUST_LOG": "info,rmcp=warn"},
        )
        self.log: list[str] = []
        found = threading.Event()
        self.url = ""

        def follow():
            for line in self.process.stderr:
                self.log.append(line)
                match = re.search(r"over Streamable HTTP at (http://\S+)", line)
                if match:
                    self.url = match.group(1)
                    found.set()
            found.set()

        threading.Thread(target=follow, daemon=True).start()
        found.wait(timeout=60)
        if not self.url:
            self.stop()
            pytest.fail("moat did not start serving HTTP:\n" + "".join(self.log))

    def stop(self) -> str:
        # SIGTERM drains: calls in flight get up to --drain-timeout (10 s).
        self.process.terminate()
        self.process.wait(timeout=30)
        return "".join(self.log)


@pytest.fixture
def serve_http(moat_bin):
    """Starts moat serving HTTP; stops it after the test."""
    started: list[Http] = []

    def start(plugin_dir: Path, *extra: str, addr: str = "127.0.0.1:0") -> Http:
        http = Http(moat_bin, plugin_dir, *extra, addr=addr)
        started.append(http)
        return http

    yield start
    for http in started:
        http.stop()


# --- `moat pull`: a real OCI registry on loopback (tests/python/registry.py) --

REGISTRY_USERS = {"moat-ci": "correct horse battery staple"}


def _registry(tmp_path_factory, name: str, **options):
    from registry import REGISTRY_BIN, Registry

    if not Path(REGISTRY_BIN).is_file():
        pytest.fail(f"{REGISTRY_BIN} is missing: `make registry` installs Debian's docker-registry")
    # The free port is picked before the registry binds it: if something
    # else took it meanwhile, pick another.
    for attempt in range(3):
        try:
            return Registry(tmp_path_factory.mktemp(name), **options)
        except RuntimeError as error:
            if "address already in use" not in str(error) or attempt == 2:
                raise


@pytest.fixture
def registry(tmp_path_factory):
    """Debian's docker-registry over plain HTTP on 127.0.0.1, storage in a tmp dir."""
    started = _registry(tmp_path_factory, "registry")
    yield started
    started.stop()


@pytest.fixture
def tls_registry(tmp_path_factory):
    """The same over TLS, with a server certificate for 127.0.0.1 and
    localhost from a CA the test makes (`tls_registry.tls.ca_file`)."""
    from registry_keys import Tls

    tls = Tls.make(tmp_path_factory.mktemp("tls"))
    started = _registry(tmp_path_factory, "tls-registry", tls=tls)
    yield started
    started.stop()


@pytest.fixture
def auth_registry(tmp_path_factory):
    """The same over plain HTTP, with htpasswd (bcrypt) basic auth for REGISTRY_USERS."""
    started = _registry(tmp_path_factory, "auth-registry", users=REGISTRY_USERS)
    yield started
    started.stop()


@pytest.fixture
def release():
    """The key the trust policy trusts for REGISTRY/moat/* (an ECDSA P-256 key made with `cryptography`)."""
    from registry_keys import Signer

    return Signer("release")


def _puller(moat_bin, registry, tmp_path, release):
    from registry import Puller
    from registry_keys import write_policy

    policy = write_policy(tmp_path / "trust", [(release, [f"{registry.host}/moat/*"])])
    return Puller(moat_bin, registry, tmp_path, policy)


@pytest.fixture
def puller(moat_bin, registry, tmp_path, release):
    """`moat pull` from `registry` into an empty plugin directory, trusting `release` for moat/*."""
    return _puller(moat_bin, registry, tmp_path, release)


@pytest.fixture
def tls_puller(moat_bin, tls_registry, tmp_path, release):
    """The same against `tls_registry`, with `--ca-file` its CA."""
    return _puller(moat_bin, tls_registry, tmp_path, release)


@pytest.fixture
def auth_puller(moat_bin, auth_registry, tmp_path, release):
    """The same against `auth_registry`; the test writes the docker config."""
    return _puller(moat_bin, auth_registry, tmp_path, release)


# --- OAuth: a real OpenID provider on loopback (tests/python/oidc.py) --------


@pytest.fixture
def oidc(tmp_path):
    """An OpenID provider (the npm package oidc-provider, tests/oidc/) on a
    free loopback port, issuing JWT access tokens for `oidc.resource`, the
    resource URI of a moat to be started at `oidc.moat_addr`; stopped after
    the test."""
    from oidc import Oidc

    started = Oidc(tmp_path)
    yield started
    started.stop()
