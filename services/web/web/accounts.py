"""Who may sign in to the web interface, and with which role.

`make run` has demo accounts, one per kind of officer and one per demo structure, all with the demo
password shown on the sign-in page. In production they are refused (WEB_DEMO_ACCOUNTS=false): officers
would come from the agency's identity provider (docs/decisions/0009).
"""

from __future__ import annotations

from dataclasses import dataclass

from cnum_shared.auth import Role


@dataclass(frozen=True)
class Account:
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
    Role.REPORTER: "Remontée des comptes rendus",
}

DEMO_ACCOUNTS: tuple[Account, ...] = (
    Account("claire.martin", "Claire Martin", Role.LEGAL),
    Account("alice.durand", "Alice Durand", Role.FINANCE),
    Account("bruno.petit", "Bruno Petit", Role.FINANCE),
    Account("helene.robert", "Hélène Robert", Role.COMPLIANCE),
    Account("ines.girard", "Inès Girard", Role.AUDITOR),
    Account("saint-flour", "Commune de Saint-Flour", Role.STRUCTURE, siret="21150187900012"),
    Account("le-tampon", "Commune du Tampon", Role.STRUCTURE, siret="21974222800014"),
)


def demo_account(login: str) -> Account | None:
    return next((account for account in DEMO_ACCOUNTS if account.login == login.strip().lower()), None)
