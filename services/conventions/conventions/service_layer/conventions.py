"""Use cases on subsidy conventions and their avenants; each runs in one unit of work and commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cnum_shared.core import legal
from cnum_shared.core.dates import add_months
from cnum_shared.core.errors import Invalid, NotFound
from cnum_shared.core.legal import FundingPeriod, StructureKind, Wave
from cnum_shared.core.money import format_date_fr
from cnum_shared.core.territories import territory
from cnum_shared.framework.db import utcnow
from conventions.adapters.orm import (
    Convention,
    ConventionAmendment,
    PlannedTrancheRow,
    Structure,
)
from conventions.domain.conventions import (
    AMENDMENT_MACHINE,
    CONVENTION_MACHINE,
    AmendmentAction,
    AmendmentStatus,
    ConventionAction,
    ConventionConflict,
    ConventionStatus,
    InvalidConvention,
    amended_total,
    check_amendment,
    check_funding_freeze,
    convention_terms,
    revised_tranches,
)
from conventions.domain.regularisations import ZERO, Settlement, TrancheRegularisation, regularise
from conventions.service_layer.commands import (
    CreateConvention,
    DraftAmendment,
    EndConvention,
    SignAmendment,
    SignConvention,
)

if TYPE_CHECKING:
    # For the annotations only: the unit of work reaches the document use cases, which use this module's
    # schedule helpers; imported at run time, the two would import each other.
    from conventions.service_layer.unit_of_work import ConventionsUnitOfWork

#: The structure details every `convention.*` event carries (DESIGN §2).
_STRUCTURE_DETAILS = ("name", "kind", "department", "qpv_zrr", "email", "iban", "bic")


class ConventionNotFound(NotFound):
    default_message = "Convention introuvable."


class AmendmentNotFound(NotFound):
    default_message = "Avenant introuvable."


class UnknownStructure(Invalid):
    """A convention (or an advisor) names a structure that does not exist (a 422 on `structure_id`)."""

    def __init__(self) -> None:
        super().__init__("Structure inconnue.", errors={"json": {"structure_id": ["Structure inconnue."]}})


def _reference(convention_id: uuid.UUID, start_date: date) -> str:
    """A reference people can read out on the phone; unique because it comes from the id."""
    return f"CNUM-{start_date.year}-{convention_id.hex[:8].upper()}"


def _check_renewal_has_predecessor(
    uow: ConventionsUnitOfWork, structure: Structure, start_date: date
) -> None:
    """DESIGN §3: a renewal continues an earlier signed convention of the same structure."""
    if not uow.conventions.signed_before(structure.id, start_date):
        raise InvalidConvention(
            {
                "wave": [
                    "Un renouvellement suppose une convention antérieure signée avec la même structure : "
                    f"« {structure.name} » n'en a aucune qui commence avant le "
                    f"{format_date_fr(start_date)}."
                ]
            }
        )


def period_rows(periods: Sequence[FundingPeriod]) -> list[dict[str, Any]]:
    """The funded periods as stored on the convention (JSON)."""
    return [
        {
            "number": period.number,
            "offset_months": period.offset_months,
            "months": period.months,
            "amount_per_post": str(period.amount_per_post),
        }
        for period in periods
    ]


def funding_periods_of(convention: Convention) -> list[FundingPeriod]:
    """The convention's funded periods, as computed at its creation."""
    return [
        FundingPeriod(
            number=int(row["number"]),  # type: ignore[call-overload]
            offset_months=int(row["offset_months"]),  # type: ignore[call-overload]
            months=int(row["months"]),  # type: ignore[call-overload]
            amount_per_post=Decimal(str(row["amount_per_post"])),
        )
        for row in convention.funding_periods or []
    ]


def funding_periods_wire(convention: Convention) -> list[dict[str, Any]]:
    """The periods as the events and the API carry them: dates, amount and monthly rate per post."""
    return [
        {
            "number": period.number,
            "starts_on": add_months(convention.start_date, period.offset_months),
            "ends_on": add_months(convention.start_date, period.offset_months + period.months)
            - timedelta(days=1),
            "months": period.months,
            "amount_per_post": period.amount_per_post,
            "monthly_rate": period.monthly_rate,
        }
        for period in funding_periods_of(convention)
    ]


