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
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from cnum_shared.core.errors import ConcurrentWrite, Conflict, Invalid
from cnum_shared.core.money import format_eur_fr
from cnum_shared.framework.db import utcnow
from payments.adapters.orm import BankFile, BankFileLine, PaymentRun, PaymentRunLine
from payments.domain.bank_returns import (
    BANK_LINES,
    DISMISSAL_LABELS,
    REJECTED,
    BankFileKind,
    DismissalReason,
    InvalidBankFile,
    LineOutcome,
    LineResolution,
    LineResolutionEvent,
    StatementEntry,
    TransactionStatus,
    line_identity,
    recovery_ids_in,
    recovery_reference,
    rejection_reason,
)
from payments.domain.clawback import RECOVERIES, RecoveryStatus
from payments.domain.errors import BankFileNotFound, BankLineNotFound, FourEyes, RecoveryNotIssued
from payments.domain.payments import PAYMENT_RUNS, PaymentRunEvent, PaymentRunStatus, RunLineStatus
from payments.domain.tranches import TrancheConflict
from payments.service_layer.clawback import receive_recovery
from payments.service_layer.commands import ImportStatement, ImportStatusReport, ResolveBankLine
from payments.service_layer.payment_runs import get_run, pay_run, reject_unpaid_line, return_line
from payments.service_layer.unit_of_work import PaymentsUnitOfWork

#: A statement entry's status once the bank has booked it: only a booked entry moves money.
BOOKED = "BOOK"


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


def _ranked(identities: list[str | None]) -> list[str | None]:
    """Each line's identity with its rank among the file's lines of the same fact (`#1`, `#2`…): two
    equal transfers in one file are two facts, and a later file bringing both finds each once."""
    seen: Counter[str] = Counter()
    ranked: list[str | None] = []
    for identity in identities:
        if identity is None:
            ranked.append(None)
            continue
        seen[identity] += 1
        ranked.append(f"{identity}#{seen[identity]}")
    return ranked


class _Earlier:
    """The lines of earlier files that first brought the facts of this file (`first_seen`)."""

    def __init__(self, uow: PaymentsUnitOfWork, identities: list[str | None]) -> None:
        self.uow = uow
        self.lines = uow.bank_files.first_seen(identity for identity in identities if identity)
        self._files: dict[uuid.UUID, BankFile | None] = {}

    def repeat(self, position: int, identity: str | None, values: dict[str, object]) -> BankFileLine | None:
        """The line as a repeat of the earlier line with its identity (it applies nothing and is not
        listed for an officer: the earlier one is), or None when the fact is new."""
        earlier = self.lines.get(identity) if identity else None
        if earlier is None:
            return None
        if earlier.bank_file_id not in self._files:
            self._files[earlier.bank_file_id] = self.uow.bank_files.get(earlier.bank_file_id)
        first = self._files[earlier.bank_file_id]
        where = f"fichier {first.message_id}, ligne {earlier.position}" if first else f"ligne {earlier.id}"
        values.update(
            payment_run_id=earlier.payment_run_id or values.get("payment_run_id"),
            tranche_id=earlier.tranche_id or values.get("tranche_id"),
            recovery_id=earlier.recovery_id,
            repeats_line_id=earlier.id,
        )
        outcome = {
            LineOutcome.APPLIED: LineOutcome.ALREADY_APPLIED,
            LineOutcome.ALREADY_APPLIED: LineOutcome.ALREADY_APPLIED,
            LineOutcome.MATCHED: LineOutcome.MATCHED,
        }.get(earlier.outcome, LineOutcome.UNMATCHED)
        if earlier.resolution == LineResolution.RECEIVED:
            # An officer found what the earlier line paid: it was applied then.
            outcome = LineOutcome.ALREADY_APPLIED
        note = f"Déjà reçue ({where}) : rien n'est appliqué de nouveau."
        return _line(position, outcome, note=note, **values)


