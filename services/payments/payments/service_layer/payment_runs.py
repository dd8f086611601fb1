"""Payment runs: approved tranches gathered into one SEPA credit-transfer file for the bank.

`draft → exported → confirmed | cancelled`. The run is built from tranches that pass every gate, each
transferred net of the recoveries offset against it (its payment still settles the whole tranche); the
export writes pain.001.001.03 once (downloading it again gives the same file); a second officer confirms
that the bank executed it, which pays each tranche; a line the bank rejects returns its payment (kept,
`returned`) and its tranche to `approved`, to be paid again.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from cnum_shared.core.state_machine import TransitionList
from cnum_shared.framework.db import utcnow
from payments.adapters.orm import Payment, PaymentRun, PaymentRunLine
from payments.domain.errors import FourEyes, PaymentRunNotFound, RunRefused
from payments.domain.payments import (
    PAYMENT_RUNS,
    PAYMENTS,
    RUN_LINES,
    PaymentEvent,
    PaymentRunEvent,
    PaymentRunStatus,
    PaymentStatus,
    RunLineEvent,
    RunLineStatus,
)
from payments.domain.tranches import TrancheConflict, TrancheEvent
from payments.domain.transfers import CreditTransfer, InvalidTransfers
from payments.service_layer import recoveries
from payments.service_layer.commands import (
    CancelPaymentRun,
    ConfirmPaymentRun,
    CreatePaymentRun,
    ExportPaymentRun,
    RejectLines,
)
from payments.service_layer.tranches import event_data, move, note, payment_gates
from payments.service_layer.unit_of_work import PaymentsUnitOfWork


def get_run(uow: PaymentsUnitOfWork, run_id: uuid.UUID, *, for_update: bool = False) -> PaymentRun:
    run = uow.payment_runs.get(run_id, for_update=for_update)
    if run is None:
        raise PaymentRunNotFound()
    return run


def create_run(uow: PaymentsUnitOfWork, command: CreatePaymentRun) -> PaymentRun:
    """A draft run of the approved tranches given (all of them by default), after the gates and IBANs.

    With a `request_key`, a run already made by that request is returned as it is: a retry after a
    crash between the run's commit and the answer gets the same run, not a second one.
    """
    if command.request_key is not None:
        made = uow.payment_runs.by_request_key(command.request_key)
        if made is not None:
            return made
    tranches = uow.tranches.approved_outside_open_runs(command.tranche_ids)
    problems: dict[str, list[str]] = {}
    if command.tranche_ids:
        missing = set(map(str, command.tranche_ids)) - {str(tranche.id) for tranche in tranches}
        for tranche_id in sorted(missing):
            problems[tranche_id] = [
                "Tranche absente, non approuvée ou déjà dans un ordre de virement en cours."
            ]
    if not tranches and not problems:
        problems["tranches"] = ["Aucune tranche approuvée à payer."]
    lines: list[PaymentRunLine] = []
    transfers: list[CreditTransfer] = []
    run_id = uuid.uuid4()
    # A tranche is transferred net of the recoveries offset against it (decision 0031).
    withheld = recoveries.withheld(uow, [tranche.id for tranche in tranches])
    for tranche in tranches:
        reasons = [reason.message for reason in payment_gates(uow, tranche, command.today)]
        if reasons:
            problems[str(tranche.id)] = reasons
            continue
        creditor = uow.structures.get(tranche.structure_id)
        assert creditor is not None
        end_to_end = f"CNUM-{tranche.id.hex[:24].upper()}"
        transfers.append(
            CreditTransfer(
                end_to_end_id=end_to_end,
                creditor_name=creditor.name,
                creditor_iban=creditor.iban,
                creditor_bic=creditor.bic,
                amount=tranche.amount - withheld.get(tranche.id, Decimal(0)),
                remittance=f"Conseiller numerique tranche {tranche.number}",
            )
        )
        lines.append(
            PaymentRunLine(
                id=uuid.uuid4(),
                payment_run_id=run_id,
                tranche_id=tranche.id,
                amount=tranche.amount - withheld.get(tranche.id, Decimal(0)),
                creditor_name=creditor.name,
                creditor_iban=creditor.iban,
                creditor_bic=creditor.bic,
                end_to_end_id=end_to_end,
                status=RunLineStatus.INCLUDED,
                rejection_reason=None,
            )
        )
    if transfers:
        try:
            uow.transfers.check(transfers)
        except InvalidTransfers as error:
            for key, messages in error.problems.items():
                problems.setdefault(key, []).extend(messages)
    if problems:
        uow.rollback()
        raise RunRefused(problems)
    now = utcnow()
    run = PaymentRun(
        id=run_id,
        execution_date=command.execution_date,
        message_id=f"CNUM-{run_id.hex[:27].upper()}",
        request_key=command.request_key,
        number_of_transactions=len(lines),
        control_sum=sum((line.amount for line in lines), Decimal(0)),
        sepa_xml=None,
        created_by=command.created_by,
        created_at=now,
        exported_at=None,
        confirmed_by=None,
        confirmed_at=None,
    )
    created = TransitionList()
    PAYMENT_RUNS.start(
        run,
        PaymentRunStatus.DRAFT,
        actor=command.created_by,
        reason=f"{len(lines)} virement(s)",
        at=now,
        log=created,
    )
    for line in lines:
        RUN_LINES.start(
            line, RunLineStatus.INCLUDED, actor=command.created_by, reason=run.message_id, at=now, log=created
        )
    uow.payment_runs.add(run, lines)
    uow.history.record_many(created.transitions)
    uow.commit()
    return run


def export_run(uow: PaymentsUnitOfWork, command: ExportPaymentRun) -> bytes:
    """The SEPA file, written once at the first export and then served as it is."""
    run = get_run(uow, command.run_id, for_update=True)
    if run.sepa_xml is not None:
        return run.sepa_xml
    transfers = [
        CreditTransfer(
            end_to_end_id=line.end_to_end_id,
            creditor_name=line.creditor_name,
            creditor_iban=line.creditor_iban,
            creditor_bic=line.creditor_bic,
            amount=line.amount,
            remittance=f"Conseiller numerique {line.end_to_end_id}",
        )
        for line in uow.payment_runs.lines(run.id)
    ]
    PAYMENT_RUNS.next(run.status, PaymentRunEvent.EXPORT)  # refused before the file is written
    xml = uow.transfers.pain001(
        transfers, message_id=run.message_id, execution_date=run.execution_date, created_at=command.now
    )
    now = utcnow()
    PAYMENT_RUNS.apply(
        run, PaymentRunEvent.EXPORT, actor=command.by, reason="fichier SEPA écrit", at=now, log=uow.history
    )
    run.sepa_xml, run.exported_at = xml, now
    uow.commit()
    return xml


def confirm_run(uow: PaymentsUnitOfWork, command: ConfirmPaymentRun) -> PaymentRun:
    """The bank executed the run: each included tranche is paid (a second officer confirms)."""
    run = get_run(uow, command.run_id, for_update=True)
    pay_run(uow, run, command.confirmed_by, command.paid_on)
    uow.commit()
    return run


def pay_run(uow: PaymentsUnitOfWork, run: PaymentRun, confirmed_by: str, paid_on: date) -> None:
    """Confirm an exported run (locked by the caller): its tranches paid, four eyes checked first, nothing
    committed. A refusal (TrancheConflict, FourEyes) comes before any change."""
    PAYMENT_RUNS.next(run.status, PaymentRunEvent.CONFIRM)
    if run.created_by == confirmed_by:
        raise FourEyes(
            "L'agent qui a préparé l'ordre de virement ne peut pas le confirmer (double contrôle)."
        )
    lines = uow.payment_runs.lines(run.id)
    tranches = {
        tranche.id: tranche
        for tranche in uow.tranches.many([line.tranche_id for line in lines], for_update=True)
    }
    # Confirming pays: the officer who approved a tranche of the run cannot be the one who pays it (the
    # database's four-eyes check would refuse the payment row; the officer gets the reason instead).
    approved_by_confirmer = {
        str(tranche.id): ["Tranche approuvée par l'agent qui confirme."]
        for tranche in tranches.values()
        if tranche.approved_by == confirmed_by
    }
    if approved_by_confirmer:
        raise FourEyes(
            "L'agent qui a approuvé une tranche de l'ordre de virement ne peut pas le confirmer "
            "(double contrôle).",
            approved_by_confirmer,
        )
    now = utcnow()
    changes = TransitionList()
    for line in lines:
        tranche = tranches[line.tranche_id]
        move(
            uow,
            tranche,
            TrancheEvent.PAY,
            confirmed_by,
            f"ordre de virement {run.message_id}",
            changes,
        )
        # The payment settles the whole tranche; the line's transfer is net of what it withholds.
        uow.payments.add(
            Payment(
                id=uuid.uuid4(),
                tranche_id=tranche.id,
                amount=tranche.amount,
                paid_on=paid_on,
                reference=line.end_to_end_id,
                approved_by=tranche.approved_by or "",
                paid_by=confirmed_by,
                payment_run_id=run.id,
                created_at=now,
                status=PaymentStatus.PAID,
            )
        )
        RUN_LINES.apply(
            line, RunLineEvent.PAY, actor=confirmed_by, reason=run.message_id, at=now, log=changes
        )
        uow.outbox.emit("tranche.paid", event_data(tranche, paid_on))
    uow.payments.write()
    uow.history.record_many(changes.transitions)
    PAYMENT_RUNS.apply(
        run,
        PaymentRunEvent.CONFIRM,
        actor=confirmed_by,
        reason=f"exécuté le {paid_on.isoformat()}",
        at=now,
        log=uow.history,
    )
    run.confirmed_by, run.confirmed_at = confirmed_by, now


def reject_lines(uow: PaymentsUnitOfWork, command: RejectLines) -> PaymentRun:
    """Lines the bank returned: their payment is returned (kept, with its history row) and their
    tranche is approved again, to be paid again."""
    run = get_run(uow, command.run_id, for_update=True)
    if run.status != PaymentRunStatus.CONFIRMED:
        raise TrancheConflict(
            "run_not_confirmed", "Les rejets se déclarent sur un ordre de virement confirmé."
        )
    lines = {line.tranche_id: line for line in uow.payment_runs.lines(run.id)}
    unknown = [str(tranche_id) for tranche_id in command.rejections if tranche_id not in lines]
    if unknown:
        raise RunRefused(
            {tranche_id: ["Tranche absente de cet ordre de virement."] for tranche_id in unknown}
        )
    for tranche_id, reason in command.rejections.items():
        line = lines[tranche_id]
        if line.status == RunLineStatus.REJECTED:
            continue
        return_line(uow, run, line, reason, command.by)
    uow.commit()
    return run


def return_line(uow: PaymentsUnitOfWork, run: PaymentRun, line: PaymentRunLine, reason: str, by: str) -> None:
    """A paid line of a confirmed run that the bank returned: its payment `returned`, its tranche
    `approved` again, each with a history row giving the bank's reason; nothing committed."""
    tranche = uow.tranches.get(line.tranche_id, for_update=True)
    assert tranche is not None
    now = utcnow()
    why = f"rejet bancaire : {reason}"
    move(uow, tranche, TrancheEvent.RETURN, by, why)
    payment = uow.payments.paid_in_run(run.id, line.tranche_id)
    if payment is not None:
        PAYMENTS.apply(payment, PaymentEvent.RETURN, actor=by, reason=why, at=now, log=uow.history)
    RUN_LINES.apply(line, RunLineEvent.REJECT, actor=by, reason=why, at=now, log=uow.history)
    line.rejection_reason = reason[:500]
    # The money came back: what the conventions service counts as paid of the tranche goes down.
    uow.outbox.emit("tranche.returned", event_data(tranche, None))


def reject_unpaid_line(
    uow: PaymentsUnitOfWork, run: PaymentRun, line: PaymentRunLine, reason: str, by: str
) -> None:
    """A line of an exported run whose whole file the bank refused: nothing was paid; the line is
    rejected with the bank's reason and its tranche, still approved, says why in its history (the caller
    cancels the run, which frees it for another); nothing committed."""
    tranche = uow.tranches.get(line.tranche_id, for_update=True)
    assert tranche is not None
    why = f"rejet bancaire : {reason}"
    RUN_LINES.apply(line, RunLineEvent.REJECT, actor=by, reason=why, at=utcnow(), log=uow.history)
    line.rejection_reason = reason[:500]
    note(uow, tranche, by, f"{why} (ordre de virement {run.message_id} refusé)", event="bank_rejection")


def cancel_run(uow: PaymentsUnitOfWork, command: CancelPaymentRun) -> PaymentRun:
    run = get_run(uow, command.run_id, for_update=True)
    PAYMENT_RUNS.apply(
        run, PaymentRunEvent.CANCEL, actor=command.by, reason="annulé", at=utcnow(), log=uow.history
    )
    uow.commit()
    return run
