"""`moat pull` inside the image verifies an HTTPS registry with the CA
bundle the image carries, at the path its SSL_CERT_FILE names, and with no
`--ca-file`: a registry whose CA is not in it is refused, and the same pull
succeeds once that CA is the bundle. The registry is Debian's
docker-registry over TLS on loopback (tests/python/registry.py)."""

import os
import sys
from pathlib import Path

import pytest

from conftest import REPO, built

sys.path.insert(0, str(REPO / "tests" / "python"))
from registry import REGISTRY_BIN, Registry  # noqa: E402
from registry_keys import Tls  # noqa: E402

USER = 65532
BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


@pytest.fixture
def tls_registry(tmp_path_factory):
    if not Path(REGISTRY_BIN).is_file():
        pytest.fail(f"{REGISTRY_BIN} is missing: `make registry` installs Debian's docker-registry")
    tls = Tls.make(tmp_path_factory.mktemp("tls"))
    for attempt in range(3):
        try:
            started = Registry(tmp_path_factory.mktemp("registry"), tls=tls)
            break
        except RuntimeError as error:
            if "address already in use" not in str(error) or attempt == 2:
                raise
    yield started
    started.stop()


def pull(podman, image, name, plugins: Path, reference: str, *mounts: str):
    return podman.run(
        "run", "--rm", "--name", name, "--read-only", "--network", "host", "--cap-drop", "ALL",
        "-v", f"{plugins}:/plugins", *mounts,
        image, "pull", reference, "--plugins", "/plugins", "--allow-unsigned",
        check=False,
    )


def test_pull_in_the_image_trusts_the_bundle_it_carries(podman, image, containers, tls_registry, tmp_path):
    math = built("MOAT_MATH_WASM")
    pushed = tls_registry.push_wasm("moat/math", "1.0", math, tmp_path / "staging")
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    os.chown(plugins, USER, USER)

    # The image's own bundle (Debian's roots) does not hold the test's CA.
    refused = pull(podman, image, containers(), plugins, pushed.reference)
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0, said
    assert "invalid peer certificate: UnknownIssuer" in said, said
    assert not (plugins / "math.wasm").exists()

    # The test's CA as the bundle, where SSL_CERT_FILE points: the same pull works.
    tls_registry.tls.ca_file.chmod(0o444)
    done = pull(podman, image, containers(), plugins, pushed.reference,
                "-v", f"{tls_registry.tls.ca_file}:{BUNDLE}:ro")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (plugins / "math.wasm").read_bytes() == math.read_bytes()
