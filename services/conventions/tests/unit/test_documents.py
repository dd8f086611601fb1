"""Rendering the convention and the two avenants safely and reproducibly; linting uploaded templates."""

from __future__ import annotations

import copy
import io
import re
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from docxtpl import DocxTemplate

from cnum_shared.core import legal
from cnum_shared.core.money import format_eur_fr
from cnum_shared.core.parameters import parameters
from conventions.adapters import documents
from conventions.adapters.document_context import (
    BLANK,
    CONTEXT_SCHEMAS,
    ON_SIGNATURE,
    SAMPLE_DATA,
    InvalidDocumentData,
    declared_variables,
    template_context,
)
from conventions.adapters.documents import (
    FIXED_TIMESTAMP,
    ZIP_EPOCH,
    TemplateNotDocx,
    TemplateRenderError,
    data_sha256,
    render_docx,
    template_sha256,
)
from conventions.adapters.template_lint import lint_template
from conventions.domain.documents import EDITIONS, Edition
from conventions.service_layer.documents.content import law_data
from conventions.templates import build

TREE = parameters()

TEMPLATES_DIR = Path(build.__file__).parents[1]
TEMPLATE_NAMES = ("convention", "convention_avenant", "contract_avenant", "final_statement", "recovery_order")
#: Every shipped template, in each edition of the law.
SHIPPED = [(name, code) for name in TEMPLATE_NAMES for code in EDITIONS]


def shipped(name: str, edition: str = EDITIONS[-1]) -> bytes:
    return (TEMPLATES_DIR / name / f"{edition}.docx").read_bytes()


# --- Data: a commune of La Réunion with two posts at the overseas rate -----------------------------------


def structure() -> dict:
    return {
        "name": "Commune du Tampon",
        "siret": "21974222800014",
        "kind": "public",
        "structure_type": "commune",
        "address": "256 rue Hubert-Delisle",
        "postcode": "97430",
        "city": "Le Tampon",
        "department": "974",
        "email": "inclusion-numerique@letampon.example",
        "iban": "FR7619806000000097443000114",
        "bic": "AGRIMQMX",
        "legal_representative": "Mme Marie Payet, maire",
    }


def convention_data() -> dict:
    return {
        "document": {"reference": "CNUM-2026-00042", "generated_on": date(2026, 1, 20)},
        "structure": structure(),
        "convention": {
            "reference": "CNUM-2026-00042",
            "wave": "initial",
            "posts": 2,
            "start_date": date(2026, 1, 1),
            "end_date": date(2027, 12, 31),
            "duration_months": 24,
            "funded_months": 24,
            "amount_per_post": Decimal("67500.00"),
            "total_amount": Decimal("135000.00"),
            "signed_on": date(2026, 1, 15),
            "bonus_zones": "QPV ou FRR",
            "bonus_zones_label": (
                "quartier prioritaire de la politique de la ville (QPV) ou zone France Ruralités "
                "Revitalisation (FRR)"
            ),
            "renewal_bonus": False,
        },
        "tranches": [
            {"number": 1, "due_on": date(2026, 1, 15), "amount": Decimal("54000.00")},
            {"number": 2, "due_on": date(2027, 1, 1), "amount": Decimal("54000.00")},
            {"number": 3, "due_on": date(2028, 1, 1), "amount": Decimal("27000.00")},
        ],
        # One funded period of 24 months at 67 500 € a post: 67 500 ÷ 24 = 2 812,50 € a month.
        "funding_periods": [
            {
                "number": 1,
                "starts_on": date(2026, 1, 1),
                "ends_on": date(2027, 12, 31),
                "months": 24,
                "amount_per_post": Decimal("67500.00"),
                "monthly_rate": Decimal("2812.50"),
            }
        ],
        # The law on the signature day, as the service reads it (these tests are about the layout).
        "law": law_data(date(2026, 1, 15), TREE),
    }


