"""Fixtures of the conventions tests: an app on a fresh database of each backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cnum_shared.testing import TestDatabases, free_port, service_app
from conventions import create_app
from conventions.adapters.converter import (
    libreoffice_available,
    start_converter,
    stop_converter,
    wait_until_ready,
)
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


def _libreoffice_or_skip() -> None:
    if not libreoffice_available():
        reason = "LibreOffice and python3-uno are not installed (make libreoffice)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: required under CI")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def converter_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One warm converter for the test session (one per xdist worker: a LibreOffice per core)."""
    _libreoffice_or_skip()
    port = free_port()
    directory = tmp_path_factory.mktemp("converter")
    with (directory / "converter.log").open("wb") as log:
        process = start_converter(port, 1, directory / "profiles", log=log)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(url, process=process)
            yield url
        finally:
            stop_converter(process)


@pytest.fixture
def documents_app(database_url: str, tmp_path: Path, converter_url: str) -> Iterator[Flask]:
    """The app wired to the session's converter."""
    with service_app(create_app, database_url, tmp_path, converter_url=converter_url) as app:
        yield app
