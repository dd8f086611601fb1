"""What fulfils obligations: training records, activity reports (CRA), an officer's decision, evidence."""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cnum_shared.core import legal
from cnum_shared.framework.db import UnitOfWork, among, utcnow
from cnum_shared.framework.uploads import InvalidUpload, checked_media_type, write_atomically
from compliance.adapters.orm import (
    ActivityReport,
    ContractCopy,
    Evidence,
    Obligation,
    TrainingExemption,
    TrainingRecord,
)
from compliance.domain.obligations import (
    ObligationEvent,
    ObligationKind,
    month_start,
)
from compliance.service_layer.obligations import (
    move,
    open_obligation,
    publish_standings,
    settle,
    settle_continuing_training,
)

CRA_COLUMNS = ("external_id", "contract_id", "date", "kind", "duration_minutes", "participants")


class NotFound(LookupError):
    pass


class RecordConflict(Exception):
    """The record contradicts one already kept (a 409)."""


#: What an exemption spares the advisor: the initial training and the exams it prepares (FAQ 167v0qe,
#: « ou en être dispensé » ; the fact sheet §5.2: an advisor holding the CCP1 or the title may be exempted).
EXEMPTED_KINDS = (ObligationKind.TRAINING_ENTRY, ObligationKind.CERTIFICATION_EXAMS)
QUALIFICATIONS = {
    "ccp1": "titulaire du CCP1 du titre professionnel",
    "title": "titulaire du titre professionnel complet",
}


class InvalidRecord(ValueError):
    """A record a user sent is wrong; `problems` names each field or line."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{key}: {' '.join(value)}" for key, value in problems.items()))
        self.problems = problems


def contract_of(
    uow: UnitOfWork, contract_id: uuid.UUID, structure_id: uuid.UUID | None = None
) -> ContractCopy:
    """The contract named in a record; with `structure_id` (a structure records), another structure's
    contract gets the answer of one that does not exist."""
    contract = uow.session.get(ContractCopy, contract_id)
    if contract is None or (structure_id is not None and contract.structure_id != structure_id):
        raise InvalidRecord({"contract_id": ["Contrat inconnu du suivi des obligations."]})
    return contract


def record_training(
    uow: UnitOfWork,
    contract_id: uuid.UUID,
    kind: str,
    on: date,
    hours: int | None,
    by: str,
    today: date,
    structure_id: uuid.UUID | None = None,
) -> TrainingRecord:
    """A training step of the advisor; it settles or opens the obligations it concerns. With
    `structure_id` (a structure records), only that structure's contracts are known."""
    session = uow.session
    contract = contract_of(uow, contract_id, structure_id)
    if kind == "module" and hours not in legal.thematic_module_rules(on).allowed_hours:
        allowed = " ou ".join(str(h) for h in legal.thematic_module_rules(on).allowed_hours)
        raise InvalidRecord({"hours": [f"Un module thématique dure {allowed} heures."]})
    if on < contract.start_date:
        raise InvalidRecord({"date": ["Antérieure au début du contrat."]})
    if on > today:
        raise InvalidRecord({"date": ["Une formation se déclare une fois suivie, pas à l'avance."]})
    record = TrainingRecord(
        id=uuid.uuid4(),
        contract_id=contract_id,
        kind=kind,
        date=on,
        hours=hours if kind == "module" else None,
        recorded_by=by,
        created_at=utcnow(),
    )
    session.add(record)
    session.flush()
    of_contract = [Obligation.contract_id == contract_id]
    reason = f"{kind} le {on.isoformat()}"

    def open_next(next_kind: ObligationKind) -> None:
        open_obligation(
            session,
            next_kind,
            subject=contract_id,
            structure_id=contract.structure_id,
            convention_id=contract.convention_id,
            contract_id=contract_id,
            legal_date=on,
            actor=by,
            reason=reason,
        )

    if kind == "training_entry":
        settle(
            session,
            [*of_contract, Obligation.kind == ObligationKind.TRAINING_ENTRY.value],
            ObligationEvent.FULFIL,
            by,
            reason,
        )
        open_next(ObligationKind.THEMATIC_MODULES)
    elif kind == "training_end":
        # An exempted advisor who followed the training anyway owes no exams.
        if (
            session.scalar(select(TrainingExemption.id).where(TrainingExemption.contract_id == contract_id))
            is None
        ):
            open_next(ObligationKind.CERTIFICATION_EXAMS)
    elif kind in ("pix", "ccp1"):
        kinds = set(
            session.scalars(select(TrainingRecord.kind).where(TrainingRecord.contract_id == contract_id))
        )
        if {"pix", "ccp1"} <= kinds:
            settle(
                session,
                [*of_contract, Obligation.kind == ObligationKind.CERTIFICATION_EXAMS.value],
                ObligationEvent.FULFIL,
                by,
                "Pix et CCP1 passés",
            )
    elif kind == "module":
        modules = (
            session.scalar(
                select(func.count()).where(
                    TrainingRecord.contract_id == contract_id, TrainingRecord.kind == "module"
                )
            )
            or 0
        )
        if modules >= legal.thematic_module_rules(on).count:
            settle(
                session,
                [*of_contract, Obligation.kind == ObligationKind.THEMATIC_MODULES.value],
                ObligationEvent.FULFIL,
                by,
                f"{modules} modules thématiques suivis",
            )
        settle_continuing_training(session, contract_id, by)
    publish_standings(session, today, [contract.structure_id])
    uow.commit()
    return record


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


