"""Pages of the finance officers: tranches to approve and pay, and SEPA payment runs (ordres de virement).

Every figure comes from the payments service; the pages only draw it and send the officer's decisions.
When the service refuses an approval or a payment (409), its reason codes are put in plain French words
(REASONS) and shown on the page the officer comes back to.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
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
from web.adapters.services import Page, ServiceError
from web.views.common import (
    FIELD_CATEGORY,
    TerritoryFilter,
    flash_field_error,
    flash_refusal,
    new_idempotency_key,
    parse_date,
    roles,
    services,
    stream_file,
    territory_filter,
    today,
)
from web.views.filters import euros
from web.views.names import NameFilter, convention_names, name_filter, structure_names

blp = Blueprint("finance", __name__)

READERS = (Role.FINANCE, Role.ADMIN, Role.AUDITOR)

#: The payments service's refusal codes, in the words of a finance officer. The service's own message,
#: which carries the details (obligation and date, salary and SMIC figures, tranche numbers, hold
#: reason), is shown under each sentence.
REASONS: dict[str, str] = {
    # the gates checked when a tranche is approved or paid
    "not_due": "La tranche n'est pas encore échue : elle ne peut être approuvée qu'à partir de sa date "
    "d'échéance.",
    "out_of_order": "Une tranche précédente de la même convention n'est pas encore réglée : les tranches "
    "se paient dans l'ordre.",
    "on_hold": "Les paiements sont suspendus : aucune tranche ne peut être approuvée ni payée tant que la "
    "suspension n'est pas levée.",
    "standing_unknown": "Le service de conformité n'a pas encore transmis la situation de la structure : "
    "ses obligations ne peuvent pas être vérifiées, l'approbation doit attendre.",
    "overdue_obligation": "La structure est en retard sur une de ses obligations : la tranche est bloquée "
    "jusqu'à ce que l'obligation soit remplie ou levée.",
    "below_smic": "Un conseiller est rémunéré en dessous du SMIC : la tranche est bloquée jusqu'à la "
    "correction du salaire.",
    # the state of the tranche
    "already_paid": "La tranche est déjà payée : aucun second paiement n'a été enregistré.",
    "not_approved": "La tranche doit d'abord être approuvée avant d'être payée.",
    "invalid_transition": "Cette action n'est pas possible dans l'état actuel de la tranche.",
    "in_payment_run": "La tranche fait partie d'un ordre de virement en cours : elle sera payée par ce "
    "virement (ou annulez d'abord l'ordre).",
    "four_eyes": "Double contrôle : un autre agent que celui qui a approuvé (ou préparé) doit valider.",
    # payment runs
    "run_closed": "Cet ordre de virement est clos (annulé ou déjà traité) : l'action n'est plus possible.",
    "run_not_exported": "Le fichier SEPA doit d'abord être téléchargé et transmis à la banque avant de "
    "confirmer l'exécution.",
    "run_not_confirmed": "Les rejets bancaires ne se déclarent que sur un ordre de virement confirmé.",
    "in_progress": "La même demande est déjà en cours d'enregistrement : patientez un instant puis "
    "rechargez la page.",
}

#: Statuses offered in the tranche filter, in the order of a tranche's life.
TRANCHE_STATUSES = ("due", "blocked", "approved", "paid", "scheduled", "cancelled")

#: Statuses offered in the recovery filter, in the order of a recovery's life; the dashboard's « à
#: reverser » is the first two (payments' RECOVERABLE).
RECOVERY_STATUSES = ("provisional", "issued", "received", "offset", "cancelled")
RECOVERABLE = ["provisional", "issued"]
#: A recovery (un reversement) is masculine: its words where LABELS has a feminine one.
RECOVERY_LABELS: dict[str, str] = {"cancelled": "annulé"}

#: A payment run and its lines are masculine ("un ordre", "un virement"): their own words.
RUN_LABELS: dict[str, str] = {
    "draft": "en préparation",
    "exported": "fichier SEPA exporté",
    "confirmed": "exécuté par la banque",
    "cancelled": "annulé",
    "included": "à virer",
    "paid": "payé",
    "rejected": "rejeté par la banque",
}

_REASONS_KEY = "finance_reasons"
_MAX_REASONS = 30


# ---------------------------------------------------------------------------------------------- helpers


def _reasons_of(error: ServiceError) -> list[dict[str, Any]]:
    """The reasons a refusal lists (`errors.reasons` of the payments service), in plain words.

    One entry per code, in the service's order: its sentence, and the service's messages that add a
    detail to it (each overdue obligation with its date, each salary with the SMIC figure…).
    """
    listed = error.errors.get("reasons")
    if not isinstance(listed, list):
        return []
    grouped: dict[str, dict[str, Any]] = {}
    for item in listed:
        if not isinstance(item, dict):
            continue
        code, message = str(item.get("code", "")), str(item.get("message", "")).strip()
        sentence = REASONS.get(code)
        if sentence is None:  # a code this page does not know yet: the service's words as they are
            grouped[f"{code}:{len(grouped)}"] = {"text": message or "Motif non précisé.", "details": []}
            continue
        entry = grouped.setdefault(code, {"text": sentence, "details": []})
        if message and message.rstrip(".").lower() not in sentence.lower():
            entry["details"].append(message)
    return list(grouped.values())


def _keep_reasons(target: str, reasons: list[dict[str, Any]]) -> None:
    """Show these reasons on the next page drawn for `target` (once, like a flashed message)."""
    if reasons:
        session[_REASONS_KEY] = {"target": target, "items": reasons[:_MAX_REASONS]}


def _take_reasons(target: str) -> list[dict[str, Any]]:
    kept = session.get(_REASONS_KEY)
    if not isinstance(kept, dict) or kept.get("target") != target:
        return []
    session.pop(_REASONS_KEY, None)
    return list(kept.get("items") or [])


def _refuse(error: ServiceError, intro: str, target: str, fields: dict[str, str] | None = None) -> None:
    """Flash a refusal; its reasons, when the service lists them, go to the page in plain words, and
    what it says of one of `fields` (the service's field name -> the form's) under that field."""
    if error.status == 401:  # the session expired: `roles` sends the officer to the sign-in page
        raise error
    if error.status == 409 and not error.errors and "clé" in error.message:
        flash(REASONS["in_progress"], "warning")
        return
    if error.status == 403 and "double contrôle" in error.message:
        flash(f"{intro} double contrôle.", "error")
        _keep_reasons(target, [{"text": REASONS["four_eyes"], "details": [error.message]}])
        return
    reasons = _reasons_of(error)
    if reasons:
        flash(f"{intro} les motifs sont détaillés ci-dessous.", "error")
        _keep_reasons(target, reasons)
        return
    flash_refusal(error, intro, fields)


def _refuse_fields(summary: str, problems: dict[str, str]) -> None:
    """A form refused for several of its fields at once: one alert at the top of the page (`summary`),
    and each field's own message under it (as flash_field_error does for one field)."""
    flash(summary, "error")
    for field, message in problems.items():
        flash(message, FIELD_CATEGORY + field)


