"""Wire schemas: the event envelope and the `data` of each event type, shared by producers and consumers.

Changing a `data` schema in a way old consumers cannot read means a new `version`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import Any
from uuid import UUID

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from cnum_shared.core.identifiers import STORED_IDENTIFIER

PRODUCERS = ("conventions", "payments", "compliance")
STRUCTURE_KINDS = ("public", "private")
#: The structure types a structure may have: those of shared/parameters/structure_types.yaml that are
#: eligible (a test checks the two agree). A State deconcentrated service is refused, never stored.
STRUCTURE_TYPES = (
    "commune",
    "epci",
    "departement",
    "region",
    "collectivite_statut_particulier",
    "groupement_collectivites",
    "ccas",
    "cias",
    "oph",
    "etablissement_public",
    "gip",
    "chambre_consulaire",
    "epa",
    "epic",
    "association",
    "entreprise_ess",
    "esh",
    "fondation",
    "autre_prive",
)
#: What a client may send as `structure_type`: the eligible types, and those the rules refuse by name.
STRUCTURE_TYPES_ACCEPTED = (*STRUCTURE_TYPES, "service_deconcentre_etat")


class WireSchema(Schema):
    """Unknown fields are refused: a producer and its consumers must agree on every field."""


class StructureDetailsSchema(WireSchema):
    """The copy of a structure that events carry so that consumers never call back (DESIGN §2)."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=300))
    kind = fields.String(required=True, validate=validate.OneOf(STRUCTURE_KINDS))
    department = fields.String(required=True, validate=validate.Length(min=2, max=3))
    qpv_zrr = fields.Boolean(required=True)
    email = fields.Email(required=True)
    iban = fields.String(required=True, validate=validate.Length(min=15, max=34))
    bic = fields.String(required=True, allow_none=True, validate=validate.Length(min=8, max=11))


class StructureUpdatedSchema(StructureDetailsSchema):
    """`structure.updated`: the whole structure after each change (creation included)."""

    structure_id = fields.UUID(required=True)
    #: A SIRET, or for a structure of New Caledonia or French Polynesia its RIDET or numéro TAHITI.
    siret = fields.String(required=True, validate=validate.Regexp(STORED_IDENTIFIER))
    structure_type = fields.String(required=True, validate=validate.OneOf(STRUCTURE_TYPES))
    address = fields.String(required=True)
    postcode = fields.String(required=True, validate=validate.Regexp(r"^\d{5}$"))
    city = fields.String(required=True)


WAVES = ("initial", "renewal")
CONTRACT_TYPES = ("cdi", "cdd", "contrat_de_projet", "titulaire", "pec")
MEDIATOR_CASES = ("part_time", "experimental_scheme", "contract_ending")
CONTRACT_END_REASONS = (
    "non_renewal_cdd",
    "dismissal",
    "resignation",
    "end_of_funding",
    "mutual_agreement",
    "trial_period",
)


def amount_between(low: Decimal, high: Decimal) -> Any:
    """A validator for an amount field: strictly above `low`, at most `high`.

    A function rather than `validate.Range`, which apispec would document as a string bound ("100000.00")
    on a string field, an invalid OpenAPI schema.
    """

    def check(value: Decimal) -> None:
        if not low < value <= high:
            raise ValidationError(f"Valeur attendue entre {low} (exclu) et {high}.")

    return check


#: The dates a user may send: the programme's rules and calendars make no sense outside them, and a
#: year 9999 would overflow the date arithmetic (a 500 instead of a 422).
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)


def _plausible(value: date) -> None:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(
            f"Date attendue entre {EARLIEST_DATE.isoformat()} et {LATEST_DATE.isoformat()}."
        )


def legal_date(**kwargs: Any) -> fields.Date:
    """A date a user sends (a start, a signature, an effective date), within plausible years."""
    return fields.Date(validate=_plausible, **kwargs)


