"""Requests made once whatever the retries: the `Idempotency-Key` header (DESIGN §4)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Response, jsonify, request
from marshmallow import Schema

from cnum_shared.framework.web import abort, current_principal, service_context
from payments.api.context import unit_of_work
from payments.service_layer import idempotency
from payments.service_layer.commands import ClaimKey

F = TypeVar("F", bound=Callable[..., Any])

#: The header's documentation, for the views that require it.
IDEMPOTENCY_KEY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": True,
    "schema": {"type": "string"},
}


def idempotency_key() -> str:
    return request.headers["Idempotency-Key"].strip()


def _json(body: dict[str, Any], status: int) -> Response:
    """An answer sent as it was stored, so that a replay is the same body (not serialized twice)."""
    response = jsonify(body)
    response.status_code = status
    return response


def run_idempotently(
    body: dict[str, Any], action: Callable[[], Any], schema: Schema, status: int = 201
) -> Any:
    """Run `action` once per Idempotency-Key: replay the stored answer (`status`: 201 for what it creates,
    200 for a change of state), refuse another body (422), or a request still running (409); a refusal
    frees the key, so that the caller may retry with it."""
    context = service_context()
    claimed = idempotency.claim(
        unit_of_work,
        ClaimKey(
            principal=current_principal().sub,
            method=request.method,
            path=request.path,
            key=idempotency_key(),
            request_hash=idempotency.body_hash(body),
            now=context.clock.now(),
        ),
    )
    if isinstance(claimed, idempotency.Replay):
        return _json(claimed.body, claimed.status)
    try:
        result = action()
    except Exception:
        idempotency.release(unit_of_work, claimed)
        raise
    answer: dict[str, Any] = schema.dump(result)
    idempotency.complete(unit_of_work, claimed, status, answer)
    return _json(answer, status)


def requires_idempotency_key(view: F) -> F:
    """400 without an `Idempotency-Key`, checked right after authentication (before the body)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            abort(400, "En-tête Idempotency-Key obligatoire : il protège d'un double paiement.")
        if len(key) > idempotency.MAX_KEY_LENGTH or not key.isprintable():
            abort(400, "En-tête Idempotency-Key invalide (255 caractères imprimables au plus).")
        return view(*args, **kwargs)

    return cast(F, wrapper)
