"""Issue 15, point 1: compliance believes an event only from its producer (DESIGN §2), and the role
`reporter` (DESIGN §5) may post activity reports and nothing else.

Read back through compliance's API: the obligations, the standing, the alerts and their recipients.
"""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from cnum_shared.testing import bearer, post_event, relay_bearer


def refusal(response, status):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["code"] == status and {"code", "status", "message"} <= set(body)
    return body


def signed(structure_id=None, *, sequence=1, producer="conventions", occurred_at="2026-01-10T09:00:00+00:00"):
    """A `convention.signed` envelope as conventions' relay would post it (one post, tranche 1 alone)."""
    return {
        "id": str(uuid.uuid4()),
        "type": "convention.signed",
        "version": 1,
        "occurred_at": occurred_at,
        "producer": producer,
        "sequence": sequence,
        "data": {
            "convention_id": str(uuid.uuid4()),
            "structure_id": structure_id or str(uuid.uuid4()),
            "reference": "CNUM-2026-9999",
            "structure": {
                "name": "Commune du Tampon",
                "kind": "public",
                "department": "974",
                "qpv_zrr": False,
                "email": "inclusion@letampon.example",
                "iban": "FR7619806000000097443000114",
                "bic": "AGRIMQMX",
            },
            "wave": "renewal",
            "posts": 1,
            "start_date": "2026-01-10",
            "end_date": "2029-01-09",
            "duration_months": 36,
            "funded_months": 36,
            "signed_on": "2026-01-10",
            "amount_per_post": "99999999.99",
            "total_amount": "99999999.99",
            "tranches": [{"number": 1, "due_on": "2026-01-10", "amount": "99999999.99"}],
            "funding_periods": [
                {
                    "number": 1,
                    "starts_on": "2026-01-10",
                    "ends_on": "2029-01-09",
                    "months": 36,
                    "amount_per_post": "99999999.99",
                    "monthly_rate": "2777777.78",
                }
            ],
        },
    }


def test_a_convention_signed_as_payments_opens_nothing(feed):
    forged = signed(producer="payments")

    as_payments = post_event(feed.client, forged)
    as_any_service = feed.client.post("/api/v1/events", json=forged, headers=bearer("service"))

    message = (
        "Événement refusé : « convention.signed » n'est émis que par le service « conventions », "
        "pas par « payments »."
    )
    assert refusal(as_payments, 403)["message"] == message
    assert refusal(as_any_service, 403)["message"] == message
    assert feed.obligations() == []
    structure = forged["data"]["structure_id"]
    assert feed.call("GET", f"/structures/{structure}/standing", 404, role="finance")["code"] == 404


def test_an_event_from_another_identity_than_its_producer_is_refused_and_not_recorded(feed):
    envelope = signed()

    refused = feed.client.post("/api/v1/events", json=envelope, headers=relay_bearer("payments"))

    assert refusal(refused, 403)["message"] == (
        "Événement refusé : un service ne transmet que ses propres événements, et le jeton de "
        "« payments » ne peut pas remettre un événement du service « conventions »."
    )
    assert feed.obligations() == []
    # Nothing was recorded under its id: from conventions' relay it is processed, not a repeat.
    accepted = post_event(feed.client, envelope)
    assert accepted.get_json() == {"event_id": envelope["id"], "status": "processed"}
    assert {o["kind"] for o in feed.obligations()} == {"final_report", "candidate_presentation"}


@pytest.mark.parametrize(("ahead", "status"), [(timedelta(seconds=59), 200), (timedelta(seconds=61), 422)])
def test_an_event_more_than_a_minute_ahead_of_the_service_clock_is_a_422(feed, ahead, status):
    now = datetime(2030, 1, 1, 9, tzinfo=UTC)
    feed.clock.set(now)

    response = post_event(feed.client, signed(occurred_at=(now + ahead).isoformat()))

    if status == 200:
        assert response.get_json()["status"] == "processed"
        assert len(feed.obligations()) == 2
        return
    body = refusal(response, 422)
    assert body["message"] == "Événement refusé : sa date (occurred_at) est dans le futur."
    assert body["errors"]["json"]["occurred_at"] == [
        "2030-01-01T09:01:01+00:00 est postérieure de plus d'une minute à l'heure de ce service "
        "(2030-01-01T09:00:00+00:00)."
    ]
    assert feed.obligations() == []


