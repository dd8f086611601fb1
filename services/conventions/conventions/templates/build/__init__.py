"""Build the DOCX templates shipped with the service: the convention, its avenant, the contract avenant, the
final statement and the recovery order, each in one edition per period of the law
(conventions.domain.documents.EDITIONS).

Run from the repository: `.venv/bin/python -m conventions.templates.build`. It writes
`conventions/templates/<template>/<edition>.docx`. The output is reproducible (same code, same bytes), so a
change of wording shows as a change of these modules.

The templates use docxtpl's Jinja tags only (`{{ … }}`, `{%tr for %}` for table rows, `{%p if %}` for a
paragraph that only some cases carry); each tag is written in a single run, so that docxtpl sees it whole.
Every value is a French string prepared by `conventions.adapters.document_context`: a template never
formats an amount or a date, and never writes a number of the law (a delay, a rate, an amount): those are
placeholders filled from the dated parameters at render time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conventions.domain.documents import EDITIONS, Edition, TemplateName
from conventions.templates.build.contract_avenant import build_contract_avenant
from conventions.templates.build.convention import build_convention
from conventions.templates.build.convention_avenant import build_convention_avenant
from conventions.templates.build.final_statement import build_final_statement
from conventions.templates.build.recovery_order import build_recovery_order

TEMPLATES_DIR = Path(__file__).resolve().parents[1]

BUILDERS: dict[str, Callable[[Edition], bytes]] = {
    TemplateName.CONVENTION: build_convention,
    TemplateName.CONVENTION_AVENANT: build_convention_avenant,
    TemplateName.CONTRACT_AVENANT: build_contract_avenant,
    TemplateName.FINAL_STATEMENT: build_final_statement,
    TemplateName.RECOVERY_ORDER: build_recovery_order,
}


def shipped_path(template_name: str, edition_code: str) -> Path:
    """Where the built template of an edition is kept in the package."""
    return TEMPLATES_DIR / template_name / f"{edition_code}.docx"


def build(template_name: str, edition: Edition) -> bytes:
    return BUILDERS[template_name](edition)


def main() -> None:
    from cnum_shared.core import legal
    from cnum_shared.core.parameters import parameters

    editions = [
        Edition(code, effective_from) for effective_from, code in legal.template_editions(tree=parameters())
    ]
    if [edition.code for edition in editions] != list(EDITIONS):
        raise SystemExit(
            "shared/parameters/documents.yaml and conventions.domain.documents.EDITIONS disagree"
        )
    for name in BUILDERS:
        for edition in editions:
            path = shipped_path(name, edition.code)
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(build(name, edition))
            print(f"{path} écrit")
