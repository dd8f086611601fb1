"""Issue 14, point 4: the corrected parameters, each through the HTTP API (SQLite and PostgreSQL).

Every expected figure is worked out here from DESIGN.md §3 and the source the parameter cites, never
from the code's own helpers: private conventions of 18 months at 32 000 € (ANCT's open-data formula, FAQ
15gvzzn); the renewal bonus for a QPV or a ZRR, an FRR from 1 July 2024, named in the documents as on
the convention's start; Saint-Martin and the Pacific collectivities at the standard 50 000 €; the RIDET
and the numéro TAHITI where no SIRET exists; the eligible structure types and the State's services
refused by a named rule; no contract where the SMIC does not apply.
"""

import io

import docx
import pytest
from sqlalchemy import func, select

from cnum_shared.testing import bearer
from conventions.adapters.orm import Contract, Structure, event_tables
from conventions.demo import DEMO_STRUCTURES

SAINT_FLOUR = DEMO_STRUCTURES[0]  # public, Cantal (15), in a QPV/ZRR
ASSOCIATION = DEMO_STRUCTURES[1]  # private, Val-de-Marne (94)
MAMOUDZOU = DEMO_STRUCTURES[4]  # public, Mayotte (976), in a QPV/ZRR
TAMPON = DEMO_STRUCTURES[3]  # public, La Réunion (974), not in a QPV/ZRR


def structure_in(department, postcode, **changes):
    """Saint-Flour's details moved to another territory (identity fields only)."""
    return {**SAINT_FLOUR, "department": department, "postcode": postcode, **changes}


NOUMEA = structure_in("988", "98800", name="Commune de Nouméa", city="Nouméa", siret="1234567001")
PAPEETE = structure_in("987", "98714", name="Commune de Papeete", city="Papeete", siret="b07465")
MARIGOT = structure_in("978", "97150", name="Collectivité de Saint-Martin", city="Marigot")


