"""Who is calling: JWT (HS256) tokens and the roles of the HTTP contract.

Framework-free; the Flask side (header parsing, the view decorator) is in `cnum_shared.web`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

import jwt

ALGORITHM = "HS256"
DEFAULT_TTL_SECONDS = 3600


class Role(StrEnum):
    ADMIN = "admin"
    LEGAL = "legal"
    FINANCE = "finance"
    COMPLIANCE = "compliance"
    STRUCTURE = "structure"
    AUDITOR = "auditor"
    SERVICE = "service"
    REPORTER = "reporter"  # activity-report feeders: POST /activity-reports and nothing else


#: Roles that may read every resource of every service (DESIGN §5: "Every GET is open to auditor and admin").
READERS: tuple[Role, ...] = (Role.AUDITOR, Role.ADMIN)


class AuthenticationError(Exception):
    """The token is missing, malformed, expired, badly signed or names no known role (401)."""


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    sub: str
    role: Role
    structure_id: uuid.UUID | None = None

    def is_structure(self) -> bool:
        return self.role is Role.STRUCTURE

    def may_see_structure(self, structure_id: uuid.UUID | str) -> bool:
        """Structure users see only their own structure; every other role passes this check."""
        if self.role is not Role.STRUCTURE:
            return True
        return str(self.structure_id) == str(structure_id)


def issue_token(
    secret: str,
    role: Role | str,
    *,
    sub: str | None = None,
    structure_id: uuid.UUID | str | None = None,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    now: datetime | None = None,
) -> str:
    """A signed token; `ttl_seconds` of 0 or less gives an already expired token (for tests)."""
    role = Role(role)
    if role is Role.STRUCTURE and structure_id is None:
        raise ValueError("a token for the role 'structure' needs a structure id")
    issued_at = now or datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": sub or f"{role.value}-demo",
        "role": role.value,
        "iat": int(issued_at.timestamp()),
        "exp": int((issued_at + timedelta(seconds=ttl_seconds)).timestamp()),
    }
    if structure_id is not None:
        claims["structure_id"] = str(uuid.UUID(str(structure_id)))
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(token: str, secret: str, *, now: datetime | None = None) -> Principal:
    """Verify a token and return its principal, or raise `AuthenticationError` saying why.

    A token already verified by this process is not verified again (an officer sends the same token with
    every request until it expires); its expiry is still checked on every call.
    """
    principal, expires_at = _verified(token, secret)
    if expires_at <= (now or datetime.now(UTC)).timestamp():
        raise AuthenticationError("le jeton a expiré")
    return principal


@lru_cache(maxsize=4096)
def _verified(token: str, secret: str) -> tuple[Principal, int]:
    """The principal and expiry of a valid token; a refused token raises and is not remembered."""
    try:
        # Only HS256 is accepted: this refuses `alg: none` and algorithm-confusion tokens.
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "role"]}
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationError("le jeton a expiré") from None
    except jwt.InvalidTokenError as error:
        raise AuthenticationError(f"jeton invalide : {error}") from None
    try:
        role = Role(claims["role"])
    except ValueError:
        raise AuthenticationError(f"rôle inconnu : {claims['role']!r}") from None
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub:
        raise AuthenticationError("jeton invalide : 'sub' doit être une chaîne non vide")
    structure_id: uuid.UUID | None = None
    raw_structure = claims.get("structure_id")
    if raw_structure is not None:
        try:
            structure_id = uuid.UUID(str(raw_structure))
        except ValueError:
            raise AuthenticationError("jeton invalide : 'structure_id' n'est pas un UUID") from None
    if role is Role.STRUCTURE and structure_id is None:
        raise AuthenticationError("jeton invalide : le rôle 'structure' exige 'structure_id'")
    return Principal(sub=sub, role=role, structure_id=structure_id), int(claims["exp"])
