"""Issue 14 point 5 over HTTP: who may take a post (a mediator already in post, the structure's own
advisors) and on which contract (the types open to a public or a private employer, a private CDD of 18
months at most). Every refusal is a 422 naming each broken rule in `errors.rules`, and nothing is stored.

The expected values are worked out by hand from the rule and its source (shared/parameters/
eligibility.yaml), never with the code's helpers:

- FAQ nlidw7: a public employer recruits on a public-law CDI or CDD, a contrat de projet, or a titulaire;
  the PEC, a private-law contract, is not among them.
- FAQ 15gvzzn, the private model contracts and Code du travail L1242-8-1: a private employer's CDD lasts
  18 months at most; the programme's tools also record a private PEC; a private employer has no
  contrat de projet (public law) and no titulaire (a civil servant).
- 2020 AMI (as the Vaucluse SLL presented it) and FAQ 14kt7ki: a digital mediator already in post takes
  the post only if they worked part time, in an experimental scheme, or their contract is ending.

Conventions follow the programme's calendar: an initial one started on 1 March 2021 and signed on 15
March 2021 (24 months for a public structure, 18 for a private one), and a renewal started on 2 September
2024, signed on 20 August 2024 (36 months, until 1 September 2027).

SMIC on the start dates used (metropolitan rate, which Saint-Flour and Ivry-sur-Seine pay):
- 1 April 2021: 10.25 €/h × 35 h × 52 / 12 = 18 655 / 12 = 1 554.583… → 1 554.58 €; 1 700.00 € is above.
- 1 October 2024: 11.65 €/h × 35 × 52 / 12 = 21 203 / 12 = 1 766.916… → 1 766.92 €; 1 900.00 € is above.
"""

import pytest
from sqlalchemy import func, select

from cnum_shared.core.wire import ContractSignedSchema
from cnum_shared.testing import bearer
from conventions.adapters.orm import Candidate, Contract, event_tables

PUBLIC, PRIVATE = "15", "94"  # Commune de Saint-Flour; Association Lien numérique du Val-de-Marne

PUBLIC_TYPES = (
    "contrat à durée indéterminée (CDI), contrat à durée déterminée (CDD), contrat de projet "
    "ou emploi de fonctionnaire titulaire"
)
PRIVATE_TYPES = (
    "contrat à durée indéterminée (CDI), contrat à durée déterminée (CDD) "
    "ou contrat Parcours emploi compétences (PEC)"
)
FOREIGN = "Ce conseiller n'est pas inscrit auprès de la structure de cette convention."
MEDIATOR_CASES = (
    "elle exerçait à temps non complet ; elle exerçait dans le cadre d'un dispositif expérimental ; "
    "son contrat arrive à terme"
)


#: What the avenant of a public employer's contractual agent states (decision 0026).
AGENT_MOVE = {
    "original_contract_start_date": "2019-09-02",
    "place_of_work": "Médiathèque Alain-Lorraine, 15100 Saint-Flour",
    "line_manager": "Josiane Grondin, directrice de la médiathèque",
    "classification": "adjoint territorial d'animation, échelon 4",
    "public_status": "contractuel",
}


class Employer:
    """A structure with its signed initial convention (and a renewal on demand), hiring over HTTP."""

    def __init__(self, api, department):
        self.api = api
        self.structure = api.structure(department)
        self.private = self.structure["kind"] == "private"
        self.initial = api.convention(
            self.structure, months=18 if self.private else 24, start="2021-03-01", signed_on="2021-03-15"
        )

    def renewal(self):
        return self.api.convention(
            self.structure, wave="renewal", months=36, start="2024-09-02", signed_on="2024-08-20"
        )

    def as_user(self):
        return {"role": "structure", "structure_id": self.structure["id"]}

    def advisor(self, *, by=None, **facts):
        """A person registered for this structure by a legal officer, or by the structure `by` (an
        Employer) itself."""
        body = {
            "first_name": "Inès",
            "last_name": "Payet",
            "birth_date": "1990-05-04",
            "email": "ines.payet@example.org",
            **facts,
        }
        if by is None:
            body.setdefault("structure_id", self.structure["id"])
        claims = by.as_user() if by else {}
        return self.api.call("POST", "/advisors", 201, body, **claims)

    def contract(self, expected=201, *, convention=None, advisor=None, claims=None, **changes):
        body = {
            "advisor_id": (advisor or self.advisor())["id"],
            "contract_type": "cdd",
            "start_date": "2021-04-01",
            "end_date": "2022-08-31",
            "weekly_hours": "35",
            "gross_monthly_salary": "1700.00",
            "signed_on": "2021-03-25",
            **changes,
        }
        body = {key: value for key, value in body.items() if value is not None}
        path = f"/conventions/{(convention or self.initial)['id']}/contracts"
        return self.api.call("POST", path, expected, body, **(claims or {}))

    def present(self, expected, advisor_id, claims=None):
        path = f"/conventions/{self.initial['id']}/candidates"
        body = {"advisor_id": advisor_id, "presented_on": "2021-03-20"}
        return self.api.call("POST", path, expected, body, **(claims or {}))


