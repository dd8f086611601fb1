"""What each document says: the data a template receives, from the convention, avenant or contract."""

from __future__ import annotations

from datetime import date
from typing import Any

from cnum_shared.core import legal
from cnum_shared.core.legal import StructureKind, Wave
from cnum_shared.core.parameters import ParameterNode
from conventions.adapters.orm import Contract, Convention, ConventionAmendment, Structure
from conventions.service_layer.conventions import amendment_schedule, funding_periods_wire


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
        "renewal_bonus": legal.renewal_bonus_applies(
            Wave(convention.wave), StructureKind(structure.kind), structure.qpv_zrr
        ),
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
    }


def amendment_data(
    convention: Convention, amendment: ConventionAmendment, generated_on: date, tree: ParameterNode
) -> dict[str, Any]:
    """The avenant states the whole schedule it sets (computed when it was drafted, applied when signed)."""
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
        },
        "tranches": amendment_schedule(amendment),
        "funding_periods": funding_periods_wire(convention),
    }


def contract_avenant_data(convention: Convention, contract: Contract, generated_on: date) -> dict[str, Any]:
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
    }
