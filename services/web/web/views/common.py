"""What every page shares: who is signed in, the services client, role checks, error display."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import wraps
from typing import Any, TypeVar, cast

import requests
from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    get_flashed_messages,
    redirect,
    request,
    session,
    stream_with_context,
    url_for,
)

from cnum_shared.core.addresses import forwarded_client
from cnum_shared.core.dates import paris_today
from cnum_shared.core.territories import UnknownRegion, UnknownTerritory, region, territory
from cnum_shared.framework.auth import Role
from web.adapters.services import ServiceError, Services

F = TypeVar("F", bound=Callable[..., Any])

#: Where each kind of officer lands after signing in.
HOME_OF_ROLE = {
    Role.LEGAL: "legal.conventions",
    Role.FINANCE: "finance.tranches",
    Role.COMPLIANCE: "compliance.obligations",
    Role.STRUCTURE: "structure.home",
    Role.AUDITOR: "legal.conventions",
    Role.ADMIN: "legal.conventions",
}


def signed_in_role() -> Role | None:
    role = session.get("role")
    return Role(role) if role else None


def services() -> Services:
    """The services client for the signed-in officer (one per request)."""
    if "services" not in g:
        settings = current_app.config["WEB_SETTINGS"]
        g.services = Services(
            {name: settings.service_url(name) for name in ("conventions", "payments", "compliance")},
            session["token"],
            current_app.extensions["cnum_web_http"],
            settings.service_timeout_seconds,
            client_address=browser_address(),
        )
    return cast(Services, g.services)


def browser_address() -> str | None:
    """The officer's address, passed on to the services for their logs: `X-Forwarded-For` is believed
    only from the TLS proxy of `CNUM_TRUSTED_PROXIES`, so a browser cannot name another address."""
    settings = current_app.config["WEB_SETTINGS"]
    return forwarded_client(
        request.remote_addr, request.headers.get("X-Forwarded-For"), settings.trusted_networks
    )


#: What the browser keeps of a service's file answer, besides its name: type, length and provenance.
FILE_HEADERS = ("Content-Type", "Content-Length", "X-Document-SHA256", "X-Template-Version")


def stream_file(upstream: requests.Response, file_name: str, media_type: str) -> Response:
    """Pass a service's file (PDF, DOCX, ZIP, SEPA XML) to the browser as it arrives.

    Always as a download, never shown inline on the web front's own origin; under the service's file
    name, or `file_name` when it gives none; as `media_type` when it gives no type. The connection to the
    service is released once the browser has it all.
    """
    headers = {name: upstream.headers[name] for name in FILE_HEADERS if name in upstream.headers}
    headers.setdefault("Content-Type", media_type)
    disposition = upstream.headers.get("Content-Disposition", "")
    if "filename" not in disposition:
        disposition = f'attachment; filename="{file_name}"'
    elif not disposition.startswith("attachment"):
        disposition = "attachment;" + disposition.partition(";")[2]
    headers["Content-Disposition"] = disposition
    # A file is the structures' or the services' content, not a page of this site: nothing in it may run.
    headers["Content-Security-Policy"] = "default-src 'none'; sandbox; frame-ancestors 'none'"
    headers["X-Content-Type-Options"] = "nosniff"
    response = Response(stream_with_context(upstream.iter_content(chunk_size=64 * 1024)), headers=headers)
    response.call_on_close(upstream.close)
    return response


def roles(*allowed: Role) -> Callable[[F], F]:
    """Only these roles see the page; others get a 403 page, and anonymous visitors the sign-in page."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            role = signed_in_role()
            if role is None:
                return redirect(url_for("auth.sign_in", next=request.full_path))
            if role not in allowed:
                abort(403)
            try:
                return view(*args, **kwargs)
            except ServiceError as error:
                if error.status == 401:
                    session.clear()
                    flash("Votre session a expiré : reconnectez-vous.", "warning")
                    return redirect(url_for("auth.sign_in", next=request.full_path))
                if error.status == 404:
                    abort(404)
                if error.status == 403:
                    abort(403)
                raise

        return cast(F, wrapper)

    return decorator


#: The category of a message that belongs to one field of the form the officer sent: `field:<name>`.
FIELD_CATEGORY = "field:"


def flash_field_error(field: str, message: str, intro: str = "Formulaire refusé :") -> None:
    """Say what is wrong with one field: at the top of the page (with `intro`, so that the alert reads
    on its own) and under the field itself, which the form's macros mark invalid and tie to the message
    (aria-describedby), as the RGAA asks."""
    flash(f"{intro} {message[:1].lower()}{message[1:]}", "error")
    flash(message, FIELD_CATEGORY + field)