def _open_for_an_officer(kind: BankFileKind, lines: list[BankFileLine]) -> None:
    """The unmatched lines an officer is to deal with (the work list): a status report's, and a
    statement's booked ones; not an entry the bank has not booked (no money moved yet: it comes again
    booked), nor a repeat of a line already listed."""
    for line in lines:
        if (
            line.outcome == LineOutcome.UNMATCHED
            and line.repeats_line_id is None
            and (kind == BankFileKind.STATUS_REPORT or line.status == BOOKED)
        ):
            line.resolution = LineResolution.OPEN


def import_status_report(uow: PaymentsUnitOfWork, command: ImportStatusReport) -> BankFileImport:
    """Each rejected transaction (TxSts RJCT) of the report returns its transfer's tranche to `approved`
    with the bank's reason code; a report rejecting the whole file (group or payment information RJCT)
    does so for every transfer of the run (an exported run is cancelled: nothing was paid); accepted
    transactions change nothing; unknown end-to-end ids are kept unmatched."""
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
    run_lines = uow.payment_runs.lines(run.id)
    by_end_to_end = {line.end_to_end_id: line for line in run_lines}
    whole = report.whole_rejection()
    reported: list[tuple[TransactionStatus, PaymentRunLine | None]]
    if whole is None:
        rejects = any(transaction.status == REJECTED for transaction in report.transactions)
        if run.status != PaymentRunStatus.CONFIRMED and rejects:
            raise TrancheConflict(
                "run_not_confirmed",
                "Les rejets se déclarent sur un ordre de virement confirmé : confirmez-le d'abord.",
            )
        reported = [(tx, by_end_to_end.get(tx.end_to_end_id or "")) for tx in report.transactions]
    else:
        if run.status == PaymentRunStatus.DRAFT:
            raise TrancheConflict(
                "run_not_exported", "Cet ordre de virement n'a pas été exporté : la banque ne l'a pas reçu."
            )
        reported = _every_transfer_rejected(report.transactions, run_lines, whole)
    identities = _ranked(
        [
            line_identity(
                BankFileKind.STATUS_REPORT,
                status=transaction.status,
                end_to_end_id=transaction.end_to_end_id,
                payment_run_id=run.id,
            )
            for transaction, _ in reported
        ]
    )
    earlier = _Earlier(uow, identities)
    lines: list[BankFileLine] = []
    refused: list[PaymentRunLine] = []
    for position, ((transaction, line), identity) in enumerate(zip(reported, identities, strict=True)):
        values: dict[str, object] = {
            "end_to_end_id": (transaction.end_to_end_id or "")[:35] or None,
            "amount": transaction.amount,
            "status": transaction.status,
            "reason_code": transaction.reason_code,
            "payment_run_id": run.id,
            "identity": identity,
        }
        repeated = earlier.repeat(position, identity, values)
        if repeated is not None:
            lines.append(repeated)
            continue
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
        reason = rejection_reason(transaction.reason_code, transaction.reason_text)
        if run.status == PaymentRunStatus.CONFIRMED:
            return_line(uow, run, line, reason, command.by)
        elif run.status == PaymentRunStatus.EXPORTED:
            reject_unpaid_line(uow, run, line, reason, command.by)
            refused.append(line)
        else:
            note = f"Ordre de virement {PAYMENT_RUNS.label(run.status)} : rien à rejeter."
            lines.append(_line(position, LineOutcome.MATCHED, note=note, **values))
            continue
        lines.append(_line(position, LineOutcome.APPLIED, applied_key=key, **values))
    if refused and whole is not None:
        PAYMENT_RUNS.apply(
            run,
            PaymentRunEvent.CANCEL,
            actor=command.by,
            reason=f"rejet bancaire : {rejection_reason(*whole)} (fichier refusé par la banque)",
            at=utcnow(),
            log=uow.history,
        )
    _open_for_an_officer(BankFileKind.STATUS_REPORT, lines)
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