@pytest.fixture
def public(api):
    return Employer(api, PUBLIC)


@pytest.fixture
def private(api):
    return Employer(api, PRIVATE)


def rules(answer):
    return [(rule["code"], rule["message"]) for rule in answer["errors"]["rules"]]


def count(app, model):
    with app.extensions["cnum"].database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


# --- The contract type fits the employer --------------------------------------------------------------


@pytest.mark.parametrize(
    ("contract_type", "end_date"),
    [("cdi", None), ("cdd", "2023-02-28"), ("contrat_de_projet", "2023-02-28"), ("titulaire", None)],
)
def test_a_public_employer_recruits_on_each_public_law_type(public, contract_type, end_date):
    contract = public.contract(contract_type=contract_type, end_date=end_date)

    assert (contract["contract_type"], contract["end_date"]) == (contract_type, end_date)


@pytest.mark.parametrize(
    ("contract_type", "end_date"), [("cdi", None), ("cdd", "2022-08-31"), ("pec", "2022-08-31")]
)
def test_a_private_employer_recruits_on_a_cdi_a_cdd_or_a_pec(private, contract_type, end_date):
    contract = private.contract(contract_type=contract_type, end_date=end_date)

    assert (contract["contract_type"], contract["end_date"]) == (contract_type, end_date)


def test_a_pec_is_not_open_to_a_public_employer(public, app):
    refused = public.contract(422, contract_type="pec")

    assert rules(refused) == [
        (
            "contract_type_not_allowed",
            "Le type de contrat « contrat Parcours emploi compétences (PEC) » n'est pas ouvert à une "
            f"structure publique ; types possibles : {PUBLIC_TYPES}.",
        )
    ]
    assert count(app, Contract) == 0


@pytest.mark.parametrize(
    ("contract_type", "end_date", "label"),
    [
        ("titulaire", None, "emploi de fonctionnaire titulaire"),
        ("contrat_de_projet", "2022-08-31", "contrat de projet"),
    ],
)
def test_a_private_employer_has_no_titulaire_and_no_contrat_de_projet(
    private, app, contract_type, end_date, label
):
    refused = private.contract(422, contract_type=contract_type, end_date=end_date)

    assert rules(refused) == [
        (
            "contract_type_not_allowed",
            f"Le type de contrat « {label} » n'est pas ouvert à une structure privée ; "
            f"types possibles : {PRIVATE_TYPES}.",
        )
    ]
    assert count(app, Contract) == 0


def test_a_private_cdd_lasts_18_months_at_most_counted_calendar_wise(private, app):
    # 1 October 2024 + 18 months = 1 April 2026: the CDD's last day is 31 March 2026.
    renewal = private.renewal()

    longest = private.contract(convention=renewal, start_date="2024-10-01", end_date="2026-03-31",
                               signed_on="2024-09-20", gross_monthly_salary="1900.00")  # fmt: skip
    refused = private.contract(422, convention=renewal, start_date="2024-10-01", end_date="2026-04-01",
                               signed_on="2024-09-20", gross_monthly_salary="1900.00")  # fmt: skip

    assert longest["end_date"] == "2026-03-31"
    assert rules(refused) == [
        (
            "cdd_too_long",
            "Un CDD d'une structure privée dure au plus 18 mois : commencé le 1er octobre 2024, il finit "
            "au plus tard le 31 mars 2026, et non le 1er avril 2026.",
        )
    ]
    assert count(app, Contract) == 1


def test_a_public_employer_s_cdd_has_no_18_month_limit(public):
    # 1 April 2021 to 28 February 2023 is 23 months: more than a private CDD, allowed to a public one.
    contract = public.contract(contract_type="cdd", end_date="2023-02-28")

    assert contract["end_date"] == "2023-02-28"


def test_a_public_employer_s_cdi_agent_still_moves_to_the_post_by_an_avenant(public, api, app):
    # FAQ 14kt7ki: an employee already on a CDI joins by an avenant to that contract, whatever the
    # employer; a public employer's CDI agent is one (a public-law CDI, open to it by FAQ nlidw7).
    moved = public.contract(contract_type="cdi", end_date=None, existing_cdi_employee=True, **AGENT_MOVE)
    refused = public.contract(
        422, contract_type="contrat_de_projet", existing_cdi_employee=True, **AGENT_MOVE
    )
    avenant = api.client.get(
        f"/api/v1/contracts/{moved['id']}/amendment?format=docx", headers=bearer("legal")
    )

    assert moved["existing_cdi_employee"] is True
    assert [code for code, _ in rules(refused)] == ["cdd_for_cdi_employee"]
    assert avenant.status_code == 200
    assert avenant.data[:2] == b"PK"  # a DOCX
    assert count(app, Contract) == 1