def create_convention(uow: ConventionsUnitOfWork, command: CreateConvention) -> Convention:
    """A draft convention whose amounts come from the parameters in force at its start date."""
    structure = uow.structures.get(command.structure_id)
    if structure is None:
        raise UnknownStructure()
    terms = convention_terms(
        wave=Wave(command.wave),
        kind=StructureKind(structure.kind),
        territory=territory(structure.department),
        qpv_zrr=structure.qpv_zrr,
        posts=command.posts,
        start_date=command.start_date,
        duration_months=command.duration_months,
        tree=uow.parameters,
    )
    if terms.wave is Wave.RENEWAL:
        _check_renewal_has_predecessor(uow, structure, terms.start_date)
    now = utcnow()
    convention_id = uuid.uuid4()
    convention = Convention(
        id=convention_id,
        reference=_reference(convention_id, terms.start_date),
        structure_id=structure.id,
        wave=terms.wave.value,
        posts=terms.posts,
        initial_posts=terms.posts,
        start_date=terms.start_date,
        end_date=terms.end_date,
        duration_months=terms.duration_months,
        funded_months=terms.funded_months,
        amount_per_post=terms.amount_per_post,
        total_amount=terms.total_amount,
        signed_on=None,
        ended_on=None,
        end_reason=None,
        funding_periods=period_rows(terms.funding_periods),
        created_at=now,
        updated_at=now,
        tranches=[
            PlannedTrancheRow(number=number, due_on=due_on, amount=amount)
            for number, due_on, amount in terms.schedule(signed_on=None)
        ],
    )
    convention.structure = structure
    CONVENTION_MACHINE.start(
        convention, ConventionStatus.DRAFT, actor=command.actor, reason="projet", at=now, log=uow.history
    )
    uow.conventions.add(convention)
    uow.commit()
    return convention


def get_convention(
    uow: ConventionsUnitOfWork, convention_id: uuid.UUID, *, for_update: bool = False
) -> Convention:
    convention = uow.conventions.get(convention_id, for_update=for_update)
    if convention is None:
        raise ConventionNotFound()
    return convention


def structure_details(structure: Structure) -> dict[str, Any]:
    """The copy of its structure that `convention.*`, `candidate.*` and `contract.signed` events carry."""
    return {key: getattr(structure, key) for key in _STRUCTURE_DETAILS}


def _common(convention: Convention) -> dict[str, Any]:
    return {
        "convention_id": convention.id,
        "structure_id": convention.structure_id,
        "reference": convention.reference,
        "structure": structure_details(convention.structure),
    }


def sign_convention(uow: ConventionsUnitOfWork, command: SignConvention) -> Convention:
    """Sign a draft: tranche 1 falls due on the signing date; emits `convention.signed`."""
    convention = get_convention(uow, command.convention_id, for_update=True)
    signed_on = command.signed_on
    CONVENTION_MACHINE.next(convention.status, ConventionAction.SIGN)  # refused before anything is checked
    programme_start = legal.wave_first_date(Wave.INITIAL, tree=uow.parameters)
    if signed_on < programme_start:
        raise InvalidConvention(
            {
                "signed_on": [
                    "Une convention ne peut être signée avant le début du programme, le "
                    f"{format_date_fr(programme_start)}."
                ]
            }
        )
    check_funding_freeze(f"de la convention {convention.reference}", signed_on, tree=uow.parameters)
    now = utcnow()
    CONVENTION_MACHINE.apply(
        convention,
        ConventionAction.SIGN,
        actor=command.actor,
        reason=f"signée le {signed_on.isoformat()}",
        at=now,
        log=uow.history,
    )
    convention.signed_on = signed_on
    first = convention.tranches[0]
    first.due_on = signed_on
    convention.updated_at = now
    uow.outbox.emit(
        "convention.signed",
        {
            **_common(convention),
            "wave": convention.wave,
            "posts": convention.posts,
            "start_date": convention.start_date,
            "end_date": convention.end_date,
            "duration_months": convention.duration_months,
            "funded_months": convention.funded_months,
            "signed_on": signed_on,
            "amount_per_post": convention.amount_per_post,
            "total_amount": convention.total_amount,
            "tranches": schedule_of(convention),
            "funding_periods": funding_periods_wire(convention),
        },
    )
    uow.commit()
    return convention


