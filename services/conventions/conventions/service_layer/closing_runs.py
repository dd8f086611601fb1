"""Closing runs: every convention whose funding ends in a period closed in the background (decision 0035).

`launch_closing_run` only records what to do, one run per period: asked again, the same run is returned,
or relaunched for what is left (a failure, a convention that has ended since). The `run_closing_runs` job
of the scheduler process closes the conventions one by one, each in its own transaction
(`end_convention` at its end date), and records on its item what became of it; a failure is recorded
with its French message and never stops the others. Payments settles each closed convention and sends
its statement back (`final_statement.settled`); once they have all arrived, the job zips their PDFs with a
summary CSV. The run moves by the CLOSING_RUN state machine; the claim, the work item by item and the
finish are every background run's (service_layer/background_runs.py).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from cnum_shared.core.errors import ConcurrentWrite, Conflict, DomainError, NotFound
from cnum_shared.core.exports import Kind, column, csv_export
from cnum_shared.core.money import format_date_fr
from cnum_shared.framework.db import utcnow
from conventions.adapters.orm import ClosingRun, FinalStatement
from conventions.domain.background_runs import RunEvent, RunItemStatus, RunStatus, progress
from conventions.domain.closing_runs import (
    CLOSING_REASON,
    CLOSING_RUN,
    OUTCOME_LABELS,
    SETTLEMENT_LABELS,
    ClosingOutcome,
    ClosingSummary,
    InvalidClosingRun,
    Settled,
    check_period,
    outcome_without_closing,
    summarise,
)
from conventions.domain.conventions import ConventionAction
from conventions.service_layer.background_runs import claim_next_run, finish_run, work_through
from conventions.service_layer.commands import EndConvention, LaunchClosingRun, RunClosingRuns
from conventions.service_layer.conventions import end_convention, get_convention
from conventions.service_layer.documents.generation import StoredDocument
from conventions.service_layer.documents.ports import DocumentAdapters
from conventions.service_layer.unit_of_work import ConventionsUnitOfWork

logger = logging.getLogger(__name__)

#: A new unit of work (each convention is closed in its own).
UnitOfWorkFactory = Callable[[], ConventionsUnitOfWork]

#: The failures and the conventions not yet ended a report lists (the counts are always whole).
LISTED = 500


class ClosingRunNotFound(NotFound):
    default_message = "Clôture introuvable."


@dataclass(frozen=True)
class Launched:
    run: ClosingRun
    #: Whether the launch queued work: a new run, or a finished one relaunched for what was left.
    queued: bool


def _period(funding_ends_from: date, funding_ends_to: date) -> str:
    return f"du {format_date_fr(funding_ends_from)} au {format_date_fr(funding_ends_to)}"


def launch_closing_run(uow: ConventionsUnitOfWork, command: LaunchClosingRun) -> Launched:
    """Queue the closing of every convention whose funding ends in the period; the period's run when it
    exists (relaunched when finished and something is left to do)."""
    start, end = command.funding_ends_from, command.funding_ends_to
    check_period(start, end)
    existing = uow.closing_runs.for_period(start, end)
    wanted = uow.closing_runs.selected(start, end)
    if existing is not None:
        return _relaunch(uow, existing, wanted, command)
    if not wanted:
        raise InvalidClosingRun(
            {"funding_ends_from": [f"Aucune convention signée ne finit {_period(start, end)}."]}
        )
    now = utcnow()
    run = ClosingRun(
        id=uuid.uuid4(),
        funding_ends_from=start,
        funding_ends_to=end,
        total=len(wanted),
        done=0,
        failed=0,
        archive_path=None,
        requested_by=command.requested_by,
        created_at=now,
        started_at=None,
        finished_at=None,
        archived_at=None,
    )
    CLOSING_RUN.start(
        run,
        RunStatus.QUEUED,
        actor=command.requested_by,
        reason=f"{len(wanted)} conventions dont le financement finit {_period(start, end)}",
        at=now,
        log=uow.history,
    )
    try:
        uow.closing_runs.add(run)
    except ConcurrentWrite:
        # The same period launched at the same moment: that launch's run is this one's.
        uow.rollback()
        existing = uow.closing_runs.for_period(start, end)
        if existing is None:
            raise
        return Launched(existing, queued=False)
    uow.closing_runs.add_items(run.id, wanted)
    uow.commit()
    return Launched(run, queued=True)


def _relaunch(
    uow: ConventionsUnitOfWork, run: ClosingRun, wanted: Sequence[uuid.UUID], command: LaunchClosingRun
) -> Launched:
    """A period launched again: its run as it is while it runs; once done, queued again for what is left
    (failures, conventions ended since, conventions of the period signed since), else as it is."""
    if run.status != RunStatus.DONE:
        return Launched(run, queued=False)
    known = uow.closing_runs.conventions_of(run.id)
    new = [convention_id for convention_id in wanted if convention_id not in known]
    ended, failed = uow.closing_runs.reopen_items(run.id, command.today)
    if not (new or ended or failed):
        uow.rollback()
        return Launched(run, queued=False)
    uow.closing_runs.add_items(run.id, new)
    run.total += len(new)
    run.done -= ended
    run.failed -= failed
    run.finished_at = run.archived_at = run.archive_path = None
    CLOSING_RUN.apply(
        run,
        RunEvent.RELAUNCH,
        actor=command.requested_by,
        reason=f"relancée : {len(new)} nouvelles conventions, {ended} échues depuis, {failed} en échec",
        at=utcnow(),
        log=uow.history,
    )
    uow.commit()
    return Launched(run, queued=True)


def get_closing_run(uow: ConventionsUnitOfWork, run_id: uuid.UUID) -> ClosingRun:
    run = uow.closing_runs.get(run_id)
    if run is None:
        raise ClosingRunNotFound()
    return run


def closing_runs(uow: ConventionsUnitOfWork, offset: int, limit: int) -> tuple[Sequence[ClosingRun], int]:
    """The runs, newest first."""
    return uow.closing_runs.page(offset=offset, limit=limit)


@dataclass(frozen=True)
class ItemLine:
    """One convention of a run, as a report lists it."""

    convention_id: uuid.UUID
    reference: str
    end_date: date
    error: str | None


@dataclass(frozen=True)
class ClosingRunReport:
    """A run, what became of its conventions, and the summary of the statements payments sent back."""

    run: ClosingRun
    pending: int
    closed: int
    already_closed: int
    not_ended: int
    failed: int
    #: Statements expected (closed and already closed conventions) and received from payments.
    statements_expected: int
    statements_received: int
    summary: ClosingSummary
    failures: Sequence[ItemLine]
    not_yet_ended: Sequence[ItemLine]

    @property
    def progress(self) -> int:
        return progress(self.run.done, self.run.failed, self.run.total)

    @property
    def archive_ready(self) -> bool:
        return self.run.archive_path is not None


def _lines(rows: Sequence[Any]) -> list[ItemLine]:
    return [ItemLine(row.convention_id, row.reference, row.end_date, row.error) for row in rows]


def closing_run_report(uow: ConventionsUnitOfWork, run_id: uuid.UUID) -> ClosingRunReport:
    """The run's counts, its failures, the conventions not yet ended, and the statements' summary."""
    run = get_closing_run(uow, run_id)
    counts = uow.closing_runs.item_counts(run_id)
    closed = counts.get(ClosingOutcome.CLOSED.value, 0)
    already_closed = counts.get(ClosingOutcome.ALREADY_CLOSED.value, 0)
    expected = closed + already_closed
    statements = uow.final_statements.of_conventions(uow.closing_runs.settled_conventions(run_id))
    return ClosingRunReport(
        run=run,
        pending=counts.get(RunItemStatus.PENDING.value, 0),
        closed=closed,
        already_closed=already_closed,
        not_ended=counts.get(ClosingOutcome.NOT_ENDED.value, 0),
        failed=counts.get(RunItemStatus.FAILED.value, 0),
        statements_expected=expected,
        statements_received=len(statements),
        summary=summarise((settled(statement) for statement in statements.values()), expected),
        failures=_lines(uow.closing_runs.items_where(run_id, status=RunItemStatus.FAILED, limit=LISTED)),
        not_yet_ended=_lines(
            uow.closing_runs.items_where(run_id, outcome=ClosingOutcome.NOT_ENDED, limit=LISTED)
        ),
    )


def settled(statement: FinalStatement) -> Settled:
    """What closing booked, as the statement payments sent says (its `settlement`, None for nothing)."""
    booked = statement.settlement
    if not booked:
        return Settled(None, Decimal("0.00"))
    return Settled(str(booked["kind"]), Decimal(str(booked["amount"])))


def _failure(error: Exception) -> str:
    """What the officer reads of a failure: the refusal's own French message, else a technical error."""
    if isinstance(error, DomainError):
        return str(error)[:1000]
    return (
        f"Erreur technique ({type(error).__name__}) : la clôture n'a pas été enregistrée ; "
        "le journal du service en donne le détail."
    )


