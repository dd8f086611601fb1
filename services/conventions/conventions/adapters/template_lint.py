"""The linter of an uploaded template: Jinja syntax, variables the document's data does not provide (with
the closest one it does), what would turn autoescape off, then a trial rendering on sample data whose
result must pass the package checks. Problems are listed in French for the legal officer."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from typing import Any

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from jinja2 import TemplateSyntaxError, meta, nodes

from cnum_shared.core.parameters import ParameterNode, parameters
from conventions.adapters.document_context import SAMPLE_DATA, declared_variables, template_context
from conventions.adapters.documents import TemplateRenderError, analysis_environment, render_docx
from conventions.adapters.docx_package import TemplateNotDocx, check_package, open_template

#: Methods a template may call on a dict or a list of the context ("tranches|length" needs none).
_CONTAINER_METHODS = frozenset({"items", "keys", "values", "get", "index", "count"})
#: The core properties docxtpl renders as templates too.
_RENDERED_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")


def lint_template(
    template_bytes: bytes, template_name: str, *, legal_tree: ParameterNode | None = None
) -> list[str]:
    """What is wrong with an uploaded template, in French (empty when it can be used).

    TemplateNotDocx when the bytes are not an acceptable DOCX at all. Otherwise lists Jinja syntax
    errors, variables the context schema does not provide (`structure.nom`, `secret`), what would turn
    autoescape off, and, when nothing else is wrong, what a trial rendering with sample data reports.
    """
    declared = declared_variables(template_name)
    template = open_template(template_bytes)
    environment = analysis_environment()
    problems: list[str] = []
    trees: list[nodes.Template] = []
    for label, source in _template_sources(template):
        try:
            tree = environment.parse(source)
            environment.compile(tree)  # unknown filters and tests are found when compiling
        except TemplateSyntaxError as error:
            problems.append(
                f"Erreur de syntaxe Jinja ({label}, près de « {_near(source, error.lineno)} ») : "
                f"{error.message}"
            )
            continue
        trees.append(tree)
    if problems:
        return problems
    # docxtpl's own analysis of the body, headers and footers names the top-level variables.
    roots = set(template.get_undeclared_template_variables(jinja_env=environment)) - set(environment.globals)
    unknown = {root: root for root in roots if root not in declared}
    for tree in trees:
        unknown.update(_unknown_paths(tree, declared, environment))
    problems.extend(_unknown_message(written, unknown[written], declared) for written in sorted(unknown))
    for tree in trees:
        problems.extend(_escaping_problems(tree))
    if problems:
        return list(dict.fromkeys(problems))
    try:
        context = template_context(
            template_name,
            SAMPLE_DATA[template_name],
            tree=legal_tree if legal_tree is not None else parameters(),
        )
        trial = render_docx(template_bytes, context)
    except TemplateRenderError as error:
        problems.append(f"Le rendu d'essai avec des données d'exemple échoue : {error}")
        return problems
    try:
        check_package(trial)
    except TemplateNotDocx as error:
        problems.append(f"Le document rendu à l'essai est refusé : {error}")
    return problems


def _template_sources(template: Any) -> Iterator[tuple[str, str]]:
    """Every text docxtpl renders, prepared as docxtpl prepares it, with a French label."""
    document = template.docx
    yield "corps du document", _as_rendered(template, template.get_xml())
    for rel in document.part.rels.values():
        if rel.is_external:
            continue
        if rel.reltype == RT.HEADER:
            yield "en-tête", _as_rendered(template, rel.target_part.blob.decode("utf-8"))
        elif rel.reltype == RT.FOOTER:
            yield "pied de page", _as_rendered(template, rel.target_part.blob.decode("utf-8"))
        elif rel.reltype == RT.FOOTNOTES:
            yield "notes de bas de page", _as_rendered(template, rel.target_part.blob.decode("utf-8"))
    properties = document.core_properties
    for name in _RENDERED_PROPERTIES:
        text = getattr(properties, name) or ""
        if text:
            yield f"propriété « {name} » du document", text


def _as_rendered(template: Any, xml: str) -> str:
    # docxtpl puts each paragraph on its own line before rendering: line numbers then point at paragraphs.
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", template.patch_xml(xml))


def _near(source: str, line_number: int | None) -> str:
    lines = source.splitlines()
    if not line_number or line_number > len(lines):
        return "?"
    text = re.sub(r"<[^>]+>", "", lines[line_number - 1]).strip()
    return text if len(text) <= 80 else text[:77] + "…"


def _unknown_message(written: str, resolved: str, declared: set[str]) -> str:
    """The problem, with the closest sibling the context does provide, written as the template would."""
    parent, _, key = resolved.rpartition(".")
    # Whole dotted names compare better than short keys ("structure.nom" is close to "structure.name").
    siblings = sorted(name for name in declared if name.rpartition(".")[0] == parent)
    close = difflib.get_close_matches(resolved, siblings, n=1)
    if not close:
        return f"Variable inconnue : {written}"
    # `written` ends with the unknown key; what precedes it is how the template reaches the parent.
    suggestion = written[: len(written) - len(key)] + close[0].rpartition(".")[2]
    return f"Variable inconnue : {written} (vouliez-vous dire {suggestion} ?)"


def _unknown_paths(tree: nodes.Template, declared: set[str], environment: Any) -> dict[str, str]:
    """The dotted names a template reads that the context does not provide, as the template writes them
    (mapped to the declared name they stand for: `t.montant` in a loop over tranches is "tranches.montant").

    `{% for t in tranches %}{{ t.amount }}` reads "tranches.amount". An attribute of a value the context
    gives as a string (`structure.name.upper()`) is not a variable and is left alone.
    """
    globals_ = meta.find_undeclared_variables(tree) - set(environment.globals)
    parents = {name.rsplit(".", 1)[0] for name in declared if "." in name}
    unknown: dict[str, str] = {}

    def check(chain: nodes.Expr, scope: Mapping[str, str | None]) -> None:
        steps: list[nodes.Getattr | nodes.Getitem] = []
        base: nodes.Expr = chain
        while isinstance(base, nodes.Getattr | nodes.Getitem):
            steps.append(base)
            base = base.node
        if not isinstance(base, nodes.Name) or base.ctx != "load":
            return
        if base.name in scope:
            resolved = scope[base.name]
            if resolved is None:
                return
        elif base.name in globals_:
            resolved = base.name
            if resolved not in declared:
                unknown[base.name] = base.name
                return
        else:
            return  # a name the template sets itself
        written = base.name
        for step in reversed(steps):
            if isinstance(step, nodes.Getattr):
                key = step.attr
            elif isinstance(step.arg, nodes.Const) and isinstance(step.arg.value, str):
                key = step.arg.value
            elif isinstance(step.arg, nodes.Const) and isinstance(step.arg.value, int):
                written += f"[{step.arg.value}]"
                continue  # an item of a list: its fields are named after the list
            else:
                return  # a computed key: nothing to check statically
            if resolved not in parents:
                return  # an attribute of a string value (a method such as upper)
            candidate = f"{resolved}.{key}"
            written += f".{key}"
            if candidate not in declared:
                if key not in _CONTAINER_METHODS:
                    unknown[written] = candidate
                return
            resolved = candidate

    def visit(node: nodes.Node, scope: Mapping[str, str | None]) -> None:
        if isinstance(node, nodes.For):
            visit(node.iter, scope)
            inner = dict(scope)
            if isinstance(node.target, nodes.Name):
                inner[node.target.name] = _resolved(node.iter, scope, globals_, declared)
            else:  # `for a, b in …`: unpacked values are not checked
                inner.update((target.name, None) for target in node.target.find_all(nodes.Name))
            for child in node.body:
                visit(child, inner)
            if node.test is not None:
                visit(node.test, inner)
            for child in node.else_:
                visit(child, scope)
            return
        if isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Name):
            check(node, scope)
            base: nodes.Node = node
            while isinstance(base, nodes.Getattr | nodes.Getitem):
                if isinstance(base, nodes.Getitem):
                    visit(base.arg, scope)
                base = base.node
            if not isinstance(base, nodes.Name):
                visit(base, scope)
            return
        for child in node.iter_child_nodes():
            visit(child, scope)

    visit(tree, {})
    return unknown


def _resolved(
    expression: nodes.Node, scope: Mapping[str, str | None], globals_: set[str], declared: set[str]
) -> str | None:
    """The declared dotted name an expression such as `tranches` or `data.items` reads, if it is one."""
    keys: list[str] = []
    node = expression
    while isinstance(node, nodes.Getattr):
        keys.append(node.attr)
        node = node.node
    if not isinstance(node, nodes.Name):
        return None
    if node.name in scope:
        root = scope[node.name]
    elif node.name in globals_:
        root = node.name
    else:
        return None
    if root is None:
        return None
    path = ".".join([root, *reversed(keys)])
    return path if path in declared else None


def _escaping_problems(tree: nodes.Template) -> Iterator[str]:
    for node in tree.find_all(nodes.Filter):
        if node.name == "safe":
            yield "Le filtre « safe » est interdit : il désactive l'échappement du texte saisi."
    for modifier in tree.find_all(nodes.EvalContextModifier):
        if any(keyword.key == "autoescape" for keyword in modifier.options):
            yield "Le bloc « autoescape » est interdit : l'échappement du texte saisi doit rester actif."
