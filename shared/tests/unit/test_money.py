from datetime import date
from decimal import Decimal

import pytest

from cnum_shared.core.money import (
    amount_in_words_fr,
    format_date_fr,
    format_decimal_fr,
    format_eur_fr,
    money_str,
    quantize_cents,
)

NARROW_NBSP = "\u202f"
NBSP = "\xa0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("2.675", "2.68"),
        ("-2.675", "-2.68"),
        ("1823.025", "1823.03"),
        (Decimal("1823.0333333"), "1823.03"),
        (3, "3.00"),
        ("1e3", "1000.00"),
        (" 12.5 ", "12.50"),
    ],
)
def test_amounts_are_rounded_half_up_to_the_cent(value, expected):
    rounded = quantize_cents(value)
    assert rounded == Decimal(expected)
    assert rounded.as_tuple().exponent == -2


def test_a_tiny_negative_amount_rounds_to_a_plain_zero():
    assert str(quantize_cents("-0.001")) == "0.00"


@pytest.mark.parametrize("value", [0.1, 1.0, True])
def test_floats_and_booleans_are_refused(value):
    with pytest.raises(TypeError, match="Decimal, an int or a string"):
        quantize_cents(value)


@pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity"])
def test_text_that_is_not_an_amount_is_refused(value):
    with pytest.raises(ValueError, match="amount"):
        quantize_cents(value)


@pytest.mark.parametrize(
    ("amount", "wire"),
    [(Decimal("50000"), "50000.00"), ("1823.025", "1823.03"), (Decimal("5E+4"), "50000.00"), (0, "0.00")],
)
def test_the_wire_format_always_has_two_decimals(amount, wire):
    assert money_str(amount) == wire


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("67500.00", "soixante-sept mille cinq cents euros"),
        ("50000", "cinquante mille euros"),
        ("70000", "soixante-dix mille euros"),
        ("42500", "quarante-deux mille cinq cents euros"),
        ("44000", "quarante-quatre mille euros"),
        ("32000", "trente-deux mille euros"),
        ("500", "cinq cents euros"),
        ("580", "cinq cent quatre-vingts euros"),
        ("80", "quatre-vingts euros"),
        ("81", "quatre-vingt-un euros"),
        ("71", "soixante et onze euros"),
        ("200000", "deux cent mille euros"),
        ("280000", "deux cent quatre-vingt mille euros"),
        ("1", "un euro"),
        ("2", "deux euros"),
        ("1823.03", "mille huit cent vingt-trois euros et trois centimes"),
        ("21.80", "vingt et un euros et quatre-vingts centimes"),
        ("0.50", "zéro euro et cinquante centimes"),
        ("0.01", "zéro euro et un centime"),
        ("0", "zéro euro"),
        ("1000000", "un million d'euros"),
        ("2000000", "deux millions d'euros"),
        ("1500000", "un million cinq cent mille euros"),
        ("135000", "cent trente-cinq mille euros"),
    ],
)
def test_amounts_in_french_words(amount, words):
    assert amount_in_words_fr(Decimal(amount)) == words


def test_words_are_given_for_the_rounded_amount():
    assert amount_in_words_fr(Decimal("0.005")) == "zéro euro et un centime"


def test_a_negative_amount_has_no_words():
    with pytest.raises(ValueError, match="negative"):
        amount_in_words_fr(Decimal("-1"))


@pytest.mark.parametrize(
    ("amount", "figures"),
    [
        (Decimal("1823.03"), f"1{NARROW_NBSP}823,03{NBSP}€"),
        (Decimal("67500"), f"67{NARROW_NBSP}500,00{NBSP}€"),
        (Decimal("0.5"), f"0,50{NBSP}€"),
        (Decimal("1234567.891"), f"1{NARROW_NBSP}234{NARROW_NBSP}567,89{NBSP}€"),
        (Decimal("2.675"), f"2,68{NBSP}€"),  # our half-up rounding, not Babel's half-even
    ],
)
def test_euros_in_french_figures_exactly_as_babel_writes_them(amount, figures):
    assert format_eur_fr(amount) == figures


@pytest.mark.parametrize(
    ("value", "figures"),
    [
        (Decimal("1234.5"), f"1{NARROW_NBSP}234,5"),
        (Decimal("11.88"), "11,88"),
        (Decimal("1823.00"), f"1{NARROW_NBSP}823,00"),
        (Decimal("0.40"), "0,40"),
        (35, "35"),
        (Decimal("5E+1"), "50"),
    ],
)
def test_numbers_in_french_keep_the_decimals_they_carry(value, figures):
    assert format_decimal_fr(value) == figures


def test_a_float_is_not_formatted():
    with pytest.raises(TypeError, match="Decimal or an int"):
        format_decimal_fr(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2026, 1, 1), "1er janvier 2026"),
        (date(2025, 5, 14), "14 mai 2025"),
        (date(2023, 8, 31), "31 août 2023"),
    ],
)
def test_dates_in_french(day, text):
    assert format_date_fr(day) == text


def test_the_months_are_named_in_french():
    from cnum_shared.core.money import month_name_fr

    assert [month_name_fr(date(2026, month, 15)) for month in (1, 2, 8, 12)] == [
        "janvier",
        "février",
        "août",
        "décembre",
    ]
