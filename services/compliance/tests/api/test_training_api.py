"""Training: an advisor holding the CCP1 or the title is exempted from the initial training and its exams
(with the evidence's SHA-256), and continuing training asks one thematic module per calendar year after
the year of the two modules (FAQ 167v0qe)."""

import hashlib
import io
from datetime import date

from cnum_shared.testing import bearer

SIGNED = date(2024, 9, 2)  # a renewal convention, signed before the 2025 freeze
START, END = date(2024, 9, 2), date(2027, 9, 1)


def real_pdf() -> bytes:
    """A real one-page PDF: uploads are parsed whole, a header alone is not a PDF."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


PDF = real_pdf()


def of_contract(feed, contract, kind):
    return [o for o in feed.obligations(kind=kind) if o["contract_id"] == contract]


def years(feed, contract):
    return sorted(
        (o["period"], o["due_on"], o["status"]) for o in of_contract(feed, contract, "continuing_training")
    )


def exempt(feed, contract, qualification="ccp1", obtained_on="2023-06-30", content=PDF, **kwargs):
    return feed.upload(
        f"/contracts/{contract}/training-exemption",
        {"qualification": qualification, "obtained_on": obtained_on},
        content,
        name="diplome-ccp1.pdf",
        **kwargs,
    )


def test_an_advisor_holding_the_ccp1_owes_no_initial_training_nor_exams_and_is_never_alerted_for_them(
    feed, smtp
):
    convention = feed.convention(signed_on=SIGNED, start=START, end=END)
    contract = feed.contract(convention, signed_on=date(2024, 9, 16), start=date(2024, 9, 16))
    (training,) = of_contract(feed, contract, "training_entry")
    feed.on(date(2024, 9, 20))

    answer = exempt(feed, contract)
    body = answer.get_json()
    # The advisor followed the training all the same: its end opens no exams.
    feed.training(contract, "training_end", date(2024, 9, 20))
    # 1 October 2024: the training entry would have been overdue (signed 16 September + 15 days = 1 October,
    # overdue from the 2nd); 2 November: the equipment is (16 September + 30 days = 16 October).
    feed.run("scan", date(2024, 11, 2))
    feed.run("send_alerts", date(2024, 11, 2))
    read_back = feed.call("GET", f"/contracts/{contract}/training-exemption", 200, role="auditor")
    own = feed.call(
        "GET",
        f"/contracts/{contract}/training-exemption",
        200,
        role="structure",
        structure_id=convention["structure_id"],
    )

    assert answer.status_code == 201, body
    assert training["due_on"] == "2024-10-01"
    assert (body["qualification"], body["obtained_on"], body["file_name"]) == (
        "ccp1",
        "2023-06-30",
        "diplome-ccp1.pdf",
    )
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["media_type"] == "application/pdf"
    assert body["lifted"] == [training["id"]]
    assert read_back["sha256"] == own["sha256"] == body["sha256"]
    assert [o["status"] for o in of_contract(feed, contract, "training_entry")] == ["waived"]
    assert of_contract(feed, contract, "certification_exams") == []
    reason = feed.call("GET", f"/obligations/{training['id']}/history", 200)[-1]["reason"]
    assert "titulaire du CCP1" in reason and hashlib.sha256(PDF).hexdigest() in reason
    told = {item["obligation_id"] for alert in feed.call("GET", "/alerts", 200) for item in alert["items"]}
    assert training["id"] not in told
    assert of_contract(feed, contract, "equipment")[0]["id"] in told
    (message,) = smtp.messages()
    assert "formation initiale" not in message.get_body(("plain",)).get_content()


def test_an_exemption_is_refused_clearly_when_it_cannot_be_recorded(feed):
    convention = feed.convention(signed_on=SIGNED, start=START, end=END)
    contract = feed.contract(convention, signed_on=date(2024, 9, 16), start=date(2024, 9, 16))
    feed.on(date(2024, 9, 20))

    unknown = exempt(feed, "00000000-0000-0000-0000-000000000001")
    bad_kind = exempt(feed, contract, qualification="bac")
    future = exempt(feed, contract, obtained_on="2024-09-21")
    not_a_file = exempt(feed, contract, content=b"<html>diplome</html>")
    no_file = feed.client.post(
        f"/api/v1/contracts/{contract}/training-exemption",
        data={"qualification": "ccp1", "obtained_on": "2023-06-30"},
        headers=bearer("compliance"),
        content_type="multipart/form-data",
    )
    by_structure = exempt(feed, contract, role="structure", structure_id=convention["structure_id"])
    first = exempt(feed, contract, qualification="title")
    again = exempt(feed, contract)
    other_structure = feed.call(
        "GET",
        f"/contracts/{contract}/training-exemption",
        404,
        role="structure",
        structure_id="00000000-0000-0000-0000-000000000002",
    )

    assert (unknown.status_code, unknown.get_json()["message"]) == (
        404,
        "Contrat inconnu du suivi des obligations.",
    )
    assert bad_kind.status_code == 422 and "qualification" in bad_kind.get_json()["errors"]["form"]
    assert future.status_code == 422
    assert future.get_json()["errors"]["form"]["obtained_on"] == [
        "Une certification se déclare une fois obtenue, pas à l'avance."
    ]
    assert not_a_file.status_code == 422
    assert not_a_file.get_json()["errors"]["files"]["file"] == [
        "Seuls les fichiers PDF, PNG et JPEG sont acceptés (contenu vérifié)."
    ]
    assert no_file.status_code == 422 and "file" in no_file.get_json()["errors"]["files"]
    assert by_structure.status_code == 403
    assert first.status_code == 201
    assert again.status_code == 409
    assert (
        again.get_json()["message"]
        == "Une dispense de formation initiale est déjà enregistrée pour ce contrat."
    )
    assert set(again.get_json()) >= {"code", "status", "message"}
    assert other_structure["message"] == "Contrat inconnu du suivi des obligations."


def test_after_the_year_of_the_two_modules_one_module_is_due_each_calendar_year(feed):
    convention = feed.convention(signed_on=SIGNED, start=START, end=END, posts=2)
    # Two 36-month CDDs: 16 September 2024 to 15 September 2027, 7 October 2024 to 6 October 2027.
    claire = feed.contract(
        convention, signed_on=date(2024, 9, 16), start=date(2024, 9, 16), end=date(2027, 9, 15)
    )
    denis = feed.contract(
        convention, signed_on=date(2024, 10, 7), start=date(2024, 10, 7), end=date(2027, 10, 6)
    )
    feed.on(date(2025, 3, 1))
    # Claire enters training on 26 September 2024: her two modules are due by 26 September 2025 (+ 12
    # months); she follows one in 2024 and one in 2025.
    feed.training(claire, "training_entry", date(2024, 9, 26))
    feed.training(claire, "module", date(2024, 11, 14), hours=7)
    feed.training(claire, "module", date(2025, 2, 6), hours=14)
    # Denis enters on 14 October 2024 (modules due by 14 October 2025) and follows both in 2024.
    feed.training(denis, "training_entry", date(2024, 10, 14))
    feed.training(denis, "module", date(2024, 11, 21), hours=7)
    feed.training(denis, "module", date(2024, 12, 5), hours=7)

    feed.run("scan", date(2025, 9, 26))
    during_the_first_year = years(feed, claire)
    feed.run("scan", date(2025, 9, 27))
    claire_2025 = years(feed, claire)
    feed.run("scan", date(2025, 10, 15))
    denis_2025 = years(feed, denis)
    feed.on(date(2025, 11, 21))
    feed.training(denis, "module", date(2025, 11, 20), hours=7)
    denis_settled = years(feed, denis)
    feed.run("scan", date(2026, 1, 1))
    claire_2026 = years(feed, claire)
    feed.run("scan", date(2026, 12, 16))
    due_soon = years(feed, claire)
    feed.run("scan", date(2027, 1, 1))
    overdue = years(feed, claire)
    feed.on(date(2027, 1, 8))
    feed.training(claire, "module", date(2026, 6, 11), hours=14)  # declared late
    feed.run("scan", date(2027, 6, 1))

    assert during_the_first_year == []
    # The year of the two modules ended on 26 September 2025: 2025 is owed from the 27th, and the module
    # Claire followed on 6 February 2025 counts for it (« à compter de l'année civile suivante, si l'un
    # des deux modules a été suivi durant l'année civile en cours »).
    assert claire_2025 == [("2025-01-01", "2025-12-31", "fulfilled")]
    # Denis's year ended on 14 October 2025 with both modules in 2024: 2025 is owed « dès l'année civile
    # en cours », due 31 December 2025; his module of 20 November 2025 settles it.
    assert denis_2025 == [("2025-01-01", "2025-12-31", "open")]
    assert denis_settled == [("2025-01-01", "2025-12-31", "fulfilled")]
    # 1 January 2026: the module of 2026 is owed, due 31 December 2026, due soon 15 days before (16th).
    assert claire_2026[-1] == ("2026-01-01", "2026-12-31", "open")
    assert due_soon[-1] == ("2026-01-01", "2026-12-31", "due_soon")
    assert overdue[-1] == ("2026-01-01", "2026-12-31", "overdue")
    # The late declaration settles 2026; 2027 is not owed: her contract ends on 15 September 2027, before
    # its due date of 31 December 2027.
    assert years(feed, claire) == [
        ("2025-01-01", "2025-12-31", "fulfilled"),
        ("2026-01-01", "2026-12-31", "fulfilled"),
    ]
    source = of_contract(feed, claire, "continuing_training")[0]["source"]
    assert "167v0qe" in source and "année civile" in source


def test_an_exempted_advisor_owes_a_module_a_year_and_the_2024_one_could_wait_until_march_2025(feed):
    convention = feed.convention(signed_on=date(2024, 2, 1), start=date(2024, 2, 1), end=date(2027, 1, 31))
    contract = feed.contract(
        convention, signed_on=date(2024, 3, 4), start=date(2024, 3, 4), end=None, contract_type="cdi"
    )
    feed.on(date(2024, 3, 8))
    assert exempt(feed, contract, qualification="title", obtained_on="2022-06-24").status_code == 201

    feed.run("scan", date(2025, 1, 1))
    opened = years(feed, contract)
    feed.on(date(2025, 2, 11))
    feed.training(contract, "module", date(2025, 2, 10), hours=7)
    after_one = years(feed, contract)
    feed.on(date(2025, 6, 3))
    feed.training(contract, "module", date(2025, 6, 2), hours=14)

    # Exempted: one module per calendar year from the contract's start (4 March 2024). The 2024 module
    # could be followed until 31 March 2025 (31 December 2024 + 3 months); 2025's is due 31 December 2025.
    assert opened == [("2024-01-01", "2025-03-31", "open"), ("2025-01-01", "2025-12-31", "open")]
    # The module of 10 February 2025 settles the year that still lacked one, 2024; it counts once.
    assert after_one == [("2024-01-01", "2025-03-31", "fulfilled"), ("2025-01-01", "2025-12-31", "open")]
    assert years(feed, contract) == [
        ("2024-01-01", "2025-03-31", "fulfilled"),
        ("2025-01-01", "2025-12-31", "fulfilled"),
    ]
    assert of_contract(feed, contract, "thematic_modules") == []
