"""A structure's identifier: a SIRET anywhere, a RIDET in New Caledonia, a numéro TAHITI in Polynesia."""

import re

import pytest

from cnum_shared.core.identifiers import (
    STORED_IDENTIFIER,
    IdentifierKind,
    InvalidIdentifier,
    identifier_kind,
    parse_identifier,
)
from cnum_shared.core.territories import territory


@pytest.mark.parametrize(
    ("typed", "department", "kind", "stored"),
    [
        # SIRET: 14 digits, Luhn (21150187900012: digit sum with doubling is a multiple of 10)
        ("21150187900012", "15", IdentifierKind.SIRET, "21150187900012"),
        ("211 501 879 00012", "988", IdentifierKind.SIRET, "21150187900012"),
        # RIDET: 7 digits (a 6-digit one gets its leading zero), establishment after a dot
        ("1234567", "988", IdentifierKind.RIDET, "1234567"),
        ("123456", "988", IdentifierKind.RIDET, "0123456"),
        ("1234567.002", "988", IdentifierKind.RIDET, "1234567.002"),
        ("1234567002", "988", IdentifierKind.RIDET, "1234567.002"),
        ("123456.002", "988", IdentifierKind.RIDET, "0123456.002"),
        # numéro TAHITI: a letter and 5 digits (6 digits before October 2011), then 3 for the establishment
        ("B07465", "987", IdentifierKind.TAHITI, "B07465"),
        ("b07465 001", "987", IdentifierKind.TAHITI, "B07465001"),
        ("418277", "987", IdentifierKind.TAHITI, "418277"),
    ],
)
def test_each_form_is_read_and_stored_once(typed, department, kind, stored):
    parsed = parse_identifier(typed, territory(department))

    assert (parsed.kind, parsed.value) == (kind, stored)
    assert re.fullmatch(STORED_IDENTIFIER, parsed.value)
    assert identifier_kind(parsed.value) is kind


@pytest.mark.parametrize(
    ("typed", "department"),
    [
        ("21150187900013", "15"),  # Luhn fails
        ("1234567", "75"),  # a RIDET outside New Caledonia
        ("B07465", "988"),  # a numéro TAHITI in New Caledonia
        ("1234567", "987"),  # a RIDET in Polynesia
        ("12345", "988"),
        ("12345678", "988"),
        ("AB1234", "987"),
        ("B074650", "987"),
        ("１２３４５６７", "988"),  # full-width digits
        ("", "15"),
    ],
)
def test_anything_else_is_refused_in_french(typed, department):
    with pytest.raises(InvalidIdentifier) as refused:
        parse_identifier(typed, territory(department))

    assert str(refused.value).startswith(("SIRET invalide", "Identifiant invalide"))


def test_without_a_territory_only_a_siret_is_valid():
    assert parse_identifier("21150187900012", None).kind is IdentifierKind.SIRET
    with pytest.raises(InvalidIdentifier):
        parse_identifier("1234567", None)
