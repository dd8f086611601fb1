"""The final statement's and the recovery orders' endpoints without a converter (DOCX and JSON), on both
databases: payments (the real producer) closes and settles a convention, its events are delivered as the
relays post them, and the conventions service answers from the copies it kept (decision 0033). The PDFs
themselves are checked in tests/e2e/test_closing_documents.py."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import docx
import pytest

from cnum_shared.testing import TestDatabases, bearer, service_app
from compliance import create_app as create_compliance
from compliance.manage import MIGRATIONS_DIR as COMPLIANCE_MIGRATIONS
from conventions import create_app as create_conventions
from conventions.manage import MIGRATIONS_DIR as CONVENTIONS_MIGRATIONS
from payments import create_app as create_payments
from payments.manage import MIGRATIONS_DIR as PAYMENTS_MIGRATIONS
from tests.e2e.test_closing_documents import Closing


@pytest.fixture
def closing(db_backend: str, test_databases: TestDatabases, tmp_path: Path) -> Iterator[Closing]:
    with ExitStack() as stack:
        apps = {}
        for name, create_app, migrations in (
            ("conventions", create_conventions, CONVENTIONS_MIGRATIONS),
            ("payments", create_payments, PAYMENTS_MIGRATIONS),
            ("compliance", create_compliance, COMPLIANCE_MIGRATIONS),
        ):
            url = test_databases.fresh(name, db_backend, migrations)
            apps[name] = stack.enter_context(service_app(create_app, url, tmp_path / name))
        yield Closing(apps)


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return " ".join(" ".join(parts).replace("\xa0", " ").replace("\u202f", " ").split())


def test_the_statement_and_the_orders_are_served_from_payments_events_once_they_arrive(closing):
    structure, convention = closing.convention("15", posts=1)  # Saint-Flour: 50 000 a post
    cid = convention["id"]
    api = closing.apps["conventions"].test_client()
    finance = bearer("finance")

    missing = api.get(f"/api/v1/conventions/{cid}/final-statement/document?format=docx", headers=finance)
    assert missing.status_code == 404
    assert missing.get_json()["message"].startswith("Le décompte final de cette convention n'est pas encore")
    assert api.get("/api/v1/recovery-orders", headers=finance).get_json() == []
    unknown = api.get(f"/api/v1/recovery-orders/{uuid.uuid4()}", headers=finance)
    assert unknown.status_code == 404 and "Ordre de reversement introuvable" in unknown.get_json()["message"]

    # Tranche 1 paid (40 % of 50 000 = 20 000), the post never filled, then closed: nothing earned, the
    # 20 000 paid is to be paid back.
    closing.pay_first_tranche(cid, date(2021, 3, 20))
    closing.close(convention)

    statement = api.get(f"/api/v1/conventions/{cid}/final-statement/document?format=docx", headers=finance)
    assert statement.status_code == 200, statement.get_json()
    text = docx_text(statement.data)
    assert "Subvention acquise 0,00 €" in text
    assert "1 poste non pourvu 0 0,00 €" in text
    assert "À reverser par le Bénéficiaire : 20 000,00 € (vingt mille euros)" in text

    [order] = api.get(f"/api/v1/recovery-orders?convention_id={cid}", headers=finance).get_json()
    assert (order["kind"], order["amount"], order["structure_id"], order["convention_reference"]) == (
        "final_statement",
        "20000.00",
        structure["id"],
        convention["reference"],
    )
    # Issued on the closing day, 28 February 2023, to be paid within the convention's 30 days.
    assert (order["issued_on"], order["pay_by"], order["repayment_delay_days"]) == (
        "2023-02-28",
        "2023-03-30",
        30,
    )
    assert order["payment_reference"] == "CNR" + uuid.UUID(order["id"]).hex.upper()
    assert api.get(f"/api/v1/recovery-orders/{order['id']}", headers=finance).get_json() == order
    assert api.get(f"/api/v1/recovery-orders?structure_id={uuid.uuid4()}", headers=finance).get_json() == []

    mine = bearer("structure", structure_id=structure["id"])
    theirs = bearer("structure", structure_id=str(uuid.uuid4()))
    assert api.get(f"/api/v1/recovery-orders/{order['id']}", headers=theirs).status_code == 404
    # A structure asking for another's by filter still gets only its own (none).
    assert api.get(f"/api/v1/recovery-orders?structure_id={structure['id']}", headers=theirs).get_json() == []
    document = api.get(f"/api/v1/recovery-orders/{order['id']}/document?format=docx", headers=mine)
    assert document.status_code == 200
    assert document.headers["Content-Disposition"].endswith(f'-{order["payment_reference"]}.docx"')
    assert f"Référence à indiquer sur le virement {order['payment_reference']}" in docx_text(document.data)

    # Every download is logged, with the order as its subject.
    downloads = api.get(f"/api/v1/conventions/{cid}/downloads", headers=bearer("legal")).get_json()
    assert sorted(line["template_name"] for line in downloads) == ["final_statement", "recovery_order"]
