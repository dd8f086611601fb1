"""French departments and overseas codes: their SMIC zone, overseas-uplift group, postcodes and business
register.

The programme's money depends on where a structure is: Mayotte has its own SMIC, and a public structure
of the initial wave in the Antilles, Guyane, La Réunion or Mayotte gets a larger subsidy per post
(DESIGN §3). The postcode rule of DESIGN §4 catches a department typed by mistake. Wallis-et-Futuna,
French Polynesia and New Caledonia are outside the SMIC (their own minimum wages) and, for the last two,
outside the SIRENE register (a numéro TAHITI, a RIDET): see docs/decisions/0012-parameters-corrected.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SmicZone(StrEnum):
    """Which SMIC applies; the values name the parameters `smic.hourly.<zone>`."""

    #: The national SMIC: metropolitan France, 971-974, Saint-Pierre-et-Miquelon, Saint-Barthélemy and
    #: Saint-Martin (each relèvement décret lists them together).
    METROPOLE = "metropole"
    #: Mayotte has its own, lower SMIC, converging by law towards the national one.
    MAYOTTE = "mayotte"
    #: Wallis-et-Futuna, French Polynesia and New Caledonia: no SMIC but a minimum wage of their own
    #: (SMIG, SMG, in CFP francs) that has no table in the parameters. A salary rule asked about this
    #: zone says so (`legal.NoSmicInZone`) rather than applying the metropolitan SMIC.
    LOCAL_MINIMUM_WAGE = "local_minimum_wage"


class UpliftGroup(StrEnum):
    """Which overseas amount a public structure of the initial wave gets."""

    NONE = "none"
    ANTILLES_GUYANE = "antilles_guyane"
    REUNION_MAYOTTE = "reunion_mayotte"


class BusinessRegister(StrEnum):
    """Where a structure's identifier comes from: SIRENE (a SIRET) unless the territory has its own."""

    SIRENE = "sirene"
    #: New Caledonia's Répertoire d'identification des entreprises et des établissements (ISEE).
    RIDET = "ridet"
    #: French Polynesia's Répertoire territorial des entreprises (ISPF), numéro TAHITI.
    TAHITI = "tahiti"


class UnknownTerritory(ValueError):
    """Not a French department or overseas code the programme knows."""

    def __init__(self, code: object) -> None:
        super().__init__(f"Code de département inconnu : {code!r}")
        self.code = code


@dataclass(frozen=True)
class Territory:
    """A department (or overseas collectivity) as the programme's rules see it."""

    code: str
    name: str
    smic_zone: SmicZone
    uplift_group: UpliftGroup
    is_overseas: bool
    #: A postcode of the territory starts with this; a five-digit prefix is the one postcode it has
    #: (Saint-Barthélemy 97133, Saint-Martin 97150).
    postcode_prefix: str
    #: The local register whose number stands in for a SIRET where a structure has none.
    local_register: BusinessRegister = BusinessRegister.SIRENE

    def accepts_postcode(self, postcode: str) -> bool:
        """Whether a five-digit postcode belongs to this territory (DESIGN §4)."""
        if not isinstance(postcode, str) or len(postcode) != 5 or not postcode.isascii():
            return False
        return postcode.isdigit() and postcode.startswith(self.postcode_prefix)


