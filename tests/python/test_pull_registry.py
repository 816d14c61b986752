"""The registry the `moat pull` tests use, checked on its own: what oras-py
pushes reads back byte for byte, in the layouts the pull tests rely on, and
the cosign signatures are well-formed and verify with the signer's public
key (so a refusal in test_pull.py is moat's, not a broken fixture's)."""

import base64
import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import built
from registry import (
    COSIGN_ARTIFACT,
    IMAGE_LAYER,
    MOAT_MANIFEST_LAYER,
    OCI_INDEX,
    SIGNATURE_ANNOTATION,
    SIMPLE_SIGNING,
    WASM_CONFIG,
    WASM_LAYER,
)
from registry_keys import Signer, sha256


def verify(signer: Signer, payload: bytes, signature: str) -> None:
    public = serialization.load_pem_public_key(signer.public_pem())
    public.verify(base64.b64decode(signature), payload, ec.ECDSA(hashes.SHA256()))


def test_wasm_artifact_reads_back_with_oras(registry, tmp_path: Path):
    math = Path(built("MOAT_MATH_WASM"))
    pushed = registry.push_wasm("moat/math", "1.0", math, tmp_path / "push", moat_manifest="[limits]\n")
    manifest = json.loads(registry.manifest("moat/math", "1.0"))
    assert sha256(registry.manifest("moat/math", "1.0")) == pushed.digest
    assert manifest["config"]["mediaType"] == WASM_CONFIG
    assert [layer["mediaType"] for layer in manifest["layers"]] == [WASM_LAYER, MOAT_MANIFEST_LAYER]
    assert manifest["layers"][0]["digest"] == sha256(math.read_bytes())
    config = json.loads(registry.blob("moat/math", manifest["config"]["digest"]))
    assert config["layerDigests"] == [sha256(math.read_bytes())]

    out = tmp_path / "pulled"
    files = registry.oras().pull(target=f"{registry.host}/moat/math:1.0", outdir=str(out))
    assert (out / "math.wasm").read_bytes() == math.read_bytes(), files
    assert registry.blob_file(manifest["layers"][0]["digest"]).read_bytes() == math.read_bytes()


def test_plain_image_holds_the_component(registry, tmp_path: Path):
    math = Path(built("MOAT_MATH_WASM"))
    registry.push_image("moat/image", "1.0", math, tmp_path / "push")
    manifest = json.loads(registry.manifest("moat/image", "1.0"))
    assert [layer["mediaType"] for layer in manifest["layers"]] == [IMAGE_LAYER]
    layer = registry.blob("moat/image", manifest["layers"][0]["digest"])
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(layer))) as tar:
        assert tar.extractfile("math.wasm").read() == math.read_bytes()


def test_tag_scheme_signature_is_well_formed(registry, tmp_path: Path):
    signer = Signer("release")
    pushed = registry.push_wasm("moat/math", "1.0", Path(built("MOAT_MATH_WASM")), tmp_path)
    registry.sign(pushed, signer)
    tag = pushed.digest.replace(":", "-") + ".sig"
    manifest = json.loads(registry.manifest("moat/math", tag))
    [layer] = manifest["layers"]
    assert layer["mediaType"] == SIMPLE_SIGNING
    payload = registry.blob("moat/math", layer["digest"])
    assert json.loads(payload)["critical"] == {
        "identity": {"docker-reference": pushed.repository},
        "image": {"docker-manifest-digest": pushed.digest},
        "type": "cosign container image signature",
    }
    verify(signer, payload, layer["annotations"][SIGNATURE_ANNOTATION])
    with pytest.raises(Exception):
        verify(Signer("other"), payload, layer["annotations"][SIGNATURE_ANNOTATION])


def test_referrer_signature_is_listed_in_the_tag_schema_index(registry, tmp_path: Path):
    signer = Signer("release")
    pushed = registry.push_wasm("moat/math", "1.0", Path(built("MOAT_MATH_WASM")), tmp_path)
    signature = registry.sign(pushed, signer, referrer=True)
    index = json.loads(registry.manifest("moat/math", pushed.digest.replace(":", "-")))
    assert index["mediaType"] == OCI_INDEX
    assert index["manifests"] == [{**signature.descriptor(), "artifactType": COSIGN_ARTIFACT}]
    manifest = json.loads(registry.manifest("moat/math", signature.digest))
    assert manifest["subject"] == pushed.descriptor()
    assert manifest["artifactType"] == COSIGN_ARTIFACT
    [layer] = manifest["layers"]
    verify(signer, registry.blob("moat/math", layer["digest"]), layer["annotations"][SIGNATURE_ANNOTATION])
    # No referrers API in registry 2.8: the tag schema is the only way to find it.
    assert registry.session.get(registry.url(f"/v2/moat/math/referrers/{pushed.digest}")).status_code == 404


def test_tls_registry_needs_the_ca(tls_registry, tmp_path: Path):
    assert tls_registry.session.get(tls_registry.url("/v2/")).status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_registry.url("/v2/"), timeout=5)
    pushed = tls_registry.push_wasm("moat/math", "1.0", Path(built("MOAT_MATH_WASM")), tmp_path)
    assert sha256(tls_registry.manifest("moat/math", "1.0")) == pushed.digest


def test_auth_registry_refuses_without_credentials(auth_registry, tmp_path: Path):
    pushed = auth_registry.push_wasm("moat/math", "1.0", Path(built("MOAT_MATH_WASM")), tmp_path)
    assert sha256(auth_registry.manifest("moat/math", "1.0")) == pushed.digest
    assert requests.get(auth_registry.url("/v2/moat/math/manifests/1.0"), timeout=5).status_code == 401
    wrong = requests.get(auth_registry.url("/v2/"), auth=(auth_registry.user, "wrong"), timeout=5)
    assert wrong.status_code == 401
