import dataclasses

import pytest

from cnum_shared.core.territories import (
    BusinessRegister,
    SmicZone,
    UnknownRegion,
    UnknownTerritory,
    UpliftGroup,
    all_regions,
    all_territories,
    departments_of,
    region,
    region_of,
    territory,
)

METROPOLITAN = [f"{number:02d}" for number in range(1, 20)] + ["2A", "2B"] + [str(n) for n in range(21, 96)]
OVERSEAS = ["971", "972", "973", "974", "975", "976", "977", "978", "986", "987", "988"]


def test_every_department_and_overseas_code_is_known_once():
    codes = [place.code for place in all_territories()]
    assert codes == METROPOLITAN + OVERSEAS
    # 96 metropolitan departments (2A and 2B for 20) + 11 overseas codes = 107
    assert len(codes) == 107


@pytest.mark.parametrize("code", METROPOLITAN + OVERSEAS)
def test_every_listed_code_resolves_to_itself(code):
    place = territory(code)
    assert place.code == code
    assert place.name


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("01", "Ain"),
        ("2A", "Corse-du-Sud"),
        ("2B", "Haute-Corse"),
        ("75", "Paris"),
        ("90", "Territoire de Belfort"),
        ("95", "Val-d'Oise"),
        ("971", "Guadeloupe"),
        ("972", "Martinique"),
        ("973", "Guyane"),
        ("974", "La Réunion"),
        ("975", "Saint-Pierre-et-Miquelon"),
        ("976", "Mayotte"),
        ("977", "Saint-Barthélemy"),
        ("978", "Saint-Martin"),
        ("986", "Wallis-et-Futuna"),
        ("987", "Polynésie française"),
        ("988", "Nouvelle-Calédonie"),
    ],
)
def test_names_are_the_french_names(code, name):
    assert territory(code).name == name


@pytest.mark.parametrize(
    ("code", "zone", "group", "overseas"),
    [
        ("01", SmicZone.METROPOLE, UpliftGroup.NONE, False),
        ("75", SmicZone.METROPOLE, UpliftGroup.NONE, False),
        ("2A", SmicZone.METROPOLE, UpliftGroup.NONE, False),
        ("971", SmicZone.METROPOLE, UpliftGroup.ANTILLES_GUYANE, True),
        ("972", SmicZone.METROPOLE, UpliftGroup.ANTILLES_GUYANE, True),
        ("973", SmicZone.METROPOLE, UpliftGroup.ANTILLES_GUYANE, True),
        ("974", SmicZone.METROPOLE, UpliftGroup.REUNION_MAYOTTE, True),
        ("975", SmicZone.METROPOLE, UpliftGroup.NONE, True),
        ("976", SmicZone.MAYOTTE, UpliftGroup.REUNION_MAYOTTE, True),
        ("977", SmicZone.METROPOLE, UpliftGroup.NONE, True),
        ("978", SmicZone.METROPOLE, UpliftGroup.NONE, True),
        # Outside the SMIC (their own SMIG/SMG), and no uplift in ANCT's formula (any other code: 50 k€).
        ("986", SmicZone.LOCAL_MINIMUM_WAGE, UpliftGroup.NONE, True),
        ("987", SmicZone.LOCAL_MINIMUM_WAGE, UpliftGroup.NONE, True),
        ("988", SmicZone.LOCAL_MINIMUM_WAGE, UpliftGroup.NONE, True),
    ],
)
def test_smic_zone_uplift_group_and_overseas_flag(code, zone, group, overseas):
    place = territory(code)
    assert (place.smic_zone, place.uplift_group, place.is_overseas) == (zone, group, overseas)


def test_only_mayotte_has_its_own_smic_and_only_five_codes_an_uplift():
    assert [p.code for p in all_territories() if p.smic_zone is SmicZone.MAYOTTE] == ["976"]
    outside = [p.code for p in all_territories() if p.smic_zone is SmicZone.LOCAL_MINIMUM_WAGE]
    assert outside == ["986", "987", "988"]
    uplifted = [p.code for p in all_territories() if p.uplift_group is not UpliftGroup.NONE]
    assert uplifted == ["971", "972", "973", "974", "976"]


