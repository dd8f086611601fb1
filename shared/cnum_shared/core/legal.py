"""Typed accessors to the legal parameters, the rules the three services call (DESIGN §3).

Each function takes the date the law attaches to the case (convention start, contract start, tranche
due date, approval day) and never reads the clock. Values come from the dated YAML under
`shared/parameters/`, as the parameter tree the caller hands over (`tree=`, required: a use case passes
`uow.parameters`, which its service's bootstrap loaded once); nothing here reads a global. The only
numbers here are the calendar's (52 weeks, 12 months).
Errors a user can cause (a start before the wave, a duration the wave does not allow) carry a French
message, ready for a 422.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from cnum_shared.core.dates import add_period
from cnum_shared.core.money import format_date_fr, format_decimal_fr, quantize_cents
from cnum_shared.core.parameters import (
    Parameter,
    ParameterNode,
    ParameterNotInForce,
    ParameterValue,
)
from cnum_shared.core.territories import SmicZone, Territory, UpliftGroup

# The monthly SMIC is hourly × weekly hours × 52 weeks / 12 months (the mensualisation formula the
# décrets apply: 35 h a week is 151.666… h a month, never the rounded 151.67).
WEEKS_PER_YEAR = 52
MONTHS_PER_YEAR = 12


class Wave(StrEnum):
    INITIAL = "initial"
    RENEWAL = "renewal"


class StructureKind(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


_WAVE_LABELS = {Wave.INITIAL: "vague initiale", Wave.RENEWAL: "vague de renouvellement"}
_KIND_LABELS = {StructureKind.PUBLIC: "structure publique", StructureKind.PRIVATE: "structure privée"}
_UPLIFT_PARAMETERS = {
    UpliftGroup.NONE: "standard",
    UpliftGroup.ANTILLES_GUYANE: "antilles_guyane",
    UpliftGroup.REUNION_MAYOTTE: "reunion_mayotte",
}

#: The obligation kinds of DESIGN §3, each a node under `obligations` with a `delay_months` or a
#: `delay_days` parameter.
OBLIGATION_KINDS = (
    "candidate_presentation",
    "candidate_selection",
    "contract_signature",
    "training_entry",
    "certification_exams",
    "thematic_modules",
    "continuing_training",
    "equipment",
    "activity_reporting",
    "post_refill",
    "final_report",
)


class OutsideWave(ValueError):
    """The convention starts before the wave's first date."""

    def __init__(
        self, wave: Wave, start: date, first_date: date | None, last_date: date | None = None
    ) -> None:
        since = f" : ses montants s'appliquent à partir du {format_date_fr(first_date)}" if first_date else ""
        if first_date and last_date:
            since = (
                f" : elle couvre les conventions qui commencent du {format_date_fr(first_date)} "
                f"au {format_date_fr(last_date)}"
            )
        label = _WAVE_LABELS[wave]
        super().__init__(
            f"Une convention de la {label} ne peut pas commencer le {format_date_fr(start)}{since}."
        )
        self.wave = wave
        self.start = start
        self.first_date = first_date


class InvalidDuration(ValueError):
    """The wave does not allow that convention length for that kind of structure."""

    def __init__(
        self, wave: Wave, kind: StructureKind, duration_months: int, allowed: tuple[int, ...]
    ) -> None:
        super().__init__(
            f"Durée de convention non autorisée : {duration_months} mois pour une {_KIND_LABELS[kind]} "
            f"({_WAVE_LABELS[wave]}) ; durées possibles : {_list_months(allowed)}."
        )
        self.wave = wave
        self.kind = kind
        self.duration_months = duration_months
        self.allowed = allowed


class FundingFrozen(ValueError):
    """The 2025 funding freeze forbids signing this (a new convention, an avenant adding posts)."""

    def __init__(self, what: str, signed_on: date, since: date, reference: str) -> None:
        super().__init__(
            f"Signature impossible le {format_date_fr(signed_on)} {what} : depuis le "
            f"{format_date_fr(since)}, le financement du dispositif est gelé et aucune nouvelle convention "
            f"ni aucun avenant qui ajoute des postes ne peut être signé ({reference})."
        )
        self.signed_on = signed_on
        self.since = since
        self.reference = reference


