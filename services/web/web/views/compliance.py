"""Pages of the compliance officers: the structures' obligations, the decisions on them, the alerts sent."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from cnum_shared.core.money import month_name_fr
from cnum_shared.framework.auth import Role
from web.adapters.services import Page, ServiceError
from web.views.common import (
    FIELD_CATEGORY,
    describe_errors,
    flash_field_error,
    flash_refusal,
    roles,
    services,
    signed_in_role,
    today,
)
from web.views.filters import label
from web.views.names import convention_names, name_filter, structure_names

blp = Blueprint("compliance", __name__)

READERS = (Role.COMPLIANCE, Role.ADMIN, Role.AUDITOR)

#: What a structure owes, in the words of the programme (compliance.domain.obligations.ObligationKind).
KIND_LABELS: dict[str, str] = {
    "candidate_presentation": "Présentation d'un candidat sur un poste attribué",
    "candidate_selection": "Sélection d'un candidat",
    "contract_signature": "Signature du contrat de travail",
    "training_entry": "Entrée en formation initiale",
    "certification_exams": "Passage de Pix et du CCP1",
    "thematic_modules": "Suivi de deux modules thématiques",
    "continuing_training": "Module annuel de formation continue",
    "equipment": "Équipement du conseiller",
    "activity_reporting": "Comptes rendus d'activité",
    "post_refill": "Recrutement sur le poste vacant ou restitution",
    "final_report": "Bilan d'emploi de la subvention",
}

#: The steps an alert digest tells about (compliance.service_layer.alerts).
STEP_LABELS: dict[str, str] = {
    "due_soon": "échéance proche",
    "overdue": "en retard",
    "escalation": "relance avec copie au service conformité",
    "reminder_1": "1re relance (1 mois sans compte rendu)",
    "reminder_2": "2e relance (1 mois et demi sans compte rendu)",
}

STATUSES = ("overdue", "due_soon", "open", "fulfilled", "waived")

#: The start of every refused decision's message, and what a decision without its reason is told.
REFUSED = "Action refusée :"
REASON_REQUIRED = "Le motif est obligatoire, il est conservé dans l'historique."


@blp.app_template_filter("obligation_kind")
def obligation_kind(value: Any, period: Any = None) -> str:
    """An obligation (or its kind) in plain French; a monthly report says which month it is for."""
    if isinstance(value, dict):
        kind, period = value.get("kind"), value.get("period")
    else:
        kind = value
    text = KIND_LABELS.get(str(kind), label(kind))
    if kind == "activity_reporting" and period:
        try:
            month = date.fromisoformat(str(period))
            name = month_name_fr(month)
            article = "d'" if name[0] in "aeioué" else "de "
            text += f" {article}{name} {month.year}"
        except ValueError:
            text += f" ({period})"
    elif kind == "continuing_training" and period:
        text += f" {str(period)[:4]}"  # the calendar year it is about
    return text


@blp.app_template_filter("alert_step")
def alert_step(step: Any) -> str:
    return STEP_LABELS.get(str(step), label(step))


@blp.get("/obligations")
@roles(*READERS)
def obligations() -> Any:
    """The obligations, overdue first; of one structure, found by its name or SIRET (decision 0044)."""
    filters = {"status": request.args.get("status", ""), "kind": request.args.get("kind", "")}
    lookup = name_filter(request.args, field_name="structure", conventions=False)
    page = Page(items=[], total=0, page=1, last_page=1)
    if not lookup.unresolved:
        try:
            page = services().page(
                "compliance",
                "/obligations",
                page=request.args.get("page", 1, type=int),
                structure_id=lookup.structure_id,
                **filters,
            )
        except ServiceError as error:
            if error.status != 422:
                raise
            flash_refusal(error, "Filtre refusé :")
        _name_structures(page.items)
    return render_template(
        "compliance/obligations.html",
        page=page,
        filters=filters,
        lookup=lookup,
        statuses=STATUSES,
        kinds=KIND_LABELS,
    )


def _name_structures(rows: list[dict[str, Any]]) -> None:
    """Compliance names the structures it has heard of; the others are named by the directory, in one
    call for the whole page."""
    unnamed = [row["structure_id"] for row in rows if not row.get("structure_name")]
    if not unnamed:
        return
    known = structure_names(unnamed)
    for row in rows:
        if not row.get("structure_name") and str(row["structure_id"]) in known:
            row["structure_name"] = known[str(row["structure_id"])]["name"]


@blp.get("/obligations/<uuid:obligation_id>")
@roles(*READERS)
def obligation(obligation_id: uuid.UUID) -> Any:
    found = services().get("compliance", f"/obligations/{obligation_id}")
    _name_structures([found])
    return render_template(
        "compliance/obligation.html",
        obligation=found,
        convention=convention_names([found["convention_id"]]).get(str(found["convention_id"])),
        history=services().get("compliance", f"/obligations/{obligation_id}/history"),
        evidence=services().get("compliance", f"/obligations/{obligation_id}/evidence"),
        can_decide=signed_in_role() is Role.COMPLIANCE and found["status"] in ("open", "due_soon", "overdue"),
        today=today().isoformat(),
    )


@blp.post("/obligations/<uuid:obligation_id>/lever")
@roles(Role.COMPLIANCE)
def waive(obligation_id: uuid.UUID) -> Any:
    return _decide(obligation_id, "waive", "L'obligation est levée.")


@blp.post("/obligations/<uuid:obligation_id>/remplir")
@roles(Role.COMPLIANCE)
def fulfil(obligation_id: uuid.UUID) -> Any:
    return _decide(obligation_id, "fulfil", "L'obligation est acceptée comme remplie.")


@blp.post("/obligations/<uuid:obligation_id>/prolonger")
@roles(Role.COMPLIANCE)
def extend(obligation_id: uuid.UUID) -> Any:
    due_on = request.form.get("due_on", "").strip()
    try:
        date.fromisoformat(due_on)
    except ValueError:
        flash_field_error(
            "extend-date", "Indiquez la nouvelle date d'échéance (jour, mois, année).", intro=REFUSED
        )
        if not request.form.get("reason", "").strip():
            flash_field_error("extend-reason", REASON_REQUIRED, intro=REFUSED)
        return redirect(url_for(".obligation", obligation_id=obligation_id))
    return _decide(obligation_id, "extend", "La nouvelle échéance est enregistrée.", due_on=due_on)


def said_once(error: ServiceError) -> ServiceError:
    """A refusal whose `errors` only repeat its message ("file: …", then "files › file : file: …"), said
    once in plain words; a refusal whose details say more is kept whole."""
    reasons: list[str] = []
    for location in error.errors.values():
        for field_name, messages in location.items() if isinstance(location, dict) else []:
            for message in messages if isinstance(messages, list) else [messages]:
                reasons.append(str(message).removeprefix(f"{field_name}: "))
    if not reasons or any(reason not in error.message for reason in reasons):
        return error
    return ServiceError(error.status, " ".join(dict.fromkeys(reasons)), {})


def flash_refusal_once(error: ServiceError, intro: str, fields: dict[str, str]) -> None:
    """A service's refusal said once (said_once), each detail about one of `fields` (the service's field
    name -> the form field's id) also under that field, even when said_once left it out of the alert."""
    plain = said_once(error)
    flash_refusal(plain, intro)
    sent = error.errors.get("json", error.errors) if isinstance(error.errors, dict) else {}
    for service_field, form_field in fields.items():
        messages = sent.get(service_field) if isinstance(sent, dict) else None
        if messages:
            text = "; ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
            flash(text, FIELD_CATEGORY + form_field)


