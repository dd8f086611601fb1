"""The bank's return files: a status report (pain.002) returns the rejected transfers of a confirmed run;
a statement (camt.053/054) confirms the transfers of a run and receives the recoveries it credits.

Each file is kept with its SHA-256: the same bytes imported again answer the first import and apply
nothing. Each line that changes something records what it changed (`applied_key`, unique): a return, a
booking or a receipt that another file brings again is `already_applied`. A line matching nothing is kept
`unmatched`, for an officer (decision 0027).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date

from cnum_shared.framework.db import utcnow
from payments.adapters.orm import BankFile, BankFileLine, PaymentRun, PaymentRunLine
from payments.domain.bank_returns import (
    REJECTED,
    BankFileKind,
    InvalidBankFile,
    LineOutcome,
    StatementEntry,
    recovery_ids_in,
    rejection_reason,
)
from payments.domain.clawback import RECOVERIES, RecoveryEvent, RecoveryStatus
from payments.domain.errors import BankFileNotFound, FourEyes
from payments.domain.payments import PaymentRunStatus, RunLineStatus
from payments.domain.tranches import TrancheConflict
from payments.service_layer.commands import ImportStatement, ImportStatusReport
from payments.service_layer.payment_runs import get_run, pay_run, return_line
from payments.service_layer.unit_of_work import PaymentsUnitOfWork


@dataclass
class BankFileImport:
    """A bank file and its lines, as the answer shows them; `replayed` when the file was imported before."""

    file: BankFile
    lines: list[BankFileLine]
    replayed: bool = False
    #: The runs this statement confirmed.
    confirmed_runs: list[uuid.UUID] = field(default_factory=list)


def _line(position: int, outcome: LineOutcome, **values: object) -> BankFileLine:
    return BankFileLine(id=uuid.uuid4(), position=position, outcome=outcome, **values)


def _replay(uow: PaymentsUnitOfWork, digest: str) -> BankFileImport | None:
    known = uow.bank_files.by_sha256(digest)
    if known is None:
        return None
    return BankFileImport(known, uow.bank_files.lines(known.id), replayed=True)


def import_status_report(uow: PaymentsUnitOfWork, command: ImportStatusReport) -> BankFileImport:
    """Each rejected transaction (TxSts RJCT) of the report returns its transfer's tranche to `approved`
    with the bank's reason code; accepted ones change nothing; unknown end-to-end ids are kept unmatched."""
    run = get_run(uow, command.run_id, for_update=True)
    digest = hashlib.sha256(command.content).hexdigest()
    replay = _replay(uow, digest)
    if replay is not None:
        if replay.file.payment_run_id != run.id:
            raise InvalidBankFile(["Ce fichier a déjà été importé pour un autre ordre de virement."])
        return replay
    report = uow.transfers.status_report(command.content)
    if report.original_message_id != run.message_id:
        raise InvalidBankFile(
            [
                f"Ce rapport répond au message {report.original_message_id}, "
                f"pas à l'ordre de virement {run.message_id}."
            ]
        )
    if run.status != PaymentRunStatus.CONFIRMED and any(tx.status == REJECTED for tx in report.transactions):
        raise TrancheConflict(
            "run_not_confirmed",
            "Les rejets se déclarent sur un ordre de virement confirmé : confirmez-le d'abord.",
        )
    by_end_to_end = {line.end_to_end_id: line for line in uow.payment_runs.lines(run.id)}
    lines: list[BankFileLine] = []
    for position, transaction in enumerate(report.transactions):
        values: dict[str, object] = {
            "end_to_end_id": (transaction.end_to_end_id or "")[:35] or None,
            "amount": transaction.amount,
            "status": transaction.status,
            "reason_code": transaction.reason_code,
            "payment_run_id": run.id,
        }
        line = by_end_to_end.get(transaction.end_to_end_id or "")
        if line is None:
            lines.append(
                _line(
                    position,
                    LineOutcome.UNMATCHED,
                    note="Virement absent de cet ordre de virement.",
                    **values,
                )
            )
            continue
        values["tranche_id"] = line.tranche_id
        if transaction.status != REJECTED:
            lines.append(_line(position, LineOutcome.MATCHED, **values))
            continue
        key = f"return:{line.id}"
        if line.status == RunLineStatus.REJECTED or uow.bank_files.applied([key]):
            lines.append(_line(position, LineOutcome.ALREADY_APPLIED, **values))
            continue
        return_line(
            uow, run, line, rejection_reason(transaction.reason_code, transaction.reason_text), command.by
        )
        lines.append(_line(position, LineOutcome.APPLIED, applied_key=key, **values))
    bank_file = BankFile(
        id=uuid.uuid4(),
        kind=BankFileKind.STATUS_REPORT,
        sha256=digest,
        message_id=report.message_id,
        payment_run_id=run.id,
        account_iban=None,
        content=command.content,
        imported_by=command.by,
        imported_at=utcnow(),
    )
    for record in lines:
        record.bank_file_id = bank_file.id
    uow.bank_files.add(bank_file, lines)
    uow.commit()
    return BankFileImport(bank_file, lines)


