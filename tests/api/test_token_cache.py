"""The verified-token cache never outlives what it caches: expiry and revocation still apply."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from api.auth import TokenVerifier
from domain.actor import Role
from ducha.keys import NodeKey
from ducha.tokens import RevocationList, TokenRefused, issue_token, revoke, token_id
from ducha.units import load_registry


@pytest.fixture
def verifier(tmp_path) -> TokenVerifier:
    return TokenVerifier(NodeKey.load_or_create(tmp_path), "220000", RevocationList(tmp_path), load_registry())


def token(verifier: TokenVerifier, ttl: timedelta) -> str:
    return issue_token(verifier.key, "220000", "220000-DCS", Role.AGENCY, "王敏", ttl)


def test_a_token_revoked_after_it_was_verified_is_refused(verifier, tmp_path):
    held = token(verifier, timedelta(hours=1))
    verifier.actor_of(held)
    revoke(tmp_path, token_id(held))
    with pytest.raises(TokenRefused):
        verifier.actor_of(held)


def test_a_token_that_expired_after_it_was_verified_is_refused(verifier):
    held = token(verifier, timedelta(seconds=1))
    verifier.actor_of(held)
    time.sleep(1.1)  # the expiry is judged on the wall clock, in whole seconds
    with pytest.raises(TokenRefused):
        verifier.actor_of(held)


async def test_a_request_verifies_its_token_once(client, app, auth, propose, monkeypatch):
    from tests.api.builders import AGENCY

    proposed = await propose()
    case_id, position = proposed.json()["id"], proposed.headers["Ducha-Position"]
    verifier = app.state.tokens
    calls = []
    checked = verifier.actor_of
    monkeypatch.setattr(verifier, "actor_of", lambda token: calls.append(token) or checked(token))

    answer = await client.get(f"/v1/cases/{case_id}", params={"after": position}, headers=auth(AGENCY))

    assert answer.status_code == 200
    assert len(calls) == 1  # by the authorization policy; the route's own actor is that one