def close_item(uow: ConventionsUnitOfWork, item_id: uuid.UUID, today: date, actor: str) -> None:
    """Close one convention of a run at its end date, in this unit of work; what became of it is written
    on its item in the same transaction, a failure recorded there, never raised."""
    item = uow.closing_runs.item(item_id)
    assert item is not None
    run_id, convention_id = item.run_id, item.convention_id
    try:
        # Locked first: another run (an overlapping period) closing it at the same moment waits, then
        # finds it closed.
        convention = get_convention(uow, convention_id, for_update=True)
        outcome = outcome_without_closing(convention.status, convention.end_date, today)
        item.status, item.outcome = RunItemStatus.DONE, outcome or ClosingOutcome.CLOSED
        uow.closing_runs.count(run_id, done=1)
        if outcome is None:
            end_convention(  # commits the closing and the item together
                uow,
                EndConvention(
                    convention_id, ConventionAction.CLOSE, convention.end_date, CLOSING_REASON, actor=actor
                ),
            )
        else:
            uow.commit()
    except Exception as error:  # one convention's failure must not stop the others
        if not isinstance(error, DomainError):
            logger.exception("closing run item %s failed", item_id)
        uow.rollback()
        item = uow.closing_runs.item(item_id)
        assert item is not None
        item.status, item.outcome, item.error = RunItemStatus.FAILED, None, _failure(error)
        uow.closing_runs.count(run_id, failed=1)
        uow.commit()


