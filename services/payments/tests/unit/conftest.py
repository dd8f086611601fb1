"""The unit tests of payments run the use cases on fakes (fakes.py), importable as `payments_fakes`.

Tests are imported by path (`--import-mode=importlib`), so a helper module beside them is not on the
path: it is loaded here once, under a name no other service's tests use.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_NAME = "payments_fakes"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).with_name("fakes.py"))
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)

from payments_fakes import FakeUnitOfWork  # noqa: E402


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()