def _parse_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value.strip()) if value and value.strip() else None
    except ValueError:
        return None


def _officer_id() -> str:
    """The signed-in officer's account id: what the services record as `approved_by`, `created_by`."""
    return str(session.get("account_id", ""))


def _can_act() -> bool:
    return session.get("role") == Role.FINANCE.value


# ---------------------------------------------------------------------------------------------- tranches


def _filtered_page(path: str, lookup: NameFilter, territory: TerritoryFilter, **filters: Any) -> Page:
    """A page of payments' list at `path` (tranches, recoveries) for the structure or convention the name
    filter found and the territory, with the list's own `filters`; empty while the name names nothing or
    several (the page then says so at the field, or offers the matches)."""
    if lookup.unresolved:
        return Page(items=[], total=0, page=1, last_page=1)
    page_number = request.args.get("page", 1, type=int) or 1
    return services().page(
        "payments",
        path,
        structure_id=lookup.structure_id or None,
        convention_id=lookup.convention_id or None,
        page=max(page_number, 1),
        **territory.query,
        **filters,
    )


@blp.get("/tranches")
@roles(*READERS)
def tranches() -> Any:
    """Tranches by due date: those due to approve by default; of one structure or convention, found by
    its name, SIRET or reference (decision 0044), or of a territory."""
    # One status from the filter; several from a dashboard's figure (« à verser »: due, blocked or approved).
    chosen = [code for code in request.args.getlist("status") if code in TRANCHE_STATUSES]
    if "status" not in request.args:
        chosen = ["due"]
    status = chosen[0] if len(chosen) == 1 else ""
    territory = territory_filter(request.args)
    due_before_text = request.args.get("due_before", "")
    due_before = parse_date(due_before_text)
    if due_before_text and due_before is None:
        flash("La date « échéance avant le » n'est pas une date valide : filtre ignoré.", "warning")
    lookup = name_filter(request.args, field_name="structure", conventions=True)
    page = _filtered_page(
        "/tranches",
        lookup,
        territory,
        status=chosen,
        due_before=due_before.isoformat() if due_before else None,
    )
    return render_template(
        "finance/tranches.html",
        page=page,
        statuses=TRANCHE_STATUSES,
        status=status,
        several_statuses=chosen if len(chosen) > 1 else [],
        territory=territory,
        due_before=due_before.isoformat() if due_before else "",
        lookup=lookup,
    )


