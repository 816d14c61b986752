"""A tag moved after locking: `moat pull --locked REF` refuses it naming
both digests, `moat pull --locked` (an init container's command) fetches
what the lock pinned, `moat serve --locked` refuses a swapped file naming
the digests, and `moat pull --update` re-resolves and re-locks."""

from pathlib import Path

import pytest
from mcp import Client

from conftest import built
from registry_keys import sha256

pytestmark = pytest.mark.anyio


@pytest.fixture
def moved(puller, registry, release, tmp_path):
    """math 1.0 pulled and locked, then the tag moved to another component,
    also signed by the trusted key (a legitimate release, or a stolen key:
    the lock is what tells)."""
    math = Path(built("MOAT_MATH_WASM")).read_bytes()
    first = registry.push_wasm("moat/math", "1.0", Path(built("MOAT_MATH_WASM")), tmp_path / "push1")
    registry.sign(first, release)
    done = puller.run(first.reference)
    assert done.returncode == 0, done.stderr
    assert puller.lock()["math"]["source"]["digest"] == first.digest

    second = registry.push_wasm("moat/math", "1.0", Path(built("MOAT_EVERYTHING_WASM")), tmp_path / "push2")
    registry.sign(second, release)
    assert second.digest != first.digest
    return first, second, math


async def test_locked_pull_of_a_moved_tag_is_refused_naming_both_digests(puller, moved):
    first, second, math = moved
    before = puller.snapshot()
    done = puller.run(first.reference, "--locked")
    assert done.returncode == 2, done.stdout
    assert first.digest in done.stderr and second.digest in done.stderr, done.stderr
    assert puller.snapshot() == before
    assert (puller.dir / "math.wasm").read_bytes() == math


async def test_locked_pull_without_a_reference_fetches_the_locked_digest(puller, moved, tmp_path):
    first, _, math = moved
    lock_before = (puller.dir / "moat.lock").read_bytes()
    empty = tmp_path / "init-container"
    empty.mkdir()
    done = puller.run("--locked", "--lock", str(puller.dir / "moat.lock"), plugins=empty)
    assert done.returncode == 0, done.stderr
    assert (empty / "math.wasm").read_bytes() == math  # the old bytes, not the tag's new ones
    assert first.reference in done.stdout or first.digest in done.stdout, done.stdout
    assert set(puller.snapshot(empty)) == {"math.wasm"}  # --locked never writes a lock
    assert (puller.dir / "moat.lock").read_bytes() == lock_before


async def test_locked_pull_with_the_lock_in_the_plugin_dir(puller, moved):
    """The init container's usual shape: the lock shipped in DIR, no .wasm yet."""
    _, _, math = moved
    (puller.dir / "math.wasm").unlink()
    lock_before = (puller.dir / "moat.lock").read_bytes()
    done = puller.run("--locked")
    assert done.returncode == 0, done.stderr
    assert (puller.dir / "math.wasm").read_bytes() == math
    assert (puller.dir / "moat.lock").read_bytes() == lock_before


async def test_serve_locked_refuses_a_swapped_file_naming_the_digests(puller, moved, serve_http):
    first, _, math = moved
    everything = Path(built("MOAT_EVERYTHING_WASM")).read_bytes()
    (puller.dir / "math.wasm").write_bytes(everything)
    http = serve_http(puller.dir, "--locked")
    async with Client(http.url, read_timeout_seconds=60) as client:
        tools = [tool.name for tool in (await client.list_tools()).tools]
    log = http.stop()
    assert "mul" not in tools and "test_simple_text" not in tools, tools
    assert "math" in log
    assert sha256(math) in log and sha256(everything) in log, log
    assert first.reference in log and first.digest in log, log  # where the approved bytes came from


async def test_update_re_resolves_and_re_locks(puller, moved, moat_bin):
    first, second, math = moved
    done = puller.run("--update")
    assert done.returncode == 0, done.stderr
    assert f"pulled math from {first.reference} (sha256:" in done.stdout, done.stdout
    everything = Path(built("MOAT_EVERYTHING_WASM")).read_bytes()
    assert (puller.dir / "math.wasm").read_bytes() == everything
    entry = puller.lock()["math"]
    assert entry["source"]["digest"] == second.digest
    assert entry["source"]["reference"] == first.reference
    assert entry["wasm"] == sha256(everything)

    # And the new lock is what `--locked` now holds to.
    again = puller.run(first.reference, "--locked")
    assert again.returncode == 0, again.stderr
