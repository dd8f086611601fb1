"""The legal open data (issue 18, point 6; decision 0029): the essential data of every convention above
23 000 € a year in the SCDL « Subventions » 2.1.1 schema, at a public URL and in the file the
`publish_open_data` job writes; validated with frictionless against the schema kept in
reference/scdl-subventions-2.1.1/, plus the schema's custom checks, on SQLite and PostgreSQL.

Three conventions, worked out by hand from DESIGN §3 and décret n° 2001-495 art. 1 (23 000 € a year):
- Saint-Flour (public, Cantal), 1 post, initial wave, 24 months from 2021-03-01, signed 2021-03-15:
  50 000 € for 24 months is 50 000 × 12 / 24 = 25 000 € a year > 23 000 €: published;
- the association of Val-de-Marne (private), 1 post, 18 months from 2021-04-01, signed 2021-04-10:
  32 000 € for 18 months is 32 000 × 12 / 18 = 21 333.33 € a year ≤ 23 000 €: not published;
- Le Tampon (public, La Réunion), 2 posts, 24 months: 2 × 67 500 € but a draft: not published.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from frictionless import Resource, Schema
from stdnum.fr import siret

from cnum_shared.framework.jobs import run_job
from cnum_shared.testing import service_app
from conventions import create_app
from conventions.jobs import JOBS

#: The schema as OpenDataFrance publishes it, kept in the repository (docs/reference/) so that the tests
#: validate offline, wherever the project is cloned.
SCHEMA_DIR = Path(__file__).resolve().parents[4] / "docs" / "reference" / "scdl-subventions-2.1.1"
SCHEMA = json.loads((SCHEMA_DIR / "schema.json").read_text(encoding="utf-8"))
PUBLISH = next(job for job in JOBS if job.name == "publish_open_data")
URL = "/api/v1/open-data/subventions.csv"


#: The service's clock: the public file holds what was signed up to its day (Europe/Paris).
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def app(database_url, tmp_path):
    with service_app(create_app, database_url, tmp_path, fake_now=NOW) as app:
        yield app


@pytest.fixture
def published(api):
    """The three conventions; the published one's reference."""
    saint_flour = api.convention(
        api.structure("15"), posts=1, start="2021-03-01", months=24, signed_on="2021-03-15"
    )
    api.convention(api.structure("94"), posts=1, start="2021-04-01", months=18, signed_on="2021-04-10")
    api.convention(api.structure("974"), posts=2, start="2021-05-01", months=24)
    return saint_flour["reference"]


def expected_rows(reference):
    header = [field["name"] for field in SCHEMA["fields"]]
    saint_flour = {
        # shared/parameters/open_data.yaml: the Caisse des dépôts, which signs for the State, and its SIRET.
        "nomAttribuant": "Caisse des dépôts et consignations",
        "idAttribuant": "18002002600019",
        "dateConvention": "2021-03-15",
        "referenceDecision": reference,
        "nomBeneficiaire": "Commune de Saint-Flour",
        "idBeneficiaire": "21150187900012",
        "rnaBeneficiaire": "",
        "objet": "Dispositif Conseiller numérique (vague initiale, France Relance) : financement en partie "
        "de la rémunération de 1 poste de conseiller numérique",
        "montant": "50000.00",
        "nature": "aide en numéraire",
        "conditionsVersement": "échelonné",
        # DESIGN §3: tranche 1 on signature, the others at months 12 and 24 from the start (2021-03-01).
        "datesPeriodeVersement": "2021-03-15/2023-03-01",
        "idRAE": "",
        "notificationUE": "non",
        "pourcentageSubvention": "1.00",
        "dispositifAide": "",
    }
    return [header, [saint_flour[name] for name in header]]


def check_against_the_schema(path: Path) -> list[dict[str, str]]:
    """frictionless's report on the file (valid, no error), then the schema's custom checks, which Table
    Schema cannot express (schema.json `custom_checks`): its rows as dicts."""
    # frictionless opens only relative paths under a base directory (an absolute one is "not safe").
    resource = Resource(path=path.name, basepath=str(path.parent), schema=Schema.from_descriptor(SCHEMA))
    report = resource.validate()
    assert report.flatten(["rowNumber", "fieldName", "type", "message"]) == []
    assert report.valid
    assert report.stats["errors"] == 0
    assert report.tasks[0].stats["rows"] == 1

    content = path.read_bytes()
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    for check in SCHEMA["custom_checks"]:
        params = check["params"]
        for number, row in enumerate(rows, start=2):
            if check["name"] == "french-siret-value":
                value = row[params["column"]]
                assert value == "" or siret.is_valid(value), (number, params["column"], value)
            elif check["name"] == "one-of-required":
                assert row[params["column1"]] or row[params["column2"]], (number, params)
            else:
                pytest.fail(f"a custom check this test does not know: {check['name']}")
    return rows


def test_the_public_file_holds_the_conventions_above_the_threshold(client, published, tmp_path):
    response = client.get(URL)  # no token: the décret requires the data freely accessible

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.mimetype_params["charset"] == "utf-8"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert not response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 without a BOM
    downloaded = tmp_path / "downloaded" / "subventions.csv"
    downloaded.parent.mkdir()
    downloaded.write_bytes(response.data)
    check_against_the_schema(downloaded)
    assert list(csv.reader(io.StringIO(response.data.decode("utf-8")))) == expected_rows(published)


def test_a_client_with_the_etag_gets_a_304(client, published):
    first = client.get(URL)
    again = client.get(URL, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


def test_a_convention_signed_after_the_day_is_not_yet_in_it(app, client, published):
    # 23:30 UTC on 14 March is 00:30 on the 15th in Paris: Saint-Flour's signing day, in the file.
    app.extensions["cnum"].clock.set(datetime(2021, 3, 14, 23, 30, tzinfo=UTC))
    assert len(list(csv.reader(io.StringIO(client.get(URL).data.decode("utf-8"))))) == 2
    # 22:30 UTC on 14 March is 23:30 in Paris, the day before: not yet.
    app.extensions["cnum"].clock.set(datetime(2021, 3, 14, 22, 30, tzinfo=UTC))
    rows = list(csv.reader(io.StringIO(client.get(URL).data.decode("utf-8"))))
    assert rows == [[field["name"] for field in SCHEMA["fields"]]]


def test_the_job_writes_the_same_file_atomically_and_again_the_same(app, published, client, tmp_path):
    summary = run_job(app.extensions["cnum"], PUBLISH, date(2026, 3, 1))

    written = tmp_path / "open-data" / "subventions.csv"
    content = written.read_bytes()
    check_against_the_schema(written)
    assert list(csv.reader(io.StringIO(content.decode("utf-8")))) == expected_rows(published)
    assert summary.startswith("open-data/subventions.csv: 1 conventions published (1 below the threshold, ")
    # Written through a temporary file renamed over it: nothing else is left in the directory.
    assert [path.name for path in written.parent.iterdir()] == ["subventions.csv"]
    # A second run for the same date writes the same bytes.
    assert run_job(app.extensions["cnum"], PUBLISH, date(2026, 3, 1)) == summary
    assert written.read_bytes() == content
