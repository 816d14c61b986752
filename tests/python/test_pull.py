"""`moat pull` from a real registry (Debian's docker-registry on loopback),
of components pushed by oras-py and signed in cosign's format with keys made
by `cryptography`: a signed component is pulled byte for byte, recorded in
the lock with where it came from and who signed it, and served by
`moat serve --locked` to the official Python MCP client."""

import re
import subprocess
import time
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from conftest import built
from registry_keys import sha256

pytestmark = pytest.mark.anyio

SHA256 = r"sha256:[0-9a-f]{64}"


def math_wasm() -> Path:
    return Path(built("MOAT_MATH_WASM"))


def pulled_line(name: str, reference: str, key: str | None) -> str:
    """The line `moat pull` prints on stdout for each plugin it wrote."""
    signed = f" signed by {re.escape(key)}" if key else ""
    return rf"pulled {re.escape(name)} from {re.escape(reference)} \({SHA256}\){signed}"


async def serve_locked_mul(moat_bin: str, directory: Path) -> tuple[list[str], object]:
    """`moat serve --locked` over stdio, the Python MCP SDK calling mul(25, 17)."""
    server = StdioServerParameters(command=moat_bin, args=["serve", "--plugins", str(directory), "--locked"])
    async with Client(server, read_timeout_seconds=60) as client:
        tools = [tool.name for tool in (await client.list_tools()).tools]
        return tools, await client.call_tool("mul", {"x": 25, "y": 17})


def assert_locked(lock: dict, name: str, reference: str, digest: str, wasm: bytes, signer) -> None:
    entry = lock[name]
    assert entry["wasm"] == sha256(wasm)
    source = entry["source"]
    assert source["reference"] == reference
    assert source["digest"] == digest
    if signer is None:
        assert "key" not in source and "fingerprint" not in source, source
    else:
        assert source["key"] == signer.name
        assert source["fingerprint"] == signer.fingerprint()


LAYOUTS = {
    "wasm-artifact-sig-tag": ("push_wasm", False),
    "wasm-artifact-referrer": ("push_wasm", True),
    "single-layer-image-sig-tag": ("push_image", False),
}


@pytest.mark.parametrize("layout", LAYOUTS)
async def test_signed_component_is_pulled_locked_and_served(puller, registry, release, tmp_path, moat_bin, layout):
    push, referrer = LAYOUTS[layout]
    pushed = getattr(registry, push)("moat/math", "1.0", math_wasm(), tmp_path / "push")
    registry.sign(pushed, release, referrer=referrer)

    done = puller.run(pushed.reference)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(pulled_line("math", pushed.reference, "release"), done.stdout.strip()), done.stdout
    assert (puller.dir / "math.wasm").read_bytes() == math_wasm().read_bytes()
    # Written by rename: no temp dir or partial file left beside it.
    assert set(puller.snapshot()) == {"math.wasm", "moat.lock"}
    assert_locked(puller.lock(), "math", pushed.reference, pushed.digest, math_wasm().read_bytes(), release)

    # `moat lock` re-pins the definitions and keeps the provenance.
    relocked = puller.lock_command()
    assert relocked.returncode == 0, relocked.stderr
    assert_locked(puller.lock(), "math", pushed.reference, pushed.digest, math_wasm().read_bytes(), release)

    tools, result = await serve_locked_mul(moat_bin, puller.dir)
    assert tools == ["add", "sub", "mul", "div"]
    assert not result.is_error, result
    assert result.structured_content == {"result": 425}


async def test_pull_by_digest_and_by_tag_and_digest(puller, registry, release, tmp_path):
    pushed = registry.push_wasm("moat/math", "1.0", math_wasm(), tmp_path / "push")
    registry.sign(pushed, release)
    for reference in (
        f"oci://{pushed.repository}@{pushed.digest}",
        f"oci://{pushed.repository}:1.0@{pushed.digest}",
    ):
        (puller.dir / "math.wasm").unlink(missing_ok=True)
        done = puller.run(reference)
        assert done.returncode == 0, done.stderr
        assert re.fullmatch(pulled_line("math", reference, "release"), done.stdout.strip()), done.stdout
        assert (puller.dir / "math.wasm").read_bytes() == math_wasm().read_bytes()
        assert puller.lock()["math"]["source"]["digest"] == pushed.digest


