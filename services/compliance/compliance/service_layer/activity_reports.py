"""Activity reports (comptes rendus d'activité, CRA): imported all or none, each month they cover
fulfilled."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from cnum_shared.core.contracts import is_active_on
from cnum_shared.framework.db import utcnow
from compliance.adapters.orm import ContractCopy
from compliance.domain.errors import ConcurrentWrite
from compliance.domain.obligations import ObligationEvent, ObligationKind, month_start
from compliance.service_layer.commands import ImportActivityReports
from compliance.service_layer.errors import InvalidRecord, RecordConflict
from compliance.service_layer.obligations import settle
from compliance.service_layer.standings import publish_standings
from compliance.service_layer.unit_of_work import UnitOfWork

CRA_COLUMNS = ("external_id", "contract_id", "date", "kind", "duration_minutes", "participants")


@dataclass(frozen=True)
class ImportReport:
    imported: int
    already_known: int
    fulfilled: int


def parse_csv(content: bytes) -> list[dict[str, Any]]:
    """CRA rows from a UTF-8 CSV with the documented header; a wrong header or encoding is refused."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidRecord({"file": ["Le fichier n'est pas en UTF-8."]}) from None
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != CRA_COLUMNS:
        raise InvalidRecord({"file": [f"En-tête attendu : {','.join(CRA_COLUMNS)}"]})
    return [dict(row) for row in reader]


def _contract_key(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value or "").strip())
    except ValueError:
        return None


def _row_problems(row: Mapping[str, Any], contract: ContractCopy | None, today: date) -> list[str]:
    problems = []
    external_id = str(row.get("external_id") or "").strip()
    if not external_id or len(external_id) > 100:
        problems.append("external_id manquant ou trop long")
    if contract is None:
        # The same words for a contract that does not exist and for another structure's.
        problems.append("contrat inconnu")
    try:
        day = date.fromisoformat(str(row.get("date")))
    except ValueError:
        problems.append("date invalide (AAAA-MM-JJ)")
    else:
        if day > today:
            problems.append("date dans le futur")
        elif contract is not None and not is_active_on(
            contract.start_date, contract.end_date, contract.ended_on, day
        ):
            problems.append("date hors du contrat")
    if not str(row.get("kind") or "").strip():
        problems.append("type d'accompagnement manquant")
    for field, low, high in (("duration_minutes", 1, 24 * 60), ("participants", 1, 1000)):
        try:
            value = int(str(row.get(field)))
        except ValueError:
            problems.append(f"{field} n'est pas un entier")
        else:
            if not low <= value <= high:
                problems.append(f"{field} hors des bornes ({low}-{high})")
    return problems


def import_activity_reports(uow: UnitOfWork, command: ImportActivityReports) -> ImportReport:
    """All the rows or none: a bad row is refused with its line number (line 2 is the first after the
    header of a CSV); a row whose external id its structure already sent is skipped (idempotent
    re-import). With `structure_id` (a structure imports), only that structure's contracts are known:
    a row on another structure's contract is refused as one on a contract that does not exist."""
    rows, today = command.rows, command.today
    wanted = {key for key in (_contract_key(row.get("contract_id")) for row in rows) if key is not None}
    contracts = {
        contract.contract_id: contract for contract in uow.contracts.among(wanted, command.structure_id)
    }
    problems: dict[str, list[str]] = {}
    seen: set[tuple[uuid.UUID, str]] = set()
    # Each row's contract (None where it is refused) and its key within the structure.
    owned: list[tuple[ContractCopy, str]] = []
    for line, row in enumerate(rows, start=2):
        key = _contract_key(row.get("contract_id"))
        contract = contracts.get(key) if key is not None else None
        row_problems = _row_problems(row, contract, today)
        external_id = str(row.get("external_id") or "").strip()
        if contract is not None:
            if (contract.structure_id, external_id) in seen:
                row_problems.append("external_id en double dans le fichier")
            seen.add((contract.structure_id, external_id))
            owned.append((contract, external_id))
        if row_problems:
            problems[f"ligne {line}"] = row_problems
    if problems:
        raise InvalidRecord(problems)
    known = uow.activity_reports.known({external_id for _, external_id in seen})
    fresh = [
        (row, contract)
        for row, (contract, external_id) in zip(rows, owned, strict=True)
        if (contract.structure_id, external_id) not in known
    ]
    try:
        fulfilled = _store_reports(uow, fresh, today)
        uow.commit()
    except ConcurrentWrite:  # another import stored some of these reports at the same moment
        uow.rollback()
        raise RecordConflict(
            "Un autre import a enregistré certains de ces comptes rendus au même moment ; renvoyez le "
            "fichier (les comptes rendus déjà enregistrés seront ignorés)."
        ) from None
    return ImportReport(imported=len(fresh), already_known=len(rows) - len(fresh), fulfilled=fulfilled)


def _store_reports(uow: UnitOfWork, fresh: list[tuple[Mapping[str, Any], ContractCopy]], today: date) -> int:
    """Insert the new reports, fulfil the months they cover and publish the standings; how many
    obligations were fulfilled."""
    now = utcnow()
    uow.activity_reports.add_rows(
        [
            {
                "id": uuid.uuid4(),
                "external_id": str(row["external_id"]).strip(),
                "contract_id": contract.contract_id,
                "structure_id": contract.structure_id,
                "date": date.fromisoformat(str(row["date"])),
                "kind": str(row["kind"]).strip()[:40],
                "duration_minutes": int(row["duration_minutes"]),
                "participants": int(row["participants"]),
                "created_at": now,
            }
            for row, contract in fresh
        ]
    )
    fulfilled = 0
    for contract_id, month in {
        (contract.contract_id, month_start(date.fromisoformat(str(row["date"])))) for row, contract in fresh
    }:
        pending = uow.obligations.pending(
            contract_id=contract_id, kinds=[ObligationKind.ACTIVITY_REPORTING], period=month
        )
        fulfilled += len(
            settle(
                uow,
                pending,
                ObligationEvent.FULFIL,
                "import CRA",
                f"compte rendu d'activité de {month.strftime('%m/%Y')}",
            )
        )
    publish_standings(uow, today, {contract.structure_id for _, contract in fresh})
    return fulfilled