@blp.get("/tranches/<uuid:tranche_id>")
@roles(*READERS)
def tranche(tranche_id: uuid.UUID) -> Any:
    """One tranche: its facts, its history, its convention's balance and schedule, and the actions."""
    api = services()
    found = api.get("payments", f"/tranches/{tranche_id}")
    history = api.get("payments", f"/tranches/{tranche_id}/history")
    convention_id = found["convention_id"]
    balance: dict[str, Any] | None
    try:
        balance = api.get("payments", f"/conventions/{convention_id}/balance")
    except ServiceError as error:
        if error.status == 401:
            raise
        balance = None
    try:
        schedule: dict[str, Any] | None = api.get("payments", f"/schedules/{convention_id}")
    except ServiceError as error:
        if error.status == 401:
            raise
        schedule = None
    try:
        holds = [
            hold
            for hold in api.get("payments", "/holds")
            if not hold.get("structure_id") or hold.get("structure_id") == found["structure_id"]
        ]
    except ServiceError as error:
        if error.status == 401:
            raise
        holds = []
    # Names, not ids: the structure's (and, without a schedule, the convention's) from the directory.
    structure = structure_names([found["structure_id"]]).get(str(found["structure_id"]))
    reference = schedule.get("reference") if schedule else None
    if not reference:
        known = convention_names([convention_id]).get(str(convention_id))
        reference = known["reference"] if known else None
    return render_template(
        "finance/tranche.html",
        tranche=found,
        structure=structure,
        reference=reference or "",
        history=sorted(history, key=lambda entry: str(entry.get("at", "")), reverse=True),
        balance=balance,
        schedule=schedule,
        holds=holds,
        reasons=_take_reasons(f"tranche:{tranche_id}"),
        can_act=_can_act(),
        officer_id=_officer_id(),
        idempotency_key=new_idempotency_key(),
        today=today().isoformat(),
    )


@blp.post("/tranches/<uuid:tranche_id>/approuver")
@roles(Role.FINANCE)
def approve(tranche_id: uuid.UUID) -> Any:
    comment = request.form.get("comment", "").strip()[:1000] or None
    try:
        services().post("payments", f"/tranches/{tranche_id}/approve", {"comment": comment})
    except ServiceError as error:
        _refuse(error, "Approbation refusée :", f"tranche:{tranche_id}")
    else:
        flash("Tranche approuvée : un autre agent peut maintenant la payer.", "success")
    return redirect(url_for("finance.tranche", tranche_id=tranche_id))


