import uuid

import pytest

from cnum_shared.framework.auth import Role, VerificationKeys, decode_token
from cnum_shared.framework.cli import main


@pytest.fixture
def var_dir(tmp_path, monkeypatch):
    for name in ("CNUM_JWT_PUBLIC_KEY_FILE", "CNUM_JWT_PRIVATE_KEY_FILE", "CNUM_REVOCATION_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CNUM_ENVIRONMENT", raising=False)
    monkeypatch.setenv("CNUM_VAR_DIR", str(tmp_path))
    return tmp_path


def _token(capsys, *argv):
    assert main(["token", *argv]) == 0
    return capsys.readouterr().out.strip()


def _public_keys(var_dir):
    return VerificationKeys.from_pem((var_dir / "keys" / "development-jwt-public.pem").read_bytes())


def test_cnum_keys_writes_a_development_pair_once(capsys, var_dir):
    assert main(["keys"]) == 0
    private = var_dir / "keys" / "development-jwt-private.pem"
    first = private.read_bytes()
    assert private.stat().st_mode & 0o777 == 0o600
    assert _public_keys(var_dir).development
    assert main(["keys"]) == 0  # kept: the services already verify with it
    assert private.read_bytes() == first
    assert "kept" in capsys.readouterr().out


def test_cnum_token_prints_a_token_signed_with_the_private_key(capsys, var_dir):
    main(["keys"])
    capsys.readouterr()
    principal = decode_token(_token(capsys, "--role", "finance"), _public_keys(var_dir))
    assert principal.role is Role.FINANCE
    assert principal.sub == "finance-demo"
    assert principal.jti


def test_cnum_token_for_a_structure(capsys, var_dir):
    main(["keys"])
    capsys.readouterr()
    structure_id = uuid.uuid4()
    token = _token(capsys, "--role", "structure", "--structure-id", str(structure_id), "--sub", "mairie")
    principal = decode_token(token, _public_keys(var_dir))
    assert (principal.role, principal.structure_id, principal.sub) == (Role.STRUCTURE, structure_id, "mairie")


def test_cnum_token_refuses_a_lifetime_beyond_the_role_maximum(capsys, var_dir):
    main(["keys"])
    with pytest.raises(SystemExit):
        main(["token", "--role", "admin", "--ttl", str(3_155_760_000)])
    assert "at most" in capsys.readouterr().err


def test_cnum_token_without_keys_says_how_to_make_them(capsys, var_dir):
    assert main(["token", "--role", "legal"]) == 2
    assert "cnum keys" in capsys.readouterr().err


def test_cnum_revoke_records_the_revocation(capsys, var_dir):
    from cnum_shared.framework.auth import Principal
    from cnum_shared.framework.revocation import RevocationList

    assert main(["revoke", "--sub", "acct-1", "--reason", "départ de l'agent"]) == 0
    assert main(["revoke", "--jti", "abc123", "--reason", "jeton divulgué"]) == 0
    revocations = RevocationList(f"sqlite:///{var_dir / 'revocations.sqlite3'}", cache_seconds=0)
    try:
        assert {(entry.sub, entry.jti) for entry in revocations.entries()} == {
            ("acct-1", None),
            (None, "abc123"),
        }
        assert revocations.is_revoked(Principal(sub="someone", role=Role.LEGAL, jti="abc123"))
    finally:
        revocations.dispose()
