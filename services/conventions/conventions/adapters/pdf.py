"""PDF adapters: provenance metadata on what we generate (pikepdf's XMP model, keeping it PDF/A-2b; the
seal writes it), and checks on what people upload (pypdf, cnum_shared.framework.uploads)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pikepdf
from lxml import etree
from pikepdf.models.metadata import PdfMetadata
from pypdf import PdfReader

from cnum_shared.framework.seal import MetadataUpdate
from cnum_shared.framework.uploads import InvalidPdf, PdfFacts, check_pdf

__all__ = [
    "CNUM_XMP_NAMESPACE",
    "PROVENANCE_KEYS",
    "InvalidPdf",
    "PdfFacts",
    "check_uploaded_pdf",
    "provenance_of",
    "provenance_update",
]

#: The names the callers read the provenance by (DESIGN §5), which were Info keys before PDF/A.
PROVENANCE_KEYS = ("/CnumTemplate", "/CnumTemplateSha256", "/CnumDataSha256", "/CnumGenerator")
#: The XMP namespace of cnum's provenance properties (decision 0022): a URN, as cnum owns no web address
#: to name it by; its version in the name, so that a later meaning gets a new namespace.
CNUM_XMP_NAMESPACE = "urn:x-cnum:xmp:provenance:1.0/"
CNUM_XMP_PREFIX = "cnum"
#: Each provenance property: its XMP name (cnum:…), the caller's key, and the description the extension
#: schema gives it (ISO 19005-2 §6.6.2.3.2: every custom property is described in the file itself).
_PROPERTIES = (
    ("Template", "/CnumTemplate", "Name of the cnum document template the PDF was generated from"),
    ("TemplateSha256", "/CnumTemplateSha256", "SHA-256 of the template version (DOCX) used"),
    ("DataSha256", "/CnumDataSha256", "SHA-256 of the canonical JSON of the data merged into it"),
    ("Generator", "/CnumGenerator", "Program and version that generated the document"),
)
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_PDFA_EXTENSION = "http://www.aiim.org/pdfa/ns/extension/"
_PDFA_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
_PDFA_PROPERTY = "http://www.aiim.org/pdfa/ns/property#"

PdfMetadata.register_xml_namespace(CNUM_XMP_NAMESPACE, CNUM_XMP_PREFIX)


def provenance_update(
    *, template_name: str, template_sha256: str, data_sha256: str, generator: str
) -> MetadataUpdate:
    """The change of a PDF's metadata that states its provenance, for the seal to write in its own
    incremental update (decision 0041): the template, its version, the data hash and the generator in the
    XMP, still PDF/A-2b (the properties are declared by a PDF/A extension schema in the packet), and the
    Info dictionary rewritten from the XMP so that both say the same.

    pikepdf's XMP model does the work on a scratch document that holds only the metadata, so that the PDF
    itself is neither parsed twice nor rewritten (the seal's writer reads it once and appends)."""
    values = {
        "Template": template_name,
        "TemplateSha256": template_sha256,
        "DataSha256": data_sha256,
        "Generator": generator,
    }

    def update(packet: bytes | None, info: dict[str, str]) -> tuple[bytes, dict[str, str]]:
        with pikepdf.new() as scratch:
            if packet is not None:
                scratch.Root.Metadata = pikepdf.Stream(scratch, packet)
            for key, value in info.items():
                scratch.docinfo[key] = value
            _stamp(scratch, values, generator)
            return scratch.Root.Metadata.read_bytes(), {str(k): str(v) for k, v in scratch.docinfo.items()}

    return update


def _stamp(document: pikepdf.Pdf, values: dict[str, str], generator: str) -> None:
    producer = str(document.docinfo.get("/Producer", "")).strip()
    # The dates stay the XMP's: LibreOffice writes Info's /CreationDate with a stray quote ("…Z'").
    mapped = {str(name) for _uri, _key, name, _converter in PdfMetadata.DOCINFO_MAPPING} - {
        "/CreationDate",
        "/ModDate",
    }
    with document.open_metadata(set_pikepdf_as_editor=False) as xmp:
        # The Info dictionary is the reference: LibreOffice 7.4 escapes an apostrophe twice in the XMP
        # (dc:description "l&amp;apos;État"), which its Info entry has right.
        xmp.load_from_docinfo({key: value for key, value in document.docinfo.items() if key in mapped})
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        xmp["xmp:CreatorTool"] = generator
        xmp["pdf:Producer"] = f"{producer}; pikepdf {pikepdf.__version__}".lstrip("; ")
        xmp["xmp:ModifyDate"] = now
        xmp["xmp:MetadataDate"] = now
        for name, value in values.items():
            xmp[f"{CNUM_XMP_PREFIX}:{name}"] = value
    _declare_extension_schema(document)


def _declare_extension_schema(document: pikepdf.Pdf) -> None:
    """Add to the XMP packet the pdfaExtension:schemas entry that describes cnum's namespace (once)."""
    packet = document.Root.Metadata.read_bytes()
    root = etree.fromstring(packet, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    rdf = root.find(f"{{{_RDF}}}RDF")
    if rdf is None:  # pragma: no cover - pikepdf always writes rdf:RDF
        raise ValueError("XMP packet without rdf:RDF")
    for existing in rdf.iterfind(f".//{{{_PDFA_SCHEMA}}}namespaceURI"):
        if existing.text == CNUM_XMP_NAMESPACE:
            return
    nsmap = {"pdfaExtension": _PDFA_EXTENSION, "pdfaSchema": _PDFA_SCHEMA, "pdfaProperty": _PDFA_PROPERTY}
    description = etree.SubElement(rdf, f"{{{_RDF}}}Description", nsmap=nsmap)
    description.set(f"{{{_RDF}}}about", "")
    bag = etree.SubElement(etree.SubElement(description, f"{{{_PDFA_EXTENSION}}}schemas"), f"{{{_RDF}}}Bag")
    schema = etree.SubElement(bag, f"{{{_RDF}}}li", {f"{{{_RDF}}}parseType": "Resource"})
    for field, text in (
        ("schema", "cnum provenance of generated documents"),
        ("namespaceURI", CNUM_XMP_NAMESPACE),
        ("prefix", CNUM_XMP_PREFIX),
    ):
        etree.SubElement(schema, f"{{{_PDFA_SCHEMA}}}{field}").text = text
    sequence = etree.SubElement(etree.SubElement(schema, f"{{{_PDFA_SCHEMA}}}property"), f"{{{_RDF}}}Seq")
    for name, _key, meaning in _PROPERTIES:
        item = etree.SubElement(sequence, f"{{{_RDF}}}li", {f"{{{_RDF}}}parseType": "Resource"})
        for field, text in (
            ("name", name),
            ("valueType", "Text"),
            ("category", "external"),
            ("description", meaning),
        ):
            etree.SubElement(item, f"{{{_PDFA_PROPERTY}}}{field}").text = text
    body = etree.tostring(root, encoding="utf-8")
    # The xpacket wrapper with padding, as ISO 19005-2 §6.6.2.1 wants the packet readable by XMP tools.
    wrapped = (
        b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        + body
        + b"\n"
        + (b" " * 99 + b"\n") * 20
        + b'<?xpacket end="w"?>'
    )
    metadata = pikepdf.Stream(document, wrapped)
    metadata[pikepdf.Name.Type] = pikepdf.Name.Metadata
    metadata[pikepdf.Name.Subtype] = pikepdf.Name.XML
    document.Root.Metadata = metadata


def provenance_of(pdf: bytes) -> dict[str, str]:
    """The provenance found in a PDF: from its XMP (cnum:…), else from the Info keys (/Cnum…) that PDFs
    generated before PDF/A carry; keyed by PROVENANCE_KEYS either way."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        xmp = document.open_metadata()
        found = {
            key: str(xmp[f"{CNUM_XMP_PREFIX}:{name}"])
            for name, key, _meaning in _PROPERTIES
            if f"{CNUM_XMP_PREFIX}:{name}" in xmp
        }
    if found:
        return found
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    if metadata is None:
        return {}
    return {key: str(metadata[key]) for key in PROVENANCE_KEYS if key in metadata}


def check_uploaded_pdf(content: bytes) -> PdfFacts:
    """Accept a real, unencrypted PDF without scripts, actions or links outside it; InvalidPdf otherwise
    (the checks are cnum_shared.framework.uploads', shared with the compliance evidence)."""
    return check_pdf(content)
