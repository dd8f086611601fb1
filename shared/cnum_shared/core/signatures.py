"""What the signatures of a PDF say, once checked: the agency's seal, a structure's countersignature.

Pure data: cnum_shared.framework.seal fills it with pyHanko, the conventions service stores and shows
it, and `cnum verify` prints it (in French, `summary_lines`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ChangesAfter(StrEnum):
    """What a later incremental update changed after a signature (pyHanko's modification levels)."""

    NONE = "none"
    #: Validation data added (DSS, document timestamps): allowed.
    VALIDATION_DATA = "validation_data"
    #: Form fields filled, other signatures added: allowed (a countersignature is one).
    SIGNATURES = "signatures"
    #: Annotations added: not allowed on a document of ours.
    ANNOTATIONS = "annotations"
    #: Anything else, page content included: the document is no longer the one signed.
    OTHER = "other"
    #: The file cannot be compared with the signed revision.
    UNKNOWN = "unknown"


#: Changes after the agency's seal that leave the document ours and untouched.
ALLOWED_AFTER_SEAL = frozenset({ChangesAfter.NONE, ChangesAfter.VALIDATION_DATA, ChangesAfter.SIGNATURES})

_CHANGES_LABELS = {
    ChangesAfter.NONE: "aucune",
    ChangesAfter.VALIDATION_DATA: "données de validation ajoutées",
    ChangesAfter.SIGNATURES: "signatures ajoutées",
    ChangesAfter.ANNOTATIONS: "annotations ajoutées",
    ChangesAfter.OTHER: "contenu modifié",
    ChangesAfter.UNKNOWN: "indéterminées",
}


@dataclass(frozen=True)
class SignatureCheck:
    """One signature of a PDF, checked."""

    field: str
    #: The signer's certificate subject, as a readable line (`CN=…, O=…`).
    signer: str
    issuer: str
    #: The time the signer claims (PAdES: the signature dictionary's /M); no timestamp authority vouches.
    signed_at: datetime | None
    #: The bytes it covers hash to what was signed, and the signature over them verifies.
    intact: bool
    #: Its certificate chains to a configured trust root (the agency's, or the structures' bundle).
    trusted: bool
    #: Its certificate chains to the agency's seal roots: the agency's electronic seal.
    ours: bool
    #: SHA-256 (hex) of the file as it was when signed (the revision the signature covers).
    revision_sha256: str
    #: What the file's later revisions changed.
    changes_after: ChangesAfter
    #: Why it is not intact or not trusted, in French (None when it is both).
    problem: str | None = None

    @property
    def changes_label(self) -> str:
        return _CHANGES_LABELS[self.changes_after]


@dataclass(frozen=True)
class PdfSignatures:
    """Every signature of a PDF, in the order they were made."""

    signatures: tuple[SignatureCheck, ...]

    @property
    def seal(self) -> SignatureCheck | None:
        """The agency's first seal on the file (the one made when the document was generated)."""
        return next((check for check in self.signatures if check.ours), None)

    @property
    def sealed_and_intact(self) -> bool:
        """Our seal is there, verifies, and nothing but signatures or validation data came after it."""
        seal = self.seal
        return seal is not None and seal.intact and seal.trusted and seal.changes_after in ALLOWED_AFTER_SEAL


def _yes(value: bool) -> str:
    return "oui" if value else "non"


def summary_lines(result: PdfSignatures) -> list[str]:
    """A French summary, one line per fact (`cnum verify`)."""
    if not result.signatures:
        return [
            "Aucune signature électronique dans ce fichier : ce n'est pas un document scellé par l'agence."
        ]
    lines = []
    for number, check in enumerate(result.signatures, start=1):
        when = check.signed_at.isoformat(timespec="seconds") if check.signed_at else "inconnue"
        kind = "cachet de l'agence" if check.ours else "autre signature"
        lines += [
            f"Signature {number} ({check.field}, {kind})",
            f"  signataire : {check.signer}",
            f"  émis par : {check.issuer}",
            f"  date déclarée : {when}",
            f"  intacte : {_yes(check.intact)}",
            f"  de confiance : {_yes(check.trusted)}",
            f"  modifications après : {check.changes_label}",
        ]
        if check.problem:
            lines.append(f"  problème : {check.problem}")
    verdict = (
        "Document scellé par l'agence et intact."
        if result.sealed_and_intact
        else "Ce fichier ne porte pas un cachet intact de l'agence."
    )
    return [*lines, verdict]
