"""`python -m conventions.manage migrate`: administrative commands of the conventions service."""

from __future__ import annotations

import sys
from pathlib import Path

from cnum_shared.framework.manage import run_manage_cli
from conventions.config import settings_from_environment
from conventions.demo import load_demo, load_demo_officers

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def main() -> int:
    return run_manage_cli(
        "conventions",
        settings_from_environment,
        MIGRATIONS_DIR,
        extra_commands={
            "load-demo": ("load the demo data set once", load_demo),
            "load-demo-officers": ("put the demo officers in an empty directory", load_demo_officers),
        },
    )


if __name__ == "__main__":
    sys.exit(main())