def run_closing_run(new_uow: UnitOfWorkFactory, run_id: uuid.UUID, command: RunClosingRuns) -> ClosingRun:
    """Close every pending convention of the run, one at a time, then finish it."""
    with new_uow() as uow:
        pending = uow.closing_runs.pending_items(run_id)
    # One at a time: each closing is a short transaction on the same tables (SQLite writes one at a time).
    work_through(new_uow, pending, lambda uow, item: close_item(uow, item, command.today, command.actor))
    with new_uow() as uow:
        run = get_closing_run(uow, run_id)
        finish_run(
            uow,
            run,
            CLOSING_RUN,
            actor=command.actor,
            reason=f"{run.done} traitées, {run.failed} en échec",
        )
        uow.commit()
        return run


# --- The archive: the statements' PDFs and a summary CSV, once every statement has arrived -----------------

#: How a statement's PDF is rendered (or reused) and stored: the final statement's document use case.
StatementDocument = Callable[[ConventionsUnitOfWork, uuid.UUID, str, date, DocumentAdapters], StoredDocument]


class ClosingArchiveNotReady(Conflict):
    """The archive of a run asked for before it could be written (409, with what it waits for)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"Retry-After": "5"})


def archive_path(uow: ConventionsUnitOfWork, run_id: uuid.UUID, adapters: DocumentAdapters) -> Path:
    """Where the ZIP of a run is, once written (ClosingArchiveNotReady, saying why, before)."""
    report = closing_run_report(uow, run_id)
    run = report.run
    if run.status != RunStatus.DONE:
        raise ClosingArchiveNotReady(
            f"La clôture est en cours : {run.done + run.failed} conventions traitées sur {run.total}. "
            "L'archive des décomptes sera prête quand elles l'auront toutes été et que payments aura "
            "envoyé leurs décomptes."
        )
    if report.summary.awaited:
        awaited = report.summary.awaited
        plural = "s sont" if awaited > 1 else " est"
        raise ClosingArchiveNotReady(
            f"{awaited} décompte{plural} encore attendu{'s' if awaited > 1 else ''} du service des paiements "
            f"(sur {report.statements_expected}) : l'archive sera prête quand ils seront tous arrivés."
        )
    if run.archive_path is None:
        raise ClosingArchiveNotReady(
            "L'archive des décomptes est en préparation : réessayez dans un instant."
        )
    return adapters.store.absolute(run.archive_path)


def render_statement(
    uow: ConventionsUnitOfWork,
    item_id: uuid.UUID,
    today: date,
    adapters: DocumentAdapters,
    document: StatementDocument,
) -> None:
    """The PDF of one convention's statement, stored and named on its item; a failure recorded there."""
    item = uow.closing_runs.item(item_id)
    assert item is not None
    try:
        stored = document(uow, item.convention_id, "pdf", today, adapters)
    except Exception as error:  # one document's failure must not keep the others out of the archive
        if not isinstance(error, DomainError):
            logger.exception("statement of closing run item %s failed", item_id)
        uow.rollback()
        item = uow.closing_runs.item(item_id)
        assert item is not None
        item.document_error = _failure(error).replace("la clôture", "le décompte")
    else:
        item.document_id = stored.record.id
    uow.commit()


