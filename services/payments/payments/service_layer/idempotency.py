"""Idempotency keys, as the IETF draft and Stripe have them: a retried request gets the first answer.

A key is scoped to (caller, method, path) and kept 24 hours with a hash of the body. The first request
claims the key in its own committed transaction before doing anything; a second request with the same key
then finds either the stored answer (replayed), a different body (422), or a request still running
(409 with Retry-After). A refused request releases its key so that it may be retried. A claim left by a
process that died is taken over after `ABANDONED_AFTER`.

Each step runs in a unit of work of its own (`new_unit_of_work`, the service's), apart from the request's.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cnum_shared.core.errors import Conflict, Invalid
from payments.adapters.orm import IdempotencyKey
from payments.service_layer.commands import ClaimKey
from payments.service_layer.unit_of_work import PaymentsUnitOfWork

KEPT_FOR = timedelta(hours=24)
ABANDONED_AFTER = timedelta(seconds=60)
MAX_KEY_LENGTH = 255

NewUnitOfWork = Callable[[], PaymentsUnitOfWork]


class KeyReusedWithAnotherBody(Invalid):
    """Same key, different body (a 422)."""

    default_message = "Cette clé d'idempotence a déjà servi pour une autre demande."


class KeyInProgress(Conflict):
    """The first request with this key is still running (a 409 with Retry-After)."""

    default_message = "Une demande avec cette clé est en cours."

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "1"})


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Claim:
    id: uuid.UUID


def body_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def claim(new_unit_of_work: NewUnitOfWork, command: ClaimKey) -> Claim | Replay:
    """Take the key for this request, or say what an earlier request with it already decided."""
    now = command.now
    with new_unit_of_work() as uow:
        uow.idempotency_keys.purge_expired(now)
        existing = uow.idempotency_keys.find(command.principal, command.method, command.path, command.key)
        if existing is not None:
            if existing.request_hash != command.request_hash:
                raise KeyReusedWithAnotherBody()
            if existing.response_status is not None and existing.response_body is not None:
                return Replay(existing.response_status, dict(existing.response_body))
            if now - existing.created_at < ABANDONED_AFTER:
                raise KeyInProgress()
            existing.created_at = now  # taken over: its first request died without an answer
            uow.commit()
            return Claim(existing.id)
        row = IdempotencyKey(
            id=uuid.uuid4(),
            principal=command.principal,
            method=command.method,
            path=command.path,
            key=command.key,
            request_hash=command.request_hash,
            response_status=None,
            response_body=None,
            created_at=now,
            expires_at=now + KEPT_FOR,
        )
        if not uow.idempotency_keys.add(row):
            raise KeyInProgress()  # a concurrent request claimed it first
        uow.commit()
        return Claim(row.id)


def complete(new_unit_of_work: NewUnitOfWork, claimed: Claim, status: int, body: dict[str, Any]) -> None:
    """Store the answer to replay."""
    with new_unit_of_work() as uow:
        row = uow.idempotency_keys.get(claimed.id)
        if row is not None:
            row.response_status, row.response_body = status, body
            uow.commit()


def release(new_unit_of_work: NewUnitOfWork, claimed: Claim) -> None:
    """A refused request frees its key: the caller may fix the cause and retry with it."""
    with new_unit_of_work() as uow:
        uow.idempotency_keys.remove(claimed.id)
        uow.commit()
