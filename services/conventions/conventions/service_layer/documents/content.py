"""What each document says: the data a template receives, from the convention, avenant or contract."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from cnum_shared.core import legal
from cnum_shared.core.legal import StructureKind, Wave
from cnum_shared.core.parameters import ParameterNode
from conventions.adapters.orm import Contract, Convention, ConventionAmendment, Structure
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