def flash_file_refusal(error: ServiceError, intro: str, field: str) -> None:
    """A refused file (not a PDF, PNG or JPEG, too large…), said once, in the alert and under its field
    (`field` is the file field's id: a page has one per obligation or convention)."""
    plain = said_once(error)
    flash_field_error(field, plain.message, intro=intro)
    for detail in describe_errors(plain.errors):
        flash(detail, "error-detail")


def _decide(obligation_id: uuid.UUID, action: str, done: str, **extra: str) -> Any:
    """A decision on an obligation, sent from its page's form for `action` (fulfil, extend, waive), whose
    fields' ids start with the action: a refusal about one of them is said under it."""
    reason = request.form.get("reason", "").strip()
    target = url_for(".obligation", obligation_id=obligation_id)
    if not reason:
        flash_field_error(f"{action}-reason", REASON_REQUIRED, intro=REFUSED)
        return redirect(target)
    try:
        services().post("compliance", f"/obligations/{obligation_id}/{action}", {"reason": reason, **extra})
    except ServiceError as error:
        if error.status == 401:
            raise
        flash_refusal_once(error, REFUSED, {"reason": f"{action}-reason", "due_on": "extend-date"})
        return redirect(target)
    flash(done, "success")
    return redirect(target)


@blp.get("/alertes")
@roles(*READERS)
def alerts() -> Any:
    page = services().page("compliance", "/alerts", page=request.args.get("page", 1, type=int))
    _name_structures(page.items)
    structures = list(dict.fromkeys(str(alert["structure_id"]) for alert in page.items))
    for alert in page.items:
        # One line per obligation: an overdue one is often told twice the same day (overdue, escalation).
        steps: dict[str, list[str]] = {}
        for item in alert.get("items", []):
            steps.setdefault(str(item["obligation_id"]), []).append(str(item["step"]))
        alert["told"] = steps
    return render_template(
        "compliance/alerts.html",
        page=page,
        obligations=_obligations_of(structures),
    )


def _obligations_of(structure_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The obligations the alerts name, by id: one list call per structure on the page (not one per item)."""
    found: dict[str, dict[str, Any]] = {}
    for structure_id in structure_ids:
        number, last = 1, 1
        while number <= last and number <= 10:
            page = services().page(
                "compliance", "/obligations", structure_id=structure_id, page=number, page_size=100
            )
            found.update({str(item["id"]): item for item in page.items})
            number, last = number + 1, page.last_page
    return found
