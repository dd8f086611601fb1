"""The pages of a host structure's own officers: its details, conventions, tranches and obligations, and
the files it sends (evidence for an obligation, the countersigned convention).

Every call carries the structure's own token: the services scope what it sees to its own structure."""

from __future__ import annotations

import uuid
from typing import Any

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from cnum_shared.framework.auth import Role
from web.adapters.services import ServiceError
from web.views.common import flash_field_error, flash_refusal, roles, services, stream_file
from web.views.compliance import flash_file_refusal, said_once

blp = Blueprint("structure", __name__)

PENDING = ("open", "due_soon", "overdue")

#: The conventions service's structure types, as a structure names itself.
STRUCTURE_TYPES = {
    "commune": "commune",
    "epci": "établissement public de coopération intercommunale (EPCI)",
    "departement": "département",
    "region": "région",
    "collectivite_statut_particulier": "collectivité à statut particulier",
    "groupement_collectivites": "groupement de collectivités (syndicat mixte, PETR…)",
    "ccas": "centre communal d'action sociale (CCAS)",
    "cias": "centre intercommunal d'action sociale (CIAS)",
    "oph": "office public de l'habitat (OPH)",
    "gip": "groupement d'intérêt public (GIP)",
    "etablissement_public": "établissement public",
    "chambre_consulaire": "chambre consulaire",
    "epa": "établissement public administratif (EPA)",
    "epic": "établissement public industriel et commercial (EPIC)",
    "association": "association",
    "entreprise_ess": "entreprise de l'économie sociale et solidaire",
    "esh": "entreprise sociale pour l'habitat (ESH)",
    "fondation": "fondation",
    "autre_prive": "autre structure privée",
}


@blp.get("/ma-structure")
@roles(Role.STRUCTURE)
def home() -> Any:
    structure_id = session["structure_id"]
    structure = services().get("conventions", f"/structures/{structure_id}")
    conventions = services().page("conventions", "/conventions", page_size=100).items
    schedules = {
        convention["id"]: _optional("payments", f"/schedules/{convention['id']}")
        for convention in conventions
    }
    signed_copies = {
        convention["id"]: services().get("conventions", f"/conventions/{convention['id']}/signed-copies")
        for convention in conventions
    }
    obligations = services().page(
        "compliance", "/obligations", page=request.args.get("page", 1, type=int), page_size=50
    )
    # The orders to repay a recovery, each with its PDF (the e-mail of an order links to it too).
    recovery_orders = services().page("conventions", "/recovery-orders", page_size=100).items
    return render_template(
        "structure/home.html",
        structure=structure,
        conventions=conventions,
        schedules=schedules,
        signed_copies=signed_copies,
        obligations=obligations,
        evidence={
            item["id"]: services().get("compliance", f"/obligations/{item['id']}/evidence")
            for item in obligations.items
            if item["status"] in PENDING
        },
        standing=_optional("compliance", f"/structures/{structure_id}/standing"),
        pending=PENDING,
        structure_types=STRUCTURE_TYPES,
        recovery_orders=recovery_orders,
        known={item["id"]: item for item in obligations.items},
    )


@blp.get("/ma-structure/conventions/<uuid:convention_id>/convention.pdf")
@roles(Role.STRUCTURE)
def convention_document(convention_id: uuid.UUID) -> Any:
    return stream_file(
        services().download("conventions", f"/conventions/{convention_id}/document", format="pdf"),
        f"convention-{convention_id}.pdf",
        "application/pdf",
    )


@blp.get("/ma-structure/conventions/<uuid:convention_id>/exemplaires-signes/<uuid:copy_id>.pdf")
@roles(Role.STRUCTURE)
def signed_copy(convention_id: uuid.UUID, copy_id: uuid.UUID) -> Any:
    """A countersigned copy the structure sent, read back as it was kept."""
    return stream_file(
        services().download("conventions", f"/conventions/{convention_id}/signed-copies/{copy_id}"),
        f"convention-signee-{copy_id}.pdf",
        "application/pdf",
    )


@blp.post("/ma-structure/obligations/<uuid:obligation_id>/justificatif")
@roles(Role.STRUCTURE)
def upload_evidence(obligation_id: uuid.UUID) -> Any:
    # Back where the proof was sent from: the obligation's own page (its one file field), or its line on
    # the home page (the field of that obligation).
    if request.form.get("back") == "obligation":
        target, field = url_for(".obligation", obligation_id=obligation_id), "file"
    else:
        target, field = url_for(".home", _anchor=f"obligation-{obligation_id}"), f"file-{obligation_id}"
    return _upload(
        "compliance",
        f"/obligations/{obligation_id}/evidence",
        "Justificatif refusé :",
        "Justificatif reçu : le service conformité l'examinera avant d'accepter l'obligation comme remplie",
        target,
        field,
    )


