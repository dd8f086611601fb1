"""The whole journey across the three services running as real processes over real HTTP.

A public structure in La Réunion gets a convention for 2 posts; its tranches appear in payments; a
contract is signed above the SMIC; obligations appear in compliance; time passes (jobs run for chosen
dates, the services' clock fixed at the approval day); the training obligation goes overdue; the
structure receives the French e-mail; approving the first tranche is refused for that reason; the
structure uploads evidence and the training is recorded; approval succeeds; a payment run is exported as
a valid SEPA file and confirmed by another officer; the legal officer downloads the convention PDF, and
the download is in the log.
"""

from __future__ import annotations

import io
import re

import pytest
import requests
from pypdf import PdfReader

from cnum_shared.testing import bearer
from conventions.demo import DEMO_STRUCTURES
from payments.adapters.sepa import summary, validate_pain001

pytestmark = pytest.mark.slow


JOURNEYS = {
    # a public structure in La Réunion, 2 posts: 2 × (17 500, 12 500, 12 500)
    "la-reunion-public": (
        3,
        2,
        "1900.00",
        ["35000.00", "25000.00", "25000.00"],
        "85 000,00 €",
        "quatre-vingt-cinq mille euros",
    ),
    # a private association on a renewal convention, 1 post: 20 000, 14 000, 10 000
    "private-renewal": (
        1,
        1,
        "1900.00",
        ["20000.00", "14000.00", "10000.00"],
        "44 000,00 €",
        "quarante-quatre mille euros",
    ),
    # Mayotte (public, QPV): a salary between the Mayotte SMIC (1 415,05 €) and the national one is accepted
    "mayotte": (
        4,
        1,
        "1500.00",
        ["20000.00", "17500.00", "12500.00"],
        "50 000,00 €",
        "cinquante mille euros",
    ),
}


