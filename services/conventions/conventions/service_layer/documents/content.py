"""What each document says: the data a template receives, from the convention, avenant or contract."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from cnum_shared.core import legal
from cnum_shared.core.legal import StructureKind, Wave
from cnum_shared.core.parameters import ParameterNode
from conventions.adapters.orm import (
    Contract,
    Convention,
    ConventionAmendment,
    FinalStatement,
    RecoveryOrder,
    Structure,
)
from conventions.service_layer.conventions import amendment_schedule, funding_periods_wire


def convention_legal_date(convention: Convention) -> date:
    """The date whose law a convention states: its signature, or its start until it is signed."""
    return convention.signed_on or convention.start_date


def amendment_legal_date(amendment: ConventionAmendment) -> date:
    """The date whose law an avenant states: its signature, or its effective date until it is signed."""
    return amendment.signed_on or amendment.effective_date


def contract_legal_date(contract: Contract) -> date:
    """The date whose law a contract avenant states: the contract's signature."""
    return contract.signed_on or contract.start_date


def final_statement_legal_date(statement: FinalStatement) -> date:
    """The date whose law a final statement states: the convention's closing."""
    return statement.closed_on


def recovery_order_legal_date(order: RecoveryOrder) -> date:
    """The date whose law a recovery order states: the recovery's issue."""
    return order.issued_on


def law_data(on: date, tree: ParameterNode) -> dict[str, Any]:
    """The figures of the law a document states, on its legal date `on`, read with the functions the
    engine uses (compliance computes its due dates with `legal.deadline` too)."""

    def delay(kind: str) -> dict[str, Any]:
        # Plain values: the data is hashed to know whether a document was rendered already.
        deadline = legal.deadline(kind, on, tree=tree)
        return {"months": deadline.months, "days": deadline.days}

    terms = legal.convention_terms(on, tree=tree)
    modules = legal.thematic_module_rules(on, tree=tree)
    equipment = tree.node("obligations.equipment")
    return {
        "candidate_presentation_delay": delay("candidate_presentation"),
        "candidate_selection_delay": delay("candidate_selection"),
        "contract_signature_delay": delay("contract_signature"),
        "training_entry_delay": delay("training_entry"),
        "training_paths_hours": list(legal.initial_training_paths_hours(on, tree=tree)),
        "certification_exams_delay": delay("certification_exams"),
        "thematic_modules_delay": delay("thematic_modules"),
        "thematic_modules_count": modules.count,
        "thematic_modules_hours": list(modules.allowed_hours),
        "weekly_hours": legal.full_time_weekly_hours(on, tree=tree),
        "equipment_from_contract_start": equipment.get("counted_from_contract_start").at(on).as_bool(),
        "equipment_delay": delay("equipment"),
        "post_refill_delay": delay("post_refill"),
        "final_report_delay": delay("final_report"),
        "termination_notice": {"months": 0, "days": terms.termination_notice_days},
        "repayment_delay": {"months": 0, "days": terms.repayment_delay_days},
        "force_majeure_delay": {"months": terms.force_majeure_months, "days": 0},
        "financial_report_delay": {"months": terms.financial_report_delay_months, "days": 0},
        "republican_commitment": terms.republican_commitment,
        "retention_years": legal.personal_data_retention_years(on, tree=tree),
        "title_since": legal.template_edition_since("title_2025", tree=tree),
    }


def _structure_data(structure: Structure) -> dict[str, Any]:
    return {
        "name": structure.name,
        "siret": structure.siret,
        "kind": structure.kind,
        "structure_type": structure.structure_type,
        "address": structure.address,
        "postcode": structure.postcode,
        "city": structure.city,
        "department": structure.department,
        "email": structure.email,
        "iban": structure.iban,
        "bic": structure.bic,
        "legal_representative": None,
    }


def _convention_data(convention: Convention, tree: ParameterNode) -> dict[str, Any]:
    # The zones are named as on the convention's start (ZRR before 1 July 2024, FRR from then).
    zones = legal.renewal_bonus_zones(convention.start_date, tree=tree)
    structure = convention.structure
    kind, wave = StructureKind(structure.kind), Wave(convention.wave)
    bonus = legal.renewal_bonus_applies(wave, kind, structure.qpv_zrr)
    # A renewal's funded periods are its convention years, at the amounts the subsidy was computed with.
    yearly = [period["amount_per_post"] for period in funding_periods_wire(convention)]
    return {
        "reference": convention.reference,
        "wave": convention.wave,
        "posts": convention.posts,
        "start_date": convention.start_date,
        "end_date": convention.end_date,
        "duration_months": convention.duration_months,
        "funded_months": convention.funded_months,
        "amount_per_post": convention.amount_per_post,
        "total_amount": convention.total_amount,
        "signed_on": convention.signed_on,
        "bonus_zones": zones.short_name,
        "bonus_zones_label": zones.label,
        "renewal_bonus": bonus,
        "yearly_amounts": yearly if wave is Wave.RENEWAL else [],
        "yearly_bonuses": list(legal.renewal_yearly_bonuses(convention.start_date, tree=tree))
        if bonus
        else [],
    }


