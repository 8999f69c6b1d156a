"""ADRS: overall response per assessment (OVR) and derived response parameters, one criterion at a time.

Vocabulary (admiralonco): AVAL of a response is CR 1, PR 2, SD 3, NON-CR/NON-PD 4, PD 5, NE 6, MISSING 7;
Y/N parameters have AVAL 1/0.

>>> import pandas as pd
>>> ovr = pd.DataFrame({"USUBJID": ["1", "1"], "AVALC": ["PR", "PR"], "ANL01FL": ["Y", "Y"],
...                     "ADT": pd.to_datetime(["2025-02-15", "2025-03-20"]), "ORIGIN": pd.to_datetime(["2025-01-01"] * 2)})
>>> derive_confirmed_best_overall_response(ovr, confirmation_days=28, min_sd_days=42)[["USUBJID", "AVALC"]].values.tolist()
[['1', 'PR']]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cdisckit.conditions import filter_rows
from cdisckit.dates import dtc_to_dt, study_day
from cdisckit.errors import SpecError

from .util import as_text, col, join_subject_vars, lookup, subjects_dated_by, upper

AVAL_RESP = {"CR": 1.0, "PR": 2.0, "SD": 3.0, "NON-CR/NON-PD": 4.0, "PD": 5.0, "NE": 6.0, "MISSING": 7.0}
#: best-first order used by BOR (NE ranks after PD: an evaluable PD beats an inevaluable record)
BEST_RANK = {"CR": 1, "PR": 2, "SD": 3, "NON-CR/NON-PD": 4, "PD": 5, "NE": 6, "MISSING": 7}
#: worst-first order for several responses on one date
WORST_RANK = {"PD": 1, "NE": 2, "NON-CR/NON-PD": 3, "SD": 4, "PR": 5, "CR": 6}
_SYNONYMS = {
    "NON-CR/ NON-PD": "NON-CR/NON-PD",
    "NON-CR /NON-PD": "NON-CR/NON-PD",
    "NON-CR / NON-PD": "NON-CR/NON-PD",
    "NONCR/NONPD": "NON-CR/NON-PD",
    "NOT EVALUABLE": "NE",
    "NOT EVALUATED": "NE",
    "COMPLETE RESPONSE": "CR",
    "PARTIAL RESPONSE": "PR",
    "STABLE DISEASE": "SD",
    "PROGRESSIVE DISEASE": "PD",
    "UNK": "NE",
}


def normalise_response(s: pd.Series) -> pd.Series:
    """Upper-case, trimmed response codes; common labels mapped to CR/PR/SD/NON-CR/NON-PD/PD/NE; missing -> NE.

    Other values (e.g. ``NA``, not applicable, which belongs to target/non-target responses only) are kept
    as they are here; :func:`derive_param_ovr` analyses them as NE.
    """
    u = upper(s)
    return u.replace(_SYNONYMS).fillna("NE")


def _yn(flag: pd.Series) -> tuple[pd.Series, pd.Series]:
    flag = flag.fillna(False).astype(bool)
    yn = pd.array(["N", "Y"], dtype="str").take(flag.to_numpy(dtype=int))
    return pd.Series(yn, index=flag.index), flag.astype(float)


def _text_where(cond, value: str, index: pd.Index) -> pd.Series:
    """``value`` where ``cond`` holds, else missing, as text (the dtype every ADRS part shares: concatenated as
    it is, not converted).

    >>> _text_where(pd.Series([True, False]), "RS", pd.RangeIndex(2)).tolist()
    ['RS', nan]
    """
    text = pd.array([value], dtype="str").take(np.where(np.asarray(cond, dtype=bool), 0, -1), allow_fill=True)
    return pd.Series(text, index=index)


# ----------------------------------------------------------------------------------------------- OVR
def derive_param_ovr(
    rs: pd.DataFrame,
    adsl: pd.DataFrame,
    origin: str,
    new_therapy: pd.Series | None = None,
    after_origin: bool = True,
    worst_per_date: bool = True,
    up_to_first_pd: bool = True,
    before_new_therapy: bool = False,
) -> pd.DataFrame:
    """OVR records from RS overall responses (one criterion) with ANL01FL on the assessments that count.

    Counted: complete dates, ADT > origin (``after_origin``), the worst response per date (``worst_per_date``),
    up to and including the first PD (``up_to_first_pd``), before new anticancer therapy (``before_new_therapy``).
    Adds ORIGIN (the subject's origin date) for later derivations.
    """
    out = pd.DataFrame(
        {
            "STUDYID": col(rs, "STUDYID").values,
            "USUBJID": rs["USUBJID"].values,
            "AVALC": normalise_response(col(rs, "RSSTRESC").fillna(col(rs, "RSORRES")))
            .where(lambda r: r.isin(list(AVAL_RESP)), "NE")
            .values,
            "ADT": dtc_to_dt(col(rs, "RSDTC")).values,
            "SRCSEQ": pd.to_numeric(col(rs, "RSSEQ"), errors="coerce").values,
            "VISIT": col(rs, "VISIT").values,
        }
    )
    out["AVAL"] = out["AVALC"].map(AVAL_RESP)
    out["SRCDOM"] = "RS"
    out["SRCVAR"] = "RSSTRESC"
    out = out.merge(adsl[["USUBJID", origin]].rename(columns={origin: "ORIGIN"}), on="USUBJID", how="inner")
    ok = out["ADT"].notna() & out["ORIGIN"].notna()
    if after_origin:
        ok &= out["ADT"] > out["ORIGIN"]
    if before_new_therapy and new_therapy is not None:
        nt = lookup(out["USUBJID"], new_therapy)
        ok &= nt.isna() | (out["ADT"] < nt)
    out["_W"] = out["AVALC"].map(WORST_RANK).fillna(2)
    out = out.sort_values(["USUBJID", "ADT", "_W", "SRCSEQ"], kind="stable")
    ok = ok.reindex(out.index)
    if worst_per_date:
        dup = out[ok].duplicated(["USUBJID", "ADT"])
        ok &= ~dup.reindex(out.index, fill_value=False)
    if up_to_first_pd:
        first_pd = out[ok & (out["AVALC"] == "PD")].groupby("USUBJID")["ADT"].min()
        fp = lookup(out["USUBJID"], first_pd)
        ok &= fp.isna() | (out["ADT"] <= fp)
    out["ANL01FL"] = _text_where(ok, "Y", out.index)
    return out.drop(columns="_W")


def derive_vars_avisit(dataset: pd.DataFrame, timepoints: list[dict], ref: str = "ORIGIN") -> pd.DataFrame:
    """AVISIT/AVISITN from analysis windows: BASELINE on/before ``ref``; a timepoint when ADT - ref lies within
    day +/- window (the closest target wins); else UNSCHEDULED."""
    out = dataset.copy()
    days = (out["ADT"] - out[ref]).dt.days.astype(float)
    best_dist = pd.Series(np.inf, index=out.index)
    out["AVISIT"] = np.where(days <= 0, "BASELINE", "UNSCHEDULED")
    out["AVISITN"] = np.where(days <= 0, 0.0, np.nan)
    for tp in timepoints:
        dist = (days - tp["day"]).abs()
        hit = (days > 0) & (dist <= tp.get("window", 0)) & (dist < best_dist)
        out.loc[hit, "AVISIT"] = tp["name"]
        out.loc[hit, "AVISITN"] = float(tp["day"])
        best_dist = best_dist.where(~hit, dist)
    out.loc[out["ADT"].isna(), ["AVISIT", "AVISITN"]] = [None, np.nan]
    return out


# ----------------------------------------------------------------------------------------------- BOR
def _select_best(dataset: pd.DataFrame, category: str, subjects: pd.DataFrame, missing: str) -> pd.DataFrame:
    """Per subject the best ``category`` (BEST_RANK) and the first assessment achieving it."""
    rows = dataset[[c for c in ("USUBJID", "ADT", "SRCSEQ", category) if c in dataset]].copy()
    rows["_R"] = rows[category].map(BEST_RANK)
    best = rows.sort_values(["USUBJID", "_R", "ADT"], kind="stable").drop_duplicates("USUBJID")
    best = best.rename(columns={category: "AVALC"}).drop(columns="_R")
    out = subjects[["USUBJID"]].merge(best, on="USUBJID", how="left")
    out["AVALC"] = out["AVALC"].fillna(missing)
    out["AVAL"] = out["AVALC"].map(AVAL_RESP)
    return out


def _sd_ok(dataset: pd.DataFrame, min_sd_days: int) -> pd.Series:
    return (dataset["ADT"] - dataset["ORIGIN"]).dt.days >= min_sd_days


def derive_best_overall_response(
    dataset: pd.DataFrame, min_sd_days: int = 42, missing_as_ne: bool = False, subjects: pd.DataFrame | None = None
) -> pd.DataFrame:
    """BOR (unconfirmed) per subject from OVR records with ANL01FL = Y.

    Best of CR > PR > SD > NON-CR/NON-PD > PD > NE; SD and NON-CR/NON-PD count only when ADT - ORIGIN >=
    ``min_sd_days`` (else NE). No assessment: MISSING (or NE with ``missing_as_ne``). ADT = first assessment
    with the best response.

    >>> import pandas as pd
    >>> o = pd.DataFrame({"USUBJID": ["1", "1"], "AVALC": ["SD", "PD"], "ANL01FL": ["Y", "Y"],
    ...                   "ADT": pd.to_datetime(["2025-01-20", "2025-03-01"]), "ORIGIN": pd.to_datetime(["2025-01-01"] * 2)})
    >>> derive_best_overall_response(o)["AVALC"].tolist()
    ['PD']
    """
    anl = dataset[dataset["ANL01FL"] == "Y"].copy()
    stable = anl["AVALC"].isin(["SD", "NON-CR/NON-PD"])
    anl["_CAT"] = anl["AVALC"].where(~stable | _sd_ok(anl, min_sd_days), "NE")
    subjects = subjects if subjects is not None else dataset[["USUBJID"]].drop_duplicates()
    return _select_best(anl, "_CAT", subjects, "NE" if missing_as_ne else "MISSING")


def derive_confirmation(
    dataset: pd.DataFrame,
    confirmation_days: int = 28,
    max_ne_between: int = 1,
    accept_sd_between: bool = False,
    pr_after_cr_breaks_confirmation: bool = False,
) -> pd.DataFrame:
    """Add CONFCR/CONFPR (bool) to the ANL01FL = Y assessments (sorted by subject and date).

    A CR is confirmed by the next non-NE assessment at least ``confirmation_days`` later being CR, with only
    CR or NE (at most ``max_ne_between`` NE) in between. A CR or PR is confirmed as PR by such an assessment
    being CR or PR with only CR, PR, NE (and SD if ``accept_sd_between``) in between; with
    ``pr_after_cr_breaks_confirmation`` a PR after a CR inside that stretch breaks it.
    """
    anl = dataset[dataset["ANL01FL"] == "Y"].sort_values(["USUBJID", "ADT"], kind="stable").reset_index(drop=True)
    n = len(anl)
    anl["_G"] = np.arange(n)
    if n == 0:
        return anl.assign(CONFCR=pd.Series(dtype=bool), CONFPR=pd.Series(dtype=bool))
    resp = anl["AVALC"].to_numpy()
    is_ne = resp == "NE"
    cum_ne = np.cumsum(is_ne)
    cum_not_crne = np.cumsum(~np.isin(resp, ["CR", "NE"]))
    allowed = ["CR", "PR", "NE"] + (["SD"] if accept_sd_between else [])
    cum_not_pr = np.cumsum(~np.isin(resp, allowed))
    cum_pr = np.cumsum(resp == "PR")
    cand = anl[anl["AVALC"].isin(["CR", "PR"])][["USUBJID", "ADT", "_G"]].copy()
    cand["_KEY"] = cand["ADT"] + pd.to_timedelta(confirmation_days, unit="D")
    skip = is_ne | ((resp == "SD") if accept_sd_between else False)
    right = anl[~skip][["USUBJID", "ADT", "_G"]].rename(columns={"ADT": "_KEY", "_G": "_J"})
    m = pd.merge_asof(
        cand.sort_values("_KEY"),
        right.sort_values("_KEY"),
        on="_KEY",
        by="USUBJID",
        direction="forward",
        allow_exact_matches=True,
    ).set_index("_G")
    i = m.index.to_numpy()
    j_raw = m["_J"].to_numpy(dtype=float)
    j = np.where(np.isnan(j_raw), 0, j_raw).astype(int)
    has_j = ~np.isnan(j_raw) & (j > i)
    ne_between = cum_ne[j] - cum_ne[i]
    ne_ok = ne_between <= max_ne_between
    between = lambda cum: (cum[np.maximum(j - 1, 0)] - cum[i]) * (j > i)  # noqa: E731  count in (i, j)
    conf_cr = has_j & (resp[i] == "CR") & (resp[j] == "CR") & (between(cum_not_crne) == 0) & ne_ok
    conf_pr = has_j & np.isin(resp[j], ["CR", "PR"]) & (between(cum_not_pr) == 0) & ne_ok
    if pr_after_cr_breaks_confirmation:
        cr_pos = pd.Series(np.where(resp == "CR", anl["_G"], np.nan)).groupby(anl["USUBJID"]).bfill().to_numpy()
        nxt = cr_pos[i]
        nxt_i = np.where(np.isnan(nxt), 0, nxt).astype(int)
        broken = ~np.isnan(nxt) & (nxt_i < j) & ((cum_pr[j] - cum_pr[nxt_i]) > 0)
        conf_pr &= ~broken
        conf_cr &= ~broken
    anl["CONFCR"] = False
    anl["CONFPR"] = False
    anl.loc[i, "CONFCR"] = conf_cr
    anl.loc[i, "CONFPR"] = conf_pr | conf_cr
    return anl.drop(columns="_G")


def derive_confirmed_best_overall_response(
    dataset: pd.DataFrame,
    confirmation_days: int = 28,
    max_ne_between: int = 1,
    min_sd_days: int = 42,
    accept_sd_between: bool = False,
    pr_after_cr_breaks_confirmation: bool = False,
    unconfirmed_as_sd: bool = True,
    missing_as_ne: bool = False,
    subjects: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """CBOR per subject: confirmed CR > confirmed PR > SD > NON-CR/NON-PD > PD > NE (> MISSING).

    An unconfirmed CR/PR becomes SD when ADT - ORIGIN >= ``min_sd_days`` (and ``unconfirmed_as_sd``), else NE.
    Returns one row per subject with AVALC, AVAL, ADT, SRCSEQ and FIRSTRSP (first confirmed CR/PR date).

    >>> import pandas as pd
    >>> o = pd.DataFrame({"USUBJID": ["1"] * 3, "AVALC": ["CR", "NE", "CR"], "ANL01FL": ["Y"] * 3,
    ...                   "ADT": pd.to_datetime(["2025-02-12", "2025-03-26", "2025-05-07"]), "ORIGIN": pd.to_datetime(["2025-01-01"] * 3)})
    >>> derive_confirmed_best_overall_response(o)["AVALC"].tolist()
    ['CR']
    """
    anl = derive_confirmation(
        dataset, confirmation_days, max_ne_between, accept_sd_between, pr_after_cr_breaks_confirmation
    )
    anl["_CAT"] = derive_confirmed_category(anl, min_sd_days, unconfirmed_as_sd)
    subjects = subjects if subjects is not None else dataset[["USUBJID"]].drop_duplicates()
    out = _select_best(anl, "_CAT", subjects, "NE" if missing_as_ne else "MISSING")
    first = anl[anl["_CAT"].isin(["CR", "PR"])].groupby("USUBJID")["ADT"].min()
    out["FIRSTRSP"] = lookup(out["USUBJID"], first)
    return out


def derive_confirmed_category(anl: pd.DataFrame, min_sd_days: int, unconfirmed_as_sd: bool = True) -> pd.Series:
    """Per assessment: CR/PR when confirmed, unconfirmed CR/PR -> SD (if long enough) or NE; SD/NON-CR/NON-PD
    too early -> NE; PD, NE unchanged."""
    sd_ok = _sd_ok(anl, min_sd_days)
    cat = anl["AVALC"].copy()
    resp = anl["AVALC"].isin(["CR", "PR"])
    cat = cat.where(~(resp & ~anl["CONFCR"] & anl["CONFPR"]), "PR")
    unconf = resp & ~anl["CONFPR"] & ~anl["CONFCR"]
    cat = cat.where(~unconf, np.where(sd_ok & unconfirmed_as_sd, "SD", "NE"))
    stable = anl["AVALC"].isin(["SD", "NON-CR/NON-PD"])
    return cat.where(~stable | sd_ok, "NE")


# ----------------------------------------------------------------------------------------------- Y/N params
def derive_param_response(
    bor: pd.DataFrame, dataset: pd.DataFrame, categories: list[str], category: str = "_CAT"
) -> pd.DataFrame:
    """Y/N per subject: BOR AVALC in ``categories``; ADT = first assessment (``category`` in categories)."""
    out = bor[["USUBJID"]].copy()
    out["AVALC"], out["AVAL"] = _yn(bor["AVALC"].isin(categories))
    rows = dataset[dataset[category].isin(categories)].sort_values(["USUBJID", "ADT"]).drop_duplicates("USUBJID")
    m = out.merge(rows[["USUBJID", "ADT", "SRCSEQ"]], on="USUBJID", how="left")
    m.loc[m["AVALC"] == "N", ["ADT", "SRCSEQ"]] = [pd.NaT, np.nan]
    return m


def derive_param_first_event(dataset: pd.DataFrame, subjects: pd.DataFrame, where: pd.Series) -> pd.DataFrame:
    """Y with the first date of rows in ``where`` (per subject), else N without date (e.g. PD)."""
    rows = dataset[where].sort_values(["USUBJID", "ADT"]).drop_duplicates("USUBJID")[["USUBJID", "ADT", "SRCSEQ"]]
    out = subjects[["USUBJID"]].merge(rows, on="USUBJID", how="left")
    out["AVALC"], out["AVAL"] = _yn(out["ADT"].notna())
    return out


def timepoint_assessment(dataset: pd.DataFrame, subjects: pd.DataFrame, day: int, window: int) -> pd.DataFrame:
    """Per subject of ``subjects``: the assessment used at the timepoint (ANL01FL = Y, ADT - ORIGIN within day
    +/- window, closest to ``day``, later on ties) with its ADT, SRCSEQ and response ``_R``; empty when none.

    >>> import pandas as pd
    >>> o = pd.DataFrame({"USUBJID": ["1", "1", "1"], "AVALC": ["SD", "PR", "CR"], "ANL01FL": ["Y", "Y", None],
    ...                   "ADT": pd.to_datetime(["2025-02-09", "2025-02-13", "2025-02-12"]), "SRCSEQ": [1.0, 2.0, 3.0],
    ...                   "ORIGIN": pd.to_datetime(["2025-01-01"] * 3)})
    >>> timepoint_assessment(o, pd.DataFrame({"USUBJID": ["1", "2"]}), 42, 7)[["USUBJID", "_R"]].values.tolist()
    [['1', 'PR'], ['2', nan]]
    """
    anl = dataset.loc[dataset["ANL01FL"] == "Y", ["USUBJID", "ADT", "SRCSEQ", "AVALC", "ORIGIN"]]
    dist = ((anl["ADT"] - anl["ORIGIN"]).dt.days - day).abs()
    anl = anl[dist <= window].assign(_D=dist).sort_values(["USUBJID", "_D", "ADT"], ascending=[True, True, False])
    pick = anl.drop_duplicates("USUBJID")[["USUBJID", "ADT", "SRCSEQ", "AVALC"]].rename(columns={"AVALC": "_R"})
    return subjects[["USUBJID"]].merge(pick, on="USUBJID", how="left")


def timepoint_response(assessment: pd.DataFrame, categories: list[str]) -> pd.DataFrame:
    """Y/N per row of :func:`timepoint_assessment` output: the response used is in ``categories``."""
    out = assessment.drop(columns="_R")
    out["AVALC"], out["AVAL"] = _yn(assessment["_R"].isin(categories))
    return out


def derive_param_timepoint(
    dataset: pd.DataFrame, subjects: pd.DataFrame, day: int, window: int, categories: list[str]
) -> pd.DataFrame:
    """Y when the assessment used at the timepoint (ANL01FL = Y, ADT - ORIGIN within day +/- window, closest to
    ``day``, later on ties) is in ``categories``; N otherwise, including no assessment in the window."""
    return timepoint_response(timepoint_assessment(dataset, subjects, day, window), categories)


def derive_param_mdis(
    subjects: pd.DataFrame, tu: pd.DataFrame | None, tr: pd.DataFrame | None, lesion_testcd: str | list[str] | None
) -> pd.DataFrame:
    """MDIS: Y when the criterion's lesion measurement (TR ``lesion_testcd`` > 0) exists on/before ORIGIN, else when
    TU has a TARGET lesion on/before ORIGIN (TR without that test); N otherwise."""
    out = subjects[["USUBJID", "ORIGIN"]].copy()
    yes = pd.Series(False, index=out.index)
    used_tr = False
    tests = [lesion_testcd] if isinstance(lesion_testcd, str) else list(lesion_testcd or [])
    is_test = upper(tr["TRTESTCD"]).isin(tests) if tr is not None and tests and "TRTESTCD" in tr else None
    if tr is not None and is_test is not None and is_test.any():
        used_tr = True
        t = tr.loc[is_test, [c for c in ("USUBJID", "TRDTC", "TRSTRESN") if c in tr]]
        t = t[(pd.to_numeric(col(t, "TRSTRESN"), errors="coerce") > 0).to_numpy()]
        yes = subjects_dated_by(t["USUBJID"], dtc_to_dt(col(t, "TRDTC")), out["USUBJID"], out["ORIGIN"])
    if not used_tr and tu is not None and not tu.empty:
        res = upper(col(tu, "TUSTRESC")).fillna(upper(col(tu, "TUORRES")))
        t = pd.DataFrame({"USUBJID": tu["USUBJID"].values, "d": dtc_to_dt(col(tu, "TUDTC")).values})[
            res.str.startswith("TARGET", na=False).values
        ]
        yes = subjects_dated_by(t["USUBJID"], t["d"], out["USUBJID"], out["ORIGIN"])
    out["AVALC"], out["AVAL"] = _yn(yes)
    return out[["USUBJID", "AVALC", "AVAL"]]


# ----------------------------------------------------------------------------------------------- assembly
def criterion_of(rs: pd.DataFrame, criteria: list[dict], warn: Callable[[str], None]) -> pd.Series:
    """Index into ``criteria`` for each RS row by RSCAT (missing RSCAT = the first criterion); -1 = unknown."""
    cat = upper(col(rs, "RSCAT"))
    idx = pd.Series(-1, index=rs.index)
    for k, c in enumerate(criteria):
        names = {c["rscat"].upper(), *(a.upper() for a in c.get("aliases", []))}
        idx = idx.where(~cat.isin(names) | (idx >= 0), k)
    idx = idx.where(cat.notna(), 0)
    unknown = sorted(set(cat[idx < 0].dropna()))
    if unknown:
        warn(f"ADRS: RS records with RSCAT {', '.join(unknown)} match no criterion in params 'criteria'; skipped")
    return idx


def check_param_one_to_one(dataset: pd.DataFrame, key: str) -> None:
    """SpecError (naming ``key`` and the parameter) when PARAMCD and PARAM are not one to one, e.g. a PARAM
    template without ``{crit}`` used for several criteria."""
    if dataset.empty:
        return
    pairs = dataset[["PARAMCD", "PARAM"]].drop_duplicates()
    for a, b in (("PARAM", "PARAMCD"), ("PARAMCD", "PARAM")):
        dup = pairs[pairs.duplicated(a, keep=False)]
        if not dup.empty:
            first = dup.iloc[0][a]
            others = sorted(dup.loc[dup[a] == first, b])
            raise SpecError(
                f"{a} {first!r} has several {b} values ({', '.join(others)}); each PARAM must name its "
                "criterion (use {crit} in the template)",
                key=key,
            )


def param_label(params: dict, code: str, crit: dict, tpname: str = "") -> str:
    template = params["parameters"].get(code, code)
    return template.format(crit=crit.get("label", crit["rscat"]), tpname=tpname.title() if tpname else "")


def derive_adrs(
    sdtm: dict[str, pd.DataFrame],
    adsl: pd.DataFrame,
    params: dict,
    new_therapy: pd.Series | None,
    warn: Callable[[str], None],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ADRS for each criterion present in RS. Returns (ADRS, OVR working rows with ORIGIN and categories)."""
    rs = sdtm.get("RS")
    if rs is None or rs.empty:
        warn("ADRS: no RS; ADRS is empty and PFS/DoR cannot be derived")
        return pd.DataFrame(columns=["STUDYID", "USUBJID"]), pd.DataFrame()
    rs = filter_rows(rs, params["rs_where"], key="rs_where")
    rs = rs[upper(col(rs, "RSTESTCD")) == "OVRLRESP"]
    raw = upper(col(rs, "RSSTRESC").fillna(col(rs, "RSORRES")))
    odd = sorted(set(normalise_response(raw).dropna()) - set(AVAL_RESP))
    if odd:
        warn(f"ADRS: overall responses {', '.join(odd)} are not CR/PR/SD/NON-CR/NON-PD/PD/NE; analysed as NE")
    origin = params["origin"]
    crit_idx = criterion_of(rs, params["criteria"], warn)
    subjects = adsl[adsl[origin].notna()][["STUDYID", "USUBJID", origin]].rename(columns={origin: "ORIGIN"})
    parts, work = [], []
    for k, crit in enumerate(params["criteria"]):
        sub_rs = rs[crit_idx == k]
        if sub_rs.empty:
            continue
        p, parcat = crit["prefix"], crit.get("parcat1", crit["rscat"])
        ovr = derive_param_ovr(
            sub_rs,
            adsl,
            origin,
            new_therapy,
            params["anl_after_origin"],
            params["anl_worst_per_date"],
            params["anl_up_to_first_pd"],
            params["anl_before_new_therapy"],
        )
        dropped = int(ovr["ADT"].isna().sum())
        if dropped:
            warn(f"ADRS {parcat}: {dropped} overall responses without a complete RSDTC are not analysed")
        ovr = derive_vars_avisit(ovr, params["timepoints"])
        ovr["PARAMCD"], ovr["PARAM"] = p + "OVR", param_label(params, "OVR", crit)
        recs = [ovr]
        miss = params["missing_as_ne"]
        bor = derive_best_overall_response(ovr, params["min_sd_days"], miss, subjects)
        conf = derive_confirmation(
            ovr,
            params["confirmation_days"],
            params["max_ne_between"],
            params["accept_sd_between"],
            params["pr_after_cr_breaks_confirmation"],
        )
        conf = conf.merge(subjects[["USUBJID"]], on="USUBJID")
        conf["_CAT"] = derive_confirmed_category(conf, params["min_sd_days"], params["unconfirmed_as_sd"])
        stable = conf["AVALC"].isin(["SD", "NON-CR/NON-PD"])
        conf["_UCAT"] = conf["AVALC"].where(~stable | _sd_ok(conf, params["min_sd_days"]), "NE")
        cbor = _select_best(conf, "_CAT", subjects, "NE" if miss else "MISSING")
        derived: list[tuple] = [  # (PARAMCD, frame) or (PARAMCD, frame, timepoint)
            ("BOR", bor),
            ("CBOR", cbor),
            ("RSP", derive_param_response(bor, conf, ["CR", "PR"], "_UCAT")),
            ("CRSP", derive_param_response(cbor, conf, ["CR", "PR"], "_CAT")),
            ("CB", derive_param_response(bor, conf, ["CR", "PR", "SD", "NON-CR/NON-PD"], "_UCAT")),
            ("CCB", derive_param_response(cbor, conf, ["CR", "PR", "SD", "NON-CR/NON-PD"], "_CAT")),
            ("PD", derive_param_first_event(conf, subjects, conf["AVALC"] == "PD")),
        ]
        last = conf.sort_values(["USUBJID", "ADT"]).drop_duplicates("USUBJID", keep="last")[
            ["USUBJID", "ADT", "SRCSEQ", "AVALC"]
        ]
        lsta = subjects[["USUBJID"]].merge(last, on="USUBJID", how="inner")
        lsta["AVAL"] = lsta["AVALC"].map(AVAL_RESP)
        derived.append(("LSTA", lsta))
        if "DTHDT" in adsl:
            death = (
                subjects[["USUBJID"]].merge(adsl[["USUBJID", "DTHDT"]], on="USUBJID").rename(columns={"DTHDT": "ADT"})
            )
            death["AVALC"], death["AVAL"] = _yn(death["ADT"].notna())
            dated = death["ADT"].notna()
            death["SRCDOM"], death["SRCVAR"] = (
                _text_where(dated, "ADSL", death.index),
                _text_where(dated, "DTHDT", death.index),
            )
            derived.append(("DEATH", death))
        derived.append(
            ("MDIS", derive_param_mdis(subjects, sdtm.get("TU"), sdtm.get("TR"), crit.get("tr_lesion_testcd")))
        )
        for tp in params["timepoints"]:
            used = timepoint_assessment(ovr, subjects, tp["day"], tp.get("window", 0))
            derived.append((f"RSP{tp['suffix']}", timepoint_response(used, ["CR", "PR"]), tp))
            derived.append((f"DC{tp['suffix']}", timepoint_response(used, ["CR", "PR", "SD", "NON-CR/NON-PD"]), tp))
        for item in derived:
            code, frame = item[0], item[1].copy()
            tp = item[2] if len(item) > 2 else None
            label_code = (code[: -len(tp["suffix"])] + "{tp}") if tp else code
            frame["PARAMCD"] = p + code
            frame["PARAM"] = param_label(params, label_code, crit, tp["name"] if tp else "")
            if "SRCDOM" not in frame:
                frame["SRCDOM"] = _text_where(
                    frame.get("SRCSEQ", pd.Series(np.nan, index=frame.index)).notna(), "RS", frame.index
                )
            if "SRCVAR" not in frame:
                frame["SRCVAR"] = _text_where(frame["SRCDOM"] == "RS", "RSSTRESC", frame.index)
            recs.append(frame)
        block = pd.concat(recs, ignore_index=True)
        block["PARCAT1"] = parcat
        parts.append(block)
        work.append(conf.assign(PARCAT1=parcat, PREFIX=p))
    if not parts:
        return pd.DataFrame(columns=["STUDYID", "USUBJID"]), pd.DataFrame()
    adrs = pd.concat(parts, ignore_index=True)
    check_param_one_to_one(adrs, "parameters")
    adrs = join_subject_vars(
        adrs.drop(columns=["STUDYID", "ORIGIN"], errors="ignore"),
        as_text(
            adsl[["STUDYID", "USUBJID", "SUBJID", "SITEID", "TRT01P", "TRT01A", "TRTSDT", origin]].loc[
                :, lambda d: ~d.columns.duplicated()
            ]
        ),
    )
    adrs["ADY"] = study_day(adrs["ADT"], adrs["TRTSDT"])
    return adrs, pd.concat(work, ignore_index=True)