def schedule_of(convention: Convention) -> list[dict[str, Any]]:
    """Every tranche as the convention states it: what payments applies, never recomputes."""
    return [
        {"number": tranche.number, "due_on": tranche.due_on, "amount": tranche.amount}
        for tranche in convention.tranches
    ]


def end_convention(uow: ConventionsUnitOfWork, command: EndConvention) -> Convention:
    """Close or terminate a signed convention; payments cancels what is unpaid."""
    convention = get_convention(uow, command.convention_id, for_update=True)
    CONVENTION_MACHINE.next(convention.status, command.action)
    if convention.signed_on is not None and command.on < convention.signed_on:
        raise ConventionConflict("La date de fin ne peut pas précéder la signature de la convention.")
    now = utcnow()
    CONVENTION_MACHINE.apply(
        convention, command.action, actor=command.actor, reason=command.reason, at=now, log=uow.history
    )
    convention.ended_on = command.on
    convention.end_reason = command.reason
    convention.updated_at = now
    event_type = "convention.closed" if command.action is ConventionAction.CLOSE else "convention.terminated"
    uow.outbox.emit(event_type, {**_common(convention), "on": command.on, "reason": command.reason})
    uow.commit()
    return convention


def draft_amendment(uow: ConventionsUnitOfWork, command: DraftAmendment) -> ConventionAmendment:
    """A draft avenant: the new posts from the effective date, and the total it leads to."""
    convention = get_convention(uow, command.convention_id, for_update=True)
    CONVENTION_MACHINE.next(convention.status, ConventionAction.AMEND)  # only a signed convention
    check_amendment(
        start_date=convention.start_date,
        end_date=convention.end_date,
        signed_on=convention.signed_on,
        effective_date=command.effective_date,
        posts=command.posts,
        current_posts=convention.posts,
    )
    _check_request_dates(convention, command)
    number = uow.amendments.last_number(convention.id) + 1
    total, schedule = _amended_terms(convention, command.posts, command.effective_date)
    now = utcnow()
    amendment = ConventionAmendment(
        id=uuid.uuid4(),
        convention_id=convention.id,
        number=number,
        posts_before=convention.posts,
        posts=command.posts,
        effective_date=command.effective_date,
        reason=command.reason,
        total_before=convention.total_amount,
        total_amount=total,
        tranches=schedule,
        signed_on=None,
        created_by=command.created_by,
        created_at=now,
        requested_on=command.requested_on,
        contract_ended_on=command.contract_ended_on,
    )
    state_settlements(uow, convention, amendment, now.date())
    AMENDMENT_MACHINE.start(
        amendment,
        AmendmentStatus.DRAFT,
        actor=command.created_by,
        reason=command.reason,
        at=now,
        log=uow.history,
    )
    uow.amendments.add(amendment)
    uow.commit()
    return amendment


def _check_request_dates(convention: Convention, command: DraftAmendment) -> None:
    """The request follows the convention's signature; the contract break falls within the convention,
    on or before the avenant's effective date (the avenant follows from it)."""
    errors: dict[str, list[str]] = {}
    if (
        command.requested_on is not None
        and convention.signed_on is not None
        and command.requested_on < convention.signed_on
    ):
        errors["requested_on"] = [
            "La demande d'avenant ne peut précéder la signature de la convention, le "
            f"{format_date_fr(convention.signed_on)}."
        ]
    ended = command.contract_ended_on
    if ended is not None and not convention.start_date <= ended <= command.effective_date:
        errors["contract_ended_on"] = [
            "La rupture du contrat doit dater du début de la convention, le "
            f"{format_date_fr(convention.start_date)}, à la date d'effet de l'avenant, le "
            f"{format_date_fr(command.effective_date)}."
        ]
    if errors:
        raise InvalidConvention(errors)


