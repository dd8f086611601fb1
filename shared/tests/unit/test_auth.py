import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cnum_shared.framework.auth import (
    AuthenticationError,
    KeyFileError,
    Principal,
    Role,
    SigningKey,
    VerificationKeys,
    decode_token,
    issue_token,
)
from cnum_shared.testing import sign_claims

KEY = SigningKey.generate()
KEYS = KEY.verification_keys()


def _claims(**overrides):
    now = int(datetime.now(UTC).timestamp())
    return {"sub": "x", "role": "legal", "jti": uuid.uuid4().hex, "iat": now, "exp": now + 600, **overrides}


def _signed(claims):
    return sign_claims(claims, KEY)


def test_a_token_issued_for_a_role_decodes_to_that_principal():
    principal = decode_token(issue_token(KEY, "finance", sub="marie.durand"), KEYS)
    assert (principal.sub, principal.role, principal.structure_id) == ("marie.durand", Role.FINANCE, None)


def test_every_token_has_its_own_id():
    first, second = (decode_token(issue_token(KEY, Role.LEGAL), KEYS) for _ in range(2))
    assert first.jti and second.jti and first.jti != second.jti


def test_sub_defaults_to_role_demo():
    assert decode_token(issue_token(KEY, Role.AUDITOR), KEYS).sub == "auditor-demo"


def test_a_structure_token_carries_its_structure():
    structure_id = uuid.uuid4()
    principal = decode_token(issue_token(KEY, "structure", structure_id=structure_id), KEYS)
    assert principal.structure_id == structure_id
    assert principal.may_see_structure(structure_id)
    assert not principal.may_see_structure(uuid.uuid4())


def test_other_roles_see_every_structure():
    assert Principal(sub="x", role=Role.LEGAL).may_see_structure(uuid.uuid4())


def test_a_structure_token_without_structure_is_refused_at_issue():
    with pytest.raises(ValueError, match="structure"):
        issue_token(KEY, "structure")


def test_an_expired_token_is_refused():
    token = issue_token(KEY, "legal", ttl_seconds=0, now=datetime.now(UTC) - timedelta(seconds=5))
    with pytest.raises(AuthenticationError, match="expiré"):
        decode_token(token, KEYS)


def test_a_token_signed_with_another_key_is_refused():
    token = issue_token(SigningKey.generate(), "legal")
    with pytest.raises(AuthenticationError, match="clé de signature inconnue"):
        decode_token(token, KEYS)


def test_a_token_with_another_key_but_our_kid_is_refused():
    other = SigningKey.generate()
    token = sign_claims(_claims(), other, kid=KEY.kid)
    with pytest.raises(AuthenticationError, match="invalide"):
        decode_token(token, KEYS)


def test_an_hs256_token_made_with_the_public_key_as_secret_is_refused():
    # Algorithm confusion: the public key is public; a verifier that accepted HS256 would be fooled.
    # PyJWT will not even make such a token: it is assembled by hand.
    import hashlib
    import hmac

    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signing_input = f"{part({'alg': 'HS256', 'typ': 'JWT', 'kid': KEY.kid})}.{part(_claims(role='admin'))}"
    mac = hmac.new(KEY.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    with pytest.raises(AuthenticationError):
        decode_token(token, KEYS)


def _unsigned(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def test_alg_none_is_refused():
    with pytest.raises(AuthenticationError):
        decode_token(_unsigned(_claims(role="admin")), KEYS)


@pytest.mark.parametrize("missing", ["sub", "role", "exp", "iat", "jti"])
def test_a_token_missing_a_required_claim_is_refused(missing):
    claims = _claims()
    del claims[missing]
    with pytest.raises(AuthenticationError):
        decode_token(_signed(claims), KEYS)


def test_an_unknown_role_is_refused():
    with pytest.raises(AuthenticationError, match="rôle inconnu"):
        decode_token(_signed(_claims(role="superuser")), KEYS)


def test_a_structure_role_without_structure_id_is_refused():
    with pytest.raises(AuthenticationError, match="structure_id"):
        decode_token(_signed(_claims(role="structure")), KEYS)


def test_garbage_is_refused():
    with pytest.raises(AuthenticationError):
        decode_token("not-a-jwt", KEYS)


@pytest.mark.parametrize(
    ("role", "hours"),
    [("admin", 8), ("legal", 12), ("finance", 12), ("structure", 12), ("service", 1), ("reporter", 31 * 24)],
)
def test_a_token_living_longer_than_its_roles_maximum_is_refused(role, hours):
    # DESIGN §5: a maximum lifetime per role; a hundred-year token is worth nothing.
    now = int(datetime.now(UTC).timestamp())
    extra = {"structure_id": str(uuid.uuid4())} if role == "structure" else {}
    at_maximum = _signed(_claims(role=role, iat=now, exp=now + hours * 3600, **extra))
    assert decode_token(at_maximum, KEYS).role is Role(role)
    beyond = _signed(_claims(role=role, iat=now, exp=now + hours * 3600 + 1, **extra))
    with pytest.raises(AuthenticationError, match="durée de vie"):
        decode_token(beyond, KEYS)
    with pytest.raises(ValueError, match="at most"):
        issue_token(KEY, role, structure_id=extra.get("structure_id"), ttl_seconds=hours * 3600 + 1)


def test_a_token_issued_in_the_future_beyond_the_skew_is_refused():
    now = int(datetime.now(UTC).timestamp())
    with pytest.raises(AuthenticationError):
        decode_token(_signed(_claims(iat=now + 3600, exp=now + 7200)), KEYS)


def test_a_token_accepted_once_is_refused_once_it_has_expired():
    token = issue_token(KEY, Role.FINANCE, sub="marie.durand", ttl_seconds=60)
    assert decode_token(token, KEYS).sub == "marie.durand"  # verified, then remembered
    later = datetime.now(UTC) + timedelta(seconds=61)
    with pytest.raises(AuthenticationError, match="expiré"):
        decode_token(token, KEYS, now=later)


def test_a_remembered_token_is_not_valid_under_other_keys():
    token = issue_token(KEY, Role.FINANCE)
    decode_token(token, KEYS)
    with pytest.raises(AuthenticationError, match="invalide"):
        decode_token(token, SigningKey.generate().verification_keys())


def test_two_public_keys_in_one_file_verify_tokens_of_either_key_during_a_rotation():
    old, new = SigningKey.generate(development=False), SigningKey.generate(development=False)
    both = VerificationKeys.from_pem(old.public_pem() + new.public_pem())
    assert not both.development
    assert decode_token(issue_token(old, Role.LEGAL), both).role is Role.LEGAL
    assert decode_token(issue_token(new, Role.LEGAL), both).role is Role.LEGAL


def test_development_keys_are_marked_and_production_keys_are_not():
    assert SigningKey.from_pem(SigningKey.generate(development=True).private_pem()).development
    assert VerificationKeys.from_pem(SigningKey.generate(development=True).public_pem()).development
    assert not SigningKey.from_pem(SigningKey.generate(development=False).private_pem()).development


def test_a_key_that_is_not_ed25519_is_refused():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(KeyFileError, match="Ed25519"):
        SigningKey.from_pem(pem)
    with pytest.raises(KeyFileError):
        VerificationKeys.from_pem(b"not a key")
    assert isinstance(SigningKey.generate().private_key, Ed25519PrivateKey)
