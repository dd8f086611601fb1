"""The errors a use case may raise, by what they mean to the caller; the framework turns each into its
HTTP answer in one place (`cnum_shared.framework.web`), so that views never catch them one by one.

A service's own errors subclass one of these (`class TrancheNotFound(NotFound)`), keep their French
message (what the officer reads) and may carry a machine `code` and the `errors` detail of DESIGN §5.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class DomainError(Exception):
    """A refusal a user can cause: never a 500. `status` is the HTTP status the framework answers."""

    status: ClassVar[int] = 422
    #: The message when none is given (French: it is shown to the officer).
    default_message: ClassVar[str] = "Demande refusée."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        errors: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)
        self.code = code
        self.errors = dict(errors) if errors is not None else None
        self.headers = dict(headers) if headers is not None else None


class Invalid(DomainError):
    """The request breaks a rule of the programme (422)."""

    status = 422
    default_message = "Données invalides."


class NotFound(DomainError):
    """No such thing, or not one the caller may see (404)."""

    status = 404
    default_message = "Ressource introuvable."


class Conflict(DomainError):
    """Not allowed in the thing's current state, or a concurrent change won (409)."""

    status = 409
    default_message = "Action impossible dans l'état actuel."


class Forbidden(DomainError):
    """The caller may not do this, whatever the data (403)."""

    status = 403
    default_message = "Action non autorisée."


class ConcurrentWrite(Conflict):
    """Another transaction stored the same thing at the same moment (a unique key held): the unit of work
    rolled this one back. The use case says what it means (its own refusal, or nothing to do); left
    unanswered, the caller gets a 409 and may retry."""

    default_message = "Une autre modification est passée au même moment ; réessayez."