def _row_problems(row: dict[str, Any], contract: ContractCopy | None, today: date) -> list[str]:
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
        elif contract is not None and (
            day < contract.start_date or day > (contract.ended_on or contract.end_date or day)
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


def _store_reports(session: Session, fresh: list[tuple[dict[str, Any], ContractCopy]], today: date) -> int:
    """Insert the new reports, fulfil the months they cover and publish the standings; how many
    obligations were fulfilled."""
    now = utcnow()
    if fresh:
        session.execute(
            insert(ActivityReport),
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
            ],
        )
    fulfilled = 0
    for contract_id, month in {
        (contract.contract_id, month_start(date.fromisoformat(str(row["date"])))) for row, contract in fresh
    }:
        fulfilled += len(
            settle(
                session,
                [
                    Obligation.contract_id == contract_id,
                    Obligation.kind == ObligationKind.ACTIVITY_REPORTING.value,
                    Obligation.period == month,
                ],
                ObligationEvent.FULFIL,
                "import CRA",
                f"compte rendu d'activité de {month.strftime('%m/%Y')}",
            )
        )
    publish_standings(session, today, {contract.structure_id for _, contract in fresh})
    return fulfilled


def import_activity_reports(
    uow: UnitOfWork, rows: Sequence[dict[str, Any]], today: date, structure_id: uuid.UUID | None = None
) -> ImportReport:
    """All the rows or none: a bad row is refused with its line number (line 2 is the first after the
    header of a CSV); a row whose external id its structure already sent is skipped (idempotent
    re-import). With `structure_id` (a structure imports), only that structure's contracts are known:
    a row on another structure's contract is refused as one on a contract that does not exist."""
    session = uow.session
    wanted = {key for key in (_contract_key(row.get("contract_id")) for row in rows) if key is not None}
    found = select(ContractCopy).where(among(session, ContractCopy.contract_id, wanted))
    if structure_id is not None:
        found = found.where(ContractCopy.structure_id == structure_id)
    contracts = {contract.contract_id: contract for contract in session.scalars(found)} if wanted else {}
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
    known = set(
        session.execute(
            select(ActivityReport.structure_id, ActivityReport.external_id).where(
                among(session, ActivityReport.external_id, {external_id for _, external_id in seen})
            )
        ).all()
    )
    fresh = [
        (row, contract)
        for row, (contract, external_id) in zip(rows, owned, strict=True)
        if (contract.structure_id, external_id) not in known
    ]
    try:
        fulfilled = _store_reports(session, fresh, today)
        uow.commit()
    except IntegrityError:  # another import stored some of these reports at the same moment
        uow.rollback()
        raise RecordConflict(
            "Un autre import a enregistré certains de ces comptes rendus au même moment ; renvoyez le "
            "fichier (les comptes rendus déjà enregistrés seront ignorés)."
        ) from None
    return ImportReport(imported=len(fresh), already_known=len(rows) - len(fresh), fulfilled=fulfilled)


def get_obligation(uow: UnitOfWork, obligation_id: uuid.UUID) -> Obligation:
    obligation = uow.session.get(Obligation, obligation_id)
    if obligation is None:
        raise NotFound(obligation_id)
    return obligation


def decide(
    uow: UnitOfWork,
    obligation_id: uuid.UUID,
    event: ObligationEvent,
    by: str,
    reason: str,
    today: date,
    due_on: date | None = None,
) -> Obligation:
    """A compliance officer fulfils, waives, extends or escalates an obligation, with a reason kept in its
    history."""
    obligation = get_obligation(uow, obligation_id)
    if event is ObligationEvent.ESCALATE:
        # The next digest copies the compliance officer for this request (alerts.create_digests).
        reason = f"escalade au chargé de conformité : {reason}"
        obligation.escalation_requests += 1
    if event is ObligationEvent.EXTEND:
        if due_on is None or due_on <= obligation.due_on:
            raise InvalidRecord({"due_on": ["La nouvelle échéance doit être postérieure à l'actuelle."]})
        reason = f"échéance reportée du {obligation.due_on.isoformat()} au {due_on.isoformat()} : {reason}"
        obligation.due_on = due_on
    move(uow.session, obligation, event, by, reason)
    publish_standings(uow.session, today, [obligation.structure_id])
    uow.commit()
    return obligation


