"""A structure reaches only its own contracts through the ids it sends in a body (issue 15): activity
reports and training records on another structure's contract are refused exactly as on a contract that
does not exist, and external ids of activity reports are unique per structure, not programme-wide."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import func, select

from cnum_shared.testing import bearer
from compliance.adapters.orm import ActivityReport, TrainingRecord

UNKNOWN_CONTRACT = "00000000-0000-4000-8000-00000000abcd"
HEADER = "external_id,contract_id,date,kind,duration_minutes,participants\n"


def cra(contract, external_id, day="2026-01-12"):
    return {
        "external_id": external_id,
        "contract_id": contract,
        "date": day,
        "kind": "atelier",
        "duration_minutes": 60,
        "participants": 8,
    }


class Structure:
    def __init__(self, feed, name):
        details = {
            "name": name,
            "kind": "public",
            "department": "974",
            "qpv_zrr": False,
            "email": "inclusion@structure.example",
            "iban": "FR7619806000000097443000114",
            "bic": "AGRIMQMX",
        }
        self.convention = feed.convention(structure=details)
        self.id = self.convention["structure_id"]
        self.name = name
        self.advisor_id = "11111111-2222-4333-8444-" + ("5" * 12 if name.startswith("A") else "6" * 12)
        self.contract = feed.contract(self.convention, signed_on=date(2026, 1, 5), advisor_id=self.advisor_id)

    def claims(self):
        return {"role": "structure", "structure_id": self.id}


@pytest.fixture
def two(feed):
    structures = Structure(feed, "Commune du Tampon"), Structure(feed, "Association Lien numérique")
    # January's reports were due on 28 February: overdue on 2 March; February's open.
    feed.run("scan", date(2026, 3, 2))
    feed.on(date(2026, 3, 2))
    return structures


def imported(app):
    with app.extensions["cnum"].database.session() as session:
        return session.scalar(select(func.count()).select_from(ActivityReport))


def post_csv(feed, text, **claims):
    return feed.client.post(
        "/api/v1/activity-reports", data=text.encode(), content_type="text/csv", headers=bearer(**claims)
    )


def reveals_nothing_of(answer, other):
    text = str(answer)
    return all(secret not in text for secret in (other.id, other.name, other.advisor_id, "Association"))


def test_a_structure_cannot_import_activity_reports_on_another_structure_s_contract(feed, two, app):
    own, other = two

    theirs = feed.call(
        "POST",
        "/activity-reports",
        422,
        {"reports": [cra(own.contract, "a-1"), cra(other.contract, "a-2")]},
        **own.claims(),
    )
    unknown = feed.call(
        "POST",
        "/activity-reports",
        422,
        {"reports": [cra(own.contract, "a-1"), cra(UNKNOWN_CONTRACT, "a-2")]},
        **own.claims(),
    )
    as_csv = post_csv(
        feed,
        HEADER
        + f"a-1,{own.contract},2026-01-12,atelier,60,8\na-2,{other.contract},2026-01-12,atelier,60,8\n",
        **own.claims(),
    )

    # Line 3 (the second row) is refused in the words used for a contract that does not exist.
    assert theirs["errors"]["json"] == {"ligne 3": ["contrat inconnu"]}
    assert theirs == unknown
    assert as_csv.status_code == 422 and as_csv.get_json() == theirs
    assert reveals_nothing_of(theirs, other)
    # All or nothing: the structure's own row was not kept either.
    assert imported(app) == 0
    assert [
        o["status"] for o in feed.by_kind("activity_reporting") if o["contract_id"] == other.contract
    ] == [
        "overdue",
        "open",
    ]
    # Its own rows alone go in.
    assert feed.call(
        "POST", "/activity-reports", 201, {"reports": [cra(own.contract, "a-1")]}, **own.claims()
    ) == {"imported": 1, "already_known": 0, "fulfilled": 1}


def test_a_row_out_of_another_structure_s_contract_dates_says_only_that_the_contract_is_unknown(feed, two):
    own, other = two

    # Before the other contract's start: still only "contrat inconnu", never its dates.
    answer = feed.call(
        "POST",
        "/activity-reports",
        422,
        {"reports": [cra(other.contract, "x", "2025-06-01")]},
        **own.claims(),
    )

    assert answer["errors"]["json"] == {"ligne 2": ["contrat inconnu"]}


def test_two_structures_may_use_the_same_external_id_and_a_repeat_stays_idempotent(feed, two, app):
    own, other = two

    first = feed.call(
        "POST", "/activity-reports", 201, {"reports": [cra(own.contract, "cra-1")]}, **own.claims()
    )
    same_id_elsewhere = feed.call(
        "POST", "/activity-reports", 201, {"reports": [cra(other.contract, "cra-1")]}, **other.claims()
    )
    repeat = feed.call(
        "POST", "/activity-reports", 201, {"reports": [cra(own.contract, "cra-1")]}, **own.claims()
    )

    assert first == same_id_elsewhere == {"imported": 1, "already_known": 0, "fulfilled": 1}
    assert repeat == {"imported": 0, "already_known": 1, "fulfilled": 0}
    assert imported(app) == 2
    january = {
        o["contract_id"]: o["status"]
        for o in feed.by_kind("activity_reporting")
        if o["period"] == "2026-01-01"
    }
    assert january == {own.contract: "fulfilled", other.contract: "fulfilled"}


def test_an_officer_imports_one_file_for_several_structures_sharing_an_external_id(feed, two, app):
    own, other = two
    rows = [cra(own.contract, "cra-1"), cra(other.contract, "cra-1")]

    first = feed.call("POST", "/activity-reports", 201, {"reports": rows}, role="service")
    again = feed.call("POST", "/activity-reports", 201, {"reports": rows}, role="compliance")
    twice_in_one_structure = feed.call(
        "POST",
        "/activity-reports",
        422,
        {"reports": [cra(own.contract, "cra-9"), cra(own.contract, "cra-9", "2026-01-13")]},
    )

    assert first == {"imported": 2, "already_known": 0, "fulfilled": 2}
    assert again == {"imported": 0, "already_known": 2, "fulfilled": 0}
    assert twice_in_one_structure["errors"]["json"] == {"ligne 3": ["external_id en double dans le fichier"]}
    assert imported(app) == 2


def test_a_structure_cannot_record_training_on_another_structure_s_contract(feed, two, app):
    own, other = two
    body = {"kind": "training_entry", "date": "2026-01-20"}

    theirs = feed.call(
        "POST", "/training-records", 422, {**body, "contract_id": other.contract}, **own.claims()
    )
    unknown = feed.call(
        "POST", "/training-records", 422, {**body, "contract_id": UNKNOWN_CONTRACT}, **own.claims()
    )

    assert theirs == unknown
    assert theirs["errors"]["json"] == {"contract_id": ["Contrat inconnu du suivi des obligations."]}
    assert reveals_nothing_of(theirs, other)
    with app.extensions["cnum"].database.session() as session:
        assert session.scalar(select(func.count()).select_from(TrainingRecord)) == 0
    assert (
        feed.call("POST", "/training-records", 201, {**body, "contract_id": own.contract}, **own.claims())[
            "contract_id"
        ]
        == own.contract
    )


def test_another_structure_s_obligation_or_contract_is_answered_as_one_that_does_not_exist(feed, two):
    own, other = two
    theirs = next(o for o in feed.obligations() if o["structure_id"] == other.id)["id"]
    unknown = "00000000-0000-4000-8000-00000000beef"
    paths = [
        ("/obligations/{}", theirs, unknown),
        ("/obligations/{}/history", theirs, unknown),
        ("/obligations/{}/evidence", theirs, unknown),
        ("/contracts/{}/training-exemption", other.contract, UNKNOWN_CONTRACT),
    ]

    for path, foreign_id, unknown_id in paths:
        foreign = feed.call("GET", path.format(foreign_id), 404, **own.claims())
        missing = feed.call("GET", path.format(unknown_id), 404, **own.claims())
        assert foreign == missing, path
        assert reveals_nothing_of(foreign, other)
    upload = feed.upload(f"/obligations/{theirs}/evidence", {}, b"%PDF-1.4\n%%EOF\n", **own.claims())
    assert upload.status_code == 404
    assert upload.get_json() == feed.call("GET", f"/obligations/{unknown}", 404, **own.claims())


def test_a_structure_filtering_the_obligations_by_another_structure_sees_only_its_own(feed, two):
    own, other = two

    listed = feed.call("GET", f"/obligations?structure_id={other.id}&page_size=100", 200, **own.claims())

    assert listed and {o["structure_id"] for o in listed} == {own.id}


def test_concurrent_imports_of_the_same_reports_keep_each_once_and_never_answer_a_500(feed, two, app):
    own, _ = two
    rows = {"reports": [cra(own.contract, f"c-{number}") for number in range(20)]}

    def attempt(_):
        response = app.test_client().post(
            "/api/v1/activity-reports", json=rows, headers=bearer("structure", structure_id=own.id)
        )
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(attempt, range(6)))

    statuses = [status for status, _ in answers]
    # Each import either runs (the first stores the 20 reports, a later one finds them known) or meets
    # another at the same moment and is told to send again (409): never a 500, never a report twice.
    assert set(statuses) <= {201, 409}, answers
    assert sum(body["imported"] for status, body in answers if status == 201) == 20
    assert imported(app) == 20
    retried = feed.call("POST", "/activity-reports", 201, rows, **own.claims())
    assert retried == {"imported": 0, "already_known": 20, "fulfilled": 0}
