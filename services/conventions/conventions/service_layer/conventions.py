"""Use cases on subsidy conventions and their avenants; each runs in one unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select

from cnum_shared.db import UnitOfWork, utcnow
from cnum_shared.events.outbox import emit
from cnum_shared.legal import StructureKind, Wave
from cnum_shared.money import quantize_cents
from cnum_shared.territories import territory
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
    amended_total,
    check_amendment,
    convention_terms,
    next_status,
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
            "tranches": [
                {"number": tranche.number, "due_on": tranche.due_on, "amount": tranche.amount}
                for tranche in convention.tranches
            ],
        },
    )
    uow.commit()
    return convention


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
    amendment = ConventionAmendment(
        id=uuid.uuid4(),
        convention_id=convention.id,
        number=number,
        posts_before=convention.posts,
        posts=fields["posts"],
        effective_date=fields["effective_date"],
        reason=fields["reason"],
        total_before=convention.total_amount,
        total_amount=amended_total(
            amount_per_post=convention.amount_per_post,
            funded_months=convention.funded_months,
            start_date=convention.start_date,
            posts_before=convention.posts,
            posts_after=fields["posts"],
            effective_date=fields["effective_date"],
        ),
        status="draft",
        signed_on=None,
        created_by=created_by,
        created_at=utcnow(),
    )
    uow.session.add(amendment)
    uow.commit()
    return amendment


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


def revised_tranches(
    convention: Convention, new_total: Decimal, effective_date: date
) -> list[tuple[int, Decimal]]:
    """Spread the change of total over the tranches not yet due at the effective date, the last taking
    the remainder; when none is left, the last tranche carries it (DESIGN §4)."""
    difference = new_total - convention.total_amount
    open_tranches = [
        tranche
        for tranche in convention.tranches
        if tranche.due_on is None or tranche.due_on >= effective_date
    ] or [convention.tranches[-1]]
    open_total = sum((tranche.amount for tranche in open_tranches), Decimal(0))
    revised: list[tuple[int, Decimal]] = []
    spread = Decimal(0)
    for index, tranche in enumerate(open_tranches):
        if index == len(open_tranches) - 1:
            share = difference - spread
        elif open_total:
            share = quantize_cents(difference * tranche.amount / open_total)
        else:
            share = quantize_cents(difference / len(open_tranches))
        spread += share
        revised.append((tranche.number, tranche.amount + share))
    return revised


def sign_amendment(
    uow: UnitOfWork, convention_id: uuid.UUID, amendment_id: uuid.UUID, signed_on: date
) -> ConventionAmendment:
    """The avenant takes effect: the posts and the total change; emits `convention.amended`."""
    convention = get_convention(uow, convention_id, for_update=True)
    amendment = get_amendment(uow, convention_id, amendment_id)
    if amendment.status != "draft":
        raise ConventionConflict(f"L'avenant n° {amendment.number} est déjà signé.")
    if amendment.posts_before != convention.posts:
        raise ConventionConflict(
            "Un autre avenant a changé le nombre de postes depuis la rédaction de celui-ci : "
            "rédigez-en un nouveau."
        )
    convention.status = next_status(ConventionStatus(convention.status), ConventionAction.AMEND).value
    revised = dict(revised_tranches(convention, amendment.total_amount, amendment.effective_date))
    if any(amount < 0 for amount in revised.values()):
        raise ConventionConflict(
            "Les tranches restant à verser ne suffisent pas à absorber la baisse : "
            "la différence relève d'un reversement."
        )
    for tranche in convention.tranches:
        if tranche.number in revised:
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
        },
    )
    uow.commit()
    return amendment


__all__ = ["ConventionConflict", "StructureNotFound"]
