"""The one place where the web front signs tokens (the lead's key change touches only this function).

An officer's token names the account by its stable id (`sub`); the login and the display name stay with
the web front (web.accounts).
"""

from __future__ import annotations

from cnum_shared.auth import Role, issue_token
from web.config import WebSettings


def sign_token(
    settings: WebSettings,
    role: Role,
    *,
    sub: str,
    structure_id: str | None = None,
    ttl_seconds: int,
) -> str:
    """A token for the services: an officer's at sign-in, or the sign-in's own short lookup token."""
    return issue_token(settings.jwt_secret, role, sub=sub, structure_id=structure_id, ttl_seconds=ttl_seconds)
