"""A PDF/A-2b checker for the tests, written against ISO 19005-2 with pikepdf (qpdf), a code base other
than LibreOffice's, which produces the documents (decision 0022: veraPDF cannot be installed here).

`pdfa_2b_problems(pdf)` answers the problems found, each starting with the clause it breaks, as veraPDF's
PDF/A-2B profile numbers its rules ("6.1.2-1: …"); an empty list is a pass. What it checks:

- file structure: header %PDF-1.0…1.7 at byte 0 (6.1.2-1) and its binary comment (6.1.2-2); trailer /ID
  (6.1.3-1), no /Encrypt (6.1.3-2), nothing after the last %%EOF but one end of line (6.1.3-3); no
  stream with /F, /FFilter or /FDecodeParms (6.1.7.1-3), no LZWDecode or Crypt filter (6.1.7.2-1);
- colour: an OutputIntent /GTS_PDFA1 with an embedded ICC profile (DestOutputProfile) of class mntr or
  prtr (6.2.3-1), the same profile in every such entry (6.2.3-2); ExtGState without /TR, /HTP (6.2.5-1,
  -3), images without /Alternates, /OPI, /Interpolate true (6.2.8-1…3), no PostScript or reference
  XObjects (6.2.9-2, -3);
- fonts: every font other than Type3 has its program embedded, FontFile, FontFile2 or FontFile3
  (6.2.11.4.1-1);
- annotations: no 3D, Sound, Screen, Movie (6.3.1-1); /F with Print set and Hidden, Invisible, NoView,
  ToggleNoView clear, Popup excepted (6.3.2-1, -2); an /AP holding /N only, except Popup, Link and
  zero-size ones (6.3.3-1, -2);
- interactivity: no NeedAppearances true (6.4.1-3), no XFA (6.4.2-1), no NeedsRendering (6.4.2-2); no
  Launch, Sound, Movie, ResetForm, ImportData, Hide, SetOCGState, Rendition, Trans, GoTo3DView or
  JavaScript action anywhere, nor a JavaScript name tree (6.5.1-1), Named actions limited to
  Next/Prev/First/LastPage (6.5.1-2), no /AA on the catalog or a page (6.5.2-1, -2);
- metadata: a catalog /Metadata stream of Type Metadata, Subtype XML (6.6.2.1-1), an xpacket header
  without bytes= or encoding= (6.6.2.1-2, -3), well-formed UTF-8 XML (6.6.2.1-4, -5); pdfaid:part 2 and
  pdfaid:conformance B (6.6.4-1…3); every property outside the predefined schemas (XMP 2005, PDF/A)
  declared by a pdfaExtension:schemas entry of the same namespace and prefix naming it (6.6.2.3.1-1),
  each declared schema with schema, namespaceURI, prefix and each declared property with name,
  valueType, category external|internal, description (6.6.2.3.3-2…10);
- no AlternatePresentations (6.10-1), no Requirements (6.11-1).

Beyond ISO 19005-2 level B, cnum's own rules for its documents: the Info entries that exist agree with
their XMP equivalents (Title/dc:title, Author/dc:creator, Subject/dc:description, Keywords/pdf:Keywords,
Creator/xmp:CreatorTool, Producer/pdf:Producer, CreationDate/xmp:CreateDate, ModDate/xmp:ModifyDate), a
rule of PDF/A-1 (ISO 19005-1 6.7.3) that PDF/A-2 dropped, kept because readers show either; and the file
is tagged: /MarkInfo /Marked true, a /StructTreeRoot, a catalog /Lang ("tagged: …").

What it does not check (veraPDF does): the content streams (operators, .notdef glyphs, q/Q nesting,
DeviceRGB use against the output intent, transparency), the font programs themselves (widths against
the dictionaries, cmaps, CIDSet, CharSet), the ICC profile's validity beyond its header, the limits of
6.1.13, the lexical rules of 6.1.4-6.1.9, the XMP value types of 6.6.2.3.1-2, signatures (6.4.3),
optional content (6.9) and embedded files (6.8). The tests also run pikepdf.pdfa (an allowlist validator
that reads fonts and content streams) for part of those.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pikepdf
from lxml import etree

__all__ = ["PREDEFINED_XMP_NAMESPACES", "pdfa_2b_problems"]

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_DC = "http://purl.org/dc/elements/1.1/"
_XMP = "http://ns.adobe.com/xap/1.0/"
_PDF = "http://ns.adobe.com/pdf/1.3/"
_PDFAID = "http://www.aiim.org/pdfa/ns/id/"
_EXTENSION = "http://www.aiim.org/pdfa/ns/extension/"
_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
_PROPERTY = "http://www.aiim.org/pdfa/ns/property#"
_XML = "http://www.w3.org/XML/1998/namespace"

#: The schemas of the XMP Specification (2005) and of ISO 19005, whose properties need no declaration.
PREDEFINED_XMP_NAMESPACES = frozenset(
    {
        _DC,
        _XMP,
        _PDF,
        _PDFAID,
        _EXTENSION,
        "http://ns.adobe.com/xap/1.0/rights/",
        "http://ns.adobe.com/xap/1.0/mm/",
        "http://ns.adobe.com/xap/1.0/bj/",
        "http://ns.adobe.com/xap/1.0/t/pg/",
        "http://ns.adobe.com/xmp/1.0/DynamicMedia/",
        "http://ns.adobe.com/photoshop/1.0/",
        "http://ns.adobe.com/camera-raw-settings/1.0/",
        "http://ns.adobe.com/tiff/1.0/",
        "http://ns.adobe.com/exif/1.0/",
        "http://ns.adobe.com/exif/1.0/aux/",
        "http://ns.adobe.com/xmp/Identifier/qual/1.0/",
    }
)
_FORBIDDEN_ACTIONS = frozenset(
    {
        "/Launch",
        "/Sound",
        "/Movie",
        "/ResetForm",
        "/ImportData",
        "/Hide",
        "/SetOCGState",
        "/Rendition",
        "/Trans",
        "/GoTo3DView",
        "/JavaScript",
        "/set-state",
        "/no-op",
    }
)
_ALLOWED_NAMED_ACTIONS = frozenset({"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"})
_FORBIDDEN_ANNOTATIONS = frozenset({"/3D", "/Sound", "/Screen", "/Movie"})
# Annotation flags (ISO 32000-1 12.5.3): Invisible 1, Hidden 2, Print 4, NoView 32, ToggleNoView 256.
_PRINT = 4
_MUST_BE_CLEAR = 1 | 2 | 32 | 256


def pdfa_2b_problems(pdf: bytes) -> list[str]:
    """The PDF/A-2b (and cnum tagging) problems of a PDF, each starting with its clause; [] is a pass."""
    problems = _file_structure_problems(pdf)
    try:
        document = pikepdf.open(io.BytesIO(pdf))
    except pikepdf.PdfError as error:
        return [*problems, f"6.1: the file cannot be read as a PDF: {error}"]
    with document:
        if document.is_encrypted or "/Encrypt" in document.trailer:
            problems.append("6.1.3-2: the trailer has /Encrypt: the file is encrypted")
        if not isinstance(document.trailer.get("/ID"), pikepdf.Array):
            problems.append("6.1.3-1: the trailer has no /ID")
        catalog = document.Root
        problems += _catalog_problems(catalog)
        problems += _output_intent_problems(catalog)
        problems += _metadata_problems(document)
        for page_number, page in enumerate(document.pages, start=1):
            if "/AA" in page.obj:
                problems.append(f"6.5.2-2: page {page_number} has an additional-actions /AA entry")
            if "/PresSteps" in page.obj:
                problems.append(f"6.10-2: page {page_number} has /PresSteps")
            for annotation in page.obj.get("/Annots", pikepdf.Array()):
                problems += _annotation_problems(annotation, page_number)
        for where, dictionary, stream in _every_dictionary(document):
            problems += _object_problems(where, dictionary, stream)
    return problems


def _file_structure_problems(pdf: bytes) -> list[str]:
    problems = []
    header = re.match(rb"%PDF-1\.([0-7])(\r\n|\r|\n)", pdf)
    if header is None:
        problems.append(f"6.1.2-1: the header is not %PDF-1.0…1.7 at byte 0: {pdf[:12]!r}")
    else:
        comment = pdf[header.end() : header.end() + 5]
        if len(comment) < 5 or comment[:1] != b"%" or any(byte <= 127 for byte in comment[1:]):
            problems.append("6.1.2-2: the header is not followed by a comment of four bytes above 127")
    end = pdf.rfind(b"%%EOF")
    if end < 0 or pdf[end + 5 :] not in (b"", b"\n", b"\r", b"\r\n"):
        problems.append("6.1.3-3: data follows the last %%EOF marker")
    return problems


def _catalog_problems(catalog: pikepdf.Object) -> list[str]:
    problems = []
    if "/AA" in catalog:
        problems.append("6.5.2-1: the catalog has an additional-actions /AA entry")
    if "/NeedsRendering" in catalog:
        problems.append("6.4.2-2: the catalog has /NeedsRendering")
    if "/Requirements" in catalog:
        problems.append("6.11-1: the catalog has /Requirements")
    names = catalog.get("/Names", pikepdf.Dictionary())
    if "/JavaScript" in names:
        problems.append("6.5.1-1: the catalog's name dictionary has a /JavaScript name tree")
    if "/AlternatePresentations" in names:
        problems.append("6.10-1: the catalog's name dictionary has /AlternatePresentations")
    form = catalog.get("/AcroForm")
    if isinstance(form, pikepdf.Dictionary):
        if "/XFA" in form:
            problems.append("6.4.2-1: the interactive form has /XFA")
        if bool(form.get("/NeedAppearances", False)):
            problems.append("6.4.1-3: the interactive form has /NeedAppearances true")
    mark_info = catalog.get("/MarkInfo", pikepdf.Dictionary())
    if not bool(mark_info.get("/Marked", False)):
        problems.append("tagged: the catalog has no /MarkInfo /Marked true")
    if not isinstance(catalog.get("/StructTreeRoot"), pikepdf.Dictionary):
        problems.append("tagged: the catalog has no /StructTreeRoot")
    if not str(catalog.get("/Lang", "")).strip():
        problems.append("tagged: the catalog has no /Lang")
    return problems


def _output_intent_problems(catalog: pikepdf.Object) -> list[str]:
    intents = [
        intent
        for intent in catalog.get("/OutputIntents", pikepdf.Array())
        if isinstance(intent, pikepdf.Dictionary) and intent.get("/S") == pikepdf.Name("/GTS_PDFA1")
    ]
    if not intents:
        return ["6.2.3: the catalog has no /OutputIntents entry /GTS_PDFA1"]
    problems = []
    profiles = set()
    for intent in intents:
        profile = intent.get("/DestOutputProfile")
        if not isinstance(profile, pikepdf.Stream):
            problems.append("6.2.3: the /GTS_PDFA1 output intent has no embedded DestOutputProfile")
            continue
        data = profile.read_bytes()
        profiles.add(data)
        if len(data) < 128 or data[12:16] not in (b"mntr", b"prtr") or data[36:40] != b"acsp":
            problems.append(f"6.2.3-1: the output profile is not an ICC mntr/prtr profile ({data[12:16]!r})")
    if len(profiles) > 1:
        problems.append("6.2.3-2: the /GTS_PDFA1 output intents have different profiles")
    return problems


def _annotation_problems(annotation: pikepdf.Object, page_number: int) -> list[str]:
    if not isinstance(annotation, pikepdf.Dictionary):
        return []
    subtype = str(annotation.get("/Subtype", ""))
    where = f"page {page_number}, {subtype or 'annotation'}"
    problems = []
    if subtype in _FORBIDDEN_ANNOTATIONS:
        problems.append(f"6.3.1-1: {where}: annotation type not permitted")
    if subtype == "/Popup":
        return problems
    flags = annotation.get("/F")
    if flags is None:
        problems.append(f"6.3.2-1: {where}: the annotation has no /F flags")
    elif not int(flags) & _PRINT or int(flags) & _MUST_BE_CLEAR:
        problems.append(f"6.3.2-2: {where}: /F {int(flags)} is not Print without Hidden/Invisible/NoView")
    rect = [float(value) for value in annotation.get("/Rect", pikepdf.Array([0, 0, 0, 0]))]
    zero_size = len(rect) == 4 and rect[0] == rect[2] and rect[1] == rect[3]
    appearance = annotation.get("/AP")
    if appearance is None:
        if subtype != "/Link" and not zero_size:
            problems.append(f"6.3.3-1: {where}: the annotation has no appearance /AP")
    elif set(appearance.keys()) != {"/N"}:
        problems.append(f"6.3.3-2: {where}: the appearance dictionary holds more than /N")
    return problems


def _every_dictionary(
    document: pikepdf.Pdf,
) -> Iterator[tuple[str, pikepdf.Dictionary, pikepdf.Stream | None]]:
    """Every dictionary of the file, direct ones nested in arrays and dictionaries included, once each."""
    seen: set[tuple[int, int]] = set()
    pending: list[pikepdf.Object] = [document.trailer]
    while pending:  # bounded: each indirect object is visited once, direct ones belong to one parent
        item = pending.pop()
        if not isinstance(item, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)):
            continue  # numbers, names, strings: nothing to walk into
        if item.is_indirect:
            if item.objgen in seen:
                continue
            seen.add(item.objgen)
        where = f"obj {item.objgen[0]} {item.objgen[1]}" if item.is_indirect else "a direct object"
        if isinstance(item, pikepdf.Stream):
            yield where, item.stream_dict, item
            pending.extend(item.stream_dict.values())
        elif isinstance(item, pikepdf.Dictionary):
            yield where, item, None
            pending.extend(item.values())
        elif isinstance(item, pikepdf.Array):
            pending.extend(item)


def _object_problems(where: str, dictionary: pikepdf.Dictionary, stream: pikepdf.Stream | None) -> list[str]:
    problems = []
    if stream is not None:
        if {"/F", "/FFilter", "/FDecodeParms"} & set(dictionary.keys()):
            problems.append(f"6.1.7.1-3: {where}: a stream refers to an external file")
        filters = dictionary.get("/Filter")
        names = [str(name) for name in filters] if isinstance(filters, pikepdf.Array) else [str(filters)]
        if {"/LZWDecode", "/Crypt"} & set(names):
            problems.append(f"6.1.7.2-1: {where}: LZWDecode or Crypt filter")
    kind = dictionary.get("/Type")
    action = dictionary.get("/S")
    is_action = kind in (None, pikepdf.Name("/Action"))  # a structure element's /S is its type, not an action
    if is_action and ("/JS" in dictionary or str(action) in _FORBIDDEN_ACTIONS):
        problems.append(f"6.5.1-1: {where}: a {action or '/JavaScript'} action is not permitted")
    if action == pikepdf.Name("/Named") and str(dictionary.get("/N", "")) not in _ALLOWED_NAMED_ACTIONS:
        problems.append(f"6.5.1-2: {where}: the named action {dictionary.get('/N')} is not permitted")
    states = dictionary.get("/ExtGState")  # a resource dictionary's graphics states (their /Type is optional)
    for state in states.values() if isinstance(states, pikepdf.Dictionary) else ():
        if isinstance(state, pikepdf.Dictionary) and "/TR" in state:
            problems.append(f"6.2.5-1: {where}: an ExtGState with /TR")
        if isinstance(state, pikepdf.Dictionary) and "/HTP" in state:
            problems.append(f"6.2.5-3: {where}: an ExtGState with /HTP")
    subtype = dictionary.get("/Subtype")
    if subtype == pikepdf.Name("/Image"):
        if "/Alternates" in dictionary:
            problems.append(f"6.2.8-1: {where}: an image with /Alternates")
        if "/OPI" in dictionary:
            problems.append(f"6.2.8-2: {where}: an image with /OPI")
        if bool(dictionary.get("/Interpolate", False)):
            problems.append(f"6.2.8-3: {where}: an image with /Interpolate true")
    if subtype == pikepdf.Name("/PS") or (kind == pikepdf.Name("/XObject") and "/PS" in dictionary):
        problems.append(f"6.2.9-3: {where}: a PostScript XObject")
    if subtype == pikepdf.Name("/Form") and "/Ref" in dictionary:
        problems.append(f"6.2.9-2: {where}: a reference XObject")
    if kind == pikepdf.Name("/Font"):
        problems += _font_problems(where, dictionary)
    return problems


def _font_problems(where: str, font: pikepdf.Dictionary) -> list[str]:
    subtype = str(font.get("/Subtype", ""))
    if subtype == "/Type3":
        return []  # its glyphs are content streams of the file itself
    descendant: pikepdf.Object = font
    if subtype == "/Type0":
        descendants = font.get("/DescendantFonts", pikepdf.Array())
        if not len(descendants):
            return [f"6.2.11.4.1-1: {where}: Type0 font {font.get('/BaseFont')} without a descendant"]
        descendant = descendants[0]
    descriptor = descendant.get("/FontDescriptor", pikepdf.Dictionary())
    if not {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.keys()):
        return [f"6.2.11.4.1-1: {where}: font {font.get('/BaseFont')} is not embedded"]
    return []


def _metadata_problems(document: pikepdf.Pdf) -> list[str]:
    metadata = document.Root.get("/Metadata")
    if not isinstance(metadata, pikepdf.Stream):
        return ["6.6.2.1-1: the catalog has no /Metadata stream"]
    problems = []
    if metadata.get("/Type") != pikepdf.Name("/Metadata") or metadata.get("/Subtype") != pikepdf.Name("/XML"):
        problems.append("6.6.2.1-1: the metadata stream is not /Type /Metadata /Subtype /XML")
    raw = metadata.read_bytes()
    packet_header = re.search(rb"<\?xpacket\s+begin=[^>]*\?>", raw)
    if packet_header is not None:
        if b"bytes=" in packet_header.group():
            problems.append("6.6.2.1-2: the xpacket header has a bytes attribute")
        if b"encoding=" in packet_header.group():
            problems.append("6.6.2.1-3: the xpacket header has an encoding attribute")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return [*problems, "6.6.2.1-5: the XMP packet is not UTF-8"]
    try:
        root = etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        return [*problems, f"6.6.2.1-4: the XMP packet is not well-formed XML: {error}"]
    properties = _xmp_properties(root)
    part = properties.get((_PDFAID, "part"))
    conformance = properties.get((_PDFAID, "conformance"))
    if part is None:
        problems.append("6.6.4-1: the XMP has no pdfaid:part")
    elif part != "2":
        problems.append(f"6.6.4-2: pdfaid:part is {part!r}, not 2")
    if conformance != "B":
        problems.append(f"6.6.4-3: pdfaid:conformance is {conformance!r}, not B")
    problems += _extension_problems(root, properties)
    problems += _info_agreement_problems(document.trailer.get("/Info"), properties)
    return problems


def _xmp_properties(root: etree._Element) -> dict[tuple[str, str], str]:
    """The top-level properties of every rdf:Description, as element or attribute: (namespace, name) →
    its text (a list's first item, an Alt's x-default)."""
    found: dict[tuple[str, str], str] = {}
    for description in root.iter(f"{{{_RDF}}}Description"):
        if description.getparent() is None or description.getparent().tag != f"{{{_RDF}}}RDF":
            continue
        for name, value in description.attrib.items():
            qname = etree.QName(name)
            if qname.namespace not in (_RDF, _XML):
                found[(qname.namespace or "", qname.localname)] = value
        for element in description:
            if not isinstance(element.tag, str):
                continue
            qname = etree.QName(element)
            found[(qname.namespace or "", qname.localname)] = _xmp_text(element)
    return found


def _xmp_text(element: etree._Element) -> str:
    items = element.findall(f"./{{{_RDF}}}*/{{{_RDF}}}li")
    if not items:
        return element.text or ""
    for item in items:
        if item.get(f"{{{_XML}}}lang") == "x-default":
            return item.text or ""
    return items[0].text or ""


def _extension_problems(root: etree._Element, properties: dict[tuple[str, str], str]) -> list[str]:
    problems = []
    declared: dict[str, tuple[str, set[str]]] = {}
    for schema in root.iter(f"{{{_EXTENSION}}}schemas"):
        for entry in schema.findall(f"./{{{_RDF}}}Bag/{{{_RDF}}}li"):
            fields = {etree.QName(child).localname: child for child in entry if isinstance(child.tag, str)}
            for field, clause in (
                ("schema", "6.6.2.3.3-2"),
                ("namespaceURI", "6.6.2.3.3-3"),
                ("prefix", "6.6.2.3.3-4"),
            ):
                if field not in fields or etree.QName(fields[field]).namespace != _SCHEMA:
                    problems.append(f"{clause}: an extension schema has no pdfaSchema:{field}")
            uri = fields["namespaceURI"].text if "namespaceURI" in fields else None
            prefix = fields["prefix"].text if "prefix" in fields else None
            names: set[str] = set()
            for item in entry.findall(f"./{{{_SCHEMA}}}property/{{{_RDF}}}Seq/{{{_RDF}}}li"):
                described = {
                    etree.QName(child).localname: child.text for child in item if isinstance(child.tag, str)
                }
                for field, clause in (
                    ("name", "-7"),
                    ("valueType", "-8"),
                    ("category", "-9"),
                    ("description", "-10"),
                ):
                    if not described.get(field):
                        problems.append(f"6.6.2.3.3{clause}: a property of {uri} has no pdfaProperty:{field}")
                if described.get("category") not in (None, "external", "internal"):
                    problems.append(
                        f"6.6.2.3.3-9: the category of {described.get('name')} is not external/internal"
                    )
                if described.get("name"):
                    names.add(str(described["name"]))
            if uri:
                declared[uri] = (prefix or "", names)
    prefixes = {uri: prefix for prefix, uri in root.nsmap.items()}
    for element in root.iter():
        if isinstance(element.tag, str):
            prefixes.update({uri: prefix for prefix, uri in element.nsmap.items() if prefix})
    for namespace, name in properties:
        if namespace in PREDEFINED_XMP_NAMESPACES:
            continue
        if namespace not in declared:
            problems.append(f"6.6.2.3.1-1: XMP property {{{namespace}}}{name} has no extension schema")
        elif name not in declared[namespace][1]:
            problems.append(f"6.6.2.3.1-1: XMP property {name} is not declared in the schema of {namespace}")
        elif prefixes.get(namespace) != declared[namespace][0]:
            problems.append(
                f"6.6.2.3.1-1: the prefix of {namespace} is not the declared {declared[namespace][0]!r}"
            )
    return problems


_INFO_EQUIVALENTS = (
    ("/Title", (_DC, "title"), "text"),
    ("/Author", (_DC, "creator"), "text"),
    ("/Subject", (_DC, "description"), "text"),
    ("/Keywords", (_PDF, "Keywords"), "text"),
    ("/Creator", (_XMP, "CreatorTool"), "text"),
    ("/Producer", (_PDF, "Producer"), "text"),
    ("/CreationDate", (_XMP, "CreateDate"), "date"),
    ("/ModDate", (_XMP, "ModifyDate"), "date"),
)


def _info_agreement_problems(info: object, properties: dict[tuple[str, str], str]) -> list[str]:
    if not isinstance(info, pikepdf.Dictionary):
        return []
    problems = []
    for key, xmp_key, form in _INFO_EQUIVALENTS:
        if key not in info:
            continue
        value, xmp_value = str(info[key]), properties.get(xmp_key)
        if form == "date":
            moment = _pdf_date(value)
            agree = moment is not None and xmp_value is not None and moment == _xmp_date(xmp_value)
        else:
            agree = xmp_value == value
        if not agree:
            problems.append(f"info-xmp: Info {key} {value!r} differs from XMP {xmp_key[1]} {xmp_value!r}")
    return problems


def _pdf_date(value: str) -> datetime | None:
    """D:YYYYMMDDHHmmSS with an offset (Z, +HH'mm'), as ISO 32000-1 7.9.4 writes it."""
    match = re.fullmatch(r"D:(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(Z|[+-]\d\d'?\d\d'?)?'?", value)
    if match is None:
        return None
    year, month, day, hour, minute, second, offset = match.groups()
    zone = UTC
    if offset and offset != "Z":
        digits = offset.replace("'", "")
        delta = timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5]))
        zone = timezone(delta if digits[0] == "+" else -delta)
    return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=zone)


def _xmp_date(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
