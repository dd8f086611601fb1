"""The dated-YAML loader: lookup by date, Decimal values, and every malformed file refused at load."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cnum_shared.core.parameters import (
    ParameterFileError,
    ParameterNotInForce,
    ParameterTypeError,
    load_parameters,
    parameters,
)

GOOD_PARAMETER = """
description: Taux de test
metadata:
  unit: currency-EUR
values:
  2021-01-01:
    value: 10.15
    reference:
      title: Décret de test
      href: https://example.invalid/decret
  2022-05-01:
    value: 10.85
    reference: assumption
    note: valeur supposée
  2023-01-01:
    value: null
"""


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_value_is_found_by_its_effective_date_and_is_an_exact_decimal(tmp_path):
    tree = load_parameters(write_tree(tmp_path, {"rate.yaml": GOOD_PARAMETER}))
    rate = tree.get("rate")

    assert rate.at(date(2021, 1, 1)).as_decimal() == Decimal("10.15")
    assert isinstance(rate.at(date(2021, 1, 1)).value, Decimal)
    assert rate.at(date(2022, 4, 30)).as_decimal() == Decimal("10.15")
    assert rate.at(date(2022, 5, 1)).as_decimal() == Decimal("10.85")
    assert rate.at(date(2022, 5, 1)).is_assumption
    assert rate.at(date(2021, 6, 1)).reference == "Décret de test — https://example.invalid/decret"
    assert rate.unit == "currency-EUR"


def test_before_the_first_date_and_after_a_null_the_parameter_is_not_in_force(tmp_path):
    rate = load_parameters(write_tree(tmp_path, {"rate.yaml": GOOD_PARAMETER})).get("rate")

    with pytest.raises(ParameterNotInForce, match="no value before 2021-01-01"):
        rate.at(date(2020, 12, 31))
    with pytest.raises(ParameterNotInForce, match="ended on 2023-01-01"):
        rate.at(date(2023, 1, 1))
    assert [value.effective_from for value in rate.history()] == [date(2021, 1, 1), date(2022, 5, 1)]


def test_a_file_can_hold_a_group_of_parameters_and_a_directory_is_a_group(tmp_path):
    group = """
description: Groupe
first:
  description: Premier
  values:
    2020-01-01: {value: [1, 1.5], reference: assumption}
nested:
  second:
    description: Second
    values:
      2020-01-01: {value: true, reference: assumption}
"""
    tree = load_parameters(
        write_tree(tmp_path, {"dir/index.yaml": "description: Dossier\n", "dir/group.yaml": group})
    )

    assert tree.node("dir").description == "Dossier"
    assert tree.get("dir.group.first").at(date(2021, 1, 1)).as_decimals() == (Decimal(1), Decimal("1.5"))
    assert tree.get("dir.group.nested.second").at(date(2021, 1, 1)).as_bool() is True
    assert "group" in tree.node("dir")
    assert sorted(parameter.name for parameter in tree.walk()) == [
        "dir.group.first",
        "dir.group.nested.second",
    ]
    with pytest.raises(KeyError, match=r"dir\.group\.missing"):
        tree.get("dir.group.missing")
    with pytest.raises(KeyError, match="is a group"):
        tree.get("dir.group")


def test_reading_a_value_as_the_wrong_type_is_refused(tmp_path):
    rate = load_parameters(write_tree(tmp_path, {"rate.yaml": GOOD_PARAMETER})).get("rate")
    value = rate.at(date(2021, 1, 1))

    with pytest.raises(ParameterTypeError, match="not a whole number"):
        value.as_int()
    with pytest.raises(ParameterTypeError, match="not a list"):
        value.as_decimals()
    with pytest.raises(ParameterTypeError, match="not a date"):
        value.as_date()
    with pytest.raises(ParameterTypeError, match="not a list"):
        value.as_strings()


def test_a_list_of_codes_is_read_as_texts_and_a_number_in_it_is_refused(tmp_path):
    codes = (
        "description: Codes\nvalues:\n  2021-01-01: {value: [cdi, cdd], reference: assumption}\n"
        "  2022-01-01: {value: [cdi, 18], reference: assumption}\n"
    )
    parameter = load_parameters(write_tree(tmp_path, {"codes.yaml": codes})).get("codes")

    assert parameter.at(date(2021, 6, 1)).as_strings() == ("cdi", "cdd")
    with pytest.raises(ParameterTypeError, match="18 is not a text"):
        parameter.at(date(2022, 6, 1)).as_strings()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("description: x\nvalues: [1, 2]\n", "'values' must map effective dates"),
        (
            "description: x\nvalues:\n  someday: {value: 1, reference: assumption}\n",
            "is not an effective date",
        ),
        ("description: x\nvalues:\n  2021-01-01: {value: 1}\n", "needs a 'reference'"),
        ("description: x\nvalues:\n  2021-01-01: {reference: assumption}\n", "needs a 'value'"),
        (
            "description: x\nvalues:\n  2021-01-01: {value: 1, reference: assumption, source: x}\n",
            "unknown keys",
        ),
        ("description: x\nvalues:\n  2021-01-01: {value: 1, reference: {}}\n", "a reference is"),
        ("description: x\nvalues:\n  2021-01-01: {value: 1, reference: {page: 3}}\n", "a reference is"),
        ("description: x\nvalues:\n  2021-01-01: {value: {a: 1}, reference: assumption}\n", "a value is"),
        ("description: x\nvalues:\n  2021-01-01: {value: [], reference: assumption}\n", "empty list"),
        ("description: x\nvalues:\n  2021-01-01: {value: null}\n", "first value cannot be null"),
        ("values:\n  2021-01-01: {value: 1, reference: assumption}\n", "needs a 'description'"),
        (
            "description: x\nunit: EUR\nvalues:\n  2021-01-01: {value: 1, reference: assumption}\n",
            "unknown keys",
        ),
        (
            "description: x\nvalues:\n  2021-01-01 10:00:00: {value: 1, reference: assumption}\n",
            "not an effective date",
        ),
        ("- just\n- a list\n", "expected a mapping"),
        ("description: [unclosed\n", "not valid YAML"),
        ("description: groupe\nchild: 3\n", "must be a parameter"),
        ("description: groupe sans enfant\n", "a group needs at least one parameter"),
        ("description: x\nvalues:\n  2021-01-01: {value: .nan, reference: assumption}\n", "not valid YAML"),
    ],
)
def test_a_malformed_file_is_refused_at_load_with_its_path(tmp_path, text, problem):
    write_tree(tmp_path, {"broken.yaml": text})

    with pytest.raises(ParameterFileError, match=problem) as refused:
        load_parameters(tmp_path)
    assert "broken.yaml" in str(refused.value)


def test_a_missing_directory_is_refused(tmp_path):
    with pytest.raises(ParameterFileError, match="not found"):
        load_parameters(tmp_path / "nowhere")


def test_every_value_of_the_programme_has_a_reference_and_a_description():
    every = list(parameters().walk())

    assert len(every) >= 40
    for parameter in every:
        assert parameter.description, parameter.name
        for value in parameter.history():
            assert value.reference, f"{parameter.name} at {value.effective_from}"
