"""The `cnum` command: `cnum token --role ROLE [--structure-id ID] [--sub NAME] [--ttl SECONDS]`."""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Sequence

from pydantic_settings import SettingsConfigDict

from cnum_shared.auth import DEFAULT_TTL_SECONDS, Role, issue_token
from cnum_shared.config import ConfigurationError, ServiceSettings, load_settings


class _CliSettings(ServiceSettings):
    """Only the common CNUM_* variables matter here; the prefix keeps service variables out."""

    model_config = SettingsConfigDict(env_prefix="CNUM_CLI_")


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a UUID: {value!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cnum", description="cnum command-line tools")
    commands = parser.add_subparsers(dest="command", required=True)
    token = commands.add_parser(
        "token",
        help="print a JWT for calling the APIs (signed with CNUM_JWT_SECRET)",
        description="Print a bearer token, e.g. "
        'curl -H "Authorization: Bearer $(cnum token --role legal)" http://127.0.0.1:5001/api/v1/…',
    )
    token.add_argument("--role", required=True, choices=[role.value for role in Role])
    token.add_argument("--structure-id", type=_uuid, help="required for --role structure")
    token.add_argument("--sub", help="the user's name (default: <role>-demo)")
    token.add_argument(
        "--ttl",
        type=int,
        default=DEFAULT_TTL_SECONDS,
        help="lifetime in seconds; 0 or less gives an expired token",
    )
    arguments = parser.parse_args(argv)
    if arguments.role == Role.STRUCTURE and arguments.structure_id is None:
        parser.error("--role structure needs --structure-id")
    try:
        settings = load_settings(_CliSettings)
    except ConfigurationError as error:
        print(error, file=sys.stderr)
        return 2
    print(
        issue_token(
            settings.jwt_secret,
            arguments.role,
            sub=arguments.sub,
            structure_id=arguments.structure_id,
            ttl_seconds=arguments.ttl,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
