"""What a request or a job needs from the running service: `ServiceContext`, built by each bootstrap.

Apart from `web` (which re-exports it) so that a job process, which builds one, imports no web framework.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cnum_shared.core.clock import Clock, FixedClock, SystemClock, today
from cnum_shared.framework.auth import VerificationKeys
from cnum_shared.framework.config import ServiceSettings
from cnum_shared.framework.db import Database, UnitOfWork
from cnum_shared.framework.read_cache import ReadCache, ReadModelVersions
from cnum_shared.framework.revocation import RevocationList

API_PREFIX = "/api/v1"


@dataclass
class ServiceContext:
    """What a request or a job needs from the running service."""

    name: str
    settings: ServiceSettings
    database: Database
    #: Where the service reads the time (fixed in tests by CNUM_FAKE_NOW or by the test itself).
    clock: Clock = field(default_factory=SystemClock)
    #: The service's own unit of work, holding its repositories (set by its bootstrap module).
    unit_of_work_factory: Callable[..., UnitOfWork] | None = None
    #: The adapters the service's bootstrap built once (converter, mail, SEPA debtor, document store...).
    adapters: Any = None

    def __post_init__(self) -> None:
        if self.settings.fake_now is not None and isinstance(self.clock, SystemClock):
            self.clock = FixedClock(self.settings.fake_now)

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """A new unit of work of this service (`read_only=True` for lists and lookups)."""
        if self.unit_of_work_factory is None:
            return self.database.unit_of_work(read_only=read_only)
        return self.unit_of_work_factory(read_only=read_only)

    def today(self) -> date:
        """Today in Europe/Paris, on the service's clock."""
        return today(self.clock)

    @functools.cached_property
    def verification_keys(self) -> VerificationKeys:
        """The issuers' public keys (read at start-up by `build_app`: a service without them never starts)."""
        return self.settings.verification_keys()

    @functools.cached_property
    def revocations(self) -> RevocationList:
        return RevocationList(
            self.settings.revocation_database_url, cache_seconds=self.settings.revocation_cache_seconds
        )

    @functools.cached_property
    def read_cache(self) -> ReadCache:
        """The rendered pages of the cached lists, this process's (decision 0040)."""
        return ReadCache(self.settings.read_cache_size)

    @functools.cached_property
    def read_model_versions(self) -> ReadModelVersions:
        return ReadModelVersions(self.database.engine)

    def dispose(self) -> None:
        """Close the connections of the database and of the revocation list."""
        self.database.dispose()
        if "revocations" in self.__dict__:
            self.revocations.dispose()
