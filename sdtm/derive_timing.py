"""Study day, epoch and visit derivations (vectorised; every function takes and returns Series/DataFrames)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cdisckit.dates import dtc_to_dt, per_unique, study_day
from cdisckit.errors import InputError


def derive_study_day(dtc: pd.Series, ref: pd.Series) -> pd.Series:
    """--DY: days from the reference start date, day 1 = reference date, no day 0; complete dates only.

    >>> derive_study_day(pd.Series(["2025-03-10", "2025-03-09", "2025-03-01T08:00", "2025-03"]),
    ...                  pd.Series(["2025-03-10"] * 4)).tolist()
    [1.0, -1.0, -9.0, nan]
    """
    return study_day(dtc, ref)


def derive_epoch(dtc: pd.Series, refs: pd.DataFrame, *, epochs: list[dict]) -> pd.Series:
    """EPOCH: the last epoch whose start (a DM reference date + offset days) is on or before the date.

    ``epochs`` come from study.yaml in order; an epoch without ``start`` starts at -infinity. Only complete
    dates get an epoch.

    >>> refs = pd.DataFrame({"RFXSTDTC": ["2025-03-05"] * 3, "RFXENDTC": ["2025-03-10"] * 3})
    >>> ep = [{"epoch": "SCREENING"}, {"epoch": "TREATMENT", "start": "RFXSTDTC"},
    ...       {"epoch": "FOLLOW-UP", "start": "RFXENDTC", "offset_days": 1}]
    >>> derive_epoch(pd.Series(["2025-03-01", "2025-03-10", "2025-03-11"]), refs, epochs=ep).tolist()
    ['SCREENING', 'TREATMENT', 'FOLLOW-UP']
    """
    d = dtc_to_dt(dtc)
    out = pd.Series(np.nan, index=dtc.index, dtype="str")
    for e in epochs:
        if e.get("start"):
            start = dtc_to_dt(refs[e["start"]]) + pd.to_timedelta(int(e.get("offset_days", 0)), unit="D")
            hit = d.notna() & start.notna() & (d >= start)
        else:
            hit = d.notna()
        out = out.mask(hit, e["epoch"])
    return out


def format_visitnum(num: pd.Series) -> pd.Series:
    """VISITNUM as text for VISIT names and link groups: ``3`` not ``3.0``, ``3.01``.

    >>> format_visitnum(pd.Series([3.0, 3.01, 2.1])).tolist()
    ['3', '3.01', '2.1']
    """
    return per_unique(num.round(4), lambda u: u.map("{:.4f}".format).str.rstrip("0").str.rstrip("."))


def derive_visitnum(
    calendar: pd.DataFrame, *, schedule: list[dict], unscheduled: dict | None, file_of: dict | None = None
) -> pd.DataFrame:
    r"""VISITNUM/VISIT/VISITDY per (subject, folder, date) of visit-based raw rows.

    Scheduled folders take the study.yaml schedule; an unscheduled folder gets the previous scheduled
    VISITNUM of the subject (by date) + ``step`` x k, k = 1, 2, ... in date order (``step`` default 0.01).
    ``calendar`` has columns USUBJID, FOLDER, DATE (ISO 8601), FORM, RECORDID; the result adds the three.

    >>> cal = pd.DataFrame({"USUBJID": ["S1"] * 4, "FOLDER": ["SCREENING", "WEEK 6", "UNSCHEDULED", "UNSCHEDULED"],
    ...                     "DATE": ["2025-01-01", "2025-02-15", "2025-03-01", "2025-03-08"]})
    >>> sch = [{"folder": "SCREENING", "visitnum": 1}, {"folder": "WEEK 6", "visitnum": 2, "visitdy": 43}]
    >>> derive_visitnum(cal, schedule=sch, unscheduled={"folder": "UNSCHEDULED"})["VISITNUM"].tolist()
    [1.0, 2.0, 2.01, 2.02]
    >>> raw = cal.assign(FOLDER=["Screening", "Week 6", "Unscheduled 2.1", "UNSCHEDULED 2.2"])
    >>> got = derive_visitnum(raw, schedule=sch, unscheduled={"match": r"^Unscheduled (\d+(?:\.\d+)?)$"})
    >>> got["VISITNUM"].tolist(), got["VISIT"].tolist()[2:]
    ([1.0, 2.0, 2.1, 2.2], ['UNSCHEDULED 2.1', 'UNSCHEDULED 2.2'])
    """
    unscheduled = unscheduled or {}
    sched = pd.DataFrame(
        [
            {
                "FOLDER_KEY": str(s["folder"]).upper(),
                "VISITNUM": float(s["visitnum"]),
                "VISIT": s.get("visit", s["folder"]),
                "VISITDY": float(s["visitdy"]) if s.get("visitdy") is not None else np.nan,
            }
            for s in schedule
        ]
    )
    cal = calendar.copy()
    cal["FOLDER_KEY"] = cal["FOLDER"].astype("str").str.strip().str.upper()
    cal = cal.merge(sched, on="FOLDER_KEY", how="left")
    match = unscheduled.get("match")
    if match:  # VISITNUM supplied by the raw visit name ("Unscheduled 3.1" -> 3.1)
        got = cal["FOLDER"].astype("str").str.strip().str.extract(re.compile(str(match), re.IGNORECASE))[0]
        is_uns = cal["VISITNUM"].isna() & got.notna()
        cal.loc[is_uns, "VISITNUM"] = pd.to_numeric(got[is_uns], errors="coerce").round(4)
        template = unscheduled.get("visit", "UNSCHEDULED {VISITNUM}")
        head, _, tail = template.partition("{VISITNUM}")
        label = head + format_visitnum(cal["VISITNUM"]) + tail if "{VISITNUM}" in template else template
        cal["VISIT"] = cal["VISIT"].where(~is_uns, label)
        expected = f"matching {match!r}"
    else:
        uns_key = str(unscheduled.get("folder", "UNSCHEDULED")).upper()
        is_uns = cal["FOLDER_KEY"].eq(uns_key)
        expected = repr(unscheduled.get("folder", "UNSCHEDULED"))
    unknown = cal["VISITNUM"].isna() & ~is_uns
    if unknown.any():
        r = cal[unknown].iloc[0]
        raise InputError(
            f"visit folder {r['FOLDER']!r} is neither in the study.yaml visit schedule nor an unscheduled visit ({expected})",
            file=(file_of or {}).get(r.get("FORM"), r.get("FORM")),
            row=r.get("RECORDID"),
            column=r.get("COLUMN", "FOLDER"),
        )
    if is_uns.any() and not match:
        step = float(unscheduled.get("step", 0.01))
        dd = dtc_to_dt(cal["DATE"])
        un = cal.loc[is_uns, ["USUBJID", "DATE"]].assign(_D=dd[is_uns]).drop_duplicates(["USUBJID", "DATE"])
        if un["_D"].isna().any():
            r = cal[is_uns & dd.isna()].iloc[0]
            raise InputError(
                "an unscheduled assessment needs a complete date to be placed between visits",
                file=(file_of or {}).get(r.get("FORM"), r.get("FORM")),
                row=r.get("RECORDID"),
                column="FOLDER",
            )
        sc = cal.loc[~is_uns & dd.notna(), ["USUBJID", "VISITNUM"]].assign(_D=dd[~is_uns & dd.notna()])
        sc = sc.groupby(["USUBJID", "_D"], as_index=False)["VISITNUM"].max().sort_values("_D")
        un = un.sort_values("_D")
        un = pd.merge_asof(un, sc.rename(columns={"VISITNUM": "_PREV"}), on="_D", by="USUBJID", direction="backward")
        un["_PREV"] = un["_PREV"].fillna(0.0)
        un["_K"] = un.groupby(["USUBJID", "_PREV"]).cumcount() + 1
        un["_NUM"] = (un["_PREV"] + step * un["_K"]).round(4)
        cal = cal.merge(un[["USUBJID", "DATE", "_NUM"]], on=["USUBJID", "DATE"], how="left")
        cal["VISITNUM"] = cal["VISITNUM"].where(~is_uns.values, cal["_NUM"])
        template = unscheduled.get("visit", "UNSCHEDULED {VISITNUM}")
        head, _, tail = template.partition("{VISITNUM}")
        label = head + format_visitnum(cal["VISITNUM"]) + tail if "{VISITNUM}" in template else template
        cal["VISIT"] = cal["VISIT"].where(~is_uns.values, label)
        cal = cal.drop(columns="_NUM")
    return cal.drop(columns="FOLDER_KEY")
