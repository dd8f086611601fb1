"""Host structures: who may host advisors, and what makes their identity and bank details valid.

Which types of structure exist, whether each is public or private and whether it may host an advisor
are legal parameters (shared/parameters/structure_types.yaml), read on the date of the registration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from cnum_shared.core import legal
from cnum_shared.core.errors import Invalid
from cnum_shared.core.identifiers import InvalidIdentifier, parse_identifier
from cnum_shared.core.parameters import ParameterNode
from cnum_shared.core.state_machine import StateMachine, TransitionRefused
from cnum_shared.core.territories import Territory, UnknownTerritory, territory


class StructureKind(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


_KIND_WORDS = {StructureKind.PUBLIC: "publique", StructureKind.PRIVATE: "privée"}


@dataclass(frozen=True)
class StructureRuleViolation:
    """A rule that refuses the structure as a whole (not one field): `state_service_not_eligible`."""

    code: str
    message: str
    reference: str


class InvalidStructure(Invalid):
    """One or more fields break a rule; `problems` maps each field to its French messages, `rules` names
    the rules that refuse the structure itself (an ineligible type). A 422 naming the refusing rules, or
    "Structure invalide."."""

    def __init__(
        self, problems: Mapping[str, list[str]], rules: list[StructureRuleViolation] | None = None
    ) -> None:
        self.problems = dict(problems)
        self.rules = list(rules or [])
        errors: dict[str, object] = {"json": self.problems} if self.problems else {}
        if self.rules:
            errors["rules"] = [
                {"code": rule.code, "message": rule.message, "reference": rule.reference}
                for rule in self.rules
            ]
        super().__init__(
            " ".join(rule.message for rule in self.rules) or "Structure invalide.", errors=errors
        )

    def __str__(self) -> str:
        parts = [f"{field}: {' '.join(messages)}" for field, messages in self.problems.items()]
        return "; ".join(parts + [rule.message for rule in self.rules])


def kind_of(structure_type: str, on: date, *, tree: ParameterNode) -> StructureKind:
    """Public or private, as the parameters class the type on `on`."""
    return StructureKind(legal.structure_type(structure_type, on, tree=tree).kind.value)


def normalized_iban(value: str) -> str:
    """The compact IBAN ("FR76…", no spaces), or `InvalidStructure`."""
    try:
        return str(IBAN(value).compact)
    except SchwiftyException:
        raise InvalidStructure({"iban": ["IBAN invalide (clé de contrôle ou format incorrect)."]}) from None


def normalized_identifier(value: str, department: str) -> str:
    """The stored form of a SIRET, RIDET or numéro TAHITI (checked against the department)."""
    try:
        return parse_identifier(value, territory(department)).value
    except (InvalidIdentifier, UnknownTerritory) as error:
        raise InvalidStructure({"siret": [str(error)]}) from None


def structure_problems(
    fields: Mapping[str, object], on: date | None = None, *, tree: ParameterNode
) -> dict[str, list[str]]:
    """Every rule a structure's fields break, by field (empty when valid). Checks only the fields given.

    The identifier (`siret`) is read against the department when both are given: a RIDET belongs to
    New Caledonia, a numéro TAHITI to French Polynesia, a SIRET to any territory. The structure types
    are read on `on` (the registration day), needed when `kind` and `structure_type` are given.
    """
    problems: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    place: Territory | None = None
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
    if "siret" in fields:
        try:
            parse_identifier(str(fields["siret"]), place)
        except InvalidIdentifier as error:
            problem("siret", str(error))
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
    if "kind" in fields and "structure_type" in fields:
        if on is None:
            raise TypeError("the structure types are read on a date: pass `on`")
        structure_type = str(fields["structure_type"])
        try:
            expected = kind_of(structure_type, on, tree=tree)
        except legal.UnknownStructureType as error:
            problem("structure_type", str(error))
        else:
            if expected != StructureKind(str(fields["kind"])):
                words = _KIND_WORDS[expected]
                problem("structure_type", f"Le type « {structure_type} » est celui d'une structure {words}.")
    return problems


def eligibility_violations(
    structure_type: str, on: date, *, tree: ParameterNode
) -> list[StructureRuleViolation]:
    """The named rules that refuse a type of structure on `on` (State deconcentrated services)."""
    try:
        rule = legal.structure_type(structure_type, on, tree=tree)
    except legal.UnknownStructureType:
        return []  # a field problem, reported by structure_problems
    if rule.eligible or rule.refusal_rule is None:
        return []
    return [StructureRuleViolation(rule.refusal_rule, rule.refusal_message(), rule.reference)]


def check_structure(fields: Mapping[str, object], on: date, *, tree: ParameterNode) -> None:
    """InvalidStructure naming every field problem and every refusing rule, or nothing."""
    problems = structure_problems(fields, on, tree=tree)
    rules = (
        eligibility_violations(str(fields["structure_type"]), on, tree=tree)
        if "structure_type" in fields
        else []
    )
    if problems or rules:
        raise InvalidStructure(problems, rules)


class BankDetailsStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"


class BankDetailsAction(StrEnum):
    CONFIRM = "confirm"


def _bank_details_refusal(current: BankDetailsStatus, action: BankDetailsAction) -> TransitionRefused:
    refused = TransitionRefused(
        "bank_details_confirmed",
        "Ce changement de coordonnées bancaires est déjà confirmé.",
        machine="bank_details_change",
        current=str(current),
        event=str(action),
    )
    refused.errors = None  # the API has always answered the message alone
    return refused


#: A new IBAN is asked for, then confirmed once by a second officer (DESIGN §4).
BANK_DETAILS_MACHINE: StateMachine[BankDetailsStatus, BankDetailsAction] = StateMachine(
    "bank_details_change",
    BankDetailsStatus,
    BankDetailsAction,
    {(BankDetailsStatus.PENDING, BankDetailsAction.CONFIRM): BankDetailsStatus.CONFIRMED},
    labels={BankDetailsStatus.PENDING: "en attente", BankDetailsStatus.CONFIRMED: "confirmé"},
    refusal=_bank_details_refusal,
)


class UnacceptableUpload(ValueError):
    """An uploaded file (a RIB) that is not of a type we accept, or not whole: the message says why."""
