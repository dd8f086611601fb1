"""The final statement and the recovery order, from the closing of a convention to their PDFs (issue 18,
points 1 and 2; decision 0033).

The three services run in this process with the session's converter; every event goes from its producer's
outbox to its consumers as the relays post it (payments' `final_statement.settled` and `recovery.issued`
included). A convention whose one filled post ended early is closed: payments settles it and issues the
recovery, the conventions service draws up the statement and the order, and the text of each PDF is
compared, to the cent, with payments' own answers (GET /conventions/{id}/final-statement, GET
/recoveries) and with the figures worked out here by hand (DESIGN §3 and §4, the parameter files). A
second convention, where the structure is still owed money, gives « reste à payer ». Every PDF is PDF/A-2b
and carries the agency's seal. One or two conversions a case: the converter is shared.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from cnum_shared.core.clock import FixedClock
from cnum_shared.testing import TestDatabases, bearer, outbox_envelopes, post_event, service_app
from cnum_shared.testing.pdfa import pdfa_2b_problems
from compliance import create_app as create_compliance
from compliance.manage import MIGRATIONS_DIR as COMPLIANCE_MIGRATIONS
from conventions import create_app as create_conventions
from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS
from payments import create_app as create_payments
from payments.adapters.orm import event_tables as payments_events
from payments.jobs import JOBS as PAYMENTS_JOBS
from payments.manage import MIGRATIONS_DIR as PAYMENTS_MIGRATIONS
from services.conventions.tests.api.test_pdfa_documents import pikepdf_violations
from tests.e2e.test_documents_state_the_law import STRUCTURES, Programme

pytestmark = pytest.mark.slow

START, SIGNED, END = date(2021, 3, 1), date(2021, 3, 15), date(2023, 2, 28)  # 24 months, initial wave
#: shared/parameters/convention.yaml: repayment_delay_days, 30 since 2020.
REPAYMENT_DELAY = timedelta(days=30)
#: payments' settings' default account (PAYMENTS_DEBTOR_*): where recoveries are paid back to.
AGENCY_IBAN, AGENCY_BIC = "FR7640031000010000001234555", "CDCGFRPPXXX"
#: The services' clock: the day the documents are drawn up.
TODAY = datetime(2026, 3, 2, 9, tzinfo=UTC)


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def french(amount: Decimal | str) -> str:
    """An amount as the PDF prints it once spaces are made plain: "19 166,67 €", "-19 166,67 €"."""
    value = Decimal(amount)
    whole, decimals = f"{abs(value):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{'-' if value < 0 else ''}{' '.join(groups)},{decimals} €"


def pdf_text(content: bytes) -> str:
    """The PDF's text in one line, every kind of space a plain one (pypdf; LibreOffice never hyphenates)."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())


