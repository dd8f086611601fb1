"""Build the three DOCX templates shipped with the service: the convention, its avenant, the contract avenant.

Run from services/conventions: `python -m conventions.templates.build_templates`. The output is
reproducible (same script, same bytes), so a change of wording shows as a change of this file.

The templates use docxtpl's Jinja placeholders only (`{{ … }}`, and `{%tr for %}` for table rows); each
placeholder is written in a single run, so that docxtpl sees it whole. Every value is a French string
prepared by `conventions.adapters.document_context`: a template never formats an amount or a date.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

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

TEMPLATES_DIR = Path(__file__).resolve().parent
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

AGENCY = "la Caisse des dépôts et consignations, agissant pour le compte de l'État (Banque des Territoires)"
AGENCY_SIGNATORY = "Pour la Caisse des dépôts et consignations, agissant pour le compte de l'État"
PLACE_AND_DATE = "Fait à ………………, le "


def french_spacing(text: str) -> str:
    """French typography: a no-break space before « : ; ! ? » and inside guillemets, after "n°"."""
    text = re.sub(r" ([:;!?»])", "\u00a0\\1", text)
    return text.replace("« ", "«\u00a0").replace("n° ", "n°\u00a0")


class TemplateWriter:
    """A French legal document under construction, with the house layout."""

    def __init__(self, *, title: str, subject: str, header: str, footer: str) -> None:
        self.document: DocxDocument = Document()
        self._set_up_page()
        self._set_up_styles()
        self._set_up_properties(title, subject)
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

    def _set_up_properties(self, title: str, subject: str) -> None:
        properties = self.document.core_properties
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

    def _row(
        self,
        table: Table,
        texts: Sequence[str],
        widths: Sequence[Cm],
        *,
        bold: bool = False,
        shaded: bool = False,
        header: bool = False,
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


# --- Shared passages -----------------------------------------------------------------------------------


def _convention_parties(writer: TemplateWriter) -> None:
    writer.label("ENTRE LES SOUSSIGNÉS")
    writer.para(
        f"**{AGENCY[0].upper()}{AGENCY[1:]}**, établissement spécial créé par la loi du 28 avril 1816, "
        "codifiée aux articles L. 518-2 et suivants du code monétaire et financier, dont le siège est situé "
        "56, rue de Lille, 75007 Paris, représentée par la personne dûment habilitée à l'effet des présentes,"
    )
    writer.para("ci-après dénommée « la Caisse des Dépôts »,", align="left")
    writer.para("d'une part,", align="right")
    writer.label("ET")
    writer.para(
        "**{{ structure.name }}**, {{ structure.kind_label }} ({{ structure.structure_type_label }}), "
        "immatriculée sous le numéro {{ structure.identifier_label }} {{ structure.siret }}, "
        "dont le siège est situé {{ structure.address }}, {{ structure.postcode }} {{ structure.city }} "
        "({{ structure.department_name }}), joignable à l'adresse électronique {{ structure.email }}, "
        "représentée par {{ structure.legal_representative }}, dûment habilité(e) à l'effet des présentes,"
    )
    writer.para("ci-après dénommée « le Bénéficiaire »,", align="left")
    writer.para("d'autre part,", align="right")
    writer.para("ci-après dénommées ensemble « les Parties ».", align="left")


def _agency_block(signed_on: str) -> list[str]:
    return [PLACE_AND_DATE + signed_on, f"**{AGENCY_SIGNATORY}**", "Nom, qualité et signature :"]


def _structure_block(signed_on: str) -> list[str]:
    return [
        PLACE_AND_DATE + signed_on,
        "**Pour {{ structure.name }}**",
        "{{ structure.legal_representative }}",
        "Signature et cachet :",
    ]


def _clawback_rule(writer: TemplateWriter) -> None:
    """Article 6's rule (restated by the avenant), with the rates of the convention's funded periods."""
    writer.para(
        "Lorsqu'un poste n'a pas été occupé pendant toute la période financée, la subvention acquise au "
        "titre de ce poste est calculée mois par mois : pour chaque mois de la convention commencé pendant "
        "lequel le poste a été occupé, du début à la fin du contrat du conseiller, le poste acquiert le "
        "taux mensuel de la période financée dans laquelle tombe ce mois, soit le montant par poste de la "
        "période divisé par le nombre de mois de la période. Le montant acquis sur chaque période est "
        "arrondi une seule fois, au centime le plus proche. Les périodes financées et leurs taux mensuels "
        "sont les suivants :"
    )
    writer.periods_table()
    writer.para(
        "Les sommes versées au titre d'un poste sont le total des versements de la convention divisé par "
        "le nombre de postes. Lorsqu'elles dépassent la subvention acquise par ce poste, la différence est "
        "reversée ou, avec l'accord de la Caisse des Dépôts, imputée sur une tranche ultérieure."
    )


def _generated_note(writer: TemplateWriter) -> None:
    writer.para(
        "Document établi le {{ document.generated_on }} — référence {{ document.reference }}.",
        italic=True,
        align="left",
        small=True,
    )


# --- The convention ------------------------------------------------------------------------------------


def build_convention() -> bytes:
    writer = TemplateWriter(
        title="Convention de subvention — dispositif Conseiller numérique",
        subject="Subvention de l'État pour des postes de conseiller numérique (médiateur numérique)",
        header="Convention n° {{ convention.reference }}",
        footer="Convention de subvention Conseiller numérique n° {{ convention.reference }}",
    )
    writer.title(
        "Convention de subvention — dispositif Conseiller numérique",
        "Convention n° {{ convention.reference }}",
        "{{ convention.wave_label }}",
    )
    _convention_parties(writer)

    writer.heading("Préambule")
    writer.para(
        "Dans le cadre du plan France Relance, l'État finance le recrutement, la formation et le déploiement "
        "de conseillers numériques chargés d'accompagner les personnes éloignées du numérique vers "
        "l'autonomie dans leurs usages quotidiens. Le dispositif est piloté par l'Agence nationale de la "
        "cohésion des territoires (ANCT). La loi de finances pour 2021 permet à la Caisse des Dépôts de "
        "gérer les fonds correspondants et de verser les subventions pour le compte de l'État."
    )
    writer.para(
        "Depuis le 13 juillet 2025, le titre professionnel des conseillers numériques est celui de "
        "« médiateur numérique ». Dans la présente convention, les termes « conseiller numérique » et "
        "« médiateur numérique » désignent la même fonction."
    )
    writer.para(
        "Après avis du préfet de département, le comité de sélection national présidé par l'ANCT a attribué "
        "au Bénéficiaire {{ convention.posts_text }} de conseiller numérique. Le Bénéficiaire, qui a pris "
        "connaissance des engagements attachés au dispositif, a sollicité la subvention objet de la présente "
        "convention."
    )
    writer.para("Il est convenu ce qui suit :")

    writer.heading("Article 1 — Objet")
    writer.para(
        "La présente convention fixe les conditions dans lesquelles la Caisse des Dépôts, agissant pour le "
        "compte de l'État, attribue au Bénéficiaire une subvention destinée à financer en partie la "
        "rémunération de {{ convention.posts_text }} de conseiller numérique (médiateur numérique), ainsi "
        "que les engagements que le Bénéficiaire prend en contrepartie."
    )
    writer.para(
        "Le conseiller numérique accompagne les publics vers l'autonomie numérique : prise en main d'un "
        "équipement informatique, navigation sur internet, gestion des courriels, usage des applications "
        "utiles sur smartphone, démarches administratives en ligne, protection des données personnelles. Il "
        "anime des ateliers collectifs et des accompagnements individuels."
    )
    writer.para(
        "La subvention est exclusivement affectée à la rémunération des conseillers numériques recrutés sur "
        "ces postes ; elle ne peut financer aucune autre dépense."
    )

    writer.heading("Article 2 — Durée")
    writer.para(
        "La présente convention prend effet le {{ convention.start_date }} et prend fin le "
        "{{ convention.end_date }}, soit une durée de {{ convention.duration_months }} mois."
    )
    writer.para(
        "La subvention finance, pour chaque poste, {{ convention.funded_months }} mois de rémunération d'un "
        "conseiller numérique employé à temps plein."
    )
    writer.para(
        "Les obligations de justification et, le cas échéant, de reversement prévues à l'article 6 "
        "demeurent applicables après le terme de la convention, jusqu'à la clôture du dossier."
    )

    writer.heading("Article 3 — Montant de la subvention")
    writer.para(
        "Le montant de la subvention est fixé à {{ convention.amount_per_post }} "
        "({{ convention.amount_per_post_words }}) par poste.{{ convention.renewal_bonus_sentence }}"
    )
    writer.para(
        "Le montant total de la subvention s'élève à **{{ convention.total_amount }}** "
        "(**{{ convention.total_amount_words }}**) pour {{ convention.posts_text }}."
    )
    writer.para(
        "Ce montant forfaitaire est calculé sur la base d'une rémunération au moins égale au salaire minimum "
        "interprofessionnel de croissance (SMIC), à temps plein. Il ne couvre ni les frais de déplacement et "
        "de restauration du conseiller, ni les équipements mis à sa disposition, qui restent à la charge du "
        "Bénéficiaire. Le Bénéficiaire peut compléter la rémunération du conseiller et rechercher des "
        "cofinancements."
    )

    writer.heading("Article 4 — Modalités de versement")
    writer.para("La subvention est versée en plusieurs tranches, selon l'échéancier suivant :")
    writer.tranches_table(total="{{ convention.total_amount }}")
    writer.para(
        "La première tranche est versée à la signature de la présente convention par les deux Parties. "
        "Chaque tranche suivante est versée à compter de son échéance, sous réserve que le Bénéficiaire soit "
        "à jour des obligations prévues à l'article 5 et que chaque conseiller en poste soit rémunéré au "
        "moins au niveau du SMIC en vigueur à la date du versement. La Caisse des Dépôts peut suspendre un "
        "versement tant qu'une obligation échue n'est pas remplie."
    )
    writer.para(
        "Les versements sont effectués par virement sur le compte bancaire du Bénéficiaire désigné en "
        "annexe. Tout changement de coordonnées bancaires est notifié à la Caisse des Dépôts, accompagné "
        "d'un relevé d'identité bancaire ; il ne prend effet qu'après sa vérification par la Caisse des "
        "Dépôts."
    )

    writer.heading("Article 5 — Obligations du Bénéficiaire")
    writer.para("En contrepartie de la subvention, le Bénéficiaire s'engage à :")
    writer.items(
        [
            "rémunérer chaque conseiller numérique à temps plein (35 heures hebdomadaires), pour un salaire "
            "brut au moins égal au SMIC en vigueur, pendant toute la durée de son contrat, et relever ce "
            "salaire à chaque revalorisation du SMIC ;",
            "sélectionner un candidat dans un délai d'un mois suivant sa présentation sur la plateforme du "
            "dispositif, puis signer avec lui un contrat de travail dans les quinze jours suivant cette "
            "sélection ; une personne déjà employée par le Bénéficiaire en contrat à durée indéterminée "
            "rejoint le poste par un avenant à son contrat de travail, et non par un contrat à durée "
            "déterminée ;",
            "laisser partir le conseiller en formation initiale (parcours de 70, 175 ou 315 heures selon son "
            "positionnement), l'entrée en formation intervenant au plus tard quinze jours après la signature "
            "du contrat de travail, et veiller à son assiduité ;",
            "permettre au conseiller de se présenter à la certification Pix et à l'examen du premier "
            "certificat de compétences professionnelles (CCP1) du titre professionnel de médiateur numérique "
            "dans les six mois suivant la fin de sa formation initiale ;",
            "permettre au conseiller de suivre deux modules de formation thématiques de 7 ou 14 heures dans "
            "l'année suivant son entrée en formation initiale, ainsi que la formation continue proposée par "
            "le dispositif ;",
            "mettre à la disposition du conseiller les moyens et équipements nécessaires à sa mission : "
            "ordinateur, téléphone portable, espace de travail et, si nécessaire, véhicule ;",
            "veiller à ce que le conseiller renseigne un compte rendu d'activité (CRA) après chaque "
            "accompagnement, dans l'outil de suivi mis à disposition par l'État (La Coop de la médiation "
            "numérique), et répondre de la fiabilité des informations transmises ;",
            "assurer la gratuité, pour le public, des activités menées par le conseiller (ateliers "
            "numériques, initiations, accompagnements individuels) ;",
            "permettre au conseiller de consacrer une partie de son temps à la vie de la communauté "
            "professionnelle (rencontres locales et nationales, webinaires, échanges de pratiques) ;",
            "ne pas affecter le conseiller comme l'un des deux agents obligatoires d'une maison France "
            "Services ;",
            "informer sans délai la Caisse des Dépôts de la fin du contrat d'un conseiller et pourvoir le "
            "poste devenu vacant dans un délai de six mois ; à défaut, le poste est restitué et la présente "
            "convention est modifiée par avenant ;",
            "justifier de l'emploi de la subvention au plus tard trois mois après le terme de la présente "
            "convention, dans les conditions de l'article 6 ;",
            "informer la Caisse des Dépôts de toute modification de sa situation juridique, de ses statuts, "
            "de son représentant légal ou de ses coordonnées bancaires.",
        ]
    )

    writer.heading("Article 6 — Justification de l'emploi de la subvention et reversement")
    writer.para(
        "À l'issue de la convention, le Bénéficiaire transmet à la Caisse des Dépôts un état récapitulatif, "
        "certifié par son représentant légal ou, pour une personne publique, par son comptable public, des "
        "rémunérations versées à chaque conseiller numérique sur la période financée, accompagné des "
        "contrats de travail et de tout justificatif demandé."
    )
    writer.para(
        "Les sommes déjà versées dont le Bénéficiaire ne pourrait pas justifier de l'utilisation "
        "conformément à la présente convention sont reversées à la Caisse des Dépôts."
    )
    _clawback_rule(writer)
    writer.para(
        "En cas de fin du contrat d'un conseiller, le reversement correspondant n'est exigé qu'à "
        "l'expiration du délai de remplacement prévu à l'article 5 (11°) ; le recrutement d'un nouveau "
        "conseiller dans ce délai y met fin. Le reversement intervient dans les trente jours suivant la "
        "demande de la Caisse "
        "des Dépôts."
    )

    writer.heading("Article 7 — Résiliation")
    writer.para(
        "En cas de manquement du Bénéficiaire à l'une de ses obligations, la Caisse des Dépôts peut, après "
        "une mise en demeure adressée par lettre recommandée avec accusé de réception et restée sans effet "
        "pendant trente jours calendaires, suspendre les versements, modifier la présente convention ou la "
        "résilier de plein droit."
    )
    writer.para(
        "Le Bénéficiaire peut demander la résiliation de la présente convention, ou la restitution d'une "
        "partie des postes, par lettre recommandée avec accusé de réception adressée à la Caisse des "
        "Dépôts ; la restitution d'une partie des postes donne lieu à un avenant."
    )
    writer.para(
        "La résiliation emporte l'annulation des tranches non encore versées. La subvention est alors "
        "arrêtée au vu des dépenses justifiées, et les sommes indûment perçues sont reversées dans les "
        "conditions de l'article 6."
    )

    writer.heading("Article 8 — Données personnelles")
    writer.para(
        "Les données à caractère personnel recueillies pour l'exécution de la présente convention (identité "
        "et coordonnées des représentants du Bénéficiaire et des conseillers, éléments de leur contrat de "
        "travail) sont traitées par la Caisse des Dépôts, pour le compte de l'État, aux seules fins "
        "d'instruire, de verser et de contrôler la subvention et de suivre le dispositif, dans le respect du "
        "règlement (UE) 2016/679 du 27 avril 2016 (RGPD) et de la loi n° 78-17 du 6 janvier 1978 relative à "
        "l'informatique, aux fichiers et aux libertés. Elles sont conservées pendant la durée de la "
        "convention, puis archivées pendant la durée de prescription applicable à compter de sa clôture. "
        "Les personnes concernées disposent d'un droit d'accès, de rectification, de limitation et "
        "d'opposition, qu'elles exercent auprès du délégué à la protection des données de la Caisse des "
        "Dépôts. Le Bénéficiaire informe les conseillers de ce traitement."
    )

    writer.heading("Article 9 — Modification et règlement des litiges")
    writer.para(
        "Toute modification de la présente convention fait l'objet d'un avenant écrit, daté et signé par les "
        "Parties. Les Parties s'efforcent de régler à l'amiable tout différend relatif à l'interprétation ou "
        "à l'exécution de la présente convention ; à défaut d'accord, le litige est porté devant la "
        "juridiction compétente."
    )

    writer.para("Fait en deux exemplaires originaux.")
    writer.signatures(
        _agency_block("{{ convention.signed_on }}"), _structure_block("{{ convention.signed_on }}")
    )

    writer.page_break()
    writer.heading("Annexe — Coordonnées bancaires du Bénéficiaire")
    writer.para(
        "Titulaire du compte : {{ structure.name }} — IBAN : {{ structure.iban }} — "
        "BIC : {{ structure.bic }}",
        align="left",
    )
    writer.para(
        "Les versements de la subvention sont effectués sur ce compte. Le relevé d'identité bancaire "
        "correspondant est joint à la présente convention.",
    )
    _generated_note(writer)
    return writer.to_bytes()


# --- The convention avenant ----------------------------------------------------------------------------


def build_convention_avenant() -> bytes:
    writer = TemplateWriter(
        title="Avenant à la convention de subvention — dispositif Conseiller numérique",
        subject="Modification du nombre de postes et du montant de la subvention",
        header="Avenant n° {{ amendment.number }} — convention n° {{ convention.reference }}",
        footer="Avenant n° {{ amendment.number }} à la convention n° {{ convention.reference }}",
    )
    writer.title(
        "Avenant n° {{ amendment.number }} à la convention {{ convention.reference }}",
        "Convention de subvention — dispositif Conseiller numérique",
    )
    _convention_parties(writer)

    writer.heading("Préambule")
    writer.para(
        "Par la convention n° {{ convention.reference }} signée le {{ convention.signed_on }}, la Caisse des "
        "Dépôts, agissant pour le compte de l'État, a attribué au Bénéficiaire une subvention de "
        "{{ convention.amount_per_post }} par poste de conseiller numérique (médiateur numérique), pour la "
        "période du {{ convention.start_date }} au {{ convention.end_date }}, chaque poste étant financé "
        "pendant {{ convention.funded_months }} mois."
    )
    writer.para("Avant le présent avenant, la convention porte sur {{ convention.posts_before_text }}.")
    writer.para("Motif de l'avenant : {{ amendment.reason }}")
    writer.para("Il est convenu ce qui suit :")

    writer.heading("Article 1 — Nombre de postes")
    writer.para(
        "À compter du {{ amendment.effective_date }}, le nombre de postes de conseiller numérique financés "
        "au titre de la convention passe de {{ convention.posts_before_text }} à "
        "{{ amendment.posts_text }}."
    )

    writer.heading("Article 2 — Montant de la subvention et échéancier")
    writer.para(
        "Le montant total de la subvention passe de {{ amendment.total_before }} à "
        "**{{ amendment.new_total_amount }}** (**{{ amendment.new_total_amount_words }}**)."
    )
    writer.para(
        "La variation est calculée période financée par période financée : variation du nombre de postes "
        "× montant par poste de la période × nombre de mois de la période comptés à partir du mois de la "
        "date d'effet (un mois commencé avant la date d'effet garde l'ancien nombre de postes) ÷ nombre de "
        "mois de la période."
    )
    writer.para(
        "La variation est répartie sur les tranches dont l'échéance tombe à la date d'effet ou après, au "
        "prorata de leurs montants, la dernière recevant l'arrondi ; une baisse que ces tranches ne peuvent "
        "absorber est imputée sur les tranches antérieures, en commençant par la plus récente. "
        "L'échéancier de la subvention est désormais le suivant :"
    )
    writer.tranches_table(total="{{ amendment.new_total_amount }}")
    writer.para(
        "Lorsqu'une tranche déjà approuvée ou versée change de montant, elle n'est pas modifiée : la "
        "différence fait l'objet d'un versement complémentaire si elle est positive, ou d'un reversement "
        "à la Caisse des Dépôts dans les conditions de l'article 6 de la convention si elle est négative."
    )

    writer.heading("Article 3 — Reversement en cas de fin d'un poste")
    writer.para("L'article 6 de la convention s'applique au nombre de postes issu du présent avenant :")
    _clawback_rule(writer)

    writer.heading("Article 4 — Autres stipulations")
    writer.para(
        "Toutes les stipulations de la convention qui ne sont pas modifiées par le présent avenant demeurent "
        "inchangées et applicables."
    )
    writer.para(
        "Le présent avenant entre en vigueur à la date de sa signature par la dernière des Parties ; ses "
        "effets sur le nombre de postes et sur le montant de la subvention s'appliquent à compter du "
        "{{ amendment.effective_date }}."
    )

    writer.para("Fait en deux exemplaires originaux.")
    writer.signatures(
        _agency_block("{{ amendment.signed_on }}"), _structure_block("{{ amendment.signed_on }}")
    )
    _generated_note(writer)
    return writer.to_bytes()


# --- The employment-contract avenant -------------------------------------------------------------------


def build_contract_avenant() -> bytes:
    writer = TemplateWriter(
        title="Avenant au contrat de travail — conseiller numérique",
        subject="Affectation d'un salarié en CDI sur un poste de conseiller numérique (médiateur numérique)",
        header="Avenant au contrat de travail — réf. {{ document.reference }}",
        footer="Avenant au contrat de travail de {{ employee.first_name }} {{ employee.last_name }}",
    )
    writer.title(
        "Avenant au contrat de travail",
        "Affectation sur un poste de conseiller numérique (médiateur numérique)",
    )
    writer.label("ENTRE LES SOUSSIGNÉS")
    writer.para(
        "**{{ structure.name }}**, {{ structure.kind_label }} ({{ structure.structure_type_label }}), "
        "immatriculée sous le numéro {{ structure.identifier_label }} {{ structure.siret }}, "
        "dont le siège est situé {{ structure.address }}, {{ structure.postcode }} {{ structure.city }}, "
        "représentée par {{ structure.legal_representative }}, en qualité d'employeur,"
    )
    writer.para("ci-après dénommée « l'Employeur »,", align="left")
    writer.para("d'une part,", align="right")
    writer.label("ET")
    writer.para("**{{ employee.first_name }} {{ employee.last_name }}**, né(e) le {{ employee.birth_date }},")
    writer.para("ci-après dénommé(e) « le Salarié »,", align="left")
    writer.para("d'autre part.", align="right")

    writer.heading("Préambule")
    writer.para(
        "Le Salarié est employé par l'Employeur en vertu d'un {{ contract.contract_type_label }} ayant pris "
        "effet le {{ contract.original_start_date }}."
    )
    writer.para(
        "L'Employeur accueille un ou plusieurs postes de conseiller numérique financés par l'État dans le "
        "cadre du dispositif Conseiller numérique, au titre d'une convention de subvention conclue avec la "
        "Caisse des dépôts et consignations (Banque des Territoires). Un salarié déjà employé en contrat à "
        "durée indéterminée ne peut pas être recruté sur ce poste par un contrat à durée déterminée : il y "
        "est affecté par un avenant à son contrat de travail, qui redéfinit ses fonctions conformément à la "
        "fiche de poste du conseiller numérique."
    )
    writer.para("Le Salarié ayant accepté cette affectation, il est convenu ce qui suit :")

    writer.heading("Article 1 — Fonctions")
    writer.para(
        "À compter de la date d'effet du présent avenant, le Salarié exerce les fonctions de conseiller "
        "numérique, dont le titre professionnel est, depuis le 13 juillet 2025, celui de médiateur "
        "numérique. Ces fonctions remplacent celles que définissait jusqu'alors son contrat de travail. À ce "
        "titre, le Salarié :"
    )
    writer.items(
        [
            "accompagne les personnes éloignées du numérique vers l'autonomie dans leurs usages quotidiens : "
            "prise en main d'un équipement informatique, navigation sur internet, gestion des courriels, "
            "usage des applications utiles sur smartphone, démarches administratives en ligne, protection "
            "des données personnelles ;",
            "anime des ateliers numériques collectifs et des accompagnements individuels, gratuits pour le "
            "public, dans les lieux définis par l'Employeur ou en itinérance ;",
            "sensibilise les publics aux enjeux du numérique (vérification des sources, réseaux sociaux, "
            "sécurité en ligne) et les oriente, le cas échéant, vers les structures compétentes ;",
            "renseigne un compte rendu d'activité (CRA) après chaque accompagnement, dans l'outil de suivi "
            "mis à disposition par l'État (La Coop de la médiation numérique) ;",
            "participe à la vie de la communauté professionnelle des conseillers numériques (rencontres "
            "locales et nationales, webinaires, formation continue).",
        ],
        numbered=False,
    )
    writer.para(
        "Le Salarié suit la formation initiale du dispositif (parcours de 70, 175 ou 315 heures selon son "
        "positionnement), qui commence au plus tard quinze jours après la signature du présent avenant ; "
        "l'Employeur l'y laisse partir, le temps de formation étant du temps de travail effectif rémunéré "
        "comme tel. Le Salarié se présente à la certification Pix et à l'examen du premier certificat de "
        "compétences professionnelles (CCP1) du titre professionnel de médiateur numérique dans les six "
        "mois suivant la fin de sa formation initiale, et suit deux modules de formation thématiques dans "
        "l'année suivant son entrée en formation."
    )
    writer.para(
        "L'Employeur met à la disposition du Salarié les moyens et équipements nécessaires à ses missions : "
        "ordinateur, téléphone portable, espace de travail et, si nécessaire, véhicule. Le Salarié ne peut "
        "pas être affecté comme l'un des deux agents obligatoires d'une maison France Services."
    )

    writer.heading("Article 2 — Durée du travail")
    writer.para(
        "Le Salarié est employé à temps plein. La durée hebdomadaire de travail est fixée à "
        "{{ contract.weekly_hours }} heures."
    )

    writer.heading("Article 3 — Rémunération")
    writer.para(
        "En contrepartie de ses fonctions, le Salarié perçoit une rémunération mensuelle brute de "
        "**{{ contract.gross_monthly_salary }}** (**{{ contract.gross_monthly_salary_words }}**) pour un "
        "temps plein."
    )
    writer.para(
        "Cette rémunération ne peut être inférieure au salaire minimum interprofessionnel de croissance "
        "(SMIC) en vigueur ; elle est relevée à due concurrence à chaque revalorisation du SMIC."
    )

    writer.heading("Article 4 — Date d'effet")
    writer.para("Le présent avenant prend effet le {{ contract.start_date }}.")

    writer.heading("Article 5 — Autres clauses")
    writer.para(
        "Toutes les autres clauses du contrat de travail du Salarié qui ne sont pas contraires au présent "
        "avenant demeurent inchangées ; le Salarié conserve notamment l'ancienneté acquise."
    )

    writer.para("Fait en deux exemplaires originaux, dont un est remis au Salarié.")
    writer.signatures(
        [
            PLACE_AND_DATE + "{{ contract.signed_on }}",
            "**Pour l'Employeur, {{ structure.name }}**",
            "{{ structure.legal_representative }}",
            "Signature et cachet :",
        ],
        [
            PLACE_AND_DATE + "{{ contract.signed_on }}",
            "**Le Salarié, {{ employee.first_name }} {{ employee.last_name }}**",
            "Signature précédée de la mention manuscrite « Lu et approuvé » :",
        ],
    )
    _generated_note(writer)
    return writer.to_bytes()


BUILDERS = {
    "convention": build_convention,
    "convention_avenant": build_convention_avenant,
    "contract_avenant": build_contract_avenant,
}


def main() -> None:
    for name, build in BUILDERS.items():
        path = TEMPLATES_DIR / f"{name}.docx"
        path.write_bytes(build())
        print(f"{path} écrit")


if __name__ == "__main__":
    main()
