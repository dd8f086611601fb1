"""The `cnum` command, for administrators: tokens, key pairs, revocations, and the agency's seal.

    cnum token --role ROLE [--structure-id ID] [--sub NAME] [--ttl SECONDS]
    cnum keys [--production --private-key FILE --public-key FILE] [--force]
    cnum revoke (--jti JTI | --sub SUB) --reason TEXT
    cnum seal-authority [--force]
    cnum verify FILE

`cnum` issues tokens, so it reads the private key (CNUM_JWT_PRIVATE_KEY_FILE; in development the pair that
`cnum keys` wrote under CNUM_VAR_DIR). It is a command, not a service: without CNUM_ENVIRONMENT it takes
`development`, where only development keys exist.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import uuid
import warnings
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
    DEVELOPMENT_SEAL_CERTIFICATE,
    DEVELOPMENT_SEAL_KEY,
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
    authority = commands.add_parser(
        "seal-authority",
        help="make the local test authority and the agency's test seal under CNUM_VAR_DIR/seal",
        description="A root and a seal certificate marked as a test authority (production refuses them); "
        "kept when they exist.",
    )
    authority.add_argument("--force", action="store_true", help="replace existing files")
    verify = commands.add_parser(
        "verify",
        help="say whether a PDF carries the agency's seal, intact (exit code 0) or not (1)",
        description="Checks every signature of the PDF against CNUM_SEAL_TRUST_ROOTS_FILE (the agency's "
        "seal) and CNUM_SIGNATURE_TRUST_ROOTS_FILE (other signers), and prints a summary in French.",
    )
    verify.add_argument("file", type=Path, help="the PDF")
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
        if arguments.command == "seal-authority":
            return _seal_authority(arguments, settings)
        if arguments.command == "verify":
            return _verify(arguments, settings)
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


def _quiet_pyhanko() -> None:
    # pyHanko imports DSA key types, which `cryptography` calls deprecated: the seal uses ECDSA, and the
    # warning would come before every summary. A signer outside every trusted root is a state the
    # summary shows, not an error to log.
    warnings.filterwarnings("ignore", message="DSA is deprecated")
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)


def _seal_authority(arguments: argparse.Namespace, settings: _CliSettings) -> int:
    _quiet_pyhanko()
    from cnum_shared.framework.seal import write_test_authority

    directory = settings.var_dir / DEVELOPMENT_SEAL_KEY.parent
    wanted = [settings.var_dir / path for path in (DEVELOPMENT_SEAL_KEY, DEVELOPMENT_SEAL_CERTIFICATE)]
    if all(path.exists() for path in wanted) and not arguments.force:
        print(f"seal kept: {directory} holds the local test authority (--force replaces it)")
        return 0
    key, certificate, root = write_test_authority(directory)
    print(
        f"local test authority written (never valid in production): seal key {key}, seal certificate "
        f"{certificate}, root {root}"
    )
    return 0


def _verify(arguments: argparse.Namespace, settings: _CliSettings) -> int:
    _quiet_pyhanko()
    from cnum_shared.core.signatures import summary_lines
    from cnum_shared.framework.seal import SealError, SignatureChecker, UnreadableSignedPdf

    if settings.seal_trust_roots_file is None:
        print("CNUM_SEAL_TRUST_ROOTS_FILE must name the agency's seal roots", file=sys.stderr)
        return 2
    try:
        content = arguments.file.read_bytes()
    except OSError as error:
        print(f"{arguments.file} : lecture impossible ({error.strerror})", file=sys.stderr)
        return 2
    try:
        checker = SignatureChecker.from_files(
            settings.seal_trust_roots_file, settings.signature_trust_roots_file
        )
        result = checker.check(content)
    except SealError as error:
        print(error, file=sys.stderr)
        return 2
    except UnreadableSignedPdf as error:
        print(f"{arguments.file} : {error}")
        return 1
    print(f"{arguments.file}")
    for line in summary_lines(result):
        print(line)
    return 0 if result.sealed_and_intact else 1


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
