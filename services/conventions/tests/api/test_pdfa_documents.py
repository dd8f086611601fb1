"""Every generated PDF is PDF/A-2b and tagged, with its provenance in the XMP (decision 0022): the three
templates rendered through the API with the session's converter, checked by cnum_shared.testing.pdfa
(ISO 19005-2 clauses, its docstring says which) and by pikepdf's allowlist validator; the provenance read
back from the XMP equals the template version the API answers and the data hash the service recorded."""

import hashlib
import io

import pikepdf
import pikepdf.pdfa
from sqlalchemy import select

from cnum_shared.testing import bearer
from cnum_shared.testing.pdfa import pdfa_2b_problems
from conventions.adapters.orm import GeneratedDocument
from conventions.adapters.pdf import CNUM_XMP_NAMESPACE, provenance_of

#: pikepdf's validator permits no XMP namespace outside its list, extension schemas included (a false
#: alarm of an allowlist, said in its docs); cnum_shared.testing.pdfa checks the extension schema instead.
EXTENSION_NAMESPACES = (
    CNUM_XMP_NAMESPACE,
    "cnum:",
    "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaExtension:",
    "http://www.aiim.org/pdfa/ns/schema#",
    "http://www.aiim.org/pdfa/ns/property#",
)


def pikepdf_violations(content):
    report = pikepdf.pdfa.check(pikepdf.open(io.BytesIO(content)), "2b")
    return [
        finding
        for finding in report.findings
        if finding.kind != "unsupported" and not any(name in finding.message for name in EXTENSION_NAMESPACES)
    ]


def download(api, path):
    return api.client.get(f"/api/v1{path}?format=pdf", headers=bearer("legal"))


def recorded_data_sha256(app, content):
    """The data hash the service recorded beside the stored PDF (generated_documents), found by the PDF's
    own SHA-256, which the download answers too."""
    with app.extensions["cnum"].unit_of_work() as uow:
        records = uow.session.scalars(
            select(GeneratedDocument).where(GeneratedDocument.sha256 == hashlib.sha256(content).hexdigest())
        ).all()
        return [record.data_sha256 for record in records]


def three_documents(api):
    structure = api.structure("974")
    signed = api.convention(structure, signed_on="2021-03-15")
    path = f"/conventions/{signed['id']}/amendments"
    amendment = api.call(
        "POST", path, 201, {"posts": 3, "effective_date": "2022-03-01", "reason": "Un poste"}
    )
    api.call("POST", f"{path}/{amendment['id']}/sign", 200, {"signed_on": "2022-02-20"})
    renewal = api.convention(structure, wave="renewal", start="2024-09-01", months=36, signed_on="2024-09-01")
    advisor = api.call(
        "POST",
        "/advisors",
        201,
        {
            "first_name": "Inès",
            "last_name": "Payet",
            "birth_date": "1990-05-04",
            "email": "ines@example.org",
            "structure_id": structure["id"],
        },
    )
    contract = api.call(
        "POST",
        f"/conventions/{renewal['id']}/contracts",
        201,
        {
            "advisor_id": advisor["id"],
            "start_date": "2026-02-01",
            "weekly_hours": "35",
            "gross_monthly_salary": "1900.00",
            "signed_on": "2026-01-20",
            "contract_type": "cdi",
            "existing_cdi_employee": True,
            "original_contract_start_date": "2019-09-02",
            "place_of_work": "Médiathèque Alain-Lorraine, 97430 Le Tampon",
            "line_manager": "Mme Josiane Grondin, directrice de la médiathèque",
            "classification": "adjoint territorial d'animation, échelon 4",
            "public_status": "contractuel",
        },
    )
    return {
        "convention": f"/conventions/{signed['id']}/document",
        "convention_avenant": f"{path}/{amendment['id']}/document",
        "contract_avenant": f"/contracts/{contract['id']}/amendment",
    }


def test_every_template_gives_a_tagged_pdfa_2b_with_its_provenance_in_the_xmp(documents_api, documents_app):
    for template_name, path in three_documents(documents_api).items():
        response = download(documents_api, path)
        assert response.status_code == 200, (template_name, response.get_json())
        content = response.data

        assert pdfa_2b_problems(content) == [], template_name
        assert pikepdf_violations(content) == [], template_name
        with pikepdf.open(io.BytesIO(content)) as document:
            xmp = document.open_metadata()
            assert (xmp["pdfaid:part"], xmp["pdfaid:conformance"]) == ("2", "B")
            assert str(document.Root.Lang) == "fr-FR"
            assert xmp["xmp:CreatorTool"] == str(document.docinfo["/Creator"])
            assert xmp["pdf:Producer"] == str(document.docinfo["/Producer"])
            # Nothing left in the Info dictionary that the XMP does not say: no /Cnum keys there any more.
            assert not [key for key in document.docinfo if key.startswith("/Cnum")]
        provenance = provenance_of(content)
        assert provenance["/CnumTemplate"] == template_name
        assert provenance["/CnumTemplateSha256"] == response.headers["X-Template-Version"]
        assert [provenance["/CnumDataSha256"]] == recorded_data_sha256(documents_app, content)
        assert provenance["/CnumGenerator"].startswith("cnum-conventions ")
        assert xmp["xmp:CreatorTool"] == provenance["/CnumGenerator"]