def avenant_data() -> dict:
    data = convention_data()
    data["document"]["reference"] = "CNUM-2026-00042-AV1"
    data["convention"]["posts_before"] = 2
    data["amendment"] = {
        "number": 1,
        "effective_date": date(2026, 7, 1),
        "posts": 3,
        "reason": "Attribution d'un troisième poste par le comité de sélection national.",
        "total_before": Decimal("135000.00"),
        "new_total_amount": Decimal("185625.00"),
        "signed_on": None,
    }
    # One more post for the 18 months from July 2026: 1 × 67 500 × 18 ÷ 24 = 50 625 €, spread over
    # tranches 2 and 3 (54 000 + 27 000 = 81 000) in proportion: +33 750 and +16 875.
    data["tranches"] = [
        {"number": 1, "due_on": date(2026, 1, 15), "amount": Decimal("54000.00")},
        {"number": 2, "due_on": date(2027, 1, 1), "amount": Decimal("87750.00")},
        {"number": 3, "due_on": date(2028, 1, 1), "amount": Decimal("43875.00")},
    ]
    return data


def contract_data() -> dict:
    return {
        "document": {"reference": "CNUM-2026-00042-CT-3F2A1C", "generated_on": date(2026, 1, 20)},
        "structure": structure(),
        "employee": {"first_name": "Maëlle", "last_name": "Hoarau", "birth_date": date(1994, 3, 1)},
        "contract": {
            "contract_type": "cdi",
            "start_date": date(2026, 2, 1),
            "weekly_hours": Decimal("35.00"),
            "gross_monthly_salary": Decimal("1850.00"),
            "signed_on": date(2026, 1, 26),
            "employment_law": "public",
            "public_status": "contractuel",
        },
        "law": law_data(date(2026, 1, 26), TREE),
    }


DATA = {
    "convention": convention_data,
    "convention_avenant": avenant_data,
    "contract_avenant": contract_data,
    # The final statement and the recovery order: the linter's realistic examples (a commune of La Réunion
    # whose second post ended after twelve months), worked out in document_context.SAMPLE_DATA.
    "final_statement": lambda: copy.deepcopy(SAMPLE_DATA["final_statement"]),
    "recovery_order": lambda: copy.deepcopy(SAMPLE_DATA["recovery_order"]),
}


def render(name: str, data: dict | None = None) -> bytes:
    return render_docx(
        shipped(name), template_context(name, data if data is not None else DATA[name](), tree=TREE)
    )


def text_of(content: bytes) -> str:
    """Everything a reader sees: paragraphs, table cells, headers and footers."""
    document = Document(io.BytesIO(content))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in document.sections:
        parts.extend(paragraph.text for paragraph in section.header.paragraphs)
        parts.extend(paragraph.text for paragraph in section.footer.paragraphs)
    return "\n".join(parts)


def docx_with(body_text: str, *, header_text: str | None = None) -> bytes:
    """A minimal DOCX template whose body is one paragraph per line of `body_text`."""
    document = Document()
    for line in body_text.splitlines():
        document.add_paragraph().add_run(line)
    if header_text is not None:
        document.sections[0].header.paragraphs[0].add_run(header_text)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def rezip(content: bytes, *, replace: dict[str, bytes] | None = None, drop: tuple[str, ...] = ()) -> bytes:
    """The same archive with some members replaced (or added) and some left out."""
    replace = dict(replace or {})
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(output, "w") as target:
        for member in source.infolist():
            if member.filename not in drop:
                data = replace.pop(member.filename, None) or source.read(member)
                target.writestr(member, data, compress_type=zipfile.ZIP_DEFLATED)
        for name, data in replace.items():
            target.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return output.getvalue()


# --- The three documents ----------------------------------------------------------------------------------


