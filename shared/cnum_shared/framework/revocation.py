"""The revocation list: tokens that must no longer be believed before they expire.

Two kinds of entry: one token (its `jti`: an officer signed out, a feeder's token leaked), or every token
of one subject issued up to a moment (an officer left, an account was compromised). The issuers write
(the web front at sign-out, `cnum revoke`, an administrator through `POST /api/v1/revocations`); every
service reads it on every authenticated request, from a snapshot refreshed every few seconds
(`CNUM_REVOCATION_CACHE_SECONDS`), so that a revocation takes effect everywhere within that delay without
a database query per request.

The list is its own small database (`CNUM_REVOCATION_DATABASE_URL`, a SQLite file under `var/` by
default), shared by the issuers and the services; it is not a table of any one service, so that no
service reads another's tables. An entry counts until the tokens it revokes would have expired anyway;
after that the snapshot no longer reads it (the rows stay, a few per sign-out).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Engine,
    Index,
    Integer,
    String,
    Table,
    insert,
    or_,
    select,
)

from cnum_shared.framework.auth import LONGEST_LIFETIME_SECONDS, Principal
from cnum_shared.framework.db import UtcDateTime, create_database_engine, new_metadata, utcnow

metadata = new_metadata()
revocations = Table(
    "revocations",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    #: One token…
    Column("jti", String(64), nullable=True, unique=True),
    #: …or every token of this subject issued at or before `issued_up_to`.
    Column("sub", String(200), nullable=True),
    Column("issued_up_to", UtcDateTime(), nullable=True),
    #: After this, the revoked tokens would be refused as expired anyway: the entry can go.
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=False),
    Column("revoked_by", String(200), nullable=False),
    Column("reason", String(500), nullable=False),
    CheckConstraint(
        "(jti IS NOT NULL AND sub IS NULL) OR (jti IS NULL AND sub IS NOT NULL AND issued_up_to IS NOT NULL)",
        name="one_token_or_one_subject",
    ),
    Index("ix_revocations_expires_at", "expires_at"),
)


@dataclass(frozen=True)
class Revocation:
    jti: str | None
    sub: str | None
    issued_up_to: datetime | None
    expires_at: datetime
    revoked_at: datetime
    revoked_by: str
    reason: str


@dataclass(frozen=True)
class _Snapshot:
    jtis: frozenset[str]
    #: For each revoked subject, the latest moment up to which its tokens are revoked.
    subjects: dict[str, datetime]
    taken_at: float


class RevocationList:
    """The revocation list of one deployment, with a briefly cached snapshot for the services."""

    def __init__(self, database_url: str, *, cache_seconds: float = 5.0) -> None:
        # Connected on first use, so that building an app opens no database it may never need.
        self._engine = create_database_engine(database_url)
        self._table_ready = False
        self._cache_seconds = cache_seconds
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()

    def dispose(self) -> None:
        self._engine.dispose()

    @property
    def engine(self) -> Engine:
        if not self._table_ready:
            metadata.create_all(self._engine, checkfirst=True)
            self._table_ready = True
        return self._engine

    def revoke_token(self, principal: Principal, *, by: str, reason: str) -> Revocation:
        """Revoke one token (sign-out) until it would have expired; revoking it again changes nothing."""
        return self._revoke_one(principal.jti, principal.expires_at, by=by, reason=reason)

    def revoke_jti(self, jti: str, *, by: str, reason: str) -> Revocation:
        """Revoke a token known only by its id: kept for the longest lifetime any token can have."""
        return self._revoke_one(
            jti, utcnow() + timedelta(seconds=LONGEST_LIFETIME_SECONDS), by=by, reason=reason
        )

    def _revoke_one(self, jti: str, expires_at: datetime, *, by: str, reason: str) -> Revocation:
        entry = Revocation(
            jti=jti,
            sub=None,
            issued_up_to=None,
            expires_at=expires_at,
            revoked_at=utcnow(),
            revoked_by=by[:200],
            reason=reason[:500],
        )
        with self.engine.begin() as connection:
            if connection.execute(select(revocations.c.id).where(revocations.c.jti == jti)).first() is None:
                connection.execute(insert(revocations).values(**entry.__dict__))
        self._snapshot = None
        return entry

    def revoke_subject(self, sub: str, *, by: str, reason: str) -> Revocation:
        """Revoke every token of `sub` issued up to now; tokens issued afterwards are valid again."""
        now = utcnow()
        entry = Revocation(
            jti=None,
            sub=sub[:200],
            issued_up_to=now,
            expires_at=now + timedelta(seconds=LONGEST_LIFETIME_SECONDS),
            revoked_at=now,
            revoked_by=by[:200],
            reason=reason[:500],
        )
        with self.engine.begin() as connection:
            connection.execute(insert(revocations).values(**entry.__dict__))
        self._snapshot = None
        return entry

    def entries(self, *, now: datetime | None = None) -> list[Revocation]:
        """The entries still in force, newest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(revocations)
                .where(revocations.c.expires_at > (now or utcnow()))
                .order_by(revocations.c.revoked_at.desc(), revocations.c.id.desc())
            ).mappings()
            return [Revocation(**{key: row[key] for key in Revocation.__dataclass_fields__}) for row in rows]

    def is_revoked(self, principal: Principal) -> bool:
        snapshot = self._current_snapshot()
        if principal.jti in snapshot.jtis:
            return True
        cutoff = snapshot.subjects.get(principal.sub)
        # Tokens carry whole seconds: one issued in the same second as the revocation is revoked too.
        return cutoff is not None and principal.issued_at <= cutoff

    def _current_snapshot(self) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is not None and time.monotonic() - snapshot.taken_at < self._cache_seconds:
            return snapshot
        with self._lock:
            now = utcnow()
            with self.engine.connect() as connection:
                rows = connection.execute(
                    select(revocations.c.jti, revocations.c.sub, revocations.c.issued_up_to).where(
                        revocations.c.expires_at > now,
                        or_(revocations.c.jti.is_not(None), revocations.c.sub.is_not(None)),
                    )
                ).all()
            subjects: dict[str, datetime] = {}
            for _, sub, issued_up_to in rows:
                if sub is not None and issued_up_to is not None:
                    subjects[sub] = max(issued_up_to, subjects.get(sub, issued_up_to))
            snapshot = _Snapshot(
                jtis=frozenset(jti for jti, _, _ in rows if jti is not None),
                subjects=subjects,
                taken_at=time.monotonic(),
            )
            self._snapshot = snapshot
            return snapshot
