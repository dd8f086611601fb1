"""The gates of DESIGN §4, pure: every reason a tranche may not be approved, all at once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cnum_shared.core.legal import Smic
from cnum_shared.core.territories import SmicZone
from payments.domain.gates import ContractPay, Hold, OverdueObligation, ReasonCode, Standing, blocking_reasons

CLEAN = Standing(blocking=False, overdue=(), as_of=date(2026, 1, 1))
SMIC = Smic(
    zone=SmicZone.METROPOLE,
    hourly=Decimal("11.88"),
    monthly=Decimal("1801.80"),
    effective_from=date(2025, 11, 1),
    reference="décret",
)


def codes(**facts):
    defaults = {
        "status": "due",
        "earlier_unsettled": [],
        "standing": CLEAN,
        "contracts": [],
        "smic": None,
        "holds": [],
    }
    return [reason.code for reason in blocking_reasons(**{**defaults, **facts})]


def test_a_due_tranche_of_a_structure_in_good_standing_passes():
    assert codes() == []


def test_an_unknown_standing_fails_closed():
    assert codes(standing=None) == [ReasonCode.STANDING_UNKNOWN]


def test_a_blocking_standing_names_each_overdue_obligation():
    standing = Standing(
        blocking=True,
        overdue=(
            OverdueObligation("equipment", date(2025, 12, 1)),
            OverdueObligation("other", date(2025, 6, 1)),
        ),
        as_of=date(2026, 1, 1),
    )

    reasons = blocking_reasons(
        status="due", earlier_unsettled=[], standing=standing, contracts=[], smic=None, holds=[]
    )

    assert [r.message for r in reasons] == [
        "Obligation en retard : équipement du conseiller, échue le 1er décembre 2025.",
        "Obligation en retard : other, échue le 1er juin 2025.",
    ]


def test_a_standing_with_overdue_items_but_not_blocking_passes():
    standing = Standing(
        blocking=False, overdue=(OverdueObligation("equipment", date(2025, 12, 1)),), as_of=date(2026, 1, 1)
    )
    assert codes(standing=standing) == []


def test_a_salary_below_the_smic_blocks_and_one_at_the_smic_passes():
    below = ContractPay("1a2b3c4d", SMIC.monthly - Decimal("0.01"))
    at = ContractPay("5e6f7a8b", SMIC.monthly)

    reasons = blocking_reasons(
        status="due", earlier_unsettled=[], standing=CLEAN, contracts=[below, at], smic=SMIC, holds=[]
    )

    assert [r.code for r in reasons] == [ReasonCode.BELOW_SMIC]
    assert reasons[0].message == (
        "Contrat 1a2b3c4d : salaire de 1\u202f801,79\xa0€ inférieur au SMIC brut mensuel de "
        "1\u202f801,80\xa0€ en vigueur depuis le 1er novembre 2025."
    )


def test_order_holds_and_due_date_each_have_their_reason():
    assert codes(
        status="scheduled",
        earlier_unsettled=[1, 2],
        holds=[Hold("gel", True), Hold("contrôle", False)],
    ) == [ReasonCode.NOT_DUE, ReasonCode.OUT_OF_ORDER, ReasonCode.ON_HOLD, ReasonCode.ON_HOLD]
    reasons = blocking_reasons(
        status="due",
        earlier_unsettled=[1, 2],
        standing=CLEAN,
        contracts=[],
        smic=None,
        holds=[Hold("gel", True), Hold("contrôle", False)],
    )
    assert [r.message for r in reasons] == [
        "Les tranches se versent dans l'ordre : tranche(s) 1, 2 d'abord.",
        "Paiements suspendus pour tout le programme : gel",
        "Paiements suspendus pour cette structure : contrôle",
    ]
