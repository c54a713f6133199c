"""Who may send what: the trust store (each node's Ed25519 public key, from configuration) and the
authorization policy's row for each contract (`api/authorization.py`, `BUS_POLICY`: a superior assigns
to a subordinate, a subordinate reports to its superior, and which roles may have acted).

Nothing from another level is trusted unsigned (ARCHITECTURE.md "Crossing levels").
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from api.authorization import BUS_POLICY, node_relation
from domain.actor import Role
from domain.errors import UnknownUnit
from domain.units import UnitRegistry
from ducha.federation.contracts import Contract, SignedMessage
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


def check_policy(registry: UnitRegistry, message: SignedMessage, contract: Contract) -> None:
    """Raised unless the authorization policy's row for the contract (`api/authorization.py`, `BUS_POLICY`)
    lets the sender, at its relation to the receiver, send it, and lets the actor's role have acted in it.
    A contract without a row is refused, and so is an actor whose unit lies outside the sender's level: a
    node speaks only for the units of its own jurisdiction (辖区)."""
    rule = BUS_POLICY.get(contract.name)
    if rule is None:
        raise Rejected(f"no policy row for contract {contract.name}: refused")
    try:
        related = node_relation(registry, message.sender, message.receiver)
    except UnknownUnit:
        raise Rejected(f"unknown level {message.sender} or {message.receiver}") from None
    if related is not rule.sender:
        raise Rejected(
            f"wrong direction: {contract.name} goes from a level {rule.sender.value} its receiver; "
            f"{message.sender} is {related.value} {message.receiver}"
        )
    try:
        role = Role(contract.actor.role)
    except ValueError:
        raise Rejected(f"unknown role {contract.actor.role!r}") from None
    if role not in rule.roles:
        raise Rejected(f"the policy does not let the role {role.value!r} act in {contract.name}")
    unit = contract.actor.unit
    if unit not in registry or not registry.is_within(unit, message.sender):
        raise Rejected(f"the actor's unit {unit} is not within the sender's level {message.sender}")
