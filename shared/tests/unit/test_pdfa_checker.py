"""The PDF/A-2b checker of the tests (cnum_shared.testing.pdfa) catches what it claims: a minimal PDF/A-2b
file built here by hand, with no LibreOffice, passes it and pikepdf's own validator; each clause broken on
a copy is reported by its number."""

import io

import pikepdf
import pikepdf.pdfa
import pytest
from PIL import ImageCms

from cnum_shared.testing.pdfa import pdfa_2b_problems

XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
<pdfaid:part>{part}</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance></rdf:Description>
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Convention</rdf:li></rdf:Alt></dc:title></rdf:Description>
<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/"><pdf:Producer>cnum</pdf:Producer>
</rdf:Description>{extra}</rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"""

EXTENSION = """<rdf:Description rdf:about="" xmlns:cnum="urn:x-cnum:test/"
 xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
 xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
<cnum:Template>convention</cnum:Template>
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
<pdfaSchema:schema>test</pdfaSchema:schema><pdfaSchema:namespaceURI>urn:x-cnum:test/</pdfaSchema:namespaceURI>
<pdfaSchema:prefix>cnum</pdfaSchema:prefix><pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
<pdfaProperty:name>{declared}</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType>
<pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>d</pdfaProperty:description>
</rdf:li></rdf:Seq></pdfaSchema:property></rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"""


def set_xmp(document, part="2", extra=""):
    metadata = pikepdf.Stream(document, XMP.format(part=part, extra=extra).encode())
    metadata.Type, metadata.Subtype = pikepdf.Name.Metadata, pikepdf.Name.XML
    document.Root.Metadata = document.make_indirect(metadata)


def build(breakage=None):
    """A one-page PDF/A-2b file, tagged, without text (so without fonts); `breakage` edits it first."""
    document = pikepdf.new()
    document.add_blank_page(page_size=(595, 842))
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    profile = pikepdf.Stream(document, srgb)
    profile.N = 3
    document.Root.OutputIntents = pikepdf.Array(
        [
            pikepdf.Dictionary(
                Type=pikepdf.Name.OutputIntent,
                S=pikepdf.Name.GTS_PDFA1,
                OutputConditionIdentifier="sRGB IEC61966-2.1",
                DestOutputProfile=document.make_indirect(profile),
            )
        ]
    )
    document.Root.MarkInfo = pikepdf.Dictionary(Marked=True)
    document.Root.StructTreeRoot = document.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot, K=pikepdf.Array())
    )
    document.Root.Lang = pikepdf.String("fr-FR")
    document.docinfo["/Title"] = "Convention"
    document.docinfo["/Producer"] = "cnum"
    set_xmp(document)
    if breakage:
        breakage(document)
    output = io.BytesIO()
    # Streams saved as they are: qpdf would otherwise decode an LZW stream and write it Flate-encoded.
    document.save(
        output,
        fix_metadata_version=False,
        deterministic_id=True,
        compress_streams=False,
        stream_decode_level=pikepdf.StreamDecodeLevel.none,
    )
    return output.getvalue()


def test_the_hand_built_file_passes_this_checker_and_pikepdfs_validator():
    content = build()

    assert pdfa_2b_problems(content) == []
    report = pikepdf.pdfa.check(pikepdf.open(io.BytesIO(content)), "2b")
    assert [finding for finding in report.findings if finding.kind != "unsupported"] == []


def add_action(kind, **more):
    def breakage(document):
        document.Root.OpenAction = document.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.Action, S=pikepdf.Name(kind), **more)
        )

    return breakage


def unembedded_font(document):
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.TrueType,
        BaseFont=pikepdf.Name.Arial,
        FontDescriptor=pikepdf.Dictionary(Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name.Arial),
    )
    document.pages[0].Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=document.make_indirect(font)))


def annotation(**entries):
    def breakage(document):
        document.pages[0].Annots = pikepdf.Array(
            [
                document.make_indirect(
                    pikepdf.Dictionary(
                        Type=pikepdf.Name.Annot, Rect=pikepdf.Array([10, 10, 50, 50]), **entries
                    )
                )
            ]
        )

    return breakage


def lzw_stream(document):
    stream = pikepdf.Stream(document, b"")
    stream.write(b"\x80\x0b\x60\x50\x22\x0c\x0c\x85\x01", filter=pikepdf.Name.LZWDecode)  # "-----A---B"
    document.pages[0].Contents = document.make_indirect(stream)


def subject_unlike_xmp(document):
    document.docinfo["/Subject"] = "Convention de l'État"  # dc:description is absent from the XMP


@pytest.mark.parametrize(
    ("breakage", "clause"),
    [
        (lambda document: document.Root.OutputIntents.__delitem__(0), "6.2.3:"),
        (lambda document: setattr(document.Root.OutputIntents[0], "S", pikepdf.Name.GTS_PDFX), "6.2.3:"),
        (lambda document: document.Root.OutputIntents[0].__delitem__("/DestOutputProfile"), "6.2.3:"),
        (lambda document: document.Root.__delitem__("/Metadata"), "6.6.2.1-1:"),
        (lambda document: set_xmp(document, part="1"), "6.6.4-2:"),
        (lambda document: set_xmp(document, extra=EXTENSION.format(declared="Template")[:-30]), "6.6.2.1-4:"),
        (lambda document: set_xmp(document, extra=EXTENSION.format(declared="Other")), "6.6.2.3.1-1:"),
        (
            lambda document: set_xmp(
                document,
                extra='<rdf:Description rdf:about="" xmlns:x1="urn:y"><x1:a>1</x1:a></rdf:Description>',
            ),
            "6.6.2.3.1-1:",
        ),
        (subject_unlike_xmp, "info-xmp:"),
        (add_action("/JavaScript", JS=pikepdf.String("app.alert(1)")), "6.5.1-1:"),
        (add_action("/Launch", F=pikepdf.String("calc.exe")), "6.5.1-1:"),
        (add_action("/ImportData", F=pikepdf.String("x.fdf")), "6.5.1-1:"),
        (add_action("/ResetForm"), "6.5.1-1:"),
        (add_action("/Named", N=pikepdf.Name.Print), "6.5.1-2:"),
        (lambda document: setattr(document.Root, "AA", pikepdf.Dictionary()), "6.5.2-1:"),
        (lambda document: setattr(document.pages[0].obj, "AA", pikepdf.Dictionary()), "6.5.2-2:"),
        (unembedded_font, "6.2.11.4.1-1:"),
        (lzw_stream, "6.1.7.2-1:"),
        (annotation(Subtype=pikepdf.Name.Text, F=4), "6.3.3-1:"),
        (annotation(Subtype=pikepdf.Name.Link, F=2), "6.3.2-2:"),
        (annotation(Subtype=pikepdf.Name.Link), "6.3.2-1:"),
        (annotation(Subtype=pikepdf.Name.Movie, F=4), "6.3.1-1:"),
        (lambda document: document.Root.__delitem__("/MarkInfo"), "tagged:"),
        (lambda document: document.Root.__delitem__("/StructTreeRoot"), "tagged:"),
        (lambda document: document.Root.__delitem__("/Lang"), "tagged:"),
    ],
    ids=[
        "no-output-intent",
        "output-intent-not-pdfa",
        "output-intent-without-profile",
        "no-xmp",
        "pdfa-part-1",
        "xmp-not-well-formed",
        "property-not-declared",
        "namespace-without-schema",
        "info-unlike-xmp",
        "javascript",
        "launch",
        "import-data",
        "reset-form",
        "named-print",
        "catalog-aa",
        "page-aa",
        "font-not-embedded",
        "lzw",
        "annotation-without-appearance",
        "hidden-annotation",
        "annotation-without-flags",
        "movie-annotation",
        "not-marked",
        "no-structure-tree",
        "no-language",
    ],
)
def test_each_broken_clause_is_reported_by_its_number(breakage, clause):
    problems = pdfa_2b_problems(build(breakage))

    assert [problem for problem in problems if problem.startswith(clause)], problems


def test_a_declared_extension_property_passes():
    assert (
        pdfa_2b_problems(
            build(lambda document: set_xmp(document, extra=EXTENSION.format(declared="Template")))
        )
        == []
    )


def test_encryption_an_old_header_and_bytes_after_the_end_are_reported():
    content = build()
    encrypted = io.BytesIO()
    pikepdf.open(io.BytesIO(content)).save(encrypted, encryption=pikepdf.Encryption(owner="o", user=""))

    assert any(problem.startswith("6.1.3-2:") for problem in pdfa_2b_problems(encrypted.getvalue()))
    assert any(problem.startswith("6.1.2-1:") for problem in pdfa_2b_problems(b"%PDF-2.0" + content[8:]))
    assert any(problem.startswith("6.1.3-3:") for problem in pdfa_2b_problems(content + b"trailing bytes"))
