"""Sign-in through the agency's OpenID provider, and sign-out (decision 0042).

The officer proves who they are at the provider (ProConnect; the local provider under `make run`); the
web front finds them in the officers' directory of the conventions service by the e-mail address the
provider asserts, or, for a structure agent, their structure by the `siret` claim; then it signs the
officer's cnum token itself (web.tokens) and keeps it in the server-side session (web.sessions). There is
no password in cnum.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for

from cnum_shared.framework.auth import MAX_LIFETIME_SECONDS, Role
from web.accounts import role_label
from web.adapters.identity import Identity, IdentityProvider, PendingSignIn, SignInFailed
from web.adapters.services import ServiceError, Services
from web.sessions import start_new_session
from web.tokens import revoke_officer_token, sign_token
from web.views.common import HOME_OF_ROLE, browser_address, signed_in_role

blp = Blueprint("auth", __name__)

#: Where the sign-in started at the provider waits for its answer, in the browser's session.
PENDING_KEY = "oidc_pending"


@dataclass(frozen=True)
class SignedInAccount:
    """Whom the provider's identity signs in, in cnum's words."""

    account_id: str
    name: str
    role: Role
    structure_id: str | None = None


class AccountRefused(Exception):
    """The provider knows the person; cnum does not let them in (a 403 page, nothing signed)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@blp.get("/")
def home() -> Any:
    role = signed_in_role()
    if role is None:
        return redirect(url_for("auth.sign_in"))
    return redirect(url_for(HOME_OF_ROLE.get(role, "auth.sign_in")))


@blp.get("/connexion")
def sign_in() -> Any:
    """The sign-in page: one button, that sends the officer to the identity provider."""
    settings = current_app.config["WEB_SETTINGS"]
    return render_template(
        "auth/sign_in.html", next=safe_next(request.args.get("next", "")), settings=settings
    )


@blp.post("/connexion")
def start_sign_in() -> Any:
    """Send the browser to the provider with a fresh state, nonce and PKCE verifier kept in its session."""
    settings = current_app.config["WEB_SETTINGS"]
    target = safe_next(request.args.get("next", "") or request.form.get("next", ""))
    try:
        url, pending = _provider().start(settings.redirect_uri, target)
    except SignInFailed as failure:
        return _refusal(failure.status, "Connexion impossible", failure.message)
    session[PENDING_KEY] = pending.as_session()
    return redirect(url)


@blp.get("/connexion/retour")
def sign_in_callback() -> Any:
    """The provider's answer: checked, matched to an account, then the officer is signed in."""
    settings = current_app.config["WEB_SETTINGS"]
    # Taken out of the session whatever follows: one answer per sign-in, a replay finds nothing.
    pending = PendingSignIn.from_session(session.pop(PENDING_KEY, None))
    state = request.args.get("state", "")
    if pending is None or not state or not hmac.compare_digest(state.encode(), pending.state.encode()):
        return _refusal(
            400,
            "Connexion impossible",
            "Cette réponse du fournisseur d'identité ne correspond à aucune connexion en cours dans ce "
            "navigateur. Recommencez la connexion.",
        )
    if request.args.get("error"):
        return _refusal(
            401, "Connexion annulée", "La connexion a été annulée ou refusée chez le fournisseur d'identité."
        )
    try:
        identity = _provider().finish(pending, settings.redirect_uri, request.args)
        account = _account_of(identity)
    except SignInFailed as failure:
        return _refusal(failure.status, "Connexion impossible", failure.message)
    except AccountRefused as refusal:
        return _refusal(403, "Connexion refusée", refusal.message)
    except ServiceError as error:
        return _refusal(503, "Connexion impossible", f"Connexion impossible : {error.message}")
    start_new_session()  # a new id at sign-in: an id planted before (fixation) signs no one in
    session.permanent = True
    session.update(
        token=sign_token(
            settings,
            account.role,
            sub=account.account_id,
            structure_id=account.structure_id,
            ttl_seconds=min(settings.session_hours * 3600, MAX_LIFETIME_SECONDS[account.role]),
            name=account.name,
        ),
        id_token=identity.id_token,
        account_id=account.account_id,
        name=account.name,
        email=identity.email,
        role=account.role.value,
        role_label=role_label(account.role),
        structure_id=account.structure_id,
    )
    return redirect(pending.next or url_for("auth.home"))


@blp.post("/deconnexion")
def sign_out() -> Any:
    """End the cnum session (the token revoked everywhere), then the provider's when it offers to."""
    settings = current_app.config["WEB_SETTINGS"]
    id_token = session.get("id_token")
    revoke_officer_token(session.get("token"))
    start_new_session()  # the stored session is deleted: a copy of the old cookie signs no one in
    flash("Vous êtes déconnecté.", "info")
    if id_token:
        try:
            end = _provider().end_session_url(id_token, f"{settings.base_url}/connexion")
        except SignInFailed:
            end = None  # the provider is down: the cnum session has ended all the same
        if end:
            return redirect(end)
    return redirect(url_for("auth.sign_in"))


def _provider() -> IdentityProvider:
    provider: IdentityProvider = current_app.extensions["cnum_identity"]
    return provider


def _refusal(status: int, title: str, message: str) -> Any:
    return render_template("error.html", status=status, title=title, message=message), status


def _lookup() -> Services:
    """The conventions service, called with a one-minute token of the sign-in itself (role admin: the
    directory and the structures' list are read for someone not yet signed in)."""
    settings = current_app.config["WEB_SETTINGS"]
    return Services(
        {"conventions": settings.service_url("conventions")},
        sign_token(settings, Role.ADMIN, sub="web-sign-in", ttl_seconds=60),
        current_app.extensions["cnum_web_http"],
        settings.service_timeout_seconds,
        client_address=browser_address(),
    )


def _account_of(identity: Identity) -> SignedInAccount:
    """The account the provider's identity signs in: an officer of the directory, found by e-mail
    (without regard to case); else a structure agent, whose organisation's SIRET is a structure's."""
    lookup = _lookup()
    email = (identity.email or "").lower()
    if email:
        found = [
            officer
            for officer in lookup.page("conventions", "/officers", email=email).items
            if str(officer.get("email", "")).lower() == email
        ]
        if found:
            officer = found[0]
            if not officer.get("active"):
                raise AccountRefused(
                    f"Le compte de {email} dans l'annuaire des agents est désactivé : vous ne pouvez plus "
                    "vous connecter. Adressez-vous à un administrateur si c'est une erreur."
                )
            return SignedInAccount(str(officer["id"]), str(officer["name"]), Role(officer["role"]))
    if identity.siret:
        structures = [
            structure
            for structure in lookup.page("conventions", "/structures", q=identity.siret).items
            if structure.get("siret") == identity.siret
        ]
        if not structures:
            raise AccountRefused(
                f"Votre organisation (SIRET {identity.siret}) n'est pas une structure d'accueil du "
                "programme Conseiller numérique : vous ne pouvez pas vous connecter."
            )
        # A structure agent is not in the directory: their account id is the provider's own `sub`.
        return SignedInAccount(
            identity.subject, identity.display_name, Role.STRUCTURE, str(structures[0]["id"])
        )
    raise AccountRefused(
        f"L'adresse {email or '(aucune)'} n'est pas dans l'annuaire des agents : vous ne pouvez pas vous "
        "connecter. Demandez à un administrateur de vous y ajouter."
    )


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
