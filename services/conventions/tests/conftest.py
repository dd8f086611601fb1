"""Fixtures of the conventions tests: an app on a fresh database of each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cnum_shared.testing import TestDatabases, service_app
from conventions import create_app
from conventions.manage import MIGRATIONS_DIR


@pytest.fixture
def database_url(db_backend: str, test_databases: TestDatabases) -> str:
    return test_databases.fresh("conventions", db_backend, MIGRATIONS_DIR)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    with service_app(create_app, database_url, tmp_path) as app:
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def documents_app(database_url: str, tmp_path: Path, converter_url: str) -> Iterator[Flask]:
    """The app wired to the session's converter."""
    with service_app(create_app, database_url, tmp_path, converter_url=converter_url) as app:
        yield app