async def test_a_digest_that_is_not_the_tags_is_refused(puller, registry, release, tmp_path):
    pushed = registry.push_wasm("moat/math", "1.0", math_wasm(), tmp_path / "push")
    registry.sign(pushed, release)
    other = "sha256:" + "0" * 64
    done = puller.run(f"oci://{pushed.repository}:1.0@{other}")
    assert done.returncode == 2, done.stderr
    assert other in done.stderr, done.stderr
    assert puller.snapshot() == {}


async def test_name_defaults_to_the_last_segment_and_name_overrides_it(puller, registry, release, tmp_path, moat_bin):
    pushed = registry.push_wasm("moat/tools/calc", "2", math_wasm(), tmp_path / "push")
    registry.sign(pushed, release)
    done = puller.run(pushed.reference)
    assert done.returncode == 0, done.stderr
    assert (puller.dir / "calc.wasm").read_bytes() == math_wasm().read_bytes()

    done = puller.run(pushed.reference, "--name", "arith")
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(pulled_line("arith", pushed.reference, "release"), done.stdout.strip()), done.stdout
    assert (puller.dir / "arith.wasm").read_bytes() == math_wasm().read_bytes()
    lock = puller.lock()
    assert lock["calc"]["source"]["reference"] == lock["arith"]["source"]["reference"] == pushed.reference


async def test_a_moat_manifest_in_the_artifact_grants_nothing(puller, registry, release, tmp_path, moat_bin):
    """Grants never come from the artifact: a manifest layer is never
    written as NAME.toml (the operator's manifest alone grants), at most
    kept aside as a suggestion in DIR/.moat/suggested/NAME.toml."""
    grant = '[capabilities]\nfiles = [{ host = "/", guest = "/", access = "read-write" }]\n'
    pushed = registry.push_wasm("moat/math", "1.0", math_wasm(), tmp_path / "push", moat_manifest=grant)
    registry.sign(pushed, release)
    done = puller.run(pushed.reference)
    assert done.returncode == 0, done.stderr
    written = puller.snapshot()
    assert set(written) == {"math.wasm", "moat.lock", ".moat", ".moat/suggested", ".moat/suggested/math.toml"}
    assert written[".moat/suggested/math.toml"] == grant.encode()
    check = subprocess.run(
        [moat_bin, "check", str(puller.dir / "math.wasm")], capture_output=True, text=True, timeout=120
    )
    assert check.returncode == 0, check.stderr
    assert "manifest: none, so nothing is granted" in check.stdout, check.stdout
    assert "NOT in force" in check.stdout, check.stdout


async def test_existing_different_bytes_are_kept_unless_update(puller, registry, release, tmp_path):
    everything = Path(built("MOAT_EVERYTHING_WASM")).read_bytes()
    (puller.dir / "math.wasm").write_bytes(everything)
    pushed = registry.push_wasm("moat/math", "1.0", math_wasm(), tmp_path / "push")
    registry.sign(pushed, release)

    done = puller.run(pushed.reference)
    assert done.returncode == 2, done.stdout
    assert "--update" in done.stderr
    assert puller.snapshot() == {"math.wasm": everything}

    done = puller.run(pushed.reference, "--update")
    assert done.returncode == 0, done.stderr
    assert (puller.dir / "math.wasm").read_bytes() == math_wasm().read_bytes()


async def test_same_bytes_again_is_not_a_conflict(puller, registry, release, tmp_path):
    pushed = registry.push_wasm("moat/math", "1.0", math_wasm(), tmp_path / "push")
    registry.sign(pushed, release)
    assert puller.run(pushed.reference).returncode == 0
    again = puller.run(pushed.reference)
    assert again.returncode == 0, again.stderr
    assert (puller.dir / "math.wasm").read_bytes() == math_wasm().read_bytes()


async def test_a_serve_watch_picks_up_the_pulled_plugin(puller, registry, release, tmp_path, serve_http):
    """The file appears whole, by rename, so a watching host loads it."""
    pushed = registry.push_wasm("moat/math", "1.0", math_wasm(), tmp_path / "push")
    registry.sign(pushed, release)
    http = serve_http(puller.dir, "--watch")
    async with Client(http.url, read_timeout_seconds=60) as client:
        assert (await client.list_tools()).tools == []
        done = puller.run(pushed.reference)
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 60  # a safety net against a hang, not a speed bound
        while "mul" not in [tool.name for tool in (await client.list_tools()).tools]:
            assert time.monotonic() < deadline, http.stop()
            await anyio.sleep(0.1)
        result = await client.call_tool("mul", {"x": 25, "y": 17})
        assert result.structured_content == {"result": 425}
    assert "math.wasm" in http.stop()
