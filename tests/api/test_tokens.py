"""Bearer tokens alone: issue, verify (signature, expiry, audience), revoke."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.actor import Actor, Role
from ducha.keys import NodeKey
from ducha.tokens import RevocationList, TokenRefused, issue_token, revoke, token_id, verify_token

HOUR = timedelta(hours=1)


@pytest.fixture
def key(tmp_path: Path) -> NodeKey:
    return NodeKey.load_or_create(tmp_path)


def test_issued_token_verifies_to_its_actor(key, registry):
    token = issue_token(key, "220000", "220000-DCS", Role.AGENCY, "王敏", HOUR, registry=registry)

    actor = verify_token(key, "220000", token, set(), registry=registry)

    assert actor == Actor(unit="220000-DCS", role=Role.AGENCY, person="王敏")


def test_token_for_another_node_is_refused(key):
    token = issue_token(key, "220100", "220100-DCS", Role.AGENCY, "李华", HOUR)

    with pytest.raises(TokenRefused, match="(?i)issuer|audience"):
        verify_token(key, "220000", token, set())


def test_expired_token_is_refused(key):
    token = issue_token(key, "220000", "220000-DCS", Role.AGENCY, "王敏", HOUR, now=datetime.now(UTC) - 2 * HOUR)

    with pytest.raises(TokenRefused, match="expired"):
        verify_token(key, "220000", token, set())


def test_token_signed_by_another_key_is_refused(key, tmp_path):
    other = NodeKey.load_or_create(tmp_path / "other")
    token = issue_token(other, "220000", "220000-DCS", Role.AGENCY, "王敏", HOUR)

    with pytest.raises(TokenRefused, match="[Ss]ignature"):
        verify_token(key, "220000", token, set())


def test_revoked_token_is_refused(key, tmp_path):
    token = issue_token(key, "220000", "220000-DCS", Role.AGENCY, "王敏", HOUR)
    revoked = RevocationList(tmp_path)
    verify_token(key, "220000", token, revoked)  # accepted before the revocation

    revoke(tmp_path, token_id(token))

    with pytest.raises(TokenRefused, match="revoked"):
        verify_token(key, "220000", token, revoked)


def test_revoke_accepts_the_token_itself(key, tmp_path):
    token = issue_token(key, "220000", "220000-DCS", Role.AGENCY, "王敏", HOUR)

    jti = revoke(tmp_path, token)

    assert jti == token_id(token)
    assert jti in RevocationList(tmp_path)


def test_revocations_accumulate(key, tmp_path):
    revoke(tmp_path, "a")
    revoke(tmp_path, "b")

    revoked = RevocationList(tmp_path)
    assert "a" in revoked and "b" in revoked


def test_issue_refuses_a_role_that_is_not_a_role(key):
    with pytest.raises(ValueError):
        issue_token(key, "220000", "220000-DCS", "mayor", "王敏", HOUR)


def test_issue_refuses_a_unit_outside_the_registry(key, registry):
    with pytest.raises(ValueError, match="registry"):
        issue_token(key, "220000", "990000-XX", Role.AGENCY, "王敏", HOUR, registry=registry)


def test_token_for_a_unit_gone_from_the_registry_is_refused(key, registry):
    token = issue_token(key, "220000", "990000-XX", Role.AGENCY, "王敏", HOUR)

    with pytest.raises(TokenRefused, match="registry"):
        verify_token(key, "220000", token, set(), registry=registry)


def test_malformed_token_is_refused(key):
    with pytest.raises(TokenRefused):
        verify_token(key, "220000", "not-a-token", set())