# --- A mediator already in post ----------------------------------------------------------------------


def test_a_mediator_already_in_post_without_a_case_is_refused(public, app):
    refused = public.contract(422, already_digital_mediator=True)

    assert rules(refused) == [
        (
            "mediator_already_in_post",
            "Cette personne est déjà médiatrice numérique en poste : pour un contrat commençant le 1er "
            f"avril 2021, elle ne peut occuper le poste que dans l'un de ces cas : {MEDIATOR_CASES}. "
            "Précisez lequel (mediator_case).",
        )
    ]
    assert count(app, Contract) == 0


@pytest.mark.parametrize("case", ["part_time", "experimental_scheme", "contract_ending"])
def test_a_mediator_already_in_post_takes_the_post_in_each_case_the_programme_allows(private, api, app, case):
    contract = private.contract(already_digital_mediator=True, mediator_case=case)

    read = api.call("GET", f"/contracts/{contract['id']}", 200)
    assert (read["already_digital_mediator"], read["mediator_case"]) == (True, case)
    with app.extensions["cnum"].database.session() as session:
        (data,) = session.scalars(
            select(event_tables.outbox.c.data).where(event_tables.outbox.c.type == "contract.signed")
        )
    signed = ContractSignedSchema().load(data)
    assert (signed["already_digital_mediator"], signed["mediator_case"]) == (True, case)


def test_a_contract_of_someone_new_to_the_job_records_no_mediator_case(public, api):
    contract = public.contract()

    assert (contract["already_digital_mediator"], contract["mediator_case"]) == (False, None)


@pytest.mark.parametrize(
    "changes",
    [
        {"mediator_case": "part_time"},  # a case, but the person is not a mediator in post
        {"already_digital_mediator": True, "mediator_case": "full_time"},  # not one of the cases
    ],
)
def test_a_mediator_case_that_means_nothing_is_a_field_error(public, app, changes):
    refused = public.contract(422, **changes)

    assert list(refused["errors"]["json"]) == ["mediator_case"]
    assert count(app, Contract) == 0


# --- The advisor belongs to the structure -------------------------------------------------------------


def test_a_contract_for_another_structure_s_advisor_is_refused_and_says_nothing_of_them(public, private, app):
    # Registered by the association, and not eligible anywhere (retired, 70 on the start date): the
    # commune is told only that this person is not its own, nothing of their age or situation.
    theirs = private.advisor(by=private, birth_date="1950-06-01", is_retired=True)

    by_legal = public.contract(422, advisor=theirs)
    by_structure = public.contract(422, advisor=theirs, claims=public.as_user())

    assert rules(by_legal) == [("advisor_of_another_structure", FOREIGN)]
    assert by_structure["errors"] == by_legal["errors"]
    assert "Payet" not in str(by_structure) and "Inès" not in str(by_structure)
    assert count(app, Contract) == 0


def test_a_structure_cannot_tell_an_unknown_advisor_from_another_structure_s(public, private):
    theirs = private.advisor(by=private)

    foreign = public.contract(422, advisor=theirs, claims=public.as_user())
    unknown = public.contract(
        422, advisor={"id": "00000000-0000-4000-8000-000000000000"}, claims=public.as_user()
    )

    assert foreign == unknown
    assert rules(unknown) == [("advisor_of_another_structure", FOREIGN)]


def test_a_structure_hires_the_advisors_registered_for_it_by_itself_or_by_a_legal_officer(public):
    own = public.advisor(by=public)
    named = public.advisor()  # registered by a legal officer for the commune

    mine = public.contract(advisor=own, claims=public.as_user())
    for_it = public.contract(advisor=named, claims=public.as_user())

    assert own["structure_id"] == named["structure_id"] == public.structure["id"]
    assert mine["structure_id"] == for_it["structure_id"] == public.structure["id"]


