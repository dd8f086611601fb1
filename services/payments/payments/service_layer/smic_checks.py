"""SMIC checks: a contract's salary against the SMIC of its structure's zone on a date, stored."""

from __future__ import annotations

import uuid
from datetime import date

from cnum_shared.core import contracts, legal
from cnum_shared.core.territories import SmicZone, territory
from cnum_shared.framework.db import utcnow
from payments.adapters.orm import ContractCopy, SmicCheck
from payments.service_layer.commands import RecheckSmic
from payments.service_layer.unit_of_work import PaymentsUnitOfWork


def zone_of(uow: PaymentsUnitOfWork, structure_id: uuid.UUID) -> SmicZone:
    department = uow.structures.department(structure_id)
    if department is None:
        raise LookupError(f"structure {structure_id} unknown to payments")
    return territory(department).smic_zone


def check(uow: PaymentsUnitOfWork, contract: ContractCopy, on: date, trigger: str) -> SmicCheck | None:
    """Compare and store (once per contract, date and trigger); None when no salary is known that day."""
    existing = uow.smic_checks.find(contract.contract_id, on, trigger)
    if existing is not None:
        return existing
    salary = uow.contracts.salary_on(contract.contract_id, on)
    if salary is None:
        return None
    zone = zone_of(uow, contract.structure_id)
    smic = legal.smic_on(zone, on, tree=uow.parameters)
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
    uow.smic_checks.add(result)
    return result


def recheck_at_revaluations(uow: PaymentsUnitOfWork, command: RecheckSmic) -> int:
    """The `smic_recheck` job: each contract active on the day of each SMIC change up to the date."""
    done = uow.smic_checks.checked_on("smic_revaluation")
    made = 0
    for contract in uow.contracts.all():
        zone = zone_of(uow, contract.structure_id)
        last = contracts.last_day(contract.end_date, contract.ended_on) or command.as_of
        for smic in legal.smic_changes(
            zone, contract.start_date, min(last, command.as_of), tree=uow.parameters
        ):
            if (contract.contract_id, smic.effective_from) in done:
                continue
            if check(uow, contract, smic.effective_from, "smic_revaluation") is not None:
                made += 1
    uow.commit()
    return made
