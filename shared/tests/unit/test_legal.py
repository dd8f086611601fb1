"""Every table of DESIGN.md §3 read through cnum_shared.core.legal, row by row, with the SMIC boundaries."""

import shutil
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest

from cnum_shared.core import legal
from cnum_shared.core.legal import InvalidDuration, OutsideWave, StructureKind, Wave
from cnum_shared.core.parameters import ParameterNotInForce, default_directory, load_parameters, parameters
from cnum_shared.core.territories import SmicZone, territory
from cnum_shared.core.wire import CONTRACT_TYPES, MEDIATOR_CASES

#: The tree a service's bootstrap loads once and hands to its units of work: the legal functions take it.
TREE = parameters()

# (effective date, hourly, monthly = hourly × 35 × 52 / 12 rounded to the cent), from the décrets and
# arrêtés cited in shared/parameters/smic/hourly/. Mayotte 2023-01-01 is 8.51 (décret 2022-1608), not the
# 8.50 of DESIGN.md: see docs/decisions/0005-legal-parameters.md.
METROPOLE = [
    (date(2020, 1, 1), "10.15", "1539.42"),
    (date(2021, 1, 1), "10.25", "1554.58"),
    (date(2021, 10, 1), "10.48", "1589.47"),
    (date(2022, 1, 1), "10.57", "1603.12"),
    (date(2022, 5, 1), "10.85", "1645.58"),
    (date(2022, 8, 1), "11.07", "1678.95"),
    (date(2023, 1, 1), "11.27", "1709.28"),
    (date(2023, 5, 1), "11.52", "1747.20"),
    (date(2024, 1, 1), "11.65", "1766.92"),
    (date(2024, 11, 1), "11.88", "1801.80"),
    (date(2026, 1, 1), "12.02", "1823.03"),
]
MAYOTTE = [
    (date(2020, 1, 1), "7.66", "1161.77"),
    (date(2021, 1, 1), "7.74", "1173.90"),
    (date(2021, 10, 1), "7.91", "1199.68"),
    (date(2022, 1, 1), "7.98", "1210.30"),
    (date(2022, 5, 1), "8.19", "1242.15"),
    (date(2022, 8, 1), "8.35", "1266.42"),
    (date(2023, 1, 1), "8.51", "1290.68"),
    (date(2023, 5, 1), "8.70", "1319.50"),
    (date(2024, 1, 1), "8.80", "1334.67"),
    (date(2024, 11, 1), "8.98", "1361.97"),
    (date(2026, 1, 1), "9.33", "1415.05"),
]


def smic_rows(zone, table):
    return [(zone, *row) for row in table]


SMIC_ROWS = smic_rows(SmicZone.METROPOLE, METROPOLE) + smic_rows(SmicZone.MAYOTTE, MAYOTTE)
SMIC_CHANGES = [
    (zone, before, after)
    for zone, table in ((SmicZone.METROPOLE, METROPOLE), (SmicZone.MAYOTTE, MAYOTTE))
    for before, after in pairwise(table)
]


@pytest.mark.parametrize(("zone", "effective", "hourly", "monthly"), SMIC_ROWS)
def test_each_smic_row_gives_its_hourly_and_monthly_figure(zone, effective, hourly, monthly):
    smic = legal.smic_on(zone, effective, tree=TREE)

    assert smic.hourly == Decimal(hourly)
    assert smic.monthly == Decimal(monthly)
    assert smic.effective_from == effective
    assert smic.reference and smic.reference != "assumption"


@pytest.mark.parametrize(("zone", "before", "after"), SMIC_CHANGES)
def test_the_day_before_a_smic_change_has_the_old_figure_and_the_day_of_it_the_new(zone, before, after):
    change = after[0]

    assert legal.smic_on(zone, change - timedelta(days=1), tree=TREE).monthly == Decimal(before[2])
    assert legal.smic_on(zone, change, tree=TREE).monthly == Decimal(after[2])