@blp.post("/tranches/<uuid:tranche_id>/payer")
@roles(Role.FINANCE)
def pay(tranche_id: uuid.UUID) -> Any:
    """Pay once: the key drawn with the form makes a double click or a resent form a replay."""
    back = redirect(url_for("finance.tranche", tranche_id=tranche_id))
    key = request.form.get("idempotency_key", "").strip()
    paid_on = parse_date(request.form.get("paid_on"))
    reference = request.form.get("reference", "").strip()
    problems = []
    if not key:
        problems.append("le formulaire est incomplet : rechargez la page")
    if paid_on is None:
        problems.append("la date de paiement est obligatoire")
    if not reference:
        problems.append("la référence bancaire est obligatoire")
    elif len(reference) > 140:
        problems.append("la référence bancaire dépasse 140 caractères")
    if problems or paid_on is None:
        flash("Paiement refusé : " + " ; ".join(problems) + ".", "error")
        return back
    try:
        payment = services().post(
            "payments",
            f"/tranches/{tranche_id}/pay",
            {"paid_on": paid_on.isoformat(), "reference": reference},
            headers={"Idempotency-Key": key},
        )
    except ServiceError as error:
        if error.status == 422 and "idempotence" in error.message:
            flash(
                "Paiement refusé : ce formulaire a déjà servi pour un autre paiement. Rechargez la page "
                "avant de saisir un nouveau paiement.",
                "error",
            )
        else:
            _refuse(error, "Paiement refusé :", f"tranche:{tranche_id}")
        return back
    amount = euros(payment.get("amount")) if isinstance(payment, dict) else ""
    flash(f"Tranche payée ({amount}, référence {reference}).", "success")
    return back


# ---------------------------------------------------------------------------------------------- recoveries


@blp.get("/reversements")
@roles(*READERS)
def recoveries() -> Any:
    """Recoveries (reversements), latest first: those still to pay back (provisional or issued) by
    default; of one structure or convention, found by its name, SIRET or reference, or of a territory
    (the dashboard's « à reverser », decision 0043)."""
    chosen = [code for code in request.args.getlist("status") if code in RECOVERY_STATUSES]
    if "status" not in request.args:
        chosen = list(RECOVERABLE)
    status = chosen[0] if len(chosen) == 1 else ""
    territory = territory_filter(request.args)
    lookup = name_filter(request.args, field_name="structure", conventions=True)
    page = _filtered_page("/recoveries", lookup, territory, status=chosen)
    return render_template(
        "finance/recoveries.html",
        page=page,
        statuses=RECOVERY_STATUSES,
        status=status,
        several_statuses=chosen if len(chosen) > 1 else [],
        territory=territory,
        lookup=lookup,
        recovery_labels=RECOVERY_LABELS,
    )


# ---------------------------------------------------------------------------------------------- payment runs


@blp.get("/ordres-de-virement")
@roles(*READERS)
def payment_runs() -> Any:
    """The runs, newest first; prepare one from the approved tranches, or open one by its number."""
    wanted = request.args.get("ordre", "").strip()
    wanted_error = None
    if wanted:
        run_id = _parse_uuid(wanted)
        if run_id is not None:
            return redirect(url_for("finance.payment_run", run_id=run_id))
        # Said at the top of the page and under the field, which keeps what was typed.
        wanted_error = "Ce numéro d'ordre de virement n'est pas valide (identifiant attendu)."
        flash(wanted_error, "error")
    api = services()
    runs = api.page("payments", "/payment-runs", page=max(request.args.get("page", 1, type=int) or 1, 1))
    approved = api.page("payments", "/tranches", status="approved", page_size=100)
    return render_template(
        "finance/payment_runs.html",
        wanted=wanted,
        wanted_error=wanted_error,
        runs=runs,
        run_labels=RUN_LABELS,
        approved=approved,
        approved_total=sum(float(item.get("amount") or 0) for item in approved.items),
        reasons=_take_reasons("runs"),
        can_act=_can_act(),
        idempotency_key=new_idempotency_key(),
        execution_date=(today() + timedelta(days=1)).isoformat(),
    )