def test_the_convention_names_the_parties_and_states_the_amounts_in_figures_and_words():
    text = text_of(render("convention"))

    assert "Convention de subvention — dispositif Conseiller numérique" in text
    assert (
        "Caisse des dépôts et consignations, agissant pour le compte de l'État (Banque des Territoires)"
        in text
    )
    assert "Commune du Tampon, structure publique (commune)" in text
    assert "SIRET 21974222800014" in text
    assert "256 rue Hubert-Delisle, 97430 Le Tampon (La Réunion)" in text
    assert "représentée par Mme Marie Payet, maire" in text
    assert "2 (deux) postes de conseiller numérique" in text
    assert f"{format_eur_fr(Decimal('67500'))} (soixante-sept mille cinq cents euros) par poste" in text
    assert f"{format_eur_fr(Decimal('135000'))} (cent trente-cinq mille euros)" in text
    assert "prend effet le 1er janvier 2026 et prend fin le 31 décembre 2027" in text
    assert "soit une durée de 24 mois" in text
    # Article 6 states its rates: 67 500 € ÷ 24 months = 2 812,50 € a month and a post.
    assert "calculée mois par mois" in text
    assert format_eur_fr(Decimal("2812.50")) in text
    assert "IBAN\u00a0: FR76 1980 6000 0000 9744 3000 114" in text
    assert "BIC\u00a0: AGRIMQMX" in text
    assert "Fait à ………………, le 15 janvier 2026" in text
    assert "Convention n°\u00a0CNUM-2026-00042" in text  # the header


def test_the_convention_states_each_obligation_of_the_structure():
    text = text_of(render("convention"))

    for obligation in (
        "pour un salaire brut jamais inférieur au SMIC en vigueur",
        "au plus tard quinze jours après la signature du contrat de travail",
        "certification Pix et à l'examen du premier certificat de compétences professionnelles (CCP1)",
        "deux modules de formation thématiques de 7 ou 14 heures",
        "ordinateur, téléphone portable, espace de travail et, si nécessaire, véhicule",
        "compte rendu d'activité après chaque accompagnement",
        "assurer la gratuité, pour le public",
        "pourvoir le poste devenu vacant au plus tard six mois après cette fin de contrat",
        "justifier de l'emploi de la subvention",
        "calculée mois par mois",
        "dont le Bénéficiaire ne pourrait pas justifier de l'utilisation",
    ):
        assert obligation in text


def test_the_convention_lists_its_tranches_in_a_table_with_their_total():
    document = Document(io.BytesIO(render("convention")))

    rows = [[cell.text for cell in row.cells] for row in document.tables[0].rows]

    assert rows == [
        ["Tranche", "Échéance", "Montant"],
        ["1", "15 janvier 2026", format_eur_fr(Decimal("54000"))],
        ["2", "1er janvier 2027", format_eur_fr(Decimal("54000"))],
        ["3", "1er janvier 2028", format_eur_fr(Decimal("27000"))],
        ["Total", "", format_eur_fr(Decimal("135000"))],
    ]


def test_an_unsigned_convention_leaves_the_dates_and_the_representative_to_fill_in():
    data = convention_data()
    data["convention"]["signed_on"] = None
    data["tranches"][0]["due_on"] = None
    data["structure"]["legal_representative"] = None
    data["structure"]["bic"] = None

    text = text_of(render("convention", data))

    assert f"Fait à ………………, le {BLANK}" in text
    assert f"\n{ON_SIGNATURE}\n" in text
    assert "représentée par son représentant légal (nom et qualité à compléter)" in text
    assert "BIC\u00a0: non communiqué" in text


