from datetime import date

import pytest

from cnum_shared.core.parameters import parameters
from conventions.demo import DEMO_STRUCTURES
from conventions.domain.structures import (
    InvalidStructure,
    StructureKind,
    check_structure,
    eligibility_violations,
    kind_of,
    normalized_iban,
    normalized_identifier,
    structure_problems,
)

TREE = parameters()

ON = date(2021, 3, 1)


@pytest.mark.parametrize("fields", DEMO_STRUCTURES, ids=lambda f: f["city"])
def test_the_demo_structures_break_no_rule(fields):
    assert structure_problems(fields, ON, tree=TREE) == {}


# Fiche programme §5.4 and FAQ a27r6c: public bodies (collectivities, their groupings, CCAS, CIAS, OPH,
# GIP of public bodies, chambres consulaires, EPA, EPIC) and private ones (associations, ESS companies,
# ESH, any non-profit private body of general interest).
PUBLIC, PRIVATE = StructureKind.PUBLIC, StructureKind.PRIVATE


@pytest.mark.parametrize(
    ("structure_type", "kind"),
    [("commune", PUBLIC), ("gip", PUBLIC), ("ccas", PUBLIC), ("cias", PUBLIC), ("oph", PUBLIC),
     ("chambre_consulaire", PUBLIC), ("epa", PUBLIC), ("epic", PUBLIC), ("groupement_collectivites", PUBLIC),
     ("service_deconcentre_etat", PUBLIC), ("association", PRIVATE), ("fondation", PRIVATE), ("esh", PRIVATE),
     ("entreprise_ess", PRIVATE)],
)  # fmt: skip
def test_each_type_belongs_to_a_kind(structure_type, kind):
    assert kind_of(structure_type, ON, tree=TREE) is kind


def test_a_state_deconcentrated_service_is_refused_by_a_named_rule():
    (violation,) = eligibility_violations("service_deconcentre_etat", ON, tree=TREE)

    assert violation.code == "state_service_not_eligible"
    assert "service déconcentré de l'État" in violation.message
    assert "a27r6c" in violation.reference
    assert eligibility_violations("ccas", ON, tree=TREE) == []
    with pytest.raises(InvalidStructure) as refused:
        check_structure({**DEMO_STRUCTURES[0], "structure_type": "service_deconcentre_etat"}, ON, tree=TREE)
    assert refused.value.problems == {}
    assert [rule.code for rule in refused.value.rules] == ["state_service_not_eligible"]


def test_only_the_fields_given_are_checked():
    assert structure_problems({"postcode": "00000"}, tree=TREE) == {}
    assert set(structure_problems({"siret": "123", "iban": "FR00", "bic": "?"}, tree=TREE)) == {
        "siret",
        "iban",
        "bic",
    }


def test_an_iban_is_stored_compact():
    assert normalized_iban("fr76 3000 1000 0000 0000 1510 029") == "FR7630001000000000001510029"
    with pytest.raises(InvalidStructure):
        normalized_iban("FR76 3000 1000 0000 0000 1510 028")


@pytest.mark.parametrize(
    ("typed", "department", "stored"),
    [
        ("211 501 879 00012", "15", "21150187900012"),
        ("1234567", "988", "1234567"),
        ("1234567.001", "988", "1234567.001"),
        ("1 234 567 001", "988", "1234567.001"),
        ("123456", "988", "0123456"),
        ("a12345", "987", "A12345"),
        ("A12345001", "987", "A12345001"),
        ("418277", "987", "418277"),
        ("21150187900012", "988", "21150187900012"),
    ],
)
def test_an_identifier_is_stored_in_one_form(typed, department, stored):
    assert normalized_identifier(typed, department) == stored


@pytest.mark.parametrize(
    ("siret", "department", "words"),
    [
        ("1234567", "15", "Un RIDET n'est accepté que pour une structure de Nouvelle-Calédonie (988)"),
        ("A12345", "988", "Identifiant invalide pour une structure de Nouvelle-Calédonie"),
        ("12345678", "988", "un RIDET de 7 chiffres"),
        ("1234567", "987", "un numéro TAHITI de 6 caractères"),
        ("AB1234", "987", "une lettre et 5 chiffres"),
        ("21150187900013", "988", "SIRET invalide"),
        ("1234567", "986", "SIRET invalide"),
    ],
)
def test_an_identifier_of_another_territory_or_form_is_refused_in_french(siret, department, words):
    problems = structure_problems({"siret": siret, "department": department}, tree=TREE)

    assert words in " ".join(problems["siret"])