class UnknownObligationKind(ValueError):
    def __init__(self, kind: str) -> None:
        super().__init__(f"Type d'obligation inconnu : {kind!r}")
        self.kind = kind


class InconsistentParameters(RuntimeError):
    """Parameters that hold together (tranche shares and offsets) disagree: a parameter file is wrong."""


class NoSmicInZone(LookupError):
    """The zone has no SMIC table: its minimum wage is local (Wallis-et-Futuna, Polynesia, New Caledonia).

    Raised instead of applying the metropolitan SMIC there: a salary cannot be checked in such a zone.
    """

    def __init__(self, zone: SmicZone) -> None:
        super().__init__(
            "Le SMIC ne s'applique pas dans cette collectivité : son salaire minimum est fixé localement "
            "et cnum n'en a pas le barème, le salaire ne peut donc pas être contrôlé."
        )
        self.zone = zone


class UnknownStructureType(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(f"Type de structure inconnu : {code!r}")
        self.code = code


@dataclass(frozen=True)
class Smic:
    """The gross full-time SMIC of a zone on a date."""

    zone: SmicZone
    hourly: Decimal
    monthly: Decimal
    effective_from: date
    reference: str

    def describe_fr(self) -> str:
        """The figure and its date, as a refusal message states them."""
        return (
            f"SMIC brut mensuel de {format_decimal_fr(self.monthly)} € "
            f"({format_decimal_fr(self.hourly)} € de l'heure) en vigueur depuis le "
            f"{format_date_fr(self.effective_from)}"
        )


@dataclass(frozen=True)
class BonusZones:
    """The zones of the renewal bonus on a date: QPV, and ZRR until 30 June 2024 then FRR."""

    urban_short_name: str
    urban_label: str
    rural_short_name: str
    rural_label: str
    reference: str

    @property
    def short_name(self) -> str:
        """The zones in short: "QPV ou ZRR", then "QPV ou FRR"."""
        return f"{self.urban_short_name} ou {self.rural_short_name}"

    @property
    def label(self) -> str:
        """The zones as a document names them, with their acronyms."""
        return f"{self.urban_label} ({self.urban_short_name}) ou {self.rural_label} ({self.rural_short_name})"


@dataclass(frozen=True)
class StructureTypeRule:
    """A kind of host structure (commune, CCAS, ESH…): its label, public or private, and eligibility."""

    code: str
    label: str
    kind: StructureKind
    eligible: bool
    #: The named rule that refuses an ineligible type (`state_service_not_eligible`); None when eligible.
    refusal_rule: str | None
    #: The source of the type's eligibility (or of its refusal).
    reference: str

    def refusal_message(self) -> str:
        return (
            f"Une structure de type « {self.label} » n'est pas éligible au dispositif Conseiller numérique "
            "et ne peut pas être enregistrée."
        )


@dataclass(frozen=True)
class PlannedTranche:
    """One tranche of a convention's plan, per post: due `offset_months` after the convention start."""

    number: int
    offset_months: int
    amount_per_post: Decimal

    def amount_for(self, posts: int) -> Decimal:
        """The tranche of a convention of `posts` posts (exact: the per-post amount is in cents)."""
        if isinstance(posts, bool) or not isinstance(posts, int) or posts < 1:
            raise ValueError(f"a convention has at least one post, not {posts!r}")
        return quantize_cents(self.amount_per_post * posts)


@dataclass(frozen=True)
class FundingPeriod:
    """A stretch of a convention funded at one amount per post (DESIGN §4's clawback periods).

    Initial wave: one period, the funded months, at the amount per post. Renewal wave: one period per
    convention year, of twelve months, at that year's amount. A month of the convention earns
    `amount_per_post ÷ months` per post occupied in it.
    """

    number: int
    #: The period starts this many months after the convention's start date.
    offset_months: int
    months: int
    amount_per_post: Decimal

    @property
    def monthly_rate(self) -> Decimal:
        """The rate per month, rounded to the cent for display (computations use the exact fraction)."""
        return quantize_cents(self.amount_per_post / self.months)

    def overlap(self, first_month: int, last_month: int) -> int:
        """How many of the convention's months `first_month`..`last_month` (1-based) fall in this period."""
        first = max(first_month, self.offset_months + 1)
        last = min(last_month, self.offset_months + self.months)
        return max(0, last - first + 1)


@dataclass(frozen=True)
class Deadline:
    """How long a structure has to fulfil an obligation, from the event that creates it."""

    months: Decimal
    days: int
    reference: str

    def due_on(self, start: date) -> date:
        """The due date: on time on that day, overdue from the next."""
        return add_period(start, self.months, self.days)


@dataclass(frozen=True)
class AgeRange:
    """Completed years, both ends included."""

    minimum: int
    maximum: int

    def __contains__(self, age: object) -> bool:
        return isinstance(age, int) and self.minimum <= age <= self.maximum


@dataclass(frozen=True)
class ContractTypeRules:
    """The contracts an employer of one kind may sign for the post, for a contract starting on a date."""

    kind: StructureKind
    #: Contract type codes (`cdi`, `cdd`, `contrat_de_projet`, `titulaire`, `pec`).
    allowed_types: tuple[str, ...]
    #: The longest CDD in months; None when the programme sets none for that kind of employer.
    cdd_maximum_months: int | None


@dataclass(frozen=True)
class DueDate:
    """A due date worked out by a rule other than a plain delay, with its legal source."""

    due_on: date
    reference: str


@dataclass(frozen=True)
class ActivityReportingCadence:
    """The programme's reminders when no activity report (CRA) is filed."""

    reminder_months: tuple[Decimal, ...]
    escalation_days: int

    def reminder_dates(self, since: date) -> tuple[date, ...]:
        """The day of each reminder for a period without any report that began on `since`."""
        return tuple(add_period(since, months) for months in self.reminder_months)

    def escalation_date(self, since: date) -> date:
        """The day the compliance officer is brought in: this many days after the last reminder."""
        return self.reminder_dates(since)[-1] + timedelta(days=self.escalation_days)


@dataclass(frozen=True)
class ThematicModuleRules:
    count: int
    allowed_hours: tuple[int, ...]


# --- SMIC ---------------------------------------------------------------------------------------------


def smic_on(zone: SmicZone, on: date, *, tree: ParameterNode) -> Smic:
    """The SMIC of `zone` in force on `on` (ParameterNotInForce before the first known value)."""
    hourly = _smic_parameter(tree, zone).at(on)
    return _smic(SmicZone(zone), hourly, _weekly_hours(tree, hourly.effective_from))


def smic_changes(zone: SmicZone, after: date, until: date, *, tree: ParameterNode) -> list[Smic]:
    """Every SMIC of `zone` that took effect in (after, until]: the re-checks a contract needs."""
    parameter = _smic_parameter(tree, zone)
    return [
        _smic(SmicZone(zone), value, _weekly_hours(tree, value.effective_from))
        for value in parameter.history()
        if after < value.effective_from <= until
    ]


def full_time_weekly_hours(on: date, *, tree: ParameterNode) -> int:
    """The legal full-time week (35 h): a contract must be full time, and the SMIC is computed on it."""
    return _weekly_hours(tree, on)


def has_smic(zone: SmicZone, *, tree: ParameterNode) -> bool:
    """Whether the parameters hold a SMIC table for the zone (not in 986, 987, 988)."""
    return SmicZone(zone).value in tree.node("smic.hourly")


def _smic_parameter(root: ParameterNode, zone: SmicZone) -> Parameter:
    if not has_smic(zone, tree=root):
        raise NoSmicInZone(SmicZone(zone))
    return root.get(f"smic.hourly.{SmicZone(zone).value}")


def _smic(zone: SmicZone, hourly: ParameterValue, weekly_hours: int) -> Smic:
    rate = hourly.as_decimal()
    # Multiply before dividing so that only the final rounding touches the figure.
    monthly = quantize_cents(rate * weekly_hours * WEEKS_PER_YEAR / MONTHS_PER_YEAR)
    return Smic(zone, rate, monthly, hourly.effective_from, hourly.reference)


def _weekly_hours(root: ParameterNode, on: date) -> int:
    return root.get("smic.weekly_hours").at(on).as_int()


# --- Documents -------------------------------------------------------------------------------------------


def template_editions(*, tree: ParameterNode) -> tuple[tuple[date, str], ...]:
    """Each edition of the built-in templates and the day it comes into force, oldest first
    (documents.template_edition): a document is written in the edition in force on its legal date."""
    return tuple(
        (value.effective_from, str(value.value)) for value in tree.get("documents.template_edition").history()
    )


def template_edition(on: date, *, tree: ParameterNode) -> str:
    """The edition of the built-in templates in force on `on`."""
    return str(tree.get("documents.template_edition").at(on).value)


def template_edition_since(code: str, *, tree: ParameterNode) -> date:
    """The day the edition `code` of the built-in templates came into force (the date of the law that
    changed the wording: the 13 July 2025 title…), as a document cites it."""
    for effective_from, edition in template_editions(tree=tree):
        if edition == code:
            return effective_from
    raise InconsistentParameters(f"documents.template_edition has no edition {code!r}")


@dataclass(frozen=True)
class ConventionTerms:
    """The delays and dated clauses the convention's text states (convention.yaml), on its legal date."""

    termination_notice_days: int
    repayment_delay_days: int
    force_majeure_months: int
    financial_report_delay_months: int
    #: Whether an association or a foundation signs the contrat d'engagement républicain (from 2022).
    republican_commitment: bool


def convention_terms(on: date, *, tree: ParameterNode) -> ConventionTerms:
    node = tree.node("convention")
    return ConventionTerms(
        termination_notice_days=node.get("termination_notice_days").at(on).as_int(),
        repayment_delay_days=node.get("repayment_delay_days").at(on).as_int(),
        force_majeure_months=node.get("force_majeure_months").at(on).as_int(),
        financial_report_delay_months=node.get("financial_report_delay_months").at(on).as_int(),
        republican_commitment=node.get("republican_commitment").at(on).as_bool(),
    )


def initial_training_paths_hours(on: date, *, tree: ParameterNode) -> tuple[int, ...]:
    """The lengths (hours) of the initial training paths on `on`; none before the 2024 wording."""
    try:
        return tree.get("obligations.training_entry.paths_hours").at(on).as_ints()
    except ParameterNotInForce:
        return ()


# --- Waves, subsidy and tranches ----------------------------------------------------------------------


def wave_first_date(wave: Wave, *, tree: ParameterNode) -> date:
    """The first convention start date the wave's amounts apply to."""
    return tree.get(f"waves.{Wave(wave).value}.first_date").history()[0].as_date()


def funding_freeze(on: date, *, tree: ParameterNode) -> bool:
    """Whether the 2025 funding freeze is in force on `on`."""
    return tree.get("waves.funding_freeze").at(on).as_bool()


def check_funding_freeze(what: str, signed_on: date, *, tree: ParameterNode) -> None:
    """FundingFrozen when the freeze is in force on the signing date (DESIGN §3), citing its source."""
    value = tree.get("waves.funding_freeze").at(signed_on)
    if value.as_bool():
        raise FundingFrozen(what, signed_on, value.effective_from, value.reference.split(" — ")[0])


def allowed_durations(wave: Wave, kind: StructureKind, on: date, *, tree: ParameterNode) -> tuple[int, ...]:
    """The convention lengths (months) the wave allows a kind of structure, for a start on `on`."""
    _check_wave(tree, wave, on)
    value = tree.get(f"{_durations_node(wave, kind)}.allowed_months").at(on)
    return tuple(_whole_months(value, item) for item in value.as_decimals())


def funded_months(
    wave: Wave, kind: StructureKind, duration_months: int, on: date, *, tree: ParameterNode
) -> int:
    """How many months of the convention the subsidy covers (public initial wave: 24 of up to 36)."""
    _check_duration(tree, wave, kind, duration_months, on)
    value = tree.get(f"{_durations_node(wave, kind)}.funded_months_maximum").at(on)
    return min(duration_months, _whole_months(value, value.as_decimal()))


def subsidy_per_post(
    wave: Wave,
    kind: StructureKind,
    territory: Territory,
    duration_months: int,
    qpv_zrr: bool,
    on: date,
    *,
    tree: ParameterNode,
) -> Decimal:
    """The subsidy per post for the whole convention, for a convention starting on `on`.

    Initial wave: public by overseas group (50 000 / 70 000 / 67 500), private 32 000 for its 18 months;
    the QPV/ZRR flag plays no part. Renewal wave: the sum of the yearly amounts, public with or without
    the QPV/ZRR (FRR from 1 July 2024) bonus, private without (DESIGN §3 gives the bonus to public
    structures only).
    """
    _check_duration(tree, wave, kind, duration_months, on)
    if Wave(wave) is Wave.RENEWAL:
        return quantize_cents(sum(_yearly_amounts(tree, kind, qpv_zrr, on), Decimal(0)))
    return _initial_amount(tree, kind, territory, duration_months, on)


def funding_periods(
    wave: Wave,
    kind: StructureKind,
    territory: Territory,
    duration_months: int,
    qpv_zrr: bool,
    on: date,
    *,
    tree: ParameterNode,
) -> list[FundingPeriod]:
    """The funded periods of one post, in order: what article 6 states and the clawback applies."""
    if Wave(wave) is Wave.RENEWAL:
        _check_duration(tree, wave, kind, duration_months, on)
        yearly = _yearly_amounts(tree, kind, qpv_zrr, on)
        return [
            FundingPeriod(number, (number - 1) * MONTHS_PER_YEAR, MONTHS_PER_YEAR, amount)
            for number, amount in enumerate(yearly, start=1)
        ]
    funded = funded_months(wave, kind, duration_months, on, tree=tree)
    total = _initial_amount(tree, kind, territory, duration_months, on)
    return [FundingPeriod(1, 0, funded, total)]


def tranche_plan(
    wave: Wave,
    kind: StructureKind,
    territory: Territory,
    duration_months: int,
    qpv_zrr: bool,
    on: date,
    *,
    tree: ParameterNode,
) -> list[PlannedTranche]:
    """The tranches of one post, in order; their amounts always add up to `subsidy_per_post` exactly.

    Initial wave: the total is split by the parameter shares, each rounded to the cent, and the last
    tranche takes whatever rounding left. Renewal wave: one tranche per convention year, of that year's
    amount. Offsets count months from the convention start (tranche 1, at 0, is due on signature).
    """
    total = subsidy_per_post(wave, kind, territory, duration_months, qpv_zrr, on, tree=tree)
    funded = funded_months(wave, kind, duration_months, on, tree=tree)
    offsets_name = f"subsidy.{Wave(wave).value}.tranches.offsets_months.funded_{funded}_months"
    offsets_value = tree.get(offsets_name).at(on)
    offsets = [_whole_months(offsets_value, item) for item in offsets_value.as_decimals()]
    if Wave(wave) is Wave.RENEWAL:
        parts = list(_yearly_amounts(tree, kind, qpv_zrr, on))
    else:
        shares_value = tree.get("subsidy.initial.tranches.shares").at(on)
        shares = shares_value.as_decimals()
        if sum(shares, Decimal(0)) != 1:
            raise InconsistentParameters(f"{shares_value.name}: the shares add up to {sum(shares)}, not 1")
        parts = [quantize_cents(total * share) for share in shares]
    if len(parts) != len(offsets):
        raise InconsistentParameters(
            f"{offsets_value.name}: {len(offsets)} offsets for {len(parts)} tranches on {on.isoformat()}"
        )
    # The last tranche absorbs the rounding, so the plan always pays exactly the total.
    parts[-1] = total - sum(parts[:-1], Decimal(0))
    return [
        PlannedTranche(number, offset, amount)
        for number, (offset, amount) in enumerate(zip(offsets, parts, strict=True), start=1)
    ]


def _initial_amount(
    root: ParameterNode, kind: StructureKind, territory: Territory, duration_months: int, on: date
) -> Decimal:
    if StructureKind(kind) is StructureKind.PUBLIC:
        name = f"subsidy.initial.amount_per_post.public.{_UPLIFT_PARAMETERS[territory.uplift_group]}"
    else:
        # One private amount for the one duration the wave allows (18 months), checked by the caller.
        name = "subsidy.initial.amount_per_post.private"
    return root.get(name).at(on).as_decimal()


def _yearly_amounts(root: ParameterNode, kind: StructureKind, qpv_zrr: bool, on: date) -> tuple[Decimal, ...]:
    if renewal_bonus_applies(Wave.RENEWAL, kind, qpv_zrr):
        category = "public_qpv_zrr"
    else:
        category = "public" if StructureKind(kind) is StructureKind.PUBLIC else "private"
    return root.get(f"subsidy.renewal.yearly_amounts.{category}").at(on).as_decimals()


def renewal_yearly_amounts(
    kind: StructureKind, qpv_zrr: bool, on: date, *, tree: ParameterNode
) -> tuple[Decimal, ...]:
    """The renewal subsidy per post for each convention year, bonus included where it applies."""
    return _yearly_amounts(tree, kind, qpv_zrr, on)


def renewal_yearly_bonuses(on: date, *, tree: ParameterNode) -> tuple[Decimal, ...]:
    """The renewal bonus per post for each convention year: what a public structure in a QPV or a ZRR/FRR
    gets above a public structure elsewhere."""
    with_bonus = _yearly_amounts(tree, StructureKind.PUBLIC, True, on)
    without = _yearly_amounts(tree, StructureKind.PUBLIC, False, on)
    return tuple(quantize_cents(a - b) for a, b in zip(with_bonus, without, strict=True))


def renewal_bonus_applies(wave: Wave, kind: StructureKind, qpv_zrr: bool) -> bool:
    """Whether the amounts include the renewal bonus: a public renewal in a QPV or a ZRR/FRR (DESIGN §3)."""
    return Wave(wave) is Wave.RENEWAL and StructureKind(kind) is StructureKind.PUBLIC and bool(qpv_zrr)


def renewal_bonus_zones(on: date, *, tree: ParameterNode) -> BonusZones:
    """The zones of the renewal bonus as named on `on` (a convention's start): "QPV ou ZRR", "QPV ou FRR"."""
    node = tree.node("subsidy.bonus_zones")
    values = [
        node.get(name).at(on)
        for name in ("urban.short_name", "urban.label", "rural.short_name", "rural.label")
    ]
    urban_short, urban_label, rural_short, rural_label = (_text(value) for value in values)
    return BonusZones(
        urban_short_name=urban_short,
        urban_label=urban_label,
        rural_short_name=rural_short,
        rural_label=rural_label,
        reference="; ".join(dict.fromkeys(value.reference for value in values)),
    )


def _check_wave(root: ParameterNode, wave: Wave, on: date) -> None:
    """A convention belongs to the wave in force on its start date (DESIGN §3)."""
    node = f"waves.{Wave(wave).value}"
    first_date = root.get(f"{node}.first_date")
    try:
        first_date.at(on)
    except ParameterNotInForce:
        raise OutsideWave(Wave(wave), on, _first_value_date(first_date)) from None
    if "last_date" in root.node(node):
        last = root.get(f"{node}.last_date").at(on).as_date()
        if on > last:
            raise OutsideWave(Wave(wave), on, _first_value_date(first_date), last)


def _check_duration(
    root: ParameterNode, wave: Wave, kind: StructureKind, duration_months: int, on: date
) -> None:
    if isinstance(duration_months, bool) or not isinstance(duration_months, int):
        raise TypeError(f"a duration is a whole number of months, not {duration_months!r}")
    allowed = allowed_durations(wave, kind, on, tree=root)
    if duration_months not in allowed:
        raise InvalidDuration(Wave(wave), StructureKind(kind), duration_months, allowed)


def _durations_node(wave: Wave, kind: StructureKind) -> str:
    return f"subsidy.{Wave(wave).value}.durations.{StructureKind(kind).value}"


def _first_value_date(parameter: Parameter) -> date | None:
    history = parameter.history()
    return history[0].as_date() if history else None


def _whole_months(value: ParameterValue, months: Decimal) -> int:
    if months != months.to_integral_value():
        raise InconsistentParameters(f"{value.name}: {months} is not a whole number of months")
    return int(months)


# --- Obligations --------------------------------------------------------------------------------------


def deadline(kind: str, on: date, *, tree: ParameterNode) -> Deadline:
    """The delay of an obligation kind, read on the date of the event that creates it."""
    if kind not in OBLIGATION_KINDS:
        raise UnknownObligationKind(kind)
    node = tree.node(f"obligations.{kind}")
    months = days = None
    if "delay_months" in node:
        months = node.get("delay_months").at(on)
    if "delay_days" in node:
        days = node.get("delay_days").at(on)
    if months is None and days is None:
        raise InconsistentParameters(f"obligations.{kind} has neither delay_months nor delay_days")
    references = "; ".join(value.reference for value in (months, days) if value is not None)
    return Deadline(
        months=months.as_decimal() if months is not None else Decimal(0),
        days=days.as_int() if days is not None else 0,
        reference=references,
    )


def equipment_deadline(signed_on: date, start_date: date, *, tree: ParameterNode) -> DueDate:
    """When a contract's equipment is due: the parameters in force on its signature say whether the delay
    counts from the signature or from the contract's first day; never before the signature itself (a
    contract signed after it started owes it on signature)."""
    from_start = tree.get("obligations.equipment.counted_from_contract_start").at(signed_on)
    days = tree.get("obligations.equipment.delay_days").at(signed_on)
    counted_from = max(start_date, signed_on) if from_start.as_bool() else signed_on
    references = dict.fromkeys(value.reference for value in (from_start, days))
    return DueDate(counted_from + timedelta(days=days.as_int()), "; ".join(references))


def continuing_training_deadline(year: int, *, tree: ParameterNode) -> DueDate | None:
    """When the thematic module of calendar year `year` is due (read on 31 December of that year), or
    None for a year before the continuing-training rule."""
    year_end = date(year, 12, 31)
    try:
        delay = tree.get("obligations.continuing_training.delay_months").at(year_end)
    except ParameterNotInForce:
        return None
    return DueDate(add_period(year_end, delay.as_decimal()), delay.reference)


def due_soon_window_days(on: date, *, tree: ParameterNode) -> int:
    """An obligation is `due_soon` from this many days before its due date."""
    return tree.get("obligations.due_soon_days").at(on).as_int()


def escalation_delay_days(on: date, *, tree: ParameterNode) -> int:
    """After this many days overdue, the digest copies the compliance officer."""
    return tree.get("obligations.escalation_days").at(on).as_int()


def candidate_selection_reminder_days(on: date, *, tree: ParameterNode) -> int:
    """Days after a candidate's presentation when the selection reminder goes (the 2020 AMI's 15 days)."""
    return tree.get("obligations.candidate_selection.reminder_days").at(on).as_int()


def activity_reporting_cadence(on: date, *, tree: ParameterNode) -> ActivityReportingCadence:
    return ActivityReportingCadence(
        reminder_months=tree.get("obligations.activity_reporting.reminder_months").at(on).as_decimals(),
        escalation_days=tree.get("obligations.activity_reporting.escalation_days").at(on).as_int(),
    )


def thematic_module_rules(on: date, *, tree: ParameterNode) -> ThematicModuleRules:
    return ThematicModuleRules(
        count=tree.get("obligations.thematic_modules.count").at(on).as_int(),
        allowed_hours=tree.get("obligations.thematic_modules.allowed_hours").at(on).as_ints(),
    )


# --- Host structures ----------------------------------------------------------------------------------


def structure_type_codes(*, tree: ParameterNode) -> tuple[str, ...]:
    """Every structure type the parameters name, eligible or not, in the file's order."""
    return tuple(tree.node("structure_types").children)


def structure_type_label(code: str, *, tree: ParameterNode) -> str:
    """The French label of a structure type ("ccas" → "centre communal d'action sociale (CCAS)")."""
    node = tree.node("structure_types").children.get(code) if isinstance(code, str) else None
    if not isinstance(node, ParameterNode) or not node.description:
        raise UnknownStructureType(str(code))
    return node.description


def structure_type(code: str, on: date, *, tree: ParameterNode) -> StructureTypeRule:
    """A structure type as the parameters describe it on `on` (UnknownStructureType otherwise)."""
    types = tree.node("structure_types")
    node = types.children.get(code) if isinstance(code, str) else None
    if not isinstance(node, ParameterNode):
        raise UnknownStructureType(str(code))
    kind = node.get("kind").at(on)
    eligible = node.get("eligible").at(on)
    refused = not eligible.as_bool()
    refusal = node.get("refusal_rule").at(on) if refused and "refusal_rule" in node else None
    if not node.description:
        raise InconsistentParameters(f"{node.name}: a structure type needs its label as description")
    if refused and refusal is None:
        raise InconsistentParameters(f"{node.name}: an ineligible type needs a refusal_rule")
    return StructureTypeRule(
        code=code,
        label=node.description,
        kind=StructureKind(_text(kind)),
        eligible=not refused,
        refusal_rule=_text(refusal) if refusal is not None else None,
        reference=(refusal or eligible).reference,
    )


def structure_types(on: date, *, tree: ParameterNode) -> tuple[StructureTypeRule, ...]:
    """Every structure type on `on`, eligible or not, in the file's order."""
    return tuple(structure_type(code, on, tree=tree) for code in structure_type_codes(tree=tree))


# --- People and data ----------------------------------------------------------------------------------


def advisor_age_range(on: date, *, tree: ParameterNode) -> AgeRange:
    """The ages (completed years) at which an advisor may start a contract on `on`."""
    return AgeRange(
        minimum=tree.get("eligibility.advisor.minimum_age").at(on).as_int(),
        maximum=tree.get("eligibility.advisor.maximum_age").at(on).as_int(),
    )


def contract_type_rules(kind: StructureKind, on: date, *, tree: ParameterNode) -> ContractTypeRules:
    """The contract types open to a public or private employer, and its longest CDD, on `on`."""
    kind = StructureKind(kind)
    allowed = tree.get(f"eligibility.contract.allowed_types.{kind.value}").at(on).as_strings()
    maxima = tree.node("eligibility.contract.cdd_maximum_months")
    maximum = maxima.get(kind.value).at(on).as_int() if kind.value in maxima else None
    return ContractTypeRules(kind, allowed, maximum)


def mediator_in_post_cases(on: date, *, tree: ParameterNode) -> tuple[str, ...]:
    """The cases (`part_time`, `experimental_scheme`, `contract_ending`) in which someone already in post
    as a digital mediator in the structure may take an advisor's post starting on `on`."""
    return tree.get("eligibility.mediator_in_post.allowed_cases").at(on).as_strings()


def personal_data_retention_years(on: date, *, tree: ParameterNode) -> int:
    """Years personal data is kept after the convention closed on `on` (an assumption, see the YAML)."""
    return tree.get("personal_data.retention_years_after_closing").at(on).as_int()


def _text(value: ParameterValue) -> str:
    if not isinstance(value.value, str) or not value.value.strip():
        raise InconsistentParameters(f"{value.name}: {value.value!r} is not a text")
    return value.value.strip()


def _list_months(months: tuple[int, ...]) -> str:
    if len(months) > 2 and months == tuple(range(months[0], months[-1] + 1)):
        return f"de {months[0]} à {months[-1]} mois"
    return " ou ".join(str(month) for month in months) + " mois"


@dataclass(frozen=True)
class AttributingBody:
    """Who attributes the subsidies, as the open data names it (SCDL `nomAttribuant`, `idAttribuant`)."""

    name: str
    siret: str


def open_data_threshold(on: date, *, tree: ParameterNode) -> Decimal:
    """The yearly amount above which a subsidy attributed on `on` is published (23 000 €, décret
    n° 2001-495 art. 1, to which décret n° 2017-779 art. 1 refers)."""
    return tree.get("open_data.threshold_yearly_amount").at(on).as_decimal()


def attributing_body(on: date, *, tree: ParameterNode) -> AttributingBody:
    """The body that attributes a subsidy by a convention signed on `on`, with its SIRET."""
    return AttributingBody(
        _text(tree.get("open_data.attributing_body.name").at(on)),
        _text(tree.get("open_data.attributing_body.siret").at(on)),
    )
