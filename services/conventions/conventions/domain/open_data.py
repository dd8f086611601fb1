"""The essential data of the subsidy conventions, published in open data (décret n° 2017-779, arrêté of
17 November 2017) in the SCDL « Subventions » 2.1.1 table schema (reference/scdl-subventions-2.1.1/).

Pure rules: which signed convention is published, and the schema's row for it. The threshold and the
attributing body come in as arguments (`cnum_shared.core.legal`, shared/parameters/open_data.yaml);
decision 0029 explains each choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from cnum_shared.core.identifiers import IdentifierKind, identifier_kind
from cnum_shared.core.legal import MONTHS_PER_YEAR, AttributingBody, FundingPeriod, Wave
from cnum_shared.core.money import quantize_cents

#: The schema's fields, in its order: the CSV's header (schema.json `fields`).
SCDL_FIELDS = (
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
    "dispositifAide",
)

#: `nature`: the subsidy is money paid to the structure (one of the schema's enumerated values).
CASH_AID = "aide en numéraire"
#: `conditionsVersement`: the schema's values for one payment or several.
SINGLE_PAYMENT = "unique"
STAGGERED_PAYMENTS = "échelonné"
#: `notificationUE`: the subsidy is not a de minimis aid notified to the European Commission (it funds
#: the pay of an advisor serving the public, not an economic activity); the schema's `falseValues`.
NOT_NOTIFIED = "non"
#: `pourcentageSubvention`: one beneficiary per convention, who receives all of it (100 % = 1.00).
WHOLE_SUBSIDY = "1.00"
#: The schema's limit on `objet`.
OBJECT_MAX_LENGTH = 256

_WAVE_WORDS = {
    Wave.INITIAL: "vague initiale, France Relance",
    Wave.RENEWAL: "vague de renouvellement",
}


class Publication(StrEnum):
    """Whether a signed convention is in the open data, and if not, why."""

    PUBLISHED = "published"
    #: Its yearly amount does not exceed the threshold: the décret does not apply.
    BELOW_THRESHOLD = "below_threshold"
    #: Its structure is known by a RIDET or a numéro TAHITI: the schema's `idBeneficiaire` is a SIRET and
    #: its `rnaBeneficiaire` an association's RNA number, so the row could not be valid (decision 0029).
    NO_SIRET = "no_siret"


@dataclass(frozen=True)
class SignedConvention:
    """What the open data says of a signed convention (read from the convention and its structure)."""

    reference: str
    signed_on: date
    wave: Wave
    beneficiary_name: str
    #: The structure's stored identifier: a SIRET, or a RIDET or numéro TAHITI where it has none.
    beneficiary_identifier: str
    #: Posts at signature and now (after its signed avenants).
    initial_posts: int
    posts: int
    #: The subsidy's total as amended by its signed avenants.
    total_amount: Decimal
    #: The funded periods of one post (the initial wave: one; the renewal: one per convention year).
    funding_periods: tuple[FundingPeriod, ...]
    #: The due dates of its tranches (tranche 1: the signing date).
    payment_dates: tuple[date, ...]


def yearly_amount(posts: int, periods: Sequence[FundingPeriod]) -> Decimal:
    """The subsidy's amount a year: the highest yearly rate of its funded periods, for its posts.

    A period's yearly rate is its amount per post over its months, times twelve: the initial wave's
    50 000 € for 24 months is 25 000 € a year; the renewal's first year is that year's amount. The
    highest one counts, so that a degressive renewal is measured by its largest year, as the law speaks
    of the amount a year and not of an average (decision 0029).
    """
    if not periods:
        return Decimal("0.00")
    rate = max(period.amount_per_post * MONTHS_PER_YEAR / period.months for period in periods)
    return quantize_cents(rate * posts)


def publication(convention: SignedConvention, threshold: Decimal) -> Publication:
    """Whether the convention is published: above the threshold a year, with posts as signed or as
    amended since (whichever is more), and a beneficiary known by its SIRET."""
    posts = max(convention.initial_posts, convention.posts)
    if yearly_amount(posts, convention.funding_periods) <= threshold:
        return Publication.BELOW_THRESHOLD
    if identifier_kind(convention.beneficiary_identifier) is not IdentifierKind.SIRET:
        return Publication.NO_SIRET
    return Publication.PUBLISHED


def subsidy_object(posts: int, wave: Wave) -> str:
    """The `objet`, in the words of article 1 of the convention."""
    noun = "poste" if posts == 1 else "postes"
    text = (
        f"Dispositif Conseiller numérique ({_WAVE_WORDS[Wave(wave)]}) : financement en partie de la "
        f"rémunération de {posts} {noun} de conseiller numérique"
    )
    return text[:OBJECT_MAX_LENGTH]


def payment_period(payment_dates: Sequence[date]) -> str:
    """`datesPeriodeVersement`: the one date of a single payment, else first/last (ISO 8601 interval)."""
    first, last = min(payment_dates), max(payment_dates)
    return first.isoformat() if first == last else f"{first.isoformat()}/{last.isoformat()}"


def scdl_row(convention: SignedConvention, body: AttributingBody) -> tuple[str, ...]:
    """The convention's row of the SCDL file, in the order of `SCDL_FIELDS` (empty text: no value)."""
    return (
        body.name,
        body.siret,
        convention.signed_on.isoformat(),
        convention.reference,
        convention.beneficiary_name,
        convention.beneficiary_identifier,
        "",  # rnaBeneficiaire: not held; idBeneficiaire (a SIRET) is always given
        subsidy_object(convention.posts, convention.wave),
        f"{quantize_cents(convention.total_amount):.2f}",
        CASH_AID,
        STAGGERED_PAYMENTS if len(set(convention.payment_dates)) > 1 else SINGLE_PAYMENT,
        payment_period(convention.payment_dates),
        "",  # idRAE: the programme is no aid to businesses listed in the RAE
        NOT_NOTIFIED,
        WHOLE_SUBSIDY,
        "",  # dispositifAide: no identifier in the schéma des dispositifs d'aide is known for it
    )