def test_the_convention_avenant_states_the_new_posts_the_new_total_and_the_unpaid_tranches():
    content = render("convention_avenant")
    text = text_of(content)

    assert "Avenant n°\u00a01 à la convention CNUM-2026-00042" in text
    assert "Commune du Tampon" in text and "SIRET 21974222800014" in text
    assert "Par la convention n°\u00a0CNUM-2026-00042 signée le 15 janvier 2026" in text
    assert "À compter du 1er juillet 2026" in text
    assert "passe de 2 (deux) postes à 3 (trois) postes" in text
    assert "Attribution d'un troisième poste par le comité de sélection national." in text
    assert (
        f"{format_eur_fr(Decimal('185625'))} (cent quatre-vingt-cinq mille six cent vingt-cinq euros)" in text
    )
    assert "Toutes les stipulations de la convention qui ne sont pas modifiées" in text
    assert f"Fait à ………………, le {BLANK}" in text
    assert f"passe de {format_eur_fr(Decimal('135000'))} à" in text
    tables = Document(io.BytesIO(content)).tables
    rows = [[cell.text for cell in row.cells] for row in tables[0].rows]
    assert rows == [
        ["Tranche", "Échéance", "Montant", "Déjà versé", "À reverser"],
        ["1", "15 janvier 2026", format_eur_fr(Decimal("54000")), "—", "—"],
        ["2", "1er janvier 2027", format_eur_fr(Decimal("87750")), "—", "—"],
        ["3", "1er janvier 2028", format_eur_fr(Decimal("43875")), "—", "—"],
        ["Total", "", format_eur_fr(Decimal("185625")), "", ""],
    ]
    # Article 3 restates article 6 with the period's rate: 67 500 € ÷ 24 = 2 812,50 € a month.
    periods = [[cell.text for cell in row.cells] for row in tables[1].rows]
    assert periods == [
        ["Période financée", "Mois", "Montant par poste", "Taux mensuel par poste"],
        [
            "du 1er janvier 2026 au 31 décembre 2027",
            "24",
            format_eur_fr(Decimal("67500")),
            format_eur_fr(Decimal("2812.50")),
        ],
    ]


def test_the_contract_avenant_rewrites_the_duties_and_states_hours_and_salary():
    text = text_of(render("contract_avenant"))

    assert "Avenant au contrat de travail" in text
    assert "Commune du Tampon" in text and "SIRET 21974222800014" in text
    assert "Maëlle Hoarau, né(e) le 1er mars 1994" in text
    assert f"contrat à durée indéterminée (CDI) ayant pris effet le {BLANK}" in text
    assert "exerce les fonctions de conseiller numérique" in text and "médiateur numérique" in text
    assert "vers l'autonomie dans leurs usages quotidiens" in text
    assert "compte rendu d'activité (CRA)" in text
    assert "La durée hebdomadaire de travail est fixée à 35 heures." in text
    assert f"{format_eur_fr(Decimal('1850'))} (mille huit cent cinquante euros)" in text
    assert "Le présent avenant prend effet le 1er février 2026." in text
    assert "Fait à ………………, le 26 janvier 2026" in text


def test_the_contract_avenant_states_the_start_of_the_original_contract_when_known():
    data = contract_data()
    data["contract"]["original_start_date"] = date(2019, 9, 1)

    assert "ayant pris effet le 1er septembre 2019" in text_of(render("contract_avenant", data))


# --- Reproducibility --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_rendering_twice_gives_the_same_bytes(name):
    first, second = render(name), render(name)

    assert first == second
    assert template_sha256(first) == template_sha256(second)


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_a_rendered_document_carries_no_clock_time(name):
    with zipfile.ZipFile(io.BytesIO(render(name))) as archive:
        assert {member.date_time for member in archive.infolist()} == {ZIP_EPOCH}


def test_a_template_without_core_properties_gets_fixed_dates_not_today():
    template = docx_with("Nom : {{ structure.name }}")
    with zipfile.ZipFile(io.BytesIO(template)) as archive:
        package_rels = archive.read("_rels/.rels").decode("utf-8")
    package_rels = re.sub(r"<Relationship [^>]*core-properties[^>]*/>", "", package_rels)
    template = rezip(template, replace={"_rels/.rels": package_rels.encode()}, drop=("docProps/core.xml",))
    context = template_context("convention", convention_data(), tree=TREE)

    content = render_docx(template, context)

    properties = Document(io.BytesIO(content)).core_properties
    assert properties.created == properties.modified == FIXED_TIMESTAMP
    assert render_docx(template, context) == content


# --- What users type is printed, never run -------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "{{ 7*7 }}",
        "{% for x in y %}boucle{% endfor %}",
        "{%tr for x in y %}",
        "</w:t></w:r><w:r><w:t>injecté",
        "<w:t>",
        "Dupont & Fils &amp; Cie",
        "« guillemets » \"doubles\" et 'simples'",
        "<script>alert('x')</script>",
        "Médiathèque 📚 ✨ Ω",
        "{{ structure.__class__.__mro__ }}",
    ],
)
def test_text_typed_by_a_user_appears_literally(typed):
    data = convention_data()
    data["structure"]["name"] = f"Commune {typed}"
    data["structure"]["legal_representative"] = typed

    content = render("convention", data)

    text = text_of(content)  # python-docx reopens the document: the XML is well formed
    assert f"Pour Commune {typed}" in text
    assert f"représentée par {typed}, dûment" in text
    assert "49" not in text.replace("2026-00042", "")  # {{ 7*7 }} was not evaluated


