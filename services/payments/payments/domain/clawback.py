"""What a structure pays back when a post ends early (DESIGN §4), as a pure rule."""

from __future__ import annotations

from decimal import Decimal

from cnum_shared.money import quantize_cents


def recoverable(
    *, paid_per_post: Decimal, amount_per_post: Decimal, months_started: int, funded_months: int
) -> Decimal:
    """max(0, paid per post − amount per post × months started up to the end ÷ funded months)."""
    earned = amount_per_post * min(months_started, funded_months) / funded_months
    return max(Decimal(0), quantize_cents(paid_per_post - earned))