def _every_transfer_rejected(
    transactions: tuple[TransactionStatus, ...],
    run_lines: list[PaymentRunLine],
    reason: tuple[str | None, str | None],
) -> list[tuple[TransactionStatus, PaymentRunLine | None]]:
    """A whole-file rejection: every transfer of the run rejected, with the reason the report gives it
    (its own when it lists the transfer with one, else the group's or the payment information's); the
    transactions it lists that are not the run's stay unmatched."""
    listed = {transaction.end_to_end_id: transaction for transaction in transactions}
    ours = {line.end_to_end_id for line in run_lines}
    rejected: list[tuple[TransactionStatus, PaymentRunLine | None]] = []
    for line in run_lines:
        own = listed.get(line.end_to_end_id)
        code, text = (own.reason_code, own.reason_text) if own and own.reason_code else reason
        rejected.append((TransactionStatus(line.end_to_end_id, REJECTED, code, text, line.amount), line))
    rejected.extend((tx, None) for tx in transactions if tx.end_to_end_id not in ours)
    return rejected


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
    identities = _ranked(
        [
            line_identity(
                statement.kind,
                status=entry.status[:4],
                end_to_end_id=(entry.end_to_end_id or "")[:35] or None,
                credit=entry.credit,
                amount=entry.amount,
                booking_date=entry.booking_date,
                bank_reference=entry.bank_reference,
            )
            for entry in statement.entries
        ]
    )
    earlier = _Earlier(uow, identities)
    lines: list[BankFileLine] = []
    booked_runs: dict[uuid.UUID, PaymentRun] = {}
    for position, (entry, identity) in enumerate(zip(statement.entries, identities, strict=True)):
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
            "identity": identity,
        }
        repeated = earlier.repeat(position, identity, values)
        if repeated is not None:
            lines.append(repeated)
        elif entry.status != BOOKED or entry.booking_date is None:
            note = f"Écriture non comptabilisée (statut {entry.status}) : rien n'est appliqué."
            lines.append(_line(position, LineOutcome.UNMATCHED, note=note, **values))
        elif entry.credit:
            lines.append(_receive(uow, position, entry, values, command.by))
        else:
            lines.append(_book(uow, position, entry, values, booked_runs))
    _open_for_an_officer(statement.kind, lines)
    try:
        uow.bank_files.add(bank_file, lines)
    except ConcurrentWrite:
        # The same file, imported by another request at the very same moment: its import answers this one.
        replay = _replay(uow, digest)
        if replay is None:
            raise
        return replay
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
    receive_recovery(uow, recovery, entry.booking_date, by, "relevé bancaire")
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


class _Resolution:
    """The line as the resolution machine (BANK_LINES) moves it: its `resolution` is the machine's status
    (`status` is the bank's status of the line)."""

    def __init__(self, line: BankFileLine) -> None:
        self.line = line
        self.id = line.id

    @property
    def status(self) -> LineResolution | None:
        return self.line.resolution

    @status.setter
    def status(self, value: LineResolution) -> None:
        self.line.resolution = value


def _same_decision(line: BankFileLine, command: ResolveBankLine) -> bool:
    if command.recovery_id is not None:
        return line.resolution == LineResolution.RECEIVED and line.recovery_id == command.recovery_id
    return line.resolution == LineResolution.DISMISSED and line.dismissed_reason == command.dismissed_reason


def _decision(line: BankFileLine) -> str:
    if line.resolution == LineResolution.RECEIVED and line.recovery_id is not None:
        return f"reversement {recovery_reference(line.recovery_id)} reçu"
    if line.dismissed_reason is not None:
        return f"écartée ({DISMISSAL_LABELS[line.dismissed_reason]})"
    return BANK_LINES.label(line.resolution or LineResolution.OPEN)


