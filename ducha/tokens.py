"""Bearer tokens: who acts (单位, role, person), signed by the node's Ed25519 key.

A token is a JWT (RFC 7519) signed with EdDSA by PyJWT. Its claims are the actor (`unit`,
`role`, `person`), `iat`/`exp`, `aud` and `iss` (the node's code: a token is good only at
the node that issued it) and `jti` (its id, which the revocation list names). Expiry is
judged on the wall clock, not on the node's (settable) clock: it is a security limit, not
the date of an act.

The revocation list is a JSON file in the data directory (`revoked-tokens.json`); the
`RevocationList` re-reads it whenever it changes, so `ducha token revoke` on a running node
takes effect at the next request.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Container
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

from domain.actor import Actor, Role
from domain.units import UnitRegistry
from ducha.keys import NodeKey

ALGORITHM = "EdDSA"
REVOKED_FILE = "revoked-tokens.json"
REQUIRED_CLAIMS = ["iss", "aud", "iat", "exp", "jti", "unit", "role", "person"]


class TokenRefused(Exception):
    """Raised when a token is malformed, forged, expired, for another node, revoked, or names
    an actor the node does not know."""


def issue_token(
    key: NodeKey,
    node: str,
    unit: str,
    role: Role | str,
    person: str,
    ttl: timedelta,
    *,
    registry: UnitRegistry | None = None,
    now: datetime | None = None,
) -> str:
    """A signed token for `person` acting for `unit` in `role` at `node`, valid for `ttl`.

    Refuses (ValueError) a role that is not a `Role`, a unit outside the registry (when one
    is given), or an empty person: a token is never issued for an actor that could not act.
    """
    role = Role(role)  # ValueError for an unknown role
    if registry is not None and unit not in registry:
        raise ValueError(f"unit {unit!r} is not in the node's registry")
    if not person.strip():
        raise ValueError("a token names the person it is issued to")
    issued = now or datetime.now(UTC)
    claims = {
        "iss": node,
        "aud": node,
        "iat": issued,
        "exp": issued + ttl,
        "jti": uuid.uuid4().hex,
        "unit": unit,
        "role": role.value,
        "person": person,
    }
    return jwt.encode(claims, key.private, algorithm=ALGORITHM)


def verify_token(
    key: NodeKey, node: str, token: str, revoked: Container[str], *, registry: UnitRegistry | None = None
) -> Actor:
    """The actor a token names, once its signature, expiry, audience, issuer and revocation
    are checked; raises `TokenRefused` otherwise."""
    try:
        claims = jwt.decode(
            token,
            key.public,
            algorithms=[ALGORITHM],
            audience=node,
            issuer=node,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as error:
        raise TokenRefused(str(error)) from None
    if claims["jti"] in revoked:
        raise TokenRefused("the token has been revoked")
    try:
        actor = Actor(unit=str(claims["unit"]), role=Role(claims["role"]), person=str(claims["person"]))
    except ValueError:
        raise TokenRefused(f"unknown role {claims['role']!r}") from None
    if registry is not None and actor.unit not in registry:
        raise TokenRefused(f"unit {actor.unit!r} is no longer in the node's registry")
    return actor


def unverified_claims(token: str) -> dict[str, Any]:
    """A token's claims, read without verifying it: only for a token verified already, or to revoke one."""
    return jwt.decode(token, options={"verify_signature": False})


def token_id(token: str) -> str:
    """The `jti` of a token, read without verifying it (to revoke a token one holds)."""
    return str(unverified_claims(token)["jti"])


def revoke(data_dir: Path, jti: str) -> str:
    """Adds a token's id to the node's revocation list and answers it; `jti` may also be the
    token itself. The file is replaced atomically: a reader never sees half of it."""
    if jti.count(".") == 2:  # a whole JWT (header.payload.signature), not its id
        jti = token_id(jti)
    path = data_dir / REVOKED_FILE
    ids = set(_read_ids(path))
    ids.add(jti)
    data_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".revoked-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"revoked": sorted(ids)}, out)
    os.replace(tmp, path)
    return jti


def _read_ids(path: Path) -> list[str]:
    if not path.exists():
        return []
    return list(json.loads(path.read_text(encoding="utf-8"))["revoked"])


class RevocationList(Container[str]):
    """The revoked token ids of a data directory, re-read when the file changes."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / REVOKED_FILE
        self._stamp: tuple[int, int, int] | None = None
        self._ids: frozenset[str] = frozenset()

    def __contains__(self, jti: object) -> bool:
        self._refresh()
        return jti in self._ids

    def _refresh(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._ids = None, frozenset()
            return
        # revoke() replaces the file, so a new inode (or mtime/size) means new content.
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            self._ids = frozenset(_read_ids(self.path))
            self._stamp = stamp
