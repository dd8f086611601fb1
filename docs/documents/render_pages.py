"""The page images of docs/documents/: three documents of three periods of the law, made by a running
`make run` through its API, checked, then drawn page by page.

    make run                                   # in another terminal, with the demo data
    .venv/bin/python docs/documents/render_pages.py

- a convention of 2021 (the initial wave, France Relance): the demo's Commune de Saint-Flour;
- a renewal convention of 2023: the demo's renewal that starts on 1 June 2023;
- an avenant of 2025: the Commune du Tampon's renewal gives back one of its two posts from 1 October
  2025, an avenant drawn up here and signed on 15 October 2025 (after the funding freeze, a reduction
  is still allowed).

Each PDF is checked before it is drawn: its agency seal verified (`POST /documents/verify`), PDF/A-2b by
cnum_shared.testing.pdfa, the provenance read from its XMP. Pages are drawn with pypdfium2 (PDFium).
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pypdfium2
import requests

from cnum_shared.testing.pdfa import pdfa_2b_problems
from conventions.adapters.pdf import provenance_of

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CONVENTIONS = "http://127.0.0.1:5001/api/v1"


def token(role: str) -> str:
    cnum = ROOT / ".venv" / "bin" / "cnum"
    # Our own console script, with a fixed role: no input from outside.
    found = subprocess.run(  # noqa: S603
        [cnum, "token", "--role", role], check=True, capture_output=True, text=True
    )
    return found.stdout.strip()


def call(http: requests.Session, method: str, path: str, **kwargs: object) -> requests.Response:
    response = http.request(method, f"{CONVENTIONS}{path}", timeout=120, **kwargs)  # type: ignore[arg-type]
    if response.status_code >= 400:
        raise SystemExit(f"{method} {path}: {response.status_code} {response.text[:500]}")
    return response


def conventions(http: requests.Session) -> list[dict]:
    return call(http, "GET", "/conventions?per_page=100").json()


def the_2025_avenant(http: requests.Session, tampon: dict) -> str:
    """The Tampon's renewal from two posts to one on 1 October 2025; its document's path."""
    existing = call(http, "GET", f"/conventions/{tampon['id']}/amendments").json()
    for amendment in existing:
        if amendment["effective_date"] == "2025-10-01":
            return f"/conventions/{tampon['id']}/amendments/{amendment['id']}/document?format=pdf"
    amendment = call(
        http,
        "POST",
        f"/conventions/{tampon['id']}/amendments",
        json={
            "posts": 1,
            "effective_date": "2025-10-01",
            "requested_on": "2025-09-20",
            "reason": "Restitution d'un poste demandée par la commune, faute de candidat retenu.",
        },
    ).json()
    call(
        http,
        "POST",
        f"/conventions/{tampon['id']}/amendments/{amendment['id']}/sign",
        json={"signed_on": "2025-10-15"},
    )
    return f"/conventions/{tampon['id']}/amendments/{amendment['id']}/document?format=pdf"


def check(http: requests.Session, name: str, pdf: bytes) -> None:
    verified = call(http, "POST", "/documents/verify", files={"file": (f"{name}.pdf", pdf)}).json()
    problems = pdfa_2b_problems(pdf)
    provenance = provenance_of(pdf)
    template = f"{provenance.get('/CnumTemplate')} {provenance.get('/CnumTemplateSha256', '')[:12]}"
    seal = f"seal ours={verified['ours']} intact={verified['intact']}"
    print(f"{name}: {seal}; PDF/A-2b {problems or 'ok'}; {template}")
    if not (verified["ours"] and verified["intact"]) or problems:
        raise SystemExit(f"{name}: not a sealed PDF/A-2b document")


def draw(name: str, pdf: bytes) -> None:
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    for number, page in enumerate(document, start=1):
        image = page.render(scale=100 / 72).to_pil()  # 100 dpi: readable, light in the repository
        image.save(HERE / f"{name}-page-{number}.png", optimize=True)
    print(f"{name}: {len(document)} pages → docs/documents/{name}-page-*.png")


def main() -> None:
    for old in HERE.glob("*.png"):
        old.unlink()
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {token('legal')}"
        everything = conventions(http)
        convention_2021 = next(
            c for c in everything if c["start_date"].startswith("2021") and c["status"] != "draft"
        )
        renewal_2023 = next(
            c for c in everything if c["wave"] == "renewal" and c["start_date"].startswith("2023")
        )
        tampon = next(c for c in everything if c["wave"] == "renewal" and c["start_date"] == "2024-09-02")
        documents = {
            "convention-2021": f"/conventions/{convention_2021['id']}/document?format=pdf",
            "renouvellement-2023": f"/conventions/{renewal_2023['id']}/document?format=pdf",
            "avenant-2025": the_2025_avenant(http, tampon),
        }
        for name, path in documents.items():
            pdf = call(http, "GET", path).content
            check(http, name, pdf)
            draw(name, pdf)


if __name__ == "__main__":
    sys.exit(main())