def test_a_newline_typed_by_a_user_is_a_line_break_and_control_characters_are_dropped():
    data = avenant_data()
    data["amendment"]["reason"] = "Première ligne\r\nSeconde ligne\x07\x0c\x00 fin"

    text = text_of(render("convention_avenant", data))

    assert "pour le motif suivant\u00a0: Première ligne\nSeconde ligne fin" in text


def test_a_template_cannot_reach_python_internals():
    template = docx_with("{{ structure.name.__class__.__mro__ }}")

    with pytest.raises(TemplateRenderError, match=r"interdite|absente"):
        render_docx(template, template_context("convention", convention_data(), tree=TREE))


# --- Missing data stops the rendering -------------------------------------------------------------------


def test_a_key_missing_from_the_context_is_an_error_not_an_empty_string():
    context = template_context("convention", convention_data(), tree=TREE)
    del context["structure"]["siret"]

    with pytest.raises(TemplateRenderError, match="siret"):
        render_docx(shipped("convention"), context)


def test_a_key_missing_from_the_raw_data_is_an_error_not_an_empty_string():
    data = contract_data()
    del data["employee"]["birth_date"]

    with pytest.raises(TemplateRenderError, match="birth_date"):
        render("contract_avenant", data)


def test_an_unknown_code_cannot_be_written_in_a_document():
    data = convention_data()
    data["structure"]["structure_type"] = "mairie"

    with pytest.raises(InvalidDocumentData, match="mairie"):
        template_context("convention", data, tree=TREE)


# --- The context ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_a_template_only_ever_sees_strings_lists_and_dicts(name):
    def leaves(value):
        if isinstance(value, dict):
            for item in value.values():
                yield from leaves(item)
        elif isinstance(value, list):
            for item in value:
                yield from leaves(item)
        else:
            yield value

    context = template_context(name, DATA[name](), tree=TREE)

    assert all(type(leaf) is str for leaf in leaves(context))


def test_the_context_writes_codes_amounts_and_dates_in_french():
    context = template_context("convention", convention_data(), tree=TREE)

    assert context["structure"]["kind_label"] == "structure publique"
    assert context["structure"]["department_name"] == "La Réunion"
    assert context["convention"]["wave_label"] == "conventionnement initial (France Relance)"
    assert context["convention"]["total_amount"] == "135\u202f000,00\u00a0€"
    assert context["convention"]["total_amount_words"] == "cent trente-cinq mille euros"
    assert context["convention"]["posts"] == "2"
    assert context["tranches"][1] == {
        "number": "2",
        "due_on": "1er janvier 2027",
        "amount": format_eur_fr(Decimal("54000")),
        "amount_words": "cinquante-quatre mille euros",
    }


def test_the_declared_variables_are_the_dotted_names_of_the_context():
    names = declared_variables("convention_avenant")

    assert {"structure", "structure.name", "tranches", "tranches.amount", "convention.posts_before"} <= names
    assert {"amendment.new_total_amount_words", "document.reference"} <= names
    assert "amendment.number" not in declared_variables("convention")
    assert set(CONTEXT_SCHEMAS) == set(TEMPLATE_NAMES)


def test_the_data_hash_ignores_key_order_and_sees_every_value():
    data = convention_data()
    reordered = dict(reversed(list(copy.deepcopy(data).items())))
    changed = copy.deepcopy(data)
    changed["tranches"][2]["amount"] = Decimal("27000.01")

    assert data_sha256(data) == data_sha256(reordered)
    assert data_sha256(data) != data_sha256(changed)
    assert re.fullmatch(r"[0-9a-f]{64}", data_sha256(data))


