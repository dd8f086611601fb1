"""Training records and exemptions: what fulfils, opens or lifts the training obligations of a contract."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from cnum_shared.core import legal
from cnum_shared.framework.db import utcnow
from cnum_shared.framework.uploads import InvalidUpload, checked_media_type
from compliance.adapters.orm import ContractCopy, TrainingExemption, TrainingRecord
from compliance.domain.errors import ConcurrentWrite
from compliance.domain.obligations import PENDING, ObligationEvent, ObligationKind, ObligationStatus
from compliance.domain.training import YearToSettle, settled_years
from compliance.service_layer.commands import RecordExemption, RecordTraining
from compliance.service_layer.errors import ContractNotFound, InvalidRecord, RecordConflict
from compliance.service_layer.obligations import move, open_obligation, settle
from compliance.service_layer.standings import publish_standings
from compliance.service_layer.unit_of_work import UnitOfWork

#: What an exemption spares the advisor: the initial training and the exams it prepares (FAQ 167v0qe,
#: « ou en être dispensé » ; the fact sheet §5.2: an advisor holding the CCP1 or the title may be exempted).
EXEMPTED_KINDS = (ObligationKind.TRAINING_ENTRY, ObligationKind.CERTIFICATION_EXAMS)
QUALIFICATIONS = {
    "ccp1": "titulaire du CCP1 du titre professionnel",
    "title": "titulaire du titre professionnel complet",
}
TRAINING_KINDS = ("training_entry", "training_end", "pix", "ccp1", "module")
EXEMPTION_TAKEN = "Une dispense de formation initiale est déjà enregistrée pour ce contrat."


class Files(Protocol):
    """Where uploaded files are kept (the bootstrap's `LocalFiles`; a dict in the unit tests)."""

    def write(self, relative: str, content: bytes) -> None: ...


def checked_upload(content: bytes, *, message_alone: bool = False) -> tuple[str, str]:
    """The media type (PDF, PNG or JPEG, read from the content and parsed whole as that type: a PNG
    header followed by HTML is refused) and the SHA-256 of an uploaded file."""
    try:
        media_type = checked_media_type(content)
    except InvalidUpload as error:
        message = str(error) if message_alone else None
        raise InvalidRecord({"file": [str(error)]}, location="files", message=message) from None
    return media_type, hashlib.sha256(content).hexdigest()


def contract_of(uow: UnitOfWork, contract_id: uuid.UUID, structure_id: uuid.UUID | None) -> ContractCopy:
    """The contract named in a record; with `structure_id` (a structure records), another structure's
    contract gets the answer of one that does not exist."""
    contract = uow.contracts.get(contract_id)
    if contract is None or (structure_id is not None and contract.structure_id != structure_id):
        raise InvalidRecord({"contract_id": ["Contrat inconnu du suivi des obligations."]})
    return contract


def record_training(uow: UnitOfWork, command: RecordTraining) -> TrainingRecord:
    """A training step of the advisor; it settles or opens the obligations it concerns."""
    contract = contract_of(uow, command.contract_id, command.structure_id)
    kind, on, by = command.kind, command.on, command.by
    rules = legal.thematic_module_rules(on, tree=uow.parameters)
    if kind == "module" and command.hours not in rules.allowed_hours:
        allowed = " ou ".join(str(h) for h in rules.allowed_hours)
        raise InvalidRecord({"hours": [f"Un module thématique dure {allowed} heures."]})
    if on < contract.start_date:
        raise InvalidRecord({"date": ["Antérieure au début du contrat."]})
    if on > command.today:
        raise InvalidRecord({"date": ["Une formation se déclare une fois suivie, pas à l'avance."]})
    record = TrainingRecord(
        id=uuid.uuid4(),
        contract_id=contract.contract_id,
        kind=kind,
        date=on,
        hours=command.hours if kind == "module" else None,
        recorded_by=by,
        created_at=utcnow(),
    )
    uow.training.add(record)
    reason = f"{kind} le {on.isoformat()}"

    def open_next(next_kind: ObligationKind) -> None:
        open_obligation(
            uow,
            next_kind,
            subject=contract.contract_id,
            structure_id=contract.structure_id,
            convention_id=contract.convention_id,
            contract_id=contract.contract_id,
            legal_date=on,
            actor=by,
            reason=reason,
        )

    def fulfil(obligation_kind: ObligationKind, why: str) -> None:
        pending = uow.obligations.pending(contract_id=contract.contract_id, kinds=[obligation_kind])
        settle(uow, pending, ObligationEvent.FULFIL, by, why)

    if kind == "training_entry":
        fulfil(ObligationKind.TRAINING_ENTRY, reason)
        open_next(ObligationKind.THEMATIC_MODULES)
    elif kind == "training_end":
        # An exempted advisor who followed the training anyway owes no exams.
        if uow.exemptions.of_contract(contract.contract_id) is None:
            open_next(ObligationKind.CERTIFICATION_EXAMS)
    elif kind in ("pix", "ccp1"):
        if {"pix", "ccp1"} <= uow.training.kinds_of(contract.contract_id):
            fulfil(ObligationKind.CERTIFICATION_EXAMS, "Pix et CCP1 passés")
    elif kind == "module":
        modules = len(uow.training.modules_of(contract.contract_id))
        if modules >= rules.count:
            fulfil(ObligationKind.THEMATIC_MODULES, f"{modules} modules thématiques suivis")
        settle_continuing_training(uow, contract.contract_id, by)
    publish_standings(uow, command.today, [contract.structure_id])
    uow.commit()
    return record


def settle_years(obligations: Sequence[Any], modules: Sequence[date]) -> dict[Any, date]:
    """Which of these continuing-training obligations (not waived) the modules settle, by id."""
    return settled_years(
        [
            YearToSettle(row.id, row.period, row.due_on)
            for row in obligations
            if row.status != ObligationStatus.WAIVED
        ],
        modules,
    )


def settle_continuing_training(uow: UnitOfWork, contract_id: uuid.UUID, actor: str) -> None:
    """After a module is recorded: the pending years of the contract that a module now settles."""
    obligations = uow.obligations.of_contract(contract_id, ObligationKind.CONTINUING_TRAINING)
    if not obligations:
        return
    settled = settle_years(obligations, uow.training.modules_of(contract_id))
    for obligation in obligations:
        module = settled.get(obligation.id)
        if module is not None and obligation.status in PENDING:
            move(
                uow,
                obligation,
                ObligationEvent.FULFIL,
                actor,
                f"module thématique suivi le {module.isoformat()}",
            )


@dataclass(frozen=True)
class ExemptionRecorded:
    exemption: TrainingExemption
    lifted: list[Any]


def record_exemption(uow: UnitOfWork, command: RecordExemption, files: Files) -> ExemptionRecorded:
    """The advisor already holds the CCP1 or the title, shown by its evidence: the contract's initial
    training and certification exams are lifted (or never opened), with the reason in their history."""
    contract = uow.contracts.get(command.contract_id)
    if contract is None:
        raise ContractNotFound()
    if command.qualification not in QUALIFICATIONS:
        raise InvalidRecord({"qualification": ["Attendu : ccp1 ou title."]}, location="form")
    if command.obtained_on > command.today:
        raise InvalidRecord(
            {"obtained_on": ["Une certification se déclare une fois obtenue, pas à l'avance."]},
            location="form",
        )
    if uow.exemptions.of_contract(command.contract_id) is not None:
        raise RecordConflict(EXEMPTION_TAKEN)
    media_type, sha256 = checked_upload(command.content)
    relative = f"exemptions/{command.contract_id}/{sha256}"
    files.write(relative, command.content)
    exemption = TrainingExemption(
        id=uuid.uuid4(),
        contract_id=command.contract_id,
        qualification=command.qualification,
        obtained_on=command.obtained_on,
        sha256=sha256,
        file_name=command.file_name,
        media_type=media_type,
        size_bytes=len(command.content),
        path=relative,
        recorded_by=command.by,
        created_at=utcnow(),
    )
    uow.exemptions.add(exemption)
    lifted = settle(
        uow,
        uow.obligations.pending(contract_id=command.contract_id, kinds=EXEMPTED_KINDS),
        ObligationEvent.WAIVE,
        command.by,
        f"dispense de formation initiale : {QUALIFICATIONS[command.qualification]} "
        f"(obtenu le {command.obtained_on.isoformat()}, justificatif SHA-256 {sha256})",
    )
    publish_standings(uow, command.today, [contract.structure_id])
    try:
        uow.commit()
    except ConcurrentWrite:  # another officer recorded one at the same moment (unique per contract)
        raise RecordConflict(EXEMPTION_TAKEN) from None
    return ExemptionRecorded(exemption, lifted)
