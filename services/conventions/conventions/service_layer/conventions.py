"""Use cases on subsidy conventions and their avenants; each runs in one unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select

from cnum_shared.core import legal
from cnum_shared.core.dates import add_months
from cnum_shared.core.legal import FundingPeriod, StructureKind, Wave
from cnum_shared.core.money import format_date_fr
from cnum_shared.core.territories import territory
from cnum_shared.framework.db import UnitOfWork, utcnow
from cnum_shared.framework.events.outbox import emit
from conventions.adapters.orm import (
    Convention,
    ConventionAmendment,
    PlannedTrancheRow,
    Structure,
    event_tables,
)
from conventions.domain.conventions import (
    ConventionAction,
    ConventionConflict,
    ConventionStatus,
    InvalidConvention,
    amended_total,
    check_amendment,
    convention_terms,
    next_status,
    revised_tranches,
)
from conventions.service_layer.structures import StructureNotFound, get_structure

#: The structure details every `convention.*` event carries (DESIGN §2).
_STRUCTURE_DETAILS = ("name", "kind", "department", "qpv_zrr", "email", "iban", "bic")


class ConventionNotFound(LookupError):
    pass


class AmendmentNotFound(LookupError):
    pass


@dataclass(frozen=True)
class ConventionFilters:
    structure_id: uuid.UUID | None = None
    status: str | None = None
    wave: str | None = None
    #: A search on the reference, or on the structure's name or SIRET.
    q: str | None = None


def _reference(convention_id: uuid.UUID, start_date: date) -> str:
    """A reference people can read out on the phone; unique because it comes from the id."""
    return f"CNUM-{start_date.year}-{convention_id.hex[:8].upper()}"


#: A convention that was signed (whatever became of it since).
_SIGNED_STATUSES = (
    ConventionStatus.SIGNED.value,
    ConventionStatus.AMENDED.value,
    ConventionStatus.CLOSED.value,
    ConventionStatus.TERMINATED.value,
)


def _check_renewal_has_predecessor(uow: UnitOfWork, structure: Structure, start_date: date) -> None:
    """DESIGN §3: a renewal continues an earlier signed convention of the same structure."""
    earlier = uow.session.scalar(
        select(func.count())
        .select_from(Convention)
        .where(
            Convention.structure_id == structure.id,
            Convention.status.in_(_SIGNED_STATUSES),
            Convention.start_date < start_date,
        )
    )
    if not earlier:
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


def create_convention(uow: UnitOfWork, fields: dict[str, Any]) -> Convention:
    """A draft convention whose amounts come from the parameters in force at its start date."""
    structure = get_structure(uow, fields["structure_id"])
    terms = convention_terms(
        wave=Wave(fields["wave"]),
        kind=StructureKind(structure.kind),
        territory=territory(structure.department),
        qpv_zrr=structure.qpv_zrr,
        posts=fields["posts"],
        start_date=fields["start_date"],
        duration_months=fields["duration_months"],
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
        status=ConventionStatus.DRAFT.value,
        signed_on=None,
        ended_on=None,
        end_reason=None,
        funding_periods=period_rows(terms.funding_periods),
        created_at=now,
        updated_at=now,
        tranches=[
            PlannedTrancheRow(number=tranche.number, due_on=tranche.due_on, amount=tranche.amount)
            for tranche in terms.tranches(signed_on=None)
        ],
    )
    convention.structure = structure
    uow.session.add(convention)
    uow.commit()
    return convention


def get_convention(uow: UnitOfWork, convention_id: uuid.UUID, *, for_update: bool = False) -> Convention:
    statement = select(Convention).where(Convention.id == convention_id)
    if for_update:
        # Serializes the writes on one convention (signature, avenants, contracts against its posts).
        statement = statement.with_for_update()
    convention = uow.session.scalars(statement).unique().one_or_none()
    if convention is None:
        raise ConventionNotFound(convention_id)
    return convention


def list_conventions(
    uow: UnitOfWork, filters: ConventionFilters, offset: int, limit: int
) -> tuple[Sequence[Convention], int]:
    statement = select(Convention)
    if filters.structure_id:
        statement = statement.where(Convention.structure_id == filters.structure_id)
    if filters.status:
        statement = statement.where(Convention.status == filters.status)
    if filters.wave:
        statement = statement.where(Convention.wave == filters.wave)
    if filters.q:
        # Escape LIKE's wildcards: a search for "50%" looks for those characters, not "50" and anything.
        escaped = filters.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        statement = statement.join(Structure, Structure.id == Convention.structure_id).where(
            or_(
                func.lower(Convention.reference).like(pattern, escape="\\"),
                func.lower(Structure.name).like(pattern, escape="\\"),
                Structure.siret.like(pattern, escape="\\"),
            )
        )
    total = uow.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    page = (
        uow.session.scalars(
            statement.order_by(Convention.created_at.desc(), Convention.id).offset(offset).limit(limit)
        )
        .unique()
        .all()
    )
    return page, total


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


def sign_convention(uow: UnitOfWork, convention_id: uuid.UUID, signed_on: date) -> Convention:
    """Sign a draft: tranche 1 falls due on the signing date; emits `convention.signed`."""
    convention = get_convention(uow, convention_id, for_update=True)
    convention.status = next_status(ConventionStatus(convention.status), ConventionAction.SIGN).value
    programme_start = legal.wave_first_date(Wave.INITIAL)
    if signed_on < programme_start:
        raise InvalidConvention(
            {
                "signed_on": [
                    "Une convention ne peut être signée avant le début du programme, le "
                    f"{format_date_fr(programme_start)}."
                ]
            }
        )
    legal.check_funding_freeze(f"de la convention {convention.reference}", signed_on)
    convention.signed_on = signed_on
    first = convention.tranches[0]
    first.due_on = signed_on
    convention.updated_at = utcnow()
    emit(
        uow.session,
        event_tables,
        producer="conventions",
        event_type="convention.signed",
        data={
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


def end_convention(
    uow: UnitOfWork, convention_id: uuid.UUID, action: ConventionAction, on: date, reason: str
) -> Convention:
    """Close or terminate a signed convention; payments cancels what is unpaid."""
    convention = get_convention(uow, convention_id, for_update=True)
    convention.status = next_status(ConventionStatus(convention.status), action).value
    if convention.signed_on is not None and on < convention.signed_on:
        raise ConventionConflict("La date de fin ne peut pas précéder la signature de la convention.")
    convention.ended_on = on
    convention.end_reason = reason
    convention.updated_at = utcnow()
    event_type = "convention.closed" if action is ConventionAction.CLOSE else "convention.terminated"
    emit(
        uow.session,
        event_tables,
        producer="conventions",
        event_type=event_type,
        data={**_common(convention), "on": on, "reason": reason},
    )
    uow.commit()
    return convention


def _ensure_amendable(convention: Convention) -> None:
    next_status(ConventionStatus(convention.status), ConventionAction.AMEND)


def create_amendment(
    uow: UnitOfWork, convention_id: uuid.UUID, fields: dict[str, Any], created_by: str
) -> ConventionAmendment:
    """A draft avenant: the new posts from the effective date, and the total it leads to."""
    convention = get_convention(uow, convention_id, for_update=True)
    _ensure_amendable(convention)
    check_amendment(
        start_date=convention.start_date,
        end_date=convention.end_date,
        signed_on=convention.signed_on,
        effective_date=fields["effective_date"],
        posts=fields["posts"],
        current_posts=convention.posts,
    )
    number = (
        uow.session.scalar(
            select(func.coalesce(func.max(ConventionAmendment.number), 0)).where(
                ConventionAmendment.convention_id == convention.id
            )
        )
        or 0
    ) + 1
    total, schedule = _amended_terms(convention, fields["posts"], fields["effective_date"])
    amendment = ConventionAmendment(
        id=uuid.uuid4(),
        convention_id=convention.id,
        number=number,
        posts_before=convention.posts,
        posts=fields["posts"],
        effective_date=fields["effective_date"],
        reason=fields["reason"],
        total_before=convention.total_amount,
        total_amount=total,
        tranches=schedule,
        status="draft",
        signed_on=None,
        created_by=created_by,
        created_at=utcnow(),
    )
    uow.session.add(amendment)
    uow.commit()
    return amendment


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
    """The schedule an avenant states, typed: [{number, due_on, amount}]."""
    return [
        {
            "number": int(row["number"]),  # type: ignore[call-overload]
            "due_on": date.fromisoformat(str(row["due_on"])) if row.get("due_on") else None,
            "amount": Decimal(str(row["amount"])),
        }
        for row in amendment.tranches or []
    ]


def get_amendment(uow: UnitOfWork, convention_id: uuid.UUID, amendment_id: uuid.UUID) -> ConventionAmendment:
    amendment = uow.session.get(ConventionAmendment, amendment_id)
    if amendment is None or amendment.convention_id != convention_id:
        raise AmendmentNotFound(amendment_id)
    return amendment


def list_amendments(uow: UnitOfWork, convention_id: uuid.UUID) -> Sequence[ConventionAmendment]:
    return uow.session.scalars(
        select(ConventionAmendment)
        .where(ConventionAmendment.convention_id == convention_id)
        .order_by(ConventionAmendment.number)
    ).all()


def sign_amendment(
    uow: UnitOfWork, convention_id: uuid.UUID, amendment_id: uuid.UUID, signed_on: date
) -> ConventionAmendment:
    """The avenant takes effect: the posts and the total change; emits `convention.amended`."""
    convention = get_convention(uow, convention_id, for_update=True)
    amendment = get_amendment(uow, convention_id, amendment_id)
    if amendment.status != "draft":
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
        legal.check_funding_freeze(
            f"de l'avenant n° {amendment.number}, qui fait passer la convention de "
            f"{amendment.posts_before} à {amendment.posts} postes",
            signed_on,
        )
    convention.status = next_status(ConventionStatus(convention.status), ConventionAction.AMEND).value
    if amendment.tranches is None:
        # Drafted before avenants stated their schedule: computed now, by the same rule.
        amendment.total_amount, amendment.tranches = _amended_terms(
            convention, amendment.posts, amendment.effective_date
        )
    revised = {row["number"]: row["amount"] for row in amendment_schedule(amendment)}
    for tranche in convention.tranches:
        tranche.amount = revised[tranche.number]
    convention.posts = amendment.posts
    convention.total_amount = amendment.total_amount
    convention.updated_at = utcnow()
    amendment.status = "signed"
    amendment.signed_on = signed_on
    emit(
        uow.session,
        event_tables,
        producer="conventions",
        event_type="convention.amended",
        data={
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
        },
    )
    uow.commit()
    return amendment


__all__ = ["ConventionConflict", "StructureNotFound"]