def _settlements(
    uow: ConventionsUnitOfWork, convention: Convention, earlier: Sequence[ConventionAmendment]
) -> tuple[dict[int, Settlement], Decimal]:
    """What payments reported settled of each tranche (only those approved or paid), and paid in all.

    The supplementary lines not yet approved are those earlier signed avenants stated (net of their
    reductions) less the lines payments reported approved or paid."""
    rows = uow.settlements.of_convention(convention.id)
    stated: dict[int, Decimal] = {}
    for amendment in earlier:
        for stated_row in amendment.tranches or []:
            if stated_row.get("supplement") is not None:
                number = int(str(stated_row["number"]))
                net = Decimal(str(stated_row["supplement"])) - Decimal(str(stated_row["supplement_reduced"]))
                stated[number] = stated.get(number, ZERO) + net
    settlements: dict[int, Settlement] = {}
    for row in rows:
        if row.regularises is not None:
            continue
        lines = [line for line in rows if line.number == row.number or line.regularises == row.number]
        settled_lines = sum((line.amount for line in lines if line.regularises is not None), ZERO)
        settlements[row.number] = Settlement(
            status=row.status,
            paid=sum((line.amount for line in lines if line.status == "paid"), ZERO),
            unpaid_supplements=max(stated.get(row.number, ZERO) - settled_lines, ZERO),
        )
    return settlements, sum((row.amount for row in rows if row.status == "paid"), ZERO)


def state_settlements(
    uow: ConventionsUnitOfWork, convention: Convention, amendment: ConventionAmendment, as_of: date
) -> list[TrancheRegularisation]:
    """What was paid under the convention and the regularisation of each tranche settled, as the avenant
    states them (decision 0025): when it is drawn up, and again when it is signed."""
    earlier = [
        other
        for other in uow.amendments.of_convention(convention.id)
        if other.id != amendment.id and other.signed_on is not None
    ]
    settlements, paid = _settlements(uow, convention, earlier)
    schedule = amendment_schedule(amendment)
    rows = regularise(
        {row["number"]: row["amount"] for row in schedule},
        {tranche.number: tranche.amount for tranche in convention.tranches},
        settlements,
    )
    by_number = {row.number: row for row in rows}
    amendment.tranches = [
        {
            "number": row["number"],
            "due_on": row["due_on"].isoformat() if row["due_on"] else None,
            "amount": str(row["amount"]),
            **_regularisation_json(by_number[row["number"]]),
        }
        for row in schedule
    ]
    amendment.paid_as_of = as_of
    amendment.paid_to_date = paid
    amendment.amount_to_recover = sum((row.to_recover or ZERO for row in rows), ZERO)
    return rows


def _regularisation_json(row: TrancheRegularisation) -> dict[str, str | None]:
    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "settled": row.settled,
        "stands_for": text(row.stands_for),
        "already_paid": text(row.already_paid),
        "supplement": text(row.supplement if row.settled else None),
        "supplement_reduced": text(row.supplement_reduced if row.settled else None),
        "to_recover": text(row.to_recover),
    }


def _amended_terms(
    convention: Convention, posts: int, effective_date: date
) -> tuple[Decimal, list[dict[str, Any]]]:
    """The new total and the whole schedule an avenant states (DESIGN §4), from the convention's
    funded periods and its tranches as they stand."""
    total = amended_total(
        total_before=convention.total_amount,
        funding_periods=funding_periods_of(convention),
        start_date=convention.start_date,
        posts_before=convention.posts,
        posts_after=posts,
        effective_date=effective_date,
    )
    revised = revised_tranches(
        [(tranche.number, tranche.due_on, tranche.amount) for tranche in convention.tranches],
        total,
        effective_date,
    )
    schedule = [
        {
            "number": tranche.number,
            "due_on": tranche.due_on.isoformat() if tranche.due_on else None,
            "amount": str(revised[tranche.number]),
        }
        for tranche in convention.tranches
    ]
    return total, schedule


def amendment_schedule(amendment: ConventionAmendment) -> list[dict[str, Any]]:
    """The schedule an avenant states, typed: [{number, due_on, amount}], with, for each tranche, what
    was settled of it and its regularisation (decision 0025): `settled`, `stands_for`, `already_paid`,
    `supplement`, `supplement_reduced`, `to_recover` (None when the tranche was not settled)."""

    def money(value: object) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    return [
        {
            "number": int(row["number"]),  # type: ignore[call-overload]
            "due_on": date.fromisoformat(str(row["due_on"])) if row.get("due_on") else None,
            "amount": Decimal(str(row["amount"])),
            "settled": row.get("settled"),
            **{
                key: money(row.get(key))
                for key in ("stands_for", "already_paid", "supplement", "supplement_reduced", "to_recover")
            },
        }
        for row in amendment.tranches or []
    ]