@pytest.mark.parametrize("zone", [SmicZone.METROPOLE, SmicZone.MAYOTTE])
def test_there_is_no_smic_before_the_first_row(zone):
    with pytest.raises(ParameterNotInForce):
        legal.smic_on(zone, date(2019, 12, 31), tree=TREE)


def test_the_smic_stays_in_force_after_its_last_change():
    assert legal.smic_on(SmicZone.METROPOLE, date(2026, 11, 25), tree=TREE).monthly == Decimal("1823.03")
    assert legal.smic_on(SmicZone.MAYOTTE, date(2026, 11, 25), tree=TREE).monthly == Decimal("1415.05")


def test_january_2025_brought_no_change_of_its_own():
    assert legal.smic_on(SmicZone.METROPOLE, date(2025, 1, 1), tree=TREE).effective_from == date(2024, 11, 1)


def test_a_contract_is_rechecked_at_each_smic_change_during_it():
    changes = legal.smic_changes(SmicZone.MAYOTTE, date(2023, 1, 1), date(2024, 12, 31), tree=TREE)

    assert [(smic.effective_from, smic.monthly) for smic in changes] == [
        (date(2023, 5, 1), Decimal("1319.50")),
        (date(2024, 1, 1), Decimal("1334.67")),
        (date(2024, 11, 1), Decimal("1361.97")),
    ]


def test_the_smic_refusal_text_states_the_figure_and_its_date():
    text = legal.smic_on(SmicZone.METROPOLE, date(2026, 3, 1), tree=TREE).describe_fr()

    assert text == (
        "SMIC brut mensuel de 1\u202f823,03 € (12,02 € de l'heure) en vigueur depuis le 1er janvier 2026"
    )


def test_full_time_is_35_hours_a_week():
    assert legal.full_time_weekly_hours(date(2024, 1, 1), tree=TREE) == 35


# --- Subsidy and tranches -----------------------------------------------------------------------------

INITIAL = date(2021, 3, 1)
RENEWAL = date(2023, 6, 1)
# (wave, kind, department, duration, qpv/zrr, start, [(offset months, amount per post)], total per post)
SUBSIDY_ROWS = [
    (
        Wave.INITIAL,
        StructureKind.PUBLIC,
        "69",
        24,
        False,
        INITIAL,
        [(0, "20000"), (12, "20000"), (24, "10000")],
        "50000",
    ),
    (
        Wave.INITIAL,
        StructureKind.PUBLIC,
        "2A",
        36,
        True,
        INITIAL,
        [(0, "20000"), (12, "20000"), (24, "10000")],
        "50000",
    ),
    (
        Wave.INITIAL,
        StructureKind.PUBLIC,
        "975",
        24,
        False,
        INITIAL,
        [(0, "20000"), (12, "20000"), (24, "10000")],
        "50000",
    ),
    (
        Wave.INITIAL,
        StructureKind.PUBLIC,
        "971",
        24,
        False,
        INITIAL,
        [(0, "28000"), (12, "28000"), (24, "14000")],
        "70000",
    ),
    (
        Wave.INITIAL,
        StructureKind.PUBLIC,
        "972",
        30,
        False,
        INITIAL,
        [(0, "28000"), (12, "28000"), (24, "14000")],
        "70000",
    ),
    (
        Wave.INITIAL,
        StructureKind.PUBLIC,
        "973",
        24,
        False,
        INITIAL,
        [(0, "28000"), (12, "28000"), (24, "14000")],
        "70000",
    ),
    (
        Wave.INITIAL,
        StructureKind.PUBLIC,
        "974",
        24,
        False,
        INITIAL,
        [(0, "27000"), (12, "27000"), (24, "13500")],
        "67500",
    ),
    (
        Wave.INITIAL,
        StructureKind.PUBLIC,
        "976",
        24,
        False,
        INITIAL,
        [(0, "27000"), (12, "27000"), (24, "13500")],
        "67500",
    ),
    # Private, 18 months, no overseas uplift: 32 000 × 40 % = 12 800 at 0 and 9 months, × 20 % = 6 400 at 18.
    (
        Wave.INITIAL,
        StructureKind.PRIVATE,
        "974",
        18,
        False,
        INITIAL,
        [(0, "12800"), (9, "12800"), (18, "6400")],
        "32000",
    ),
    # Saint-Martin and the Pacific collectivities: ANCT's formula has no branch for them, 50 000 €.
    (
        Wave.INITIAL,
        StructureKind.PUBLIC,
        "978",
        24,
        False,
        INITIAL,
        [(0, "20000"), (12, "20000"), (24, "10000")],
        "50000",
    ),
    (
        Wave.INITIAL,
        StructureKind.PUBLIC,
        "988",
        24,
        False,
        INITIAL,
        [(0, "20000"), (12, "20000"), (24, "10000")],
        "50000",
    ),
    (
        Wave.INITIAL,
        StructureKind.PRIVATE,
        "33",
        18,
        False,
        INITIAL,
        [(0, "12800"), (9, "12800"), (18, "6400")],
        "32000",
    ),
    (
        Wave.RENEWAL,
        StructureKind.PUBLIC,
        "59",
        36,
        False,
        RENEWAL,
        [(0, "17500"), (12, "12500"), (24, "12500")],
        "42500",
    ),
    (
        Wave.RENEWAL,
        StructureKind.PUBLIC,
        "59",
        36,
        True,
        RENEWAL,
        [(0, "20000"), (12, "17500"), (24, "12500")],
        "50000",
    ),
    (
        Wave.RENEWAL,
        StructureKind.PRIVATE,
        "976",
        36,
        False,
        RENEWAL,
        [(0, "20000"), (12, "14000"), (24, "10000")],
        "44000",
    ),
    (
        Wave.RENEWAL,
        StructureKind.PRIVATE,
        "13",
        36,
        True,
        RENEWAL,
        [(0, "20000"), (12, "14000"), (24, "10000")],
        "44000",
    ),
]


