"""The State's design system (DSFR) comes from its npm package, pinned, installed by `make dsfr` into the
web front's static files and served from there: no page loads anything from another host."""

import json
import re
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[1]


@pytest.fixture
def client(web_app):
    return web_app().test_client()


def test_the_design_system_is_the_version_the_lock_file_pins():
    declared = json.loads((WEB / "package.json").read_text())["dependencies"]["@gouvfr/dsfr"]
    lock = json.loads((WEB / "package-lock.json").read_text())
    locked = lock["packages"]["node_modules/@gouvfr/dsfr"]

    # An exact version, not a range: a new DSFR is a change someone makes and looks at.
    assert re.fullmatch(r"\d+\.\d+\.\d+", declared)
    assert locked["version"] == declared
    assert locked["integrity"].startswith("sha512-")


def test_every_page_loads_the_design_system_from_the_web_front_itself(client):
    page = client.get("/connexion")
    text = page.get_data(as_text=True)

    assets = re.findall(r'(?:href|src)="([^"]+)"', text)
    design_system = [asset for asset in assets if "/dsfr/" in asset]
    assert {"/static/dsfr/dsfr.min.css", "/static/dsfr/dsfr.module.min.js"} <= set(design_system)
    assert all(asset.startswith("/") for asset in assets if not asset.startswith("#")), assets
    for asset in design_system:
        served = client.get(asset)
        assert served.status_code == 200, asset
        served.close()
    # The DSFR's header and footer, with the State's logo block.
    assert 'class="fr-header"' in text and 'class="fr-footer"' in text and 'class="fr-logo"' in text
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


def test_the_design_system_keeps_its_licence_and_the_marianne_font_beside_it(client):
    licence = client.get("/static/dsfr/LICENSE.md")
    assert licence.status_code == 200
    assert "etalab" in licence.get_data(as_text=True).lower()
    licence.close()
    font = client.get("/static/dsfr/fonts/Marianne-Regular.woff2")
    assert font.status_code == 200 and font.headers["Content-Type"] == "font/woff2"
    font.close()


def test_the_accessibility_statement_is_readable_without_signing_in_and_linked_from_every_page(client):
    statement = client.get("/accessibilite")
    text = statement.get_data(as_text=True)

    assert statement.status_code == 200
    assert "Déclaration d'accessibilité" in text
    # Without an audit, the RGAA's model has the site declare itself non conforme, and says so.
    assert "non conforme" in text and "RGAA" in text and "Défenseur des droits" in text
    sign_in_page = client.get("/connexion").get_data(as_text=True)
    assert 'href="/accessibilite">Accessibilité : non conforme</a>' in sign_in_page


def defined_classes(stylesheet: Path) -> set[str]:
    """The class names a stylesheet gives rules to (`.fr-btn`, `.fr-badge--success`…)."""
    return set(re.findall(r"\.(-?[_a-zA-Z][\w-]*)", stylesheet.read_text()))


def test_every_class_a_page_uses_is_the_design_systems_or_one_of_the_few_it_has_no_component_for():
    # The pages are written with the DSFR's components; cnum.css keeps only what the DSFR has no
    # component for. A class neither defines is a mistake (a typo, or the old hand-written imitation).
    static = WEB / "web" / "static"
    design_system = set().union(*(defined_classes(sheet) for sheet in (static / "dsfr").rglob("*.min.css")))
    own = defined_classes(static / "cnum.css")
    assert len(own) <= 6, own  # the description lists, the progress bar, the charts: not a second system
    used: dict[str, set[str]] = {}
    for template in (WEB / "web" / "templates").rglob("*.html"):
        for attribute in re.findall(r'class="([^"]*)"', template.read_text()):
            # Names that Jinja completes (a badge's type) are checked where they are made.
            for name in re.sub(r"\{[{%].*?[%}]\}", " § ", attribute).split():
                if name != "§" and not name.endswith("-"):
                    used.setdefault(name, set()).add(template.name)

    unknown = {name: sorted(pages) for name, pages in used.items() if name not in design_system | own}
    assert not unknown
    assert {"fr-table", "fr-badge", "fr-btn", "fr-input", "fr-select", "fr-pagination", "fr-tag"} <= set(used)


def test_every_status_badge_is_one_of_the_design_systems_badges():
    from web.views.filters import BADGE_TYPES

    badges = defined_classes(WEB / "web" / "static" / "dsfr" / "dsfr.min.css")
    assert {f"fr-badge--{kind}" for kind in BADGE_TYPES.values()} <= badges