def _tranches(convention: Convention) -> list[dict[str, Any]]:
    return [
        {"number": tranche.number, "due_on": tranche.due_on, "amount": tranche.amount}
        for tranche in convention.tranches
    ]


def convention_data(convention: Convention, generated_on: date, tree: ParameterNode) -> dict[str, Any]:
    return {
        "document": {"reference": convention.reference, "generated_on": generated_on},
        "structure": _structure_data(convention.structure),
        "convention": _convention_data(convention, tree),
        "tranches": _tranches(convention),
        "funding_periods": funding_periods_wire(convention),
        "law": law_data(convention_legal_date(convention), tree),
    }


def amendment_data(
    convention: Convention, amendment: ConventionAmendment, generated_on: date, tree: ParameterNode
) -> dict[str, Any]:
    """The avenant states the whole schedule it sets (computed when it was drafted, applied when signed),
    what was paid under the convention and the amount to recover (decision 0025: the figures the
    conventions API shows and `convention.amended` carries to payments)."""
    return {
        "document": {
            "reference": f"{convention.reference}-AV{amendment.number}",
            "generated_on": generated_on,
        },
        "structure": _structure_data(convention.structure),
        "convention": {**_convention_data(convention, tree), "posts_before": amendment.posts_before},
        "amendment": {
            "number": amendment.number,
            "effective_date": amendment.effective_date,
            "posts": amendment.posts,
            "reason": amendment.reason,
            "total_before": amendment.total_before,
            "new_total_amount": amendment.total_amount,
            "signed_on": amendment.signed_on,
            "requested_on": amendment.requested_on,
            "contract_ended_on": amendment.contract_ended_on,
            # An avenant drawn up before payments' figures were kept states none: drawn up that day.
            "paid_as_of": amendment.paid_as_of or amendment.created_at.date(),
            "paid_to_date": amendment.paid_to_date or Decimal(0),
            "amount_to_recover": amendment.amount_to_recover or Decimal(0),
        },
        "tranches": amendment_schedule(amendment),
        "funding_periods": funding_periods_wire(convention),
        "law": law_data(amendment_legal_date(amendment), tree),
    }


def contract_avenant_data(
    convention: Convention, contract: Contract, generated_on: date, tree: ParameterNode
) -> dict[str, Any]:
    advisor = contract.advisor
    return {
        "document": {
            "reference": f"{convention.reference}-CT-{contract.id.hex[:6].upper()}",
            "generated_on": generated_on,
        },
        "structure": _structure_data(convention.structure),
        "employee": {
            "first_name": advisor.first_name,
            "last_name": advisor.last_name,
            "birth_date": advisor.birth_date,
        },
        "contract": {
            "contract_type": contract.contract_type,
            "start_date": contract.start_date,
            "weekly_hours": contract.weekly_hours,
            "gross_monthly_salary": contract.gross_monthly_salary,
            "signed_on": contract.signed_on,
            "original_start_date": contract.original_contract_start_date,
            "place_of_work": contract.place_of_work,
            "line_manager": contract.line_manager,
            "classification": contract.classification,
            "collective_agreement": contract.collective_agreement or "",
            # The avenant is written under the law of the employer's kind (DESIGN §1: public or private).
            "employment_law": convention.structure.kind,
            "public_status": contract.public_status or "",
        },
        "law": law_data(contract_legal_date(contract), tree),
    }


# --- The final statement and the recovery order: payments' figures as its events carried them -----------


def _money(value: object) -> Decimal:
    """An amount of an event's JSON part ("1234.50"), back to a Decimal."""
    return Decimal(str(value))


def _day(value: object) -> date:
    return date.fromisoformat(str(value))


def _uuid(value: object) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(str(value))


def statement_contract_ids(statement: FinalStatement) -> list[uuid.UUID]:
    """The contracts the statement's posts name (to read their type from this service's contracts)."""
    return [
        contract_id
        for post in _rows(statement.posts)
        for contract in _rows(post.get("contracts"))
        if (contract_id := _uuid(contract.get("contract_id"))) is not None
    ]