def text_of_docx(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def convention_docx(api, convention) -> str:
    response = api.client.get(
        f"/api/v1/conventions/{convention['id']}/document?format=docx", headers=bearer("legal")
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return text_of_docx(response.data)


def count(app, table) -> int:
    with app.extensions["cnum"].database.session() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


# --- Private initial wave: 18 months, 32 000 € per post ----------------------------------------------------


def test_a_private_initial_convention_is_18_months_at_32000_per_post_paid_at_0_9_and_18_months(api):
    structure = api.call("POST", "/structures", 201, ASSOCIATION)

    convention = api.convention(structure, posts=2, start="2021-03-01", months=18)
    signed = api.call("POST", f"/conventions/{convention['id']}/sign", 200, {"signed_on": "2021-03-15"})

    # 32 000 € × 2 posts = 64 000 €; tranches 40 % 40 % 20 % = 25 600 / 25 600 / 12 800
    assert (convention["amount_per_post"], convention["total_amount"]) == ("32000.00", "64000.00")
    assert convention["end_date"] == "2022-08-31"  # 1 March 2021 + 18 months − 1 day
    # tranche 1 on signature; then start + 9 months = 1 December 2021, start + 18 months = 1 September 2022
    assert [(t["due_on"], t["amount"]) for t in signed["tranches"]] == [
        ("2021-03-15", "25600.00"),
        ("2021-12-01", "25600.00"),
        ("2022-09-01", "12800.00"),
    ]


@pytest.mark.parametrize("months", [24, 36, 20])
def test_a_private_initial_convention_of_another_length_is_refused_naming_18_months(api, app, months):
    structure = api.call("POST", "/structures", 201, ASSOCIATION)
    body = {
        "structure_id": structure["id"],
        "wave": "initial",
        "posts": 1,
        "start_date": "2021-03-01",
        "duration_months": months,
    }

    refused = api.call("POST", "/conventions", 422, body)

    message = " ".join(refused["errors"]["json"]["duration_months"])
    assert f"{months} mois pour une structure privée (vague initiale)" in message
    assert "durées possibles : 18 mois." in message
    assert api.call("GET", "/conventions", 200) == []


# --- Territories: Saint-Martin and the Pacific collectivities ----------------------------------------------


@pytest.mark.parametrize(
    ("department", "postcode", "per_post", "tranches"),
    [
        # ANCT's formula: 70 000 € only for 971/972/973 → 2 posts = 140 000 (56 000 / 56 000 / 28 000)
        ("971", "97180", "70000.00", ["56000.00", "56000.00", "28000.00"]),
        # Saint-Martin has no branch of its own: 50 000 € → 2 posts = 100 000 (40 000 / 40 000 / 20 000)
        ("978", "97150", "50000.00", ["40000.00", "40000.00", "20000.00"]),
        ("975", "97500", "50000.00", ["40000.00", "40000.00", "20000.00"]),
        ("977", "97133", "50000.00", ["40000.00", "40000.00", "20000.00"]),
        ("986", "98600", "50000.00", ["40000.00", "40000.00", "20000.00"]),
    ],
)
def test_saint_martin_and_the_collectivities_without_uplift_get_the_standard_amount(
    api, department, postcode, per_post, tranches
):
    structure = api.call("POST", "/structures", 201, structure_in(department, postcode))

    convention = api.convention(structure, posts=2, start="2021-03-01", months=24)

    assert convention["amount_per_post"] == per_post
    assert [t["amount"] for t in convention["tranches"]] == tranches


def test_a_new_caledonian_structure_registers_with_its_ridet_and_gets_50000_per_post(api, app):
    structure = api.call("POST", "/structures", 201, NOUMEA)

    assert (structure["department"], structure["siret"], structure["identifier_kind"]) == (
        "988",
        "1234567.001",
        "ridet",
    )
    convention = api.convention(structure, posts=1, start="2021-03-01", months=24)
    # 50 000 € × 1 post; 40 % / 40 % / 20 % = 20 000 / 20 000 / 10 000
    assert [t["amount"] for t in convention["tranches"]] == ["20000.00", "20000.00", "10000.00"]
    with app.extensions["cnum"].database.session() as session:
        ((event_type, data),) = session.execute(
            select(event_tables.outbox.c.type, event_tables.outbox.c.data)
        ).all()
    assert (event_type, data["siret"], data["department"]) == ("structure.updated", "1234567.001", "988")


def test_a_polynesian_structure_registers_with_its_numero_tahiti(api):
    structure = api.call("POST", "/structures", 201, PAPEETE)

    assert (structure["siret"], structure["identifier_kind"]) == ("B07465", "tahiti")
    assert api.call("GET", f"/structures/{structure['id']}", 200)["siret"] == "B07465"


def test_a_structure_of_a_pacific_collectivity_may_also_have_a_siret(api):
    structure = api.call("POST", "/structures", 201, structure_in("988", "98800"))

    assert (structure["siret"], structure["identifier_kind"]) == (SAINT_FLOUR["siret"], "siret")


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        (structure_in("15", "15100", siret="1234567"), "Un RIDET n'est accepté que pour une structure de"),
        (structure_in("988", "98800", siret="B07465"), "Identifiant invalide pour une structure de"),
        (structure_in("988", "98800", siret="12345678"), "un RIDET de 7 chiffres"),
        (structure_in("987", "98714", siret="1234567"), "un numéro TAHITI de 6 caractères"),
        (structure_in("987", "98714", siret="AB12345"), "une lettre et 5 chiffres"),
        (structure_in("988", "98800", siret="21150187900013"), "SIRET invalide"),
        (structure_in("988", "98714"), "n'appartient pas au département 988"),
    ],
)
def test_an_identifier_or_postcode_of_another_territory_is_a_422_in_french(api, app, fields, words):
    refused = api.call("POST", "/structures", 422, fields)

    assert words in " ".join(
        message for messages in refused["errors"]["json"].values() for message in messages
    )
    assert count(app, Structure) == 0
    assert count(app, event_tables.outbox) == 0


def test_the_same_ridet_typed_twice_differently_is_a_409(api):
    api.call("POST", "/structures", 201, NOUMEA)

    refused = api.call("POST", "/structures", 409, {**NOUMEA, "siret": "1234567.001", "name": "Autre"})

    assert "1234567.001" in refused["message"]


def test_a_structure_with_a_ridet_cannot_move_out_of_new_caledonia(api):
    structure = api.call("POST", "/structures", 201, NOUMEA)

    refused = api.call(
        "PATCH", f"/structures/{structure['id']}", 422, {"department": "75", "postcode": "75001"}
    )

    assert "Un RIDET n'est accepté que pour une structure de" in refused["errors"]["json"]["siret"][0]
    assert api.call("GET", f"/structures/{structure['id']}", 200)["department"] == "988"


