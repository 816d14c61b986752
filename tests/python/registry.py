"""A real OCI registry on loopback for the `moat pull` tests, and what the
tests put in it: components pushed with oras-py (an independent client) and
cosign-format signatures (made by registry_keys.py's signers), and the
`moat pull` runner the tests drive it with.

The registry is Debian's `docker-registry` (the CNCF distribution server,
2.8), started on a free loopback port with filesystem storage in a temporary
directory, so a test can reach into its storage and tamper with a blob.
"""

import gzip
import io
import json
import os
import socket
import subprocess
import tarfile
import time
import tomllib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import bcrypt
import oras.provider
import requests

from registry_keys import Signer, Tls, sha256, simple_signing_payload

REGISTRY_BIN = "/usr/bin/docker-registry"

WASM_CONFIG = "application/vnd.wasm.config.v0+json"
WASM_LAYER = "application/wasm"
IMAGE_CONFIG = "application/vnd.oci.image.config.v1+json"
IMAGE_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
MOAT_MANIFEST_LAYER = "application/vnd.moat.manifest.v1+toml"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
COSIGN_ARTIFACT = "application/vnd.dev.cosign.artifact.sig.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"


def free_port() -> int:
    """A loopback port nothing listens on at the time of asking."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Pushed:
    """One manifest in the registry: its repository ("HOST:PORT/REPO"), tag,
    digest and the exact bytes and media type it was stored with."""

    repository: str
    tag: str
    digest: str
    media_type: str
    size: int

    @property
    def reference(self) -> str:
        return f"oci://{self.repository}:{self.tag}"

    def descriptor(self) -> dict:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


class Registry:
    """`docker-registry serve` on 127.0.0.1:PORT with its storage in `root`;
    TLS when `tls` is given, htpasswd basic auth when `users` is."""

    def __init__(self, directory: Path, tls: Tls | None = None, users: dict[str, str] | None = None):
        directory.mkdir(parents=True, exist_ok=True)
        self.root = directory / "storage"
        self.tls = tls
        self.users = users or {}
        # The first user's credentials, for a test to hand to moat.
        self.user, self.password = next(iter(self.users.items()), (None, None))
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.scheme = "https" if tls else "http"
        config = {
            "version": 0.1,
            "log": {"level": "warn", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(self.root)}, "delete": {"enabled": True}},
            "http": {"addr": self.host, "secret": "moat-test"},
        }
        if tls:
            config["http"]["tls"] = {"certificate": str(tls.cert_file), "key": str(tls.key_file)}
        if users:
            htpasswd = directory / "htpasswd"
            htpasswd.write_text(
                "".join(
                    f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()}\n"
                    for user, password in users.items()
                )
            )
            config["auth"] = {"htpasswd": {"realm": "moat-test", "path": str(htpasswd)}}
        # YAML is a superset of JSON.
        config_file = directory / "config.yml"
        config_file.write_text(json.dumps(config))
        self.log = directory / "registry.log"
        self.process = subprocess.Popen(
            [REGISTRY_BIN, "serve", str(config_file)],
            stdin=subprocess.DEVNULL,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        self.session = requests.Session()
        # Without this, REQUESTS_CA_BUNDLE in the environment overrides
        # `session.verify` (a known requests quirk) and the test CA is ignored.
        self.session.trust_env = False
        self.session.verify = str(tls.ca_file) if tls else True
        if users:
            user, password = next(iter(users.items()))
            self.session.auth = (user, password)
        self.wait_ready()

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}{path}"

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("docker-registry exited:\n" + self.log.read_text())
            try:
                if self.session.get(self.url("/v2/"), timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("docker-registry did not answer /v2/ within 30 s:\n" + self.log.read_text())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)

    # --- pushing with oras-py ------------------------------------------------

    def oras(self) -> oras.provider.Registry:
        client = oras.provider.Registry(
            hostname=self.host,
            insecure=self.tls is None,
            tls_verify=str(self.tls.ca_file) if self.tls else True,
            auth_backend="basic",
        )
        if self.users:
            user, password = next(iter(self.users.items()))
            client.auth.set_basic_auth(user, password)
        return client

    def _oras_push(self, repo: str, tag: str, staging: Path, files: list[str], config: str) -> Pushed:
        target = f"{self.host}/{repo}:{tag}"
        response = self.oras().push(
            target=target,
            files=files,
            manifest_config=config,
            disable_path_validation=True,
            quiet=True,
        )
        digest = response.headers["Docker-Content-Digest"]
        stored = self.manifest(repo, digest)
        return Pushed(f"{self.host}/{repo}", tag, digest, OCI_MANIFEST, len(stored))

    def push_wasm(self, repo: str, tag: str, wasm: Path, staging: Path, moat_manifest: str | None = None) -> Pushed:
        """The CNCF Wasm OCI artifact layout `wkg oci push` writes: a
        `application/vnd.wasm.config.v0+json` config and one
        `application/wasm` layer (plus, optionally, a moat manifest layer)."""
        staging.mkdir(parents=True, exist_ok=True)
        component = staging / wasm.name
        component.write_bytes(wasm.read_bytes())
        config = staging / "wasm-config.json"
        config.write_text(
            json.dumps(
                {
                    "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "architecture": "wasm",
                    "os": "wasip2",
                    "layerDigests": [sha256(component.read_bytes())],
                    "component": {"exports": [], "imports": [], "target": None},
                }
            )
        )
        files = [f"{component}:{WASM_LAYER}"]
        if moat_manifest is not None:
            manifest = staging / "moat.toml"
            manifest.write_text(moat_manifest)
            files.append(f"{manifest}:{MOAT_MANIFEST_LAYER}")
        return self._oras_push(repo, tag, staging, files, f"{config}:{WASM_CONFIG}")

    def push_image(self, repo: str, tag: str, wasm: Path, staging: Path) -> Pushed:
        """A plain single-layer OCI image: an image config and one tar+gzip
        layer holding the component."""
        staging.mkdir(parents=True, exist_ok=True)
        tar_bytes = io.BytesIO()
        with tarfile.open(fileobj=tar_bytes, mode="w") as tar:
            info = tarfile.TarInfo(wasm.name)
            data = wasm.read_bytes()
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
        layer = staging / "layer.tar.gz"
        layer.write_bytes(gzip.compress(tar_bytes.getvalue(), mtime=0))
        diff_id = sha256(tar_bytes.getvalue())
        config = staging / "image-config.json"
        config.write_text(
            json.dumps(
                {
                    "architecture": "wasm",
                    "os": "wasip2",
                    "config": {"Entrypoint": [f"/{wasm.name}"]},
                    "rootfs": {"type": "layers", "diff_ids": [diff_id]},
                }
            )
        )
        return self._oras_push(repo, tag, staging, [f"{layer}:{IMAGE_LAYER}"], f"{config}:{IMAGE_CONFIG}")

    # --- raw distribution API (where oras-py cannot set subject/artifactType)

    def put_blob(self, repo: str, data: bytes) -> dict:
        digest = sha256(data)
        start = self.session.post(self.url(f"/v2/{repo}/blobs/uploads/"), timeout=10)
        start.raise_for_status()
        location = start.headers["Location"]
        if location.startswith("/"):
            location = self.url(location)
        done = self.session.put(
            location,
            params={"digest": digest},
            data=data,
            headers={"Content-Type": "application/octet-stream"},
            timeout=10,
        )
        done.raise_for_status()
        return {"digest": digest, "size": len(data)}

    def put_manifest(self, repo: str, tag: str, manifest: dict) -> Pushed:
        body = json.dumps(manifest, separators=(",", ":")).encode()
        media_type = manifest["mediaType"]
        response = self.session.put(
            self.url(f"/v2/{repo}/manifests/{tag}"),
            data=body,
            headers={"Content-Type": media_type},
            timeout=10,
        )
        if response.status_code >= 300:
            raise RuntimeError(f"PUT manifest {repo}:{tag}: {response.status_code} {response.text}")
        assert response.headers["Docker-Content-Digest"] == sha256(body)
        return Pushed(f"{self.host}/{repo}", tag, sha256(body), media_type, len(body))

    def manifest(self, repo: str, reference: str, accept: str = f"{OCI_MANIFEST}, {OCI_INDEX}") -> bytes:
        response = self.session.get(
            self.url(f"/v2/{repo}/manifests/{reference}"), headers={"Accept": accept}, timeout=10
        )
        response.raise_for_status()
        return response.content

    def blob(self, repo: str, digest: str) -> bytes:
        response = self.session.get(self.url(f"/v2/{repo}/blobs/{digest}"), timeout=10)
        response.raise_for_status()
        return response.content

    def blob_file(self, digest: str) -> Path:
        """Where the filesystem driver keeps a blob's bytes."""
        hex_digest = digest.removeprefix("sha256:")
        return self.root / "docker/registry/v2/blobs/sha256" / hex_digest[:2] / hex_digest / "data"

    # --- cosign signatures ---------------------------------------------------

    def sign(
        self, pushed: Pushed, signer: Signer, referrer: bool = False, docker_reference: str | None = None
    ) -> Pushed:
        """Signs `pushed` as cosign does: the simple-signing payload as a layer
        annotated with its base64 DER ECDSA signature. By default in the
        `sha256-<hex>.sig` tag scheme; with `referrer`, as an OCI 1.1
        referrer of the signed manifest, listed in the referrers tag-schema
        index at `sha256-<hex>` (registry 2.8 has no referrers API)."""
        repo = pushed.repository.split("/", 1)[1]
        payload = simple_signing_payload(docker_reference or pushed.repository, pushed.digest)
        layer = {
            "mediaType": SIMPLE_SIGNING,
            **self.put_blob(repo, payload),
            "annotations": {SIGNATURE_ANNOTATION: signer.sign(payload)},
        }
        tag = pushed.digest.replace(":", "-")
        if not referrer:
            config = self.put_blob(
                repo,
                json.dumps(
                    {
                        "architecture": "",
                        "os": "",
                        "config": {},
                        "rootfs": {"type": "layers", "diff_ids": [sha256(payload)]},
                    }
                ).encode(),
            )
            manifest = {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": IMAGE_CONFIG, **config},
                "layers": [layer],
            }
            return self.put_manifest(repo, f"{tag}.sig", manifest)
        empty = self.put_blob(repo, b"{}")
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": COSIGN_ARTIFACT,
            "config": {"mediaType": OCI_EMPTY, **empty},
            "layers": [layer],
            "subject": pushed.descriptor(),
            "annotations": {"org.opencontainers.image.created": "2026-01-01T00:00:00Z"},
        }
        signature = self.put_manifest(repo, f"referrer-{signer.name}-{int(time.time() * 1e6)}", manifest)
        index = {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [{**signature.descriptor(), "artifactType": COSIGN_ARTIFACT}],
        }
        self.put_manifest(repo, tag, index)
        return signature


