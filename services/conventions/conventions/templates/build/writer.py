"""The house layout of a French legal document, written with python-docx: page, styles, header and footer,
paragraphs, French enumerations, the tranche and period tables, the signature blocks.

Every placeholder is written in a single run, so that docxtpl sees it whole (`_write`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

from conventions.adapters.documents import deterministic_zip
from conventions.domain.documents import Edition

#: Metric-compatible with Times New Roman, installed with LibreOffice: the PDF looks like the DOCX.
FONT = "Liberation Serif"
BODY_SIZE = Pt(11)
SMALL_SIZE = Pt(9)
GREY = RGBColor(0x55, 0x55, 0x55)
#: The templates' own creation date, constant so that a rebuild gives the same bytes.
BUILT_ON = datetime(2026, 1, 1, tzinfo=UTC)

#: A Jinja placeholder or tag: always one run of its own.
_JINJA = re.compile(r"(\{\{.*?\}\}|\{%.*?%\})")
#: `**bold**` in the texts below.
_BOLD = re.compile(r"(\*\*.*?\*\*)")


def french_spacing(text: str) -> str:
    """French typography: a no-break space before « : ; ! ? » and inside guillemets, after "n°"."""
    text = re.sub(r" ([:;!?»])", "\u00a0\\1", text)
    return text.replace("« ", "«\u00a0").replace("n° ", "n°\u00a0")


class TemplateWriter:
    """A French legal document under construction, with the house layout."""

    def __init__(self, *, edition: Edition, title: str, subject: str, header: str, footer: str) -> None:
        self.document: DocxDocument = Document()
        self._set_up_page()
        self._set_up_styles()
        self._set_up_properties(title, subject, edition)
        self._set_up_header_and_footer(header, footer)

    # --- Layout ---------------------------------------------------------------------------------------

    def _set_up_page(self) -> None:
        section = self.document.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.5)
        section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
        section.header_distance = section.footer_distance = Cm(1.2)
        section.start_type = WD_SECTION.NEW_PAGE

    def _set_up_styles(self) -> None:
        styles = self.document.styles
        defaults = styles.element.find(qn("w:docDefaults"))
        run_defaults = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")) if defaults is not None else None
        if run_defaults is not None:
            for tag in ("w:rFonts", "w:lang"):
                for old in run_defaults.findall(qn(tag)):
                    run_defaults.remove(old)
            fonts = OxmlElement("w:rFonts")
            for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                fonts.set(qn(attribute), FONT)
            language = OxmlElement("w:lang")
            language.set(qn("w:val"), "fr-FR")
            language.set(qn("w:eastAsia"), "fr-FR")
            run_defaults.insert(0, fonts)  # WordprocessingML fixes the order: rFonts first, lang last
            run_defaults.append(language)
        normal = styles["Normal"]
        normal.font.name = FONT
        normal.font.size = BODY_SIZE
        normal.paragraph_format.space_after = Pt(6)
        normal.paragraph_format.line_spacing = 1.1
        for name, size, before in (("Title", Pt(17), Pt(0)), ("Heading 1", Pt(12), Pt(12))):
            style = styles[name]
            style.font.name = FONT
            style.font.size = size
            style.font.bold = True
            style.font.italic = False
            style.font.color.rgb = RGBColor(0, 0, 0)
            style.paragraph_format.space_before = before
            style.paragraph_format.space_after = Pt(6)
            style.paragraph_format.keep_with_next = True
            properties = style.element.get_or_add_rPr()
            for old in properties.findall(qn("w:rFonts")):
                properties.remove(old)
            fonts = OxmlElement("w:rFonts")
            for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                fonts.set(qn(attribute), FONT)
            properties.insert(0, fonts)
        title = styles["Title"].element.get_or_add_pPr()
        # The default Title style draws a blue rule under the title: a legal document has none.
        for border in title.findall(qn("w:pBdr")):
            title.remove(border)

    def _set_up_properties(self, title: str, subject: str, edition: Edition) -> None:
        properties = self.document.core_properties
        # Two editions never share their bytes, even where their texts agree: each is its own version.
        properties.version = edition.code
        properties.title = title
        properties.subject = subject
        properties.author = "Caisse des dépôts et consignations (Banque des Territoires)"
        properties.last_modified_by = "cnum"
        properties.comments = ""
        properties.keywords = "Conseiller numérique; médiateur numérique; France Relance"
        properties.category = "Modèle de document"
        properties.language = "fr-FR"
        properties.revision = 1
        properties.created = properties.modified = BUILT_ON
        # python-docx's default package carries a thumbnail of a blank page; a template has none.
        package_rels = self.document.part.package.rels
        for key, rel in list(package_rels.items()):
            if rel.reltype == RT.THUMBNAIL:
                package_rels.pop(key)

    def _set_up_header_and_footer(self, header: str, footer: str) -> None:
        section = self.document.sections[0]
        top = section.header.paragraphs[0]
        top.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        self._write(top, header, size=SMALL_SIZE, color=GREY)
        bottom = section.footer.paragraphs[0]
        bottom.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self._write(bottom, f"{footer} — page ", size=SMALL_SIZE, color=GREY)
        self._field(bottom, "PAGE")
        self._write(bottom, " sur ", size=SMALL_SIZE, color=GREY)
        self._field(bottom, "NUMPAGES")

    @staticmethod
    def _field(paragraph: Paragraph, instruction: str) -> None:
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), instruction)
        run = OxmlElement("w:r")
        properties = OxmlElement("w:rPr")
        size = OxmlElement("w:sz")
        size.set(qn("w:val"), str(int(SMALL_SIZE.pt * 2)))
        properties.append(size)
        run.append(properties)
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        field.append(run)
        paragraph._p.append(field)

    # --- Text -----------------------------------------------------------------------------------------

    @staticmethod
    def _write(
        paragraph: Paragraph,
        text: str,
        *,
        bold: bool = False,
        italic: bool = False,
        size: Pt | None = None,
        color: RGBColor | None = None,
    ) -> None:
        """Add `text` to a paragraph: `**…**` in bold, each Jinja placeholder in a run of its own."""
        for chunk in _BOLD.split(text):
            if not chunk:
                continue
            marked = chunk.startswith("**") and chunk.endswith("**") and len(chunk) > 4
            strong = bold or marked
            if marked:
                chunk = chunk[2:-2]
            for piece in _JINJA.split(chunk):
                if not piece:
                    continue
                run = paragraph.add_run(piece if _JINJA.fullmatch(piece) else french_spacing(piece))
                run.bold = strong or None
                run.italic = italic or None
                if size is not None:
                    run.font.size = size
                if color is not None:
                    run.font.color.rgb = color

    def title(self, text: str, *subtitles: str) -> None:
        paragraph = self.document.add_paragraph(style="Title")
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self._write(paragraph, text)
        for subtitle in subtitles:
            line = self.document.add_paragraph()
            line.alignment = WD_ALIGN_PARAGRAPH.CENTER
            self._write(line, subtitle, bold=True)
        self.document.add_paragraph()

    def heading(self, text: str) -> None:
        paragraph = self.document.add_paragraph(style="Heading 1")
        self._write(paragraph, text)

    def label(self, text: str) -> None:
        """A centred, bold line between the parties ("ENTRE LES SOUSSIGNÉS", "ET")."""
        paragraph = self.document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.keep_with_next = True
        self._write(paragraph, text, bold=True)

    def para(self, text: str, *, italic: bool = False, align: str = "justify", small: bool = False) -> None:
        paragraph = self.document.add_paragraph()
        paragraph.alignment = {
            "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
            "left": WD_ALIGN_PARAGRAPH.LEFT,
            "right": WD_ALIGN_PARAGRAPH.RIGHT,
            "center": WD_ALIGN_PARAGRAPH.CENTER,
        }[align]
        self._write(paragraph, text, italic=italic, size=SMALL_SIZE if small else None)

    def tag(self, text: str) -> None:
        """A docxtpl paragraph tag (`{%p if … %}`, `{%p else %}`, `{%p endif %}`), alone in its paragraph:
        docxtpl removes the paragraph and keeps or drops the paragraphs up to the next tag."""
        if not (text.startswith("{%p ") and text.endswith(" %}")):
            raise ValueError(f"not a paragraph tag: {text!r}")
        paragraph = self.document.add_paragraph()
        paragraph.add_run(text)

    def when(self, condition: str, *texts: str) -> None:
        """Paragraphs only the documents where `condition` holds carry."""
        self.tag(f"{{%p if {condition} %}}")
        for text in texts:
            self.para(text)
        self.tag("{%p endif %}")

    def items(self, entries: Iterable[str], *, numbered: bool = True) -> None:
        """A list with hanging indents: "1°", "2°"… (a French legal enumeration) or dashes."""
        for number, entry in enumerate(entries, start=1):
            paragraph = self.document.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            paragraph.paragraph_format.left_indent = Cm(1)
            paragraph.paragraph_format.first_line_indent = Cm(-0.8)
            paragraph.paragraph_format.space_after = Pt(3)
            paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(1))
            self._write(paragraph, f"{number}°\t" if numbered else "–\t")
            self._write(paragraph, entry)

    def page_break(self) -> None:
        self.document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    # --- Tables ---------------------------------------------------------------------------------------

    def tranches_table(self, total: str | None) -> None:
        """The tranches: a docxtpl row loop over `tranches`, and the total when there is one."""
        table = self.document.add_table(rows=0, cols=3)
        table.style = self.document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        widths = (Cm(3), Cm(6.5), Cm(5))
        self._row(table, ("Tranche", "Échéance", "Montant"), widths, bold=True, shaded=True, header=True)
        self._row(table, ("{%tr for tranche in tranches %}", "", ""), widths)
        self._row(table, ("{{ tranche.number }}", "{{ tranche.due_on }}", "{{ tranche.amount }}"), widths)
        self._row(table, ("{%tr endfor %}", "", ""), widths)
        if total is not None:
            self._row(table, ("Total", "", total), widths, bold=True)
        self.document.add_paragraph()

    def amended_tranches_table(self, total: str) -> None:
        """The schedule an avenant sets: each tranche, what was already paid on it, what is to recover."""
        table = self.document.add_table(rows=0, cols=5)
        table.style = self.document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        widths = (Cm(2), Cm(4), Cm(3.5), Cm(3), Cm(3))
        self._row(
            table,
            ("Tranche", "Échéance", "Montant", "Déjà versé", "À reverser"),
            widths,
            bold=True,
            shaded=True,
            header=True,
        )
        self._row(table, ("{%tr for tranche in tranches %}", "", "", "", ""), widths)
        self._row(
            table,
            (
                "{{ tranche.number }}",
                "{{ tranche.due_on }}",
                "{{ tranche.amount }}",
                "{{ tranche.already_paid }}",
                "{{ tranche.to_recover }}",
            ),
            widths,
        )
        self._row(table, ("{%tr endfor %}", "", "", "", ""), widths)
        self._row(table, ("Total", "", total, "", ""), widths, bold=True)
        self.document.add_paragraph()

    def periods_table(self) -> None:
        """The funded periods of one post and their monthly rates: a row loop over `funding_periods`."""
        table = self.document.add_table(rows=0, cols=4)
        table.style = self.document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        widths = (Cm(7.5), Cm(1.5), Cm(3.5), Cm(3.5))
        self._row(
            table,
            ("Période financée", "Mois", "Montant par poste", "Taux mensuel par poste"),
            widths,
            bold=True,
            shaded=True,
            header=True,
        )
        self._row(table, ("{%tr for period in funding_periods %}", "", "", ""), widths)
        self._row(
            table,
            (
                "du {{ period.starts_on }} au {{ period.ends_on }}",
                "{{ period.months }}",
                "{{ period.amount_per_post }}",
                "{{ period.monthly_rate }}",
            ),
            widths,
        )
        self._row(table, ("{%tr endfor %}", "", "", ""), widths)
        self.document.add_paragraph()

    def loop_table(
        self, headers: Sequence[str], widths: Sequence[Cm], loop: str, cells: Sequence[str]
    ) -> None:
        """A table of one row per item: `loop` is the docxtpl loop ("post in posts"), `cells` the
        placeholders of a row; the first column centred, the last ones (amounts, counts) right-aligned."""
        table = self.document.add_table(rows=0, cols=len(headers))
        table.style = self.document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        self._grid(table, widths)
        blank = [""] * (len(headers) - 1)
        self._row(table, headers, widths, bold=True, shaded=True, header=True)
        self._row(table, (f"{{%tr for {loop} %}}", *blank), widths)
        self._row(table, cells, widths)
        self._row(table, ("{%tr endfor %}", *blank), widths)
        self.document.add_paragraph()

    def pairs_table(
        self,
        rows: Sequence[tuple[str, str]],
        *,
        bold_last: bool = False,
        widths: tuple[Cm, Cm] = (Cm(10.5), Cm(4.5)),
    ) -> None:
        """Figures with their labels, one a row: the label on the left, the value right-aligned (give the
        value a wider column for a long reference)."""
        table = self.document.add_table(rows=0, cols=2)
        table.style = self.document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        self._grid(table, widths)
        aligns = (WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.RIGHT)
        for index, (label, value) in enumerate(rows):
            bold = bold_last and index == len(rows) - 1
            self._row(table, (label, value), widths, bold=bold, aligns=aligns)
        self.document.add_paragraph()

    @staticmethod
    def _grid(table: Table, widths: Sequence[Cm]) -> None:
        """The columns' widths in the table's grid, which LibreOffice lays the table out by (the cells'
        own widths alone leave it equal columns)."""
        table.autofit = False
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width

    def _row(
        self,
        table: Table,
        texts: Sequence[str],
        widths: Sequence[Cm],
        *,
        bold: bool = False,
        shaded: bool = False,
        header: bool = False,
        aligns: Sequence[WD_ALIGN_PARAGRAPH] | None = None,
    ) -> None:
        row = table.add_row()  # type: ignore[no-untyped-call]  # python-docx leaves add_row unannotated
        if header:
            properties = row._tr.get_or_add_trPr()
            repeat = OxmlElement("w:tblHeader")
            properties.append(repeat)
        for index, (cell, text) in enumerate(zip(row.cells, texts, strict=True)):
            cell.width = widths[index]
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.space_after = Pt(2)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if index >= 2 else WD_ALIGN_PARAGRAPH.LEFT
            if index == 0:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            if aligns is not None:
                paragraph.alignment = aligns[index]
            if text:
                self._write(paragraph, text, bold=bold)
            if shaded:
                shading = OxmlElement("w:shd")
                shading.set(qn("w:val"), "clear")
                shading.set(qn("w:color"), "auto")
                shading.set(qn("w:fill"), "E7E6E6")
                cell._tc.get_or_add_tcPr().append(shading)

    def signatures(self, left: Sequence[str], right: Sequence[str]) -> None:
        """Two signature blocks side by side, in a table without borders, kept on one page."""
        table = self.document.add_table(rows=1, cols=2)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        row_properties = table.rows[0]._tr.get_or_add_trPr()
        row_properties.append(OxmlElement("w:cantSplit"))
        for cell, lines in zip(table.rows[0].cells, (left, right), strict=True):
            cell.width = Cm(8)
            first = True
            for line in lines:
                paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
                first = False
                paragraph.paragraph_format.space_after = Pt(2)
                self._write(paragraph, line)
            for _ in range(4):  # room for the signature and the stamp
                cell.add_paragraph()
        self.document.add_paragraph()

    # --- Output ---------------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        output = io.BytesIO()
        self.document.save(output)
        return deterministic_zip(output.getvalue())
