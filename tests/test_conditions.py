"""The one condition language: the same condition selects the same rows in a mapping file and in ADaM params."""

from __future__ import annotations

import pandas as pd
import pytest

from cdisckit.conditions import condition_columns, condition_problem, frame_mask
from cdisckit.errors import SpecError
from cdisckit.sdtm.assign import condition_mask as mapping_mask

EX = pd.DataFrame({"EXCAT": ["CAR-T", " car-t", "LYMPHODEPLETION"], "EXTRT": ["X", "X", "FLU"]})


def test_same_rule_in_mapping_files_and_adam_params():
    # the case: {EXCAT: car-t} matched 2 of 3 rows in a mapping file and 0 of 3 in adam.yaml
    cond = {"EXCAT": "car-t"}
    assert mapping_mask(cond, EX, {}, EX.index).tolist() == [True, True, False]
    assert frame_mask(EX, cond).tolist() == [True, True, False]


@pytest.mark.parametrize(
    "cond,expected",
    [
        ({"A": {"gt": {"column": "B"}}}, [True, False, False, False, False]),
        ({"A": {"le": {"column": "B"}}}, [False, True, True, False, False]),
        ({"A": {"not": {"gt": {"column": "B"}}}}, [False, True, True, True, True]),  # missing: comparison false
        ({"A": {"ge": "2025-03"}}, [True, True, True, False, False]),  # partial: compared at the shared precision
        ({"A": {"lt": "2025-03-05"}}, [False, True, False, False, False]),
        ({"N": {"gt": 2}}, [False, False, True, True, False]),
        ({"N": {"ge": {"column": "M"}}}, [True, False, True, False, False]),
        ({"any": [{"N": 1}, {"A": None}]}, [True, False, False, True, True]),
        ({"all": [{"N": {"gt": 1}}, {"N": {"lt": 4}}]}, [False, True, True, False, False]),
        ({"T": {"matches": r"\d{3}-\d{4}"}}, [True, False, True, False, False]),
    ],
)
def test_comparisons_between_columns_dates_and_numbers(cond, expected):
    d = pd.DataFrame(
        {
            "A": ["2025-03-07", "2025-03-01", "2025-03", None, None],
            "B": ["2025-03-06", "2025-03-01", "2025-03-31", "2025-01-01", None],
            "N": [1.0, 2.0, 3.0, 4.0, None],
            "M": [1.0, 3.0, 2.0, 5.0, 1.0],
            "T": ["701-1015", "701 1015", " 702-1001 ", None, ""],
        }
    )
    assert frame_mask(d, cond).tolist() == expected


def test_dates_against_datetime_columns():
    d = pd.DataFrame({"ADT": pd.to_datetime(["2025-01-01", "2025-02-01", None]), "D": ["2025-01-15"] * 3})
    assert frame_mask(d, {"ADT": {"lt": {"column": "D"}}}).tolist() == [True, False, False]


def test_columns_named_by_a_condition_are_listed_for_the_spec_loader():
    cond = {"A": {"gt": {"column": "B"}}, "any": [{"C": None}, {"D": {"not": {"eq": {"column": "E"}}}}]}
    assert condition_columns(cond) == ["A", "B", "C", "D", "E"]


@pytest.mark.parametrize(
    "cond",
    [
        {"A": {"gt": {"col": "B"}}},
        {"A": {"matches": "("}},
        {"any": []},
        {"any": [{"A": True}]},
        {"A": {"lt": [1, 2]}},
    ],
)
def test_malformed_comparisons_rejected(cond):
    assert condition_problem(cond) is not None


def test_unknown_compared_column_names_the_key():
    with pytest.raises(SpecError) as e:
        frame_mask(EX, {"EXCAT": {"eq": {"column": "NOPE"}}}, key="trtsdt_where")
    assert "NOPE" in str(e.value) and "trtsdt_where" in str(e.value)
