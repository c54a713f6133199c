"""The node's Ed25519 signing key: made on first start, kept in the data directory (mode 0600).

One key signs the node's bearer tokens, its audit checkpoints and the messages it sends
to other levels; its public half is what other nodes and auditors put in their trust store.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE = "node-key.pem"


@dataclass(frozen=True)
class NodeKey:
    """A node's private key and the public key that verifies it."""

    private: Ed25519PrivateKey

    @classmethod
    def load_or_create(cls, data_dir: Path) -> NodeKey:
        path = data_dir / KEY_FILE
        if path.exists():
            private = serialization.load_pem_private_key(path.read_bytes(), password=None)
            assert isinstance(private, Ed25519PrivateKey), f"{path} does not hold an Ed25519 key"
            return cls(private)
        data_dir.mkdir(parents=True, exist_ok=True)
        private = Ed25519PrivateKey.generate()
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        return cls(private)

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def public_raw(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def public_b64(self) -> str:
        return base64.urlsafe_b64encode(self.public_raw).decode().rstrip("=")


def verify(public_raw: bytes, signature: bytes, data: bytes) -> bool:
    """True when `signature` is `data` signed by the holder of `public_raw`."""
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True
