"""What a document template sees: raw values of a convention, an avenant or a contract, written in French.

A template only ever receives strings, lists and dicts. Every amount, date, count and code is formatted
here, once, with the project's helpers (`cnum_shared.core.money`): the template cannot format an amount on its
own, so two templates can never write the same amount differently. The schemas also say which variables
a template may use (`declared_variables`), which is what the template linter checks an upload against.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date
from decimal import Decimal
from typing import Any

from marshmallow import Schema, fields, missing
from num2words import num2words

from cnum_shared.core import legal
from cnum_shared.core.identifiers import IDENTIFIER_LABELS, InvalidIdentifier, identifier_kind
from cnum_shared.core.money import (
    amount_in_words_fr,
    format_date_fr,
    format_decimal_fr,
    format_eur_fr,
    quantize_cents,
)
from cnum_shared.core.parameters import ParameterNode
from cnum_shared.core.territories import UnknownTerritory, territory
from conventions.domain.contracts import CONTRACT_TYPE_LABELS as _CONTRACT_TYPE_LABELS

#: Written where a date is not known yet (a signature to come): the signatory fills it in by hand.
#: The legal parameters the context being dumped reads its labels from (set by template_context).
_TREE: ContextVar[ParameterNode | None] = ContextVar("cnum_document_parameters", default=None)

BLANK = "____________"
#: The first tranche is paid on signature; before signature it has no date yet.
ON_SIGNATURE = "à la signature"
#: A structure whose legal representative is not on file.
TO_BE_COMPLETED = "son représentant légal (nom et qualité à compléter)"
#: A structure whose BIC is not on file (the IBAN is enough for a SEPA transfer).
NOT_PROVIDED = "non communiqué"

#: Written where an amount does not apply (nothing paid, nothing to recover on a tranche).
NONE_DASH = "—"
#: The structure types that sign the contrat d'engagement républicain (loi n° 2000-321, art. 10-1).
REPUBLICAN_COMMITMENT_TYPES = frozenset({"association", "fondation"})
#: The departments where associations are those of the local civil code (Bas-Rhin, Haut-Rhin, Moselle).
LOCAL_LAW_DEPARTMENTS = frozenset({"57", "67", "68"})

KIND_LABELS = {"public": "structure publique", "private": "structure privée"}
WAVE_LABELS = {
    "initial": "conventionnement initial (France Relance)",
    "renewal": "convention de renouvellement",
}
CONTRACT_TYPE_LABELS: dict[str, str] = {code.value: label for code, label in _CONTRACT_TYPE_LABELS.items()}


class InvalidDocumentData(ValueError):
    """The raw values cannot be written in a document (an unknown code, a missing amount…)."""


# --- Fields: one raw value in, one French string out --------------------------------------------------


class _Field(fields.Field[Any]):
    """A field that may write another key's value: `kind_label` is written from `kind`.

    marshmallow refuses two fields with the same `attribute`, hence `source`.
    """

    def __init__(self, *, source: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = missing) -> Any:
        return super().get_value(obj, self.source or attr, accessor=accessor, default=default)


class Text(_Field):
    """A string as the user typed it; the renderer makes it XML-safe, never the template."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        if value is None:
            raise InvalidDocumentData(f"{attr} : valeur manquante")
        return str(value)


class OptionalText(_Field):
    """A string that may be absent; `when_absent` is written instead."""

    def __init__(self, when_absent: str, **kwargs: Any) -> None:
        super().__init__(dump_default=None, **kwargs)
        self.when_absent = when_absent

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        text = "" if value is None else str(value).strip()
        return text or self.when_absent


class Iban(_Field):
    """An IBAN in groups of four, as a bank statement prints it ("FR76 3000 1000 …")."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        compact = "".join(str(value or "").split()).upper()
        if not compact:
            raise InvalidDocumentData(f"{attr} : IBAN manquant")
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


class Count(_Field):
    """A whole number in figures."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        return str(_whole(value, attr))