@pytest.mark.parametrize(
    ("wave", "kind", "department", "duration", "qpv_zrr", "start", "tranches", "total"), SUBSIDY_ROWS
)
@pytest.mark.parametrize("posts", [1, 3, 7])
def test_each_subsidy_row_gives_its_tranches_to_the_cent(
    wave, kind, department, duration, qpv_zrr, start, tranches, total, posts
):
    where = territory(department)
    plan = legal.tranche_plan(wave, kind, where, duration, qpv_zrr, start, tree=TREE)

    assert legal.subsidy_per_post(wave, kind, where, duration, qpv_zrr, start, tree=TREE) == Decimal(total)
    assert [(tranche.offset_months, tranche.amount_for(posts)) for tranche in plan] == [
        (offset, Decimal(amount) * posts) for offset, amount in tranches
    ]
    assert sum(tranche.amount_for(posts) for tranche in plan) == Decimal(total) * posts


def test_the_last_tranche_takes_the_rounding_remainder(tmp_path):
    copy = tmp_path / "parameters"
    shutil.copytree(default_directory(), copy)
    initial = copy / "subsidy" / "initial.yaml"
    initial.write_text(
        initial.read_text(encoding="utf-8").replace("value: 50000.00", "value: 50000.01"), encoding="utf-8"
    )
    tree = load_parameters(copy)

    plan = legal.tranche_plan(
        Wave.INITIAL, StructureKind.PUBLIC, territory("75"), 24, False, INITIAL, tree=tree
    )

    assert [tranche.amount_per_post for tranche in plan] == [
        Decimal("20000.00"),
        Decimal("20000.00"),
        Decimal("10000.01"),
    ]


def test_a_public_initial_convention_longer_than_24_months_is_funded_for_24():
    assert legal.funded_months(Wave.INITIAL, StructureKind.PUBLIC, 36, INITIAL, tree=TREE) == 24
    assert legal.funded_months(Wave.INITIAL, StructureKind.PRIVATE, 18, INITIAL, tree=TREE) == 18
    assert legal.funded_months(Wave.RENEWAL, StructureKind.PUBLIC, 36, RENEWAL, tree=TREE) == 36