# --- The shipped templates --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "edition"), SHIPPED)
def test_the_shipped_templates_pass_the_linter(name, edition):
    assert lint_template(shipped(name, edition), name) == []


@pytest.mark.parametrize(("name", "edition"), SHIPPED)
def test_each_placeholder_of_a_shipped_template_sits_in_one_run(name, edition):
    with zipfile.ZipFile(io.BytesIO(shipped(name, edition))) as archive:
        xml = "".join(
            archive.read(member).decode("utf-8")
            for member in archive.namelist()
            if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", member)
        )
    runs = re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml)

    placeholders = [run for run in runs if "{" in run or "}" in run]
    assert placeholders
    for run in placeholders:
        assert re.fullmatch(
            r"\{\{ [a-z_.]+ \}\}|\{%tr (for \w+ in \w+|endfor) %\}"
            r"|\{%p (if [a-z_.]+( == \"\w+\")?( and [a-z_.]+)?|else|endif) %\}",
            run,
        ), run


@pytest.mark.parametrize(("name", "edition"), SHIPPED)
def test_the_shipped_templates_are_what_the_build_script_writes(name, edition):
    effective_from = {code: day for day, code in legal.template_editions(tree=TREE)}[edition]
    built = build.build(name, Edition(edition, effective_from))

    kept_bytes = shipped(name, edition)
    with zipfile.ZipFile(io.BytesIO(built)) as fresh, zipfile.ZipFile(io.BytesIO(kept_bytes)) as kept:
        assert fresh.namelist() == kept.namelist()
        for member in fresh.namelist():
            assert fresh.read(member) == kept.read(member), member


# --- Lint -----------------------------------------------------------------------------------------------


def test_the_linter_lists_the_variables_the_context_does_not_provide():
    template = docx_with("Structure : {{ structure.nom }}\nCode : {{ secret }}\n{{ structure.name }}")

    problems = lint_template(template, "convention")

    assert "Variable inconnue : secret" in problems
    assert "Variable inconnue : structure.nom (vouliez-vous dire structure.name ?)" in problems
    assert len(problems) == 2


def test_the_linter_reads_headers_and_the_fields_of_a_loop():
    template = docx_with(
        "{% for tranche in tranches %}{{ tranche.amount }} {{ tranche.montant }}{% endfor %}",
        header_text="{{ amendment.number }}",
    )

    problems = lint_template(template, "convention")

    assert problems == [
        "Variable inconnue : amendment",
        "Variable inconnue : tranche.montant (vouliez-vous dire tranche.amount ?)",
    ]


def test_the_linter_accepts_methods_of_a_string_and_loop_variables():
    template = docx_with(
        "{{ structure.name.upper() }}\n"
        "{% for tranche in tranches %}{{ loop.index }} {{ tranche.due_on }}{% endfor %}\n"
        "{{ tranches|length }} {{ tranches[0].amount }}"
    )

    assert lint_template(template, "convention") == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{{ structure.name ", "Erreur de syntaxe Jinja (corps du document"),
        ("{% for tranche in tranches %}{{ tranche.amount }}", "Erreur de syntaxe Jinja (corps du document"),
        ("{{ structure.name|nimporte_quoi }}", "nimporte_quoi"),
        ("{{ structure.name|safe }}", "Le filtre « safe » est interdit"),
        ("{% autoescape false %}{{ structure.name }}{% endautoescape %}", "« autoescape » est interdit"),
    ],
)
def test_the_linter_reports_jinja_errors(body, expected):
    problems = lint_template(docx_with(body), "convention")

    assert any(expected in problem for problem in problems), problems


def test_the_linter_reports_what_only_a_trial_rendering_shows():
    template = docx_with("{{ structure.name|int(strict=True) + convention.posts }}")

    problems = lint_template(template, "convention")

    assert any(problem.startswith("Le rendu d'essai") for problem in problems), problems


@pytest.mark.parametrize(
    "content",
    [b"", b"ceci n'est pas un document", b"%PDF-1.7\n", b"PK\x03\x04 tronqu\xc3\xa9"],
    ids=["empty", "text", "pdf", "truncated-zip"],
)
def test_what_is_not_a_zip_is_refused(content):
    with pytest.raises(TemplateNotDocx, match=r"n'est pas un document Word|illisible"):
        lint_template(content, "convention")


def test_a_zip_without_a_word_document_is_refused():
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("content.xml", "<office:document/>")

    with pytest.raises(TemplateNotDocx, match=r"word/document\.xml"):
        lint_template(output.getvalue(), "convention")


def test_a_zip_bomb_is_refused_before_it_is_inflated():
    zeros = b"\0" * (8 * 1024 * 1024)  # deflates about a thousandfold
    bomb = rezip(docx_with("{{ structure.name }}"), replace={"word/media/zeros.bin": zeros})

    with pytest.raises(TemplateNotDocx, match="zip bomb"):
        lint_template(bomb, "convention")
    with pytest.raises(TemplateNotDocx, match="zip bomb"):
        render_docx(bomb, {})


def test_a_template_larger_than_50_mb_once_inflated_is_refused():
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx_with("x"))) as source, zipfile.ZipFile(output, "w") as target:
        for member in source.infolist():
            target.writestr(member, source.read(member))
        target.writestr("word/media/big.bin", b"\1" * (51 * 1024 * 1024), compress_type=zipfile.ZIP_STORED)

    with pytest.raises(TemplateNotDocx, match="50 Mo"):
        lint_template(output.getvalue(), "convention")


