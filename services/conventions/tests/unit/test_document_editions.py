"""The shipped templates write no number of the law, and each edition says what its period's law says."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from docx import Document

from cnum_shared.core import legal
from cnum_shared.core.parameters import parameters
from conventions.adapters.document_context import template_context
from conventions.adapters.documents import render_docx
from conventions.domain.documents import EDITIONS
from conventions.service_layer.documents.content import law_data
from conventions.templates import build

TEMPLATE_NAMES = ("convention", "convention_avenant", "contract_avenant", "final_statement", "recovery_order")
SHIPPED = [(name, code) for name in TEMPLATE_NAMES for code in EDITIONS]

#: The digits a template may write outside placeholders: the names of legal texts and articles, the
#: Caisse des Dépôts' address, French ordinals. None is a figure the engine computes with.
ALLOWED = (
    "loi n° 2020-1721 du 29 décembre 2020",
    "loi n° 2000-321 du 12 avril 2000",
    "article 10-1",
    "article 10",
    "circulaire interministérielle du 21 janvier 2021",
    "TERB2102382J",
    "loi du 28 avril 1816",
    "L. 518-2",
    "56, rue de Lille, 75007 Paris",
    "article 1218",
    "règlement (UE) 2016/679 du 27 avril 2016",
    "article 6, paragraphe 1",
    "articles 21 à 79-III",
    "droit local des associations de 1908",
    "loi du 1er juillet 1901",
    "CCP1",
    "1°",
    "2°",
    "3°",
    "de finances pour 2021",
)


def text_outside_placeholders(name: str, edition: str) -> str:
    path = build.shipped_path(name, edition)
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        xml = "".join(
            archive.read(member).decode("utf-8")
            for member in archive.namelist()
            if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", member)
        )
    text = " ".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml)).replace("\u00a0", " ")
    return re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", text)


@pytest.mark.parametrize(("name", "edition"), SHIPPED)
def test_no_template_writes_a_number_of_the_law(name, edition):
    text = text_outside_placeholders(name, edition)
    for allowed in sorted(ALLOWED, key=len, reverse=True):
        text = text.replace(allowed, " ")
    # The document's own article numbers, and the page fields' stand-in "1" of the footer.
    text = re.sub(r"[Aa]rticle \d+|page\s+1\s+sur\s+1", " ", text)

    assert re.findall(r".{0,30}\d.{0,30}", text) == []


def test_the_title_of_2025_the_training_paths_and_the_refill_rule_appear_from_their_edition():
    def says(edition: str, words: str) -> bool:
        return words in text_outside_placeholders("convention", edition)

    for edition in EDITIONS:
        assert says(edition, "« médiateur numérique »") is (edition == "title_2025")
        # Before 13 July 2025 the post is never called by the title it did not have yet.
        for template in TEMPLATE_NAMES:
            written = text_outside_placeholders(template, edition)
            assert ("médiateur numérique" in written) is (edition == "title_2025"), (template, edition)
        assert says(edition, "La Coop de la médiation numérique") is (
            EDITIONS.index(edition) >= EDITIONS.index("coop_2024")
        )
        assert says(edition, "le poste est restitué à l'État") is (
            EDITIONS.index(edition) >= EDITIONS.index("refill_2025")
        )


# --- What each case of a text states, rendered (DOCX text) ------------------------------------------------

TREE = parameters()


def rendered_text(name: str, data: dict) -> str:
    """The document rendered in the edition in force on its legal date, as a reader sees its text."""
    legal_date = data["_legal_date"]
    edition = legal.template_edition(legal_date, tree=TREE)
    content = render_docx(
        build.shipped_path(name, edition).read_bytes(),
        template_context(name, {k: v for k, v in data.items() if k != "_legal_date"}, tree=TREE),
    )
    document = Document(io.BytesIO(content))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return re.sub(r"\s+", " ", "\n".join(parts).replace("\u00a0", " ").replace("\u202f", " "))


def a_structure(**fields) -> dict:
    return {
        "name": "Commune de Saint-Flour",
        "siret": "21150187900012",
        "kind": "public",
        "structure_type": "commune",
        "address": "Place d'Armes",
        "postcode": "15100",
        "city": "Saint-Flour",
        "department": "15",
        "email": "mediation@saint-flour.example",
        "iban": "FR7630001000000000001510029",
        "bic": "BDFEFRPP",
        "legal_representative": None,
        **fields,
    }


def a_convention(on: date, *, wave: str, structure: dict, yearly=(), bonuses=(), bonus=False) -> dict:
    """A convention started and signed on `on`, with the amounts given (worked out by each test)."""
    amount = sum(yearly, Decimal(0)) if yearly else Decimal("50000.00")
    rural = (
        "zone France Ruralités Revitalisation (FRR)"
        if on >= date(2024, 7, 1)
        else "zone de revitalisation rurale (ZRR)"
    )
    return {
        "_legal_date": on,
        "document": {"reference": "CNUM-TEST", "generated_on": on},
        "structure": structure,
        "convention": {
            "reference": "CNUM-TEST",
            "wave": wave,
            "posts": 1,
            "start_date": on,
            "end_date": on,
            "duration_months": 36 if wave == "renewal" else 24,
            "funded_months": 36 if wave == "renewal" else 24,
            "amount_per_post": amount,
            "total_amount": amount,
            "signed_on": on,
            "bonus_zones": "QPV ou FRR",
            "bonus_zones_label": f"quartier prioritaire de la politique de la ville (QPV) ou {rural}",
            "renewal_bonus": bonus,
            "yearly_amounts": list(yearly),
            "yearly_bonuses": list(bonuses),
        },
        "tranches": [{"number": 1, "due_on": on, "amount": amount}],
        "funding_periods": [
            {
                "number": 1,
                "starts_on": on,
                "ends_on": on,
                "months": 24,
                "amount_per_post": amount,
                "monthly_rate": (amount / 24).quantize(Decimal("0.01")),
            }
        ],
        "law": law_data(on, TREE),
    }


def test_a_renewal_states_its_three_yearly_amounts_and_the_bonus_of_a_public_structure_in_qpv_frr():
    on = date(2024, 9, 2)
    # DESIGN §3, renewal: a public structure in QPV or ZRR/FRR gets 20 000, 17 500 and 12 500 a post
    # (50 000); elsewhere 17 500, 12 500 and 12 500 (42 500): a bonus of 20 000 − 17 500 = 2 500 in year 1,
    # 17 500 − 12 500 = 5 000 in year 2, none in year 3.
    yearly = (Decimal("20000.00"), Decimal("17500.00"), Decimal("12500.00"))
    bonuses = (Decimal("2500.00"), Decimal("5000.00"), Decimal("0.00"))
    text = rendered_text(
        "convention",
        a_convention(on, wave="renewal", structure=a_structure(), yearly=yearly, bonuses=bonuses, bonus=True),
    )

    assert (
        "le montant de la subvention est fixé à 50 000,00 € (cinquante mille euros) par poste" in text.lower()
    )
    assert (
        "Ce montant comprend la bonification du renouvellement accordée aux structures publiques situées en "
        "quartier prioritaire de la politique de la ville (QPV) ou zone France Ruralités Revitalisation "
        "(FRR), soit 2 500,00 € la première année et 5 000,00 € la deuxième année."
    ) in text
    assert (
        "Par poste, la subvention s'élève à 20 000,00 € la première année, 17 500,00 € la deuxième année et "
        "12 500,00 € la troisième année."
    ) in text


def test_a_renewal_outside_the_zones_states_no_bonus():
    on = date(2024, 9, 2)
    yearly = (Decimal("17500.00"), Decimal("12500.00"), Decimal("12500.00"))  # 42 500, DESIGN §3
    text = rendered_text(
        "convention", a_convention(on, wave="renewal", structure=a_structure(), yearly=yearly)
    )

    assert "bonification" not in text
    assert "17 500,00 € la première année, 12 500,00 € la deuxième année et 12 500,00 € la troisième" in text


def test_an_initial_wave_convention_says_france_relance_and_a_renewal_does_not():
    initial = rendered_text(
        "convention", a_convention(date(2021, 3, 15), wave="initial", structure=a_structure())
    )
    yearly = (Decimal("17500.00"), Decimal("12500.00"), Decimal("12500.00"))
    renewal = rendered_text(
        "convention", a_convention(date(2023, 6, 15), wave="renewal", structure=a_structure(), yearly=yearly)
    )

    assert "France Relance" in initial
    assert "loi n° 2020-1721 du 29 décembre 2020 de finances pour 2021" in initial
    assert "France Relance" not in renewal
    assert "convention de renouvellement" in renewal


LOCAL_LAW = "droit local des associations de 1908"
REPUBLICAN = "contrat d'engagement républicain"


@pytest.mark.parametrize("department", ["57", "67", "68"])
def test_an_association_of_alsace_moselle_is_named_under_the_local_law_and_signs_the_republican_contract(
    department,
):
    association = a_structure(
        name="Association Numérique pour tous",
        kind="private",
        structure_type="association",
        department=department,
    )
    # convention.republican_commitment: from 1 January 2022 (the décret of 31 December 2021).
    before = rendered_text(
        "convention", a_convention(date(2021, 12, 31), wave="initial", structure=association)
    )
    since = rendered_text("convention", a_convention(date(2022, 1, 1), wave="initial", structure=association))

    assert LOCAL_LAW in before and LOCAL_LAW in since
    assert "et non par la loi du 1er juillet 1901" in since
    assert REPUBLICAN not in before
    assert REPUBLICAN in since


def test_an_association_elsewhere_is_not_under_the_local_law_and_a_commune_signs_no_republican_contract():
    association = a_structure(kind="private", structure_type="association", department="94")
    text = rendered_text("convention", a_convention(date(2022, 6, 1), wave="initial", structure=association))
    commune = rendered_text(
        "convention", a_convention(date(2022, 6, 1), wave="initial", structure=a_structure(department="57"))
    )

    assert LOCAL_LAW not in text and REPUBLICAN in text
    assert LOCAL_LAW not in commune and REPUBLICAN not in commune


def a_contract_avenant(structure: dict, **contract) -> dict:
    on = date(2025, 9, 1)
    return {
        "_legal_date": on,
        "document": {"reference": "CNUM-TEST-CT-1", "generated_on": on},
        "structure": structure,
        "employee": {"first_name": "Maëlle", "last_name": "Hoarau", "birth_date": date(1994, 3, 1)},
        "contract": {
            "contract_type": "cdi",
            "start_date": on,
            "weekly_hours": Decimal("35.00"),
            "gross_monthly_salary": Decimal("1900.00"),
            "signed_on": on,
            "employment_law": structure["kind"],
            **contract,
        },
        "law": law_data(on, TREE),
    }


def test_a_public_titulaire_is_assigned_by_an_arrete_and_a_contractuel_by_an_avenant():
    titulaire = rendered_text(
        "contract_avenant", a_contract_avenant(a_structure(), public_status="titulaire")
    )
    contractuel = rendered_text(
        "contract_avenant", a_contract_avenant(a_structure(), public_status="contractuel")
    )

    assert "Arrêté d'affectation" in titulaire
    assert "prend le présent arrêté, qui vaut décision d'affectation de l'agent titulaire" in titulaire
    assert "agent contractuel de droit public" not in titulaire
    assert "Arrêté d'affectation" not in contractuel
    assert "Avenant au contrat de travail" in contractuel
    assert "Le présent avenant modifie le contrat d'un agent contractuel de droit public" in contractuel
    assert "code du travail" not in contractuel


def test_a_private_employers_avenant_names_the_collective_agreement():
    association = a_structure(kind="private", structure_type="association", department="94")
    text = rendered_text(
        "contract_avenant",
        a_contract_avenant(association, collective_agreement="ALISFA (IDCC 1261)"),
    )

    assert (
        "Le présent avenant modifie un contrat de travail de droit privé, régi par le code du travail et par "
        "la convention collective ALISFA (IDCC 1261)."
    ) in text
    assert "opérateur de compétences (OPCO)" in text
    assert "fonction publique" not in text