def attestation_pdf() -> bytes:
    """A real one-page PDF: evidence is parsed whole, a %PDF header alone is refused."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


@pytest.mark.parametrize("journey", sorted(JOURNEYS))
def test_a_structure_from_convention_to_payment(product, journey):
    index, posts, salary, tranches, total_fr, total_words = JOURNEYS[journey]
    # A legal officer registers the structure; its first convention of 2021 is closed and settled.
    structure = product.call("conventions", "POST", "/structures", 201, json=DEMO_STRUCTURES[index]).json()
    product.earlier_convention_settled(structure)
    # The renewal, signed before the 2025 freeze.
    convention = product.call(
        "conventions",
        "POST",
        "/conventions",
        201,
        json={
            "structure_id": structure["id"],
            "wave": "renewal",
            "posts": posts,
            "start_date": "2024-09-01",
            "duration_months": 36,
        },
    ).json()
    product.call(
        "conventions", "POST", f"/conventions/{convention['id']}/sign", 200, json={"signed_on": "2024-09-01"}
    )
    advisor = product.call(
        "conventions",
        "POST",
        "/advisors",
        201,
        json={
            "first_name": "Inès",
            "last_name": "Payet",
            "birth_date": "1994-05-04",
            "email": "ines@example.org",
            "structure_id": structure["id"],
        },
    ).json()
    product.call(
        "conventions",
        "POST",
        f"/conventions/{convention['id']}/contracts",
        201,
        json={
            "advisor_id": advisor["id"],
            "contract_type": "cdd",
            # Signed on 5 January, starting on 2 February: the equipment is due on the first day.
            "start_date": "2026-02-02",
            # 18 months, the longest CDD of a private employer (the association's journey): 2 February
            # 2026 + 18 months = 2 August 2027, so the last day is 1 August 2027.
            "end_date": "2027-08-01",
            "weekly_hours": "35",
            "gross_monthly_salary": salary,
            "signed_on": "2026-01-05",
        },
    )
    product.relay()

    # Its tranches appear in payments, with the right amounts; its obligations in compliance.
    schedule = product.call("payments", "GET", f"/schedules/{convention['id']}", 200, role="finance").json()
    assert [t["amount"] for t in schedule["tranches"]] == tranches
    obligations = product.call(
        "compliance",
        "GET",
        f"/obligations?page_size=100&structure_id={structure['id']}",
        200,
        role="compliance",
    ).json()
    training = next(o for o in obligations if o["kind"] == "training_entry")
    assert training["due_on"] == "2026-01-20"
    # Each post waits for a candidate from the signature (1 September 2024 + 3 months = 1 December 2024);
    # the contract filled the first. The second advisor's recruitment is under way: the compliance
    # officer extends that post's presentation, with the reason.
    waiting = [o for o in obligations if o["kind"] == "candidate_presentation" and o["status"] == "open"]
    assert [o["due_on"] for o in waiting] == ["2024-12-01"] * (posts - 1)
    for post in waiting:
        product.call(
            "compliance",
            "POST",
            f"/obligations/{post['id']}/extend",
            200,
            role="compliance",
            json={"due_on": "2026-06-30", "reason": "recrutement du second conseiller en cours"},
        )

    # Time passes: the training obligation goes overdue and the structure gets the e-mail, with the one
    # that tells it the final statement of its 2021 convention (closed with nothing paid nor earned:
    # nothing to settle).
    assert "1 en retard" in product.job("compliance", "scan", "2026-01-25")
    assert "2 envoyé(s)" in product.job("compliance", "send_alerts", "2026-01-25")
    product.relay()
    mails = {message["Subject"].split(" ")[0]: message for message in product.smtp.messages()}
    mail, statement = mails["Conseiller"], mails["Décompte"]
    assert mail["To"] == statement["To"] == DEMO_STRUCTURES[index]["email"]
    assert statement["Subject"].endswith(" : rien ne reste à régler")
    assert (
        "Faire entrer le conseiller en formation initiale : en retard"
        in mail.get_body(("plain",)).get_content()
    )

    # Approving the first tranche is refused for that reason.
    product.job("payments", "mark_due", "2026-03-10")
    first = schedule["tranches"][0]
    refused = product.call(
        "payments", "POST", f"/tranches/{first['id']}/approve", 409, role="finance", json={}, sub="alice"
    ).json()
    assert [r["code"] for r in refused["errors"]["reasons"]] == ["overdue_obligation"]
    assert "entrée en formation, échue le 20 janvier 2026" in refused["errors"]["reasons"][0]["message"]

    # The structure uploads its evidence, the training is recorded: the obligation is fulfilled.
    as_structure = {"role": "structure", "structure_id": structure["id"]}
    uploaded = requests.post(
        f"{product.processes['compliance'].url}/api/v1/obligations/{training['id']}/evidence",
        files={
            "file": (
                "attestation.pdf",
                io.BytesIO(attestation_pdf()),
                "application/pdf",
            )
        },
        headers=bearer(**as_structure),
        timeout=30,
    )
    assert uploaded.status_code == 201, uploaded.text
    product.call(
        "compliance",
        "POST",
        "/training-records",
        201,
        role="compliance",
        json={"contract_id": training["contract_id"], "kind": "training_entry", "date": "2026-02-02"},
    )
    product.relay()

    # Approval succeeds; another officer builds the payment run, a third confirms it: the tranche is paid.
    product.call(
        "payments", "POST", f"/tranches/{first['id']}/approve", 200, role="finance", json={}, sub="alice"
    )
    run = product.call(
        "payments",
        "POST",
        "/payment-runs",
        201,
        role="finance",
        sub="bruno",
        json={"execution_date": "2026-03-12"},
        headers={"Idempotency-Key": "run-2026-03"},
    ).json()
    sepa = product.call(
        "payments", "GET", f"/payment-runs/{run['id']}/sepa", 200, role="finance", sub="bruno"
    ).content
    validate_pain001(sepa)
    assert str(summary(sepa)["control_sum"]) == tranches[0]
    product.call(
        "payments",
        "POST",
        f"/payment-runs/{run['id']}/confirm",
        200,
        role="finance",
        sub="chloe",
        json={"paid_on": "2026-03-12"},
    )
    assert (
        product.call("payments", "GET", f"/tranches/{first['id']}", 200, role="finance").json()["status"]
        == "paid"
    )
    balance = product.call(
        "payments", "GET", f"/conventions/{convention['id']}/balance", 200, role="finance"
    ).json()
    assert (balance["paid"], balance["total"]) == (tranches[0], convention["total_amount"])

    # The legal officer downloads the convention: the amounts are in it, the download in the log.
    pdf = product.call(
        "conventions", "GET", f"/conventions/{convention['id']}/document?format=pdf", 200
    ).content
    text = re.sub(
        r"\s+",
        " ",
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages[:2])
        .replace("\xa0", " ")
        .replace("\u202f", " "),
    )
    for expected in (DEMO_STRUCTURES[index]["name"], structure["siret"], total_fr, total_words):
        assert expected in text, expected
    log = product.call("conventions", "GET", f"/conventions/{convention['id']}/downloads", 200).json()
    assert [(entry["role"], entry["format"]) for entry in log] == [("legal", "pdf")]
