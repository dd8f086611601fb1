"""What an avenant changes of the tranches already settled: the regularisation it states (DESIGN §4).

The rule payments applied on its own until issue 17, moved here so that one service owns the figure the
signed avenant states (decision 0025). A tranche still to pay simply takes its new amount. A tranche
already approved or paid keeps what was approved or paid; the difference between the avenant's amount
and what the tranche already stands for (its amount, plus its supplementary lines, less what earlier
avenants claim back of it) is:

- positive: a supplementary payable line of that difference;
- negative: the supplementary lines of that tranche not yet approved are reduced first (nothing was paid
  of them), and the rest is to recover.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(frozen=True)
class Settlement:
    """What payments says of one tranche of the convention, with its supplementary lines."""

    #: "approved" or "paid": the state of the tranche itself (its supplementary lines aside).
    status: str
    #: Paid of the tranche and of its supplementary lines (a payment the bank returned is not paid).
    paid: Decimal
    #: The supplementary lines of the tranche that earlier avenants stated and that are not yet approved.
    unpaid_supplements: Decimal


@dataclass(frozen=True)
class TrancheRegularisation:
    """One tranche as an avenant states it, with the regularisation of what was already settled."""

    number: int
    #: The amount the avenant states for the tranche.
    amount: Decimal
    #: "approved" or "paid" when the tranche was settled as the avenant was drawn up, else None.
    settled: str | None
    #: What a settled tranche stood for before the avenant; None when it was not settled.
    stands_for: Decimal | None
    #: Paid of the tranche (and its supplementary lines) when it was settled; None when it was not.
    already_paid: Decimal | None
    #: A new supplementary payable line.
    supplement: Decimal
    #: Taken off the tranche's supplementary lines not yet approved.
    supplement_reduced: Decimal
    #: To recover from the structure; None when the tranche was not settled.
    to_recover: Decimal | None


def regularise(
    revised: Mapping[int, Decimal],
    before: Mapping[int, Decimal],
    settlements: Mapping[int, Settlement],
) -> list[TrancheRegularisation]:
    """Each tranche of `revised` (number → the avenant's amount) against `before` (number → what the
    tranche stood for under the convention as signed until then) and the `settlements` payments reported
    (number → Settlement, only for tranches approved or paid)."""
    rows = []
    for number, amount in sorted(revised.items()):
        settlement = settlements.get(number)
        if settlement is None:
            rows.append(TrancheRegularisation(number, amount, None, None, None, ZERO, ZERO, None))
            continue
        stands_for = before[number]
        difference = amount - stands_for
        supplement = max(difference, ZERO)
        owed_back = max(-difference, ZERO)
        reduced = min(owed_back, settlement.unpaid_supplements)
        rows.append(
            TrancheRegularisation(
                number=number,
                amount=amount,
                settled=settlement.status,
                stands_for=stands_for,
                already_paid=settlement.paid,
                supplement=supplement,
                supplement_reduced=reduced,
                to_recover=owed_back - reduced,
            )
        )
    return rows
