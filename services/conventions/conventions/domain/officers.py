"""The agency's officers who may sign in to the web front: the directory an administrator keeps
(decision 0042). An officer's account id is the `sub` of their tokens: the services record it as the
author of a write and the four-eyes rules compare it, so it is never reused nor changed."""

from __future__ import annotations

from enum import StrEnum


class OfficerRole(StrEnum):
    """The roles an officer of the directory may hold: people of the agency. Structure agents are not in
    the directory (they are matched to their structure by SIRET), nor are services and feeders."""

    ADMIN = "admin"
    LEGAL = "legal"
    FINANCE = "finance"
    COMPLIANCE = "compliance"
    AUDITOR = "auditor"


def normalized_email(email: str) -> str:
    """How an address is stored and compared: identity providers and administrators may write it with
    capitals, and in practice no mail system tells `Claire.Martin@` from `claire.martin@`."""
    return email.strip().lower()
