"""The officers' roles as the pages name them, and the accounts the pages can name an author by.

Officers sign in through the agency's OpenID provider and are found in the directory of the conventions
service (decision 0042); the web front keeps no account. The services record an officer's account id as
the author of a write: the pages name the demo officers of `make run` (their ids are those of the
directory's demo data set) and show other authors as recorded.
"""

from __future__ import annotations

from cnum_shared.framework.auth import Role

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

#: The demo officers' account ids and names (conventions.demo.DEMO_OFFICERS, which seeds the directory).
DEMO_OFFICER_NAMES: dict[str, str] = {
    "859cfd1c-ebfb-493f-a608-543eb8a8a595": "Claire Martin",
    "f48b36cd-368b-4c25-9c58-e6a6ef24db4c": "Alice Durand",
    "eb228ddc-dc96-4e76-89b4-91a8d60d12fe": "Bruno Petit",
    "e008aee0-6aab-4597-9408-4482fcf45d3d": "Hélène Robert",
    "0370939e-e381-48ad-a692-78eee0546c05": "Inès Girard",
    "3d0c5a51-2f5e-4f0b-9a36-7c1e8f9b2d40": "Nadia Lefèvre",
    "9a7e2c64-1b3d-4e58-8f0a-5d6c7b8e9f01": "Paul Bernard",
}


def role_label(role: Role) -> str:
    return ROLE_LABELS[role]


def account_name(account_id: object) -> str | None:
    """The display name of a known account id (what the services record as an author), else None."""
    return DEMO_OFFICER_NAMES.get(str(account_id))
