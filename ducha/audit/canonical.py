"""The canonical encoding of what the audit hashes and signs (docs/audit.md is its specification).

Every record is a sequence of fields, each written as its length (4 bytes, big-endian) and
its bytes. Integers are 8-byte big-endian unsigned; text is UTF-8; an aggregate id is its
16 UUID bytes; an event's state is eventsourcing's stored bytes exactly as recorded, so
a verifier needs no JSON canonicalisation to recompute a hash.
"""

from __future__ import annotations

import hashlib
import struct
from uuid import UUID

EVENT_TAG = b"ducha.audit.event.v1"
CHECKPOINT_TAG = b"ducha.audit.checkpoint.v1"
GENESIS = bytes(32)


def fields(*parts: bytes) -> bytes:
    """Length-prefixed concatenation: u32be(len(p)) || p for each part."""
    return b"".join(struct.pack(">I", len(p)) + p for p in parts)


def u64(value: int) -> bytes:
    return struct.pack(">Q", value)


def encode_event(node: str, position: int, aggregate_id: UUID, version: int, topic: str, state: bytes) -> bytes:
    """E(e): the bytes that stand for one stored event in the chain and the Merkle tree."""
    return fields(EVENT_TAG, node.encode(), u64(position), aggregate_id.bytes, u64(version), topic.encode(), state)


def leaf_hash(encoded: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || E(e))."""
    return hashlib.sha256(b"\x00" + encoded).digest()


def chain_next(previous: bytes, leaf: bytes) -> bytes:
    """h_n = SHA-256(h_{n-1} || leaf_hash_n), with h_0 = 32 zero bytes."""
    return hashlib.sha256(previous + leaf).digest()


def content_digest(aggregate_id: UUID, version: int, topic: str, state: bytes) -> bytes:
    """An event's identity without its position: tells a moved event from an altered one."""
    return hashlib.sha256(fields(aggregate_id.bytes, u64(version), topic.encode(), state)).digest()


def state_digest(state: bytes) -> bytes:
    return hashlib.sha256(state).digest()


def checkpoint_message(node: str, position: int, size: int, chain_head: bytes, merkle_root: bytes, time: str) -> bytes:
    """The bytes a checkpoint's Ed25519 signature covers."""
    return fields(CHECKPOINT_TAG, node.encode(), u64(position), u64(size), chain_head, merkle_root, time.encode())
