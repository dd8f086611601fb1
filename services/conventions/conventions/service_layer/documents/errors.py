"""The refusals of the document use cases, each with the answer the API gives (core.errors)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from cnum_shared.core.errors import Conflict, DomainError, Invalid, NotFound


class ConventionNotFound(NotFound):
    """No such convention, or one of another structure (the same answer)."""

    default_message = "Convention introuvable."


class AmendmentNotFound(NotFound):
    default_message = "Avenant introuvable."


class ContractNotFound(NotFound):
    """No such contract, or one of another structure (the same answer)."""

    default_message = "Contrat introuvable."


class FinalStatementNotArrived(NotFound):
    """The convention has no final statement yet: payments has not settled it (or not told us yet)."""

    default_message = (
        "Le décompte final de cette convention n'est pas encore disponible : il est établi par le service "
        "des paiements à la clôture de la convention."
    )


class RecoveryOrderNotFound(NotFound):
    """No such recovery received from payments, or one of another structure (the same answer)."""

    default_message = "Ordre de reversement introuvable : ce reversement n'a pas été émis ou pas encore reçu."


class UnknownTemplate(NotFound):
    def __init__(self, template_name: str) -> None:
        super().__init__(f"Modèle inconnu : {template_name[:40]}.")


class TemplateRejected(Invalid):
    """An uploaded template cannot be used; `problems` lists why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("Modèle refusé.", errors={"template": problems})
        self.problems = problems


class TemplateVersionExists(Conflict):
    """The same bytes are already a version of this template."""

    default_message = "Cette version du modèle est déjà enregistrée."


class TemplateUnusable(Conflict):
    """The template version in force cannot render this document (too large, too slow, refused)."""


class DocumentNotAvailable(NotFound):
    """The subject has no such document (an avenant for a contract that is not a CDI move…)."""

    default_message = "Document introuvable."

    def __init__(self, reason: str) -> None:
        super().__init__()
        #: Why, for the logs (the caller reads the default message).
        self.reason = reason


class DocumentPurged(DomainError):
    """The document existed but was deleted with its subject's personal data, past retention (410).

    `purged` lists what was deleted in the asked format: (format, SHA-256) of each stored version.
    """

    status: ClassVar[int] = 410

    def __init__(self, message: str, purged_on: date, purged: list[tuple[str, str]]) -> None:
        super().__init__(
            message,
            errors={
                "purged_on": purged_on.isoformat(),
                "documents": [{"format": fmt, "sha256": sha256} for fmt, sha256 in purged],
            },
        )
        self.purged_on = purged_on
        self.purged = purged


class ConverterRefused(DomainError):
    """The PDF converter is busy or unavailable: try again later (503 with Retry-After)."""

    status: ClassVar[int] = 503


def converter_busy(retry_after: int) -> ConverterRefused:
    return ConverterRefused(
        "Le convertisseur PDF est occupé : réessayez dans un instant.",
        headers={"Retry-After": str(retry_after)},
    )


def converter_unavailable() -> ConverterRefused:
    return ConverterRefused(
        "Le convertisseur PDF est indisponible : réessayez plus tard.", headers={"Retry-After": "5"}
    )


class SignedCopyUnavailable(NotFound):
    """A countersigned copy that does not exist, or whose kept file is missing or altered."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Copie signée indisponible : {reason}.")
        self.reason = reason


class InvalidSignedCopy(Invalid):
    """The upload is not a plain, readable PDF."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, errors={"files": {"file": [reason]}})


class BatchNotFound(NotFound):
    default_message = "Lot introuvable."


class BatchNotReady(Conflict):
    """The archive of a batch that has not finished."""

    def __init__(self, status: str) -> None:
        super().__init__("Le lot n'est pas terminé.", headers={"Retry-After": "5"})
        self.batch_status = status


class InvalidBatch(Invalid):
    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("Lot invalide.", errors={"json": problems})
        self.problems = problems
