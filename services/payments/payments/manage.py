"""`python -m payments.manage migrate`: administrative commands of the payments service."""

from __future__ import annotations

import sys
from pathlib import Path

from cnum_shared.framework.manage import run_manage_cli
from payments.config import settings_from_environment

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def main() -> int:
    return run_manage_cli("payments", settings_from_environment, MIGRATIONS_DIR)


if __name__ == "__main__":
    sys.exit(main())
