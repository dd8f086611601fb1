"""Idempotency keys, as the IETF draft and Stripe have them: a retried request gets the first answer.

A key is scoped to (caller, method, path) and kept 24 hours with a hash of the body. The first request
claims the key in its own committed transaction before doing anything; a second request with the same key
then finds either the stored answer (replayed), a different body (422), or a request still running
(409 with Retry-After). A refused request releases its key so that it may be retried. A claim left by a
process that died is taken over after `ABANDONED_AFTER`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from cnum_shared.framework.db import Database
from payments.adapters.orm import IdempotencyKey

KEPT_FOR = timedelta(hours=24)
ABANDONED_AFTER = timedelta(seconds=60)
MAX_KEY_LENGTH = 255


class KeyReusedWithAnotherBody(Exception):
    """Same key, different body (a 422)."""


class KeyInProgress(Exception):
    """The first request with this key is still running (a 409 with Retry-After)."""


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Claim:
    id: uuid.UUID


def body_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def claim(
    database: Database, *, principal: str, method: str, path: str, key: str, request_hash: str, now: datetime
) -> Claim | Replay:
    """Take the key for this request, or say what an earlier request with it already decided."""
    with database.unit_of_work() as uow:
        uow.session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at < now))
        existing = uow.session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.principal == principal,
                IdempotencyKey.method == method,
                IdempotencyKey.path == path,
                IdempotencyKey.key == key,
            )
        )
        if existing is not None:
            if existing.request_hash != request_hash:
                raise KeyReusedWithAnotherBody(key)
            if existing.response_status is not None and existing.response_body is not None:
                return Replay(existing.response_status, dict(existing.response_body))
            if now - existing.created_at < ABANDONED_AFTER:
                raise KeyInProgress(key)
            existing.created_at = now  # taken over: its first request died without an answer
            uow.commit()
            return Claim(existing.id)
        row = IdempotencyKey(
            id=uuid.uuid4(),
            principal=principal,
            method=method,
            path=path,
            key=key,
            request_hash=request_hash,
            response_status=None,
            response_body=None,
            created_at=now,
            expires_at=now + KEPT_FOR,
        )
        uow.session.add(row)
        try:
            uow.commit()
        except IntegrityError:
            uow.rollback()
            raise KeyInProgress(key) from None  # a concurrent request claimed it first
        return Claim(row.id)


def complete(database: Database, claimed: Claim, status: int, body: dict[str, Any]) -> None:
    """Store the answer to replay."""
    with database.unit_of_work() as uow:
        row = uow.session.get(IdempotencyKey, claimed.id)
        if row is not None:
            row.response_status, row.response_body = status, body
            uow.commit()


def release(database: Database, claimed: Claim) -> None:
    """A refused request frees its key: the caller may fix the cause and retry with it."""
    with database.unit_of_work() as uow:
        uow.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == claimed.id))
        uow.commit()