class Puller:
    """Runs the real `moat pull` (and `moat lock`) against one registry into
    one plugin directory, with the trust policy, and the flag that lets it
    reach this registry (`--plain-http` for a plain one, `--ca-file` for a
    TLS one), unless a test says otherwise."""

    def __init__(self, moat_bin: str, registry: Registry, directory: Path, policy: Path | None):
        self.moat_bin = moat_bin
        self.registry = registry
        self.dir = directory / "plugins"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.policy = policy
        # No credentials from the machine's own docker config unless a test writes some.
        self.home = directory / "home"
        self.home.mkdir(exist_ok=True)
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("MOAT_TRUST", "DOCKER_CONFIG")},
            "DOCKER_CONFIG": str(self.home / ".docker"),
            "RUST_LOG": "info",
        }

    def reach(self) -> list[str]:
        if self.registry.tls is None:
            return ["--plain-http"]
        return ["--ca-file", str(self.registry.tls.ca_file)]

    def run(
        self, *args: str, trust: bool = True, reach: bool = True, plugins: Path | None = None
    ) -> subprocess.CompletedProcess:
        command = [self.moat_bin, "pull", *args, "--plugins", str(plugins or self.dir)]
        if trust and self.policy:
            command += ["--trust", str(self.policy)]
        if reach:
            command += self.reach()
        return subprocess.run(
            command, capture_output=True, text=True, timeout=300, env=self.env, stdin=subprocess.DEVNULL
        )

    def lock_command(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.moat_bin, "lock", "--plugins", str(self.dir), *args],
            capture_output=True, text=True, timeout=300, env=self.env, stdin=subprocess.DEVNULL,
        )

    def snapshot(self, directory: Path | None = None) -> dict[str, bytes | None]:
        """Every path under the plugin directory (directories as None), to
        show a refused pull left nothing behind, not even a temp dir."""
        root = directory or self.dir
        return {
            str(path.relative_to(root)): (path.read_bytes() if path.is_file() else None)
            for path in sorted(root.rglob("*"))
        }

    def lock(self, directory: Path | None = None) -> dict:
        with open((directory or self.dir) / "moat.lock", "rb") as file:
            return tomllib.load(file)