def test_an_advisor_registered_by_a_legal_officer_for_one_structure_is_nobody_else_s(public, private, app):
    # Issue 15: a legal officer's registrations were a pool open to every structure; a person now
    # belongs to the structure the officer names, and another structure gets the answer of an unknown id.
    theirs = private.advisor(
        birth_date="1950-06-01", is_retired=True
    )  # by a legal officer, for the association
    unknown = "00000000-0000-4000-8000-000000000000"

    hired = public.contract(422, advisor=theirs, claims=public.as_user())
    hired_unknown = public.contract(422, advisor={"id": unknown}, claims=public.as_user())
    presented = public.present(422, theirs["id"], public.as_user())
    presented_unknown = public.present(422, unknown, public.as_user())
    by_legal = public.contract(422, advisor=theirs)

    assert theirs["structure_id"] == private.structure["id"]
    assert hired == hired_unknown
    assert presented == presented_unknown
    assert rules(hired) == rules(presented) == rules(by_legal) == [("advisor_of_another_structure", FOREIGN)]
    for answer in (hired, presented):
        assert answer["code"] == 422
        for secret in ("Payet", "Inès", private.structure["id"], private.structure["name"], "retrait"):
            assert secret not in str(answer)
    assert count(app, Contract) == count(app, Candidate) == 0


def test_a_legal_officer_names_the_advisor_s_structure_and_a_structure_registers_its_own(
    public, private, api
):
    body = {"first_name": "Inès", "last_name": "Payet", "birth_date": "1990-05-04", "email": "i@example.org"}

    unnamed = api.call("POST", "/advisors", 422, body)
    unknown = api.call(
        "POST", "/advisors", 422, {**body, "structure_id": "00000000-0000-4000-8000-000000000000"}
    )
    as_admin = api.call(
        "POST", "/advisors", 201, {**body, "structure_id": private.structure["id"]}, role="admin"
    )
    own_implied = api.call("POST", "/advisors", 201, body, **public.as_user())
    own_named = api.call(
        "POST", "/advisors", 201, {**body, "structure_id": public.structure["id"]}, **public.as_user()
    )
    another = api.call(
        "POST", "/advisors", 422, {**body, "structure_id": private.structure["id"]}, **public.as_user()
    )

    assert unnamed["errors"]["json"] == {
        "structure_id": ["Champ obligatoire : la structure qui peut recruter la personne."]
    }
    assert unknown["errors"]["json"] == {"structure_id": ["Structure inconnue."]}
    assert as_admin["structure_id"] == private.structure["id"]
    assert own_implied["structure_id"] == own_named["structure_id"] == public.structure["id"]
    assert another["message"] == "Conseiller invalide."
    assert another["errors"]["json"] == {
        "structure_id": ["Une structure n'inscrit que ses propres conseillers."]
    }


def test_a_candidate_of_another_structure_is_not_presented(public, private, api, app):
    theirs = private.advisor(by=private)
    unknown = "00000000-0000-4000-8000-000000000000"

    by_legal = public.present(422, theirs["id"])
    by_structure = public.present(422, theirs["id"], public.as_user())
    unknown_to_structure = public.present(422, unknown, public.as_user())
    unknown_to_legal = public.present(422, unknown)

    assert rules(by_legal) == [("advisor_of_another_structure", FOREIGN)]
    assert by_structure == by_legal == unknown_to_structure
    assert unknown_to_legal["errors"]["json"] == {"advisor_id": ["Conseiller inconnu."]}
    assert count(app, Candidate) == 0


def test_a_structure_presents_its_own_candidates_and_those_registered_for_it(public):
    own = public.advisor(by=public)
    named = public.advisor()

    presented = [public.present(201, advisor["id"], public.as_user()) for advisor in (own, named)]

    assert [candidate["advisor_id"] for candidate in presented] == [own["id"], named["id"]]


# --- All together ------------------------------------------------------------------------------------


def test_every_broken_rule_is_named_in_one_refusal_and_nothing_is_stored(public, private, app):
    theirs = private.advisor(by=private)

    refused = public.contract(
        422,
        advisor=theirs,
        contract_type="pec",
        already_digital_mediator=True,
        weekly_hours="28",
        gross_monthly_salary="1554.57",
    )

    assert [code for code, _ in rules(refused)] == [
        "advisor_of_another_structure",
        "mediator_already_in_post",
        "contract_type_not_allowed",
        "not_full_time",
        "below_smic",
    ]
    assert refused["errors"]["smic_monthly"] == "1554.58"
    assert refused["errors"]["smic_from"] == "2021-01-01"
    assert count(app, Contract) == 0


def test_a_private_cdd_too_long_for_a_mediator_without_a_case_names_both(private, app):
    refused = private.contract(422, end_date="2022-10-01", already_digital_mediator=True)

    assert [code for code, _ in rules(refused)] == ["mediator_already_in_post", "cdd_too_long"]
    assert rules(refused)[1][1] == (
        "Un CDD d'une structure privée dure au plus 18 mois : commencé le 1er avril 2021, il finit au plus "
        "tard le 30 septembre 2022, et non le 1er octobre 2022."
    )
    assert count(app, Contract) == 0
