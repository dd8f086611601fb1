"""The document store hands out absolute paths: `make run` sets a relative CNUM_VAR_DIR (`var`), and Flask's
send_file would read a relative path from the package's folder instead of the working directory."""

from pathlib import Path

from conventions.adapters.document_store import LocalFileStore


def test_a_relative_var_dir_gives_files_where_the_service_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = LocalFileStore(Path("var"))
    store.write("closing-runs/run.zip", b"PK")

    path = store.absolute("closing-runs/run.zip")

    assert path.is_absolute()
    assert path == tmp_path / "var" / "closing-runs" / "run.zip"
    assert path.read_bytes() == b"PK"