@blp.post("/ordres-de-virement")
@roles(Role.FINANCE)
def create_payment_run() -> Any:
    back = redirect(url_for("finance.payment_runs"))
    key = request.form.get("idempotency_key", "").strip()
    execution_date = parse_date(request.form.get("execution_date"))
    if not key:
        flash("Ordre de virement refusé : le formulaire est incomplet, rechargez la page.", "error")
        return back
    if execution_date is None:
        flash_field_error(
            "execution_date", "La date d'exécution est obligatoire.", intro="Ordre de virement refusé :"
        )
        return back
    chosen = [_parse_uuid(value) for value in request.form.getlist("tranche_ids")]
    body: dict[str, Any] = {"execution_date": execution_date.isoformat()}
    if any(chosen):
        body["tranche_ids"] = [str(value) for value in chosen if value]
    try:
        run = services().post("payments", "/payment-runs", body, headers={"Idempotency-Key": key})
    except ServiceError as error:
        problems = error.errors.get("tranches")
        if error.status == 409 and isinstance(problems, dict):
            flash(
                "Ordre de virement refusé : certaines tranches ne peuvent pas être payées "
                "(détail ci-dessous).",
                "error",
            )
            _keep_reasons("runs", _run_problems(problems))
        else:
            _refuse(error, "Ordre de virement refusé :", "runs", {"execution_date": "execution_date"})
        return back
    flash(
        f"Ordre de virement préparé : {run['number_of_transactions']} "
        f"virement{'s' if run['number_of_transactions'] > 1 else ''} pour "
        f"{euros(run['control_sum'])}. Téléchargez le fichier SEPA pour le transmettre à la banque.",
        "success",
    )
    return redirect(url_for("finance.payment_run", run_id=run["id"]))


def _run_problems(problems: dict[str, Any]) -> list[dict[str, Any]]:
    """Each tranche a run refused, named by its number, convention and structure (the approved tranches,
    read in one call: never one call per tranche), with the service's reasons."""
    approved = {
        str(item["id"]): item
        for item in services().page("payments", "/tranches", status="approved", page_size=100).items
    }
    lines: list[dict[str, Any]] = []
    for key, messages in list(problems.items())[:_MAX_REASONS]:
        details = [str(message) for message in messages] if isinstance(messages, list) else [str(messages)]
        tranche_id = _parse_uuid(key)
        if tranche_id is None:
            lines.append({"text": " ".join(details), "details": []})
            continue
        found = approved.get(str(tranche_id))
        if found is None:
            name = "Une tranche qui n'est plus parmi les tranches approuvées"
        else:
            name = (
                f"Tranche n° {found['number']} de la convention {found.get('convention_reference') or '—'}"
                f" ({euros(found['amount'])})"
            )
            if found.get("structure_name"):
                name += f", {found['structure_name']}"
        lines.append(
            {"text": name, "details": details, "href": url_for("finance.tranche", tranche_id=tranche_id)}
        )
    return lines


@blp.get("/ordres-de-virement/<uuid:run_id>")
@roles(*READERS)
def payment_run(run_id: uuid.UUID) -> Any:
    run = services().get("payments", f"/payment-runs/{run_id}")
    return render_template(
        "finance/payment_run.html",
        run=run,
        run_labels=RUN_LABELS,
        reasons=_take_reasons(f"run:{run_id}"),
        can_act=_can_act(),
        officer_id=_officer_id(),
        today=today().isoformat(),
    )


