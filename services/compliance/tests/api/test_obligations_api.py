"""Obligations from the conventions events, the scan, fulfilment, standing, evidence and activity reports."""

import io
from datetime import date

from cnum_shared.testing import service_app
from compliance import create_app


def test_the_recruiting_events_open_each_obligation_with_its_legal_due_date(feed):
    convention = feed.convention()
    feed.candidate(convention, presented_on=date(2025, 10, 31))
    feed.candidate(convention, presented_on=date(2025, 11, 3), selected_on=date(2025, 11, 20))
    feed.contract(convention, signed_on=date(2026, 1, 5), start=date(2026, 2, 4))

    due = {(o["kind"], o["due_on"], o["status"]) for o in feed.obligations()}

    assert due == {
        # the convention ends on 1 September 2027: + 3 months = 1 December 2027
        ("final_report", "2027-12-01", "open"),
        # the one post: signed 2 September 2024 + 3 months = 2 December 2024, settled by the presentation
        ("candidate_presentation", "2024-12-02", "fulfilled"),
        ("candidate_selection", "2025-11-30", "open"),  # 31 October + 1 month
        ("candidate_selection", "2025-12-03", "fulfilled"),
        ("contract_signature", "2025-12-05", "fulfilled"),  # selection + 15 days, settled by the contract
        ("training_entry", "2026-01-20", "open"),
        ("equipment", "2026-02-04", "open"),  # due on the contract's first day, 4 February 2026
    }
    assert all(o["source"] for o in feed.obligations())
    assert {o["structure_name"] for o in feed.obligations()} == {"Commune du Tampon"}
    one = feed.obligations()[0]
    assert feed.call("GET", f"/obligations/{one['id']}", 200)["structure_name"] == "Commune du Tampon"


def test_the_scan_moves_obligations_and_the_standing_follows(feed):
    convention = feed.convention()
    feed.contract(convention, signed_on=date(2026, 1, 5), start=date(2026, 2, 4))
    structure = convention["structure_id"]
    assert feed.call("GET", f"/structures/{structure}/standing", 200, role="finance")["blocking"] is False

    feed.run("scan", date(2026, 1, 5))
    assert feed.by_kind("training_entry")[0]["status"] == "due_soon"
    feed.run("scan", date(2026, 1, 20))
    assert feed.by_kind("training_entry")[0]["status"] == "due_soon"  # on time on its due day
    feed.run("scan", date(2026, 1, 21))
    training = feed.by_kind("training_entry")[0]
    standing = feed.call("GET", f"/structures/{structure}/standing", 200, role="service")

    assert training["status"] == "overdue"
    assert feed.obligations()[0]["id"] == training["id"]  # overdue first
    assert standing["blocking"] is True
    assert [(o["kind"], o["due_on"]) for o in standing["overdue"]] == [("training_entry", "2026-01-20")]
    history = feed.call("GET", f"/obligations/{training['id']}/history", 200)
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "open"),
        ("open", "due_soon"),
        ("due_soon", "overdue"),
    ]


