"""The unit tests of payments run the use cases on fakes (services/payments/tests/unit/fakes.py)."""

from __future__ import annotations

import pytest

from services.payments.tests.unit.fakes import FakeUnitOfWork


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()