@blp.post("/ma-structure/conventions/<uuid:convention_id>/exemplaire-signe")
@roles(Role.STRUCTURE)
def upload_signed_copy(convention_id: uuid.UUID) -> Any:
    return _upload(
        "conventions",
        f"/conventions/{convention_id}/signed-copy",
        "Convention signée refusée :",
        "Exemplaire contresigné de la convention reçu et conservé",
        url_for(".home", _anchor=f"convention-{convention_id}"),
        f"signed-{convention_id}",
    )


#: The refusals that are about the file itself (its type, its content, its size), said under its field;
#: the others (a convention not signed yet, an obligation already fulfilled) only at the top of the page.
FILE_REFUSALS = (400, 413, 415, 422)


def _upload(service: str, path: str, refused: str, done: str, target: str, field: str) -> Any:
    """Send the form's file to the service; `field` is the id of the file field it came from."""
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        flash_field_error(field, "Choisissez un fichier à envoyer.", intro=refused)
        return redirect(target)
    try:
        answer = services().post(
            service,
            path,
            files={"file": (sent.filename, sent.stream, sent.mimetype or "application/octet-stream")},
        )
    except ServiceError as error:
        if error.status == 401:
            raise
        if error.status in FILE_REFUSALS:
            flash_file_refusal(error, refused, field)
        else:
            flash_refusal(said_once(error), refused)
        return redirect(target)
    flash(f"{done}{_receipt(answer)}.", "success")
    return redirect(target)


def _receipt(answer: Any) -> str:
    """What the service kept of the file, for the officer to note down."""
    if not isinstance(answer, dict):
        return ""
    parts = [f"version n° {answer['revision']}"] if "revision" in answer else []
    if "pages" in answer:
        parts.append(f"{answer['pages']} page{'s' if answer['pages'] != 1 else ''}")
    if answer.get("sha256"):
        parts.append(f"empreinte SHA-256 {str(answer['sha256'])[:16]}…")
    return f" ({', '.join(parts)})" if parts else ""


def _optional(service: str, path: str) -> Any:
    """What a service answers, or None when it does not know the thing yet (404: unsigned, no obligation)."""
    try:
        return services().get(service, path)
    except ServiceError as error:
        if error.status == 404:
            return None
        raise


@blp.get("/ma-structure/obligations/<uuid:obligation_id>")
@roles(Role.STRUCTURE)
def obligation(obligation_id: uuid.UUID) -> Any:
    """One obligation of the structure, where it acts on it: what is owed and by when, what it sent, and
    the form to send a proof. The alert e-mails link here (decision 0044); another structure's is a 404."""
    api = services()
    found = api.get("compliance", f"/obligations/{obligation_id}")
    return render_template(
        "structure/obligation.html",
        obligation=found,
        evidence=api.get("compliance", f"/obligations/{obligation_id}/evidence"),
        history=api.get("compliance", f"/obligations/{obligation_id}/history"),
        convention=_optional("conventions", f"/conventions/{found['convention_id']}"),
        pending=PENDING,
    )


@blp.get("/ma-structure/ordres-de-reversement/<uuid:recovery_id>.pdf")
@roles(Role.STRUCTURE)
def recovery_order_document(recovery_id: uuid.UUID) -> Any:
    """The order to repay a recovery (ordre de reversement), as the conventions service drew it up; the
    e-mail of the order links here."""
    return _document(
        f"/recovery-orders/{recovery_id}/document",
        f"ordre-de-reversement-{recovery_id}.pdf",
        "L'ordre de reversement n'est pas encore disponible : réessayez dans quelques minutes.",
    )


@blp.get("/ma-structure/conventions/<uuid:convention_id>/decompte-final.pdf")
@roles(Role.STRUCTURE)
def final_statement_document(convention_id: uuid.UUID) -> Any:
    """The final statement (décompte final) of a closed convention of the structure."""
    return _document(
        f"/conventions/{convention_id}/final-statement/document",
        f"decompte-final-{convention_id}.pdf",
        "Le décompte final de cette convention n'est pas encore établi : il le sera après sa clôture.",
    )


def _document(path: str, file_name: str, not_yet: str) -> Any:
    """A PDF of the structure's own; one not drawn up yet (or not its own: the same 404) is said so on
    its home page rather than as a bare error."""
    try:
        answer = services().download("conventions", path, format="pdf")
    except ServiceError as error:
        if error.status != 404:
            raise
        flash(not_yet, "warning")
        return redirect(url_for(".home"))
    return stream_file(answer, file_name, "application/pdf")