class CountOf(_Field):
    """A count with its noun, in figures and words, as a legal text writes it: "2 (deux) postes"."""

    def __init__(self, noun: str, plural: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.noun, self.plural = noun, plural

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        number = _whole(value, attr)
        return f"{number} ({_words(number)}) {self.noun if number <= 1 else self.plural}"


class FrenchDate(_Field):
    """A date as a French legal text writes it ("1er janvier 2026"); `when_absent` when there is none."""

    def __init__(self, when_absent: str | None = None, **kwargs: Any) -> None:
        if when_absent is not None:
            kwargs.setdefault("dump_default", None)
        super().__init__(**kwargs)
        self.when_absent = when_absent

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        if value is None:
            if self.when_absent is None:
                raise InvalidDocumentData(f"{attr} : date manquante")
            return self.when_absent
        if not isinstance(value, date):
            raise InvalidDocumentData(f"{attr} : une date est attendue, pas {type(value).__name__}")
        return format_date_fr(value)


class Euros(_Field):
    """An amount in figures ("67 500,00 €", with Babel's no-break spaces)."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        return format_eur_fr(_amount(value, attr))


class EurosInWords(_Field):
    """An amount in words ("soixante-sept mille cinq cents euros")."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        return amount_in_words_fr(_amount(value, attr))


class OptionalEuros(_Field):
    """An amount in figures, or `when_absent` (a dash) when there is none (a tranche with nothing paid)."""

    def __init__(self, when_absent: str = "—", **kwargs: Any) -> None:
        kwargs.setdefault("dump_default", None)
        super().__init__(**kwargs)
        self.when_absent = when_absent

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        return self.when_absent if value is None else format_eur_fr(_amount(value, attr))


class Hours(_Field):
    """A number of hours in French notation, without useless decimals ("35", "17,5")."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise InvalidDocumentData(f"{attr} : un nombre d'heures est attendu")
        number = Decimal(value)
        return format_decimal_fr(int(number) if number == number.to_integral_value() else number.normalize())


class Label(_Field):
    """The French label of a code ("public" → "structure publique")."""

    def __init__(self, labels: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.labels = labels

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        try:
            return self.labels[str(value)]
        except KeyError:
            raise InvalidDocumentData(f"{attr} : code inconnu {value!r}") from None


class Flag(_Field):
    """A yes/no the template tests with `{%p if … %}`: "oui", or "" (false in Jinja) when not."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        if not isinstance(value, bool):
            raise InvalidDocumentData(f"{attr} : oui ou non attendu")
        return "oui" if value else ""


class Delay(_Field):
    """A delay of the law in words, as a legal text writes it: "un mois", "quinze jours", "six mois".

    The raw value has `months` (whole or half) and `days`, like `legal.Deadline`.
    """

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        months = Decimal(_part(value, "months", attr))
        days = _part(value, "days", attr)
        whole = int(months)
        half = months - whole
        if (
            months < 0
            or half not in (0, Decimal("0.5"))
            or isinstance(days, bool)
            or not isinstance(days, int)
        ):
            raise InvalidDocumentData(f"{attr} : délai illisible {value!r}")
        # Half a month is fifteen days (obligations.yaml: 1,5 mois = 1 mois et 15 jours).
        days += 15 if half else 0
        parts = []
        if whole:
            parts.append(f"{_words(whole)} mois")
        if days:
            parts.append(f"{_words(days)} jour{'s' if days > 1 else ''}")
        if not parts:
            return "sans délai"
        return " et ".join(parts)


class Words(_Field):
    """A whole number in words ("deux", "cinq")."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        return _words(_whole(value, attr))


class Numbers(_Field):
    """Whole numbers in figures, in a French enumeration ("70, 175 ou 315"); "" when there is none."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        numbers = [str(_whole(item, attr)) for item in value or ()]
        if len(numbers) <= 1:
            return "".join(numbers)
        return f"{', '.join(numbers[:-1])} ou {numbers[-1]}"


def _part(value: Any, key: str, attr: str | None) -> Any:
    found = value.get(key) if isinstance(value, Mapping) else getattr(value, key, None)
    if found is None:
        raise InvalidDocumentData(f"{attr} : délai sans {key}")
    return found


def _tree() -> ParameterNode:
    """The parameter tree `template_context` was given (set for the whole serialization)."""
    tree = _TREE.get()
    if tree is None:
        raise RuntimeError("document fields are serialized only inside template_context")
    return tree


class StructureTypeLabel(_Field):
    """The label of a structure type, as shared/parameters/structure_types.yaml writes it ("ccas" →
    "centre communal d'action sociale (CCAS)")."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        try:
            return legal.structure_type_label(str(value), tree=_tree())
        except legal.UnknownStructureType:
            raise InvalidDocumentData(f"{attr} : code inconnu {value!r}") from None


class IdentifierLabel(_Field):
    """What the structure's identifier is called: "SIRET", or "RIDET", "TAHITI" where it has none."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        try:
            return IDENTIFIER_LABELS[identifier_kind(str(value))]
        except InvalidIdentifier as error:
            raise InvalidDocumentData(f"{attr} : {error}") from None


class DepartmentName(_Field):
    """The department's name from its code ("974" → "La Réunion")."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        try:
            return territory(str(value)).name
        except UnknownTerritory as error:
            raise InvalidDocumentData(str(error)) from None


def _whole(value: Any, attr: str | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidDocumentData(f"{attr} : un nombre entier est attendu")
    return value


def _amount(value: Any, attr: str | None) -> Decimal:
    # Floats are refused by quantize_cents; a missing amount must not become "0,00 €" on a signed page.
    if value is None:
        raise InvalidDocumentData(f"{attr} : montant manquant")
    try:
        return quantize_cents(value)
    except (TypeError, ValueError) as error:
        raise InvalidDocumentData(f"{attr} : {error}") from None


def _words(number: int) -> str:
    words = num2words(number, lang="fr")
    return str(words)


# --- Schemas: one per part of a document --------------------------------------------------------------


class DocumentSchema(Schema):
    reference = Text()
    generated_on = FrenchDate()


class StructureSchema(Schema):
    name = Text()
    siret = Text()
    identifier_label = IdentifierLabel(source="siret")
    kind = Text()
    kind_label = Label(KIND_LABELS, source="kind")
    structure_type = Text()
    structure_type_label = StructureTypeLabel(source="structure_type")
    address = Text()
    postcode = Text()
    city = Text()
    department = Text()
    department_name = DepartmentName(source="department")
    email = Text()
    iban = Iban()
    bic = OptionalText(NOT_PROVIDED)
    legal_representative = OptionalText(TO_BE_COMPLETED)
    #: "oui" for an association or a foundation (contrat d'engagement républicain), else "".
    association_or_foundation = fields.Method("_association_or_foundation")
    #: "oui" for an association of the local law of 1908 (Moselle, Bas-Rhin, Haut-Rhin), else "".
    local_law_association = fields.Method("_local_law_association")

    def _association_or_foundation(self, structure: Mapping[str, Any]) -> str:
        return "oui" if structure.get("structure_type") in REPUBLICAN_COMMITMENT_TYPES else ""

    def _local_law_association(self, structure: Mapping[str, Any]) -> str:
        local = structure.get("department") in LOCAL_LAW_DEPARTMENTS
        return "oui" if local and structure.get("structure_type") == "association" else ""


class ConventionSchema(Schema):
    reference = Text()
    wave = Text()
    wave_label = Label(WAVE_LABELS, source="wave")
    posts = Count()
    posts_text = CountOf("poste", "postes", source="posts")
    start_date = FrenchDate()
    end_date = FrenchDate()
    duration_months = Count()
    funded_months = Count()
    amount_per_post = Euros()
    amount_per_post_words = EurosInWords(source="amount_per_post")
    total_amount = Euros()
    total_amount_words = EurosInWords(source="total_amount")
    signed_on = FrenchDate(when_absent=BLANK)
    #: The zones of the renewal bonus on the convention's start: "QPV ou ZRR", then "QPV ou FRR".
    bonus_zones = Text()
    bonus_zones_label = Text()
    renewal_bonus_sentence = fields.Method("_renewal_bonus_sentence")
    #: A renewal's amount per post for each convention year: "17 500,00 € la première année, …".
    yearly_amounts_text = fields.Method("_yearly_amounts_text")

    def _yearly_amounts_text(self, convention: Mapping[str, Any]) -> str:
        return _by_year(convention.get("yearly_amounts") or (), "yearly_amounts")

    def _renewal_bonus_sentence(self, convention: Mapping[str, Any]) -> str:
        """A sentence that follows the amount per post when it includes the renewal bonus, else nothing."""
        try:
            applies, zones = convention["renewal_bonus"], convention["bonus_zones_label"]
        except KeyError as error:
            raise InvalidDocumentData(f"{error.args[0]} : valeur manquante") from None
        if not isinstance(applies, bool):
            raise InvalidDocumentData("renewal_bonus : oui ou non attendu")
        if not applies:
            return ""
        bonuses = _by_year(convention.get("yearly_bonuses") or (), "yearly_bonuses", skip_zero=True)
        return (
            " Ce montant comprend la bonification du renouvellement accordée aux structures publiques "
            f"situées en {zones}" + (f", soit {bonuses}." if bonuses else ".")
        )


def _ordinal_feminine(number: int) -> str:
    return "première" if number == 1 else str(num2words(number, lang="fr", to="ordinal"))


def _by_year(amounts: Any, attr: str, *, skip_zero: bool = False) -> str:
    """Amounts per convention year in a French enumeration; "" when there are none."""
    parts = [
        f"{format_eur_fr(_amount(amount, attr))} la {_ordinal_feminine(year)} année"
        for year, amount in enumerate(amounts, start=1)
        if not (skip_zero and _amount(amount, attr) == 0)
    ]
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} et {parts[-1]}"


class AmendedConventionSchema(ConventionSchema):
    posts_before = Count()
    posts_before_text = CountOf("poste", "postes", source="posts_before")


class TrancheSchema(Schema):
    number = Count()
    due_on = FrenchDate(when_absent=ON_SIGNATURE)
    amount = Euros()
    amount_words = EurosInWords(source="amount")


class AmendedTrancheSchema(TrancheSchema):
    """A tranche of the schedule an avenant sets, with what was paid on it and what is to be recovered."""

    already_paid = OptionalEuros(NONE_DASH)
    to_recover = OptionalEuros(NONE_DASH)


class FundingPeriodSchema(Schema):
    """A funded period of one post and its monthly rate (article 6 of the convention)."""

    number = Count()
    starts_on = FrenchDate()
    ends_on = FrenchDate()
    months = Count()
    amount_per_post = Euros()
    monthly_rate = Euros()


class AmendmentSchema(Schema):
    number = Count()
    effective_date = FrenchDate()
    posts = Count()
    posts_text = CountOf("poste", "postes", source="posts")
    reason = Text()
    #: The day the structure asked for the avenant.
    requested_on = FrenchDate(when_absent=BLANK)
    #: The end of the advisor's contract that causes the avenant, "" when none does.
    contract_ended_on = FrenchDate(when_absent="")
    #: What was paid under the convention when the avenant was drawn up, and on which day.
    # Blank lines to fill by hand until the payments' figures reach the avenant.
    paid_as_of = FrenchDate(when_absent=BLANK)
    paid_to_date = OptionalEuros(BLANK)
    amount_to_recover = OptionalEuros(BLANK)
    total_before = Euros()
    new_total_amount = Euros()
    new_total_amount_words = EurosInWords(source="new_total_amount")
    signed_on = FrenchDate(when_absent=BLANK)


class EmployeeSchema(Schema):
    first_name = Text()
    last_name = Text()
    birth_date = FrenchDate()


class ContractSchema(Schema):
    contract_type = Text()
    contract_type_label = Label(CONTRACT_TYPE_LABELS, source="contract_type")
    #: When the employee's current contract (or post) began; blank on a move recorded before it was asked.
    original_start_date = FrenchDate(when_absent=BLANK)
    start_date = FrenchDate()
    # Blank lines to fill by hand when not on file.
    place_of_work = OptionalText(BLANK)
    #: The line manager's name and title.
    line_manager = OptionalText(BLANK)
    #: A grade and échelon (public law) or a collective agreement's coefficient (private law).
    classification = OptionalText(BLANK)
    #: The collective agreement that applies, "" for a public employer.
    collective_agreement = OptionalText("")
    #: "public" or "private", from the employer's kind: which law governs the contract.
    employment_law = Text()
    #: "contractuel" or "titulaire" for a public employer, "" under private law.
    public_status = OptionalText("")
    weekly_hours = Hours()
    gross_monthly_salary = Euros()
    gross_monthly_salary_words = EurosInWords(source="gross_monthly_salary")
    signed_on = FrenchDate(when_absent=BLANK)


class LawSchema(Schema):
    """The figures of the law a document states, read from the dated parameters on its legal date with
    the functions the engine itself uses (content.py): a template never writes one."""

    candidate_presentation_delay = Delay()
    candidate_selection_delay = Delay()
    contract_signature_delay = Delay()
    training_entry_delay = Delay()
    #: The initial training paths' hours ("70, 175 ou 315"); "" before the 2024 wording.
    training_paths_hours = Numbers()
    certification_exams_delay = Delay()
    thematic_modules_delay = Delay()
    thematic_modules_count = Words()
    thematic_modules_hours = Numbers()
    weekly_hours = Hours()
    #: When the equipment is due: "dès le premier jour de son contrat"…
    equipment_due = fields.Method("_equipment_due")
    post_refill_delay = Delay()
    final_report_delay = Delay()
    termination_notice = Delay()
    repayment_delay = Delay()
    force_majeure_delay = Delay()
    financial_report_delay = Delay()
    #: "oui" when the contrat d'engagement républicain is in force on the document's date, else "".
    republican_commitment = Flag()
    retention_years = Words()
    #: The day the professional title became « médiateur numérique ».
    title_since = FrenchDate()

    def _equipment_due(self, law: Mapping[str, Any]) -> str:
        try:
            from_start, delay = law["equipment_from_contract_start"], law["equipment_delay"]
        except KeyError as error:
            raise InvalidDocumentData(f"{error.args[0]} : valeur manquante") from None
        event = "du début de son contrat" if from_start else "de la signature de son contrat"
        if (
            _part(delay, "days", "equipment_delay") == 0
            and Decimal(_part(delay, "months", "equipment_delay")) == 0
        ):
            return "dès le premier jour de son contrat" if from_start else "dès la signature de son contrat"
        return f"au plus tard {Delay().serialize('delay', {'delay': delay})} à compter {event}"


# --- The final statement and the recovery order: payments' figures, as its events carried them ---------

#: What the final statement concludes: the agency still owes (`to_pay`), the structure owes back
#: (`to_recover`), or nothing is left either way (`nil`).
STATEMENT_OUTCOMES = ("to_pay", "to_recover", "nil")
#: What closing booked: a payable line, a recovery, or nothing.
SETTLEMENT_KINDS = ("payment", "recovery", "none")
RECOVERY_KIND_LABELS = {
    "post_ended": "fin d'un poste avant le terme de la période financée",
    "regularisation": "régularisation d'une tranche réglée, après un avenant de réduction",
    "final_statement": "solde du décompte final, à la clôture de la convention",
}
TRANCHE_STATUS_LABELS = {"approved": "approuvée", "paid": "versée"}
#: A post that no contract occupied.
POST_NOT_FILLED = "poste non pourvu"


def _contract_label(contract_type: Any) -> str:
    """ "contrat à durée déterminée (CDD)", or "contrat" when conventions does not know the contract."""
    if contract_type is None:
        return "contrat"
    try:
        return CONTRACT_TYPE_LABELS[str(contract_type)]
    except KeyError:
        raise InvalidDocumentData(f"contract_type : code inconnu {contract_type!r}") from None


def _months(number: int) -> str:
    return f"{number} mois"


class StatementPostSchema(Schema):
    """A post of the final statement: the months it was occupied, by which contracts, what it earned."""

    number = Count()
    months = Count()
    earned = Euros()
    #: "contrat à durée déterminée (CDD) du 1er avril 2021 au 30 septembre 2022 : 18 mois, 40 500,00 €; …"
    contracts_text = fields.Method("_contracts_text")

    def _contracts_text(self, post: Mapping[str, Any]) -> str:
        parts = []
        for contract in post.get("contracts") or ():
            try:
                start, until = contract["occupied_from"], contract["occupied_until"]
                months, earned = contract["months"], contract["earned"]
            except KeyError as error:
                raise InvalidDocumentData(f"contracts.{error.args[0]} : valeur manquante") from None
            parts.append(
                f"{_contract_label(contract.get('contract_type'))} du {format_date_fr(start)} au "
                f"{format_date_fr(until)} : {_months(_whole(months, 'months'))}, "
                f"{format_eur_fr(_amount(earned, 'earned'))}"
            )
        return " ; ".join(parts) if parts else POST_NOT_FILLED


class StatementSchema(Schema):
    """The figures of the final statement (decision 0030), as payments settled them."""

    closed_on = FrenchDate()
    as_of = FrenchDate()
    granted = Euros()
    earned = Euros()
    paid = Euros()
    #: earned − paid, with its sign ("-1 250,00 €" when the structure owes).
    balance = Euros()
    to_pay = Euros()
    to_pay_words = EurosInWords(source="to_pay")
    to_recover = Euros()
    to_recover_words = EurosInWords(source="to_recover")
    in_payment = Euros()
    claimed = Euros()
    to_settle = Euros()
    #: to_pay, to_recover or nil (STATEMENT_OUTCOMES): the template tests it.
    outcome = Label({outcome: outcome for outcome in STATEMENT_OUTCOMES})
    #: payment, recovery or none (SETTLEMENT_KINDS): what closing booked.
    settlement_kind = Label({kind: kind for kind in SETTLEMENT_KINDS})
    settlement_amount = OptionalEuros(NONE_DASH)
    #: The months of the convention all posts were occupied, in total.
    months = Count()
    posts = Count()
    posts_text = CountOf("poste", "postes", source="posts")


class RecoverySchema(Schema):
    """A recovery payments issued: what the order states, from `recovery.issued`."""

    kind = Label({kind: kind for kind in RECOVERY_KIND_LABELS})
    kind_label = Label(RECOVERY_KIND_LABELS, source="kind")
    amount = Euros()
    amount_words = EurosInWords(source="amount")
    issued_on = FrenchDate()
    pay_by = FrenchDate()
    #: The repayment delay the convention states, as payments counted `pay_by` with it.
    repayment_delay = Delay()
    payment_reference = Text()
    months_started = Count()
    months_started_text = CountOf("mois", "mois", source="months_started")
    earned = OptionalEuros(NONE_DASH)
    paid_per_post = OptionalEuros(NONE_DASH)
    #: The contract whose post ended (post_ended): its type and dates; "" otherwise.
    contract_label = fields.Method("_contract_label")
    contract_start = FrenchDate(when_absent="")
    contract_ended_on = FrenchDate(when_absent="")

    def _contract_label(self, recovery: Mapping[str, Any]) -> str:
        if recovery.get("kind") != "post_ended":
            return ""
        return _contract_label(recovery.get("contract_type"))


class PeriodEarningSchema(Schema):
    """A funded period of the post that ended: the months it was occupied × the period's monthly rate."""

    period = Count()
    starts_on = FrenchDate(when_absent="")
    ends_on = FrenchDate(when_absent="")
    months = Count()
    monthly_rate = Euros()
    earned = Euros()


class RecoveryComputationSchema(Schema):
    """The recovery's computation as payments stored it; only the kind's own part is filled (the funded
    periods of a post that ended are the context's `periods`)."""

    #: regularisation: the tranche, what the avenant made it, what it stood for, the reduction.
    tranche = OptionalText(NONE_DASH)
    #: "approuvée" or "versée": what the tranche was when the avenant reduced it.
    tranche_status_label = fields.Method("_tranche_status_label")
    signed = OptionalEuros(NONE_DASH)
    already = OptionalEuros(NONE_DASH)
    reduction = OptionalEuros(NONE_DASH)
    #: final_statement: the statement's figures.
    as_of = FrenchDate(when_absent="")
    granted = OptionalEuros(NONE_DASH)
    earned = OptionalEuros(NONE_DASH)
    paid = OptionalEuros(NONE_DASH)
    balance = OptionalEuros(NONE_DASH)
    in_payment = OptionalEuros(NONE_DASH)
    claimed = OptionalEuros(NONE_DASH)
    to_settle = OptionalEuros(NONE_DASH)

    def _tranche_status_label(self, computation: Mapping[str, Any]) -> str:
        status = computation.get("tranche_status")
        return "" if status is None else TRANCHE_STATUS_LABELS.get(str(status), "")


class AccountSchema(Schema):
    """The account to pay to: the agency's, as payments named it on the recovery."""

    name = Text()
    iban = Iban()
    bic = OptionalText(NOT_PROVIDED)


class ConventionContextSchema(Schema):
    """The convention: the parties, the posts, the amount, the tranches."""

    document = fields.Nested(DocumentSchema)
    structure = fields.Nested(StructureSchema)
    convention = fields.Nested(ConventionSchema)
    tranches = fields.List(fields.Nested(TrancheSchema))
    funding_periods = fields.List(fields.Nested(FundingPeriodSchema))
    law = fields.Nested(LawSchema)


class ConventionAvenantContextSchema(Schema):
    """A convention avenant: the new number of posts, the new total, the whole schedule it sets, and
    the funded periods whose rates the clawback applies."""

    document = fields.Nested(DocumentSchema)
    structure = fields.Nested(StructureSchema)
    convention = fields.Nested(AmendedConventionSchema)
    amendment = fields.Nested(AmendmentSchema)
    tranches = fields.List(fields.Nested(AmendedTrancheSchema))
    funding_periods = fields.List(fields.Nested(FundingPeriodSchema))
    law = fields.Nested(LawSchema)


class ContractAvenantContextSchema(Schema):
    """The avenant moving an employee already on a CDI to the advisor post."""

    document = fields.Nested(DocumentSchema)
    structure = fields.Nested(StructureSchema)
    employee = fields.Nested(EmployeeSchema)
    contract = fields.Nested(ContractSchema)
    law = fields.Nested(LawSchema)


class FinalStatementContextSchema(Schema):
    """The final statement (décompte final) of a closed convention: per post and in total, payments'
    figures (decision 0033)."""

    document = fields.Nested(DocumentSchema)
    structure = fields.Nested(StructureSchema)
    convention = fields.Nested(ConventionSchema)
    statement = fields.Nested(StatementSchema)
    posts = fields.List(fields.Nested(StatementPostSchema))
    funding_periods = fields.List(fields.Nested(FundingPeriodSchema))
    law = fields.Nested(LawSchema)


class RecoveryOrderContextSchema(Schema):
    """The order (ordre de reversement) of an issued recovery: its computation, the amount, the account,
    the reference and the deadline (decision 0033)."""

    document = fields.Nested(DocumentSchema)
    structure = fields.Nested(StructureSchema)
    convention = fields.Nested(ConventionSchema)
    recovery = fields.Nested(RecoverySchema)
    computation = fields.Nested(RecoveryComputationSchema)
    #: post_ended: the months occupied and earned in each funded period; empty for the other kinds.
    periods = fields.List(fields.Nested(PeriodEarningSchema))
    pay_to = fields.Nested(AccountSchema)
    law = fields.Nested(LawSchema)


CONTEXT_SCHEMAS: dict[str, type[Schema]] = {
    "convention": ConventionContextSchema,
    "convention_avenant": ConventionAvenantContextSchema,
    "contract_avenant": ContractAvenantContextSchema,
    "final_statement": FinalStatementContextSchema,
    "recovery_order": RecoveryOrderContextSchema,
}


def _schema(template_name: str) -> Schema:
    try:
        return _schema_instance(CONTEXT_SCHEMAS[template_name])
    except KeyError:
        raise KeyError(f"modèle inconnu : {template_name!r}") from None


@functools.cache
def _schema_instance(schema: type[Schema]) -> Schema:
    # One instance per schema and process: building one copies every field (a fifth of a context), and
    # its fields and nested schemas refer to each other, which only a full garbage collection frees.
    # A dump keeps nothing on the instance (the tree is a context variable): threads share it.
    return schema()


def template_context(template_name: str, data: Mapping[str, Any], *, tree: ParameterNode) -> dict[str, Any]:
    """The context a template is rendered with: `data`'s raw values as French strings, the labels read
    from `tree` (the legal parameters; the programme's, loaded once, when not given).

    A key missing from `data` is left out of the context, so that rendering stops on it (StrictUndefined)
    instead of printing an empty string in a document someone will sign.
    """
    token = _TREE.set(tree)
    try:
        dumped = _schema(template_name).dump(data)
    finally:
        _TREE.reset(token)
    if not isinstance(dumped, dict):  # pragma: no cover - dump of a single object is a dict
        raise TypeError("a context is a mapping")
    return dumped


def declared_variables(template_name: str) -> set[str]:
    """The dotted names a template may use: "structure", "structure.name", "tranches", "tranches.amount"…

    The fields of the items of a list are named after the list ("tranches.amount" is what a loop
    `{% for t in tranches %}{{ t.amount }}` reads).
    """
    names: set[str] = set()
    _collect(_schema(template_name), "", names)
    return names


def _collect(schema: Schema, prefix: str, names: set[str]) -> None:
    for name, field in schema.dump_fields.items():
        path = f"{prefix}{field.data_key or name}"
        names.add(path)
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested) and isinstance(inner.schema, Schema):
            _collect(inner.schema, f"{path}.", names)


