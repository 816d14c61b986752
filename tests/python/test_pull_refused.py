"""What `moat pull` refuses (exit 2, the reason on stderr) and that a refused
pull leaves nothing behind: no NAME.wasm, no temp dir, the lock untouched.
Signatures are cosign's format made with `cryptography`; the registry is
Debian's docker-registry on loopback."""

import json
import re
import socket
from pathlib import Path

import pytest

from conftest import built
from registry import free_port
from registry_keys import Signer, write_policy

pytestmark = pytest.mark.anyio


def math_wasm() -> Path:
    return Path(built("MOAT_MATH_WASM"))


@pytest.fixture
def locked_dir(puller, registry, release, tmp_path):
    """The plugin directory already holding one pulled, locked plugin, so a
    refusal can be shown to leave both it and the lock as they were."""
    pushed = registry.push_wasm("moat/first", "1.0", math_wasm(), tmp_path / "first")
    registry.sign(pushed, release)
    done = puller.run(pushed.reference)
    assert done.returncode == 0, done.stderr
    return puller.snapshot()


def assert_refused(done, before: dict, puller, *words: str) -> None:
    assert done.returncode == 2, f"exit {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"
    assert "usage:" not in done.stderr.lower(), done.stderr  # refused by moat, not by its argument parser
    assert done.stdout == "", done.stdout
    for word in words:
        assert word.lower() in done.stderr.lower(), done.stderr
    assert puller.snapshot() == before


async def test_unsigned_is_refused_and_leaves_nothing(puller, registry, locked_dir, tmp_path):
    pushed = registry.push_wasm("moat/math", "1.0", math_wasm(), tmp_path / "push")
    done = puller.run(pushed.reference)
    assert_refused(done, locked_dir, puller)
    assert re.search(r"no (cosign )?signature", done.stderr), done.stderr


async def test_unsigned_with_allow_unsigned_is_pulled_with_a_warning(puller, registry, locked_dir, tmp_path):
    pushed = registry.push_wasm("moat/math", "1.0", math_wasm(), tmp_path / "push")
    done = puller.run(pushed.reference, "--allow-unsigned")
    assert done.returncode == 0, done.stderr
    assert "warn" in done.stderr.lower() and "unsigned" in done.stderr.lower(), done.stderr
    assert done.stdout.strip().startswith(f"pulled math from {pushed.reference} (sha256:")
    assert "signed by" not in done.stdout
    assert (puller.dir / "math.wasm").read_bytes() == math_wasm().read_bytes()
    source = puller.lock()["math"]["source"]
    assert source["digest"] == pushed.digest
    assert "key" not in source, source
    # The plugin locked before is still there, as it was.
    assert puller.lock()["first"]["source"]["key"] == "release"


async def test_without_a_trust_policy_an_oci_pull_is_refused(puller, registry, release, tmp_path):
    pushed = registry.push_wasm("moat/math", "1.0", math_wasm(), tmp_path / "push")
    registry.sign(pushed, release)
    assert_refused(puller.run(pushed.reference, trust=False), {}, puller, "--trust")


async def test_trust_policy_from_the_environment(puller, registry, release, tmp_path):
    pushed = registry.push_wasm("moat/math", "1.0", math_wasm(), tmp_path / "push")
    registry.sign(pushed, release)
    puller.env["MOAT_TRUST"] = str(puller.policy)
    done = puller.run(pushed.reference, trust=False)
    assert done.returncode == 0, done.stderr
    assert puller.lock()["math"]["source"]["key"] == "release"


async def test_signed_by_an_untrusted_key_is_refused(puller, registry, locked_dir, tmp_path):
    pushed = registry.push_wasm("moat/math", "1.0", math_wasm(), tmp_path / "push")
    registry.sign(pushed, Signer("mallory"))
    assert_refused(puller.run(pushed.reference), locked_dir, puller, "signature")


async def test_a_key_trusted_only_for_another_repository_is_refused(puller, registry, release, tmp_path):
    other = Signer("other-team")
    puller.policy = write_policy(
        tmp_path / "trust2",
        [(release, [f"{registry.host}/moat/*"]), (other, [f"{registry.host}/other/*", f"{registry.host}/moat/mathx"])],
    )
    pushed = registry.push_wasm("moat/math", "1.0", math_wasm(), tmp_path / "push")
    registry.sign(pushed, other)
    assert_refused(puller.run(pushed.reference), {}, puller, "signature")

    # The same key is accepted where the policy trusts it.
    theirs = registry.push_wasm("other/math", "1.0", math_wasm(), tmp_path / "push2")
    registry.sign(theirs, other)
    done = puller.run(theirs.reference)
    assert done.returncode == 0, done.stderr
    assert puller.lock()["math"]["source"]["key"] == "other-team"