def add_evidence(
    uow: UnitOfWork, obligation_id: uuid.UUID, content: bytes, file_name: str, by: str, var_dir: Path
) -> Evidence:
    """A new revision of the evidence; it never fulfils by itself (an officer accepts it)."""
    obligation = get_obligation(uow, obligation_id)
    media_type, sha256 = _checked_upload(content)
    revision = (
        uow.session.scalar(select(func.max(Evidence.revision)).where(Evidence.obligation_id == obligation.id))
        or 0
    ) + 1
    relative = f"evidence/{obligation.id}/{revision}-{sha256}"
    write_atomically(var_dir / relative, content)
    evidence = Evidence(
        id=uuid.uuid4(),
        obligation_id=obligation.id,
        revision=revision,
        sha256=sha256,
        file_name=file_name,
        media_type=media_type,
        size_bytes=len(content),
        path=relative,
        uploaded_by=by,
        created_at=utcnow(),
    )
    uow.session.add(evidence)
    uow.commit()
    return evidence


def _checked_upload(content: bytes) -> tuple[str, str]:
    """The media type (PDF, PNG or JPEG, read from the content and parsed whole as that type: a PNG
    header followed by HTML is refused) and the SHA-256 of an uploaded file."""
    try:
        media_type = checked_media_type(content)
    except InvalidUpload as error:
        raise InvalidRecord({"file": [str(error)]}) from None
    return media_type, hashlib.sha256(content).hexdigest()


def exemption_of(uow: UnitOfWork, contract_id: uuid.UUID) -> TrainingExemption:
    exemption = uow.session.scalar(
        select(TrainingExemption).where(TrainingExemption.contract_id == contract_id)
    )
    if exemption is None:
        raise NotFound(contract_id)
    return exemption


def record_exemption(
    uow: UnitOfWork,
    contract_id: uuid.UUID,
    qualification: str,
    obtained_on: date,
    content: bytes,
    file_name: str,
    by: str,
    var_dir: Path,
    today: date,
) -> tuple[TrainingExemption, list[Obligation]]:
    """The advisor already holds the CCP1 or the title, shown by its evidence: the contract's initial
    training and certification exams are lifted (or never opened), with the reason in their history."""
    session = uow.session
    contract = session.get(ContractCopy, contract_id)
    if contract is None:
        raise NotFound(contract_id)
    if qualification not in QUALIFICATIONS:
        raise InvalidRecord({"qualification": ["Attendu : ccp1 ou title."]})
    if obtained_on > today:
        raise InvalidRecord(
            {"obtained_on": ["Une certification se déclare une fois obtenue, pas à l'avance."]}
        )
    if session.scalar(select(TrainingExemption.id).where(TrainingExemption.contract_id == contract_id)):
        raise RecordConflict("Une dispense de formation initiale est déjà enregistrée pour ce contrat.")
    media_type, sha256 = _checked_upload(content)
    relative = f"exemptions/{contract_id}/{sha256}"
    write_atomically(var_dir / relative, content)
    exemption = TrainingExemption(
        id=uuid.uuid4(),
        contract_id=contract_id,
        qualification=qualification,
        obtained_on=obtained_on,
        sha256=sha256,
        file_name=file_name,
        media_type=media_type,
        size_bytes=len(content),
        path=relative,
        recorded_by=by,
        created_at=utcnow(),
    )
    session.add(exemption)
    session.flush()
    lifted = settle(
        session,
        [
            Obligation.contract_id == contract_id,
            Obligation.kind.in_([kind.value for kind in EXEMPTED_KINDS]),
        ],
        ObligationEvent.WAIVE,
        by,
        f"dispense de formation initiale : {QUALIFICATIONS[qualification]} "
        f"(obtenu le {obtained_on.isoformat()}, justificatif SHA-256 {sha256})",
    )
    publish_standings(session, today, [contract.structure_id])
    try:
        uow.commit()
    except IntegrityError:  # another officer recorded one at the same moment (unique per contract)
        uow.rollback()
        raise RecordConflict(
            "Une dispense de formation initiale est déjà enregistrée pour ce contrat."
        ) from None
    return exemption, lifted
