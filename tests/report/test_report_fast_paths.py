"""Quicker ways the report takes to the same result: each against the slower way it replaced."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdisckit.report import efficacy as E
from cdisckit.report import figures as F


# ------------------------------------------------------------------------------------------ ADRS rows by PARAMCD
@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(st.sampled_from(["OVR", "BOR", "CBOR", None]), st.sampled_from(["CR", "PR", None])), max_size=40
    ),
    st.booleans(),
)
def test_code_frame_equals_selecting_columns_then_rows(records, duplicate_index):
    """The rows of one PARAMCD taken column by column equal ``df[cols].iloc[rows]``: values, dtypes, index."""
    df = pd.DataFrame(
        {
            "PARAMCD": pd.Series([c for c, _ in records], dtype=object),
            "AVALC": pd.array([a for _, a in records], dtype="string"),
            "AVAL": np.arange(len(records), dtype=float),
        }
    )
    if duplicate_index:
        df.index = [i // 2 for i in range(len(df))]
    E._BY_CODE[:] = [None, {}]
    for code in ("OVR", "BOR", "CBOR", "XX"):
        rows = E._code_rows(df).get(code, np.array([], dtype=np.intp))
        cols = ["AVALC", "AVAL", "NOTTHERE"]
        want = df[["AVALC", "AVAL"]].iloc[rows]
        pd.testing.assert_frame_equal(E._code_frame(df, code, cols), want)


def test_code_frame_by_hand():
    df = pd.DataFrame({"PARAMCD": ["OVR", "BOR", "OVR"], "USUBJID": ["A", "B", "C"], "AVALC": ["PR", "CR", "SD"]})
    got = E._code_frame(df, "OVR", ["USUBJID", "AVALC", "ADT"])
    assert got.to_dict("list") == {"USUBJID": ["A", "C"], "AVALC": ["PR", "SD"]} and got.index.tolist() == [0, 2]
    assert E._code_frame(df, "OVR", ["ADT"]).shape == (2, 0)  # none of the columns: the rows, no column


# ------------------------------------------------------------------------------------------ safety: columns read
def test_safety_reads_only_its_columns(adam, monkeypatch):
    """The safety tables from the ADAE columns they read (AE_COLUMNS and the *GRN grades) equal those from every
    ADAE column (as before), on an ADAE with extra columns, one of them a stray 'cohort' (never read)."""
    from cdisckit.report import safety as S

    adsl, adae = adam["ADSL"], adam["ADAE"]
    cohorts = ["DL1", "LEN"]
    wide = adae.assign(cohort="not this one", EXTRA=1.0, AETERM=adae["AEDECOD"])
    wide.attrs = dict(adae.attrs)
    narrow = S.safety(adsl, wide, cohorts)
    monkeypatch.setattr(S, "AE_COLUMNS", frozenset(wide.columns) - {"cohort"})
    every = S.safety(adsl, wide, cohorts)
    for key in ("overview", "soc_pt", "serious_soc_pt"):
        pd.testing.assert_frame_equal(narrow[key], every[key])
    for key in ("grades", "onset"):
        pd.testing.assert_frame_equal(narrow["aesi"][key], every["aesi"][key])
    assert narrow["overview"]["n"].sum() > 0 and len(narrow["aesi"]["onset"]) > 0


# ------------------------------------------------------------------------------------------ figures: same pixels
def test_rects_and_rgba_by_hand():
    r = F._rects([0, 2], [1, 1], [0, 0], [3, -1])
    assert isinstance(r, np.ndarray) and r.shape == (2, 4, 2)
    assert r[0].tolist() == [[0.0, 0.0], [1.0, 0.0], [1.0, 3.0], [0.0, 3.0]]
    assert F._rgba(["#1b7837", "#ffffff"]).tolist() == [[0x1B / 255, 0x78 / 255, 0x37 / 255, 1.0], [1.0] * 4]
    assert F._rgba([]).shape == (0, 4)


def _png(collection_factory) -> bytes:
    import matplotlib

    with matplotlib.rc_context(F.RC):
        fig, ax = F._new_figure(3.0, 2.0)
        ax.add_collection(collection_factory())
        ax.set_xlim(0, 10)
        ax.set_ylim(-5, 5)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


@pytest.mark.parametrize("alpha", [None, 0.15])
def test_polycollection_from_arrays_draws_the_same_png(alpha):
    """Bars from one (n, 4, 2) array and an RGBA array give the PNG bytes of bars from a list of (4, 2) arrays and a
    list of colour names (what the report drew before)."""
    from matplotlib.collections import LineCollection, PolyCollection

    rng = np.random.default_rng(7)
    n = 300
    x, h = np.arange(n) / n * 10, rng.normal(0, 3, n)
    names = [["#1b7837", "#d73027", "#969696"][i % 3] for i in range(n)]
    rects = F._rects(x, np.full(n, 10 / n), np.zeros(n), h)
    old = _png(lambda: PolyCollection(list(rects), facecolors=names, edgecolors="none", alpha=alpha))
    new = _png(lambda: PolyCollection(rects, facecolors=F._rgba(names), edgecolors="none", alpha=alpha))
    assert old == new
    segs = [np.c_[np.arange(5) + i % 7, rng.normal(0, 2, 5)] for i in range(50)]
    old = _png(lambda: LineCollection(segs, colors=names[:50], linewidths=0.5, alpha=alpha))
    new = _png(lambda: LineCollection(segs, colors=F._rgba(names[:50]), linewidths=0.5, alpha=alpha))
    assert old == new


# ------------------------------------------------------------------------------------------ worst-grade counts
def _worst_grade_counts_by_six_groupbys(ae, keys, N, grade_col, levels, high=3):
    """The counting as it was: one groupby of the subjects' rows per count (any grade, by grade, >= high) and per
    split (by cohort, in total)."""
    from cdisckit.report.common import TOTAL
    from cdisckit.report.safety import _grade_labels

    by = keys + ["USUBJID", "cohort"]
    g = ae[by + [grade_col]].groupby(by, dropna=False, sort=False)[grade_col].max().reset_index()
    g["grade"] = _grade_labels(g[grade_col])
    parts = []
    for d in (g, g.assign(cohort=TOTAL)):
        by = keys + ["cohort"]
        parts.append(d.groupby(by, dropna=False).size().rename("n").reset_index().assign(grade="Any"))
        parts.append(d.groupby(by + ["grade"], dropna=False).size().rename("n").reset_index())
        parts.append(
            d[d[grade_col] >= high].groupby(by, dropna=False).size().rename("n").reset_index().assign(grade=f">={high}")
        )
    counts = pd.concat(parts, ignore_index=True)
    grades = ["Any"] + [str(x) for x in levels] + (["Missing"] if (g["grade"] == "Missing").any() else [])
    grades.append(f">={high}")
    key_rows = g[keys].drop_duplicates() if keys else pd.DataFrame(index=[0])
    grid = key_rows.merge(pd.DataFrame({"cohort": list(N)}), how="cross").merge(
        pd.DataFrame({"grade": grades}), how="cross"
    )
    out = grid.merge(counts, on=keys + ["cohort", "grade"], how="left")
    out["n"] = out["n"].fillna(0).astype(int)
    out["N"] = out["cohort"].map(N).astype(int)
    out["pct"] = np.where(out["N"] > 0, 100.0 * out["n"] / out["N"].where(out["N"] > 0, 1), np.nan)
    return out[keys + ["cohort", "grade", "n", "N", "pct"]]


ae_rows = st.lists(
    st.tuples(
        st.sampled_from(["S1", "S2", "S3", "S4"]),
        st.sampled_from(["A", "B", "Total"]),  # a cohort named as the total column, too
        st.sampled_from(["SOC1", "SOC2"]),
        st.sampled_from(["PT1", "PT2", "PT3"]),
        st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0, 2.5, np.nan]),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(ae_rows, st.sampled_from([[], ["AEBODSYS"], ["AEBODSYS", "AEDECOD"]]))
def test_worst_grade_counts_equals_one_groupby_per_count(rows, keys):
    from cdisckit.report.safety import worst_grade_counts

    ae = pd.DataFrame(rows, columns=["USUBJID", "cohort", "AEBODSYS", "AEDECOD", "_grade"])
    N = {"A": 5, "B": 0, "C": 3, "Total": 8}
    want = _worst_grade_counts_by_six_groupbys(ae, keys, N, "_grade", [1, 2, 3, 4, 5])
    pd.testing.assert_frame_equal(worst_grade_counts(ae, keys, N, "_grade", [1, 2, 3, 4, 5]), want)


def test_worst_grade_counts_by_hand():
    """S1: grades 1 and 3 (worst 3), S2: 2, S3: none recorded; cohort A = S1, S2; B = S3."""
    from cdisckit.report.safety import worst_grade_counts

    ae = pd.DataFrame(
        {"USUBJID": ["S1", "S1", "S2", "S3"], "cohort": ["A", "A", "A", "B"], "_grade": [1.0, 3.0, 2.0, np.nan]}
    )
    out = worst_grade_counts(ae, [], {"A": 2, "B": 1, "Total": 3}, "_grade", [1, 2, 3]).set_index(["cohort", "grade"])
    assert out.loc[("A", "Any"), "n"] == 2 and out.loc[("A", "3"), "n"] == 1 and out.loc[("A", "1"), "n"] == 0
    assert out.loc[("A", ">=3"), "n"] == 1 and out.loc[("B", "Missing"), "n"] == 1 and out.loc[("B", ">=3"), "n"] == 0
    assert out.loc[("Total", "Any"), "n"] == 3 and out.loc[("Total", "Any"), "pct"] == 100.0
    assert out.loc[("Total", "2"), "pct"] == pytest.approx(100 / 3)


# ------------------------------------------------------------------------------------------ frames without attrs
def test_tables_name_the_aesi_scale_by_its_label_though_frames_lose_their_attrs(adam):
    """compute_tables works on frames without attrs (pandas would deep-copy them into every result) but reads the
    ADAE labels first: the AESI scale is still named by the label of its grade variable, and the caller's frames
    keep their attrs."""
    from cdisckit.report import compute_tables

    data = dict(adam)
    data["ADAE"] = adam["ADAE"].copy()
    data["ADAE"].attrs = {"label": "Adverse Events", "column_labels": {"ASTCTGRN": "ASTCT Consensus Grade (N)"}}
    grades = compute_tables(data)["safety"]["aesi"]["grades"]
    assert set(grades["scale"]) == {"ASTCT Consensus Grade"}
    assert data["ADAE"].attrs["column_labels"] == {"ASTCTGRN": "ASTCT Consensus Grade (N)"}
    data["ADAE"].attrs = {}
    assert set(compute_tables(data)["safety"]["aesi"]["grades"]["scale"]) == {"ASTCT"}  # no label: the name


# ------------------------------------------------------------------------------------------ swimmer: first dates
@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C", None]), st.integers(0, 400)), min_size=1, max_size=30))
def test_date_by_subject_maps_as_the_dict_of_records(records):
    """Mapping subjects through date_by_subject gives the dates ``dict(zip(USUBJID, ADT))`` gave (the last record
    of a subject wins), NaT for a subject without a record."""
    r = pd.DataFrame(
        {
            "USUBJID": pd.Series([u for u, _ in records], dtype=object),
            "ADT": pd.Timestamp("2024-01-01") + pd.to_timedelta([d for _, d in records], unit="D"),
        }
    )
    subjects = pd.Series(["A", "B", "C", "D"])
    want = pd.to_datetime(subjects.map(dict(zip(E._text(r["USUBJID"]), pd.to_datetime(r["ADT"])))))
    got = pd.to_datetime(subjects.map(E.date_by_subject(r)))
    assert got.isna().equals(want.isna()) and (got.dropna() == want.dropna()).all()