#: The summary CSV: one row per convention whose statement is in the archive, payments' figures.
SUMMARY_COLUMNS = (
    column("Convention", "reference", width=24),
    column("Structure", "structure", width=36),
    column("Fin de financement", "end_date", Kind.DATE),
    column("Clôture", "outcome", labels={key.value: label for key, label in OUTCOME_LABELS.items()}),
    column("Clôturée le", "closed_on", Kind.DATE),
    column("Décompte au", "as_of", Kind.DATE),
    column("Accordé", "granted", Kind.AMOUNT),
    column("Acquis", "earned", Kind.AMOUNT),
    column("Versé", "paid", Kind.AMOUNT),
    column("Solde", "balance", Kind.AMOUNT),
    column("En paiement", "in_payment", Kind.AMOUNT),
    column("Déjà réclamé", "claimed", Kind.AMOUNT),
    column("À régler", "settles", labels=SETTLEMENT_LABELS),
    column("Montant réglé", "settled_amount", Kind.AMOUNT),
    column("Fichier PDF", "file", width=36),
)


def _summary_rows(
    uow: ConventionsUnitOfWork, run_id: uuid.UUID
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The CSV's rows and the ZIP's PDF members (stored path, name in the archive)."""
    entries = uow.closing_runs.archive_entries(run_id)
    statements = uow.final_statements.of_conventions([entry.convention_id for entry in entries])
    rows, members = [], []
    for entry in entries:
        statement = statements[entry.convention_id]
        booked = settled(statement)
        name = f"decompte-{entry.reference}.pdf"
        if entry.path is not None:
            members.append((entry.path, name))
        rows.append(
            {
                "reference": entry.reference,
                "structure": statement.structure.get("name"),
                "end_date": entry.end_date,
                "outcome": entry.outcome,
                "closed_on": statement.closed_on,
                "as_of": statement.as_of,
                "granted": statement.granted,
                "earned": statement.earned,
                "paid": statement.paid,
                "balance": statement.balance,
                "in_payment": statement.in_payment,
                "claimed": statement.claimed,
                "settles": booked.kind or "",
                "settled_amount": booked.amount,
                "file": name if entry.path is not None else entry.document_error,
            }
        )
    return rows, members


def archive_run(
    new_uow: UnitOfWorkFactory,
    run_id: uuid.UUID,
    command: RunClosingRuns,
    adapters: DocumentAdapters,
    document: StatementDocument,
) -> bool:
    """Zip the statements of a finished run whose statements have all arrived (False: still awaited)."""
    with new_uow() as uow:
        if closing_run_report(uow, run_id).summary.awaited:
            return False
        unrendered = uow.closing_runs.unrendered_items(run_id)
    work_through(
        new_uow,
        unrendered,
        lambda uow, item: render_statement(uow, item, command.today, adapters, document),
        max(1, command.concurrency),
    )
    with new_uow() as uow:
        rows, members = _summary_rows(uow, run_id)
        summary = f"closing-runs/{run_id}-synthese.csv"
        adapters.store.write(summary, csv_export(SUMMARY_COLUMNS, rows))
        relative = f"closing-runs/{run_id}.zip"
        adapters.store.write_zip(relative, [(summary, "synthese.csv"), *members])
        run = get_closing_run(uow, run_id)
        run.archive_path, run.archived_at = relative, utcnow()
        uow.commit()
    return True


def run_closing_runs(new_uow: UnitOfWorkFactory, command: RunClosingRuns) -> str:
    """The job's first step: run every waiting closing run, oldest first."""
    said = []
    while True:
        with new_uow() as uow:
            run_id = claim_next_run(uow, uow.closing_runs, CLOSING_RUN, command.actor)
        if run_id is None:
            break
        run = run_closing_run(new_uow, run_id, command)
        said.append(f"{run.id} : {run.done} traitées, {run.failed} en échec")
    return "; ".join(said) or "aucune clôture en attente"


def archive_closing_runs(
    new_uow: UnitOfWorkFactory,
    command: RunClosingRuns,
    adapters: DocumentAdapters,
    document: StatementDocument,
) -> str:
    """The job's second step: archive the finished runs whose statements have all arrived."""
    with new_uow() as uow:
        unarchived = uow.closing_runs.unarchived()
    said = [
        f"{run_id} : archive des décomptes écrite"
        for run_id in unarchived
        if archive_run(new_uow, run_id, command, adapters, document)
    ]
    return "; ".join(said) or "aucune archive à écrire"
