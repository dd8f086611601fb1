"""`python -m <svc>.jobs`: list the jobs, run one once for a date, refuse what it does not know."""

import hashlib
import os
import subprocess
import sys

import pytest

from cnum_shared.testing import TEST_KEY_ENV, run_command

SERVICES = ("conventions", "payments", "compliance")
#: An empty programme's open data: the SCDL « Subventions » 2.1.1 header alone (schema.json's 16 field
#: names, in order), one CRLF-terminated CSV line.
SCDL_HEADER = (
    b"nomAttribuant,idAttribuant,dateConvention,referenceDecision,nomBeneficiaire,idBeneficiaire,"
    b"rnaBeneficiaire,objet,montant,nature,conditionsVersement,datesPeriodeVersement,idRAE,notificationUE,"
    b"pourcentageSubvention,dispositifAide\r\n"
)


@pytest.mark.parametrize("service", SERVICES)
def test_jobs_list_names_relay_outbox(service):
    assert "relay_outbox" in run_command("-m", f"{service}.jobs", "list", env={})


def test_conventions_jobs_list_names_the_personal_data_purge():
    listed = run_command("-m", "conventions.jobs", "list", env={})
    assert [line.split("\t")[0] for line in listed.splitlines()] == [
        "relay_outbox",
        "run_document_batches",
        "run_closing_runs",
        "purge_personal_data",
        "publish_open_data",
    ]


@pytest.mark.parametrize(
    ("service", "job", "summary"),
    [
        *((service, "relay_outbox", "delivered 0, to retry 0, dead 0") for service in SERVICES),
        ("conventions", "purge_personal_data", "advisors anonymised 0, documents purged 0, files deleted 0"),
        ("conventions", "run_closing_runs", "aucune clôture en attente; aucune archive à écrire"),
        (
            "conventions",
            "publish_open_data",
            "open-data/subventions.csv: 0 conventions published (0 below the threshold, 0 without a SIRET), "
            f"sha256 {hashlib.sha256(SCDL_HEADER).hexdigest()}",
        ),
    ],
)
def test_a_job_runs_once_for_a_given_date(service, job, summary, db_backend, test_databases, tmp_path):
    import importlib

    migrations_dir = importlib.import_module(f"{service}.manage").MIGRATIONS_DIR
    env = {
        f"{service.upper()}_DATABASE_URL": test_databases.fresh(service, db_backend, migrations_dir),
        **TEST_KEY_ENV,
        "CNUM_VAR_DIR": str(tmp_path),
        "CNUM_ENVIRONMENT": "test",
    }
    output = run_command("-m", f"{service}.jobs", "run", job, "--as-of", "2026-01-01", env=env)
    assert output.strip() == summary
    if job == "publish_open_data":
        assert (tmp_path / "open-data" / "subventions.csv").read_bytes() == SCDL_HEADER


@pytest.mark.parametrize(
    "arguments", [["run", "no_such_job"], ["run", "relay_outbox", "--as-of", "01/01/2026"]]
)
def test_the_jobs_command_refuses_what_it_does_not_know(arguments):
    completed = subprocess.run(
        [sys.executable, "-m", "conventions.jobs", *arguments], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 2
    assert "invalid" in completed.stderr or "not a date" in completed.stderr


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize(
    "command", [["jobs", "run", "relay_outbox"], ["jobs", "serve"], ["manage", "migrate"]], ids=" ".join
)
def test_nothing_starts_without_cnum_environment(service, command, tmp_path):
    # DESIGN §5, fail closed: before, an unset CNUM_ENVIRONMENT meant development and its public secret.
    environment = {key: value for key, value in os.environ.items() if key != "CNUM_ENVIRONMENT"}
    completed = subprocess.run(
        [sys.executable, "-m", f"{service}.{command[0]}", *command[1:]],
        env={**environment, **TEST_KEY_ENV, "CNUM_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2, completed.stderr
    assert "CNUM_ENVIRONMENT must be set" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert not list(tmp_path.glob("*.sqlite3"))  # nothing was created
