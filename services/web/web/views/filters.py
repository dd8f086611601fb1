"""Jinja filters: French dates, euros, and plain words for the services' codes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask

from cnum_shared.core.money import format_date_fr, format_eur_fr
from web.accounts import account_name

PARIS = ZoneInfo("Europe/Paris")

#: The services' codes, in the words an officer uses.
LABELS: dict[str, str] = {
    # convention and tranche statuses
    "draft": "brouillon",
    "signed": "signée",
    "amended": "modifiée par avenant",
    "closed": "clôturée",
    "terminated": "résiliée",
    "active": "en cours",
    "scheduled": "programmée",
    "due": "à payer",
    "approved": "approuvée",
    "paid": "payée",
    "blocked": "bloquée",
    "cancelled": "annulée",
    "confirmed": "confirmé",
    # recoveries (reversements): their statuses (masculine: « annulé » is the view's) and kinds
    "provisional": "provisoire",
    "issued": "émis",
    "received": "reçu",
    "offset": "compensé",
    "post_ended": "fin de poste (article 6)",
    "regularisation": "avenant",
    "final_statement": "décompte final",
    # obligations
    "open": "à venir",
    "due_soon": "échéance proche",
    "overdue": "en retard",
    "fulfilled": "remplie",
    "waived": "levée",
    # alerts and batches
    "pending": "en attente",
    "sent": "envoyée",
    "failed": "échec",
    "queued": "en file d'attente",
    "running": "en cours",
    "done": "terminé",
    # waves and kinds
    "initial": "convention initiale",
    "renewal": "renouvellement 2023",
    "public": "public",
    "private": "privé",
    # documents in the download log
    "signed_copy": "exemplaire contresigné",
}


#: The DSFR's badge type for each status: its colour and icon say at a glance whether all is well
#: (success), something waits for someone (info, warning) or went wrong (error); other codes are grey.
BADGE_TYPES: dict[str, str] = {
    **dict.fromkeys(
        ("signed", "paid", "fulfilled", "sent", "done", "active", "confirmed", "received", "offset"),
        "success",
    ),
    **dict.fromkeys(("due", "due_soon", "pending", "issued"), "warning"),
    **dict.fromkeys(
        ("approved", "scheduled", "draft", "open", "queued", "running", "amended", "provisional"), "info"
    ),
    **dict.fromkeys(("overdue", "blocked", "failed", "terminated", "rejected"), "error"),
}


def badge_type(code: Any) -> str:
    return BADGE_TYPES.get(str(code), "")


def label(code: Any) -> str:
    return LABELS.get(str(code), str(code).replace("_", " "))


def french_date(value: Any) -> str:
    if not value:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        # The services answer in UTC; officers read the time of Paris.
        if value.tzinfo is not None:
            value = value.astimezone(PARIS)
        return f"{format_date_fr(value.date())} à {value.strftime('%H:%M')}"
    return format_date_fr(value)


def euros(value: Any) -> str:
    if value in (None, ""):
        return "—"
    try:
        return format_eur_fr(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)


def tranche_name(tranche: Any) -> str:
    """ "n° 2", or "n° 4 (complément de la tranche 2)" for a line an avenant added to a paid tranche."""
    name = f"n° {tranche.get('number')}"
    if tranche.get("kind") == "regularisation" and tranche.get("regularises"):
        name += f" (complément de la tranche {tranche['regularises']})"
    return name


def author(value: object) -> str:
    """Who did it, as the services record it (an account id for officers): an officer's name when the
    web front knows the account, otherwise the recorded value (a service, a structure's user)."""
    return account_name(value) or str(value)


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(
        label=label,
        french_date=french_date,
        euros=euros,
        tranche_name=tranche_name,
        author=author,
        badge_type=badge_type,
    )
