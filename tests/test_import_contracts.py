"""The architecture is checked by import-linter (`make lint`, contracts in .importlinter): these tests check
that its contracts see the code, that a broken rule would fail it, and what it cannot see (migrations)."""

from __future__ import annotations

import ast
import configparser
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("conventions", "payments", "compliance")
#: Where each root package's code is: a contract naming a module absent from here would check nothing.
PACKAGE_DIRS = {
    "cnum_shared": ROOT / "shared" / "cnum_shared",
    **{service: ROOT / "services" / service / service for service in SERVICES},
    "web": ROOT / "services" / "web" / "web",
}
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _config() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter", encoding="utf-8")
    return config


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _contracts() -> dict[str, configparser.SectionProxy]:
    config = _config()
    prefix = "importlinter:contract:"
    return {name.removeprefix(prefix): config[name] for name in config.sections() if name.startswith(prefix)}


def _first_party_module_exists(module: str) -> bool:
    package, *rest = module.split(".")
    path = PACKAGE_DIRS[package].joinpath(*rest)
    # A package (cnum_shared is a namespace package: a directory without __init__.py) or a module.
    return path.is_dir() or path.with_suffix(".py").is_file()


def test_the_contracts_cover_every_root_package():
    assert set(_lines(_config()["importlinter"]["root_packages"])) == set(PACKAGE_DIRS)
    assert all(list(directory.rglob("*.py")) for directory in PACKAGE_DIRS.values())


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_its_four_contracts(service):
    contracts = _contracts()
    for kind in ("layers", "thin-views", "use-cases-without-io", "domain-pure"):
        assert f"{service}-{kind}" in contracts, f"{service}-{kind}"
    layers = contracts[f"{service}-layers"]
    assert _lines(layers["containers"]) == [service]
    assert _lines(layers["layers"])[-3:] == ["service_layer", "adapters", "domain"]


def test_make_lint_runs_the_contracts():
    # `make test` and CI (.ci/run) run `make lint`: the contracts fail the build, not only a manual run.
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "$(BIN)/lint-imports" in recipe
    assert "lint" in makefile.split("\ntest:", 1)[1].split("\n", 1)[0]


def test_every_module_a_contract_names_exists():
    # A renamed package would make its contract check nothing, silently: name the stale ones.
    missing = set()
    for name, contract in _contracts().items():
        for key in ("source_modules", "forbidden_modules", "modules", "containers"):
            for module in _lines(contract.get(key, "")):
                if module.split(".")[0] in PACKAGE_DIRS and not _first_party_module_exists(module):
                    missing.add(f"{name}: {module}")
        for container in _lines(contract.get("containers", "")):
            for layer in _lines(contract.get("layers", "")):
                for module in layer.split("|"):
                    if not _first_party_module_exists(f"{container}.{module.strip()}"):
                        missing.add(f"{name}: {container}.{module.strip()}")
    assert not missing, sorted(missing)


def _lint(tmp_path: Path, contract: str) -> subprocess.CompletedProcess[str]:
    """lint-imports on the package under tmp_path/toy, with one contract of the repository's file."""
    section = _config()[f"importlinter:contract:{contract}"]
    body = "\n".join(
        f"{key} =\n" + "\n".join(f"    {line.replace('conventions', 'toy')}" for line in _lines(value))
        if "\n" in value.strip() or key.endswith("modules")
        else f"{key} = {value.replace('conventions', 'toy')}"
        for key, value in section.items()
    )
    config = tmp_path / ".importlinter"
    config.write_text(
        "[importlinter]\nroot_packages =\n    toy\n    cnum_shared\ninclude_external_packages = True\n\n"
        f"[importlinter:contract:{contract}]\n{body}\n",
        encoding="utf-8",
    )
    return subprocess.run(
        [str(LINT_IMPORTS), str(config), "--no-cache"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _toy_service(tmp_path: Path, rules: str) -> None:
    """A service-shaped package `toy`: a domain module with the given source, and a helper reaching Flask."""
    package = tmp_path / "toy"
    (package / "domain").mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "domain" / "__init__.py").write_text("", encoding="utf-8")
    (package / "domain" / "rules.py").write_text(rules, encoding="utf-8")
    (package / "helpers.py").write_text("import flask\n", encoding="utf-8")


def test_a_pure_domain_keeps_the_contract(tmp_path):
    _toy_service(tmp_path, "from decimal import Decimal\n")
    result = _lint(tmp_path, "conventions-domain-pure")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("rules", "culprit"),
    [
        ("from sqlalchemy import select\n", "sqlalchemy"),
        ("import toy.helpers\n", "flask"),  # reached through another module: contracts are transitive
    ],
    ids=["direct", "transitive"],
)
def test_a_framework_import_in_a_domain_breaks_the_contract(tmp_path, rules, culprit):
    _toy_service(tmp_path, rules)
    result = _lint(tmp_path, "conventions-domain-pure")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 kept, 1 broken" in result.stdout
    assert f"toy.domain is not allowed to import {culprit}" in result.stdout


@pytest.mark.parametrize("service", SERVICES)
def test_a_services_migrations_import_no_other_service(service):
    # Migrations are scripts, outside the packages import-linter reads: their imports are checked here.
    others = set(SERVICES) - {service}
    offenders = set()
    for path in sorted((ROOT / "services" / service / "migrations").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                else []
            )
            offenders.update(
                f"{path.relative_to(ROOT)}: {name}" for name in names if name.split(".")[0] in others
            )
    assert list((ROOT / "services" / service / "migrations").rglob("*.py"))
    assert not offenders, sorted(offenders)
