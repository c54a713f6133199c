"""Authentication: `Authorization: Bearer <token>` becomes the Actor (单位, role, person).

The token is verified against the node's key, its code (audience) and the revocation
list (see `ducha/tokens.py`). No token, or a bad one, answers 401 as a problem. The actor
is also left on the request's state for the access log (which never logs the token).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import unauthenticated
from domain.actor import Actor
from domain.units import UnitRegistry
from ducha.keys import NodeKey
from ducha.tokens import RevocationList, TokenRefused, unverified_claims, verify_token

# auto_error=False: a missing token is answered by our own 401 problem, not FastAPI's.
_bearer = HTTPBearer(auto_error=False, description="A token issued by `ducha token issue`.")


@dataclass
class TokenVerifier:
    """Everything needed to check a node's tokens.

    A signature is checked once per token: the verified claims are kept (a bounded cache) and
    only the expiry, the revocation list and the registry are checked again on each request.
    """

    key: NodeKey
    node: str
    revoked: RevocationList
    registry: UnitRegistry
    cache_size: int = 10_000
    _verified: dict[str, tuple[Actor, str, float]] = field(default_factory=dict)

    def actor_of(self, token: str) -> Actor:
        if (known := self._verified.get(token)) is not None:
            actor, jti, expires = known
            if time.time() < expires and jti not in self.revoked and actor.unit in self.registry:
                return actor
            del self._verified[token]
        actor = verify_token(self.key, self.node, token, self.revoked, registry=self.registry)
        if len(self._verified) >= self.cache_size:
            self._verified.pop(next(iter(self._verified)))  # the oldest entry
        claims = unverified_claims(token)
        self._verified[token] = (actor, str(claims["jti"]), float(claims["exp"]))
        return actor


async def current_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Actor:
    """The authenticated actor of the request; 401 problem when there is none. Async because it never blocks
    (a signature is checked once per token), so FastAPI runs it inline instead of on a worker thread."""
    if (known := getattr(request.state, "actor", None)) is not None:
        return known  # verified already for this request (by the authorization policy, before the route)
    if credentials is None:
        raise unauthenticated("send Authorization: Bearer <token>", token_presented=False)
    verifier: TokenVerifier = request.app.state.tokens
    try:
        actor = verifier.actor_of(credentials.credentials)
    except TokenRefused as refused:
        raise unauthenticated(f"the token is refused: {refused}", token_presented=True) from None
    request.state.actor = actor
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]