def money_field(*, required: bool = True, **kwargs: Any) -> fields.Decimal:
    """An amount on the wire: a string with two decimals ("50000.00"), never a float (DESIGN §5)."""
    return fields.Decimal(required=required, as_string=True, places=2, **kwargs)


class PlannedTrancheSchema(WireSchema):
    number = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    due_on = fields.Date(required=True)
    amount = money_field()


class FundingPeriodSchema(WireSchema):
    """A funded period of one post (article 6): the clawback earns `amount_per_post ÷ months` a month."""

    number = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    months = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=36))
    amount_per_post = money_field()
    #: Rounded for display; the computations use amount_per_post and months.
    monthly_rate = money_field()


def _schedule_field() -> fields.List[Any]:
    return fields.List(fields.Nested(PlannedTrancheSchema), required=True, validate=validate.Length(min=1))


def _periods_field() -> fields.List[Any]:
    return fields.List(fields.Nested(FundingPeriodSchema), required=True, validate=validate.Length(min=1))


class ConventionEventSchema(WireSchema):
    """What every `convention.*` event carries: the convention and a copy of its structure (DESIGN §2)."""

    convention_id = fields.UUID(required=True)
    structure_id = fields.UUID(required=True)
    reference = fields.String(required=True)
    structure = fields.Nested(StructureDetailsSchema, required=True)


class ConventionSignedSchema(ConventionEventSchema):
    """`convention.signed`: the terms payments schedules from, tranche 1 due on `signed_on`."""

    wave = fields.String(required=True, validate=validate.OneOf(WAVES))
    posts = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    duration_months = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=36))
    funded_months = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=36))
    signed_on = fields.Date(required=True)
    amount_per_post = money_field()
    total_amount = money_field()
    #: The whole schedule the signed convention states: payments applies it, never recomputes it.
    tranches = _schedule_field()
    funding_periods = _periods_field()


class RegularisationSchema(WireSchema):
    """What a signed avenant states of one tranche already approved or paid (decision 0025): payments
    books it as carried, never recomputes it."""

    number = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    #: "approved" or "paid": the tranche's state as the conventions service knew it from payments' events.
    settled = fields.String(required=True, validate=validate.OneOf(("approved", "paid")))
    #: What the tranche stood for before the avenant (its amount, supplementary lines, less recoveries).
    stands_for = money_field()
    already_paid = money_field()
    #: A new supplementary payable line of the tranche.
    supplement = money_field()
    #: Taken off the tranche's supplementary lines not yet approved.
    supplement_reduced = money_field()
    to_recover = money_field()


class ConventionAmendedSchema(ConventionEventSchema):
    """`convention.amended`: new posts from `effective_date`, the new total, the whole schedule the
    signed avenant states and, for the tranches already approved or paid, the regularisation it states
    (payments keeps such a tranche and books that regularisation as carried)."""

    amendment_id = fields.UUID(required=True)
    number = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    posts_before = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    posts = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    effective_date = fields.Date(required=True)
    signed_on = fields.Date(required=True)
    total_amount = money_field()
    reason = fields.String(required=True)
    tranches = _schedule_field()
    funding_periods = _periods_field()
    #: Added with issue 17 (absent from events emitted before: None, and payments regularises nothing).
    regularisations = fields.List(fields.Nested(RegularisationSchema), load_default=None, allow_none=True)


class ConventionEndedSchema(ConventionEventSchema):
    """`convention.terminated` and `convention.closed`: unpaid tranches are cancelled from `on`."""

    on = fields.Date(required=True)
    reason = fields.String(required=True)


class CandidateEventSchema(WireSchema):
    """`candidate.presented` and `candidate.selected` (with `selected_on`): the selection clocks."""

    candidate_id = fields.UUID(required=True)
    convention_id = fields.UUID(required=True)
    structure_id = fields.UUID(required=True)
    advisor_id = fields.UUID(required=True)
    presented_on = fields.Date(required=True)
    selected_on = fields.Date(required=True, allow_none=True)
    structure = fields.Nested(StructureDetailsSchema, required=True)


