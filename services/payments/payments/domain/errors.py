"""The refusals of the payments service, each with the status, message and `errors` the API answers."""

from __future__ import annotations

from cnum_shared.core.errors import Conflict, Forbidden, NotFound
from payments.domain.gates import BlockingReason


class TrancheNotFound(NotFound):
    default_message = "Ressource introuvable."


class ScheduleNotFound(NotFound):
    default_message = "Aucun échéancier pour cette convention."


class HoldNotFound(NotFound):
    default_message = "Suspension introuvable ou déjà levée."


class ConventionNotFound(NotFound):
    default_message = "Convention inconnue des paiements."


class PaymentRunNotFound(NotFound):
    default_message = "Ordre de virement introuvable."


class RecoveryNotFound(NotFound):
    default_message = "Reversement introuvable."


class OffsetRefused(Conflict):
    """A recovery that cannot be withheld from that tranche (a 409, in French)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code, errors={"reasons": [{"code": code, "message": message}]})


class BankFileNotFound(NotFound):
    default_message = "Relevé bancaire introuvable."


class ApprovalRefused(Conflict):
    """The gates hold the tranche (a 409 listing every reason)."""

    def __init__(self, reasons: list[BlockingReason]) -> None:
        super().__init__(
            "Approbation refusée : " + "; ".join(reason.message for reason in reasons),
            errors={
                "reasons": [{"code": reason.code.value, "message": reason.message} for reason in reasons]
            },
        )
        self.reasons = reasons


class FourEyes(Forbidden):
    """The officer who approved a tranche cannot pay it, nor confirm a payment run that holds it; the
    author of a run cannot confirm it (a 403). `tranches` names each tranche concerned, with why."""

    def __init__(self, message: str, tranches: dict[str, list[str]] | None = None) -> None:
        super().__init__(message, errors={"tranches": tranches} if tranches else None)
        self.tranches = tranches or {}


class RunRefused(Conflict):
    """Tranches that cannot be paid now, each with its reasons (a 409)."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        details = "; ".join(f"{key}: {' '.join(value)}" for key, value in problems.items())
        super().__init__("Ordre de virement refusé : " + details, errors={"tranches": problems})
        self.problems = problems


class BankLineNotFound(NotFound):
    default_message = "Ligne de fichier bancaire introuvable."


class RecoveryNotIssued(Conflict):
    """Only an issued recovery can be received (a 409 naming its status)."""

    def __init__(self, status_label: str) -> None:
        super().__init__(
            f"Reversement {status_label} : seul un reversement émis peut être reçu.",
            code="recovery_not_issued",
        )
