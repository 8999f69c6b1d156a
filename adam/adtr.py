"""ADTR: sum of target-lesion diameters per assessment (one parameter per response criterion, e.g. SUMDIAM for RECIST 1.1) with baseline,
change and percent change, for waterfall and spider plots.

>>> import pandas as pd
>>> d = pd.DataFrame({"USUBJID": ["1"] * 3, "AVAL": [50.0, 40.0, 60.0], "ORIGIN": pd.to_datetime(["2025-01-10"] * 3),
...                   "ADT": pd.to_datetime(["2025-01-01", "2025-02-20", "2025-04-01"])})
>>> derive_var_base(d)[["ABLFL", "BASE", "CHG", "PCHG"]].values.tolist()[1]
[None, 50.0, -10.0, -20.0]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cdisckit.dates import dtc_to_dt, study_day

from .adrs import derive_vars_avisit
from .util import as_text, col, upper


def derive_var_base(dataset: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """ABLFL on the last record on/before ORIGIN per ``by``; BASE; CHG and PCHG on post-baseline records."""
    by = by or ["USUBJID"]
    out = dataset.copy()
    pre = out[out["ADT"].notna() & (out["ADT"] <= out["ORIGIN"]) & out["AVAL"].notna()]
    base_rows = pre.sort_values(by + ["ADT"]).drop_duplicates(by, keep="last")
    out["ABLFL"] = pd.Series(np.where(out.index.isin(base_rows.index), "Y", None), index=out.index, dtype=object)
    out = out.merge(base_rows[by + ["AVAL"]].rename(columns={"AVAL": "BASE"}), on=by, how="left").set_index(out.index)
    post = out["ADT"] > out["ORIGIN"]
    out["CHG"] = (out["AVAL"] - out["BASE"]).where(post)
    out["PCHG"] = (out["CHG"] / out["BASE"] * 100).where(post & (out["BASE"] > 0))
    return out


def derive_lesion_sums(dataset: pd.DataFrame, lesion_tests: list[str]) -> pd.DataFrame:
    """Per subject and date, the sum over lesions (LNKID) of the first measurement available in ``lesion_tests``.

    With ``["VDIAM", "DIAMETER"]`` (a study criterion measuring viable tumour) a lesion counts with its viable diameter and any other target
    lesion with its longest diameter.

    >>> d = pd.DataFrame({"USUBJID": ["1"] * 3, "ADT": pd.to_datetime(["2025-01-01"] * 3), "LNKID": ["T01", "T01", "T02"],
    ...                   "TESTCD": ["DIAMETER", "VDIAM", "DIAMETER"], "AVAL": [50.0, 30.0, 20.0]})
    >>> derive_lesion_sums(d, ["VDIAM", "DIAMETER"])["AVAL"].tolist()
    [50.0]
    """
    rank = {t: i for i, t in enumerate(lesion_tests)}
    les = dataset[dataset["TESTCD"].isin(list(rank)) & dataset["AVAL"].notna() & dataset["ADT"].notna()]
    pos = pd.Index(list(rank)).get_indexer(les["TESTCD"])  # every row's test is one of them (no per-row map)
    les = les.assign(_rank=np.array(list(rank.values()))[pos])
    les = les.sort_values(["USUBJID", "ADT", "LNKID", "_rank"], kind="stable")
    les = les.drop_duplicates(["USUBJID", "ADT", "LNKID"], keep="first")
    return les.groupby(["USUBJID", "ADT"], as_index=False)["AVAL"].sum().assign(SRCSEQ=np.nan)


def derive_var_sum_evaluable(dataset: pd.DataFrame, lesion_tests: list[str]) -> pd.DataFrame:
    """Per subject and post-baseline assessment date: whether every target lesion measured at baseline (on or
    before ORIGIN) has a measurement that day (EVALFL True/False). A sum with a target lesion not assessed is not
    evaluable (RECIST 1.1: with a target lesion not measured the target response is NE unless the lesions measured
    already show progression), so its AVAL and PCHG stay empty.

    >>> d = pd.DataFrame({"USUBJID": ["1"] * 4, "LNKID": ["T01", "T02", "T01", "T02"], "TESTCD": ["DIAMETER"] * 4,
    ...                   "ADT": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-03-01", "2025-03-01"]),
    ...                   "AVAL": [50.0, 20.0, 30.0, None], "ORIGIN": pd.to_datetime(["2025-01-10"] * 4)})
    >>> derive_var_sum_evaluable(d, ["DIAMETER"])[["ADT", "EVALFL"]].values.tolist()
    [[Timestamp('2025-03-01 00:00:00'), False]]
    """
    les = dataset[dataset["TESTCD"].isin(lesion_tests) & dataset["LNKID"].notna() & dataset["ADT"].notna()]
    base = les[(les["ADT"] <= les["ORIGIN"]) & les["AVAL"].notna()][["USUBJID", "LNKID"]].drop_duplicates()
    n_base = base.groupby("USUBJID").size().rename("_NB")
    post = les[les["ADT"] > les["ORIGIN"]]
    measured = post[post["AVAL"].notna()].merge(base, on=["USUBJID", "LNKID"])[["USUBJID", "ADT", "LNKID"]]
    n_meas = measured.drop_duplicates().groupby(["USUBJID", "ADT"]).size().rename("_NM")
    dates = post[["USUBJID", "ADT"]].drop_duplicates()
    out = dates.merge(n_base, left_on="USUBJID", right_index=True, how="left").merge(
        n_meas, left_on=["USUBJID", "ADT"], right_index=True, how="left"
    )
    out["EVALFL"] = out["_NM"].fillna(0) >= out["_NB"].fillna(0)
    return out[["USUBJID", "ADT", "EVALFL"]].reset_index(drop=True)


def lesion_tests_of(crit: dict) -> list[str]:
    """The criterion's per-lesion measurement tests in order of preference (``tr_lesion_testcd``: text or list)."""
    tests = crit.get("tr_lesion_testcd") or []
    return [tests] if isinstance(tests, str) else list(tests)