_METROPOLITAN_NAMES = {
    "01": "Ain", "02": "Aisne", "03": "Allier", "04": "Alpes-de-Haute-Provence", "05": "Hautes-Alpes",
    "06": "Alpes-Maritimes", "07": "Ardèche", "08": "Ardennes", "09": "Ariège", "10": "Aube", "11": "Aude",
    "12": "Aveyron", "13": "Bouches-du-Rhône", "14": "Calvados", "15": "Cantal", "16": "Charente",
    "17": "Charente-Maritime", "18": "Cher", "19": "Corrèze", "2A": "Corse-du-Sud", "2B": "Haute-Corse",
    "21": "Côte-d'Or", "22": "Côtes-d'Armor", "23": "Creuse", "24": "Dordogne", "25": "Doubs",
    "26": "Drôme", "27": "Eure", "28": "Eure-et-Loir", "29": "Finistère", "30": "Gard",
    "31": "Haute-Garonne", "32": "Gers", "33": "Gironde", "34": "Hérault", "35": "Ille-et-Vilaine",
    "36": "Indre", "37": "Indre-et-Loire", "38": "Isère", "39": "Jura", "40": "Landes",
    "41": "Loir-et-Cher", "42": "Loire", "43": "Haute-Loire", "44": "Loire-Atlantique", "45": "Loiret",
    "46": "Lot", "47": "Lot-et-Garonne", "48": "Lozère", "49": "Maine-et-Loire", "50": "Manche",
    "51": "Marne", "52": "Haute-Marne", "53": "Mayenne", "54": "Meurthe-et-Moselle", "55": "Meuse",
    "56": "Morbihan", "57": "Moselle", "58": "Nièvre", "59": "Nord", "60": "Oise", "61": "Orne",
    "62": "Pas-de-Calais", "63": "Puy-de-Dôme", "64": "Pyrénées-Atlantiques", "65": "Hautes-Pyrénées",
    "66": "Pyrénées-Orientales", "67": "Bas-Rhin", "68": "Haut-Rhin", "69": "Rhône", "70": "Haute-Saône",
    "71": "Saône-et-Loire", "72": "Sarthe", "73": "Savoie", "74": "Haute-Savoie", "75": "Paris",
    "76": "Seine-Maritime", "77": "Seine-et-Marne", "78": "Yvelines", "79": "Deux-Sèvres", "80": "Somme",
    "81": "Tarn", "82": "Tarn-et-Garonne", "83": "Var", "84": "Vaucluse", "85": "Vendée", "86": "Vienne",
    "87": "Haute-Vienne", "88": "Vosges", "89": "Yonne", "90": "Territoire de Belfort", "91": "Essonne",
    "92": "Hauts-de-Seine", "93": "Seine-Saint-Denis", "94": "Val-de-Marne", "95": "Val-d'Oise",
}  # fmt: skip

_OVERSEAS = (
    Territory("971", "Guadeloupe", SmicZone.METROPOLE, UpliftGroup.ANTILLES_GUYANE, True, "971"),
    Territory("972", "Martinique", SmicZone.METROPOLE, UpliftGroup.ANTILLES_GUYANE, True, "972"),
    Territory("973", "Guyane", SmicZone.METROPOLE, UpliftGroup.ANTILLES_GUYANE, True, "973"),
    Territory("974", "La Réunion", SmicZone.METROPOLE, UpliftGroup.REUNION_MAYOTTE, True, "974"),
    Territory("975", "Saint-Pierre-et-Miquelon", SmicZone.METROPOLE, UpliftGroup.NONE, True, "975"),
    Territory("976", "Mayotte", SmicZone.MAYOTTE, UpliftGroup.REUNION_MAYOTTE, True, "976"),
    Territory("977", "Saint-Barthélemy", SmicZone.METROPOLE, UpliftGroup.NONE, True, "97133"),
    Territory("978", "Saint-Martin", SmicZone.METROPOLE, UpliftGroup.NONE, True, "97150"),
    Territory("986", "Wallis-et-Futuna", SmicZone.LOCAL_MINIMUM_WAGE, UpliftGroup.NONE, True, "986"),
    Territory(
        "987",
        "Polynésie française",
        SmicZone.LOCAL_MINIMUM_WAGE,
        UpliftGroup.NONE,
        True,
        "987",
        BusinessRegister.TAHITI,
    ),
    Territory(
        "988",
        "Nouvelle-Calédonie",
        SmicZone.LOCAL_MINIMUM_WAGE,
        UpliftGroup.NONE,
        True,
        "988",
        BusinessRegister.RIDET,
    ),
)


def _metropolitan(code: str, name: str) -> Territory:
    # Corsica kept the postcodes of the single department (20) it was before 1976.
    prefix = "20" if code in ("2A", "2B") else code
    return Territory(code, name, SmicZone.METROPOLE, UpliftGroup.NONE, False, prefix)


_TERRITORIES: dict[str, Territory] = {
    **{code: _metropolitan(code, name) for code, name in _METROPOLITAN_NAMES.items()},
    **{place.code: place for place in _OVERSEAS},
}


def territory(code: str) -> Territory:
    """The territory of a department code ("01", "2A", "974"…); "2a" is read as "2A".

    Codes are taken as written otherwise ("1" is not "01"): a department code is an identifier, not a
    number, and guessing would hide a typing mistake.
    """
    found = _TERRITORIES.get(code.upper()) if isinstance(code, str) else None
    if found is None:
        raise UnknownTerritory(code)
    return found