class ContractSignedSchema(WireSchema):
    """`contract.signed`: the compliance clocks start at `signed_on`; payments checks the salary."""

    contract_id = fields.UUID(required=True)
    convention_id = fields.UUID(required=True)
    structure_id = fields.UUID(required=True)
    advisor_id = fields.UUID(required=True)
    contract_type = fields.String(required=True, validate=validate.OneOf(CONTRACT_TYPES))
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True, allow_none=True)
    weekly_hours = fields.Decimal(required=True, as_string=True)
    gross_monthly_salary = money_field()
    signed_on = fields.Date(required=True)
    existing_cdi_employee = fields.Boolean(required=True)
    #: Added with issue 14 (optional, so that events emitted before still read): the person was already in
    #: post as a digital mediator, and the case of the 2020 AMI that let them take the post.
    already_digital_mediator = fields.Boolean(load_default=False)
    mediator_case = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(MEDIATOR_CASES))
    structure = fields.Nested(StructureDetailsSchema, required=True)


class ContractSalaryChangedSchema(WireSchema):
    contract_id = fields.UUID(required=True)
    structure_id = fields.UUID(required=True)
    gross_monthly_salary = money_field()
    effective_on = fields.Date(required=True)


class ContractEndedSchema(WireSchema):
    """`contract.ended`: a post falls vacant (refill clock, pro rata recovery)."""

    contract_id = fields.UUID(required=True)
    convention_id = fields.UUID(required=True)
    structure_id = fields.UUID(required=True)
    ended_on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(CONTRACT_END_REASONS))


class OverdueObligationSchema(WireSchema):
    obligation_id = fields.UUID(required=True)
    kind = fields.String(required=True)
    due_on = fields.Date(required=True)


class StandingChangedSchema(WireSchema):
    """`structure.standing_changed` (compliance): blocking while an obligation is overdue (DESIGN §4)."""

    structure_id = fields.UUID(required=True)
    blocking = fields.Boolean(required=True)
    overdue = fields.List(fields.Nested(OverdueObligationSchema), required=True)
    as_of = fields.Date(required=True)


class TrancheEventSchema(WireSchema):
    """`tranche.due`, `tranche.approved`, `tranche.paid` and `tranche.returned` (payments): a payment the
    bank returned (`tranche.returned`) puts the tranche back to approved, to be paid again."""

    tranche_id = fields.UUID(required=True)
    convention_id = fields.UUID(required=True)
    structure_id = fields.UUID(required=True)
    number = fields.Integer(required=True, strict=True)
    amount = money_field()
    due_on = fields.Date(required=True)
    paid_on = fields.Date(required=True, allow_none=True)
    #: Added with issue 17 (absent from events emitted before): a supplementary line names the tranche it
    #: completes; None for one of the convention's own tranches.
    regularises = fields.Integer(load_default=None, allow_none=True, strict=True)


RECOVERY_KINDS = ("post_ended", "regularisation", "final_statement")


