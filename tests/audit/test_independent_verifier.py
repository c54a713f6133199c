"""docs/audit.md suffices: a verifier written from it alone (stdlib + an Ed25519 library) accepts a real export."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def F(*parts: bytes) -> bytes:
    return b"".join(struct.pack(">I", len(p)) + p for p in parts)


def mth(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def test_a_verifier_written_from_the_docs_accepts_a_complete_export(history, tmp_path):
    history.cases(4)
    history.auditor.export(tmp_path / "x")
    manifest = json.loads((tmp_path / "x" / "manifest.json").read_text())
    node, final = manifest["node"], manifest["checkpoint"]
    leaves, head = [], bytes(32)
    for line in (tmp_path / "x" / "events.jsonl").read_text().splitlines():
        e = json.loads(line)
        encoded = F(b"ducha.audit.event.v1", node.encode(), struct.pack(">Q", e["position"]),
                    uuid.UUID(e["aggregate_id"]).bytes, struct.pack(">Q", e["aggregate_version"]),
                    e["topic"].encode(), e["state"].encode())
        leaf = hashlib.sha256(b"\x00" + encoded).digest()
        leaves.append(leaf)
        head = hashlib.sha256(head + leaf).digest()
    message = F(b"ducha.audit.checkpoint.v1", node.encode(), struct.pack(">Q", final["position"]),
                struct.pack(">Q", final["size"]), head, mth(leaves), final["time"].encode())
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode((tmp_path / "x" / "public_key.b64").read_text()))
    public.verify(base64.b64decode(final["signature"]), message)  # raises if the docs and the code disagree
    assert (head.hex(), mth(leaves).hex()) == (final["chain_head"], final["merkle_root"])
