"""SMIC checks: a contract's salary against the SMIC of its structure's zone on a date, stored."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cnum_shared.core import legal
from cnum_shared.core.territories import SmicZone, territory
from cnum_shared.framework.db import utcnow
from payments.adapters.orm import ContractCopy, SalaryPeriod, SmicCheck, StructureCopy


def salary_on(session: Session, contract_id: uuid.UUID, on: date) -> Decimal | None:
    """The salary in force on `on`: the last period that started on or before it."""
    return session.scalar(
        select(SalaryPeriod.salary)
        .where(SalaryPeriod.contract_id == contract_id, SalaryPeriod.effective_on <= on)
        .order_by(SalaryPeriod.effective_on.desc())
        .limit(1)
    )


def zone_of(session: Session, structure_id: uuid.UUID) -> SmicZone:
    department = session.scalar(
        select(StructureCopy.department).where(StructureCopy.structure_id == structure_id)
    )
    if department is None:
        raise LookupError(f"structure {structure_id} unknown to payments")
    return territory(department).smic_zone


def check(session: Session, contract: ContractCopy, on: date, trigger: str) -> SmicCheck | None:
    """Compare and store (once per contract, date and trigger); None when no salary is known that day."""
    existing = session.scalar(
        select(SmicCheck).where(
            SmicCheck.contract_id == contract.contract_id,
            SmicCheck.checked_on == on,
            SmicCheck.trigger == trigger,
        )
    )
    if existing is not None:
        return existing
    salary = salary_on(session, contract.contract_id, on)
    if salary is None:
        return None
    zone = zone_of(session, contract.structure_id)
    smic = legal.smic_on(zone, on)
    result = SmicCheck(
        id=uuid.uuid4(),
        contract_id=contract.contract_id,
        structure_id=contract.structure_id,
        checked_on=on,
        trigger=trigger,
        zone=zone.value,
        smic_monthly=smic.monthly,
        smic_from=smic.effective_from,
        salary=salary,
        passed=salary >= smic.monthly,
        created_at=utcnow(),
    )
    session.add(result)
    session.flush()
    return result


def active_contracts(session: Session, structure_id: uuid.UUID, on: date) -> Sequence[ContractCopy]:
    """DESIGN §3: active on D when start ≤ D ≤ (ended_on or end_date)."""
    last_day = func.coalesce(ContractCopy.ended_on, ContractCopy.end_date)
    return session.scalars(
        select(ContractCopy).where(
            ContractCopy.structure_id == structure_id,
            ContractCopy.start_date <= on,
            or_(last_day.is_(None), last_day >= on),
        )
    ).all()


def recheck_at_revaluations(session: Session, as_of: date) -> int:
    """The `smic_recheck` job: each contract active on the day of each SMIC change up to `as_of`."""
    done = {
        (row[0], row[1])
        for row in session.execute(
            select(SmicCheck.contract_id, SmicCheck.checked_on).where(SmicCheck.trigger == "smic_revaluation")
        )
    }
    made = 0
    for contract in session.scalars(select(ContractCopy)).all():
        zone = zone_of(session, contract.structure_id)
        last_day = contract.ended_on or contract.end_date or as_of
        for smic in legal.smic_changes(zone, contract.start_date, min(last_day, as_of)):
            if (contract.contract_id, smic.effective_from) in done:
                continue
            if check(session, contract, smic.effective_from, "smic_revaluation") is not None:
                made += 1
    return made