class Closing(Programme):
    """The programme, with payments' officers: a tranche falls due, Alice approves it, Bruno pays it."""

    def on(self, day: date) -> None:
        self.apps["payments"].extensions["cnum"].clock = FixedClock(
            datetime(*day.timetuple()[:3], 9, tzinfo=UTC)
        )

    def finance(self, method: str, path: str, expected: int, sub: str = "alice", **options: Any) -> Any:
        response = (
            self.apps["payments"]
            .test_client()
            .open(
                f"/api/v1{path}",
                method=method,
                headers={**bearer("finance", sub=sub), **options.pop("headers", {})},
                **options,
            )
        )
        assert response.status_code == expected, (path, response.get_json())
        return response.get_json()

    def pay_first_tranche(self, convention_id: str, on: date) -> Decimal:
        first = self.finance("GET", f"/schedules/{convention_id}", 200)["tranches"][0]
        context = self.apps["payments"].extensions["cnum"]
        next(job for job in PAYMENTS_JOBS if job.name == "mark_due").function(context, on)
        self.on(on)
        self.finance("POST", f"/tranches/{first['id']}/approve", 200, json={})
        self.finance(
            "POST",
            f"/tranches/{first['id']}/pay",
            201,
            sub="bruno",
            json={"paid_on": on.isoformat(), "reference": f"VIR-{first['id'][:8]}"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        self.relay()
        return Decimal(first["amount"])

    def convention(self, department: str, posts: int) -> tuple[dict, dict]:
        structure = self.legal("POST", "/structures", 201, STRUCTURES[department])
        created = self.legal(
            "POST",
            "/conventions",
            201,
            {
                "structure_id": structure["id"],
                "wave": "initial",
                "posts": posts,
                "start_date": START.isoformat(),
                "duration_months": 24,
            },
        )
        signed = self.legal(
            "POST", f"/conventions/{created['id']}/sign", 200, {"signed_on": SIGNED.isoformat()}
        )
        self.relay()
        return structure, signed

    def cdd(self, structure: dict, convention: dict, start: date, end: date) -> str:
        advisor = self.legal(
            "POST",
            "/advisors",
            201,
            {
                "first_name": "Léa",
                "last_name": "Conseillère",
                "birth_date": "1990-05-04",
                "email": f"lea.{uuid.uuid4().hex[:6]}@example.org",
                "structure_id": structure["id"],
            },
        )
        contract = self.legal(
            "POST",
            f"/conventions/{convention['id']}/contracts",
            201,
            {
                "advisor_id": advisor["id"],
                "contract_type": "cdd",
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "weekly_hours": "35.00",
                "gross_monthly_salary": "1900.00",
                "signed_on": start.isoformat(),
            },
        )
        self.relay()
        return contract["id"]

    def close(self, convention: dict) -> None:
        self.legal(
            "POST", f"/conventions/{convention['id']}/close", 200, {"on": END.isoformat(), "reason": "Terme"}
        )
        self.relay()

    def document(self, path: str, fmt: str = "pdf", role: str = "finance", **claims: Any):
        return (
            self.apps["conventions"]
            .test_client()
            .get(f"/api/v1{path}?format={fmt}", headers=bearer(role, **claims))
        )

    def check_sealed_pdfa(self, content: bytes, template_name: str, subject_id: str) -> None:
        assert pdfa_2b_problems(content) == [], template_name
        assert pikepdf_violations(content) == [], template_name
        verified = (
            self.apps["conventions"]
            .test_client()
            .post(
                "/api/v1/documents/verify",
                data={"file": (io.BytesIO(content), "document.pdf")},
                headers=bearer("legal"),
                content_type="multipart/form-data",
            )
        )
        assert verified.status_code == 200, verified.get_json()
        body = verified.get_json()
        assert (body["ours"], body["intact"]) == (True, True)
        assert (body["document"]["template_name"], body["document"]["subject_id"]) == (
            template_name,
            subject_id,
        )
        [seal] = body["signatures"]
        assert (seal["ours"], seal["intact"], seal["trusted"]) == (True, True, True)


@pytest.fixture
def closing(
    db_backend: str, test_databases: TestDatabases, tmp_path: Path, converter_url: str
) -> Iterator[Closing]:
    with ExitStack() as stack:
        apps = {}
        for name, create_app, migrations, settings in (
            ("conventions", create_conventions, CONVENTIONS_MIGRATIONS, {"converter_url": converter_url}),
            ("payments", create_payments, PAYMENTS_MIGRATIONS, {}),
            ("compliance", create_compliance, COMPLIANCE_MIGRATIONS, {}),
        ):
            url = test_databases.fresh(name, db_backend, migrations)
            apps[name] = stack.enter_context(service_app(create_app, url, tmp_path / name, **settings))
        apps["conventions"].extensions["cnum"].clock = FixedClock(TODAY)
        yield Closing(apps)


def test_a_convention_whose_post_ended_early_gives_a_statement_to_recover_and_its_order(closing):
    structure, convention = closing.convention("15", posts=2)  # Saint-Flour, Cantal, public
    cid = convention["id"]
    statement_path = f"/conventions/{cid}/final-statement/document"
    # Before the closing, nothing has arrived from payments: a 404 that says so, in French.
    early = closing.document(statement_path, fmt="docx")
    assert early.status_code == 404
    assert "pas encore disponible" in early.get_json()["message"]

    paid = closing.pay_first_tranche(cid, date(2021, 3, 20))
    contract = closing.cdd(structure, convention, SIGNED, date(2022, 9, 14))
    closing.legal(
        "POST", f"/contracts/{contract}/end", 200, {"ended_on": "2021-12-20", "reason": "resignation"}
    )
    closing.relay()
    closing.close(convention)

    # By hand (DESIGN §3, subsidy/initial.yaml): a public structure of Cantal, 50 000 a post, 2 posts:
    # 100 000 granted, tranches of 40 %, 40 %, 20 %: tranche 1 = 40 000, paid. The one post filled is
    # occupied from March 2021 (month 1 of the convention) to December 2021 (month 10): article 6 gives
    # 10 × 50 000 ÷ 24 = 20 833,333… → 20 833,33; the other post was never filled: 0. Paid for the
    # post when it ended: 40 000 ÷ 2 = 20 000 < 20 833,33, nothing claimed then. Balance 20 833,33 −
    # 40 000 = −19 166,67: the structure pays back 19 166,67, by 28 February 2023 + 30 days.
    granted, tranche_one = Decimal("100000.00"), cents(Decimal("100000.00") * Decimal("0.40"))
    earned = cents(Decimal(50000) * 10 / 24)
    to_recover = tranche_one - earned
    pay_by = END + REPAYMENT_DELAY
    assert (paid, earned, to_recover, pay_by) == (
        Decimal("40000.00"),
        Decimal("20833.33"),
        Decimal("19166.67"),
        date(2023, 3, 30),
    )
    theirs = closing.finance("GET", f"/conventions/{cid}/final-statement", 200)
    assert (theirs["granted"], theirs["earned"], theirs["paid"], theirs["to_recover"], theirs["claimed"]) == (
        str(granted),
        str(earned),
        str(tranche_one),
        str(to_recover),
        str(to_recover),  # after the closing, the recovery it issued is claimed
    )
    [recovery] = closing.finance("GET", f"/recoveries?convention_id={cid}&kind=final_statement", 200)
    assert (recovery["status"], recovery["recoverable"], recovery["pay_by"]) == (
        "issued",
        str(to_recover),
        pay_by.isoformat(),
    )
    reference = "CNR" + uuid.UUID(recovery["id"]).hex.upper()

    # The final statement, as the conventions service draws it up from payments' figures.
    response = closing.document(statement_path)
    assert response.status_code == 200, response.get_json()
    statement = pdf_text(response.data)
    assert "Décompte final de la convention " + convention["reference"] in statement
    assert "La convention a été close le 28 février 2023." in statement
    assert f"Subvention accordée (convention et avenants) {french(theirs['granted'])}" in statement
    assert f"Subvention acquise {french(theirs['earned'])}" in statement
    assert f"Sommes versées, déduction faite des reversements reçus {french(theirs['paid'])}" in statement
    assert f"Solde (subvention acquise − sommes versées) {french(theirs['balance'])}" in statement
    assert f"À reverser par le Bénéficiaire : {french(to_recover)}" in statement
    assert "Reste à payer" not in statement
    # Per post: the contract, its months and earnings, as payments' posts say; the other post empty.
    posts = theirs["posts"]
    assert [(p["post"], p["months"], p["earned"]) for p in posts] == [(1, 10, str(earned)), (2, 0, "0.00")]
    assert (
        "1 contrat à durée déterminée (CDD) du 15 mars 2021 au 20 décembre 2021 : "
        f"10 mois, {french(earned)} 10 {french(earned)}"
    ) in statement
    assert "2 poste non pourvu 0 0,00 €" in statement
    # Article 6's monthly rate, for the reader's months × rate: 50 000 ÷ 24 = 2 083,33.
    assert (
        f"du 1er mars 2021 au 28 février 2023 24 50 000,00 € {french(cents(Decimal(50000) / 24))}"
        in statement
    )
    assert f"La clôture a émis un reversement de {french(recovery['recoverable'])}" in statement
    closing.check_sealed_pdfa(response.data, "final_statement", cid)

    # The order: listed for finance and for the structure itself, never for another structure.
    [listed] = (
        closing.apps["conventions"]
        .test_client()
        .get(f"/api/v1/recovery-orders?convention_id={cid}", headers=bearer("finance"))
        .get_json()
    )
    assert (listed["id"], listed["amount"], listed["pay_by"], listed["payment_reference"]) == (
        recovery["id"],
        recovery["recoverable"],
        recovery["pay_by"],
        reference,
    )
    own = (
        closing.apps["conventions"]
        .test_client()
        .get("/api/v1/recovery-orders", headers=bearer("structure", structure_id=structure["id"]))
    )
    assert [item["id"] for item in own.get_json()] == [recovery["id"]]
    other = str(uuid.uuid4())
    assert (
        closing.apps["conventions"]
        .test_client()
        .get("/api/v1/recovery-orders", headers=bearer("structure", structure_id=other))
        .get_json()
        == []
    )
    order_path = f"/recovery-orders/{recovery['id']}/document"
    assert closing.document(order_path, fmt="docx", role="structure", structure_id=other).status_code == 404
    assert closing.document(order_path, fmt="docx", role="compliance").status_code == 403

    response = closing.document(order_path, role="structure", structure_id=structure["id"])
    assert response.status_code == 200, response.get_json()
    order = pdf_text(response.data)
    assert "Ordre de reversement" in order
    assert "Débiteur : Commune de Saint-Flour" in order
    assert "Motif : solde du décompte final, à la clôture de la convention." in order
    assert f"Solde (subvention acquise − sommes versées) {french(-to_recover)}" in order
    assert f"Réglé par la clôture (solde − en paiement + déjà demandé) {french(-to_recover)}" in order
    assert f"la somme de {french(recovery['recoverable'])}" in order
    assert "IBAN FR76 4003 1000 0100 0000 1234 555" in order and f"BIC {AGENCY_BIC}" in order
    assert AGENCY_IBAN.startswith("FR764003")
    assert f"Référence à indiquer sur le virement {reference}" in order
    assert "au plus tard le 30 mars 2023, soit trente jours après l'émission du présent ordre" in order
    closing.check_sealed_pdfa(response.data, "recovery_order", recovery["id"])

    # The copy kept is the first (decision 0033): the statement delivered again, then a second statement
    # of the same convention as a new event with other figures, change nothing of it.
    [settled] = [
        envelope
        for envelope in outbox_envelopes(closing.apps["payments"], payments_events)
        if envelope["type"] == "final_statement.settled" and envelope["data"]["convention_id"] == cid
    ]
    conventions = closing.apps["conventions"].test_client()
    assert post_event(conventions, settled).get_json()["status"] == "duplicate"
    other = {**settled, "id": str(uuid.uuid4()), "sequence": settled["sequence"] + 100}
    other["data"] = {**settled["data"], "earned": "99999.99"}
    assert post_event(conventions, other).status_code == 200
    with closing.apps["conventions"].extensions["cnum"].unit_of_work() as uow:
        kept = uow.final_statements.get(uuid.UUID(cid))
        assert kept is not None
        assert (kept.event_id, kept.earned, kept.to_recover, kept.closed_on) == (
            uuid.UUID(settled["id"]),
            earned,
            to_recover,
            END,
        )


def test_a_convention_still_owed_money_gives_a_statement_that_says_reste_a_payer(closing):
    structure, convention = closing.convention("974", posts=1)  # Le Tampon, La Réunion, public
    cid = convention["id"]
    closing.pay_first_tranche(cid, date(2021, 3, 20))
    closing.cdd(structure, convention, SIGNED, date(2022, 9, 14))
    closing.close(convention)

    # By hand: La Réunion, public, 67 500 a post (overseas rate), 1 post: tranche 1 = 40 % = 27 000, paid.
    # The post is occupied from March 2021 (month 1) to September 2022 (month 19): 19 × 67 500 ÷ 24 =
    # 53 437,50 earned; 53 437,50 − 27 000 = 26 437,50 still to pay, booked by the closing.
    earned = cents(Decimal(67500) * 19 / 24)
    to_pay = earned - cents(Decimal(67500) * Decimal("0.40"))
    assert (earned, to_pay) == (Decimal("53437.50"), Decimal("26437.50"))
    theirs = closing.finance("GET", f"/conventions/{cid}/final-statement", 200)
    assert (theirs["earned"], theirs["to_pay"]) == (str(earned), str(to_pay))
    [line] = theirs["settlements"]
    assert (line["kind"], line["amount"]) == ("payment", str(to_pay))
    assert closing.finance("GET", f"/recoveries?convention_id={cid}&kind=final_statement", 200) == []

    response = closing.document(
        f"/conventions/{cid}/final-statement/document", role="structure", structure_id=structure["id"]
    )
    assert response.status_code == 200, response.get_json()
    statement = pdf_text(response.data)
    assert f"Reste à payer au Bénéficiaire : {french(theirs['to_pay'])}" in statement
    assert "À reverser par" not in statement
    assert f"Subvention acquise {french(theirs['earned'])}" in statement
    assert f"un dernier versement de {french(line['amount'])}" in statement
    assert "10 mois" not in statement and f"19 mois, {french(earned)}" in statement
    closing.check_sealed_pdfa(response.data, "final_statement", cid)
    # Another structure's user: the same 404 as an unknown convention.
    other = closing.document(
        f"/conventions/{cid}/final-statement/document",
        fmt="docx",
        role="structure",
        structure_id=str(uuid.uuid4()),
    )
    assert other.status_code == 404