def import_statement(uow: PaymentsUnitOfWork, command: ImportStatement) -> BankFileImport:
    """Booked debits confirm the transfers of exported runs (the run is confirmed, paid on its last
    booking date, once all its transfers are booked and the importer may confirm it); booked credits that
    name an issued recovery receive it on their booking date; the rest is kept unmatched."""
    digest = hashlib.sha256(command.content).hexdigest()
    replay = _replay(uow, digest)
    if replay is not None:
        if replay.file.kind == BankFileKind.STATUS_REPORT:
            raise InvalidBankFile(["Ce fichier a déjà été importé comme rapport d'état de virements."])
        return replay
    statement = uow.transfers.statement(command.content)
    bank_file = BankFile(
        id=uuid.uuid4(),
        kind=statement.kind,
        sha256=digest,
        message_id=statement.message_id,
        payment_run_id=None,
        account_iban=statement.account_iban,
        content=command.content,
        imported_by=command.by,
        imported_at=utcnow(),
    )
    lines: list[BankFileLine] = []
    booked_runs: dict[uuid.UUID, PaymentRun] = {}
    for position, entry in enumerate(statement.entries):
        values: dict[str, object] = {
            "bank_file_id": bank_file.id,
            "credit": entry.credit,
            "amount": entry.amount,
            "currency": entry.currency,
            "booking_date": entry.booking_date,
            "end_to_end_id": (entry.end_to_end_id or "")[:35] or None,
            "remittance": entry.remittance or None,
            "bank_reference": entry.bank_reference,
            "status": entry.status[:4],
        }
        if entry.status != "BOOK" or entry.booking_date is None:
            note = f"Écriture non comptabilisée (statut {entry.status}) : rien n'est appliqué."
            lines.append(_line(position, LineOutcome.UNMATCHED, note=note, **values))
        elif entry.credit:
            lines.append(_receive(uow, position, entry, values, command.by))
        else:
            lines.append(_book(uow, position, entry, values, booked_runs))
    uow.bank_files.add(bank_file, lines)
    confirmed = _confirm_booked_runs(uow, booked_runs, lines, command.by)
    uow.commit()
    return BankFileImport(bank_file, lines, confirmed_runs=confirmed)


