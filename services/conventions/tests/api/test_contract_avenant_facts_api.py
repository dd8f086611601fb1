"""Issue 17 point 3 over HTTP: what the employment-contract avenant of an employee already on a permanent
post states (decision 0026): the original contract's start, the place of work, the line manager, the
classification, a private employer's collective agreement, and a public employer's agent's status
(a contractual agent on a public-law CDI, type « cdi », or a civil servant, type « titulaire »).

Every refusal is a 422 naming each field under `errors.json`, and nothing is stored. The expected
values are the ones sent; the avenant is read back from its DOCX, rendered with a template version
that prints every one of the avenant's variables (the built-in text is written elsewhere).

Conventions: a renewal from 2 September 2024 to 1 September 2027 (36 months), signed on 20 August 2024;
the contracts start on 1 February 2026, signed on 20 January 2026, full time (35 h) at 1 900.00 €, above
the 2026 metropolitan SMIC (La Réunion and the Cantal pay it too).
"""

import io
import re

import docx
import pytest
from sqlalchemy import func, select

from cnum_shared.testing import bearer
from conventions.adapters.document_adapters import built_in_template
from conventions.adapters.orm import Contract

TAMPON, SAINT_FLOUR, VAL_DE_MARNE = "974", "15", "94"  # public, public, private

PUBLIC_AGENT = {
    "original_contract_start_date": "2019-09-02",
    "place_of_work": "Médiathèque Alain-Lorraine, 16 rue Victor-Le-Vigoureux, 97430 Le Tampon",
    "line_manager": "Josiane Grondin, directrice de la médiathèque",
    "classification": "adjoint territorial d'animation principal de 2e classe, échelon 4",
    "public_status": "contractuel",
}
PRIVATE_EMPLOYEE = {
    "original_contract_start_date": "2018-03-12",
    "place_of_work": "Espace numérique, 3 place de la Mairie, 94200 Ivry-sur-Seine",
    "line_manager": "Karim Benali, directeur de l'association",
    "classification": "groupe D, coefficient 300",
    "collective_agreement": "Convention collective nationale de l'animation (IDCC 1518)",
}
#: A paragraph that prints every variable of the avenant this issue adds, one per labelled slot.
PROBE = (
    "DEBUT[{{ contract.original_start_date }}] LIEU[{{ contract.place_of_work }}] "
    "RESPONSABLE[{{ contract.line_manager }}] CLASSEMENT[{{ contract.classification }}] "
    "CCN[{{ contract.collective_agreement }}] DROIT[{{ contract.employment_law }}] "
    "STATUT[{{ contract.public_status }}]"
)


def plain(text):
    return re.sub(r"\s+", " ", text.replace("\xa0", " ").replace("\u202f", " "))


def docx_text(content):
    document = docx.Document(io.BytesIO(content))
    return plain(" ".join(paragraph.text for paragraph in document.paragraphs))


def slots(content):
    """The probe paragraph's slots read back from the rendered DOCX: {"LIEU": "...", ...}."""
    return dict(re.findall(r"([A-Z]+)\[([^\]]*)\]", docx_text(content)))