@pytest.mark.parametrize(
    ("wave", "kind", "duration", "allowed"),
    [
        (Wave.INITIAL, StructureKind.PUBLIC, 23, "de 24 à 36 mois"),
        (Wave.INITIAL, StructureKind.PUBLIC, 37, "de 24 à 36 mois"),
        (Wave.INITIAL, StructureKind.PRIVATE, 20, "durées possibles : 18 mois"),
        (Wave.INITIAL, StructureKind.PRIVATE, 24, "durées possibles : 18 mois"),
        (Wave.INITIAL, StructureKind.PRIVATE, 36, "durées possibles : 18 mois"),
        (Wave.RENEWAL, StructureKind.PUBLIC, 24, "36 mois"),
        (Wave.RENEWAL, StructureKind.PRIVATE, 18, "36 mois"),
    ],
)
def test_a_duration_the_wave_does_not_allow_is_refused_in_french(wave, kind, duration, allowed):
    start = INITIAL if wave is Wave.INITIAL else RENEWAL

    with pytest.raises(InvalidDuration) as refused:
        legal.subsidy_per_post(wave, kind, territory("75"), duration, False, start, tree=TREE)
    assert f"{duration} mois" in str(refused.value)
    assert allowed in str(refused.value)


@pytest.mark.parametrize(
    ("wave", "last_refused", "first_accepted", "duration"),
    [
        (Wave.INITIAL, date(2020, 10, 31), date(2020, 11, 1), 24),
        (Wave.RENEWAL, date(2022, 12, 31), date(2023, 1, 1), 36),
    ],
)
def test_a_convention_starting_before_its_wave_is_refused(wave, last_refused, first_accepted, duration):
    with pytest.raises(OutsideWave, match="1er"):
        legal.tranche_plan(
            wave, StructureKind.PUBLIC, territory("75"), duration, False, last_refused, tree=TREE
        )
    assert legal.tranche_plan(
        wave, StructureKind.PUBLIC, territory("75"), duration, False, first_accepted, tree=TREE
    )
    assert legal.wave_first_date(wave, tree=TREE) == first_accepted


@pytest.mark.parametrize("posts", [0, -1, True, 1.5])
def test_a_tranche_needs_at_least_one_whole_post(posts):
    plan = legal.tranche_plan(
        Wave.INITIAL, StructureKind.PUBLIC, territory("75"), 24, False, INITIAL, tree=TREE
    )

    with pytest.raises(ValueError, match="at least one post"):
        plan[0].amount_for(posts)


def test_the_2025_freeze_is_noted_from_may_2025():
    assert legal.funding_freeze(date(2025, 5, 13), tree=TREE) is False
    assert legal.funding_freeze(date(2025, 5, 14), tree=TREE) is True


# --- Obligations --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "event_date", "due"),
    [
        ("candidate_selection", date(2024, 1, 31), date(2024, 2, 29)),
        ("contract_signature", date(2024, 3, 1), date(2024, 3, 16)),
        ("training_entry", date(2024, 3, 20), date(2024, 4, 4)),
        ("certification_exams", date(2024, 8, 31), date(2025, 2, 28)),
        ("thematic_modules", date(2024, 2, 29), date(2025, 2, 28)),
        # due on the contract's first day: a contract signed and starting 1 March 2024 owes it that day
        ("equipment", date(2024, 3, 1), date(2024, 3, 1)),
        ("activity_reporting", date(2024, 4, 30), date(2024, 5, 30)),
        ("post_refill", date(2025, 5, 13), date(2025, 8, 13)),
        ("post_refill", date(2025, 5, 14), date(2025, 11, 14)),
        ("final_report", date(2026, 1, 31), date(2026, 4, 30)),
    ],
)
def test_each_obligation_falls_due_by_its_delay_from_its_legal_date(kind, event_date, due):
    deadline = legal.deadline(kind, event_date, tree=TREE)

    assert deadline.due_on(event_date) == due
    assert deadline.reference


