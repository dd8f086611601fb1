"""Who may sign in to the web interface, and with which role.

`make run` has demo accounts, one per kind of officer and one per demo structure, all with the demo
password shown on the sign-in page. In production they are refused (WEB_DEMO_ACCOUNTS=false): officers
would come from the agency's identity provider (docs/decisions/0009).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from cnum_shared.framework.auth import Role


@dataclass(frozen=True)
class Account:
    #: The stable account id: the `sub` of the officer's tokens, what the services record as the author
    #: of a write and what the four-eyes rules compare. Never reused, never changed with a name or login.
    account_id: uuid.UUID
    login: str
    name: str
    role: Role
    #: For structure accounts: the SIRET of their structure, resolved to its id at sign-in.
    siret: str | None = None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


ROLE_LABELS = {
    Role.ADMIN: "Administration",
    Role.LEGAL: "Service juridique",
    Role.FINANCE: "Service financier",
    Role.COMPLIANCE: "Suivi de conformité",
    Role.STRUCTURE: "Structure d'accueil",
    Role.AUDITOR: "Audit",
    Role.SERVICE: "Service",
    Role.REPORTER: "Remontée des comptes rendus d'activité",
}


def _id(text: str) -> uuid.UUID:
    return uuid.UUID(text)


DEMO_ACCOUNTS: tuple[Account, ...] = (
    Account(_id("859cfd1c-ebfb-493f-a608-543eb8a8a595"), "claire.martin", "Claire Martin", Role.LEGAL),
    Account(_id("f48b36cd-368b-4c25-9c58-e6a6ef24db4c"), "alice.durand", "Alice Durand", Role.FINANCE),
    Account(_id("eb228ddc-dc96-4e76-89b4-91a8d60d12fe"), "bruno.petit", "Bruno Petit", Role.FINANCE),
    Account(_id("e008aee0-6aab-4597-9408-4482fcf45d3d"), "helene.robert", "Hélène Robert", Role.COMPLIANCE),
    Account(_id("0370939e-e381-48ad-a692-78eee0546c05"), "ines.girard", "Inès Girard", Role.AUDITOR),
    Account(
        _id("fe23dc36-03ce-4115-a97d-e38ef37c6e9d"),
        "saint-flour",
        "Commune de Saint-Flour",
        Role.STRUCTURE,
        siret="21150187900012",
    ),
    Account(
        _id("5cc31016-1186-47fd-897d-78fe989aad16"),
        "le-tampon",
        "Commune du Tampon",
        Role.STRUCTURE,
        siret="21974222800014",
    ),
)


def demo_account(login: str) -> Account | None:
    return next((account for account in DEMO_ACCOUNTS if account.login == login.strip().lower()), None)


def account_name(account_id: object) -> str | None:
    """The display name of a known account id (what the services record as an author), else None."""
    known = (account for account in DEMO_ACCOUNTS if str(account.account_id) == str(account_id))
    return next((account.name for account in known), None)