class AccountSchema(WireSchema):
    """A bank account to pay to: the agency's, on a recovery order."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=70))
    iban = fields.String(required=True, validate=validate.Length(min=15, max=34))
    bic = fields.String(required=True, allow_none=True, validate=validate.Length(min=8, max=11))


class RecoveryIssuedSchema(WireSchema):
    """`recovery.issued` (payments): a recovery became due (issued at once for an avenant or a final
    statement, when its refill deadline passed for a post that ended). The order (ordre de reversement)
    states these figures as payments computed them; conventions draws it up, compliance e-mails it."""

    recovery_id = fields.UUID(required=True)
    convention_id = fields.UUID(required=True)
    structure_id = fields.UUID(required=True)
    #: The convention's reference (« CN-… »), as the order cites it.
    convention_reference = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(RECOVERY_KINDS))
    amount = money_field()
    issued_on = fields.Date(required=True)
    #: The day the money must have reached the agency's account: issued_on + the repayment delay the
    #: convention states (convention.yaml, at the convention's legal date).
    pay_by = fields.Date(required=True)
    repayment_delay_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    #: What the structure writes on its transfer so the bank statement finds the recovery (CNR + 32 hex).
    payment_reference = fields.String(required=True, validate=validate.Regexp(r"^CNR[0-9A-F]{32}$"))
    pay_to = fields.Nested(AccountSchema, required=True)
    #: The recovery's computation as payments stores it (its shape depends on `kind`, decision 0030).
    computation = fields.Raw(required=True, allow_none=True)
    #: post_ended: the contract whose post ended, the months it was occupied, earned and paid per post.
    contract_id = fields.UUID(load_default=None, allow_none=True)
    months_started = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    earned = money_field(allow_none=True)
    paid_per_post = money_field(allow_none=True)
    structure = fields.Nested(StructureDetailsSchema, required=True)


class StatementContractSchema(WireSchema):
    contract_id = fields.UUID(required=True)
    occupied_from = fields.Date(required=True)
    occupied_until = fields.Date(required=True)
    months = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    earned = money_field()


class StatementPostSchema(WireSchema):
    post = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    months = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    earned = money_field()
    contracts = fields.List(fields.Nested(StatementContractSchema), required=True)


class StatementSettlementSchema(WireSchema):
    """What closing booked: a payable line (`payment`, the tranche's id) or a `recovery`."""

    kind = fields.String(required=True, validate=validate.OneOf(("payment", "recovery")))
    id = fields.UUID(required=True)
    amount = money_field()


class FinalStatementSettledSchema(WireSchema):
    """`final_statement.settled` (payments): the final statement (décompte final) of a closed convention
    as of its closing date, and what closing booked (None when nothing was left). The statement's
    document states these figures; no other service recomputes them (decision 0030)."""

    convention_id = fields.UUID(required=True)
    structure_id = fields.UUID(required=True)
    convention_reference = fields.String(required=True)
    closed_on = fields.Date(required=True)
    as_of = fields.Date(required=True)
    granted = money_field()
    earned = money_field()
    paid = money_field()
    balance = money_field()
    to_pay = money_field()
    to_recover = money_field()
    in_payment = money_field()
    claimed = money_field()
    to_settle = money_field()
    posts = fields.List(fields.Nested(StatementPostSchema), required=True)
    settlement = fields.Nested(StatementSettlementSchema, required=True, allow_none=True)
    structure = fields.Nested(StructureDetailsSchema, required=True)


@dataclass(frozen=True)
class EventType:
    name: str
    version: int
    data_schema: type[Schema]
    #: The service that emits it.
    producer: str = "conventions"


#: Every event type of the programme, with the current version of its `data` schema.
EVENT_TYPES: dict[str, EventType] = {
    event.name: event
    for event in (
        EventType("structure.updated", 1, StructureUpdatedSchema),
        EventType("convention.signed", 1, ConventionSignedSchema),
        EventType("convention.amended", 1, ConventionAmendedSchema),
        EventType("convention.terminated", 1, ConventionEndedSchema),
        EventType("convention.closed", 1, ConventionEndedSchema),
        EventType("candidate.presented", 1, CandidateEventSchema),
        EventType("candidate.selected", 1, CandidateEventSchema),
        EventType("contract.signed", 1, ContractSignedSchema),
        EventType("contract.salary_changed", 1, ContractSalaryChangedSchema),
        EventType("contract.ended", 1, ContractEndedSchema),
        EventType("structure.standing_changed", 1, StandingChangedSchema, producer="compliance"),
        EventType("tranche.due", 1, TrancheEventSchema, producer="payments"),
        EventType("tranche.approved", 1, TrancheEventSchema, producer="payments"),
        EventType("tranche.paid", 1, TrancheEventSchema, producer="payments"),
        EventType("tranche.returned", 1, TrancheEventSchema, producer="payments"),
        EventType("recovery.issued", 1, RecoveryIssuedSchema, producer="payments"),
        EventType("final_statement.settled", 1, FinalStatementSettledSchema, producer="payments"),
    )
}

#: Which service consumes which events (DESIGN §2); patterns as in `fnmatch`.
CONSUMES: dict[str, tuple[str, ...]] = {
    "payments": ("structure.updated", "convention.*", "contract.*", "structure.standing_changed"),
    #: `recovery.issued`: the order is e-mailed to the structure with the alerts (issue 18);
    #: `final_statement.settled`: so is the final statement, unless it led to a recovery (decision 0046).
    "compliance": ("convention.*", "candidate.*", "contract.*", "recovery.issued", "final_statement.settled"),
    #: What was settled of each tranche: the figures an avenant states (decision 0025).
    #: The final statement and the recovery orders it draws up (issue 18): payments' figures.
    "conventions": (
        "tranche.approved",
        "tranche.paid",
        "tranche.returned",
        "final_statement.settled",
        "recovery.issued",
    ),
}


def consumers_of(event_type: str) -> tuple[str, ...]:
    """The services an event of this type is delivered to."""
    return tuple(
        service
        for service, patterns in CONSUMES.items()
        if any(fnmatchcase(event_type, pattern) for pattern in patterns)
    )


@dataclass(frozen=True)
class Envelope:
    """An event as it travels: `{id, type, version, occurred_at, producer, sequence, data}`."""

    id: UUID
    type: str
    version: int
    #: When the producer says it happened: informative, never used to order events (a caller supplies it).
    occurred_at: datetime
    producer: str
    #: The producer's own outbox sequence: a consumer orders one producer's events by it (DESIGN §2).
    sequence: int
    #: The data as loaded by the type's schema (UUIDs, dates and Decimals, not strings).
    data: Mapping[str, Any]

    def supersedes(self, last_sequence: int | None) -> bool:
        """Whether this event comes after the one of the same producer that a consumer's copy reflects
        (`last_sequence`, None when no sequenced event reached it yet): "latest wins" state is ordered by
        the producer's sequence, never by the `occurred_at` a caller supplies (DESIGN §2)."""
        return last_sequence is None or self.sequence > last_sequence


class EnvelopeSchema(WireSchema):
    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.OneOf(sorted(EVENT_TYPES)))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True, default_timezone=UTC)
    producer = fields.String(required=True, validate=validate.OneOf(PRODUCERS))
    sequence = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "the producer's outbox sequence: the order of that producer's events"},
    )
    data = fields.Dict(required=True)

    @validates_schema
    def _data_matches_its_type(self, envelope: dict[str, Any], **kwargs: Any) -> None:
        event_type = EVENT_TYPES.get(envelope.get("type", ""))
        if event_type is None:
            return
        if envelope.get("version") != event_type.version:
            raise ValidationError(f"unsupported version for {event_type.name}", "version")
        errors = event_type.data_schema().validate(envelope.get("data", {}))
        if errors:
            raise ValidationError(errors, "data")


def load_envelope(payload: Mapping[str, Any]) -> Envelope:
    """Validate a received envelope and its data; raises marshmallow's ValidationError."""
    loaded = EnvelopeSchema().load(payload)
    data_schema = EVENT_TYPES[loaded["type"]].data_schema()
    return Envelope(
        id=loaded["id"],
        type=loaded["type"],
        version=loaded["version"],
        occurred_at=loaded["occurred_at"],
        producer=loaded["producer"],
        sequence=loaded["sequence"],
        data=data_schema.load(loaded["data"]),
    )


def dump_data(event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON-ready `data` of an event, validated against its schema before it is stored."""
    return dump_many(event_type, [data])[0]


def dump_many(event_type: str, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """`dump_data` for many events of one type: one schema, one pass (a scan publishes thousands)."""
    try:
        schema = EVENT_TYPES[event_type].data_schema()
    except KeyError:
        raise ValueError(f"unknown event type {event_type!r}") from None
    dumped: list[dict[str, Any]] = schema.dump(items, many=True)
    errors = schema.validate(dumped, many=True)
    if errors:
        raise ValueError(f"invalid data for {event_type}: {errors}")
    return dumped
