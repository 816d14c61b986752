"""What the `moat pull` tests make with `cryptography` (never the RustCrypto
crates moat verifies with): a CA and a server certificate, cosign-format
ECDSA P-256 signers, trust policy files, and docker credentials."""

import base64
import hashlib
import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Tls:
    """A CA the test makes and a server certificate it signed for
    127.0.0.1 (IP SAN) and localhost."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    @staticmethod
    def make(directory: Path) -> "Tls":
        now = datetime.now(timezone.utc)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "moat test CA")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True,
                    crl_sign=True, encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        tls = Tls(directory / "ca.pem", directory / "server.pem", directory / "server.key")
        tls.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        tls.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        tls.key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return tls


def simple_signing_payload(docker_reference: str, manifest_digest: str) -> bytes:
    """cosign's "simple signing" payload for one manifest digest."""
    return json.dumps(
        {
            "critical": {
                "identity": {"docker-reference": docker_reference},
                "image": {"docker-manifest-digest": manifest_digest},
                "type": "cosign container image signature",
            },
            "optional": None,
        },
        separators=(",", ":"),
    ).encode()


class Signer:
    """An ECDSA P-256 key pair (cosign's default), made with `cryptography`."""

    def __init__(self, name: str):
        self.name = name
        self.key = ec.generate_private_key(ec.SECP256R1())

    def sign(self, payload: bytes) -> str:
        return base64.b64encode(self.key.sign(payload, ec.ECDSA(hashes.SHA256()))).decode()

    def public_pem(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def fingerprint(self) -> str:
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return sha256(der)


def write_policy(directory: Path, keys: list[tuple[Signer, list[str]]]) -> Path:
    """A trust policy file with each signer's public key under `keys/`,
    trusted for the given repository patterns."""
    (directory / "keys").mkdir(parents=True, exist_ok=True)
    entries = []
    for signer, repositories in keys:
        (directory / "keys" / f"{signer.name}.pub").write_bytes(signer.public_pem())
        entries.append(
            "[[key]]\n"
            f'name = "{signer.name}"\n'
            f'public_key = "keys/{signer.name}.pub"\n'
            f"repositories = {json.dumps(repositories)}\n"
        )
    policy = directory / "trust.toml"
    policy.write_text("\n".join(entries))
    return policy


def docker_config(directory: Path, host: str, user: str, password: str) -> Path:
    """A docker `config.json` holding credentials for `host`."""
    directory.mkdir(parents=True, exist_ok=True)
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    path = directory / "config.json"
    path.write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return path