def _rows(value: Any) -> list[Mapping[str, Any]]:
    return [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []


def final_statement_data(
    convention: Convention,
    statement: FinalStatement,
    contracts: Mapping[uuid.UUID, Contract],
    generated_on: date,
    tree: ParameterNode,
) -> dict[str, Any]:
    """The final statement states payments' figures as `final_statement.settled` carried them (decision
    0033): nothing is recomputed here; the contracts' types come from this service's contracts."""
    posts = []
    for post in _rows(statement.posts):
        post_contracts = []
        for item in _rows(post.get("contracts")):
            contract = contracts.get(_uuid(item.get("contract_id")) or uuid.UUID(int=0))
            post_contracts.append(
                {
                    "contract_type": contract.contract_type if contract is not None else None,
                    "occupied_from": _day(item["occupied_from"]),
                    "occupied_until": _day(item["occupied_until"]),
                    "months": int(item["months"]),
                    "earned": _money(item["earned"]),
                }
            )
        posts.append(
            {
                "number": int(post["post"]),
                "months": int(post["months"]),
                "earned": _money(post["earned"]),
                "contracts": post_contracts,
            }
        )
    settlement = statement.settlement or {}
    if statement.to_pay > 0:
        outcome = "to_pay"
    elif statement.to_recover > 0:
        outcome = "to_recover"
    else:
        outcome = "nil"
    return {
        "document": {"reference": f"{convention.reference}-DF", "generated_on": generated_on},
        "structure": _structure_data(convention.structure),
        "convention": _convention_data(convention, tree),
        "statement": {
            "closed_on": statement.closed_on,
            "as_of": statement.as_of,
            "granted": statement.granted,
            "earned": statement.earned,
            "paid": statement.paid,
            "balance": statement.balance,
            "to_pay": statement.to_pay,
            "to_recover": statement.to_recover,
            "in_payment": statement.in_payment,
            "claimed": statement.claimed,
            "to_settle": statement.to_settle,
            "outcome": outcome,
            "settlement_kind": str(settlement.get("kind") or "none"),
            "settlement_amount": _money(settlement["amount"]) if settlement else None,
            "months": sum(post["months"] for post in posts),
            "posts": len(posts),
        },
        "posts": posts,
        "funding_periods": funding_periods_wire(convention),
        "law": law_data(final_statement_legal_date(statement), tree),
    }


def _periods(order: RecoveryOrder, convention: Convention) -> list[dict[str, Any]]:
    """post_ended: each funded period's months occupied, monthly rate and earnings, with its dates."""
    if order.kind != "post_ended":
        return []
    dates = {period["number"]: period for period in funding_periods_wire(convention)}
    periods = []
    for row in _rows(order.computation):
        period = dates.get(int(row["period"]), {})
        periods.append(
            {
                "period": int(row["period"]),
                "starts_on": period.get("starts_on"),
                "ends_on": period.get("ends_on"),
                "months": int(row["months"]),
                "monthly_rate": _money(row["monthly_rate"]),
                "earned": _money(row["earned"]),
            }
        )
    return periods


def _computation(order: RecoveryOrder) -> dict[str, Any]:
    """The figures of a regularisation's or a final statement's computation (empty for another kind)."""
    stored: Any = order.computation
    if not isinstance(stored, Mapping):
        return {}
    if order.kind == "regularisation":
        signed, already = _money(stored["signed"]), _money(stored["already"])
        return {
            "tranche": int(stored["tranche"]),
            "tranche_status": stored.get("status"),
            "signed": signed,
            "already": already,
            "reduction": already - signed,
        }
    if order.kind == "final_statement":
        figures = ("granted", "earned", "paid", "balance", "in_payment", "claimed", "to_settle")
        return {"as_of": _day(stored["as_of"]), **{key: _money(stored[key]) for key in figures}}
    return {}


def recovery_order_data(
    convention: Convention,
    order: RecoveryOrder,
    contract: Contract | None,
    generated_on: date,
    tree: ParameterNode,
) -> dict[str, Any]:
    """The order states the recovery as `recovery.issued` carried it (decision 0033): the amount, its
    computation, the account, the reference, the deadline and the delay payments counted it with."""
    ended_on = contract.ended_on if contract is not None else None
    return {
        "document": {
            "reference": f"{convention.reference}-OR-{order.recovery_id.hex[:6].upper()}",
            "generated_on": generated_on,
        },
        "structure": _structure_data(convention.structure),
        "convention": _convention_data(convention, tree),
        "recovery": {
            "kind": order.kind,
            "amount": order.amount,
            "issued_on": order.issued_on,
            "pay_by": order.pay_by,
            "repayment_delay": {"months": 0, "days": order.repayment_delay_days},
            "payment_reference": order.payment_reference,
            "months_started": order.months_started,
            "earned": order.earned,
            "paid_per_post": order.paid_per_post,
            "contract_type": contract.contract_type if contract is not None else None,
            "contract_start": contract.start_date if contract is not None else None,
            "contract_ended_on": ended_on,
        },
        "computation": _computation(order),
        "periods": _periods(order, convention),
        "pay_to": {"name": order.pay_to_name, "iban": order.pay_to_iban, "bic": order.pay_to_bic},
        "law": law_data(recovery_order_legal_date(order), tree),
    }
