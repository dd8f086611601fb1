"""The agency's electronic seal (issue 17, decision 0023), on real PDFs and real pyHanko signatures: the
downloaded convention carries our PAdES seal; an altered copy, or a PDF of another authority, is not
ours (the endpoint and `cnum verify` agree); a structure's countersignature is validated at upload."""

import hashlib
import io
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyhanko.keys import load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from cnum_shared.framework.seal import TestAuthority, read_certificates
from cnum_shared.testing import TEST_KEY_ENV, bearer, service_app
from conventions import create_app
from conventions.adapters.pdf import provenance_of

#: The seal's subject as the local test authority makes it (cnum_shared.framework.seal), read back from
#: the certificate in the PDF: the agency, and the seal's name.
AGENCY = "Caisse des dépôts et consignations"
SEAL_NAME = "cnum — cachet de l'agence (test)"
#: The service's clock in these tests: the seal must claim this time, not the machine's.
NOW = datetime(2021, 3, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def sealing_api(database_url, tmp_path, converter_url, api_for):
    with service_app(create_app, database_url, tmp_path, converter_url=converter_url, fake_now=NOW) as app:
        yield api_for(app.test_client())


@pytest.fixture
def convention_pdf(sealing_api):
    structure = sealing_api.structure("974")
    convention = sealing_api.convention(structure, signed_on="2021-03-15")
    response = sealing_api.client.get(
        f"/api/v1/conventions/{convention['id']}/document?format=pdf", headers=bearer("legal")
    )
    assert response.status_code == 200
    return convention, response.data


def verify(api, content, role="legal", **claims):
    return api.client.post(
        "/api/v1/documents/verify",
        data={"file": (io.BytesIO(content), "document.pdf")},
        headers=bearer(role, **claims),
        content_type="multipart/form-data",
    )


def cnum_verify(path: Path) -> subprocess.CompletedProcess[str]:
    """`cnum verify FILE` as an officer runs it, with the tests' seal roots."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("cnum")), "verify", str(path)],
        env={"PATH": "/usr/bin:/bin", "CNUM_ENVIRONMENT": "test", **TEST_KEY_ENV},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def countersigned(pdf: bytes, authority: TestAuthority, signer_name: str, field: str = "Structure") -> bytes:
    """The structure signs the PDF it downloaded with its own certificate: an incremental update."""
    issued = authority.issue(signer_name, organisation="Commune du Tampon")
    chain = read_certificates(issued.chain_pem)
    signer = signers.SimpleSigner(
        signing_cert=chain[0],
        signing_key=load_private_key_from_pemder_data(issued.key_pem, passphrase=None),
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )
    output = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)),
        signers.PdfSignatureMetadata(field_name=field, subfilter=fields.SigSeedSubFilter.PADES),
        signer=signer,
        new_field_spec=fields.SigFieldSpec(sig_field_name=field),
    )
    return output.getvalue()


def test_a_downloaded_convention_carries_our_seal_intact_and_trusted(sealing_api, convention_pdf, tmp_path):
    convention, content = convention_pdf

    # Read back from the file itself with pyHanko: one PAdES signature, by the configured certificate.
    signatures = PdfFileReader(io.BytesIO(content)).embedded_signatures
    assert len(signatures) == 1
    subject = signatures[0].signer_cert.subject.native
    assert (subject["organization_name"], subject["common_name"]) == (AGENCY, SEAL_NAME)
    assert signatures[0].sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    # The provenance stamp is still in the metadata, under the seal; the pages are the converter's.
    assert provenance_of(content)["/CnumTemplate"] == "convention"

    response = verify(sealing_api, content)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["ours"], body["intact"]) == (True, True)
    assert body["document"]["convention_id"] == convention["id"]
    assert body["document"]["template_name"] == "convention"
    [seal] = body["signatures"]
    assert (seal["ours"], seal["intact"], seal["trusted"], seal["changes_after"]) == (
        True,
        True,
        True,
        "none",
    )
    assert seal["signer"].startswith(f"CN={SEAL_NAME}")
    # The seal claims the service's clock, not the machine's.
    assert datetime.fromisoformat(seal["signed_at"]) == NOW
    # It covers the whole file we stored and served.
    assert seal["revision_sha256"] == hashlib.sha256(content).hexdigest()

    path = tmp_path / "convention.pdf"
    path.write_bytes(content)
    completed = cnum_verify(path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"signataire : CN={SEAL_NAME}" in completed.stdout
    assert "intacte : oui" in completed.stdout
    assert "Document scellé par l'agence et intact." in completed.stdout


def test_a_pdf_altered_after_sealing_is_not_intact_for_the_endpoint_and_the_command(
    sealing_api, convention_pdf, tmp_path
):
    _, content = convention_pdf
    # One byte of what the seal covers changed (the page's width in its MediaBox).
    position = content.index(b"/MediaBox")
    altered = content[:position] + content[position:].replace(b"595", b"596", 1)
    assert altered != content and len(altered) == len(content)

    body = verify(sealing_api, altered).get_json()

    assert (body["ours"], body["intact"], body["document"]) == (False, False, None)
    [seal] = body["signatures"]
    assert (seal["ours"], seal["intact"]) == (True, False)

    path = tmp_path / "altered.pdf"
    path.write_bytes(altered)
    completed = cnum_verify(path)
    assert completed.returncode == 1
    assert "intacte : non" in completed.stdout
    assert "Ce fichier ne porte pas un cachet intact de l'agence." in completed.stdout


def test_a_pdf_sealed_by_another_authority_is_not_ours(sealing_api, convention_pdf, tmp_path):
    _, content = convention_pdf
    # Same subject, same field name, another authority: only the chain to our roots makes a seal ours.
    other = TestAuthority.create(name="Une autre autorité")
    impostor = countersigned(content, other, SEAL_NAME, field="CachetAgence2")

    body = verify(sealing_api, impostor).get_json()
    # Ours still (our seal, and only signatures after it); the impostor's signature is neither ours nor
    # trusted.
    assert [(s["field"], s["ours"], s["trusted"], s["intact"]) for s in body["signatures"]] == [
        ("CachetAgence", True, True, True),
        ("CachetAgence2", False, False, True),
    ]

    stranger = countersigned(_plain_pdf(), other, SEAL_NAME, field="CachetAgence")
    body = verify(sealing_api, stranger).get_json()
    assert (body["ours"], body["intact"], body["document"]) == (False, False, None)
    assert [(s["ours"], s["trusted"], s["intact"]) for s in body["signatures"]] == [(False, False, True)]
    path = tmp_path / "stranger.pdf"
    path.write_bytes(stranger)
    assert cnum_verify(path).returncode == 1


def _plain_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def test_a_non_pdf_is_a_422_in_the_error_shape(sealing_api):
    response = verify(sealing_api, b"GIF89a not a pdf")

    assert response.status_code == 422
    body = response.get_json()
    assert (body["code"], body["status"]) == (422, "Unprocessable Entity")
    assert body["errors"]["files"]["file"] == ["Le fichier n'est pas un PDF (signature %PDF absente)."]


def test_a_countersigned_copy_has_its_signatures_validated_and_stored(
    sealing_api, convention_pdf, database_url, tmp_path, converter_url, api_for
):
    convention, content = convention_pdf
    structure_authority = TestAuthority.create("Commune du Tampon", "Autorité de la commune")
    copy = countersigned(content, structure_authority, "Maire du Tampon")

    uploaded = sealing_api.client.post(
        f"/api/v1/conventions/{convention['id']}/signed-copy",
        data={"file": (io.BytesIO(copy), "convention signée.pdf")},
        headers=bearer("structure", structure_id=convention["structure_id"]),
        content_type="multipart/form-data",
    )

    assert uploaded.status_code == 201, uploaded.get_json()
    listed = sealing_api.client.get(
        f"/api/v1/conventions/{convention['id']}/signed-copies", headers=bearer("legal")
    ).get_json()
    [stored] = listed
    assert stored["agency_seal"] == "intact"
    assert [
        (s["field"], s["ours"], s["intact"], s["trusted"], s["changes_after"]) for s in stored["signatures"]
    ] == [
        ("CachetAgence", True, True, True, "signatures"),
        ("Structure", False, True, False, "none"),
    ]
    assert stored["signatures"][1]["signer"].startswith("CN=Maire du Tampon")

    # With the structure's root configured as trusted, the same copy's countersignature is trusted.
    roots = tmp_path / "structures-roots.pem"
    roots.write_bytes(structure_authority.root_pem)
    with service_app(
        create_app,
        database_url,
        tmp_path,
        converter_url=converter_url,
        fake_now=NOW,
        signature_trust_roots_file=roots,
    ) as app:
        api = api_for(app.test_client())
        again = api.client.post(
            f"/api/v1/conventions/{convention['id']}/signed-copy",
            data={"file": (io.BytesIO(copy), "convention signée.pdf")},
            headers=bearer("legal"),
            content_type="multipart/form-data",
        ).get_json()
    assert [(s["ours"], s["intact"], s["trusted"]) for s in again["signatures"]] == [
        (True, True, True),
        (False, True, True),
    ]


def test_a_countersigned_copy_whose_content_changed_shows_our_seal_altered(sealing_api, convention_pdf):
    convention, content = convention_pdf
    position = content.index(b"/MediaBox")
    altered = content[:position] + content[position:].replace(b"595", b"596", 1)

    uploaded = sealing_api.client.post(
        f"/api/v1/conventions/{convention['id']}/signed-copy",
        data={"file": (io.BytesIO(altered), "convention.pdf")},
        headers=bearer("legal"),
        content_type="multipart/form-data",
    )

    assert uploaded.status_code == 201, uploaded.get_json()
    assert uploaded.get_json()["agency_seal"] == "altered"
