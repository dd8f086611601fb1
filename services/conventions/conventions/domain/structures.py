"""Host structures: who may host advisors, and what makes their identity and bank details valid."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.exceptions import ValidationError as NumberError
from stdnum.fr import siret as siret_numbers

from cnum_shared.territories import UnknownTerritory, territory


class StructureKind(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class StructureType(StrEnum):
    COMMUNE = "commune"
    EPCI = "epci"
    DEPARTEMENT = "departement"
    REGION = "region"
    COLLECTIVITE_STATUT_PARTICULIER = "collectivite_statut_particulier"
    GIP = "gip"
    ETABLISSEMENT_PUBLIC = "etablissement_public"
    ASSOCIATION = "association"
    ENTREPRISE_ESS = "entreprise_ess"
    FONDATION = "fondation"
    AUTRE_PRIVE = "autre_prive"


PUBLIC_TYPES = frozenset(
    {
        StructureType.COMMUNE,
        StructureType.EPCI,
        StructureType.DEPARTEMENT,
        StructureType.REGION,
        StructureType.COLLECTIVITE_STATUT_PARTICULIER,
        StructureType.GIP,
        StructureType.ETABLISSEMENT_PUBLIC,
    }
)


class InvalidStructure(ValueError):
    """One or more fields break a rule; `problems` maps each field to its French messages."""

    def __init__(self, problems: Mapping[str, list[str]]) -> None:
        super().__init__("; ".join(f"{field}: {' '.join(messages)}" for field, messages in problems.items()))
        self.problems = dict(problems)


def kind_of(structure_type: StructureType) -> StructureKind:
    return StructureKind.PUBLIC if structure_type in PUBLIC_TYPES else StructureKind.PRIVATE


def normalized_iban(value: str) -> str:
    """The compact IBAN ("FR76…", no spaces), or `InvalidStructure`."""
    try:
        return str(IBAN(value).compact)
    except SchwiftyException:
        raise InvalidStructure({"iban": ["IBAN invalide (clé de contrôle ou format incorrect)."]}) from None


def structure_problems(fields: Mapping[str, object]) -> dict[str, list[str]]:
    """Every rule a structure's fields break, by field (empty when valid). Checks only the fields given."""
    problems: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    if "siret" in fields:
        try:
            siret_numbers.validate(str(fields["siret"]))
        except NumberError:
            problem("siret", "SIRET invalide : 14 chiffres dont une clé de contrôle (algorithme de Luhn).")
    if "iban" in fields:
        try:
            IBAN(str(fields["iban"]))
        except SchwiftyException:
            problem("iban", "IBAN invalide (clé de contrôle ou format incorrect).")
    if fields.get("bic") is not None:
        try:
            BIC(str(fields["bic"]))
        except SchwiftyException:
            problem("bic", "BIC invalide.")
    department = fields.get("department")
    if department is not None:
        try:
            place = territory(str(department))
        except UnknownTerritory as error:
            problem("department", str(error))
        else:
            postcode = fields.get("postcode")
            if postcode is not None and not place.accepts_postcode(str(postcode)):
                problem(
                    "postcode", f"Le code postal {postcode} n'appartient pas au département {place.code}."
                )
    if "kind" in fields and "structure_type" in fields:
        structure_type = StructureType(str(fields["structure_type"]))
        if kind_of(structure_type) != StructureKind(str(fields["kind"])):
            expected = "publique" if kind_of(structure_type) is StructureKind.PUBLIC else "privée"
            problem(
                "structure_type", f"Le type « {structure_type.value} » est celui d'une structure {expected}."
            )
    return problems
