"""`POST /obligations/{id}/escalate`: an officer brings the compliance officer in, with a reason kept in the
history; the structure's next digest copies them, once per escalation."""

from datetime import date

OFFICER = "conformite@conseiller-numerique.example"  # CNUM_COMPLIANCE_OFFICER_EMAIL in the tests


def test_an_escalation_is_recorded_and_the_next_digest_copies_the_compliance_officer(feed, smtp):
    convention = feed.convention(signed_on=date(2024, 9, 2), start=date(2024, 9, 2), end=date(2027, 9, 1))
    feed.contract(convention, signed_on=date(2024, 9, 16), start=date(2024, 9, 16))
    training = feed.by_kind("training_entry")[0]  # signed 16 September 2024 + 15 days = 1 October 2024
    feed.on(date(2024, 9, 20))

    escalated = feed.call(
        "POST",
        f"/obligations/{training['id']}/escalate",
        200,
        {"reason": "Structure injoignable depuis deux semaines"},
        sub="helene.robert",
    )
    history = feed.call("GET", f"/obligations/{training['id']}/history", 200)
    first = feed.run("send_alerts", date(2024, 9, 20))
    next_day = feed.run("send_alerts", date(2024, 9, 21))
    # Once overdue (from 2 October) and escalated again, the next digest copies the officer again.
    feed.run("scan", date(2024, 10, 2))
    feed.on(date(2024, 10, 2))
    feed.call("POST", f"/obligations/{training['id']}/escalate", 200, {"reason": "Toujours rien"})
    feed.run("send_alerts", date(2024, 10, 2))

    assert (escalated["status"], escalated["due_on"]) == ("open", "2024-10-01")
    assert (history[-1]["from_status"], history[-1]["to_status"], history[-1]["actor"]) == (
        "open",
        "open",
        "helene.robert",
    )
    assert (
        history[-1]["reason"]
        == "escalade au chargé de conformité : Structure injoignable depuis deux semaines"
    )
    assert first.startswith("1 récapitulatif(s) préparé(s), 1 envoyé(s)")
    assert next_day.startswith("0 récapitulatif(s)")
    escalation, overdue = smtp.messages()
    assert escalation["To"] == "inclusion@letampon.example" and escalation["Cc"] == OFFICER
    text = escalation.get_body(("plain",)).get_content()
    assert (
        "Faire entrer le conseiller en formation initiale : signalée au chargé de conformité par le service "
        "conformité (échéance du 1er octobre 2024)" in text
    )
    assert "Le service conformité a signalé une obligation au chargé de conformité" in text
    assert "Structure injoignable" not in text  # the officer's reason stays in the history
    assert overdue["Cc"] == OFFICER
    alerts = feed.call("GET", "/alerts", 200)
    told = [
        (
            a["digest_date"],
            a["cc"],
            sorted(
                (i["step"], i["officer_request"]) for i in a["items"] if i["obligation_id"] == training["id"]
            ),
        )
        for a in alerts
    ]
    assert told == [
        ("2024-10-02", [OFFICER], [("escalation", 2), ("overdue", 0)]),
        ("2024-09-20", [OFFICER], [("escalation", 1)]),
    ]


def test_an_escalation_is_refused_clearly(feed):
    convention = feed.convention(signed_on=date(2024, 9, 2), start=date(2024, 9, 2), end=date(2027, 9, 1))
    feed.contract(convention, signed_on=date(2024, 9, 16), start=date(2024, 9, 16))
    training, equipment = feed.by_kind("training_entry")[0], feed.by_kind("equipment")[0]
    feed.call("POST", f"/obligations/{training['id']}/fulfil", 200, {"reason": "attestation d'entrée vue"})
    feed.call("POST", f"/obligations/{equipment['id']}/waive", 200, {"reason": "matériel de la mairie"})

    fulfilled = feed.call("POST", f"/obligations/{training['id']}/escalate", 409, {"reason": "x"})
    waived = feed.call("POST", f"/obligations/{equipment['id']}/escalate", 409, {"reason": "x"})
    unknown = feed.call(
        "POST", "/obligations/00000000-0000-0000-0000-000000000001/escalate", 404, {"reason": "x"}
    )
    no_reason = feed.call("POST", f"/obligations/{training['id']}/escalate", 422, {})
    empty_reason = feed.call("POST", f"/obligations/{training['id']}/escalate", 422, {"reason": ""})
    structure = feed.call(
        "POST",
        f"/obligations/{training['id']}/escalate",
        403,
        {"reason": "x"},
        role="structure",
        structure_id=convention["structure_id"],
    )

    assert (fulfilled["code"], fulfilled["status"], fulfilled["message"]) == (
        409,
        "Conflict",
        "Obligation déjà remplie.",
    )
    assert waived["message"] == "Obligation déjà levée."
    assert (unknown["code"], unknown["message"]) == (404, "Obligation introuvable.")
    assert "reason" in no_reason["errors"]["json"]
    assert "reason" in empty_reason["errors"]["json"]
    assert structure["code"] == 403
    assert [h["to_status"] for h in feed.call("GET", f"/obligations/{training['id']}/history", 200)] == [
        "open",
        "fulfilled",
    ]
