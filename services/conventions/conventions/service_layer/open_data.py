"""The legal open data of the subsidy conventions (SCDL « Subventions » 2.1.1, decision 0029): the read
model that the public URL answers, and the use case of the job that publishes it as a file."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from cnum_shared.core import legal
from cnum_shared.core.exports import csv_bytes
from cnum_shared.core.legal import Wave
from conventions.adapters.orm import Convention
from conventions.domain.open_data import SCDL_FIELDS, Publication, SignedConvention, publication, scdl_row
from conventions.service_layer.commands import PublishOpenData
from conventions.service_layer.conventions import funding_periods_of
from conventions.service_layer.unit_of_work import ConventionsUnitOfWork

#: Where the job writes the file, under the service's var directory (`CNUM_VAR_DIR`).
OPEN_DATA_FILE = "open-data/subventions.csv"


@dataclass(frozen=True)
class OpenDataTable:
    """The SCDL file's rows, and how many signed conventions each publication decision covered."""

    rows: tuple[tuple[str, ...], ...]
    counts: Counter[Publication] = field(default_factory=Counter)

    def csv(self) -> bytes:
        """The file as the schema describes it: UTF-8 without a BOM, comma-separated, its header the
        schema's field names."""
        return csv_bytes(SCDL_FIELDS, self.rows, bom=False)


def signed_convention(convention: Convention) -> SignedConvention:
    """What the open data reads of a signed convention."""
    assert convention.signed_on is not None  # only signed conventions are read
    due_dates = {tranche.due_on for tranche in convention.tranches if tranche.due_on is not None}
    return SignedConvention(
        reference=convention.reference,
        signed_on=convention.signed_on,
        wave=Wave(convention.wave),
        beneficiary_name=convention.structure.name,
        beneficiary_identifier=convention.structure.siret,
        initial_posts=convention.initial_posts,
        posts=convention.posts,
        total_amount=convention.total_amount,
        funding_periods=tuple(funding_periods_of(convention)),
        # Tranche 1 falls due on the signing date, whatever the planned rows say.
        payment_dates=tuple(sorted(due_dates | {convention.signed_on})),
    )


def subsidies_open_data(uow: ConventionsUnitOfWork, as_of: date) -> OpenDataTable:
    """The rows of every convention signed on or before `as_of` that the décret publishes, by signing
    date and reference; the threshold and the attributing body are those in force on each signing date."""
    rows: list[tuple[str, ...]] = []
    counts: Counter[Publication] = Counter()
    for convention in uow.conventions.signed_through(as_of):
        facts = signed_convention(convention)
        decision = publication(facts, legal.open_data_threshold(facts.signed_on, tree=uow.parameters))
        counts[decision] += 1
        if decision is Publication.PUBLISHED:
            rows.append(scdl_row(facts, legal.attributing_body(facts.signed_on, tree=uow.parameters)))
    return OpenDataTable(tuple(rows), counts)


def publish_open_data(uow: ConventionsUnitOfWork, command: PublishOpenData) -> str:
    """Write the file under the var directory, atomically (a reader never sees half of it); a second
    run for the same date writes the same bytes. Returns the job's one-line summary."""
    table = subsidies_open_data(uow, command.as_of)
    content = table.csv()
    uow.files.write(OPEN_DATA_FILE, content)
    return (
        f"{OPEN_DATA_FILE}: {len(table.rows)} conventions published "
        f"({table.counts[Publication.BELOW_THRESHOLD]} below the threshold, "
        f"{table.counts[Publication.NO_SIRET]} without a SIRET), "
        f"sha256 {hashlib.sha256(content).hexdigest()}"
    )