def all_territories() -> tuple[Territory, ...]:
    """Every known territory: metropolitan departments in code order, then the overseas codes."""
    return tuple(_TERRITORIES.values())


# ---------------------------------------------------------------------------------------------- regions


@dataclass(frozen=True)
class Region:
    """Where the programme's figures are added up above the department: a region, or an overseas
    collectivity (which belongs to no region and is counted on its own line)."""

    #: INSEE's code of the region ("84", "01"…), or the collectivity's own code ("975"…).
    code: str
    name: str
    #: A collectivity of article 74 of the Constitution or New Caledonia: no region of its own.
    is_collectivity: bool = False


#: The regions and their departments, as INSEE's Code officiel géographique (COG) lists them: the
#: regions of loi n° 2015-29 du 16 janvier 2015 relative à la délimitation des régions (in force on
#: 1 January 2016, so for every convention of the programme), under the names they took in 2016, and the
#: five overseas single regions (Guadeloupe 01, Martinique 02, Guyane 03, La Réunion 04,
#: Mayotte 06). Source: INSEE, Code officiel géographique au 1er janvier 2025, tables « Régions » and
#: « Départements » (v_region_2025, v_departement_2025), https://www.insee.fr/fr/information/2560452.
#: The overseas collectivities (975, 977, 978, 986, 987, 988) are in the COG's table « Collectivités
#: d'outre-mer » and belong to no region: each stands for itself.
_REGIONS: dict[Region, tuple[str, ...]] = {
    Region("01", "Guadeloupe"): ("971",),
    Region("02", "Martinique"): ("972",),
    Region("03", "Guyane"): ("973",),
    Region("04", "La Réunion"): ("974",),
    Region("06", "Mayotte"): ("976",),
    Region("11", "Île-de-France"): ("75", "77", "78", "91", "92", "93", "94", "95"),
    Region("24", "Centre-Val de Loire"): ("18", "28", "36", "37", "41", "45"),
    Region("27", "Bourgogne-Franche-Comté"): ("21", "25", "39", "58", "70", "71", "89", "90"),
    Region("28", "Normandie"): ("14", "27", "50", "61", "76"),
    Region("32", "Hauts-de-France"): ("02", "59", "60", "62", "80"),
    Region("44", "Grand Est"): ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88"),
    Region("52", "Pays de la Loire"): ("44", "49", "53", "72", "85"),
    Region("53", "Bretagne"): ("22", "29", "35", "56"),
    Region("75", "Nouvelle-Aquitaine"): (
        "16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87",
    ),
    Region("76", "Occitanie"): (
        "09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82",
    ),
    Region("84", "Auvergne-Rhône-Alpes"): (
        "01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74",
    ),
    Region("93", "Provence-Alpes-Côte d'Azur"): ("04", "05", "06", "13", "83", "84"),
    Region("94", "Corse"): ("2A", "2B"),
    **{
        Region(place.code, place.name, is_collectivity=True): (place.code,)
        for place in _OVERSEAS
        if place.code in ("975", "977", "978", "986", "987", "988")
    },
}  # fmt: skip

_REGION_OF: dict[str, Region] = {
    department: region for region, departments in _REGIONS.items() for department in departments
}
_REGION_BY_CODE: dict[str, Region] = {region.code: region for region in _REGIONS}


class UnknownRegion(ValueError):
    """Not a region (or overseas collectivity) code of the COG."""

    def __init__(self, code: object) -> None:
        super().__init__(f"Code de région inconnu : {code!r}")
        self.code = code


def region_of(department: str) -> Region:
    """The region of a department code (UnknownTerritory for a code the programme does not know)."""
    return _REGION_OF[territory(department).code]


def region(code: str) -> Region:
    """The region of an INSEE region code ("84"), or the overseas collectivity of its code ("975")."""
    found = _REGION_BY_CODE.get(code) if isinstance(code, str) else None
    if found is None:
        raise UnknownRegion(code)
    return found


def all_regions() -> tuple[Region, ...]:
    """Every region, the overseas ones first as the COG orders them, then the collectivities."""
    return tuple(_REGIONS)


def departments_of(region_code: str) -> tuple[str, ...]:
    """The department codes of a region (the collectivity's own code for an overseas collectivity)."""
    return _REGIONS[region(region_code)]


def department_regions() -> dict[str, str]:
    """Every department code and its region's code: what SQL groups by (framework.db.region_code)."""
    return {department: found.code for department, found in _REGION_OF.items()}
