"""Sign-in and sign-out. The web front signs each officer's token with the secret the services share."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for

from cnum_shared.auth import Role, issue_token
from web.accounts import DEMO_ACCOUNTS, Account, demo_account
from web.adapters.services import ServiceError, Services
from web.views.common import HOME_OF_ROLE, signed_in_role

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
        session.clear()
        session.permanent = True
        session.update(
            token=issue_token(
                settings.jwt_secret,
                account.role,
                sub=account.login,
                structure_id=structure_id,
                ttl_seconds=settings.session_hours * 3600,
            ),
            login=account.login,
            name=account.name,
            role=account.role.value,
            role_label=account.role_label,
            structure_id=structure_id,
        )
        target = request.args.get("next", "")
        # Only a path of this site: never send an officer to another host after signing in.
        if target.startswith("/") and not target.startswith("//"):
            return redirect(target)
        return redirect(url_for("auth.home"))
    return render_template("auth/sign_in.html", accounts=DEMO_ACCOUNTS, settings=settings)


@blp.post("/deconnexion")
def sign_out() -> Any:
    session.clear()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.sign_in"))


def _structure_of(account: Account) -> str:
    """The id of a structure account's structure, looked up by SIRET with a one-minute service token."""
    settings = current_app.config["WEB_SETTINGS"]
    lookup = Services(
        {"conventions": settings.service_url("conventions")},
        issue_token(settings.jwt_secret, Role.ADMIN, sub="web-sign-in", ttl_seconds=60),
        current_app.extensions["cnum_web_http"],
        settings.service_timeout_seconds,
    )
    found = lookup.page("conventions", "/structures", q=account.siret).items
    if not found:
        raise ServiceError(404, f"la structure de SIRET {account.siret} n'est pas enregistrée.")
    return str(found[0]["id"])