def resolve_line(uow: PaymentsUnitOfWork, command: ResolveBankLine) -> BankFileLine:
    """An officer's decision on an open line of the work list: it pays an issued recovery of its exact
    amount (received on the line's booking date), or it is dismissed with a reason. The decision is kept
    on the line (who, when, what) with a history row; the same decision again changes nothing, another
    one is a 409."""
    if (command.recovery_id is None) == (command.dismissed_reason is None):
        raise Invalid(
            "Indiquez soit le reversement que la ligne paie (recovery_id), soit le motif pour l'écarter "
            "(dismissed_reason).",
            errors={"json": {"recovery_id": ["Un seul des deux champs, et l'un d'eux."]}},
        )
    comment = (command.comment or "").strip() or None
    if command.dismissed_reason == DismissalReason.OTHER and comment is None:
        raise Invalid(
            "Précisez en commentaire pourquoi la ligne est écartée (motif « autre »).",
            errors={"json": {"comment": ["Obligatoire quand le motif est « other »."]}},
        )
    line = uow.bank_files.line(command.line_id, for_update=True)
    if line is None:
        raise BankLineNotFound()
    if line.repeats_line_id is not None:
        raise Conflict(
            f"Cette ligne répète la ligne {line.repeats_line_id} d'un fichier précédent : c'est celle-ci "
            "qui se traite.",
            code="line_repeated",
        )
    if line.resolution is None:
        if line.outcome != LineOutcome.UNMATCHED:
            raise Conflict("Ligne déjà rapprochée : il n'y a rien à traiter.", code="line_matched")
        raise Conflict(
            "Écriture que la banque n'a pas comptabilisée : rien à traiter avant sa comptabilisation.",
            code="line_not_booked",
        )
    if line.resolution != LineResolution.OPEN:
        if _same_decision(line, command):
            return line
        assert line.resolved_at is not None
        raise Conflict(
            f"Ligne déjà traitée le {line.resolved_at.date().isoformat()} par {line.resolved_by} : "
            f"{_decision(line)}.",
            code="line_resolved",
        )
    if command.recovery_id is not None:
        _pays_recovery(uow, line, command.recovery_id, command.by, comment)
    else:
        assert command.dismissed_reason is not None
        label = DISMISSAL_LABELS[command.dismissed_reason]
        now = _decided(line, command.by, comment)
        line.dismissed_reason = command.dismissed_reason
        BANK_LINES.apply(
            _Resolution(line),
            LineResolutionEvent.DISMISS,
            actor=command.by,
            reason=f"écartée : {label}" + (f" — {comment}" if comment else ""),
            at=now,
            log=uow.history,
        )
    uow.commit()
    return line


def _decided(line: BankFileLine, by: str, comment: str | None) -> datetime:
    """Who decided, when, with what comment: written with the resolution, no query in between (the
    database checks that a resolved line says when)."""
    now = utcnow()
    line.resolution_comment, line.resolved_by, line.resolved_at = comment, by, now
    return now


def _pays_recovery(
    uow: PaymentsUnitOfWork, line: BankFileLine, recovery_id: uuid.UUID, by: str, comment: str | None
) -> None:
    """The line is the structure's repayment of the recovery: received for the line's exact amount."""
    if not line.credit or line.status != BOOKED or line.booking_date is None or line.amount is None:
        raise Invalid(
            "Seul un crédit comptabilisé sur le compte du programme peut payer un reversement.",
            code="not_a_credit",
        )
    recovery = uow.recoveries.get(recovery_id, for_update=True)
    if recovery is None:
        raise Invalid(
            "Reversement inconnu.",
            errors={"json": {"recovery_id": ["Aucun reversement de cet identifiant."]}},
        )
    if recovery.status != RecoveryStatus.ISSUED:
        raise RecoveryNotIssued(RECOVERIES.label(recovery.status))
    if line.amount != recovery.amount or line.currency != "EUR":
        raise Invalid(
            f"Montant du virement {format_eur_fr(line.amount)}"
            + (f" ({line.currency})" if line.currency != "EUR" else "")
            + f", reversement de {format_eur_fr(recovery.amount)} : un reversement n'est reçu que pour "
            "son montant exact.",
            code="amount_differs",
        )
    now = _decided(line, by, comment)
    BANK_LINES.apply(
        _Resolution(line),
        LineResolutionEvent.RECEIVE,
        actor=by,
        reason=f"reversement {recovery_reference(recovery.id)} reçu",
        at=now,
        log=uow.history,
    )
    line.recovery_id, line.applied_key = recovery.id, f"receive:{recovery.id}"
    receive_recovery(uow, recovery, line.booking_date, by, "relevé bancaire, ligne rapprochée par un agent")