@pytest.mark.parametrize(
    ("code", "postcode", "accepted"),
    [
        ("15", "15100", True),
        ("15", "16100", False),
        ("01", "01000", True),
        ("01", "10000", False),
        ("2A", "20000", True),
        ("2A", "20090", True),
        ("2B", "20200", True),
        ("2B", "20600", True),
        ("2A", "21000", False),
        ("2B", "02000", False),
        ("971", "97110", True),
        ("972", "97200", True),
        ("973", "97300", True),
        ("974", "97430", True),
        ("974", "97130", False),
        ("975", "97500", True),
        ("976", "97600", True),
        ("976", "97500", False),
        ("977", "97133", True),
        ("977", "97134", False),
        ("977", "97150", False),
        ("978", "97150", True),
        ("978", "97100", False),
        ("986", "98600", True),
        ("987", "98714", True),
        ("987", "98800", False),
        ("988", "98800", True),
        ("988", "98714", False),
        ("75", "75001", True),
        ("75", "7500", False),
        ("75", "750011", False),
        ("75", "75OO1", False),
        ("75", "７５００１", False),
        ("75", "", False),
    ],
)
def test_the_postcode_must_belong_to_the_department(code, postcode, accepted):
    assert territory(code).accepts_postcode(postcode) is accepted


def test_codes_are_read_case_insensitively():
    assert territory("2a").name == "Corse-du-Sud"
    assert territory("2b").code == "2B"


@pytest.mark.parametrize("code", ["20", "99", "979", "", "1", "985", "989", "00", "96", " 75", "2C", "9710"])
def test_an_unknown_code_is_a_clear_error(code):
    with pytest.raises(UnknownTerritory) as caught:
        territory(code)
    assert str(caught.value) == f"Code de département inconnu : {code!r}"
    assert isinstance(caught.value, ValueError)


def test_the_message_names_the_code():
    with pytest.raises(UnknownTerritory, match=r"^Code de département inconnu : '99'$"):
        territory("99")


def test_a_territory_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        territory("75").name = "Lutèce"  # type: ignore[misc]


def test_new_caledonia_and_french_polynesia_have_their_own_business_register():
    registers = {
        p.code: p.local_register for p in all_territories() if p.local_register is not BusinessRegister.SIRENE
    }
    assert registers == {"987": BusinessRegister.TAHITI, "988": BusinessRegister.RIDET}


# --------------------------------------------------------------------------- regions (decision 0043)

#: INSEE's COG: each region's code, name and number of departments (96 metropolitan in 13 regions).
COG_REGIONS = {
    "01": ("Guadeloupe", 1),
    "02": ("Martinique", 1),
    "03": ("Guyane", 1),
    "04": ("La Réunion", 1),
    "06": ("Mayotte", 1),
    "11": ("Île-de-France", 8),
    "24": ("Centre-Val de Loire", 6),
    "27": ("Bourgogne-Franche-Comté", 8),
    "28": ("Normandie", 5),
    "32": ("Hauts-de-France", 5),
    "44": ("Grand Est", 10),
    "52": ("Pays de la Loire", 5),
    "53": ("Bretagne", 4),
    "75": ("Nouvelle-Aquitaine", 12),
    "76": ("Occitanie", 13),
    "84": ("Auvergne-Rhône-Alpes", 12),
    "93": ("Provence-Alpes-Côte d'Azur", 6),
    "94": ("Corse", 2),
}


def test_every_territory_has_one_region_and_the_regions_are_the_cogs():
    regions = [found for found in all_regions() if not found.is_collectivity]
    assert {found.code: (found.name, len(departments_of(found.code))) for found in regions} == COG_REGIONS
    assert sum(count for _, count in COG_REGIONS.values()) == 96 + 5
    listed = [department for found in all_regions() for department in departments_of(found.code)]
    assert sorted(listed) == sorted(place.code for place in all_territories())
    assert {place.code: region_of(place.code).code for place in all_territories()}.keys() == set(listed)


@pytest.mark.parametrize(
    ("department", "code", "name"),
    [
        ("15", "84", "Auvergne-Rhône-Alpes"),
        ("94", "11", "Île-de-France"),
        ("2a", "94", "Corse"),
        ("2B", "94", "Corse"),
        ("90", "27", "Bourgogne-Franche-Comté"),
        ("971", "01", "Guadeloupe"),
        ("976", "06", "Mayotte"),
    ],
)
def test_the_region_of_a_department(department, code, name):
    found = region_of(department)
    assert (found.code, found.name, found.is_collectivity) == (code, name, False)


@pytest.mark.parametrize("code", ["975", "977", "978", "986", "987", "988"])
def test_an_overseas_collectivity_is_its_own_line_beside_the_regions(code):
    found = region_of(code)
    assert (found.code, found.name, found.is_collectivity) == (code, territory(code).name, True)
    assert region(code) == found and departments_of(code) == (code,)


def test_an_unknown_region_is_refused():
    with pytest.raises(UnknownRegion, match="Code de région inconnu"):
        region("05")
    with pytest.raises(UnknownTerritory):
        region_of("99")
