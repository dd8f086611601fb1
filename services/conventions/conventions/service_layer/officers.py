"""Use cases of the officers' directory (decision 0042): an administrator adds, changes and deactivates
the officers who may sign in to the web front. The account id never changes and is never reused: it is
the author the services recorded for the officer's writes."""

from __future__ import annotations

import uuid

from cnum_shared.core.errors import ConcurrentWrite, Conflict, NotFound
from cnum_shared.framework.db import utcnow
from conventions.adapters.orm import Officer
from conventions.domain.officers import normalized_email
from conventions.service_layer.commands import CreateOfficer, UpdateOfficer
from conventions.service_layer.unit_of_work import ConventionsUnitOfWork


class OfficerNotFound(NotFound):
    default_message = "Agent introuvable dans l'annuaire."


class DuplicateEmail(Conflict):
    def __init__(self, email: str) -> None:
        super().__init__(f"Un agent de l'annuaire a déjà l'adresse {email}.")


def create_officer(uow: ConventionsUnitOfWork, command: CreateOfficer) -> Officer:
    """Add an officer; an address already in the directory (whatever its case) is refused."""
    email = normalized_email(command.email)
    if uow.officers.email_taken(email):
        raise DuplicateEmail(email)
    now = utcnow()
    officer = Officer(
        id=command.officer_id or uuid.uuid4(),
        email=email,
        name=command.name.strip(),
        role=command.role,
        active=command.active,
        created_at=now,
        updated_at=now,
    )
    uow.officers.add(officer)
    try:
        uow.commit()
    except ConcurrentWrite:  # the same address added at the same moment
        raise DuplicateEmail(email) from None
    return officer


def update_officer(uow: ConventionsUnitOfWork, command: UpdateOfficer) -> Officer:
    """Change an officer's address, name or role, or (de)activate them; the account id stays."""
    officer = get_officer(uow, command.officer_id)
    changes = command.changes()
    if "email" in changes:
        changes["email"] = normalized_email(changes["email"])
        if uow.officers.email_taken(changes["email"], other_than=officer.id):
            raise DuplicateEmail(changes["email"])
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    for name, value in changes.items():
        setattr(officer, name, value)
    officer.updated_at = utcnow()
    try:
        uow.commit()
    except ConcurrentWrite:
        raise DuplicateEmail(str(changes.get("email", officer.email))) from None
    return officer


def get_officer(uow: ConventionsUnitOfWork, officer_id: uuid.UUID) -> Officer:
    officer = uow.officers.get(officer_id)
    if officer is None:
        raise OfficerNotFound()
    return officer