def test_an_older_contact_after_a_newer_one_leaves_the_newer(feed, smtp):
    """Conventions' sequence orders its events, whatever `occurred_at` says: the digest goes to the
    address of the latest event by sequence."""
    convention = feed.convention()  # sequence 1, inclusion@letampon.example
    newer = {**convention["structure"], "email": "numerique@letampon.example"}
    older = {**convention["structure"], "email": "ancienne-adresse@letampon.example"}
    contract = {
        "convention_id": convention["convention_id"],
        "structure_id": convention["structure_id"],
        "contract_type": "cdd",
        "start_date": "2026-02-04",
        "end_date": "2027-12-31",
        "weekly_hours": "35",
        "gross_monthly_salary": "1900.00",
        "signed_on": "2026-01-05",
        "existing_cdi_employee": False,
    }
    feed.event(
        "contract.signed",
        {**contract, "contract_id": str(uuid.uuid4()), "advisor_id": str(uuid.uuid4()), "structure": newer},
        sequence=5,
        occurred_at=datetime(2026, 1, 5, 8, tzinfo=UTC),
    )
    feed.event(
        "candidate.presented",
        {
            "candidate_id": str(uuid.uuid4()),
            "convention_id": convention["convention_id"],
            "structure_id": convention["structure_id"],
            "advisor_id": str(uuid.uuid4()),
            "presented_on": "2026-01-04",
            "selected_on": None,
            "structure": older,
        },
        sequence=4,
        occurred_at=datetime(2026, 1, 6, 8, tzinfo=UTC),
    )

    feed.run("scan", date(2026, 1, 21))
    feed.run("send_alerts", date(2026, 1, 21))

    (message,) = smtp.messages()
    assert message["To"] == "numerique@letampon.example"
    assert [alert["recipients"] for alert in feed.call("GET", "/alerts", 200)] == [
        ["numerique@letampon.example"]
    ]


def cra(contract, external_id, day="2026-01-12"):
    return {
        "external_id": external_id,
        "contract_id": contract,
        "date": day,
        "kind": "atelier",
        "duration_minutes": 60,
        "participants": 8,
    }


def test_a_reporter_posts_activity_reports(feed):
    convention = feed.convention()
    contract = feed.contract(convention, signed_on=date(2026, 1, 5))
    feed.run("scan", date(2026, 3, 2))
    feed.on(date(2026, 3, 2))
    csv = "external_id,contract_id,date,kind,duration_minutes,participants\n" + (
        f"cra-2,{contract},2026-01-19,atelier,90,5\n"
    )

    imported = feed.call(
        "POST",
        "/activity-reports",
        201,
        {"reports": [cra(contract, "cra-1")]},
        role="reporter",
        sub="cra-feed",
    )
    from_csv = feed.client.post(
        "/api/v1/activity-reports", data=csv.encode(), content_type="text/csv", headers=bearer("reporter")
    )

    assert imported == {"imported": 1, "already_known": 0, "fulfilled": 1}
    assert from_csv.status_code == 201, from_csv.get_json()
    assert from_csv.get_json() == {"imported": 1, "already_known": 0, "fulfilled": 0}
    assert {o["period"]: o["status"] for o in feed.by_kind("activity_reporting")}["2026-01-01"] == "fulfilled"


def test_a_reporter_bound_to_a_structure_feeds_only_that_structures_contracts(feed):
    mine, theirs = feed.convention(), feed.convention()
    my_contract = feed.contract(mine, signed_on=date(2026, 1, 5))
    their_contract = feed.contract(theirs, signed_on=date(2026, 1, 5))
    feed.on(date(2026, 3, 2))
    claims = {"role": "reporter", "structure_id": mine["structure_id"]}

    refused = feed.call("POST", "/activity-reports", 422, {"reports": [cra(their_contract, "x-1")]}, **claims)
    unknown = feed.call(
        "POST", "/activity-reports", 422, {"reports": [cra(str(uuid.uuid4()), "x-1")]}, **claims
    )
    imported = feed.call("POST", "/activity-reports", 201, {"reports": [cra(my_contract, "m-1")]}, **claims)

    # Another structure's contract is refused exactly as a contract that does not exist.
    assert refused == unknown
    assert refused["errors"]["json"] == {"ligne 2": ["contrat inconnu"]}
    assert imported == {"imported": 1, "already_known": 0, "fulfilled": 0}
    # The refused row was not stored: a reporter for the whole programme (no structure) imports it anew.
    programme = feed.call(
        "POST", "/activity-reports", 201, {"reports": [cra(their_contract, "x-1")]}, role="reporter"
    )
    assert programme == {"imported": 1, "already_known": 0, "fulfilled": 0}


def test_a_reporter_gets_a_403_everywhere_else(feed):
    convention = feed.convention()
    contract = feed.contract(convention, signed_on=date(2026, 1, 5))
    obligation = feed.obligations()[0]["id"]
    reporter = bearer("reporter", sub="cra-feed")
    for method, path, body in (
        ("POST", "/api/v1/events", signed(sequence=9)),
        ("GET", "/api/v1/obligations", None),
        ("GET", f"/api/v1/obligations/{obligation}", None),
        ("GET", f"/api/v1/obligations/{obligation}/history", None),
        ("POST", f"/api/v1/obligations/{obligation}/fulfil", {"reason": "x"}),
        ("POST", "/api/v1/training-records", {"contract_id": contract, "kind": "pix", "date": "2026-01-20"}),
        ("GET", f"/api/v1/structures/{convention['structure_id']}/standing", None),
        ("GET", "/api/v1/alerts", None),
    ):
        response = feed.client.open(path, method=method, json=body, headers=reporter)
        assert refusal(response, 403)["message"] == "Le rôle « reporter » ne permet pas cette opération.", (
            path
        )
