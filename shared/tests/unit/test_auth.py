import base64
import json
import uuid
import warnings
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from cnum_shared.auth import AuthenticationError, Principal, Role, decode_token, issue_token

SECRET = "a-test-secret-that-is-long-enough-for-hs256-0123456789"


def test_a_token_issued_for_a_role_decodes_to_that_principal():
    token = issue_token(SECRET, "finance", sub="marie.durand")
    assert decode_token(token, SECRET) == Principal(sub="marie.durand", role=Role.FINANCE)


def test_sub_defaults_to_role_demo():
    assert decode_token(issue_token(SECRET, Role.AUDITOR), SECRET).sub == "auditor-demo"


def test_a_structure_token_carries_its_structure():
    structure_id = uuid.uuid4()
    principal = decode_token(issue_token(SECRET, "structure", structure_id=structure_id), SECRET)
    assert principal.structure_id == structure_id
    assert principal.may_see_structure(structure_id)
    assert not principal.may_see_structure(uuid.uuid4())


def test_other_roles_see_every_structure():
    assert Principal(sub="x", role=Role.LEGAL).may_see_structure(uuid.uuid4())


def test_a_structure_token_without_structure_is_refused_at_issue():
    with pytest.raises(ValueError, match="structure"):
        issue_token(SECRET, "structure")


def test_an_expired_token_is_refused():
    token = issue_token(SECRET, "legal", ttl_seconds=0, now=datetime.now(UTC) - timedelta(seconds=5))
    with pytest.raises(AuthenticationError, match="expiré"):
        decode_token(token, SECRET)


def test_a_token_signed_with_another_secret_is_refused():
    token = issue_token("another-secret-that-is-also-long-enough-0123456789", "legal")
    with pytest.raises(AuthenticationError, match="invalide"):
        decode_token(token, SECRET)


def _unsigned(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def test_alg_none_is_refused():
    exp = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    with pytest.raises(AuthenticationError):
        decode_token(_unsigned({"sub": "x", "role": "admin", "exp": exp}), SECRET)


def test_another_algorithm_is_refused():
    exp = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    with warnings.catch_warnings():  # PyJWT finds the secret short for HS512; the token is refused anyway
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        token = jwt.encode({"sub": "x", "role": "admin", "exp": exp}, SECRET, algorithm="HS512")
    with pytest.raises(AuthenticationError):
        decode_token(token, SECRET)


@pytest.mark.parametrize("missing", ["sub", "role", "exp"])
def test_a_token_missing_a_required_claim_is_refused(missing):
    claims = {"sub": "x", "role": "legal", "exp": int((datetime.now(UTC) + timedelta(hours=1)).timestamp())}
    del claims[missing]
    with pytest.raises(AuthenticationError):
        decode_token(jwt.encode(claims, SECRET, algorithm="HS256"), SECRET)


def test_an_unknown_role_is_refused():
    exp = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    token = jwt.encode({"sub": "x", "role": "superuser", "exp": exp}, SECRET, algorithm="HS256")
    with pytest.raises(AuthenticationError, match="rôle inconnu"):
        decode_token(token, SECRET)


def test_a_structure_role_without_structure_id_is_refused():
    exp = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    token = jwt.encode({"sub": "x", "role": "structure", "exp": exp}, SECRET, algorithm="HS256")
    with pytest.raises(AuthenticationError, match="structure_id"):
        decode_token(token, SECRET)


def test_garbage_is_refused():
    with pytest.raises(AuthenticationError):
        decode_token("not-a-jwt", SECRET)


def test_a_token_accepted_once_is_refused_once_it_has_expired():
    token = issue_token(SECRET, Role.FINANCE, sub="marie.durand", ttl_seconds=60)
    assert decode_token(token, SECRET).sub == "marie.durand"  # verified, then remembered
    later = datetime.now(UTC) + timedelta(seconds=61)
    with pytest.raises(AuthenticationError, match="expiré"):
        decode_token(token, SECRET, now=later)


def test_a_remembered_token_is_not_valid_under_another_secret():
    token = issue_token(SECRET, Role.FINANCE)
    decode_token(token, SECRET)
    with pytest.raises(AuthenticationError, match="invalide"):
        decode_token(token, "another-secret-of-at-least-thirty-two-characters")
