"""Why a tranche may not be approved or paid: every reason at once (a 409 lists them all)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from cnum_shared.core.legal import Smic
from cnum_shared.core.money import format_date_fr, format_eur_fr


class ReasonCode(StrEnum):
    OVERDUE_OBLIGATION = "overdue_obligation"
    BELOW_SMIC = "below_smic"
    STANDING_UNKNOWN = "standing_unknown"
    NOT_DUE = "not_due"
    OUT_OF_ORDER = "out_of_order"
    ON_HOLD = "on_hold"


@dataclass(frozen=True)
class BlockingReason:
    code: ReasonCode
    message: str


@dataclass(frozen=True)
class OverdueObligation:
    kind: str
    due_on: date


@dataclass(frozen=True)
class Standing:
    """What compliance last said of the structure (None when it never did: fail closed)."""

    blocking: bool
    overdue: tuple[OverdueObligation, ...]
    as_of: date


@dataclass(frozen=True)
class ContractPay:
    """A contract active on the day, and its salary that day."""

    reference: str
    salary: Decimal


@dataclass(frozen=True)
class Hold:
    reason: str
    programme_wide: bool


_OBLIGATION_LABELS = {
    "candidate_selection": "sélection d'un candidat",
    "contract_signature": "signature du contrat",
    "training_entry": "entrée en formation",
    "certification_exams": "passage de Pix et du CCP1",
    "thematic_modules": "modules thématiques",
    "equipment": "équipement du conseiller",
    "activity_reporting": "comptes rendus d'activité",
    "post_refill": "remplacement sur le poste",
    "final_report": "bilan final",
    "candidate_presentation": "présentation d'un candidat sur un poste",
    "continuing_training": "module annuel de formation continue",
}


def blocking_reasons(
    *,
    status: str,
    earlier_unsettled: list[int],
    standing: Standing | None,
    contracts: list[ContractPay],
    smic: Smic | None,
    holds: list[Hold],
) -> list[BlockingReason]:
    """Every gate of DESIGN §4 the tranche fails on the approval day (empty: it may be approved)."""
    reasons: list[BlockingReason] = []
    if status == "scheduled":
        reasons.append(BlockingReason(ReasonCode.NOT_DUE, "La tranche n'est pas encore échue."))
    if earlier_unsettled:
        numbers = ", ".join(str(number) for number in earlier_unsettled)
        reasons.append(
            BlockingReason(
                ReasonCode.OUT_OF_ORDER,
                f"Les tranches se versent dans l'ordre : tranche(s) {numbers} d'abord.",
            )
        )
    for hold in holds:
        scope = "pour tout le programme" if hold.programme_wide else "pour cette structure"
        reasons.append(BlockingReason(ReasonCode.ON_HOLD, f"Paiements suspendus {scope} : {hold.reason}"))
    if standing is None:
        reasons.append(
            BlockingReason(
                ReasonCode.STANDING_UNKNOWN,
                "La situation de la structure au regard de ses obligations n'est pas connue du service de "
                "conformité : l'approbation attend qu'elle le soit.",
            )
        )
    elif standing.blocking:
        for obligation in standing.overdue:
            label = _OBLIGATION_LABELS.get(obligation.kind, obligation.kind)
            reasons.append(
                BlockingReason(
                    ReasonCode.OVERDUE_OBLIGATION,
                    f"Obligation en retard : {label}, échue le {format_date_fr(obligation.due_on)}.",
                )
            )
    if smic is not None:
        for contract in contracts:
            if contract.salary < smic.monthly:
                reasons.append(
                    BlockingReason(
                        ReasonCode.BELOW_SMIC,
                        f"Contrat {contract.reference} : salaire de {format_eur_fr(contract.salary)} "
                        f"inférieur au SMIC brut mensuel de {format_eur_fr(smic.monthly)} "
                        f"en vigueur depuis le {format_date_fr(smic.effective_from)}.",
                    )
                )
    return reasons
