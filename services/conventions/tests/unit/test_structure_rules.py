import pytest

from conventions.demo import DEMO_STRUCTURES
from conventions.domain.structures import (
    InvalidStructure,
    StructureKind,
    StructureType,
    kind_of,
    normalized_iban,
    structure_problems,
)


@pytest.mark.parametrize("fields", DEMO_STRUCTURES, ids=lambda f: f["city"])
def test_the_demo_structures_break_no_rule(fields):
    assert structure_problems(fields) == {}


@pytest.mark.parametrize(
    ("structure_type", "kind"),
    [(StructureType.COMMUNE, StructureKind.PUBLIC), (StructureType.GIP, StructureKind.PUBLIC),
     (StructureType.ASSOCIATION, StructureKind.PRIVATE), (StructureType.FONDATION, StructureKind.PRIVATE)],
)  # fmt: skip
def test_each_type_belongs_to_a_kind(structure_type, kind):
    assert kind_of(structure_type) is kind


def test_only_the_fields_given_are_checked():
    assert structure_problems({"postcode": "00000"}) == {}
    assert set(structure_problems({"siret": "123", "iban": "FR00", "bic": "?"})) == {"siret", "iban", "bic"}


def test_an_iban_is_stored_compact():
    assert normalized_iban("fr76 3000 1000 0000 0000 1510 029") == "FR7630001000000000001510029"
    with pytest.raises(InvalidStructure):
        normalized_iban("FR76 3000 1000 0000 0000 1510 028")
