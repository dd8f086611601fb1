"""`python -m <svc>.manage`: administrative commands of a service (migrations, demo data)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from cnum_shared.framework.config import ConfigurationError, ServiceSettings
from cnum_shared.framework.db import downgrade_database, upgrade_database

#: An extra command receives the service settings and returns a line to print.
Command = Callable[[ServiceSettings], str]


def run_manage_cli(
    service_name: str,
    settings_factory: Callable[[], ServiceSettings],
    migrations_dir: Path,
    extra_commands: Mapping[str, tuple[str, Command]] | None = None,
    argv: Sequence[str] | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {service_name}.manage")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply the Alembic migrations up to head")
    downgrade = commands.add_parser("downgrade", help="undo migrations down to a revision")
    downgrade.add_argument("revision", nargs="?", default="base")
    for name, (help_text, _) in (extra_commands or {}).items():
        commands.add_parser(name, help=help_text)
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = settings_factory()
        if arguments.command == "migrate":
            upgrade_database(settings.database_url, migrations_dir)
            print(f"{service_name}: database at head")
        elif arguments.command == "downgrade":
            downgrade_database(settings.database_url, migrations_dir, arguments.revision)
            print(f"{service_name}: database downgraded to {arguments.revision}")
        else:
            _, command = (extra_commands or {})[arguments.command]
            print(command(settings))
    except ConfigurationError as error:
        # A wrong environment is the operator's to fix: say what, without a traceback.
        print(f"{service_name}: {error}", file=sys.stderr)
        return 2
    return 0