def test_a_training_record_fulfils_and_opens_the_next_obligations(feed):
    convention = feed.convention()
    contract = feed.contract(convention, signed_on=date(2026, 1, 5))
    feed.on(date(2026, 3, 10))

    feed.call(
        "POST",
        "/training-records",
        201,
        {"contract_id": contract, "kind": "training_entry", "date": "2026-01-15"},
    )
    feed.call(
        "POST",
        "/training-records",
        201,
        {"contract_id": contract, "kind": "training_end", "date": "2026-03-01"},
    )
    feed.call(
        "POST",
        "/training-records",
        201,
        {"contract_id": contract, "kind": "module", "date": "2026-03-02", "hours": 7},
    )
    wrong = feed.call(
        "POST",
        "/training-records",
        422,
        {"contract_id": contract, "kind": "module", "date": "2026-03-03", "hours": 10},
    )
    feed.call(
        "POST",
        "/training-records",
        201,
        {"contract_id": contract, "kind": "module", "date": "2026-03-03", "hours": 14},
    )
    feed.call(
        "POST", "/training-records", 201, {"contract_id": contract, "kind": "pix", "date": "2026-03-04"}
    )
    feed.call(
        "POST", "/training-records", 201, {"contract_id": contract, "kind": "ccp1", "date": "2026-03-05"}
    )

    status = {
        o["kind"]: (o["status"], o["due_on"]) for o in feed.obligations() if o["contract_id"] == contract
    }
    assert status == {
        "training_entry": ("fulfilled", "2026-01-20"),
        "equipment": ("open", "2026-01-05"),  # due on the contract's first day
        "thematic_modules": ("fulfilled", "2027-01-15"),
        "certification_exams": ("fulfilled", "2026-09-01"),
    }
    assert "hours" in wrong["errors"]["json"]


def test_an_officer_fulfils_waives_or_extends_with_a_reason(feed):
    convention = feed.convention()
    feed.contract(convention)
    equipment, training = feed.by_kind("equipment")[0], feed.by_kind("training_entry")[0]

    feed.call(
        "POST",
        f"/obligations/{equipment['id']}/fulfil",
        200,
        {"reason": "Ordinateur et téléphone vus sur facture"},
    )
    feed.call("POST", f"/obligations/{equipment['id']}/waive", 409, {"reason": "déjà remplie"})
    feed.call(
        "POST",
        f"/obligations/{training['id']}/extend",
        422,
        {"reason": "arrêt maladie", "due_on": "2026-01-01"},
    )
    extended = feed.call(
        "POST",
        f"/obligations/{training['id']}/extend",
        200,
        {"reason": "arrêt maladie", "due_on": "2026-02-20"},
    )
    feed.call(
        "POST",
        f"/obligations/{training['id']}/fulfil",
        403,
        {"reason": "x"},
        role="structure",
        structure_id=convention["structure_id"],
    )

    assert extended["due_on"] == "2026-02-20"
    reasons = [h["reason"] for h in feed.call("GET", f"/obligations/{training['id']}/history", 200)]
    assert "échéance reportée du 2026-01-20 au 2026-02-20 : arrêt maladie" in reasons


def real_png() -> bytes:
    """A real PNG (a scan, say): uploads are decoded whole, a header alone is not an image."""
    from PIL import Image

    output = io.BytesIO()
    Image.new("RGB", (4, 4), (255, 255, 255)).save(output, "PNG")
    return output.getvalue()