def test_a_structure_changes_its_siret_for_a_ridet_when_it_is_in_new_caledonia(api):
    structure = api.call("POST", "/structures", 201, structure_in("988", "98800"))

    changed = api.call("PATCH", f"/structures/{structure['id']}", 200, {"siret": "654321"})

    assert (changed["siret"], changed["identifier_kind"]) == ("0654321", "ridet")


# --- No SMIC in Wallis-et-Futuna, French Polynesia, New Caledonia -------------------------------------------


def _advisor(api, structure_id):
    body = {
        "first_name": "Kanté",
        "last_name": "Wamytan",
        "birth_date": "1990-05-04",
        "email": "k.wamytan@example.org",
        "structure_id": structure_id,
    }
    return api.call("POST", "/advisors", 201, body)


def _contract(api, convention, expected, **changes):
    body = {
        "advisor_id": _advisor(api, convention["structure_id"])["id"],
        "contract_type": "cdd",
        "start_date": "2021-04-01",
        "end_date": "2022-12-31",
        "weekly_hours": "35",
        "gross_monthly_salary": "1700.00",
        "signed_on": "2021-03-20",
        **changes,
    }
    return api.call("POST", f"/conventions/{convention['id']}/contracts", expected, body)


def test_no_contract_is_recorded_where_the_smic_does_not_apply(api, app):
    structure = api.call("POST", "/structures", 201, NOUMEA)
    convention = api.convention(structure, posts=1, start="2021-03-01", months=24, signed_on="2021-03-15")

    refused = _contract(api, convention, 422)

    ((rule,),) = [refused["errors"]["rules"]]
    assert rule["code"] == "no_smic_in_territory"
    assert rule["message"].startswith(
        "Nouvelle-Calédonie : Le SMIC ne s'applique pas dans cette collectivité"
    )
    assert "smic_monthly" not in refused["errors"]
    assert count(app, Contract) == 0


def test_a_structure_with_contracts_cannot_move_where_the_smic_does_not_apply(api):
    structure = api.call("POST", "/structures", 201, SAINT_FLOUR)
    convention = api.convention(structure, posts=1, start="2021-03-01", months=24, signed_on="2021-03-15")
    # the SMIC of 1 January 2021: 10.25 × 35 × 52 / 12 = 1 554.58 €; 1 700 € is above it
    _contract(api, convention, 201)

    refused = api.call(
        "PATCH", f"/structures/{structure['id']}", 422, {"department": "988", "postcode": "98800"}
    )

    assert "où le SMIC ne s'applique pas" in refused["errors"]["json"]["department"][0]


# --- Structure types ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("structure_type", "kind"),
    [
        ("ccas", "public"),
        ("cias", "public"),
        ("oph", "public"),
        ("chambre_consulaire", "public"),
        ("epa", "public"),
        ("epic", "public"),
        ("groupement_collectivites", "public"),
        ("gip", "public"),
        ("esh", "private"),
        ("entreprise_ess", "private"),
        ("association", "private"),
    ],
)
def test_each_eligible_type_of_the_faq_registers_with_its_kind(api, structure_type, kind):
    structure = api.call(
        "POST", "/structures", 201, {**SAINT_FLOUR, "structure_type": structure_type, "kind": kind}
    )

    assert (structure["structure_type"], structure["kind"]) == (structure_type, kind)


@pytest.mark.parametrize(
    ("structure_type", "kind", "words"),
    [
        ("esh", "public", "est celui d'une structure privée"),
        ("ccas", "private", "est celui d'une structure publique"),
        ("epic", "private", "est celui d'une structure publique"),
    ],
)
def test_a_type_and_a_kind_that_disagree_are_a_422(api, app, structure_type, kind, words):
    refused = api.call(
        "POST", "/structures", 422, {**SAINT_FLOUR, "structure_type": structure_type, "kind": kind}
    )

    assert words in refused["errors"]["json"]["structure_type"][0]
    assert count(app, Structure) == 0


