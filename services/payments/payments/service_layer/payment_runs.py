"""Payment runs: approved tranches gathered into one SEPA credit-transfer file for the bank.

`draft → exported → confirmed | cancelled`. The run is built from tranches that pass every gate; the
export writes pain.001.001.03 once (downloading it again gives the same file); a second officer confirms
that the bank executed it, which pays each tranche; a line the bank rejects returns its tranche to
`approved`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cnum_shared.framework.db import UnitOfWork, among, utcnow
from cnum_shared.framework.events.outbox import emit
from payments.adapters import sepa
from payments.adapters.orm import Payment, PaymentRun, PaymentRunLine, StructureCopy, Tranche, event_tables
from payments.domain.tranches import TrancheConflict, TrancheEvent, TrancheStatus
from payments.service_layer import history
from payments.service_layer.tranches import FourEyes, _event_data, gates

OPEN = ("draft", "exported")


class PaymentRunNotFound(LookupError):
    pass


class RunRefused(Exception):
    """Tranches that cannot be paid now, each with its reasons (a 409)."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{key}: {' '.join(value)}" for key, value in problems.items()))
        self.problems = problems


def _eligible(session: Session, tranche_ids: Sequence[uuid.UUID] | None) -> list[Tranche]:
    in_open_run = (
        select(PaymentRunLine.tranche_id)
        .join(PaymentRun, PaymentRun.id == PaymentRunLine.payment_run_id)
        .where(PaymentRun.status.in_(OPEN))
    )
    statement = (
        select(Tranche)
        .where(Tranche.status == TrancheStatus.APPROVED.value, Tranche.id.not_in(in_open_run))
        .order_by(Tranche.due_on, Tranche.convention_id, Tranche.number)
        .with_for_update()
    )
    if tranche_ids:
        statement = statement.where(among(session, Tranche.id, tranche_ids))
    return list(session.scalars(statement))


def create_run(
    uow: UnitOfWork,
    tranche_ids: Sequence[uuid.UUID] | None,
    execution_date: date,
    created_by: str,
    today: date,
    debtor: sepa.Debtor,
    request_key: str | None = None,
) -> PaymentRun:
    """A draft run of the approved tranches given (all of them by default), after the gates and IBANs.

    With a `request_key`, a run already made by that request is returned as it is: a retry after a
    crash between the run's commit and the answer gets the same run, not a second one.
    """
    session = uow.session
    if request_key is not None:
        made = session.scalar(select(PaymentRun).where(PaymentRun.request_key == request_key))
        if made is not None:
            return made
    tranches = _eligible(session, tranche_ids)
    problems: dict[str, list[str]] = {}
    if tranche_ids:
        missing = set(map(str, tranche_ids)) - {str(tranche.id) for tranche in tranches}
        for tranche_id in sorted(missing):
            problems[tranche_id] = [
                "Tranche absente, non approuvée ou déjà dans un ordre de virement en cours."
            ]
    if not tranches and not problems:
        problems["tranches"] = ["Aucune tranche approuvée à payer."]
    lines: list[PaymentRunLine] = []
    transfers: list[sepa.CreditTransfer] = []
    run_id = uuid.uuid4()
    for tranche in tranches:
        reasons = [
            r.message for r in gates(uow, tranche, today) if r.code.value not in ("not_due", "out_of_order")
        ]
        if reasons:
            problems[str(tranche.id)] = reasons
            continue
        creditor = session.get(StructureCopy, tranche.structure_id)
        assert creditor is not None
        end_to_end = f"CNUM-{tranche.id.hex[:24].upper()}"
        transfers.append(
            sepa.CreditTransfer(
                end_to_end_id=end_to_end,
                creditor_name=creditor.name,
                creditor_iban=creditor.iban,
                creditor_bic=creditor.bic,
                amount=tranche.amount,
                remittance=f"Conseiller numerique tranche {tranche.number}",
            )
        )
        lines.append(
            PaymentRunLine(
                id=uuid.uuid4(),
                payment_run_id=run_id,
                tranche_id=tranche.id,
                amount=tranche.amount,
                creditor_name=creditor.name,
                creditor_iban=creditor.iban,
                creditor_bic=creditor.bic,
                end_to_end_id=end_to_end,
                status="included",
                rejection_reason=None,
            )
        )
    if transfers:
        try:
            sepa.check_transfers(debtor, transfers)
        except sepa.InvalidTransfer as error:
            for key, messages in error.problems.items():
                problems.setdefault(key, []).extend(messages)
    if problems:
        uow.rollback()
        raise RunRefused(problems)
    run = PaymentRun(
        id=run_id,
        status="draft",
        execution_date=execution_date,
        message_id=f"CNUM-{run_id.hex[:27].upper()}",
        request_key=request_key,
        number_of_transactions=len(lines),
        control_sum=sum((line.amount for line in lines), Decimal(0)),
        sepa_xml=None,
        created_by=created_by,
        created_at=utcnow(),
        exported_at=None,
        confirmed_by=None,
        confirmed_at=None,
    )
    session.add(run)
    session.flush()
    session.add_all(lines)
    uow.commit()
    return run


def list_runs(uow: UnitOfWork, status: str | None, offset: int, limit: int) -> tuple[Sequence[Any], int]:
    """The runs, newest first, without their SEPA files (rows, not objects: a list never needs them)."""
    statement = select(*(column for column in PaymentRun.__table__.columns if column.name != "sepa_xml"))
    if status:
        statement = statement.where(PaymentRun.status == status)
    total = uow.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    page = uow.session.execute(
        statement.order_by(PaymentRun.created_at.desc(), PaymentRun.id).offset(offset).limit(limit)
    ).all()
    return page, total


