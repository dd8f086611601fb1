"""The shape of the code, checked: pure domains, and services that never import one another."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("conventions", "payments", "compliance")
#: What a domain module must not import: frameworks, persistence, I/O (STYLE.md).
FRAMEWORKS = {
    "flask", "flask_smorest", "werkzeug", "sqlalchemy", "alembic", "marshmallow", "apscheduler", "docxtpl",
    "smtplib", "requests", "psycopg", "pypdf", "sepaxml", "webargs", "pydantic", "pydantic_settings",
}  # fmt: skip


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def _python_files(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.py"))


def _service_package(service: str) -> Path:
    return ROOT / "services" / service / service


@pytest.mark.parametrize("service", SERVICES)
def test_domain_imports_no_framework(service):
    offenders = {
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _python_files(_service_package(service) / "domain")
        for module in _imported_modules(path)
        if module.split(".")[0] in FRAMEWORKS
    }
    assert not offenders, sorted(offenders)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_never_imports_another_service(service):
    others = set(SERVICES) - {service}
    offenders = {
        f"{path.relative_to(ROOT)} imports {module}"
        for directory in (_service_package(service), ROOT / "services" / service / "migrations")
        for path in _python_files(directory)
        for module in _imported_modules(path)
        if module.split(".")[0] in others
    }
    assert not offenders, sorted(offenders)


def test_the_shared_kernel_imports_no_service():
    offenders = {
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _python_files(ROOT / "shared" / "cnum_shared")
        for module in _imported_modules(path)
        if module.split(".")[0] in SERVICES
    }
    assert not offenders, sorted(offenders)


def test_the_checks_see_the_code():
    # A guard against a wrong path making the tests above pass on nothing.
    assert all(_python_files(_service_package(service)) for service in SERVICES)
    assert "flask" in {
        m.split(".")[0] for m in _imported_modules(_service_package("conventions") / "__init__.py")
    }


def test_a_framework_import_in_a_domain_would_be_caught(tmp_path):
    module = tmp_path / "rules.py"
    module.write_text("from sqlalchemy import select\nimport flask.json\n", encoding="utf-8")
    assert {m.split(".")[0] for m in _imported_modules(module)} & FRAMEWORKS == {"sqlalchemy", "flask"}


def test_the_web_interface_reaches_the_services_only_over_http():
    # It holds no data: it imports no service's code and no database layer (docs/decisions/0009).
    web = ROOT / "services" / "web" / "web"
    offenders = {
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _python_files(web)
        for module in _imported_modules(path)
        if module.split(".")[0] in {*SERVICES, "sqlalchemy", "alembic", "psycopg"}
        or module in {"cnum_shared.framework.db", "cnum_shared.framework.events.outbox"}
    }
    assert _python_files(web)
    assert not offenders, sorted(offenders)