def flashed() -> list[tuple[str, str]]:
    """This request's flashed messages with their categories (Flask types them loosely)."""
    return cast(list[tuple[str, str]], get_flashed_messages(with_categories=True))


def field_errors() -> dict[str, str]:
    """The field messages of this request (see flash_field_error), by field name. Flask keeps the flashed
    messages of a request once read, so the layout's alerts and the form's fields read the same list."""
    return {
        category.removeprefix(FIELD_CATEGORY): message
        for category, message in flashed()
        if category.startswith(FIELD_CATEGORY)
    }


@dataclass(frozen=True)
class PageMessage:
    """One of the layout's alerts: its DSFR type (info, success, warning, error), its text, and the
    details of a refusal (each field the service named) listed inside it."""

    kind: str
    text: str
    details: list[str]


def page_messages() -> list[PageMessage]:
    """The messages flashed for this page, as the layout shows them: field messages stay under their
    fields, and a refusal's details go in its alert."""
    shown: list[PageMessage] = []
    for category, text in flashed():
        if category.startswith(FIELD_CATEGORY):
            continue
        if category == "error-detail" and shown:
            shown[-1].details.append(text)
            continue
        kind = category if category in ("success", "warning", "error") else "info"
        shown.append(PageMessage(kind, text, []))
    return shown


def flash_refusal(error: ServiceError, intro: str, fields: Mapping[str, str] | None = None) -> None:
    """Show why a service refused, in its own French words, with each detail on its own line. A detail
    about one of `fields` (the service's field name -> the form's field name) is also shown under it."""
    flash(f"{intro} {error.message}", "error")
    for detail in describe_errors(error.errors):
        flash(detail, "error-detail")
    sent = error.errors.get("json", error.errors) if isinstance(error.errors, dict) else {}
    for service_field, form_field in (fields or {}).items():
        messages = sent.get(service_field) if isinstance(sent, dict) else None
        if messages:
            text = "; ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
            flash(text, FIELD_CATEGORY + form_field)


#: The parts of a request a service names in its refusal's `errors` (webargs' locations).
LOCATIONS = ("json", "query", "form", "files")


def describe_errors(errors: dict[str, Any]) -> list[str]:
    """The `errors` member of a refusal as readable lines (field: message)."""
    lines: list[str] = []

    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                # Where the service read the field (the body, the query) says nothing to an officer.
                if key in LOCATIONS:
                    walk(inner, where)
                else:
                    walk(inner, f"{where} › {key}" if where else str(key))
        elif isinstance(value, list):
            for inner in value:
                walk(inner, where)
        else:
            lines.append(f"{where} : {value}" if where else str(value))

    walk(errors, "")
    return lines


def new_idempotency_key() -> str:
    """Put in a payment form when it is drawn: a double click, or a resent form, pays once."""
    return str(uuid.uuid4())


def today() -> date:
    """Today in Paris: the default date of the forms (a signature, a payment)."""
    return paris_today(datetime.now(UTC))


def parse_date(value: str | None) -> date | None:
    """The date a form or a query gives as YYYY-MM-DD; None when it gives none or not a date."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class TerritoryFilter:
    """A list's territory, from its query string: a dashboard's figure by department or region leads to
    the list of what it adds up (decision 0043)."""

    department: str = ""
    region: str = ""

    @property
    def query(self) -> dict[str, str]:
        """The filter as the services' lists take it (nothing when there is none)."""
        named = (("department", self.department), ("region", self.region))
        return {name: value for name, value in named if value}

    @property
    def label(self) -> str:
        """In words: « département Cantal (15) », « région Bretagne », or a collectivity's name."""
        parts = []
        if self.region:
            found = region(self.region)
            parts.append(found.name if found.is_collectivity else f"région {found.name}")
        if self.department and self.department != self.region:
            parts.append(f"département {territory(self.department).name} ({self.department})")
        return ", ".join(parts)


def territory_filter(args: Mapping[str, str]) -> TerritoryFilter:
    """The department and region a list is asked for; an unknown code is ignored, and said so."""
    department, region_code = args.get("department", "").strip(), args.get("region", "").strip()
    try:
        department = territory(department).code if department else ""
    except UnknownTerritory:
        flash("Ce département est inconnu : filtre ignoré.", "warning")
        department = ""
    try:
        region_code = region(region_code).code if region_code else ""
    except UnknownRegion:
        flash("Cette région est inconnue : filtre ignoré.", "warning")
        region_code = ""
    return TerritoryFilter(department, region_code)
