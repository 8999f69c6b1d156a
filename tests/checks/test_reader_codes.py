"""The checks on the codes the XPT reader finds, and their other shortcuts: each equals the general path,
with values worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdisckit.checks import run_checks
from cdisckit.checks.cross_rules import _exposure_dates, _exposure_dates_by_frame
from cdisckit.checks.native import FrameCache, _combined_codes, condition_mask, evaluate, searches
from cdisckit.checks.native_rules import Context, _pairs_not_in
from cdisckit.checks.suites import Expectation
from cdisckit.dates import str_codes
from cdisckit.formats.xpt import write_xpt
from cdisckit.formats.xpt_read import read_xpt
from cdisckit.io import read_folder


def _write(tmp_path, name: str, df: pd.DataFrame):
    write_xpt(df, tmp_path / f"{name.lower()}.xpt", None, name=name)
    return tmp_path / f"{name.lower()}.xpt"


# ---------------------------------------------------------------- the reader's codes
def test_xpt_reader_gives_the_codes_of_its_text_columns(tmp_path):
    df = pd.DataFrame({"AETERM": ["HEADACHE", None, "HEADACHE", "caf\u00e9", " x"], "AESEQ": [1.0, 2.0, 3.0, 4.0, 5.0]})
    codes: dict = {}
    got = read_xpt(_write(tmp_path, "AE", df), text_codes=codes)
    assert got["AETERM"].tolist() == ["HEADACHE", None, "HEADACHE", "caf\u00e9", " x"]
    assert list(codes) == ["AETERM"]  # text columns only
    k, u = codes["AETERM"]
    assert k.tolist() == [0, -1, 0, 1, 2] and k.dtype == np.int64
    assert u.tolist() == ["HEADACHE", "caf\u00e9", " x"] and u.dtype == object
    assert got["AETERM"][0] is got["AETERM"][2]  # one str a distinct value
    ref = str_codes(got["AETERM"])
    assert ref is not None and np.array_equal(ref[0], k) and ref[1].tolist() == u.tolist()


def test_xpt_text_that_is_not_utf8_is_decoded_without_codes(tmp_path):
    path = _write(tmp_path, "TS", pd.DataFrame({"TSVAL": ["Alzheimer's", "ok"], "TSSEQ": [1.0, 2.0]}))
    raw = bytearray(path.read_bytes())
    at = raw.index(b"Alzheimer's")
    raw[at + 9] = 0x92  # cp1252 right single quote
    path.write_bytes(bytes(raw))
    codes: dict = {}
    warnings: list[str] = []
    got = read_xpt(path, text_codes=codes, warn=warnings.append)
    assert got["TSVAL"].tolist() == ["Alzheimer\u2019s", "ok"] and len(warnings) == 1
    assert "TSVAL" not in codes


def test_read_folder_collects_the_codes_per_dataset(tmp_path):
    _write(tmp_path, "DM", pd.DataFrame({"USUBJID": ["S-1", "S-2"], "AGE": [50.0, 60.0]}))
    _write(tmp_path, "AE", pd.DataFrame({"USUBJID": ["S-2", None, "S-2"]}))
    codes: dict = {}
    ds = read_folder(tmp_path, text_codes=codes)
    assert sorted(codes) == ["AE", "DM"]
    assert codes["AE"]["USUBJID"][0].tolist() == [0, -1, 0] and codes["DM"]["USUBJID"][1].tolist() == ["S-1", "S-2"]
    pd.testing.assert_frame_equal(ds["AE"], read_folder(tmp_path)["AE"])


def _study(tmp_path):
    """A small SDTM folder with findings: a subject not in DM, a TR without TU, an EX date outside RFX."""
    frames = {
        "DM": pd.DataFrame(
            {
                "STUDYID": "S",
                "DOMAIN": "DM",
                "USUBJID": ["S-1", "S-2"],
                "RFXSTDTC": ["2024-01-02", "2024-01-05"],
                "RFXENDTC": ["2024-02", "2024-03-01"],
            }
        ),
        "EX": pd.DataFrame(
            {
                "STUDYID": "S",
                "DOMAIN": "EX",
                "USUBJID": ["S-1", "S-1", "S-2", "S-3"],
                "EXSEQ": [1.0, 2.0, 1.0, 1.0],
                "EXSTDTC": ["2024-01-02", "2024-01-20", "2024-01-04", "2024-01-01"],
                "EXENDTC": ["2024-01-03", "2024-02-10", None, "2024-01-02"],
            }
        ),
        "TU": pd.DataFrame({"STUDYID": "S", "DOMAIN": "TU", "USUBJID": ["S-1"], "TULNKID": ["T01"]}),
        "TR": pd.DataFrame(
            {"STUDYID": "S", "DOMAIN": "TR", "USUBJID": ["S-1", "S-1", "S-2"], "TRLNKID": ["T01", "T02", "T01"]}
        ),
    }
    for name, df in frames.items():
        _write(tmp_path, name, df)
    return tmp_path


def test_checks_on_the_readers_codes_find_what_they_find_without_them(tmp_path):
    folder = _study(tmp_path)
    codes: dict = {}
    with_codes = run_checks(read_folder(folder, text_codes=codes), text_codes=codes)
    without = run_checks(read_folder(folder))
    assert [f.identity for f in with_codes.findings] == [f.identity for f in without.findings]
    assert [f.message for f in with_codes.findings] == [f.message for f in without.findings]
    assert [f.examples for f in with_codes.findings] == [f.examples for f in without.findings]
    found = {(f.rule_id, f.dataset, f.variable): f.rows for f in with_codes.findings}
    assert found[("USUBJID-NOT-IN-DM", "EX", "USUBJID")] == [3]
    assert found[("TR-TU-LINK", "TR", "TRLNKID")] == [1, 2]  # S-1 has no T02, S-2 no TU record at all
    assert found[("EX-OUTSIDE-RFX", "EX", "EXSTDTC")] == [2]  # S-2 exposed on 01-04, before RFXSTDTC 01-05


def test_codes_of_other_values_are_not_used():
    df = pd.DataFrame({"A": pd.Series(["x", "y"], dtype=object)})
    stale = {"A": (np.array([0, 0, 0]), pd.Series(["x"], dtype=object))}  # three rows: not these values
    codes, u = FrameCache(df, stale).text("A")
    assert codes.tolist() == [0, 1] and u.tolist() == ["x", "y"]


def test_run_checks_keeps_attrs_beside_the_frames_and_leaves_the_inputs_alone():
    dm = pd.DataFrame({"STUDYID": ["S"], "DOMAIN": ["DM"], "USUBJID": ["S-1"]})
    dm.attrs = {"label": "Demographics!", "column_labels": {"USUBJID": "Subject"}}
    report = run_checks({"DM": dm})
    labels = {(f.rule_id, f.variable) for f in report.findings if f.rule_id in ("DATASET-LABEL", "VAR-LABEL")}
    assert labels == {("DATASET-LABEL", None), ("VAR-LABEL", "USUBJID")}
    assert dm.attrs == {"label": "Demographics!", "column_labels": {"USUBJID": "Subject"}}
    assert ("DATASET-LABEL", "DM") in report.checked


# ---------------------------------------------------------------- row conditions on codes
VALUES = st.lists(st.sampled_from(["Y", "N", "mm", None]), min_size=0, max_size=12)


@settings(max_examples=60, deadline=None)
@given(VALUES, st.sampled_from(["==", "!="]), st.sampled_from(["Y", "cm"]))
def test_text_comparison_on_codes_is_pandas_comparison(values, op, value):
    df = pd.DataFrame({"A": pd.Series(values, dtype=object)})
    cond = {"type": "comparison", "column": {"name": "A"}, "operator": op, "parameter": value}
    by_codes = condition_mask(df, cond, FrameCache(df))
    by_pandas = condition_mask(df, cond)
    assert by_codes.tolist() == by_pandas.tolist()


def test_text_comparison_by_hand():
    df = pd.DataFrame({"A": pd.Series(["Y", None, "N", "Y"], dtype=object)})
    cache = FrameCache(df)
    ne = {"type": "comparison", "column": {"name": "A"}, "operator": "!=", "parameter": "Y"}
    assert condition_mask(df, ne, cache).tolist() == [False, True, True, False]  # missing is not "Y"
    null = {"type": "nullity", "column": {"name": "A"}, "is_null": False}
    assert condition_mask(df, null, cache).tolist() == [True, False, True, True]


@pytest.mark.parametrize(
    ("kind", "kwargs", "rows"),
    [
        ("expect_column_values_to_not_be_null", {}, [1]),
        ("expect_column_values_to_be_null", {}, [0, 3]),
        ("expect_column_values_to_be_in_set", {"value_set": ["a"]}, [3]),
        ("expect_column_values_to_not_be_in_set", {"value_set": ["a"]}, [0]),
    ],
)
def test_conditional_row_by_row_expectations_on_the_whole_frame(kind, kwargs, rows):
    df = pd.DataFrame(
        {"FL": pd.Series(["Y", "Y", "N", "Y"], dtype=object), "V": pd.Series(["a", None, "b", "c"], dtype=object)}
    )
    cond = {"type": "comparison", "column": {"name": "FL"}, "operator": "==", "parameter": "Y"}
    exp = Expectation(kind, {"column": "V", "row_condition": cond, **kwargs}, {"rule_id": "R", "check": "R"})
    fast = evaluate(df, exp, FrameCache(df))
    general = evaluate(df, exp)  # the condition's rows taken first
    assert fast.rows.tolist() == general.rows.tolist() == rows


# ---------------------------------------------------------------- other shortcuts
def test_searches_is_str_contains():
    u = pd.Series([" a", "a", "\u00a0b", "\tc", "", "2024-01-02\n", "x y"], dtype=object)
    for regex in (r"^\s", r"^\d{4}-\d{2}-\d{2}$", r"\s"):
        assert searches(u, regex).tolist() == u.str.contains(regex, regex=True).tolist()
    assert searches(u, r"^\s").tolist() == [True, False, True, True, False, False, False]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(-1, 3), min_size=5, max_size=5), min_size=1, max_size=4))
def test_combined_codes_are_equal_exactly_for_equal_tuples(columns):
    codes = [np.array(c, dtype=np.int64) for c in columns]
    key = _combined_codes(codes)
    tuples = list(zip(*columns))
    for i in range(5):
        for j in range(5):
            assert (key[i] == key[j]) == (tuples[i] == tuples[j])


def test_combined_codes_renumber_before_overflowing():
    big = np.array([2**40, 0, 2**40, 5], dtype=np.int64)
    key = _combined_codes([big, big, big, np.array([1, 1, 1, 2])])
    assert key.tolist() == [0, 1, 0, 2]


def _text(values):
    return str_codes(pd.Series(values, dtype=object))


def test_pairs_not_in_by_hand():
    # child (TR): S-1/T01 known, S-1/T02 not, a missing TRLNKID, S-2/T01 known only for S-1 in the parent
    mask = _pairs_not_in(
        _text(["S-1", "S-1", "S-1", "S-2"]),
        _text(["T01", "T02", None, "T01"]),
        _text(["S-1", "S-2", None]),
        _text(["T01", None, "T01"]),
    )
    assert mask.tolist() == [False, True, False, True]


EX = pd.DataFrame(
    {
        "USUBJID": pd.Series(["S-2", "S-1", "S-1", "S-1", "S-2", None], dtype=object),
        "EXSTDTC": pd.Series(["2024-01-05", "2024-01-02", "2024-01", "2024-01-02T08:00", None, "2023"], dtype=object),
        "EXENDTC": pd.Series(["2024-01-05", "2024-01-09", "2024-01", None, "2024-02", "2023"], dtype=object),
    }
)


@pytest.mark.parametrize(
    ("sources", "pick", "want"),
    [
        # digits: 2024-01 is 202401 00..., before 2024-01-02; the time makes 01-02T08:00 the later of the two
        (["EXSTDTC"], "first", {"S-1": "2024-01", "S-2": "2024-01-05"}),
        (["EXSTDTC", "EXENDTC"], "last", {"S-1": "2024-01-09", "S-2": "2024-02"}),
    ],
)
def test_exposure_dates_on_codes_by_hand_and_as_the_frame_path(sources, pick, want):
    ctx = Context({"EX": EX}, {"EX": None}, {"EX": "SDTMIG 3.4"})
    got = _exposure_dates(ctx, sources, pick)
    assert got is not None and got.to_dict() == want
    ref = _exposure_dates_by_frame(EX, sources, pick)
    assert ref is not None and got.sort_index().to_dict() == ref.to_dict()


def test_subject_positions_on_codes():
    dm = pd.DataFrame({"USUBJID": pd.Series(["S-1", "S-2", "S-1"], dtype=object)})
    ae = pd.DataFrame({"USUBJID": pd.Series(["S-2", None, "S-9", "S-1"], dtype=object)})
    ctx = Context({"DM": dm, "AE": ae}, {}, {})
    assert ctx.subject_positions("AE").tolist() == [1, -1, -1, 0]