async def test_a_prefix_pattern_covers_only_its_own_path(puller, registry, release, tmp_path):
    """`HOST/moat/*` trusts `HOST/moat/...` at any depth, not `HOST/moatx/...`."""
    pushed = registry.push_wasm("moatx/math", "1.0", math_wasm(), tmp_path / "push")
    registry.sign(pushed, release)
    assert_refused(puller.run(pushed.reference), {}, puller)


async def test_over_max_size_is_refused(puller, registry, release, tmp_path):
    pushed = registry.push_wasm("moat/math", "1.0", math_wasm(), tmp_path / "push")
    registry.sign(pushed, release)
    size = len(math_wasm().read_bytes())
    assert_refused(puller.run(pushed.reference, "--max-size", str(size - 1)), {}, puller, "--max-size")
    done = puller.run(pushed.reference, "--max-size", str(size))
    assert done.returncode == 0, done.stderr


async def test_a_signature_made_for_another_repository_is_refused(puller, registry, release, tmp_path):
    """A trusted key's signature over this digest, but naming another
    repository (a signature copied from where the key is trusted)."""
    pushed = registry.push_wasm("moat/math", "1.0", math_wasm(), tmp_path / "push")
    registry.sign(pushed, release, docker_reference=f"{registry.host}/moat/other")
    assert_refused(puller.run(pushed.reference), {}, puller, "signature")


async def test_a_signature_of_another_manifest_is_refused(puller, registry, release, tmp_path):
    """The `.sig` of the moved tag's first manifest, hung on the second: the
    payload names a digest that is not the one pulled."""
    first = registry.push_wasm("moat/math", "1.0", math_wasm(), tmp_path / "push")
    second = registry.push_wasm("moat/math", "2.0", Path(built("MOAT_EVERYTHING_WASM")), tmp_path / "push2")
    signature = registry.sign(first, release)
    copied = json.loads(registry.manifest("moat/math", signature.digest))
    registry.put_manifest("moat/math", second.digest.replace(":", "-") + ".sig", copied)
    assert_refused(puller.run(second.reference), {}, puller, "signature")


@pytest.mark.parametrize("target", ["layer", "manifest"])
async def test_a_blob_tampered_in_the_registry_is_refused_on_digest(puller, registry, release, tmp_path, target):
    pushed = registry.push_wasm("moat/math", "1.0", math_wasm(), tmp_path / "push")
    registry.sign(pushed, release)
    manifest = json.loads(registry.manifest("moat/math", pushed.digest))
    digest = manifest["layers"][0]["digest"] if target == "layer" else pushed.digest
    data = registry.blob_file(digest)
    stored = bytearray(data.read_bytes())
    if target == "layer":
        stored[len(stored) // 2] ^= 0x01  # one bit, in the middle of the code
    else:
        # Still well-formed JSON of the same length: only the digest tells.
        text = stored.decode()
        assert '"math.wasm"' in text
        stored = bytearray(text.replace('"math.wasm"', '"matx.wasm"').encode())
    data.write_bytes(bytes(stored))
    assert_refused(puller.run(pushed.reference), {}, puller, "digest")


async def test_unaccepted_lint_errors_refuse_the_pull(puller, registry, release, tmp_path):
    pushed = registry.push_wasm("moat/poisoned", "1.0", Path(built("MOAT_POISONED_WASM")), tmp_path / "push")
    registry.sign(pushed, release)
    done = puller.run(pushed.reference)
    assert_refused(done, {}, puller, "MOAT-L007")


async def test_registry_down_is_a_clear_error_and_writes_nothing(puller):
    port = free_port()
    done = puller.run(f"oci://127.0.0.1:{port}/moat/math:1.0")
    assert_refused(done, {}, puller, "cannot reach", f"127.0.0.1:{port}")


async def test_https_to_a_plain_http_registry_says_to_pass_plain_http(puller, registry, release, tmp_path):
    pushed = registry.push_wasm("moat/plain", "1.0", math_wasm(), tmp_path / "stage")
    registry.sign(pushed, release)
    done = puller.run(pushed.reference, reach=False)
    assert_refused(done, {}, puller, "cannot reach", "plain HTTP, not TLS", "--plain-http")


def non_loopback_address() -> str | None:
    """This machine's own address on a non-loopback interface, if any."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # sends nothing: picks the route
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


async def test_plain_http_to_a_non_loopback_registry_is_refused_without_connecting(puller):
    address = non_loopback_address()
    if address is None:
        pytest.skip("no non-loopback interface to listen on")
    with socket.socket() as listener:
        listener.bind((address, 0))
        listener.listen(8)
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        done = puller.run(f"oci://{address}:{port}/moat/math:1.0", "--allow-unsigned")
        assert_refused(done, {}, puller, "loopback")
        with pytest.raises(TimeoutError):
            listener.accept()
