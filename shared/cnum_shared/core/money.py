"""Money: the one rounding rule, amounts and dates in French words and figures, and the wire format.

Amounts are `Decimal` from end to end. They are rounded in one place only, `quantize_cents`, so that a
convention, its tranches, a payment run and a clawback can never disagree by a cent because two pieces
of code rounded differently.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from num2words import num2words

CENT = Decimal("0.01")
FRENCH_LOCALE = "fr_FR"


def quantize_cents(value: Decimal | int | str) -> Decimal:
    """Round to the cent, half-up (half away from zero: 0.005 → 0.01, -0.005 → -0.01).

    Floats are refused: 0.1 + 0.2 is not 0.3 in binary, and a payment must not inherit that error.
    """
    # bool is an int subclass; True would silently become 1.00 €.
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"an amount must be a Decimal, an int or a string, not {type(value).__name__}")
    if isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not an amount: {value!r}") from None
    else:
        amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    # -0.001 rounds to -0.00; a document or a SEPA file must never show a negative zero.
    return rounded.copy_abs() if rounded.is_zero() else rounded


def money_str(amount: Decimal | int | str) -> str:
    """The wire format: always two decimals, a dot, no grouping ("50000.00")."""
    return f"{quantize_cents(amount):f}"


def format_eur_fr(amount: Decimal | int | str) -> str:
    """French figures with the euro sign, exactly as Babel writes them ("1 823,03 €").

    Babel separates thousands with a narrow no-break space (U+202F) and puts a no-break space (U+00A0)
    before "€"; both are kept so that a line never breaks inside an amount.
    """
    return format_currency(quantize_cents(amount), "EUR", locale=FRENCH_LOCALE)


def format_decimal_fr(value: Decimal | int) -> str:
    """A number in French notation, showing exactly the decimals the value carries ("11,88", "1 823,00").

    Babel's default pattern drops trailing zeros and stops at three decimals; a legal figure is shown as
    written instead, so the pattern is built from the value's own exponent.
    """
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int):
        raise TypeError(f"a number must be a Decimal or an int, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    exponent = number.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    pattern = "#,##0." + "0" * decimals if decimals else "#,##0"
    return format_decimal(number, format=pattern, locale=FRENCH_LOCALE)


def format_date_fr(day: date) -> str:
    """A date as a French legal text writes it: "1er janvier 2026", "15 mars 2026".

    Babel writes "1 janvier"; French typography (and every convention the agency signs) writes the
    first day of a month as an ordinal, "1er".
    """
    written = format_date(day, format="d MMMM y", locale=FRENCH_LOCALE)
    return "1er" + written[1:] if day.day == 1 else written


def month_name_fr(day: date) -> str:
    """The French name of the month `day` falls in: "janvier", "août"."""
    return format_date(day, format="MMMM", locale=FRENCH_LOCALE)


def amount_in_words_fr(amount: Decimal | int | str) -> str:
    """The amount in French words, as a convention states it ("soixante-sept mille cinq cents euros").

    num2words' own `to="currency"` mode is not used: it reads an int as cents, writes "zéro euros" and
    "et zéro centimes", and never writes "d'euros" after a round million. Only the integer spelling of
    num2words is used, which follows the traditional rules ("quatre-vingts", "cinq cents", "deux cent
    mille").
    """
    rounded = quantize_cents(amount)
    if rounded < 0:
        raise ValueError(f"a negative amount has no wording in a convention: {money_str(rounded)}")
    euros = int(rounded)
    cents = int((rounded - euros) * 100)
    words = f"{_integer_in_words(euros)} {_euro_noun(euros)}"
    if cents:
        words += f" et {_integer_in_words(cents)} {'centime' if cents == 1 else 'centimes'}"
    return words


def _integer_in_words(number: int) -> str:
    words = num2words(number, lang="fr")
    if not isinstance(words, str):  # pragma: no cover - num2words always returns str for lang="fr"
        raise TypeError("num2words returned a non-string")
    return words


def _euro_noun(euros: int) -> str:
    # French grammar: "zéro euro", "un euro", "deux euros"; after a round "million" or "milliard" the
    # noun takes "de" ("un million d'euros"), but not after "mille" ("deux mille euros").
    if euros <= 1:
        return "euro"
    if euros % 1_000_000 == 0:
        return "d'euros"
    return "euros"
