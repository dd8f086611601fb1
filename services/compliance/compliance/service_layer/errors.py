"""The refusals of the compliance use cases, each with the message and detail its answer has always had
(the framework answers any of them in DESIGN §5's shape)."""

from __future__ import annotations

from collections.abc import Mapping

from cnum_shared.core.errors import Conflict, Invalid, NotFound


class InvalidRecord(Invalid):
    """A record a user sent is wrong; `problems` names each field or line, under `location` (json, form,
    files) in the answer's `errors`."""

    def __init__(
        self, problems: Mapping[str, list[str]], *, location: str = "json", message: str | None = None
    ) -> None:
        self.problems = dict(problems)
        super().__init__(
            message or "; ".join(f"{key}: {' '.join(value)}" for key, value in self.problems.items()),
            errors={location: self.problems},
        )


class RecordConflict(Conflict):
    """The record contradicts one already kept (a 409)."""


class ObligationNotFound(NotFound):
    default_message = "Obligation introuvable."


class ContractNotFound(NotFound):
    default_message = "Contrat inconnu du suivi des obligations."


class ExemptionNotFound(NotFound):
    default_message = "Aucune dispense de formation initiale pour ce contrat."


class StructureNotFound(NotFound):
    default_message = "Structure inconnue du suivi des obligations."