def regularisations_wire(amendment: ConventionAmendment) -> list[dict[str, Any]]:
    """What `convention.amended` carries of the tranches settled: payments books it as carried."""
    return [
        {
            "number": row["number"],
            "settled": row["settled"],
            **{
                key: row[key]
                for key in ("stands_for", "already_paid", "supplement", "supplement_reduced", "to_recover")
            },
        }
        for row in amendment_schedule(amendment)
        if row["settled"] is not None
    ]


def get_amendment(
    uow: ConventionsUnitOfWork, convention_id: uuid.UUID, amendment_id: uuid.UUID
) -> ConventionAmendment:
    amendment = uow.amendments.get(amendment_id)
    if amendment is None or amendment.convention_id != convention_id:
        raise AmendmentNotFound()
    return amendment


def sign_amendment(uow: ConventionsUnitOfWork, command: SignAmendment) -> ConventionAmendment:
    """The avenant takes effect: the posts and the total change; emits `convention.amended`."""
    convention = get_convention(uow, command.convention_id, for_update=True)
    amendment = get_amendment(uow, command.convention_id, command.amendment_id)
    signed_on = command.signed_on
    if not AMENDMENT_MACHINE.allows(amendment.status, AmendmentAction.SIGN):
        raise ConventionConflict(f"L'avenant n° {amendment.number} est déjà signé.")
    if convention.signed_on is not None and signed_on < convention.signed_on:
        raise InvalidConvention(
            {
                "signed_on": [
                    "Un avenant ne peut être signé avant la convention qu'il modifie, signée le "
                    f"{format_date_fr(convention.signed_on)}."
                ]
            }
        )
    if amendment.posts_before != convention.posts:
        raise ConventionConflict(
            "Un autre avenant a changé le nombre de postes depuis la rédaction de celui-ci : "
            "rédigez-en un nouveau."
        )
    if amendment.posts > amendment.posts_before:
        check_funding_freeze(
            f"de l'avenant n° {amendment.number}, qui fait passer la convention de "
            f"{amendment.posts_before} à {amendment.posts} postes",
            signed_on,
            tree=uow.parameters,
        )
    now = utcnow()
    CONVENTION_MACHINE.apply(
        convention,
        ConventionAction.AMEND,
        actor=command.actor,
        reason=f"avenant n° {amendment.number}",
        at=now,
        log=uow.history,
    )
    if amendment.tranches is None:
        # Drafted before avenants stated their schedule: computed now, by the same rule.
        amendment.total_amount, amendment.tranches = _amended_terms(
            convention, amendment.posts, amendment.effective_date
        )
    # The signed figures are the ones that count: what payments settled is read again on signing.
    state_settlements(uow, convention, amendment, now.date())
    revised = {row["number"]: row["amount"] for row in amendment_schedule(amendment)}
    for tranche in convention.tranches:
        tranche.amount = revised[tranche.number]
    convention.posts = amendment.posts
    convention.total_amount = amendment.total_amount
    convention.updated_at = now
    AMENDMENT_MACHINE.apply(
        amendment, AmendmentAction.SIGN, actor=command.actor, reason=amendment.reason, at=now, log=uow.history
    )
    amendment.signed_on = signed_on
    uow.outbox.emit(
        "convention.amended",
        {
            **_common(convention),
            "amendment_id": amendment.id,
            "number": amendment.number,
            "posts_before": amendment.posts_before,
            "posts": amendment.posts,
            "effective_date": amendment.effective_date,
            "signed_on": signed_on,
            "total_amount": amendment.total_amount,
            "reason": amendment.reason,
            "tranches": schedule_of(convention),
            "funding_periods": funding_periods_wire(convention),
            "regularisations": regularisations_wire(amendment),
        },
    )
    uow.commit()
    return amendment
