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


TEMPLATE_NAMES = tuple(name.value for name in TemplateName)
#: Built-in versions apply from the first day a convention may start (the initial wave, 2020).
BUILT_IN_EFFECTIVE_FROM = date(2020, 1, 1)
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
