"""Fixtures of the deployment tests: podman with its storage under the build
tree, the image built from the static binary, and helm.

The test command (`make test-deploy`) builds what they need and passes it in
MOAT_STATIC_BIN, MOAT_MATH_WASM, MOAT_PODMAN_DIR and MOAT_HELM.
"""

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Every podman command is bounded: a hung runtime fails the test, not CI.
TIMEOUT = 120
# Debian's ca-certificates, which the image carries for `moat pull`.
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


@pytest.fixture
def anyio_backend():
    return "asyncio"


def built(variable: str) -> Path:
    path = os.environ.get(variable)
    if not path or not Path(path).exists():
        pytest.fail(f"set {variable} (`make test-deploy` does)")
    return Path(path)


class Podman:
    """podman with its images, containers and volumes in DIR, so that a run
    leaves nothing elsewhere; runc and cgroupfs as containers.conf says."""

    def __init__(self, root: Path):
        self.base = [
            "podman",
            "--root", str(root / "root"),
            "--runroot", str(root / "run"),
            "--tmpdir", str(root / "tmp"),
            "--runtime", "/usr/sbin/runc",
            "--cgroup-manager", "cgroupfs",
        ]
        self.env = {**os.environ, "CONTAINERS_CONF": str(Path(__file__).with_name("containers.conf"))}

    def run(self, *args: str, check: bool = True, timeout: int = TIMEOUT) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [*self.base, *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and done.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
        return done

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [*self.base, *args], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )


@pytest.fixture(scope="session")
def podman() -> Podman:
    return Podman(built("MOAT_PODMAN_DIR"))


@pytest.fixture(scope="session")
def static_bin() -> Path:
    return built("MOAT_STATIC_BIN")


@pytest.fixture(scope="session")
def image(podman, static_bin, tmp_path_factory) -> str:
    """deploy/Containerfile built from a context holding only the static
    binary, the CA bundle and the cache's mount point; removed after the
    session."""
    context = tmp_path_factory.mktemp("image-context")
    (context / "moat").write_bytes(static_bin.read_bytes())
    (context / "cache").mkdir()
    shutil.copy(CA_BUNDLE, context / "ca-certificates.crt")
    tag = f"localhost/moat-test:{uuid.uuid4().hex[:12]}"
    podman.run("build", "--quiet", "--layers=false", "-f", str(REPO / "deploy" / "Containerfile"), "-t", tag, str(context), timeout=300)
    yield tag
    podman.run("rmi", "--force", tag, check=False)
    podman.run("image", "prune", "--force", check=False)


@pytest.fixture
def containers(podman):
    """Names for containers and volumes; each is removed after the test."""
    made: list[tuple[str, str]] = []

    def name(kind: str = "container") -> str:
        made.append((kind, f"moat-test-{uuid.uuid4().hex[:12]}"))
        return made[-1][1]

    yield name
    for kind, made_name in reversed(made):
        if kind == "container":
            podman.run("rm", "--force", "--time", "5", made_name, check=False)
        else:
            podman.run("volume", "rm", "--force", made_name, check=False)


@pytest.fixture(scope="session")
def helm_bin() -> Path:
    return built("MOAT_HELM")
