"""The `cnum` command, for administrators: tokens, key pairs and revocations.

    cnum token --role ROLE [--structure-id ID] [--sub NAME] [--ttl SECONDS]
    cnum keys [--production --private-key FILE --public-key FILE] [--force]
    cnum revoke (--jti JTI | --sub SUB) --reason TEXT

`cnum` issues tokens, so it reads the private key (CNUM_JWT_PRIVATE_KEY_FILE; in development the pair that
`cnum keys` wrote under CNUM_VAR_DIR). It is a command, not a service: without CNUM_ENVIRONMENT it takes
`development`, where only development keys exist.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

from pydantic_settings import SettingsConfigDict

from cnum_shared.framework.auth import (
    DEFAULT_TTL_SECONDS,
    MAX_LIFETIME_SECONDS,
    Role,
    SigningKey,
    issue_token,
)
from cnum_shared.framework.config import (
    DEVELOPMENT_PRIVATE_KEY,
    DEVELOPMENT_PUBLIC_KEY,
    ConfigurationError,
    ServiceSettings,
    load_settings,
)
from cnum_shared.framework.revocation import RevocationList


class _CliSettings(ServiceSettings):
    """Only the common CNUM_* variables matter here; the prefix keeps service variables out."""

    model_config = SettingsConfigDict(env_prefix="CNUM_CLI_")


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a UUID: {value!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnum", description="cnum command-line tools")
    commands = parser.add_subparsers(dest="command", required=True)
    token = commands.add_parser(
        "token",
        help="print a JWT for calling the APIs (signed with CNUM_JWT_PRIVATE_KEY_FILE)",
        description="Print a bearer token, e.g. "
        'curl -H "Authorization: Bearer $(cnum token --role legal)" http://127.0.0.1:5001/api/v1/…',
    )
    token.add_argument("--role", required=True, choices=[role.value for role in Role])
    token.add_argument("--structure-id", type=_uuid, help="required for --role structure")
    token.add_argument("--sub", help="who the token speaks for (default: <role>-demo)")
    token.add_argument(
        "--ttl",
        type=int,
        default=DEFAULT_TTL_SECONDS,
        help="lifetime in seconds (at most the role's maximum); 0 or less gives an expired token",
    )
    keys = commands.add_parser(
        "keys",
        help="write a new Ed25519 key pair for signing and verifying tokens",
        description="Without options: the development pair under CNUM_VAR_DIR/keys (kept if it exists), "
        "marked as such so that production refuses it.",
    )
    keys.add_argument("--production", action="store_true", help="an unmarked pair, at the paths given")
    keys.add_argument("--private-key", type=Path, help="where to write the private key (mode 600)")
    keys.add_argument("--public-key", type=Path, help="where to write the public key")
    keys.add_argument("--force", action="store_true", help="replace existing files")
    revoke = commands.add_parser(
        "revoke",
        help="revoke one token (--jti) or every token of a subject issued until now (--sub)",
    )
    target = revoke.add_mutually_exclusive_group(required=True)
    target.add_argument("--jti", help="the token's id (its `jti` claim)")
    target.add_argument("--sub", help="the account whose tokens are all revoked")
    revoke.add_argument("--reason", required=True, help="why (kept in the revocation list)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        settings = load_settings(
            _CliSettings, {"environment": os.environ.get("CNUM_ENVIRONMENT") or "development"}
        )
        if arguments.command == "token":
            return _token(parser, arguments, settings)
        if arguments.command == "keys":
            return _keys(parser, arguments, settings)
        return _revoke(arguments, settings)
    except ConfigurationError as error:
        print(error, file=sys.stderr)
        return 2


def _token(parser: argparse.ArgumentParser, arguments: argparse.Namespace, settings: _CliSettings) -> int:
    role = Role(arguments.role)
    if role is Role.STRUCTURE and arguments.structure_id is None:
        parser.error("--role structure needs --structure-id")
    if arguments.ttl > MAX_LIFETIME_SECONDS[role]:
        parser.error(f"--ttl: a {role.value} token lives at most {MAX_LIFETIME_SECONDS[role]} seconds")
    print(
        issue_token(
            settings.signing_key(),
            role,
            sub=arguments.sub,
            structure_id=arguments.structure_id,
            ttl_seconds=arguments.ttl,
        )
    )
    return 0


def _keys(parser: argparse.ArgumentParser, arguments: argparse.Namespace, settings: _CliSettings) -> int:
    if arguments.production:
        if arguments.private_key is None or arguments.public_key is None:
            parser.error("--production needs --private-key and --public-key")
        private_path, public_path = arguments.private_key, arguments.public_key
    else:
        private_path = arguments.private_key or settings.var_dir / DEVELOPMENT_PRIVATE_KEY
        public_path = arguments.public_key or settings.var_dir / DEVELOPMENT_PUBLIC_KEY
    if private_path.exists() and public_path.exists() and not arguments.force:
        print(f"keys kept: {private_path} and {public_path} exist (--force replaces them)")
        return 0
    key = SigningKey.generate(development=not arguments.production)
    for path, content, mode in (
        (private_path, key.private_pem(), 0o600),
        (public_path, key.public_pem(), 0o644),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written under a temporary name and renamed: a process starting meanwhile reads a whole key or none.
        partial = path.with_name(f".{path.name}.partial")
        partial.write_bytes(b"")
        partial.chmod(mode)
        partial.write_bytes(content)
        partial.replace(path)
    print(f"keys written: {private_path} (private, keep it with the issuers) and {public_path} (public)")
    return 0


def _revoke(arguments: argparse.Namespace, settings: _CliSettings) -> int:
    revocations = RevocationList(settings.revocation_database_url, cache_seconds=0)
    who = f"cli:{os.environ.get('USER') or os.getuid()}"
    try:
        if arguments.jti:
            entry = revocations.revoke_jti(arguments.jti, by=who, reason=arguments.reason)
            print(f"token {arguments.jti} revoked until {entry.expires_at.isoformat()}")
        else:
            entry = revocations.revoke_subject(arguments.sub, by=who, reason=arguments.reason)
            print(f"every token of {arguments.sub} issued until {entry.revoked_at.isoformat()} is revoked")
    finally:
        revocations.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