def test_the_assumed_delays_say_so():
    assert legal.deadline("equipment", date(2024, 1, 1), tree=TREE).reference == "assumption"
    assert legal.deadline("final_report", date(2024, 1, 1), tree=TREE).reference == "assumption"
    assert legal.deadline("contract_signature", date(2024, 1, 1), tree=TREE).reference != "assumption"


def test_an_unknown_obligation_kind_is_refused():
    with pytest.raises(legal.UnknownObligationKind):
        legal.deadline("vacation", date(2024, 1, 1), tree=TREE)


def test_alert_windows_and_the_activity_report_cadence():
    on = date(2024, 1, 1)

    assert legal.due_soon_window_days(on, tree=TREE) == 15
    assert legal.escalation_delay_days(on, tree=TREE) == 15
    assert legal.candidate_selection_reminder_days(on, tree=TREE) == 15
    cadence = legal.activity_reporting_cadence(on, tree=TREE)
    assert cadence.reminder_months == (Decimal(1), Decimal("1.5"))
    assert cadence.escalation_days == 15
    modules = legal.thematic_module_rules(on, tree=TREE)
    assert (modules.count, modules.allowed_hours) == (2, (7, 14))


def test_an_advisor_is_eligible_from_16_to_64_years_included():
    ages = legal.advisor_age_range(date(2024, 1, 1), tree=TREE)

    assert 15 not in ages
    assert 16 in ages
    assert 64 in ages
    assert 65 not in ages


def test_personal_data_retention_is_an_assumption_of_five_years():
    assert legal.personal_data_retention_years(date(2024, 1, 1), tree=TREE) == 5


def test_the_open_data_threshold_is_23_000_euros_a_year():
    # Décret n° 2001-495 art. 1: "subventions dont le montant annuel dépasse la somme de 23 000 euros".
    assert legal.open_data_threshold(date(2021, 3, 15), tree=TREE) == Decimal("23000")
    assert not TREE.get("open_data.threshold_yearly_amount").at(date(2021, 3, 15)).is_assumption


def test_the_attributing_body_is_the_caisse_des_depots_and_its_siret_an_assumption():
    body = legal.attributing_body(date(2021, 3, 15), tree=TREE)
    assert body == legal.AttributingBody("Caisse des dépôts et consignations", "18002002600019")
    # SIREN 180 020 026 + NIC 00019; no document of the programme gives it, so it is marked.
    assert TREE.get("open_data.attributing_body.siret").at(date(2021, 3, 15)).is_assumption


# --- Contract rules (issue 14): types per employer, the private CDD, a mediator already in post ---------


@pytest.mark.parametrize(
    ("kind", "allowed", "cdd_maximum"),
    [
        # FAQ nlidw7: public-law CDI and CDD, contrat de projet, titulaires.
        (StructureKind.PUBLIC, ("cdi", "cdd", "contrat_de_projet", "titulaire"), None),
        # FAQ 15gvzzn and the private model contracts (CDD of 18 months, CDI); the dashboard's PEC.
        (StructureKind.PRIVATE, ("cdi", "cdd", "pec"), 18),
    ],
)
@pytest.mark.parametrize("on", [date(2020, 11, 1), date(2021, 4, 1), date(2024, 10, 1)])
def test_the_contract_types_open_to_each_kind_of_employer(kind, allowed, cdd_maximum, on):
    rules = legal.contract_type_rules(kind, on, tree=TREE)

    assert (rules.kind, rules.allowed_types, rules.cdd_maximum_months) == (kind, allowed, cdd_maximum)


def test_there_are_no_contract_rules_before_the_programme():
    with pytest.raises(ParameterNotInForce):
        legal.contract_type_rules(StructureKind.PUBLIC, date(2020, 10, 31), tree=TREE)
    with pytest.raises(ParameterNotInForce):
        legal.mediator_in_post_cases(date(2020, 10, 31), tree=TREE)


def test_a_mediator_in_post_may_take_the_post_in_the_three_cases_of_the_2020_ami():
    assert legal.mediator_in_post_cases(date(2021, 4, 1), tree=TREE) == (
        "part_time",
        "experimental_scheme",
        "contract_ending",
    )


