"""Documents: the templates the service renders, and what the adapters that render them may answer.

The exceptions below are the vocabulary of the document adapters (the DOCX renderer, the PDF converter,
the PDF checks): the adapters raise them, the use cases turn them into the refusals the API answers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class TemplateName(StrEnum):
    CONVENTION = "convention"
    CONVENTION_AVENANT = "convention_avenant"
    CONTRACT_AVENANT = "contract_avenant"
    #: The final statement (décompte final) of a closed convention, from payments' figures.
    FINAL_STATEMENT = "final_statement"
    #: The order (ordre de reversement) of a recovery payments issued.
    RECOVERY_ORDER = "recovery_order"


TEMPLATE_NAMES = tuple(name.value for name in TemplateName)

#: The editions of the built-in templates, oldest first: each is the wording of a period of the law. The
#: day each comes into force is a legal date, read from shared/parameters/documents.yaml; what each one
#: changes in the text is written in conventions/templates/build/.
EDITIONS = (
    "initial_2020",  # the AMI of 2020 and the France Relance conventions of 24 (private: 18) months
    "renewal_2023",  # the 36-month renewal conventions, their yearly amounts and the QPV/ZRR bonus
    "coop_2024",  # the 70/175/315-hour training paths, activity reports on La Coop de la médiation numérique
    "refill_2025",  # the 2025 management rules: refill within the new delay or give the post back; the freeze
    "title_2025",  # the professional title « médiateur numérique » from 13 July 2025
)


@dataclass(frozen=True)
class Edition:
    """One edition of the built-in templates: its code (EDITIONS) and the day it comes into force."""

    code: str
    effective_from: date

    def __post_init__(self) -> None:
        if self.code not in EDITIONS:
            raise ValueError(f"unknown template edition {self.code!r}; known: {', '.join(EDITIONS)}")

    def since(self, code: str) -> bool:
        """Whether this edition is `code` or a later one (the wording `code` introduced applies)."""
        return EDITIONS.index(self.code) >= EDITIONS.index(code)


#: The template name of a countersigned copy's lines in the download log (it has no template).
SIGNED_COPY = "signed_copy"
FORMATS = ("pdf", "docx")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class ConverterBusy(Exception):
    """Every worker is busy and the queue is full (or the wait ran out): retry after `retry_after` s."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"converter busy, retry after {retry_after} s")
        self.retry_after = retry_after


class ConverterUnavailable(Exception):
    """The converter cannot be reached, or failed (a worker overran or crashed, another 5xx)."""


class ConversionFailed(Exception):
    """LibreOffice cannot read the document (422): trying again will not help."""


class RenderingRefused(Exception):
    """A template cannot render this data (an unknown variable, a render too large or slow, not a DOCX)."""


class UnreadablePdf(Exception):
    """An uploaded file is not a plain, readable PDF; the message says why (in French)."""


@dataclass(frozen=True)
class DocumentKey:
    """What makes a rendered document the same one: its subject, template version, data and format."""

    subject_id: uuid.UUID
    template_name: str
    format: str
    template_sha256: str
    data_sha256: str


@dataclass(frozen=True)
class BatchEntry:
    """A rendered item of a batch, as the archive names it."""

    position: int
    reference: str
    path: str
    format: str


class Duplicate(Exception):
    """A repository's add broke a unique constraint: another transaction wrote the same row first."""
