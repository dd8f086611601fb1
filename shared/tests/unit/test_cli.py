import uuid

from cnum_shared.auth import Role, decode_token
from cnum_shared.cli import main
from cnum_shared.config import DEVELOPMENT_JWT_SECRET


def _token(capsys, *argv):
    assert main(["token", *argv]) == 0
    return capsys.readouterr().out.strip()


def test_cnum_token_prints_a_token_for_the_role(capsys, monkeypatch):
    monkeypatch.delenv("CNUM_JWT_SECRET", raising=False)
    principal = decode_token(_token(capsys, "--role", "finance"), DEVELOPMENT_JWT_SECRET)
    assert principal.role is Role.FINANCE
    assert principal.sub == "finance-demo"


def test_cnum_token_signs_with_cnum_jwt_secret(capsys, monkeypatch):
    secret = "the-secret-of-this-deployment-0123456789abcdef"
    monkeypatch.setenv("CNUM_JWT_SECRET", secret)
    structure_id = uuid.uuid4()
    token = _token(capsys, "--role", "structure", "--structure-id", str(structure_id), "--sub", "mairie")
    principal = decode_token(token, secret)
    assert (principal.role, principal.structure_id, principal.sub) == (Role.STRUCTURE, structure_id, "mairie")