@pytest.fixture
def probe_template(api):
    """A version of the avenant's template, in force from 1 December 2025, that prints the new facts."""
    document = docx.Document(io.BytesIO(built_in_template("contract_avenant")))
    document.add_paragraph(PROBE)
    output = io.BytesIO()
    document.save(output)
    uploaded = api.client.post(
        "/api/v1/templates/contract_avenant/versions",
        data={"effective_from": "2025-12-01", "file": (io.BytesIO(output.getvalue()), "avenant.docx")},
        headers=bearer("legal"),
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.get_json()


class Employer:
    def __init__(self, api, department):
        self.api = api
        self.structure = api.structure(department)
        self.convention = api.convention(
            self.structure, wave="renewal", start="2024-09-02", months=36, signed_on="2024-08-20"
        )

    def contract(self, expected=201, **changes):
        advisor = self.api.call(
            "POST",
            "/advisors",
            201,
            {
                "first_name": "Inès",
                "last_name": "Payet",
                "birth_date": "1990-05-04",
                "email": "ines.payet@example.org",
                "structure_id": self.structure["id"],
            },
        )
        body = {
            "advisor_id": advisor["id"],
            "contract_type": "cdi",
            "existing_cdi_employee": True,
            "start_date": "2026-02-01",
            "weekly_hours": "35",
            "gross_monthly_salary": "1900.00",
            "signed_on": "2026-01-20",
            **changes,
        }
        return self.api.call("POST", f"/conventions/{self.convention['id']}/contracts", expected, body)

    def avenant(self, contract):
        answer = self.api.client.get(
            f"/api/v1/contracts/{contract['id']}/amendment?format=docx", headers=bearer("legal")
        )
        assert answer.status_code == 200, answer.get_json()
        return answer.data


def stored(app):
    with app.extensions["cnum"].database.session() as session:
        return session.scalar(select(func.count()).select_from(Contract))


def fields_refused(answer):
    assert answer["code"] == 422
    return answer["errors"]["json"]


# --- Accepted, shown, and in the avenant ---------------------------------------------------------------


def test_a_public_employer_s_contractual_agent_on_a_cdi_moves_with_every_fact_shown_and_in_the_avenant(
    api, probe_template
):
    tampon = Employer(api, TAMPON)

    moved = tampon.contract(**PUBLIC_AGENT)
    read = api.call("GET", f"/contracts/{moved['id']}", 200)
    facts = slots(tampon.avenant(moved))

    for answer in (moved, read):
        for field, value in PUBLIC_AGENT.items():
            assert answer[field] == value, field
        assert answer["collective_agreement"] is None
    assert facts == {
        "DEBUT": "2 septembre 2019",
        "LIEU": PUBLIC_AGENT["place_of_work"],
        "RESPONSABLE": PUBLIC_AGENT["line_manager"],
        "CLASSEMENT": PUBLIC_AGENT["classification"],
        "CCN": "",  # a public employer has no collective agreement
        "DROIT": "public",
        "STATUT": "contractuel",
    }


def test_a_public_employer_s_civil_servant_moves_as_a_titulaire(api, probe_template):
    saint_flour = Employer(api, SAINT_FLOUR)
    servant = {
        **PUBLIC_AGENT,
        "place_of_work": "France services de Saint-Flour, 15100 Saint-Flour",
        "classification": "rédacteur territorial, 5e échelon",
        "public_status": "titulaire",
    }

    moved = saint_flour.contract(contract_type="titulaire", **servant)
    facts = slots(saint_flour.avenant(moved))

    assert moved["contract_type"] == "titulaire"
    assert moved["public_status"] == "titulaire"
    assert facts["STATUT"] == "titulaire"
    assert facts["DROIT"] == "public"
    assert facts["CLASSEMENT"] == "rédacteur territorial, 5e échelon"


def test_a_private_employer_s_cdi_employee_moves_under_their_collective_agreement(api, probe_template):
    association = Employer(api, VAL_DE_MARNE)

    moved = association.contract(**PRIVATE_EMPLOYEE)
    facts = slots(association.avenant(moved))

    assert moved["collective_agreement"] == PRIVATE_EMPLOYEE["collective_agreement"]
    assert moved["public_status"] is None
    assert facts == {
        "DEBUT": "12 mars 2018",
        "LIEU": PRIVATE_EMPLOYEE["place_of_work"],
        "RESPONSABLE": PRIVATE_EMPLOYEE["line_manager"],
        "CLASSEMENT": "groupe D, coefficient 300",
        "CCN": "Convention collective nationale de l'animation (IDCC 1518)",
        "DROIT": "private",
        "STATUT": "",
    }


def test_texts_are_stored_trimmed(api):
    association = Employer(api, VAL_DE_MARNE)

    moved = association.contract(**{**PRIVATE_EMPLOYEE, "classification": "  groupe D, coefficient 300 \n"})

    assert moved["classification"] == "groupe D, coefficient 300"


def test_a_new_recruitment_may_state_its_place_and_manager_without_an_original_contract(api):
    association = Employer(api, VAL_DE_MARNE)

    hired = association.contract(
        existing_cdi_employee=False,
        contract_type="cdd",
        end_date="2027-07-31",
        place_of_work=PRIVATE_EMPLOYEE["place_of_work"],
        line_manager=PRIVATE_EMPLOYEE["line_manager"],
    )

    assert hired["place_of_work"] == PRIVATE_EMPLOYEE["place_of_work"]
    assert hired["original_contract_start_date"] is None


# --- Refused: a 422 naming each field, nothing stored --------------------------------------------------


def test_a_move_without_the_avenant_s_facts_is_refused_naming_each_field(api, app):
    tampon, association = Employer(api, TAMPON), Employer(api, VAL_DE_MARNE)

    public = fields_refused(tampon.contract(422))
    private = fields_refused(association.contract(422))

    required = (
        "Obligatoire pour l'avenant au contrat de travail d'une personne déjà employée par la structure."
    )
    for field in ("original_contract_start_date", "place_of_work", "line_manager", "classification"):
        assert public[field] == [required], field
        assert private[field] == [required], field
    assert set(public) == {
        "original_contract_start_date",
        "place_of_work",
        "line_manager",
        "classification",
        "public_status",
    }
    assert public["public_status"] == [
        "Obligatoire pour un employeur public : « contractuel » (agent en CDI de droit public) ou "
        "« titulaire » (fonctionnaire)."
    ]
    assert set(private) == {
        "original_contract_start_date",
        "place_of_work",
        "line_manager",
        "classification",
        "collective_agreement",
    }
    assert stored(app) == 0


def test_blank_texts_count_as_missing(api, app):
    association = Employer(api, VAL_DE_MARNE)

    refused = fields_refused(association.contract(422, **{**PRIVATE_EMPLOYEE, "line_manager": "   "}))

    assert list(refused) == ["line_manager"]
    assert stored(app) == 0


@pytest.mark.parametrize("original", ["2026-02-01", "2026-03-01"])
def test_the_original_contract_must_have_started_before_the_move(api, app, original):
    tampon = Employer(api, TAMPON)

    refused = fields_refused(
        tampon.contract(422, **{**PUBLIC_AGENT, "original_contract_start_date": original})
    )

    assert refused == {
        "original_contract_start_date": [
            "Le contrat d'origine doit avoir commencé avant la prise de poste (1er février 2026)."
        ]
    }
    assert stored(app) == 0


@pytest.mark.parametrize(
    ("contract_type", "status", "expected"),
    [
        (
            "cdi",
            "titulaire",
            "Un fonctionnaire titulaire rejoint le poste avec le type de contrat « titulaire »",
        ),
        (
            "titulaire",
            "contractuel",
            "Un agent contractuel en CDI de droit public rejoint le poste avec le type de contrat « cdi »",
        ),
    ],
)
def test_the_public_status_must_be_the_one_the_contract_type_records(
    api, app, contract_type, status, expected
):
    tampon = Employer(api, TAMPON)

    refused = fields_refused(
        tampon.contract(422, contract_type=contract_type, **{**PUBLIC_AGENT, "public_status": status})
    )

    assert list(refused) == ["public_status"]
    assert refused["public_status"][0].startswith(expected)
    assert stored(app) == 0


def test_a_public_employer_has_no_collective_agreement_and_a_private_one_no_public_status(api, app):
    tampon, association = Employer(api, TAMPON), Employer(api, VAL_DE_MARNE)

    public = fields_refused(tampon.contract(422, **PUBLIC_AGENT, collective_agreement="IDCC 1518"))
    private = fields_refused(association.contract(422, **PRIVATE_EMPLOYEE, public_status="contractuel"))

    assert public == {
        "collective_agreement": [
            "Sans objet pour un employeur public : ses agents relèvent du statut de la fonction publique, "
            "non d'une convention collective."
        ]
    }
    assert private == {
        "public_status": ["Sans objet pour un employeur privé : le contrat est de droit privé."]
    }
    assert stored(app) == 0


def test_a_private_employer_cannot_move_a_titulaire(api, app):
    association = Employer(api, VAL_DE_MARNE)

    refused = association.contract(422, contract_type="titulaire", **PRIVATE_EMPLOYEE)

    assert [rule["code"] for rule in refused["errors"]["rules"]] == ["contract_type_not_allowed"]
    assert stored(app) == 0


def test_an_original_contract_or_a_public_status_means_nothing_for_a_new_recruitment(api, app):
    tampon = Employer(api, TAMPON)

    refused = fields_refused(
        tampon.contract(
            422,
            existing_cdi_employee=False,
            contract_type="cdd",
            end_date="2027-07-31",
            original_contract_start_date="2019-09-02",
            public_status="contractuel",
        )
    )

    not_applicable = (
        "Sans objet : la personne n'est pas déjà employée en CDI par la structure (existing_cdi_employee)."
    )
    assert refused == {"original_contract_start_date": [not_applicable], "public_status": [not_applicable]}
    assert stored(app) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"public_status": "stagiaire"}, "public_status"),
        ({"place_of_work": "x" * 301}, "place_of_work"),
        ({"line_manager": 42}, "line_manager"),
        ({"original_contract_start_date": "02/09/2019"}, "original_contract_start_date"),
    ],
)
def test_malformed_facts_are_422s_of_the_schema(api, app, changes, field):
    tampon = Employer(api, TAMPON)

    refused = fields_refused(tampon.contract(422, **{**PUBLIC_AGENT, **changes}))

    assert list(refused) == [field]
    assert stored(app) == 0
