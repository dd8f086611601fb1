"""The one place where the web front signs tokens .

An officer's token names the account by its stable id (`sub`): their account id in the officers'
directory, or the provider's subject for a structure agent (docs/decisions/0042), and carries their name.
"""

from __future__ import annotations

from flask import current_app

from cnum_shared.framework.auth import AuthenticationError, Role, decode_token, issue_token
from web.config import WebSettings


def sign_token(
    settings: WebSettings,
    role: Role,
    *,
    sub: str,
    structure_id: str | None = None,
    ttl_seconds: int,
    name: str | None = None,
) -> str:
    """A token for the services: an officer's at sign-in, or the sign-in's own short lookup token."""
    return issue_token(
        settings.signing_key(), role, sub=sub, structure_id=structure_id, ttl_seconds=ttl_seconds, name=name
    )


def revoke_officer_token(token: str | None) -> None:
    """Sign-out: the officer's token is refused by every service from now on, not only by this front."""
    if not token:
        return
    settings: WebSettings = current_app.config["WEB_SETTINGS"]
    try:
        principal = decode_token(token, settings.signing_key().verification_keys())
    except AuthenticationError:
        return  # expired or from a previous key: no service accepts it anyway
    current_app.extensions["cnum_revocations"].revoke_token(principal, by=principal.sub, reason="déconnexion")