@blp.get("/ordres-de-virement/<uuid:run_id>/sepa")
@roles(Role.FINANCE)
def payment_run_sepa(run_id: uuid.UUID) -> Any:
    """The SEPA file (pain.001), streamed as it comes; the first download marks the run as exported."""
    try:
        answer = services().download("payments", f"/payment-runs/{run_id}/sepa")
    except ServiceError as error:
        if error.status in (401, 404):
            raise
        _refuse(error, "Fichier SEPA indisponible :", f"run:{run_id}")
        return redirect(url_for("finance.payment_run", run_id=run_id))
    return stream_file(answer, f"virements-{run_id}.xml", "application/xml")


@blp.post("/ordres-de-virement/<uuid:run_id>/confirmer")
@roles(Role.FINANCE)
def confirm_payment_run(run_id: uuid.UUID) -> Any:
    paid_on = parse_date(request.form.get("paid_on"))
    if paid_on is None:
        flash_field_error(
            "paid_on", "La date d'exécution par la banque est obligatoire.", intro="Confirmation refusée :"
        )
    else:
        try:
            services().post("payments", f"/payment-runs/{run_id}/confirm", {"paid_on": paid_on.isoformat()})
        except ServiceError as error:
            _refuse(error, "Confirmation refusée :", f"run:{run_id}", {"paid_on": "paid_on"})
        else:
            flash("Exécution confirmée : les tranches de l'ordre de virement sont payées.", "success")
    return redirect(url_for("finance.payment_run", run_id=run_id))


#: The longest reason the payments service keeps for a rejected line.
MAX_REJECTION_REASON = 500


@blp.post("/ordres-de-virement/<uuid:run_id>/rejets")
@roles(Role.FINANCE)
def reject_payment_run_lines(run_id: uuid.UUID) -> Any:
    """The lines the bank returned (closed account, wrong IBAN…): each with the bank's reason. Their
    tranches go back to `approved`, to be paid again once the structure's bank details are right."""
    back = redirect(url_for("finance.payment_run", run_id=run_id))
    chosen = list(dict.fromkeys(request.form.getlist("rejected")))
    lines = []
    missing: dict[str, str] = {}  # each ticked line's reason field that lacks its reason, with why
    for tranche_id in chosen:
        reason = request.form.get(f"reason-{tranche_id}", "").strip()
        if _parse_uuid(tranche_id) is None:
            continue
        if not reason:
            missing[f"reason-{tranche_id}"] = "Recopiez le motif donné par la banque pour ce virement."
        elif len(reason) > MAX_REJECTION_REASON:
            missing[f"reason-{tranche_id}"] = (
                f"Le motif donné par la banque tient en {MAX_REJECTION_REASON} caractères au plus."
            )
        lines.append({"tranche_id": tranche_id, "reason": reason})
    if missing:
        _refuse_fields(
            "Rejets refusés : chaque virement rejeté doit avoir le motif donné par la banque "
            f"({MAX_REJECTION_REASON} caractères au plus).",
            missing,
        )
        return back
    if not lines:
        flash_field_error(
            "rejected", "Cochez au moins un virement rejeté par la banque.", intro="Rejets refusés :"
        )
        return back
    try:
        services().post("payments", f"/payment-runs/{run_id}/rejections", {"lines": lines})
    except ServiceError as error:
        _refuse(error, "Rejets refusés :", f"run:{run_id}")
    else:
        if len(lines) == 1:
            done = "1 virement rejeté enregistré : sa tranche repasse au statut « approuvée » et pourra"
        else:
            done = (
                f"{len(lines)} virements rejetés enregistrés : leurs tranches repassent au statut "
                "« approuvée » et pourront"
            )
        flash(f"{done} entrer dans un nouvel ordre de virement.", "success")
    return redirect(url_for("finance.payment_run", run_id=run_id))


@blp.post("/ordres-de-virement/<uuid:run_id>/annuler")
@roles(Role.FINANCE)
def cancel_payment_run(run_id: uuid.UUID) -> Any:
    try:
        services().post("payments", f"/payment-runs/{run_id}/cancel")
    except ServiceError as error:
        _refuse(error, "Annulation refusée :", f"run:{run_id}")
    else:
        flash("Ordre de virement annulé : ses tranches peuvent entrer dans un autre ordre.", "success")
    return redirect(url_for("finance.payment_run", run_id=run_id))