def get_run(uow: UnitOfWork, run_id: uuid.UUID, *, for_update: bool = False) -> PaymentRun:
    statement = select(PaymentRun).where(PaymentRun.id == run_id)
    if for_update:
        statement = statement.with_for_update()
    run = uow.session.scalar(statement)
    if run is None:
        raise PaymentRunNotFound(run_id)
    return run


def run_lines(uow: UnitOfWork, run_id: uuid.UUID) -> Sequence[PaymentRunLine]:
    return uow.session.scalars(
        select(PaymentRunLine)
        .where(PaymentRunLine.payment_run_id == run_id)
        .order_by(PaymentRunLine.end_to_end_id)
    ).all()


def export(uow: UnitOfWork, run_id: uuid.UUID, debtor: sepa.Debtor, now: datetime) -> bytes:
    """The SEPA file, written once at the first export and then served as it is."""
    run = get_run(uow, run_id, for_update=True)
    if run.sepa_xml is not None:
        return run.sepa_xml
    if run.status != "draft":
        raise TrancheConflict("run_closed", "Cet ordre de virement est annulé.")
    transfers = [
        sepa.CreditTransfer(
            end_to_end_id=line.end_to_end_id,
            creditor_name=line.creditor_name,
            creditor_iban=line.creditor_iban,
            creditor_bic=line.creditor_bic,
            amount=line.amount,
            remittance=f"Conseiller numerique {line.end_to_end_id}",
        )
        for line in run_lines(uow, run_id)
    ]
    xml = sepa.build_pain001(
        debtor, transfers, message_id=run.message_id, execution_date=run.execution_date, created_at=now
    )
    run.sepa_xml, run.status, run.exported_at = xml, "exported", utcnow()
    uow.commit()
    return xml


def confirm(uow: UnitOfWork, run_id: uuid.UUID, confirmed_by: str, paid_on: date) -> PaymentRun:
    """The bank executed the run: each included tranche is paid (a second officer confirms)."""
    run = get_run(uow, run_id, for_update=True)
    if run.status != "exported":
        raise TrancheConflict("run_not_exported", "Seul un ordre de virement exporté peut être confirmé.")
    if run.created_by == confirmed_by:
        raise FourEyes(
            "L'agent qui a préparé l'ordre de virement ne peut pas le confirmer (double contrôle)."
        )
    lines = run_lines(uow, run_id)
    tranches = {
        tranche.id: tranche
        for tranche in uow.session.scalars(
            select(Tranche)
            .where(among(uow.session, Tranche.id, [line.tranche_id for line in lines]))
            .order_by(Tranche.id)
            .with_for_update()
        )
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
    for line in lines:
        tranche = tranches[line.tranche_id]
        history.move(
            uow.session, tranche, TrancheEvent.PAY, confirmed_by, f"ordre de virement {run.message_id}"
        )
        uow.session.add(
            Payment(
                id=uuid.uuid4(),
                tranche_id=tranche.id,
                amount=line.amount,
                paid_on=paid_on,
                reference=line.end_to_end_id,
                approved_by=tranche.approved_by or "",
                paid_by=confirmed_by,
                payment_run_id=run.id,
                created_at=utcnow(),
            )
        )
        line.status = "paid"
        emit(
            uow.session,
            event_tables,
            producer="payments",
            event_type="tranche.paid",
            data=_event_data(tranche, paid_on),
        )
    run.status, run.confirmed_by, run.confirmed_at = "confirmed", confirmed_by, utcnow()
    uow.commit()
    return run


def reject_lines(uow: UnitOfWork, run_id: uuid.UUID, rejections: dict[uuid.UUID, str], by: str) -> PaymentRun:
    """Lines the bank returned: their payment is undone and their tranche is approved again."""
    run = get_run(uow, run_id, for_update=True)
    if run.status != "confirmed":
        raise TrancheConflict(
            "run_not_confirmed", "Les rejets se déclarent sur un ordre de virement confirmé."
        )
    lines = {line.tranche_id: line for line in run_lines(uow, run_id)}
    unknown = [str(tranche_id) for tranche_id in rejections if tranche_id not in lines]
    if unknown:
        raise RunRefused(
            {tranche_id: ["Tranche absente de cet ordre de virement."] for tranche_id in unknown}
        )
    for tranche_id, reason in rejections.items():
        line = lines[tranche_id]
        if line.status == "rejected":
            continue
        tranche = uow.session.get(Tranche, tranche_id, with_for_update=True)
        assert tranche is not None
        history.move(uow.session, tranche, TrancheEvent.RETURN, by, f"rejet bancaire : {reason}")
        uow.session.execute(
            delete(Payment).where(Payment.tranche_id == tranche_id, Payment.payment_run_id == run.id)
        )
        line.status, line.rejection_reason = "rejected", reason
    uow.commit()
    return run


def cancel(uow: UnitOfWork, run_id: uuid.UUID) -> PaymentRun:
    run = get_run(uow, run_id, for_update=True)
    if run.status not in OPEN:
        raise TrancheConflict(
            "run_closed", "Seul un ordre de virement en préparation ou exporté peut être annulé."
        )
    run.status = "cancelled"
    uow.commit()
    return run
