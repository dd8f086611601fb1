"""The linter of an uploaded template and the paragraph conditions the shipped templates use
(`{%p if … %}`, `{%p else %}`, `{%p endif %}`): accepted with `==` and `and`, unknown names inside them
still refused."""

from __future__ import annotations

import io

from docx import Document

from conventions.adapters.template_lint import lint_template


def docx_with(body_text: str) -> bytes:
    """A DOCX template whose body is one paragraph per line of `body_text` (a `{%p %}` tag alone in its
    paragraph, as docxtpl wants it)."""
    document = Document()
    for line in body_text.splitlines():
        document.add_paragraph().add_run(line)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def test_paragraph_conditions_with_equality_and_conjunction_are_accepted():
    template = docx_with(
        '{%p if contract.public_status == "titulaire" %}\n'
        "Arrêté d'affectation\n"
        "{%p else %}\n"
        "Avenant au contrat de travail\n"
        "{%p endif %}\n"
        '{%p if contract.employment_law == "private" and contract.collective_agreement %}\n'
        "Convention collective {{ contract.collective_agreement }}\n"
        "{%p endif %}"
    )

    assert lint_template(template, "contract_avenant") == []


def test_the_convention_conditions_on_the_law_part_are_accepted():
    template = docx_with(
        "{%p if structure.association_or_foundation and law.republican_commitment %}\n"
        "Contrat d'engagement républicain\n"
        "{%p endif %}\n"
        '{%p if convention.wave == "renewal" %}\n'
        "{{ convention.yearly_amounts_text }}\n"
        "{%p endif %}"
    )

    assert lint_template(template, "convention") == []


def test_an_unknown_variable_in_a_condition_is_still_refused():
    template = docx_with(
        '{%p if contract.statut_public == "titulaire" and secret %}\n'
        "Arrêté\n"
        "{%p else %}\n"
        "Avenant\n"
        "{%p endif %}"
    )

    problems = lint_template(template, "contract_avenant")

    assert "Variable inconnue : secret" in problems
    assert any(p.startswith("Variable inconnue : contract.statut_public") for p in problems), problems
    assert len(problems) == 2


def test_an_unknown_figure_of_the_law_in_a_condition_is_refused():
    template = docx_with("{%p if law.smic_monthly == 1 %}\nSMIC\n{%p endif %}")

    problems = lint_template(template, "convention")

    assert [p for p in problems if p.startswith("Variable inconnue : law.smic_monthly")], problems


def test_an_unclosed_paragraph_condition_is_a_syntax_error():
    template = docx_with('{%p if contract.public_status == "titulaire" %}\nArrêté')

    problems = lint_template(template, "contract_avenant")

    assert any(p.startswith("Erreur de syntaxe Jinja") for p in problems), problems
