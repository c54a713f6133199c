"""Who may send what: the trust store (each node's Ed25519 public key, from configuration) and the
direction rule (a superior assigns to a subordinate, a subordinate reports to its superior).

Nothing from another level is trusted unsigned (ARCHITECTURE.md "Crossing levels").
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from domain.errors import UnknownUnit
from domain.units import UnitRegistry
from ducha.federation.contracts import Direction, SignedMessage
from ducha.keys import NodeKey, verify


class Rejected(Exception):
    """Raised when a message may not change anything: its `reason` is what the dead letter records."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def b64decode(text: str) -> bytes:
    """URL-safe base64 with or without padding (NodeKey.public_b64 drops it)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(message: SignedMessage, key: NodeKey) -> SignedMessage:
    """The message with the sender's signature over its canonical bytes."""
    signature = base64.urlsafe_b64encode(key.sign(message.signed_bytes())).decode().rstrip("=")
    return message.model_copy(update={"signature": signature})


@dataclass(frozen=True)
class TrustStore:
    """The public keys of the nodes this node talks to: {node code: Ed25519 public key, base64}."""

    keys: dict[str, bytes]

    @classmethod
    def load(cls, path: Path) -> TrustStore:
        return cls({node: b64decode(key) for node, key in json.loads(path.read_text()).items()})

    def check_signed(self, message: SignedMessage) -> None:
        """Raised unless the message is signed by the key the trust store holds for its sender."""
        if not message.signature:
            raise Rejected("unsigned")
        public = self.keys.get(message.sender)
        if public is None:
            raise Rejected(f"sender {message.sender} is not in the trust store")
        try:
            signature = b64decode(message.signature)
        except ValueError:
            raise Rejected("signature is not base64") from None
        if not verify(public, signature, message.signed_bytes()):
            raise Rejected("bad signature")


def check_direction(registry: UnitRegistry, message: SignedMessage, direction: Direction) -> None:
    """Raised unless a `down` message goes from a superior to a subordinate, an `up` one the other way."""
    try:
        sender_above = message.sender in registry.ancestors(message.receiver)
        receiver_above = message.receiver in registry.ancestors(message.sender)
    except UnknownUnit:
        raise Rejected(f"unknown level {message.sender} or {message.receiver}") from None
    if direction is Direction.DOWN and not sender_above:
        raise Rejected(f"wrong direction: {message.sender} is not a superior of {message.receiver}")
    if direction is Direction.UP and not receiver_above:
        raise Rejected(f"wrong direction: {message.receiver} is not a superior of {message.sender}")
