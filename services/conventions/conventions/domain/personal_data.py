"""How long an advisor's personal data is kept (DESIGN §5, RGPD art. 5-1-e) and what replaces it after.

The clock of retention is the file's end: a person's data serves the conventions they were presented on
or hired on, and is kept until the retention period has passed after the last of them ended, that is was
closed or terminated (`ended_on`), or after their contract's own recorded end when it is later. While
one of those conventions is still open, nothing is counted. Something kept until day D is erased from
D + 1 (DESIGN §3: due on D, overdue from D + 1).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from cnum_shared.core.dates import add_months
from cnum_shared.core.money import format_date_fr

#: The neutral values that replace a person's identity: the advisor's id, contracts and amounts stay,
#: for the accounts and the audit of the documents; nothing left tells who the person was.
ANONYMISED_FIRST_NAME = "Anonymisé"
ANONYMISED_LAST_NAME = "Anonymisé"
#: `.invalid` is reserved (RFC 2606): no one can receive mail there.
ANONYMISED_EMAIL = "anonymise@anonyme.invalid"
#: The column stays required (eligibility reads it on a contract's start); an anonymised person can no
#: longer be presented or hired, so this date is never checked against anything.
ANONYMISED_BIRTH_DATE = date(1900, 1, 1)


def retention_end(file_ended_on: date, years: int) -> date:
    """The last day the data of a file that ended on `file_ended_on` is kept (years added calendar-wise)."""
    return add_months(file_ended_on, 12 * years)


def kept_until(retention_ends: Iterable[date | None]) -> date | None:
    """The last day a person's data is kept: the latest end over their files; None (no end in sight)
    while one file is still open (`None` among the ends) or when the person is on no file at all."""
    latest: date | None = None
    for end in retention_ends:
        if end is None:
            return None
        latest = end if latest is None or end > latest else latest
    return latest


def past_retention(last_day_kept: date | None, as_of: date) -> bool:
    return last_day_kept is not None and as_of > last_day_kept


def anonymised_message(anonymised_on: date) -> str:
    return (
        f"Les données personnelles de ce conseiller ont été anonymisées le {format_date_fr(anonymised_on)}, "
        "au terme de leur durée de conservation après la fin de ses conventions."
    )


def purged_avenant_message(purged_on: date) -> str:
    return (
        "L'avenant au contrat de travail n'est plus conservé : il a été supprimé le "
        f"{format_date_fr(purged_on)} avec les données personnelles du conseiller, au terme de leur "
        "durée de conservation. Son empreinte SHA-256 reste enregistrée."
    )


def retention_message(last_day_kept: date | None, *, on_a_file: bool) -> str:
    if not on_a_file:
        return (
            "Ce conseiller n'a été présenté ni recruté sur aucune convention : aucune durée de conservation "
            "n'a commencé à courir."
        )
    if last_day_kept is None:
        return (
            "Les données personnelles sont conservées tant qu'une convention sur laquelle ce conseiller a "
            "été présenté ou recruté n'est pas close ou résiliée."
        )
    return f"Les données personnelles sont conservées jusqu'au {format_date_fr(last_day_kept)} inclus."