def test_a_state_deconcentrated_service_is_refused_by_a_named_rule(api, app):
    refused = api.call(
        "POST", "/structures", 422, {**SAINT_FLOUR, "structure_type": "service_deconcentre_etat"}
    )

    (rule,) = refused["errors"]["rules"]
    assert rule["code"] == "state_service_not_eligible"
    assert rule["message"] == (
        "Une structure de type « service déconcentré de l'État » n'est pas éligible au dispositif "
        "Conseiller numérique et ne peut pas être enregistrée."
    )
    assert "Les services déconcentrés de l'État ne sont pas éligibles" in rule["reference"]
    assert refused["message"] == rule["message"]
    assert count(app, Structure) == 0
    assert count(app, event_tables.outbox) == 0


def test_a_structure_cannot_become_a_state_deconcentrated_service(api):
    structure = api.call("POST", "/structures", 201, SAINT_FLOUR)

    refused = api.call(
        "PATCH", f"/structures/{structure['id']}", 422, {"structure_type": "service_deconcentre_etat"}
    )

    assert [rule["code"] for rule in refused["errors"]["rules"]] == ["state_service_not_eligible"]
    assert api.call("GET", f"/structures/{structure['id']}", 200)["structure_type"] == "commune"


def test_an_unknown_type_is_a_422_naming_the_field(api):
    refused = api.call("POST", "/structures", 422, {**SAINT_FLOUR, "structure_type": "prefecture"})

    assert "structure_type" in refused["errors"]["json"]


# --- The renewal bonus: QPV or ZRR, then QPV or FRR from 1 July 2024, named as on the convention's start ----


def _renewal(api, fields, start):
    """A renewal of a public structure in a QPV/ZRR, after its signed initial convention (DESIGN §3)."""
    structure = api.call("POST", "/structures", 201, fields)
    api.convention(structure, posts=1, start="2021-03-01", months=24, signed_on="2021-03-15")
    return api.convention(structure, wave="renewal", posts=1, start=start, months=36, signed_on=start)


# The bonus is what the zones add to the public amounts (DESIGN §3): 20 000 − 17 500 = 2 500 € in year 1,
# 17 500 − 12 500 = 5 000 € in year 2, nothing in year 3.
BONUS = (
    "par poste. Ce montant comprend la bonification du renouvellement accordée aux structures publiques "
    "situées en quartier prioritaire de la politique de la ville (QPV) ou {zone}, soit 2 500,00 € la "
    "première année et 5 000,00 € la deuxième année."
)


@pytest.mark.parametrize(
    ("fields", "start", "zone"),
    [
        (SAINT_FLOUR, "2024-06-01", "zone de revitalisation rurale (ZRR)"),
        (MAMOUDZOU, "2024-07-01", "zone France Ruralités Revitalisation (FRR)"),
        (SAINT_FLOUR, "2025-01-06", "zone France Ruralités Revitalisation (FRR)"),
    ],
)
def test_the_convention_names_the_bonus_zone_in_force_on_its_start(api, fields, start, zone):
    convention = _renewal(api, fields, start)

    # public in a QPV/ZRR or FRR: 20 000 + 17 500 + 12 500 = 50 000 € per post, the same under both names
    assert convention["amount_per_post"] == "50000.00"
    assert [t["amount"] for t in convention["tranches"]] == ["20000.00", "17500.00", "12500.00"]
    text = convention_docx(api, convention)
    # Amounts are written with no-break spaces (Babel's French format): compare with plain spaces.
    assert BONUS.format(zone=zone) in text.replace("\u202f", " ").replace("\xa0", " ")
    other = "ZRR" if "FRR" in zone else "FRR"
    assert f"({other})" not in text


def test_a_renewal_without_the_bonus_names_no_zone(api):
    convention = _renewal(api, TAMPON, "2024-09-02")

    # public outside the zones: 17 500 + 12 500 + 12 500 = 42 500 € per post
    assert convention["amount_per_post"] == "42500.00"
    text = convention_docx(api, convention)
    assert "par poste.\n" in text
    assert "bonification" not in text
    assert "(ZRR)" not in text and "(FRR)" not in text


def test_the_convention_names_the_ridet_of_a_new_caledonian_structure(api):
    structure = api.call("POST", "/structures", 201, NOUMEA)
    convention = api.convention(structure, posts=1, start="2021-03-01", months=24)

    text = convention_docx(api, convention)

    assert "immatriculée sous le numéro RIDET 1234567.001" in text
    assert "(Nouvelle-Calédonie)" in text
