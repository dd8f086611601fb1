"""A host structure's identifier: its SIRET, or where it has none, its RIDET or its numéro TAHITI.

DESIGN §4 asks for a valid SIRET (Luhn, via python-stdnum). New Caledonia and French Polynesia keep
their own registers, outside SIRENE: the programme's candidature form accepts a RIDET for a New
Caledonian structure, and a Polynesian one is known by its numéro TAHITI. Each is accepted only for a
structure of its territory; a SIRET is accepted everywhere. The formats and their sources are in
docs/decisions/0012-parameters-corrected.md.

The API field stays `siret` (clients rely on it); it holds whichever identifier the structure has, in
one stored form, so that the uniqueness of the column also holds across spellings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from stdnum.exceptions import ValidationError as NumberError
from stdnum.fr import siret as siret_numbers

from cnum_shared.core.territories import BusinessRegister, Territory


class IdentifierKind(StrEnum):
    SIRET = "siret"
    RIDET = "ridet"
    TAHITI = "tahiti"


#: How each kind is named in a French text ("immatriculée sous le numéro SIRET …").
IDENTIFIER_LABELS = {
    IdentifierKind.SIRET: "SIRET",
    IdentifierKind.RIDET: "RIDET",
    IdentifierKind.TAHITI: "TAHITI",
}

_SIRET = r"\d{14}"
#: Stored RIDET: 7 digits, then the establishment's 3 digits after a dot when given ("1234567.001").
_RIDET = r"\d{7}(?:\.\d{3})?"
#: Stored numéro TAHITI: 6 digits (before October 2011) or a letter and 5 digits, then the
#: establishment's 3 digits when given ("A12345", "A12345001").
_TAHITI = r"(?:\d{6}|[A-Z]\d{5})(?:\d{3})?"
#: Any stored identifier: what an event may carry (the rule by territory is `parse_identifier`'s).
STORED_IDENTIFIER = rf"^(?:{_SIRET}|{_RIDET}|{_TAHITI})$"

# What a user may type: a RIDET of 6 digits (the register's older numbers, which ANCT's own tools pad
# with a zero) or 7, then the establishment with or without its dot.
_TYPED_RIDET = re.compile(r"(\d{6,7})(?:\.?(\d{3}))?")
_TYPED_TAHITI = re.compile(r"(\d{6}|[A-Z]\d{5})(\d{3})?")

_SIRET_RULE = "un SIRET de 14 chiffres dont une clé de contrôle (algorithme de Luhn)"
_RIDET_RULE = (
    "un RIDET de 7 chiffres (un RIDET de 6 chiffres est complété d'un zéro à gauche), suivi le cas "
    "échéant des 3 chiffres de l'établissement (1234567 ou 1234567.001)"
)
_TAHITI_RULE = (
    "un numéro TAHITI de 6 caractères (une lettre et 5 chiffres, ou 6 chiffres pour un numéro attribué "
    "avant octobre 2011), suivi le cas échéant des 3 chiffres de l'établissement (A12345 ou A12345001)"
)


class InvalidIdentifier(ValueError):
    """Not an identifier a structure of that territory may have; the message says what is expected."""


@dataclass(frozen=True)
class StructureIdentifier:
    kind: IdentifierKind
    #: The stored form: no spaces, a RIDET's establishment after a dot, a TAHITI's letter in capitals.
    value: str

    @property
    def label(self) -> str:
        return IDENTIFIER_LABELS[self.kind]


def parse_identifier(raw: str, place: Territory | None) -> StructureIdentifier:
    """The identifier in its stored form, or InvalidIdentifier with a French message.

    `place` is the structure's territory; without one (an unknown department) only a SIRET is valid.
    """
    register = place.local_register if place is not None else BusinessRegister.SIRENE
    compact = "".join(str(raw).split())
    if not compact.isascii():
        raise InvalidIdentifier(_expected(place))
    if re.fullmatch(_SIRET, compact):
        try:
            return StructureIdentifier(IdentifierKind.SIRET, siret_numbers.validate(compact))
        except NumberError:
            raise InvalidIdentifier(f"SIRET invalide : {_SIRET_RULE}.") from None
    if register is BusinessRegister.RIDET and (ridet := _TYPED_RIDET.fullmatch(compact)):
        number, establishment = ridet.group(1).zfill(7), ridet.group(2)
        return StructureIdentifier(
            IdentifierKind.RIDET, f"{number}.{establishment}" if establishment else number
        )
    if register is BusinessRegister.TAHITI and _TYPED_TAHITI.fullmatch(compact.upper()):
        return StructureIdentifier(IdentifierKind.TAHITI, compact.upper())
    raise InvalidIdentifier(_expected(place))


def _expected(place: Territory | None) -> str:
    if place is not None and place.local_register is BusinessRegister.RIDET:
        return f"Identifiant invalide pour une structure de {place.name} : {_RIDET_RULE}, ou {_SIRET_RULE}."
    if place is not None and place.local_register is BusinessRegister.TAHITI:
        return f"Identifiant invalide pour une structure de {place.name} : {_TAHITI_RULE}, ou {_SIRET_RULE}."
    return (
        f"SIRET invalide : {_SIRET_RULE}. Un RIDET n'est accepté que pour une structure de "
        "Nouvelle-Calédonie (988), un numéro TAHITI que pour une structure de Polynésie française (987)."
    )


def identifier_kind(stored: str) -> IdentifierKind:
    """The kind of a stored identifier, from its form alone (the stored forms do not overlap)."""
    if re.fullmatch(_SIRET, stored):
        return IdentifierKind.SIRET
    if re.fullmatch(_RIDET, stored):
        return IdentifierKind.RIDET
    if re.fullmatch(_TAHITI, stored):
        return IdentifierKind.TAHITI
    raise InvalidIdentifier(f"Identifiant de structure inconnu : {stored!r}")