def test_the_codes_in_the_parameters_are_those_the_wire_knows():
    # A misspelt code would refuse every contract of that type: the lists must use the wire's codes.
    on = date(2024, 10, 1)
    for kind in StructureKind:
        assert set(legal.contract_type_rules(kind, on, tree=TREE).allowed_types) <= set(CONTRACT_TYPES), kind
    assert set(legal.mediator_in_post_cases(on, tree=TREE)) <= set(MEDIATOR_CASES)


# --- Issue 14: private initial wave, bonus zones, SMIC sources, territories without SMIC, structure types --


def test_a_private_initial_convention_lasts_18_months_funded_18_at_32000_per_post():
    value = load_parameters().get("subsidy.initial.amount_per_post.private").at(INITIAL)

    assert legal.allowed_durations(Wave.INITIAL, StructureKind.PRIVATE, INITIAL, tree=TREE) == (18,)
    assert legal.funded_months(Wave.INITIAL, StructureKind.PRIVATE, 18, INITIAL, tree=TREE) == 18
    assert value.as_decimal() == Decimal("32000.00")
    assert "structures-open-data.js" in value.reference
    assert "15gvzzn" in value.reference
    # The FAQ's other figure is kept as a noted conflict, never as a value.
    assert "40 000 €" in value.note
    assert "4qyt2v" in value.note


@pytest.mark.parametrize(
    ("on", "short_name", "rural_label"),
    [
        (date(2023, 1, 1), "QPV ou ZRR", "zone de revitalisation rurale"),
        (date(2024, 6, 30), "QPV ou ZRR", "zone de revitalisation rurale"),
        (date(2024, 7, 1), "QPV ou FRR", "zone France Ruralités Revitalisation"),
        (date(2026, 1, 1), "QPV ou FRR", "zone France Ruralités Revitalisation"),
    ],
)
def test_the_bonus_zones_are_qpv_and_zrr_until_june_2024_then_qpv_and_frr(on, short_name, rural_label):
    zones = legal.renewal_bonus_zones(on, tree=TREE)

    assert zones.short_name == short_name
    assert zones.rural_label == rural_label
    assert zones.label == (
        f"quartier prioritaire de la politique de la ville (QPV) ou {rural_label} ({short_name[-3:]})"
    )


def test_the_frr_cites_the_finance_law_for_2024():
    assert "2023-1322" in legal.renewal_bonus_zones(date(2024, 7, 1), tree=TREE).reference
    assert "art. 73" in legal.renewal_bonus_zones(date(2024, 7, 1), tree=TREE).reference
    assert "1465 A" in legal.renewal_bonus_zones(date(2024, 6, 30), tree=TREE).reference


@pytest.mark.parametrize(
    ("wave", "kind", "qpv_zrr", "applies"),
    [
        (Wave.RENEWAL, StructureKind.PUBLIC, True, True),
        (Wave.RENEWAL, StructureKind.PUBLIC, False, False),
        (Wave.RENEWAL, StructureKind.PRIVATE, True, False),
        (Wave.INITIAL, StructureKind.PUBLIC, True, False),
    ],
)
def test_the_renewal_bonus_is_for_a_public_renewal_in_a_zone_only(wave, kind, qpv_zrr, applies):
    assert legal.renewal_bonus_applies(wave, kind, qpv_zrr) is applies


def test_the_bonus_amount_is_the_same_under_the_zrr_and_the_frr():
    # 20 000 + 17 500 + 12 500 = 50 000 € per post, before and after the FRR replaced the ZRR
    for start in (date(2024, 6, 1), date(2024, 9, 1)):
        plan = legal.tranche_plan(
            Wave.RENEWAL, StructureKind.PUBLIC, territory("15"), 36, True, start, tree=TREE
        )
        assert [tranche.amount_per_post for tranche in plan] == [
            Decimal("20000.00"),
            Decimal("17500.00"),
            Decimal("12500.00"),
        ]


