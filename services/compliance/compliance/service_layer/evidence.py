"""Evidence: the files a structure uploads for an obligation (an officer then accepts it, or not)."""

from __future__ import annotations

import uuid

from cnum_shared.framework.db import utcnow
from compliance.adapters.orm import Evidence
from compliance.service_layer.commands import AddEvidence
from compliance.service_layer.obligations import get_obligation
from compliance.service_layer.training import Files, checked_upload
from compliance.service_layer.unit_of_work import UnitOfWork


def add_evidence(uow: UnitOfWork, command: AddEvidence, files: Files) -> Evidence:
    """A new revision of the evidence; it never fulfils by itself (an officer accepts it)."""
    obligation = get_obligation(uow, command.obligation_id)
    media_type, sha256 = checked_upload(command.content, message_alone=True)
    revision = uow.evidence.last_revision(obligation.id) + 1
    relative = f"evidence/{obligation.id}/{revision}-{sha256}"
    files.write(relative, command.content)
    evidence = Evidence(
        id=uuid.uuid4(),
        obligation_id=obligation.id,
        revision=revision,
        sha256=sha256,
        file_name=command.file_name,
        media_type=media_type,
        size_bytes=len(command.content),
        path=relative,
        uploaded_by=command.by,
        created_at=utcnow(),
    )
    uow.evidence.add(evidence)
    uow.commit()
    return evidence
