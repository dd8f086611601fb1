"""Root of the test suite: the shared fixtures (databases on both backends, tokens, ports, SMTP), and the
one PDF converter of the session that every test rendering a PDF shares (DESIGN §6)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

pytest_plugins = ["cnum_shared.testing"]


def _libreoffice_or_skip() -> None:
    from conventions.adapters.converter import libreoffice_available

    if not libreoffice_available():
        reason = "LibreOffice and python3-uno are not installed (make libreoffice)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: required under CI")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def converter_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One warm converter for the test session (one per xdist worker: a LibreOffice per core)."""
    # Imported here: the plugin cnum_shared.testing must be imported by pytest first (assert rewriting).
    from cnum_shared.testing import free_port
    from conventions.adapters.converter import start_converter, stop_converter, wait_until_ready

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