def _receive(
    uow: PaymentsUnitOfWork, position: int, entry: StatementEntry, values: dict[str, object], by: str
) -> BankFileLine:
    """A credit naming one recovery (its reference in the end-to-end id or the remittance text)."""
    named = recovery_ids_in(entry.end_to_end_id, entry.remittance)
    if len(named) != 1:
        note = (
            "Aucun reversement reconnu dans les références du virement."
            if not named
            else "Plusieurs reversements nommés par un seul virement : à ventiler par un agent."
        )
        return _line(position, LineOutcome.UNMATCHED, note=note, **values)
    recovery = uow.recoveries.get(named[0], for_update=True)
    if recovery is None:
        return _line(position, LineOutcome.UNMATCHED, note="Référence de reversement inconnue.", **values)
    values["recovery_id"] = recovery.id
    key = f"receive:{recovery.id}"
    if recovery.status == RecoveryStatus.RECEIVED or uow.bank_files.applied([key]):
        return _line(position, LineOutcome.ALREADY_APPLIED, **values)
    if recovery.status != RecoveryStatus.ISSUED:
        note = f"Reversement {RECOVERIES.label(recovery.status)} : seul un reversement émis peut être reçu."
        return _line(position, LineOutcome.UNMATCHED, note=note, **values)
    if entry.amount != recovery.amount or entry.currency != "EUR":
        note = f"Montant reçu {entry.amount} {entry.currency}, reversement de {recovery.amount} EUR."
        return _line(position, LineOutcome.UNMATCHED, note=note, **values)
    assert entry.booking_date is not None
    RECOVERIES.apply(
        recovery,
        RecoveryEvent.RECEIVE,
        actor=by,
        reason=f"reçu le {entry.booking_date.isoformat()} (relevé bancaire)",
        at=utcnow(),
        log=uow.history,
    )
    return _line(position, LineOutcome.APPLIED, applied_key=key, **values)


def _book(
    uow: PaymentsUnitOfWork,
    position: int,
    entry: StatementEntry,
    values: dict[str, object],
    booked_runs: dict[uuid.UUID, PaymentRun],
) -> BankFileLine:
    """A debit that is a transfer of one of cnum's runs: the booking is recorded once."""
    found = uow.bank_files.run_line(entry.end_to_end_id) if entry.end_to_end_id else None
    if found is None:
        return _line(
            position, LineOutcome.UNMATCHED, note="Aucun virement de cnum ne porte cet identifiant.", **values
        )
    line, run = found
    values.update(payment_run_id=run.id, tranche_id=line.tranche_id)
    if entry.amount is not None and entry.amount != line.amount:
        note = f"Montant débité {entry.amount}, virement de {line.amount}."
        return _line(position, LineOutcome.UNMATCHED, note=note, **values)
    key = f"book:{line.id}"
    if uow.bank_files.applied([key]):
        return _line(position, LineOutcome.ALREADY_APPLIED, **values)
    if run.status == PaymentRunStatus.EXPORTED:
        booked_runs[run.id] = run
    return _line(position, LineOutcome.APPLIED, applied_key=key, **values)


def _confirm_booked_runs(
    uow: PaymentsUnitOfWork, runs: dict[uuid.UUID, PaymentRun], lines: list[BankFileLine], by: str
) -> list[uuid.UUID]:
    """An exported run all of whose transfers are now booked is confirmed by the officer importing the
    statement, paid on the last booking date, when the four-eyes rules let that officer confirm it."""
    confirmed: list[uuid.UUID] = []
    for run in runs.values():
        locked = get_run(uow, run.id, for_update=True)
        run_lines: list[PaymentRunLine] = uow.payment_runs.lines(run.id)
        keys = {f"book:{line.id}" for line in run_lines}
        if uow.bank_files.applied(keys) != keys:
            _note(lines, run.id, "Virements de l'ordre pas encore tous débités : il reste exporté.")
            continue
        dates: list[date] = [
            line.booking_date
            for line in lines
            if line.payment_run_id == run.id and line.booking_date is not None
        ]
        try:
            pay_run(uow, locked, by, max(dates))
        except (FourEyes, TrancheConflict) as refusal:
            _note(lines, run.id, f"Ordre de virement à confirmer par un autre agent : {refusal.message}")
            continue
        confirmed.append(run.id)
    return confirmed


def _note(lines: list[BankFileLine], run_id: uuid.UUID, note: str) -> None:
    for line in lines:
        if line.payment_run_id == run_id and line.outcome == LineOutcome.APPLIED:
            line.note = note


def get_bank_file(uow: PaymentsUnitOfWork, file_id: uuid.UUID, *, statement: bool = True) -> BankFileImport:
    """An imported file with its lines (a statement for GET /bank-statements/{id})."""
    found = uow.bank_files.get(file_id)
    if found is None or (statement and found.kind == BankFileKind.STATUS_REPORT):
        raise BankFileNotFound()
    return BankFileImport(found, uow.bank_files.lines(file_id))