def real_pdf() -> bytes:
    """A real one-page PDF: uploads are parsed whole, a header alone is not a PDF."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


PNG = real_png()
PDF = real_pdf()


def upload(feed, obligation_id, content, name="facture.png", role="structure", **claims):
    import io

    from cnum_shared.testing import bearer

    return feed.client.post(
        f"/api/v1/obligations/{obligation_id}/evidence",
        data={"file": (io.BytesIO(content), name)},
        headers=bearer(role, **claims),
        content_type="multipart/form-data",
    )


def test_evidence_is_kept_by_revision_checked_by_content_and_does_not_fulfil_alone(
    feed, database_url, tmp_path
):
    convention = feed.convention()
    feed.contract(convention)
    equipment = feed.by_kind("equipment")[0]
    own = {"structure_id": convention["structure_id"]}

    first = upload(feed, equipment["id"], PNG, **own)
    second = upload(feed, equipment["id"], PDF, name="../../facture.pdf", **own)
    fake = upload(feed, equipment["id"], b"<script>alert(1)</script>", name="facture.png", **own)
    other = upload(feed, equipment["id"], PNG, structure_id="00000000-0000-0000-0000-000000000001")

    assert (first.status_code, second.status_code, fake.status_code, other.status_code) == (
        201,
        201,
        422,
        404,
    )
    revisions = feed.call("GET", f"/obligations/{equipment['id']}/evidence", 200)
    assert [(r["revision"], r["media_type"]) for r in revisions] == [(2, "application/pdf"), (1, "image/png")]
    assert "/" not in revisions[0]["file_name"]
    assert feed.by_kind("equipment")[0]["status"] == "open"


def test_evidence_above_the_limit_is_a_413_and_nothing_is_kept(database_url, tmp_path, feed_for):
    with service_app(create_app, database_url, tmp_path, evidence_max_bytes=1024) as app:
        feed = feed_for(app)
        convention = feed.convention()
        feed.contract(convention)
        equipment = feed.by_kind("equipment")[0]
        refused = upload(feed, equipment["id"], PNG + b"\x00" * 2048, structure_id=convention["structure_id"])
        revisions = feed.call("GET", f"/obligations/{equipment['id']}/evidence", 200)

    assert refused.status_code == 413
    assert revisions == []
    assert not (tmp_path / "evidence").exists()


def cra(contract, external_id, day, minutes=60):
    return {
        "external_id": external_id,
        "contract_id": contract,
        "date": day,
        "kind": "atelier",
        "duration_minutes": minutes,
        "participants": 8,
    }


def test_activity_reports_are_imported_once_and_fulfil_their_month(feed):
    convention = feed.convention()
    contract = feed.contract(convention, signed_on=date(2026, 1, 5))
    feed.run("scan", date(2026, 3, 2))
    feed.on(date(2026, 3, 2))
    months = {o["period"]: o["status"] for o in feed.by_kind("activity_reporting")}
    assert months == {"2026-01-01": "overdue", "2026-02-01": "open"}  # January was due on 28 February

    first = feed.call(
        "POST",
        "/activity-reports",
        201,
        {"reports": [cra(contract, "cra-1", "2026-01-12"), cra(contract, "cra-2", "2026-01-19")]},
    )
    again = feed.call("POST", "/activity-reports", 201, {"reports": [cra(contract, "cra-1", "2026-01-12")]})
    csv = (
        "external_id,contract_id,date,kind,duration_minutes,participants\n"
        + f"cra-3,{contract},2026-02-03,atelier,90,5\n"
    )
    from_csv = feed.client.post(
        "/api/v1/activity-reports",
        data=csv.encode(),
        content_type="text/csv",
        headers=__import__("cnum_shared.testing", fromlist=["bearer"]).bearer("service"),
    )

    assert first == {"imported": 2, "already_known": 0, "fulfilled": 1}
    assert again == {"imported": 0, "already_known": 1, "fulfilled": 0}
    assert from_csv.status_code == 201, from_csv.get_json()
    assert {o["period"]: o["status"] for o in feed.by_kind("activity_reporting")} == {
        "2026-01-01": "fulfilled",
        "2026-02-01": "fulfilled",
    }


def test_a_bad_activity_report_row_is_named_by_its_line_and_nothing_is_imported(feed):
    convention = feed.convention()
    contract = feed.contract(convention, signed_on=date(2026, 1, 5))
    feed.on(date(2026, 3, 2))
    rows = [
        cra(contract, "ok-1", "2026-01-12"),
        cra(contract, "bad-1", "2026-13-40"),
        cra(contract, "bad-2", "2026-01-20", minutes=-5),
    ]

    refused = feed.call("POST", "/activity-reports", 422, {"reports": rows})
    unsupported = feed.client.post(
        "/api/v1/activity-reports",
        data="x",
        content_type="text/plain",
        headers=__import__("cnum_shared.testing", fromlist=["bearer"]).bearer("compliance"),
    )
    after = feed.call("POST", "/activity-reports", 201, {"reports": [cra(contract, "ok-1", "2026-01-12")]})

    assert set(refused["errors"]["json"]) == {"ligne 3", "ligne 4"}
    assert unsupported.status_code == 415
    assert after["imported"] == 1
