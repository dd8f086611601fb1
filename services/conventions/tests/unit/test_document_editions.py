"""The shipped templates write no number of the law, and each edition says what its period's law says."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from conventions.domain.documents import EDITIONS
from conventions.templates import build

TEMPLATE_NAMES = ("convention", "convention_avenant", "contract_avenant")
SHIPPED = [(name, code) for name in TEMPLATE_NAMES for code in EDITIONS]

#: The digits a template may write outside placeholders: the names of legal texts and articles, the
#: Caisse des Dépôts' address, French ordinals. None is a figure the engine computes with.
ALLOWED = (
    "loi n° 2020-1721 du 29 décembre 2020",
    "loi n° 2000-321 du 12 avril 2000",
    "article 10-1",
    "article 10",
    "circulaire interministérielle du 21 janvier 2021",
    "TERB2102382J",
    "loi du 28 avril 1816",
    "L. 518-2",
    "56, rue de Lille, 75007 Paris",
    "article 1218",
    "règlement (UE) 2016/679 du 27 avril 2016",
    "article 6, paragraphe 1",
    "articles 21 à 79-III",
    "droit local des associations de 1908",
    "loi du 1er juillet 1901",
    "CCP1",
    "1°",
    "2°",
    "3°",
    "de finances pour 2021",
)


def text_outside_placeholders(name: str, edition: str) -> str:
    path = build.shipped_path(name, edition)
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        xml = "".join(
            archive.read(member).decode("utf-8")
            for member in archive.namelist()
            if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", member)
        )
    text = " ".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml)).replace("\u00a0", " ")
    return re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", text)


@pytest.mark.parametrize(("name", "edition"), SHIPPED)
def test_no_template_writes_a_number_of_the_law(name, edition):
    text = text_outside_placeholders(name, edition)
    for allowed in sorted(ALLOWED, key=len, reverse=True):
        text = text.replace(allowed, " ")
    # The document's own article numbers, and the page fields' stand-in "1" of the footer.
    text = re.sub(r"[Aa]rticle \d+|page\s+1\s+sur\s+1", " ", text)

    assert re.findall(r".{0,30}\d.{0,30}", text) == []


def test_the_title_of_2025_the_training_paths_and_the_refill_rule_appear_from_their_edition():
    def says(edition: str, words: str) -> bool:
        return words in text_outside_placeholders("convention", edition)

    for edition in EDITIONS:
        assert says(edition, "« médiateur numérique »") is (edition == "title_2025")
        assert says(edition, "La Coop de la médiation numérique") is (
            EDITIONS.index(edition) >= EDITIONS.index("coop_2024")
        )
        assert says(edition, "le poste est restitué à l'État") is (
            EDITIONS.index(edition) >= EDITIONS.index("refill_2025")
        )
