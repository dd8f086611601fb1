"""Pages of the legal officers: structures, conventions (create, sign, documents, downloads log) and
document batches with their progress. Auditors and administrators read them too."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from cnum_shared.framework.auth import Role
from web.adapters.services import ServiceError
from web.views.common import (
    flash_field_error,
    flash_refusal,
    parse_date,
    roles,
    services,
    stream_file,
    territory_filter,
    today,
)
from web.views.filters import french_date

blp = Blueprint("legal", __name__)

READERS = (Role.LEGAL, Role.ADMIN, Role.AUDITOR)
WRITERS = (Role.LEGAL, Role.ADMIN)

#: The type of each file the legal pages pass on, should the service not say it.
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "zip": "application/zip",
}

DEPARTMENT_CHOICES = (
    "", "15", "94", "971", "972", "973", "974", "975", "976", "977", "978", "986", "987", "988",
)  # fmt: skip


@blp.get("/conventions")
@roles(*READERS)
def conventions() -> Any:
    filters = {key: request.args.get(key, "") for key in ("q", "status", "wave")}
    # What a dashboard's figure leads to: the conventions in force on a day, or ending in a month, in a
    # territory (decision 0043). Kept through the filter form as hidden fields.
    territory = territory_filter(request.args)
    period = {key: request.args.get(key, "") for key in PERIOD_FILTERS if parse_date(request.args.get(key))}
    if request.args.get("running") == "true":
        period["running"] = "true"
    page = services().page(
        "conventions",
        "/conventions",
        page=request.args.get("page", 1, type=int),
        page_size=20,
        **filters,
        **territory.query,
        **period,
    )
    return render_template(
        "legal/conventions.html", page=page, filters=filters, territory=territory, period=period
    )


#: The dates a dashboard's link may put on the list: in force that day, ending from, to.
PERIOD_FILTERS = ("active_on", "ends_from", "ends_to")

#: The fields of a new convention, as the conventions service names them and as its form does: what the
#: service says of one of them is shown under it.
CONVENTION_FIELDS = {
    name: name for name in ("structure_id", "wave", "posts", "start_date", "duration_months")
}

#: Its whole-number fields, and what is said under each when it holds something else.
WHOLE_NUMBERS = {
    "posts": "Le nombre de postes est un nombre entier.",
    "duration_months": "La durée est un nombre entier de mois.",
}


def _whole_number(value: str | None) -> int | None:
    try:
        return int(value or 0)
    except ValueError:
        return None


@blp.route("/conventions/nouvelle", methods=["GET", "POST"])
@roles(*WRITERS)
def convention_new() -> Any:
    form = request.form if request.method == "POST" else request.args
    if request.method == "POST":
        numbers = {name: _whole_number(form.get(name)) for name in WHOLE_NUMBERS}
        not_numbers = [name for name, number in numbers.items() if number is None]
        for name in not_numbers:
            flash_field_error(name, WHOLE_NUMBERS[name], intro="Convention refusée :")
        if not not_numbers:
            body = {
                "structure_id": form.get("structure_id", ""),
                "wave": form.get("wave", ""),
                "posts": numbers["posts"],
                "start_date": form.get("start_date", ""),
                "duration_months": numbers["duration_months"],
            }
            try:
                created = services().post("conventions", "/conventions", body)
            except ServiceError as error:
                flash_refusal(error, "Convention refusée :", CONVENTION_FIELDS)
            else:
                flash(
                    f"Convention {created['reference']} créée (brouillon) : vérifiez-la puis signez-la.",
                    "success",
                )
                return redirect(url_for("legal.convention", convention_id=created["id"]))
    structures = (
        services().page("conventions", "/structures", page_size=100, q=request.args.get("q", "")).items
    )
    return render_template("legal/convention_new.html", structures=structures, form=form, today=today())


@blp.get("/conventions/<uuid:convention_id>")
@roles(*READERS)
def convention(convention_id: uuid.UUID) -> Any:
    found = services().get("conventions", f"/conventions/{convention_id}")
    structure = services().get("conventions", f"/structures/{found['structure_id']}")
    amendments = services().get("conventions", f"/conventions/{convention_id}/amendments")
    contracts = services().page("conventions", f"/conventions/{convention_id}/contracts", page_size=100).items
    downloads = services().page("conventions", f"/conventions/{convention_id}/downloads", page_size=50).items
    signed_copies = services().get("conventions", f"/conventions/{convention_id}/signed-copies")
    return render_template(
        "legal/convention.html",
        convention=found,
        structure=structure,
        amendments=amendments,
        contracts=contracts,
        downloads=downloads,
        signed_copies=signed_copies,
        today=today(),
    )


@blp.post("/conventions/<uuid:convention_id>/signer")
@roles(*WRITERS)
def convention_sign(convention_id: uuid.UUID) -> Any:
    back = redirect(url_for("legal.convention", convention_id=convention_id))
    signed_on = parse_date(request.form.get("signed_on"))
    if signed_on is None:
        flash_field_error("signed_on", "La date de signature est obligatoire.", intro="Signature refusée :")
        return back
    try:
        signed = services().post(
            "conventions", f"/conventions/{convention_id}/sign", {"signed_on": signed_on.isoformat()}
        )
    except ServiceError as error:
        flash_refusal(error, "Signature refusée :", {"signed_on": "signed_on"})
    else:
        flash(
            f"Convention {signed['reference']} signée le {french_date(signed['signed_on'])} : "
            "la première tranche est due à cette date.",
            "success",
        )
    return back


@blp.post("/conventions/<uuid:convention_id>/avenants/<uuid:amendment_id>/signer")
@roles(*WRITERS)
def amendment_sign(convention_id: uuid.UUID, amendment_id: uuid.UUID) -> Any:
    try:
        services().post(
            "conventions",
            f"/conventions/{convention_id}/amendments/{amendment_id}/sign",
            {"signed_on": request.form.get("signed_on", "")},
        )
    except ServiceError as error:
        flash_refusal(error, "Signature de l'avenant refusée :")
    else:
        flash("Avenant signé : le nombre de postes et le montant de la convention sont modifiés.", "success")
    return redirect(url_for("legal.convention", convention_id=convention_id))


@blp.get("/conventions/<uuid:convention_id>/convention.<any(pdf, docx):file_format>")
@roles(*READERS)
def convention_document(convention_id: uuid.UUID, file_format: str) -> Any:
    return stream_file(
        services().download("conventions", f"/conventions/{convention_id}/document", format=file_format),
        f"convention-{convention_id}.{file_format}",
        MEDIA_TYPES[file_format],
    )


@blp.get("/conventions/<uuid:convention_id>/exemplaires-signes/<uuid:copy_id>.pdf")
@roles(*READERS)
def signed_copy(convention_id: uuid.UUID, copy_id: uuid.UUID) -> Any:
    """A countersigned copy, as the structure sent it (the service checks its hash and logs the download)."""
    return stream_file(
        services().download("conventions", f"/conventions/{convention_id}/signed-copies/{copy_id}"),
        f"convention-signee-{copy_id}.pdf",
        MEDIA_TYPES["pdf"],
    )


@blp.get("/conventions/<uuid:convention_id>/avenants/<uuid:amendment_id>.<any(pdf, docx):file_format>")
@roles(*READERS)
def amendment_document(convention_id: uuid.UUID, amendment_id: uuid.UUID, file_format: str) -> Any:
    return stream_file(
        services().download(
            "conventions",
            f"/conventions/{convention_id}/amendments/{amendment_id}/document",
            format=file_format,
        ),
        f"avenant-{amendment_id}.{file_format}",
        MEDIA_TYPES[file_format],
    )


@blp.get("/structures")
@roles(*READERS)
def structures() -> Any:
    filters = {key: request.args.get(key, "") for key in ("q", "department", "kind")}
    page = services().page(
        "conventions", "/structures", page=request.args.get("page", 1, type=int), page_size=20, **filters
    )
    return render_template(
        "legal/structures.html", page=page, filters=filters, departments=DEPARTMENT_CHOICES
    )


@blp.get("/structures/<uuid:structure_id>")
@roles(*READERS)
def structure(structure_id: uuid.UUID) -> Any:
    found = services().get("conventions", f"/structures/{structure_id}")
    its_conventions = (
        services().page("conventions", "/conventions", structure_id=str(structure_id), page_size=100).items
    )
    return render_template("legal/structure.html", structure=found, conventions=its_conventions)


@blp.route("/documents/lots", methods=["GET", "POST"])
@roles(*WRITERS)
def batches() -> Any:
    if request.method == "POST":
        try:
            batch = services().post(
                "conventions", "/document-batches", {"format": request.form.get("format", "pdf")}
            )
        except ServiceError as error:
            flash_refusal(error, "Édition refusée :", {"format": "format"})
        else:
            flash(f"Édition lancée : {_documents(batch['total'])} à produire.", "success")
            return redirect(url_for("legal.batch", batch_id=batch["id"]))
    return render_template("legal/batches.html")


@blp.get("/documents/lots/<uuid:batch_id>")
@roles(*WRITERS)
def batch(batch_id: uuid.UUID) -> Any:
    found = services().get("conventions", f"/document-batches/{batch_id}")
    return render_template("legal/batch.html", batch=found)


@blp.get("/documents/lots/<uuid:batch_id>/etat")
@roles(*WRITERS)
def batch_state(batch_id: uuid.UUID) -> Any:
    """What the progress bar polls: the batch as the service reports it."""
    return services().get("conventions", f"/document-batches/{batch_id}")


@blp.get("/documents/lots/<uuid:batch_id>/archive.zip")
@roles(*WRITERS)
def batch_archive(batch_id: uuid.UUID) -> Any:
    return stream_file(
        services().download("conventions", f"/document-batches/{batch_id}/archive"),
        f"documents-{batch_id}.zip",
        MEDIA_TYPES["zip"],
    )


def _documents(count: int) -> str:
    return f"{count} convention" if count == 1 else f"{count} conventions"