def derive_adtr(
    sdtm: dict[str, pd.DataFrame], adsl: pd.DataFrame, params: dict, warn: Callable[[str], None]
) -> pd.DataFrame:
    """ADTR from TR sums (TRTESTCD = criterion's tr_sum_testcd); dates without one use the sum of the lesion tests."""
    tr = sdtm.get("TR")
    if tr is None or tr.empty:
        warn("ADTR: no TR; ADTR is empty")
        return pd.DataFrame(columns=["STUDYID", "USUBJID"])
    origin = params["origin"]
    testcd = upper(col(tr, "TRTESTCD"))
    value = pd.to_numeric(col(tr, "TRSTRESN"), errors="coerce")
    if value.isna().any():  # the original result where there is no standard one
        value = value.fillna(pd.to_numeric(col(tr, "TRORRES")[value.isna()], errors="coerce"))
    base = pd.DataFrame(
        {
            "USUBJID": tr["USUBJID"].values,
            "ADT": dtc_to_dt(col(tr, "TRDTC")).values,
            "AVAL": value.values,
            "SRCSEQ": pd.to_numeric(col(tr, "TRSEQ"), errors="coerce").values,
            "TESTCD": testcd.values,
            "LNKID": col(tr, "TRLNKID").values,
        }
    )
    parts = []
    base = base.merge(adsl[["USUBJID", origin]].rename(columns={origin: "ORIGIN"}), on="USUBJID", how="left")
    for crit in params["criteria"]:
        sumcd = crit.get("tr_sum_testcd")
        sums = base[(testcd == sumcd).values] if sumcd else base.iloc[0:0]
        sums = sums.dropna(subset=["ADT", "AVAL"]).drop_duplicates(["USUBJID", "ADT"])
        # dates without a recorded sum (e.g. baseline) take the sum of the lesion measurements
        lesions = derive_lesion_sums(base, lesion_tests_of(crit))
        lesions = lesions.merge(sums[["USUBJID", "ADT"]], how="left", indicator=True)
        lesions = lesions[lesions["_merge"] == "left_only"].drop(columns="_merge")
        rows = pd.concat([sums[["USUBJID", "ADT", "AVAL", "SRCSEQ"]], lesions], ignore_index=True)
        if rows.empty:
            continue
        # assessments with a baseline target lesion not measured: the sum is not evaluable (AVAL empty)
        ev = derive_var_sum_evaluable(base, lesion_tests_of(crit))
        ne = ev[~ev["EVALFL"]][["USUBJID", "ADT"]]
        rows = rows.merge(ne.assign(_NE=True), on=["USUBJID", "ADT"], how="outer")
        rows["AVAL"] = rows["AVAL"].where(rows["_NE"].isna())
        rows = rows.drop(columns="_NE")
        rows = rows.sort_values(["USUBJID", "ADT"], kind="stable").reset_index(drop=True)
        rows = rows.merge(adsl[["USUBJID", origin]].rename(columns={origin: "ORIGIN"}), on="USUBJID")
        rows = derive_var_base(rows)
        rows = derive_vars_avisit(rows, params["timepoints"])
        rows["PARAMCD"] = crit.get("adtr_paramcd", crit["prefix"] + "SUMDIAM")
        rows["PARAM"] = crit.get("adtr_param", rows["PARAMCD"].iloc[0])
        rows["PARCAT1"] = crit.get("parcat1", crit["rscat"])
        rows["SRCDOM"] = np.where(rows["SRCSEQ"].notna(), "TR", None)
        rows["SRCVAR"] = np.where(rows["SRCSEQ"].notna(), "TRSTRESN", None)
        rows["ANL01FL"] = pd.Series(
            np.where(rows["AVAL"].notna() & (rows["ABLFL"].eq("Y") | (rows["ADT"] > rows["ORIGIN"])), "Y", None),
            index=rows.index,
            dtype=object,
        )
        parts.append(rows)
    if not parts:
        warn("ADTR: TR has none of the configured sum/lesion tests (criteria tr_sum_testcd/tr_lesion_testcd)")
        return pd.DataFrame(columns=["STUDYID", "USUBJID"])
    out = pd.concat(parts, ignore_index=True)
    keep = [c for c in ("STUDYID", "SUBJID", "SITEID", "TRT01P", "TRT01A", "TRTSDT") if c in adsl]
    out = out.merge(as_text(adsl[["USUBJID"] + keep]), on="USUBJID", how="left")
    out["ADY"] = study_day(out["ADT"], out["TRTSDT"])
    return out
