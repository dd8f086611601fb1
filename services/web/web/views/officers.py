"""The officers' directory, kept by administrators (decision 0042): list, add, change, deactivate. The
directory lives in the conventions service; these pages call its API with the administrator's token."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from cnum_shared.framework.auth import Role
from web.accounts import ROLE_LABELS
from web.adapters.services import ServiceError
from web.views.common import flash_field_error, flash_refusal, roles, services

blp = Blueprint("officers", __name__)

#: The roles an officer of the directory may hold, as the form offers them.
OFFICER_ROLES = [
    (role.value, ROLE_LABELS[role])
    for role in (Role.LEGAL, Role.FINANCE, Role.COMPLIANCE, Role.AUDITOR, Role.ADMIN)
]


#: The form's fields, by the name the directory's API gives them: a refusal about one is said under it.
FIELDS = {"email": "email", "name": "name", "role": "role"}


def _fields() -> dict[str, str]:
    return {key: request.form.get(key, "").strip() for key in FIELDS}


def _refuse(error: ServiceError, intro: str) -> None:
    """Why the directory refused the form: a 409 is an address already in it (whatever its case), said
    under the address; a 422 names the fields it refuses, each said under its field too."""
    if error.status == 409:
        flash_field_error("email", error.message, intro=intro)
    else:
        flash_refusal(error, intro, fields=FIELDS)


@blp.get("/agents")
@roles(Role.ADMIN)
def officers() -> Any:
    filters = {key: request.args.get(key, "") for key in ("q", "active")}
    if filters["active"] not in ("", "true", "false"):
        filters["active"] = ""
    page = services().page(
        "conventions", "/officers", page=request.args.get("page", 1, type=int), page_size=20, **filters
    )
    labels = dict(OFFICER_ROLES)
    return render_template("officers/officers.html", page=page, filters=filters, role_labels=labels)


@blp.route("/agents/nouveau", methods=["GET", "POST"])
@roles(Role.ADMIN)
def new_officer() -> Any:
    if request.method == "POST":
        fields = _fields()
        try:
            created = services().post("conventions", "/officers", {**fields, "active": True})
        except ServiceError as error:
            if error.status not in (409, 422):
                raise
            _refuse(error, "Agent non ajouté :")
            return render_template(
                "officers/officer_form.html", officer=None, form=fields, roles=OFFICER_ROLES
            ), error.status
        flash(f"{created['name']} est ajouté à l'annuaire : il peut se connecter.", "success")
        return redirect(url_for("officers.officers"))
    return render_template(
        "officers/officer_form.html", officer=None, form={"role": "legal"}, roles=OFFICER_ROLES
    )


@blp.route("/agents/<uuid:officer_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def officer(officer_id: uuid.UUID) -> Any:
    found = services().get("conventions", f"/officers/{officer_id}")
    if request.method == "POST":
        fields = _fields()
        try:
            services().patch("conventions", f"/officers/{officer_id}", fields)
        except ServiceError as error:
            if error.status not in (409, 422):
                raise
            _refuse(error, "Modification refusée :")
            return render_template(
                "officers/officer_form.html", officer=found, form=fields, roles=OFFICER_ROLES
            ), error.status
        flash("Les changements sont enregistrés.", "success")
        return redirect(url_for("officers.officer", officer_id=officer_id))
    return render_template("officers/officer_form.html", officer=found, form=found, roles=OFFICER_ROLES)


@blp.post("/agents/<uuid:officer_id>/activation")
@roles(Role.ADMIN)
def activation(officer_id: uuid.UUID) -> Any:
    active = request.form.get("active") == "true"
    changed = services().patch("conventions", f"/officers/{officer_id}", {"active": active})
    if active:
        flash(f"Le compte de {changed['name']} est réactivé.", "success")
    else:
        # The sessions already open end too: every token of the account is revoked at every service.
        services().post(
            "conventions",
            "/revocations",
            {"sub": str(officer_id), "reason": "compte désactivé dans l'annuaire des agents"},
        )
        flash(f"Le compte de {changed['name']} est désactivé : il ne peut plus se connecter.", "success")
    return redirect(url_for("officers.officer", officer_id=officer_id))