def test_the_2026_smic_cites_the_decree_of_17_december_2025_and_mayotte_the_convergence_law():
    national = legal.smic_on(SmicZone.METROPOLE, date(2026, 1, 1), tree=TREE)
    mayotte = legal.smic_on(SmicZone.MAYOTTE, date(2026, 1, 1), tree=TREE)

    assert "Décret du 17 décembre 2025" in national.reference
    assert "Décret du 17 décembre 2025" in mayotte.reference
    assert "Loi n° 2025-797 du 11 août 2025" in mayotte.reference


def test_wallis_polynesia_and_new_caledonia_have_no_smic_table():
    assert not legal.has_smic(SmicZone.LOCAL_MINIMUM_WAGE, tree=TREE)
    assert legal.has_smic(SmicZone.MAYOTTE, tree=TREE)
    for code in ("986", "987", "988"):
        with pytest.raises(legal.NoSmicInZone, match="Le SMIC ne s'applique pas dans cette collectivité"):
            legal.smic_on(territory(code).smic_zone, date(2024, 1, 1), tree=TREE)
        with pytest.raises(legal.NoSmicInZone):
            legal.smic_changes(territory(code).smic_zone, date(2023, 1, 1), date(2026, 1, 1), tree=TREE)


# The FAQ's list (fiche programme §5.4; FAQ a27r6c and 66zk4o), type by type: (kind, eligible).
STRUCTURE_TYPES = {
    "commune": ("public", True),
    "epci": ("public", True),
    "departement": ("public", True),
    "region": ("public", True),
    "collectivite_statut_particulier": ("public", True),
    "groupement_collectivites": ("public", True),
    "ccas": ("public", True),
    "cias": ("public", True),
    "oph": ("public", True),
    "etablissement_public": ("public", True),
    "gip": ("public", True),
    "chambre_consulaire": ("public", True),
    "epa": ("public", True),
    "epic": ("public", True),
    "service_deconcentre_etat": ("public", False),
    "association": ("private", True),
    "entreprise_ess": ("private", True),
    "esh": ("private", True),
    "fondation": ("private", True),
    "autre_prive": ("private", True),
}


def test_each_structure_type_has_its_kind_eligibility_label_and_source():
    types = legal.structure_types(date(2021, 3, 1), tree=TREE)

    assert {rule.code: (rule.kind.value, rule.eligible) for rule in types} == STRUCTURE_TYPES
    for rule in types:
        assert rule.label and rule.label == legal.structure_type_label(rule.code, tree=TREE)
        assert "a27r6c" in rule.reference
    labels = {rule.code: rule.label for rule in types}
    assert labels["esh"] == "entreprise sociale pour l'habitat (ESH)"
    assert labels["ccas"] == "centre communal d'action sociale (CCAS)"
    assert labels["oph"] == "office public de l'habitat (OPH)"


def test_the_wire_accepts_the_eligible_types_and_names_the_refused_one():
    from cnum_shared.core.wire import STRUCTURE_TYPES as STORED
    from cnum_shared.core.wire import STRUCTURE_TYPES_ACCEPTED

    eligible = [code for code, (_, ok) in STRUCTURE_TYPES.items() if ok]
    assert list(STORED) == eligible
    assert set(STRUCTURE_TYPES_ACCEPTED) == set(STRUCTURE_TYPES)
    assert legal.structure_type_codes(tree=TREE) == tuple(STRUCTURE_TYPES)


def test_a_state_deconcentrated_service_is_refused_by_a_named_rule():
    rule = legal.structure_type("service_deconcentre_etat", date(2024, 1, 1), tree=TREE)

    assert (rule.eligible, rule.refusal_rule) == (False, "state_service_not_eligible")
    assert "Les services déconcentrés de l'État ne sont pas éligibles" in rule.reference
    assert legal.structure_type("commune", date(2024, 1, 1), tree=TREE).refusal_rule is None


def test_an_unknown_structure_type_is_a_clear_error():
    with pytest.raises(legal.UnknownStructureType, match="Type de structure inconnu : 'prefecture'"):
        legal.structure_type("prefecture", date(2024, 1, 1), tree=TREE)