def _sample_law() -> dict[str, Any]:
    """The law on 15 January 2021 (the sample convention's signature), as content.py reads it."""

    def months(number: int) -> dict[str, Any]:
        return {"months": Decimal(number), "days": 0}

    def days(number: int) -> dict[str, Any]:
        return {"months": Decimal(0), "days": number}

    return {
        "candidate_presentation_delay": months(3),
        "candidate_selection_delay": months(1),
        "contract_signature_delay": days(15),
        "training_entry_delay": days(15),
        "training_paths_hours": (),
        "certification_exams_delay": months(6),
        "thematic_modules_delay": months(12),
        "thematic_modules_count": 2,
        "thematic_modules_hours": (7, 14),
        "weekly_hours": 35,
        "equipment_from_contract_start": True,
        "equipment_delay": days(0),
        "post_refill_delay": months(3),
        "final_report_delay": months(3),
        "termination_notice": days(30),
        "repayment_delay": days(30),
        "force_majeure_delay": months(1),
        "financial_report_delay": months(6),
        "republican_commitment": False,
        "retention_years": 5,
        "title_since": date(2025, 7, 13),
    }


def _sample_data() -> dict[str, dict[str, Any]]:
    law = _sample_law()
    document = {"reference": "CNUM-2021-00042", "generated_on": date(2021, 1, 5)}
    structure = {
        "name": "Commune du Tampon",
        "siret": "21974222800014",
        "kind": "public",
        "structure_type": "commune",
        "address": "256 rue Hubert-Delisle",
        "postcode": "97430",
        "city": "Le Tampon",
        "department": "974",
        "email": "inclusion-numerique@letampon.example",
        "iban": "FR7619806000000097443000114",
        "bic": "AGRIMQMX",
        "legal_representative": None,
    }
    convention = {
        "reference": "CNUM-2021-00042",
        "wave": "initial",
        "posts": 2,
        "start_date": date(2021, 1, 1),
        "end_date": date(2022, 12, 31),
        "duration_months": 24,
        "funded_months": 24,
        "amount_per_post": Decimal("67500.00"),
        "total_amount": Decimal("135000.00"),
        "signed_on": None,
        "bonus_zones": "QPV ou FRR",
        "bonus_zones_label": (
            "quartier prioritaire de la politique de la ville (QPV) ou zone France Ruralités "
            "Revitalisation (FRR)"
        ),
        "renewal_bonus": False,
        "yearly_amounts": [],
        "yearly_bonuses": [],
    }
    periods = [
        {
            "number": 1,
            "starts_on": date(2021, 1, 1),
            "ends_on": date(2022, 12, 31),
            "months": 24,
            "amount_per_post": Decimal("67500.00"),
            "monthly_rate": Decimal("2812.50"),
        }
    ]
    convention_data = {
        "document": document,
        "structure": structure,
        "convention": convention,
        "tranches": [
            {"number": 1, "due_on": None, "amount": Decimal("54000.00")},
            {"number": 2, "due_on": date(2022, 1, 1), "amount": Decimal("54000.00")},
            {"number": 3, "due_on": date(2023, 1, 1), "amount": Decimal("27000.00")},
        ],
        "funding_periods": periods,
        "law": law,
    }
    # Two posts from 1 January 2021, three from 1 July 2021: 135 000 + 1 × 67 500 × 18 ÷ 24 = 185 625 €,
    # the 50 625 € spread over tranches 2 and 3 (54 000 and 27 000) in proportion: +33 750 and +16 875.
    avenant_data = {
        "document": {**document, "reference": "CNUM-2021-00042-AV1"},
        "structure": structure,
        "convention": {**convention, "signed_on": date(2021, 1, 15), "posts_before": 2},
        "amendment": {
            "number": 1,
            "effective_date": date(2021, 7, 1),
            "posts": 3,
            "reason": "Attribution d'un poste supplémentaire par le comité de sélection national.",
            "requested_on": date(2021, 5, 20),
            "contract_ended_on": None,
            "paid_as_of": date(2021, 6, 15),
            "paid_to_date": Decimal("54000.00"),
            "amount_to_recover": Decimal("0.00"),
            "total_before": Decimal("135000.00"),
            "new_total_amount": Decimal("185625.00"),
            "signed_on": None,
        },
        "tranches": [
            {
                "number": 1,
                "due_on": date(2021, 1, 15),
                "amount": Decimal("54000.00"),
                "already_paid": Decimal("54000.00"),
                "to_recover": None,
            },
            {"number": 2, "due_on": date(2022, 1, 1), "amount": Decimal("87750.00")},
            {"number": 3, "due_on": date(2023, 1, 1), "amount": Decimal("43875.00")},
        ],
        "funding_periods": periods,
        "law": law,
    }
    contract_data = {
        "document": {**document, "reference": "CNUM-2026-00042-CT-3F2A1C"},
        "structure": structure,
        "employee": {"first_name": "Maëlle", "last_name": "Hoarau", "birth_date": date(1994, 3, 1)},
        "contract": {
            "contract_type": "cdi",
            "original_start_date": date(2019, 9, 1),
            "start_date": date(2026, 2, 1),
            "place_of_work": "Médiathèque du Tampon, 16 rue Victor-Le-Vigoureux, 97430 Le Tampon",
            "line_manager": "Mme Nadia Payet, directrice de la médiathèque",
            "classification": "adjoint territorial d'animation, 4e échelon",
            "collective_agreement": None,
            "employment_law": "public",
            "public_status": "contractuel",
            "weekly_hours": Decimal("35.00"),
            "gross_monthly_salary": Decimal("1850.00"),
            "signed_on": None,
        },
        # The law on 1 February 2026: the 2024 training paths, the 2025 refill delay, the 2022 commitment.
        "law": {
            **law,
            "training_paths_hours": (70, 175, 315),
            "post_refill_delay": {"months": Decimal(6), "days": 0},
            "republican_commitment": True,
        },
    }
    # Closed on 15 January 2023 as of the end, 31 December 2022: post 1 occupied 24 months (24 × 2 812,50
    # = 67 500), post 2 twelve (12 × 2 812,50 = 33 750): earned 101 250, paid 108 000 (tranches 1 and 2),
    # balance 101 250 − 108 000 = −6 750, recovered by the closing.
    statement_data = {
        "document": {**document, "reference": "CNUM-2021-00042-DF"},
        "structure": structure,
        "convention": {**convention, "signed_on": date(2021, 1, 15)},
        "statement": {
            "closed_on": date(2023, 1, 15),
            "as_of": date(2022, 12, 31),
            "granted": Decimal("135000.00"),
            "earned": Decimal("101250.00"),
            "paid": Decimal("108000.00"),
            "balance": Decimal("-6750.00"),
            "to_pay": Decimal("0.00"),
            "to_recover": Decimal("6750.00"),
            "in_payment": Decimal("0.00"),
            "claimed": Decimal("0.00"),
            "to_settle": Decimal("-6750.00"),
            "outcome": "to_recover",
            "settlement_kind": "recovery",
            "settlement_amount": Decimal("6750.00"),
            "months": 36,
            "posts": 2,
        },
        "posts": [
            {
                "number": 1,
                "months": 24,
                "earned": Decimal("67500.00"),
                "contracts": [
                    {
                        "contract_type": "cdd",
                        "occupied_from": date(2021, 1, 1),
                        "occupied_until": date(2022, 12, 31),
                        "months": 24,
                        "earned": Decimal("67500.00"),
                    }
                ],
            },
            {
                "number": 2,
                "months": 12,
                "earned": Decimal("33750.00"),
                "contracts": [
                    {
                        "contract_type": "cdd",
                        "occupied_from": date(2021, 1, 1),
                        "occupied_until": date(2021, 12, 20),
                        "months": 12,
                        "earned": Decimal("33750.00"),
                    }
                ],
            },
        ],
        "funding_periods": periods,
        "law": law,
    }
    order_data = {
        "document": {**document, "reference": "CNUM-2021-00042-OR-5A1B2C"},
        "structure": structure,
        "convention": {**convention, "signed_on": date(2021, 1, 15)},
        "recovery": {
            "kind": "final_statement",
            "amount": Decimal("6750.00"),
            "issued_on": date(2023, 1, 15),
            "pay_by": date(2023, 2, 14),
            "repayment_delay": {"months": 0, "days": 30},
            "payment_reference": "CNR5A1B2C3D4E5F60718293A4B5C6D7E8F9",
            "months_started": 36,
            "earned": Decimal("101250.00"),
            "paid_per_post": None,
            "contract_type": None,
            "contract_start": None,
            "contract_ended_on": None,
        },
        "periods": [],
        "computation": {
            "as_of": date(2022, 12, 31),
            "granted": Decimal("135000.00"),
            "earned": Decimal("101250.00"),
            "paid": Decimal("108000.00"),
            "balance": Decimal("-6750.00"),
            "in_payment": Decimal("0.00"),
            "claimed": Decimal("0.00"),
            "to_settle": Decimal("-6750.00"),
        },
        "pay_to": {
            "name": "Caisse des dépôts et consignations",
            "iban": "FR7640031000010000000000000",
            "bic": "CDCGFRPPXXX",
        },
        "law": law,
    }
    return {
        "convention": convention_data,
        "convention_avenant": avenant_data,
        "contract_avenant": contract_data,
        "final_statement": statement_data,
        "recovery_order": order_data,
    }


#: A realistic example of each template's raw values: the linter renders an uploaded template with it, so
#: that a mistake only a rendering shows (a filter applied to the wrong value…) is caught at upload.
SAMPLE_DATA = _sample_data()
