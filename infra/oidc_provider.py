"""The local OpenID provider of `make run` and the browser tests (decision 0042): oidc-provider-mock, a
real OpenID Connect provider process, with the demo people of infra/oidc-users.yaml.

    python infra/oidc_provider.py [--port 5004] [--users infra/oidc-users.yaml]

It listens on 127.0.0.1 only, accepts any client id and secret, and shows a page where one clicks the
person to sign in as (or types another address). Production refuses it (web.config).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

import yaml

USERS = Path(__file__).with_name("oidc-users.yaml")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5004)
    parser.add_argument("--users", type=Path, default=USERS)
    arguments = parser.parse_args()
    # The one installed beside this interpreter (the project's .venv), else the first on PATH.
    beside = Path(sys.executable).with_name("oidc-provider-mock")
    executable = str(beside) if beside.exists() else shutil.which("oidc-provider-mock")
    if executable is None:
        sys.exit("oidc-provider-mock is not installed: make install")
    command = [executable, "--host", "127.0.0.1", "--port", str(arguments.port)]
    for person in yaml.safe_load(arguments.users.read_text(encoding="utf-8")):
        command += ["--user-claims", json.dumps(person, ensure_ascii=False)]
    # The provider's own process from here on (honcho and the tests stop it by this pid).
    os.execv(executable, command)  # noqa: S606 (the provider's own command, arguments from our file)


if __name__ == "__main__":
    main()