# ---------------------------------------------------------------------------------------------- closing runs

#: Who launches a closing run (the service's access rules, decision 0035), and who follows one.
CLOSERS = (Role.FINANCE, Role.LEGAL, Role.ADMIN)
CLOSING_READERS = (*CLOSERS, Role.AUDITOR)


@blp.route("/clotures", methods=["GET", "POST"])
@roles(*CLOSING_READERS)
def closing_runs() -> Any:
    """The closing runs, newest first; launch the closing of every convention whose funding ends in a
    period (the current year by default)."""
    if request.method == "POST":
        if session.get("role") not in {role.value for role in CLOSERS}:
            flash("Votre rôle ne permet pas de lancer une clôture.", "error")
            return redirect(url_for("finance.closing_runs"))
        start = parse_date(request.form.get("funding_ends_from"))
        end = parse_date(request.form.get("funding_ends_to"))
        missing = {
            field: f"La date {which} de la période est obligatoire."
            for field, which, value in (
                ("funding_ends_from", "de début", start),
                ("funding_ends_to", "de fin", end),
            )
            if value is None
        }
        if len(missing) == 1:
            flash_field_error(*next(iter(missing.items())), intro="Clôture refusée :")
        elif missing:
            _refuse_fields("Clôture refusée : les deux dates de la période sont obligatoires.", missing)
        if start is None or end is None:
            return redirect(url_for("finance.closing_runs"))
        try:
            run = services().post(
                "conventions",
                "/closing-runs",
                {"funding_ends_from": start.isoformat(), "funding_ends_to": end.isoformat()},
            )
        except ServiceError as error:
            flash_refusal(
                error,
                "Clôture refusée :",
                {"funding_ends_from": "funding_ends_from", "funding_ends_to": "funding_ends_to"},
            )
            return redirect(url_for("finance.closing_runs"))
        if run["status"] == "queued":
            flash(
                f"Clôture lancée : {_conventions(run['total'])} dont le financement finit dans la période.",
                "success",
            )
        else:
            flash(
                "Cette période a déjà sa clôture : rien de plus à faire pour l'instant (les conventions "
                "pas encore échues seront reprises en la relançant après leur fin).",
                "info",
            )
        return redirect(url_for("finance.closing_run", run_id=run["id"]))
    year = today().year
    runs = services().page(
        "conventions", "/closing-runs", page=max(request.args.get("page", 1, type=int) or 1, 1)
    )
    return render_template(
        "finance/closing_runs.html",
        runs=runs,
        can_launch=session.get("role") in {role.value for role in CLOSERS},
        period=(date(year, 1, 1).isoformat(), date(year, 12, 31).isoformat()),
    )


@blp.get("/clotures/<uuid:run_id>")
@roles(*CLOSING_READERS)
def closing_run(run_id: uuid.UUID) -> Any:
    return render_template(
        "finance/closing_run.html", run=services().get("conventions", f"/closing-runs/{run_id}")
    )


@blp.get("/clotures/<uuid:run_id>/etat")
@roles(*CLOSING_READERS)
def closing_run_state(run_id: uuid.UUID) -> Any:
    """What the progress bar polls: the run as the service reports it."""
    return services().get("conventions", f"/closing-runs/{run_id}")


@blp.get("/clotures/<uuid:run_id>/archive.zip")
@roles(*CLOSING_READERS)
def closing_run_archive(run_id: uuid.UUID) -> Any:
    try:
        answer = services().download("conventions", f"/closing-runs/{run_id}/archive")
    except ServiceError as error:
        if error.status == 401:
            raise
        flash_refusal(error, "Archive indisponible :")
        return redirect(url_for("finance.closing_run", run_id=run_id))
    return stream_file(answer, f"cloture-{run_id}.zip", "application/zip")


def _conventions(count: int) -> str:
    return f"{count} convention" if count == 1 else f"{count} conventions"
