"""ADSL: one record per subject in DM.

>>> import pandas as pd
>>> dm = pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["S-1"], "AGE": [70.0]})
>>> derive_var_agegr1(dm, cutoffs=[65])[["AGEGR1", "AGEGR1N"]].values.tolist()
[['>=65', 2.0]]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cdisckit.conditions import filter_rows
from cdisckit.dates import dtc_to_dt, dtc_to_dtm, impute_dtc_dt

from .util import col, lookup, subjects_dated_by, upper

SUBJ = ["STUDYID", "USUBJID"]


def derive_vars_merged_ex(
    dataset: pd.DataFrame,
    source: pd.DataFrame | None,
    where: dict | None,
    new: str,
    mode: str = "first",
    key: str = "where",
) -> pd.DataFrame:
    """Add date ``new`` (+ ``new``M datetime when ``new`` ends with DT and mode first) from EX records.

    First: earliest complete EXSTDTC; last: latest complete EXENDTC (EXSTDTC when no end) of the EX records
    meeting the declarative condition ``where`` (e.g. ``{"EXCAT": "STUDY DRUG"}``; None = all).

    >>> import pandas as pd
    >>> ex = pd.DataFrame({"USUBJID": ["1", "1"], "EXTRT": ["A", "B"], "EXSTDTC": ["2025-01-02", "2025-01-05T10:00"]})
    >>> d = derive_vars_merged_ex(pd.DataFrame({"USUBJID": ["1"]}), ex, {"EXTRT": "B"}, "TRTSDT")
    >>> str(d["TRTSDT"][0].date()), str(d["TRTSDTM"][0])
    ('2025-01-05', '2025-01-05 10:00:00')
    """
    out = dataset.copy()
    if source is None or source.empty or "USUBJID" not in source:
        out[new] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
        if mode == "first":
            out[new + "M"] = out[new]
            out[new[:-2] + "TMF"] = None
        return out
    ex = filter_rows(source, where, key=key)
    if mode == "first":
        d = dtc_to_dt(col(ex, "EXSTDTC"))
        dtm, tmf = dtc_to_dtm(col(ex, "EXSTDTC"))
        tmp = pd.DataFrame(
            {"USUBJID": ex["USUBJID"].values, new: d.values, new + "M": dtm.values, new[:-2] + "TMF": tmf.values}
        )
        tmp = tmp.dropna(subset=[new]).sort_values(["USUBJID", new + "M"]).drop_duplicates("USUBJID", keep="first")
    else:
        end = dtc_to_dt(col(ex, "EXENDTC"))
        d = end.fillna(dtc_to_dt(col(ex, "EXSTDTC")))
        tmp = pd.DataFrame({"USUBJID": ex["USUBJID"].values, new: d.values}).dropna(subset=[new])
        tmp = tmp.groupby("USUBJID", as_index=False)[new].max()
    out = out.drop(columns=[c for c in tmp.columns if c != "USUBJID" and c in out.columns]).merge(
        tmp, on="USUBJID", how="left"
    )
    return out


def derive_var_agegr1(dataset: pd.DataFrame, cutoffs: list[float], labels: list[str] | None = None) -> pd.DataFrame:
    """AGEGR1/AGEGR1N from AGE: ``<c1``, ``>=c1`` ... (``c1-<c2`` between cut-offs), or the ``labels`` given
    (one per group, e.g. ``["<18", "18-64", ">64"]`` for cut-offs 18 and 65).

    >>> derive_var_agegr1(pd.DataFrame({"AGE": [17.0, 64.0, 65.0]}), [18, 65], ["<18", "18-64", ">64"])["AGEGR1"].tolist()
    ['<18', '18-64', '>64']
    """
    out = dataset.copy()
    age = pd.to_numeric(col(out, "AGE"), errors="coerce")
    cuts = sorted(cutoffs)
    if labels is None:
        labels = [f"<{cuts[0]:g}"] + [f"{a:g}-<{b:g}" for a, b in zip(cuts, cuts[1:])] + [f">={cuts[-1]:g}"]
    elif len(labels) != len(cuts) + 1:
        from cdisckit.errors import SpecError

        raise SpecError(
            f"needs {len(cuts) + 1} labels for {len(cuts)} cut-offs, got {len(labels)}", key="age_group_labels"
        )
    idx = np.searchsorted(np.array(cuts, dtype=float), age.to_numpy(dtype=float), side="right")
    out["AGEGR1"] = pd.Series(np.array(labels, dtype=object)[np.minimum(idx, len(labels) - 1)], index=out.index).where(
        age.notna(), None
    )
    out["AGEGR1N"] = pd.Series(idx + 1.0, index=out.index).where(age.notna())
    return out


def derive_vars_trt(
    dataset: pd.DataFrame, screen_failure_values: list[str], not_treated_values: list[str], treatment_order: list[str]
) -> pd.DataFrame:
    """ARM/ACTARM copied from DM as they are (ADaMIG: ADSL.ARM = DM.ARM), TRT01P = ARM, TRT01A = ACTARM, and
    their N codes.

    A screen failure or a subject assigned but not treated keeps DM's empty ARM/ACTARM (the reason is DM.ARMNRS).
    TRT01PN/TRT01AN number real arms only (``treatment_order``, then alphabetically): they stay null for an empty
    arm and for a screen failure / not assigned / not treated value (e.g. SDTM 3.2 style ARM ``Screen Failure``,
    also as ARMCD).

    >>> import pandas as pd
    >>> dm = pd.DataFrame({"ARM": ["A", None, "A"], "ACTARM": ["A", None, None],
    ...                    "ARMNRS": [None, "SCREEN FAILURE", "ASSIGNED, NOT TREATED"]})
    >>> derive_vars_trt(dm, ["SCREEN FAILURE"], ["NOT TREATED"], [])[["ARM", "TRT01PN", "ACTARM", "TRT01AN"]].values.tolist()
    [['A', 1.0, 'A', 1.0], [None, nan, None, nan], ['A', 1.0, None, nan]]
    """
    out = dataset.copy()
    bad = {v.upper() for v in screen_failure_values + not_treated_values}
    arm, actarm = col(out, "ARM"), col(out, "ACTARM")
    p_ok = arm.notna() & ~upper(arm).isin(bad) & ~upper(col(out, "ARMCD")).isin(bad)
    a_ok = actarm.notna() & ~upper(actarm).isin(bad) & ~upper(col(out, "ACTARMCD")).isin(bad)
    out["ARM"] = arm.astype(object).where(arm.notna(), None)
    out["ACTARM"] = actarm.astype(object).where(actarm.notna(), None)
    out["TRT01P"] = out["ARM"]
    out["TRT01A"] = out["ACTARM"]
    codes = treatment_codes(
        pd.concat([arm[p_ok], actarm[a_ok]]),
        pd.concat([col(out, "ARMCD")[p_ok], col(out, "ACTARMCD")[a_ok]]),
        treatment_order,
    )
    out["TRT01PN"] = arm.where(p_ok).map(codes).astype(float)
    out["TRT01AN"] = actarm.where(a_ok).map(codes).astype(float)
    return out


def treatment_codes(arms: pd.Series, armcds: pd.Series, treatment_order: list[str]) -> dict:
    """Arm -> 1, 2, ...: arms named in ``treatment_order`` (by ARM or by ARMCD) first, in that order, then the
    others alphabetically.

    >>> treatment_codes(pd.Series(["Low", "High", "Mid"]), pd.Series(["L", "H", "M"]), ["L", "Mid"])
    {'Low': 1.0, 'Mid': 2.0, 'High': 3.0}
    """
    pos = {v: i for i, v in enumerate(treatment_order)}
    pairs = pd.DataFrame({"arm": arms.values, "cd": armcds.values}).dropna(subset=["arm"]).drop_duplicates("arm")
    rank = pairs["arm"].map(pos).fillna(pairs["cd"].map(pos)).fillna(len(pos))
    pairs = pairs.assign(_r=rank.values).sort_values(["_r", "arm"], kind="stable")
    return {v: float(i) for i, v in enumerate(pairs["arm"], start=1)}


def derive_vars_ds(dataset: pd.DataFrame, ds: pd.DataFrame | None, params: dict) -> pd.DataFrame:
    """RFICDT, ENRLDT, RANDDT (protocol milestones) and EOSSTT, EOSDT, DCSREAS (latest disposition event; empty
    when it is one of ``eosstt_not_applicable``, e.g. a screen failure never entered the study: admiral
    ``format_eosstt``)."""
    out = dataset.copy()
    out["RFICDT"] = dtc_to_dt(col(out, "RFICDTC"))
    for name in ("ENRLDT", "RANDDT", "EOSDT"):
        out[name] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    out["EOSSTT"], out["DCSREAS"], out["DCSREASP"] = "ONGOING", None, None
    if ds is None or ds.empty:
        return out
    ds = ds.assign(_DT=dtc_to_dt(col(ds, "DSSTDTC")), _DEC=upper(col(ds, "DSDECOD")), _CAT=upper(col(ds, "DSCAT")))
    milestones = {
        v.upper() for v in params["enrolment_dsdecod"] + params["randomisation_dsdecod"] + params["consent_dsdecod"]
    }
    for name, values in (
        ("ENRLDT", params["enrolment_dsdecod"]),
        ("RANDDT", params["randomisation_dsdecod"]),
        ("RFICDT", params["consent_dsdecod"]),
    ):
        first = ds[ds["_DEC"].isin([v.upper() for v in values])].groupby("USUBJID")["_DT"].min()
        mapped = lookup(out["USUBJID"], first)
        out[name] = (out[name].fillna(mapped) if name == "RFICDT" else mapped).astype("datetime64[ns]")
    disp = ds[(ds["_CAT"] == "DISPOSITION EVENT") | (ds["_CAT"].isna() & ~ds["_DEC"].isin(milestones))]
    disp = disp[disp["_DEC"].notna()]
    if "DSSCAT" in disp:  # study-level disposition only when sub-categories say so
        study_level = upper(disp["DSSCAT"]).fillna("").str.contains("STUDY")
        if study_level.any():
            disp = disp[study_level | upper(disp["DSSCAT"]).isna()]
    last = (
        disp.sort_values(["USUBJID", "_DT"], na_position="first")
        .drop_duplicates("USUBJID", keep="last")
        .set_index("USUBJID")
    )
    dec = lookup(out["USUBJID"], last["_DEC"])
    na = dec.isin([v.upper() for v in params.get("eosstt_not_applicable") or []])  # e.g. screen failures
    status = np.where(dec.isna(), "ONGOING", np.where(dec == "COMPLETED", "COMPLETED", "DISCONTINUED"))
    out["EOSSTT"] = pd.Series(status, index=out.index, dtype=object).where(~na, None)
    out["EOSDT"] = lookup(out["USUBJID"], last["_DT"]).astype("datetime64[ns]").where(~na)
    out["DCSREAS"] = dec.where(dec.notna() & (dec != "COMPLETED") & ~na, None)
    # DCSREASP: the reported term when it says more than the standard reason (e.g. "CAR-T product manufacturing
    # failure" coded PHYSICIAN DECISION)
    term = lookup(out["USUBJID"], last["DSTERM"]) if "DSTERM" in last else pd.Series(None, index=out.index)
    say_more = out["DCSREAS"].notna() & term.notna() & (upper(term) != upper(out["DCSREAS"]))
    out["DCSREASP"] = term.astype(object).where(say_more, None)
    return out


def derive_var_lstalvdt(
    dataset: pd.DataFrame, sdtm: dict[str, pd.DataFrame], sources: list[dict], new: str = "LSTALVDT"
) -> pd.DataFrame:
    """``new`` = the latest complete date among the ``sources`` (admiral ``derive_vars_extreme_event`` style),
    not after DTHDT (when the dataset has it).

    Each source is ``{dataset, date, where}``: an SDTM dataset, an ``--DTC`` column (only complete dates count)
    and an optional condition. A source whose dataset or column is absent is skipped.

    >>> import pandas as pd
    >>> ae = pd.DataFrame({"USUBJID": ["1", "1"], "AESTDTC": ["2025-03-02", "2025-04"], "AEENDTC": ["2025-03-09", None]})
    >>> ds = pd.DataFrame({"USUBJID": ["1"], "DSDECOD": ["DEATH"], "DSSTDTC": ["2025-05-01"]})
    >>> src = [{"dataset": "AE", "date": "AESTDTC"}, {"dataset": "AE", "date": "AEENDTC"},
    ...        {"dataset": "DS", "date": "DSSTDTC", "where": {"DSDECOD": {"not": "DEATH"}}}]
    >>> str(derive_var_lstalvdt(pd.DataFrame({"USUBJID": ["1"]}), {"AE": ae, "DS": ds}, src)["LSTALVDT"][0].date())
    '2025-03-09'
    """
    out = dataset.copy()
    maxima = []
    for i, src in enumerate(sources):
        df = sdtm.get(str(src["dataset"]).upper())
        if df is None or df.empty or "USUBJID" not in df or src["date"] not in df:
            continue
        rows = filter_rows(df, src.get("where"), key=f"lstalvdt_sources[{i}].where")
        d = (
            dtc_to_dt(rows[src["date"]])
            if not pd.api.types.is_datetime64_any_dtype(rows[src["date"]])
            else rows[src["date"]]
        )
        maxima.append(
            pd.DataFrame({"USUBJID": rows["USUBJID"].values, "d": d.values}).dropna().groupby("USUBJID")["d"].max()
        )
    if maxima:
        best = pd.concat(maxima).groupby(level=0).max()
        out[new] = lookup(out["USUBJID"], best).astype("datetime64[ns]")
    else:
        out[new] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    if "DTHDT" in out:
        out[new] = out[new].where(~(out[new] > out["DTHDT"]), out["DTHDT"])
    return out


def derive_vars_death(
    dataset: pd.DataFrame,
    sdtm: dict[str, pd.DataFrame],
    params: dict,
    warn: Callable[[str], None],
    alive: pd.Series | None = None,
) -> pd.DataFrame:
    """DTHFL, DTHDT (+DTHDTF when imputed from a partial DTHDTC), DTHCAUS.

    DTHDTC from DM, else the DS DEATH record. A partial DM.DTHDTC is completed by the DS DEATH DSSTDTC when that
    is a complete date within the partial period (no imputation flag); otherwise imputed to the first day of the
    missing period, or the last known alive date (LSTALVDT before death) when that falls in the period.
    """
    out = dataset.copy()
    dtc = col(out, "DTHDTC").astype(object)
    ds = sdtm.get("DS")
    ds_death = None
    if ds is not None and not ds.empty and "DSDECOD" in ds:
        ds_death = ds[upper(ds["DSDECOD"]) == "DEATH"].drop_duplicates("USUBJID")
        if "DSSTDTC" in ds_death:
            ds_dtc = lookup(out["USUBJID"], ds_death.set_index("USUBJID")["DSSTDTC"]).astype(object)
            ds_full = dtc_to_dt(ds_dtc).notna()
            txt = dtc.where(dtc.notna(), "").astype(str).str.strip()
            partial = dtc.notna() & (txt.str.len() < 10) & (txt.str.len() >= 4)
            ds_txt = ds_dtc.where(ds_dtc.notna(), "").astype(str)
            n = txt.str.len()
            same = ((n == 7) & (ds_txt.str.slice(0, 7) == txt)) | ((n == 4) & (ds_txt.str.slice(0, 4) == txt))
            within = partial & ds_full & same
            dtc = dtc.where(~within, ds_dtc.str.slice(0, 10))
            dtc = dtc.where(dtc.notna(), ds_dtc)
    if "DTHDTC" not in out and ds_death is None:
        warn("ADSL: no DM.DTHDTC and no DS DEATH records; DTHDT, DTHFL and OS events stay empty")
    if alive is None:
        alive = derive_var_lstalvdt(out.drop(columns=["DTHDT"], errors="ignore"), sdtm, params["lstalvdt_sources"])[
            "LSTALVDT"
        ]
    dt, flag = impute_dtc_dt(dtc, highest_imputation="M", date_imputation=params["death_impute"], min_dates=alive)
    out["DTHDT"], out["DTHDTF"] = dt, flag
    died = out["DTHDT"].notna() | (upper(col(out, "DTHFL")) == "Y")
    out["DTHFL"] = pd.Series(np.where(died, "Y", None), index=out.index, dtype=object)
    # cause: DD primary cause, else DS DEATH term (when more than 'DEATH'), else the fatal AE
    cause = pd.Series(None, index=out.index, dtype=object)
    dd = sdtm.get("DD")
    if dd is not None and not dd.empty and "DDSTRESC" in dd:
        prim = dd[upper(col(dd, "DDTESTCD")).isin(["PRCDTH"])] if "DDTESTCD" in dd else dd
        cause = cause.fillna(lookup(out["USUBJID"], prim.drop_duplicates("USUBJID").set_index("USUBJID")["DDSTRESC"]))
    if ds_death is not None and "DSTERM" in ds_death:
        term = ds_death.set_index("USUBJID")["DSTERM"]
        term = term[~upper(term).isin([t.upper() for t in params.get("death_generic_terms", [])])]
        cause = cause.fillna(lookup(out["USUBJID"], term))
    ae = sdtm.get("AE")
    if ae is not None and not ae.empty and "AEDECOD" in ae:
        fatal = (upper(col(ae, "AEOUT")) == "FATAL") | (upper(col(ae, "AESDTH")) == "Y")
        fat = ae[fatal].drop_duplicates("USUBJID").set_index("USUBJID")["AEDECOD"]
        cause = cause.fillna(lookup(out["USUBJID"], fat))
    out["DTHCAUS"] = upper(cause).where(died, None)
    return out


def derive_var_efffl(
    dataset: pd.DataFrame, tu: pd.DataFrame | None, origin: str, requires_target: bool
) -> pd.DataFrame:
    """EFFFL: SAFFL = Y and at least one TARGET lesion identified in TU on or before ``origin`` (when required)."""
    out = dataset.copy()
    saf = out["SAFFL"] == "Y"
    if not requires_target:
        out["EFFFL"] = np.where(saf, "Y", "N")
        return out
    if tu is None or tu.empty:
        out["EFFFL"] = "N"
        return out
    res = upper(col(tu, "TUSTRESC")).fillna(upper(col(tu, "TUORRES")))
    is_target = res.str.startswith("TARGET", na=False) & (upper(col(tu, "TUTESTCD")).fillna("TUMIDENT") == "TUMIDENT")
    tgt = tu.loc[is_target.to_numpy(), [c for c in ("USUBJID", "TUDTC") if c in tu]]
    measurable = subjects_dated_by(tgt["USUBJID"], dtc_to_dt(col(tgt, "TUDTC")), out["USUBJID"], out[origin])
    out["EFFFL"] = np.where(saf & measurable, "Y", "N")
    return out


def derive_var_trtdurd(dataset: pd.DataFrame) -> pd.DataFrame:
    """TRTDURD = TRTEDT - TRTSDT + 1 (days), when both are present.

    >>> d = pd.DataFrame({"TRTSDT": pd.to_datetime(["2025-01-01"]), "TRTEDT": pd.to_datetime(["2025-01-31"])})
    >>> derive_var_trtdurd(d)["TRTDURD"].tolist()
    [31.0]
    """
    out = dataset.copy()
    out["TRTDURD"] = (out["TRTEDT"] - out["TRTSDT"]).dt.days.astype(float) + 1
    return out


def derive_adsl(sdtm: dict[str, pd.DataFrame], params: dict, warn: Callable[[str], None]) -> pd.DataFrame:
    """ADSL from DM (+EX, DS, TU, AE, the last-known-alive sources and the study-declared variables)."""
    from .declared import derive_vars_declared

    dm = sdtm["DM"].copy()
    ex = sdtm.get("EX")
    if ex is None or ex.empty:
        warn("ADSL: no EX; TRTSDT/TRTEDT are empty and no subject is in the safety population")
    adsl = dm.copy()
    adsl = derive_vars_merged_ex(adsl, ex, params["trtsdt_where"], "TRTSDT", "first", key="trtsdt_where")
    adsl = derive_vars_merged_ex(adsl, ex, params["trtedt_where"], "TRTEDT", "last", key="trtedt_where")
    adsl["TRTSTMF"] = adsl.get("TRTSTMF")
    adsl = derive_var_trtdurd(adsl)
    adsl = derive_vars_trt(
        adsl, params["screen_failure_values"], params["not_treated_values"], params["treatment_order"]
    )
    known = (
        set(col(dm, "ARM").dropna())
        | set(col(dm, "ARMCD").dropna())
        | set(col(dm, "ACTARM").dropna())
        | set(col(dm, "ACTARMCD").dropna())
    )
    unknown = [v for v in params["treatment_order"] if v not in known]
    if unknown:
        warn(f"ADSL: treatment_order values {', '.join(map(str, unknown))} match no DM ARM/ARMCD; TRT01PN ignores them")
    adsl = derive_var_agegr1(adsl, params["age_cutoffs"], params.get("age_group_labels"))
    ds = sdtm.get("DS")
    if ds is None or ds.empty:
        warn("ADSL: no DS; EOSSTT is ONGOING, EOSDT/DCSREAS/ENRLDT/RANDDT empty")
    adsl = derive_vars_ds(adsl, ds, params)
    adsl["SAFFL"] = np.where(adsl["TRTSDT"].notna(), "Y", "N")
    enrolled = adsl["ENRLDT"].notna() | adsl["TRT01PN"].notna() | (adsl["SAFFL"] == "Y")
    if ds is not None and "DSDECOD" in ds:
        sf = ds[upper(ds["DSDECOD"]).isin([v.upper() for v in params["screen_failure_values"]])]["USUBJID"]
        enrolled &= ~adsl["USUBJID"].isin(sf) | (adsl["SAFFL"] == "Y")
    adsl["ENRLFL"] = np.where(enrolled, "Y", "N")
    alive = derive_var_lstalvdt(adsl.drop(columns=["DTHDT"], errors="ignore"), sdtm, params["lstalvdt_sources"])[
        "LSTALVDT"
    ]
    adsl = derive_vars_death(adsl, sdtm, params, warn, alive=alive)
    adsl["LSTALVDT"] = alive.where(~(alive > adsl["DTHDT"]), adsl["DTHDT"])
    adsl = derive_vars_declared(adsl, sdtm, params.get("adsl_vars") or [], warn)
    tu = sdtm.get("TU")
    if params["efffl_requires_target"] and (tu is None or tu.empty):
        warn("ADSL: no TU; EFFFL is N for every subject (measurable disease unknown)")
    adsl = derive_var_efffl(
        adsl, tu, params["origin"] if params["origin"] in adsl else "TRTSDT", params["efffl_requires_target"]
    )
    for c in ("TRTSDT", "TRTEDT", "TRTSDTM", "DTHDT", "LSTALVDT", "RFICDT", "ENRLDT", "RANDDT", "EOSDT"):
        adsl[c] = pd.to_datetime(adsl[c]).astype("datetime64[ns]")
    return adsl