def xxe_template() -> bytes:
    """A DOCX whose document part declares an external entity reading /etc/passwd, and uses it."""
    template = docx_with("Nom : {{ structure.name }} FUITE")
    with zipfile.ZipFile(io.BytesIO(template)) as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    xml = re.sub(
        r"^<\?xml[^>]*\?>",
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
        '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        xml,
    )
    return rezip(template, replace={"word/document.xml": xml.replace("FUITE", "&xxe;").encode("utf-8")})


def test_a_template_declaring_an_external_entity_is_refused():
    template = xxe_template()

    with pytest.raises(TemplateNotDocx, match="DOCTYPE") as linted:
        lint_template(template, "convention")
    with pytest.raises(TemplateNotDocx, match="DOCTYPE") as rendered:
        render_docx(template, template_context("convention", convention_data(), tree=TREE))

    assert "root:" not in str(linted.value) and "root:" not in str(rendered.value)


def test_an_external_entity_is_not_expanded_even_past_the_archive_check():
    # Defence in depth: python-docx parses with resolve_entities=False, so docxtpl never reads the file.
    template = DocxTemplate(io.BytesIO(xxe_template()))
    template.render({"structure": {"name": "Commune"}}, jinja_env=documents._environment())
    output = io.BytesIO()
    template.save(output)

    with zipfile.ZipFile(io.BytesIO(output.getvalue())) as archive:
        rendered = b"".join(archive.read(member) for member in archive.namelist())
    assert b"root:" not in rendered
    assert "Nom : Commune" in text_of(output.getvalue())


def test_the_convention_names_a_ridet_and_the_bonus_zone_of_a_renewal_with_the_bonus():
    data = convention_data()
    data["structure"].update(siret="1234567.001", department="988", postcode="98800", structure_type="ccas")
    data["convention"].update(wave="renewal", renewal_bonus=True)

    text = text_of(render("convention", data))

    assert "(centre communal d'action sociale (CCAS)), immatriculée sous le numéro RIDET 1234567.001" in text
    assert (
        "par poste. Ce montant comprend la bonification du renouvellement accordée aux structures publiques "
        "situées en quartier prioritaire de la politique de la ville (QPV) ou zone France Ruralités "
        "Revitalisation (FRR)."
    ) in text


def test_without_the_bonus_the_amount_per_post_stands_alone():
    text = text_of(render("convention"))

    assert "immatriculée sous le numéro SIRET 21974222800014" in text
    assert "bonification" not in text


def test_a_missing_bonus_flag_is_an_error_not_a_silent_sentence():
    data = convention_data()
    del data["convention"]["renewal_bonus"]

    with pytest.raises(InvalidDocumentData, match="renewal_bonus"):
        template_context("convention", data, tree=TREE)
