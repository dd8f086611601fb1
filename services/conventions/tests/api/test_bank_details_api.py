"""A new IBAN takes effect only when a second officer confirms it against the uploaded RIB."""

import io

from sqlalchemy import select

from cnum_shared.testing import bearer
from conventions.adapters.orm import event_tables

NEW_IBAN = "FR7630006000011234567890189"


def real_png() -> bytes:
    """A real PNG (a scan, say): uploads are decoded whole, a header alone is not an image."""
    from PIL import Image

    output = io.BytesIO()
    Image.new("RGB", (4, 4), (255, 255, 255)).save(output, "PNG")
    return output.getvalue()


PNG = real_png()


def ask(api, structure_id, iban=NEW_IBAN, rib=PNG, role="legal", sub="alice"):
    return api.client.post(
        f"/api/v1/structures/{structure_id}/bank-details",
        data={"iban": iban, "bic": "AGRIFRPP", "file": (io.BytesIO(rib), "rib.png")},
        headers=bearer(role, sub=sub),
        content_type="multipart/form-data",
    )


def confirm(api, structure_id, change_id, role="finance", sub="bruno"):
    return api.client.post(
        f"/api/v1/structures/{structure_id}/bank-details/{change_id}/confirm", headers=bearer(role, sub=sub)
    )


def updated_events(app):
    with app.extensions["cnum"].database.session() as session:
        return list(
            session.scalars(
                select(event_tables.outbox.c.data).where(event_tables.outbox.c.type == "structure.updated")
            )
        )


def test_a_new_iban_applies_once_another_officer_confirms_it(api, app):
    structure = api.structure("974")

    asked = ask(api, structure["id"])
    assert asked.status_code == 201, asked.get_json()
    change = asked.get_json()
    assert api.call("GET", f"/structures/{structure['id']}", 200)["iban"] == structure["iban"]
    assert confirm(api, structure["id"], change["id"], role="legal", sub="alice").status_code == 403
    confirmed = confirm(api, structure["id"], change["id"])
    again = confirm(api, structure["id"], change["id"], sub="chloe")

    assert confirmed.status_code == 200
    assert (confirmed.get_json()["status"], confirmed.get_json()["confirmed_by"]) == ("confirmed", "bruno")
    assert again.status_code == 409
    assert api.call("GET", f"/structures/{structure['id']}", 200)["iban"] == NEW_IBAN
    assert updated_events(app)[-1]["iban"] == NEW_IBAN
    assert len(updated_events(app)) == 2


def test_a_wrong_iban_or_a_rib_that_is_not_a_document_is_refused(api):
    structure = api.structure("974")

    wrong_iban = ask(api, structure["id"], iban="FR7630006000011234567890180")
    not_a_rib = ask(api, structure["id"], rib=b"#!/bin/sh\nrm -rf /\n")
    auditor = ask(api, structure["id"], role="auditor")

    assert wrong_iban.status_code == 422
    assert "iban" in wrong_iban.get_json()["errors"]["form"]
    assert not_a_rib.status_code == 422
    assert auditor.status_code == 403
    assert api.call("GET", f"/structures/{structure['id']}/bank-details", 200) == []
