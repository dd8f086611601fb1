"""Sign-in and sign-out. The web front signs each officer's token (web.tokens); the session that holds it
lives on the server side (web.sessions)."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for

from cnum_shared.framework.auth import Role
from web.accounts import DEMO_ACCOUNTS, Account, demo_account
from web.adapters.services import ServiceError, Services
from web.sessions import start_new_session
from web.tokens import revoke_officer_token, sign_token
from web.views.common import HOME_OF_ROLE, browser_address, signed_in_role

blp = Blueprint("auth", __name__)


@blp.get("/")
def home() -> Any:
    role = signed_in_role()
    if role is None:
        return redirect(url_for("auth.sign_in"))
    return redirect(url_for(HOME_OF_ROLE.get(role, "auth.sign_in")))


@blp.route("/connexion", methods=["GET", "POST"])
def sign_in() -> Any:
    settings = current_app.config["WEB_SETTINGS"]
    if request.method == "POST":
        account = demo_account(request.form.get("login", "")) if settings.demo_accounts else None
        password = request.form.get("password", "")
        if account is None or not hmac.compare_digest(password.encode(), settings.demo_password.encode()):
            flash("Identifiant ou mot de passe incorrect.", "error")
            return render_template("auth/sign_in.html", accounts=DEMO_ACCOUNTS, settings=settings), 401
        try:
            structure_id = _structure_of(account) if account.role is Role.STRUCTURE else None
        except ServiceError as error:
            flash(f"Connexion impossible : {error.message}", "error")
            return render_template("auth/sign_in.html", accounts=DEMO_ACCOUNTS, settings=settings), 503
        target = safe_next(request.args.get("next", ""))
        start_new_session()  # a new id at sign-in: an id planted before (fixation) signs no one in
        session.permanent = True
        session.update(
            token=sign_token(
                settings,
                account.role,
                sub=str(account.account_id),
                structure_id=structure_id,
                ttl_seconds=settings.session_hours * 3600,
                name=account.name,
            ),
            account_id=str(account.account_id),
            login=account.login,
            name=account.name,
            role=account.role.value,
            role_label=account.role_label,
            structure_id=structure_id,
        )
        return redirect(target or url_for("auth.home"))
    return render_template("auth/sign_in.html", accounts=DEMO_ACCOUNTS, settings=settings)


@blp.post("/deconnexion")
def sign_out() -> Any:
    revoke_officer_token(session.get("token"))
    start_new_session()  # the stored session is deleted: a copy of the old cookie signs no one in
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.sign_in"))


def _structure_of(account: Account) -> str:
    """The id of a structure account's structure, looked up by SIRET with a one-minute service token."""
    settings = current_app.config["WEB_SETTINGS"]
    lookup = Services(
        {"conventions": settings.service_url("conventions")},
        sign_token(settings, Role.ADMIN, sub="web-sign-in", ttl_seconds=60),
        current_app.extensions["cnum_web_http"],
        settings.service_timeout_seconds,
        client_address=browser_address(),
    )
    found = lookup.page("conventions", "/structures", q=account.siret).items
    if not found:
        raise ServiceError(404, f"la structure de SIRET {account.siret} n'est pas enregistrée.")
    return str(found[0]["id"])


def safe_next(target: str) -> str:
    """Where to go after signing in: a path of this site only, else "" (the officer's home page).

    The address is parsed as a browser would read it, not prefix-matched: browsers drop tabs and line
    breaks from a URL and read a backslash as a slash, so `/%09/evil.example` (once decoded), `/\\evil`
    and `//evil` all name another host. Refused: anything with a scheme or a host, control characters,
    backslashes, a path that is not absolute or that starts with two slashes once percent-decoded.
    """
    for form in (target, unquote(target)):  # as sent, and as a server decoding it once would read it
        if not form.startswith("/") or form.startswith("//") or "\\" in form:
            return ""
        if any(ord(character) < 0x20 or ord(character) == 0x7F for character in form):
            return ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return ""
    return urlunsplit(("", "", parts.path, parts.query, ""))
