"""EPOCH from SE by searchsorted equals EPOCH by the plain definition: every record joined to every epoch span
of its subject, the first span holding the record's whole day range wins."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cdisckit.dates import impute_dtc_dt
from cdisckit.sdtm.derive_se import derive_epoch_from_se, epoch_spans


def epoch_by_merge(dtc: pd.Series, usubjid: pd.Series, se: pd.DataFrame) -> pd.Series:
    """The definition, row by row through a merge (the implementation before the searchsorted one)."""
    lo = impute_dtc_dt(dtc, "M", "first")[0]
    hi = impute_dtc_dt(dtc, "M", "last")[0]
    rec = pd.DataFrame({"USUBJID": usubjid.to_numpy(), "LO": lo.to_numpy(), "HI": hi.to_numpy()})
    rec["_I"] = np.arange(len(rec))
    rec = rec[rec["LO"].notna() & rec["HI"].notna()]
    m = rec.merge(epoch_spans(se), on="USUBJID", how="inner")
    hit = m[(m["LO"] >= m["S"]) & (m["E"].isna() | (m["HI"] <= m["E"]))].drop_duplicates("_I")
    out = np.full(len(dtc), np.nan, dtype=object)
    out[hit["_I"].to_numpy()] = hit["EPOCH"].to_numpy()
    return pd.Series(out, index=dtc.index, dtype=object)


DAY = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2024, 4, 30))
SUBJECT = st.sampled_from(["S1", "S2", "S3"])


@st.composite
def record_date(draw):
    d = draw(DAY)
    return draw(
        st.sampled_from([d.isoformat(), d.isoformat()[:7], d.isoformat()[:4], f"{d.isoformat()}T08:30", "2024---15"])
        | st.sampled_from([None, "", "2024-02-30", "--03-01"])
    )


SE_ROWS = st.lists(st.tuples(SUBJECT, DAY, st.sampled_from(["SCREENING", "TREATMENT", "FOLLOW-UP"])), max_size=12)
RECORDS = st.lists(st.tuples(st.sampled_from(["S1", "S2", "S3", "S9"]), record_date()), min_size=1, max_size=40)


@settings(max_examples=100)
@given(SE_ROWS, RECORDS)
def test_epoch_by_search_equals_epoch_by_merge(se_rows, records):
    se = pd.DataFrame(se_rows, columns=["USUBJID", "SESTDTC", "EPOCH"])
    se["SESTDTC"] = se["SESTDTC"].map(lambda d: d.isoformat())
    dtc = pd.Series([r for _, r in records], dtype=object, index=np.arange(len(records)) * 3)
    subj = pd.Series([s for s, _ in records], dtype=object, index=dtc.index)
    if se.empty:
        assert derive_epoch_from_se(dtc, subj, se).isna().all()
        return
    got = derive_epoch_from_se(dtc, subj, se)
    assert got.equals(epoch_by_merge(dtc, subj, se)), (got.tolist(), epoch_by_merge(dtc, subj, se).tolist())
    assert derive_epoch_from_se(dtc, subj, se, epoch_spans(se)).equals(got)


def test_epoch_of_records_by_hand():
    se = pd.DataFrame(
        {
            "USUBJID": ["S1", "S1", "S1", "S2", "S2"],
            "SESTDTC": ["2024-01-10", "2024-02-01", "2024-02-01", "2024-01-05", "2024-03-01"],
            "EPOCH": ["SCREENING", "TREATMENT", "FOLLOW-UP", "SCREENING", "TREATMENT"],
        }
    )
    dtc = pd.Series(["2024-01-31", "2024-02-01", "2024-01", "2024-02", "2024-03", "2024-02-29", "2024-01-09", None])
    subj = pd.Series(["S1", "S1", "S1", "S1", "S2", "S2", "S1", "S1"])
    # S1: TREATMENT and FOLLOW-UP both start on 02-01, so TREATMENT spans no day and FOLLOW-UP is open-ended;
    # January straddles (starts before 01-10); S2's March lies in its open TREATMENT; 01-09 is before S1's first
    got = derive_epoch_from_se(dtc, subj, se)
    assert got.where(got.notna(), None).tolist() == [
        "SCREENING",
        "FOLLOW-UP",
        None,
        "FOLLOW-UP",
        "TREATMENT",
        "SCREENING",
        None,
        None,
    ]
