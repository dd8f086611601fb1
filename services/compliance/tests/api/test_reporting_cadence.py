"""Activity reports follow the programme's own cadence: a reminder after 1 month without a report, another
after 1.5 months, and the compliance officer 15 days later (envoiMailRelanceM+1 / M+1,5)."""

from datetime import date

OFFICER = "conformite@conseiller-numerique.example"


def cra(contract, external_id, day):
    return {
        "external_id": external_id,
        "contract_id": contract,
        "date": day.isoformat(),
        "kind": "atelier",
        "duration_minutes": 90,
        "participants": 6,
    }


def day_by_day(feed, first, last):
    """Scan and send the digests every day from `first` to `last`, as the scheduler would."""
    day = first
    while day <= last:
        feed.run("scan", day)
        feed.run("send_alerts", day)
        day = date.fromordinal(day.toordinal() + 1)


def test_a_month_without_a_report_is_reminded_at_one_and_one_and_a_half_months_then_escalated(feed, smtp):
    convention = feed.convention(signed_on=date(2024, 9, 2), start=date(2024, 9, 2), end=date(2027, 9, 1))
    # The advisor starts on Monday 7 October 2024; training and equipment are settled, so that the
    # digests speak of the activity reports only.
    contract = feed.contract(
        convention, signed_on=date(2024, 9, 23), start=date(2024, 10, 7), end=date(2027, 9, 1)
    )
    feed.on(date(2024, 10, 15))
    feed.training(contract, "training_entry", date(2024, 10, 8))
    equipment = feed.by_kind("equipment")[0]
    feed.call(
        "POST", f"/obligations/{equipment['id']}/fulfil", 200, {"reason": "ordinateur et téléphone vus"}
    )
    # November is reported (on the 20th); October and December are not.
    feed.on(date(2024, 11, 20))
    feed.call("POST", "/activity-reports", 201, {"reports": [cra(contract, "cra-nov-1", date(2024, 11, 19))]})

    day_by_day(feed, date(2024, 10, 31), date(2025, 1, 31))
    feed.run("scan", date(2025, 2, 1))

    alerts = feed.call("GET", "/alerts?page_size=100", 200)
    months = {o["id"]: o["period"] for o in feed.by_kind("activity_reporting")}
    steps = sorted(
        (a["digest_date"], months.get(i["obligation_id"]), i["step"], a["cc"])
        for a in alerts
        for i in a["items"]
    )
    assert steps == [
        # October, without a report since the contract's start on 7 October:
        ("2024-11-07", "2024-10-01", "reminder_1", []),  # 7 October + 1 month
        ("2024-11-22", "2024-10-01", "reminder_2", []),  # 7 October + 1 month + 15 days
        ("2024-12-07", "2024-10-01", "escalation", [OFFICER]),  # 22 November + 15 days
        # December, without a report since the 1st:
        ("2025-01-01", "2024-12-01", "reminder_1", []),  # 1 December + 1 month
        ("2025-01-16", "2024-12-01", "reminder_2", []),  # 1 December + 1 month + 15 days
        ("2025-01-31", "2024-12-01", "escalation", [OFFICER]),  # 16 January + 15 days
    ]
    statuses = {o["period"]: (o["due_on"], o["status"]) for o in feed.by_kind("activity_reporting")}
    # Each month is due 1 month after it ends (DESIGN §3): 31 October + 1 month = 30 November.
    assert statuses["2024-10-01"] == ("2024-11-30", "overdue")
    assert statuses["2024-11-01"] == ("2024-12-30", "fulfilled")  # 30 November + 1 month = 30 December
    # 31 December + 1 month = 31 January 2025, overdue from 1 February: the programme's escalation
    # (31 January) may come on the due date itself, as its cadence does not know our due date.
    assert statuses["2024-12-01"] == ("2025-01-31", "overdue")
    first, second, escalated = (m for m in smtp.messages()[:3])
    text = first.get_body(("plain",)).get_content()
    assert (
        "Transmettre les comptes rendus d'activité du mois (octobre 2024) : aucun compte rendu depuis le "
        "7 octobre 2024, soit 1 mois (1re relance)" in text
    )
    assert (
        "soit 1 mois et demi (2e relance : sans compte rendu sous 15 jours"
        in second.get_body(("plain",)).get_content()
    )
    assert escalated["Cc"] == OFFICER
    assert (
        "Aucun compte rendu d'activité n'a suivi la seconde relance"
        in escalated.get_body(("plain",)).get_content()
    )
    assert first["Cc"] is None and second["Cc"] is None


def test_a_report_filed_after_the_first_reminder_stops_the_cadence(feed, smtp):
    convention = feed.convention(signed_on=date(2024, 9, 2), start=date(2024, 9, 2), end=date(2027, 9, 1))
    contract = feed.contract(
        convention, signed_on=date(2024, 9, 23), start=date(2024, 10, 1), end=date(2027, 9, 1)
    )
    feed.on(date(2024, 10, 2))
    feed.training(contract, "training_entry", date(2024, 10, 2))
    equipment = feed.by_kind("equipment")[0]
    feed.call(
        "POST", f"/obligations/{equipment['id']}/fulfil", 200, {"reason": "ordinateur et téléphone vus"}
    )

    day_by_day(feed, date(2024, 11, 1), date(2024, 11, 5))
    feed.on(date(2024, 11, 6))
    feed.call(
        "POST", "/activity-reports", 201, {"reports": [cra(contract, "cra-oct-late", date(2024, 10, 30))]}
    )
    day_by_day(feed, date(2024, 11, 6), date(2024, 11, 30))

    alerts = feed.call("GET", "/alerts", 200)
    # 1 October + 1 month = 1 November: the first reminder; the report of 30 October, filed on
    # 6 November, fulfils the month before the second reminder (16 November).
    assert [(a["digest_date"], [i["step"] for i in a["items"]]) for a in alerts] == [
        ("2024-11-01", ["reminder_1"])
    ]
    assert feed.by_kind("activity_reporting")[0]["status"] == "fulfilled"
