"""Trial design datasets from the study's design file (:mod:`cdisckit.sdtm.design`): TS, TE, TA, TV, TI.

Each ``derive_*`` function takes the validated design (and, for TS and TV, the study facts and the mapped datasets)
and returns the dataset as a DataFrame of the SDTMIG 3.4 variables it fills; the engine puts them in standard
order and types. SE and SV (per subject) are in :mod:`cdisckit.sdtm.derive_se`.

>>> design = {"elements": {"SCRN": {"element": "Screening", "testrl": "Informed consent", "epoch": "SCREENING"},
...                        "TRT": {"element": "Drug A", "testrl": "First dose", "epoch": "TREATMENT", "tedur": "P4W"}},
...           "arms": {"A": {"arm": "Drug A", "elements": ["SCRN", "TRT"], "branch": {"SCRN": "Enrolled"}}}}
>>> derive_ta(design, study_id="S1")[["ARMCD", "TAETORD", "ETCD", "EPOCH", "TABRANCH"]].values.tolist()
[['A', 1.0, 'SCRN', 'SCREENING', 'Enrolled'], ['A', 2.0, 'TRT', 'TREATMENT', None]]
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from cdisckit.conditions import frame_mask
from cdisckit.errors import SpecError
from cdisckit.standards import CT_VERSION, SPECS_DIR, sdtm_dataset

from .design import ts_parameters


@cache
def _nci_codes(short_name: str) -> dict:
    """Submission value -> NCI code of a CT codelist in specs/ct."""
    t = pd.read_csv(SPECS_DIR / "ct" / f"{short_name}.csv", dtype=str, keep_default_na=False, na_filter=False)
    return dict(zip(t["submission_value"], t["nci_code"]))


def _frame(rows: list[dict], study_id: str, domain: str) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df.insert(0, "DOMAIN", domain)
    df.insert(0, "STUDYID", study_id)
    return df.astype(object).where(df.notna(), None)


def derive_te(design: dict, *, study_id: str) -> pd.DataFrame:
    """TE: one record per element (ETCD, ELEMENT, TESTRL, TEENRL, TEDUR), in the design file's order.

    >>> derive_te({"elements": {"SCRN": {"element": "Screening", "testrl": "Informed consent", "teenrl": "Day 1"}}},
    ...           study_id="S1")[["ETCD", "ELEMENT", "TESTRL", "TEENRL", "TEDUR"]].values.tolist()
    [['SCRN', 'Screening', 'Informed consent', 'Day 1', None]]
    """
    rows = [
        {
            "ETCD": etcd,
            "ELEMENT": e["element"],
            "TESTRL": e["testrl"],
            "TEENRL": e.get("teenrl"),
            "TEDUR": e.get("tedur"),
        }
        for etcd, e in design["elements"].items()
    ]
    return _frame(rows, study_id, "TE")


def derive_ta(design: dict, *, study_id: str) -> pd.DataFrame:
    """TA: one record per arm and element in the arm (TAETORD 1, 2, ...), EPOCH of the element."""
    rows = []
    for armcd, a in design["arms"].items():
        for order, etcd in enumerate(a["elements"], start=1):
            e = design["elements"][etcd]
            rows.append(
                {
                    "ARMCD": armcd,
                    "ARM": a["arm"],
                    "TAETORD": float(order),
                    "ETCD": etcd,
                    "ELEMENT": e["element"],
                    "TABRANCH": (a.get("branch") or {}).get(etcd),
                    "TATRANS": (a.get("transition") or {}).get(etcd),
                    "EPOCH": e["epoch"],
                }
            )
    return _frame(rows, study_id, "TA")


def derive_tv(design: dict, *, study_id: str, schedule: list[dict]) -> pd.DataFrame:
    """TV: the planned visits of study.yaml ``visits.schedule`` with the design's start/end rules.

    A visit for some arms only lists them (``arms: [LEN]``, one record per arm); otherwise ARMCD is blank.

    >>> derive_tv({"visits": {"WEEK 6": {"tvstrl": "Day 42"}}, "arms": {}}, study_id="S1",
    ...           schedule=[{"folder": "WEEK 6", "visitnum": 2, "visitdy": 43}])[["VISITNUM", "VISIT", "TVSTRL"]].values.tolist()
    [[2.0, 'WEEK 6', 'Day 42']]
    """
    rules = design.get("visits") or {}
    rows = []
    for s in schedule:
        visit = str(s.get("visit", s["folder"]))
        rule = rules.get(visit)
        if rule is None:
            raise SpecError(
                f"planned visit {visit!r} of study.yaml has no rule under visits: in the design file",
                file=design.get("file"),
                key=f"visits.{visit}",
            )
        arms = rule.get("arms") or [None]
        for armcd in arms:
            rows.append(
                {
                    "VISITNUM": float(s["visitnum"]),
                    "VISIT": visit,
                    "VISITDY": float(s["visitdy"]) if s.get("visitdy") is not None else np.nan,
                    "ARMCD": armcd,
                    "ARM": design["arms"][armcd]["arm"] if armcd else None,
                    "TVSTRL": rule["tvstrl"],
                    "TVENRL": rule.get("tvenrl"),
                }
            )
    extra = sorted(set(rules) - {str(s.get("visit", s["folder"])) for s in schedule})
    if extra:
        raise SpecError(
            f"visit {extra[0]!r} under visits: is not a planned visit of study.yaml visits.schedule",
            file=design.get("file"),
            key=f"visits.{extra[0]}",
        )
    df = _frame(rows, study_id, "TV")
    for c in ("VISITNUM", "VISITDY"):
        df[c] = pd.to_numeric(df[c]).astype("float64")
    return df


def derive_ti(design: dict, *, study_id: str) -> pd.DataFrame:
    """TI: one record per eligibility criterion (IETESTCD, IETEST, IECAT, IESCAT, TIRL, TIVERS)."""
    rows = [
        {
            "IETESTCD": c["ietestcd"],
            "IETEST": c["ietest"],
            "IECAT": c["iecat"],
            "IESCAT": c.get("iescat"),
            "TIRL": c.get("tirl"),
            "TIVERS": c.get("tivers"),
        }
        for c in design.get("criteria") or []
    ]
    return _frame(rows, study_id, "TI") if rows else pd.DataFrame()


# ---------------------------------------------------------------- TS
def _derived_ts_values(item: dict, datasets: dict[str, pd.DataFrame], study: dict, parmcd: str, file) -> list[str]:
    kind = item["derive"]
    if kind == "data_cutoff":
        if not study.get("data_cutoff"):
            raise SpecError(
                f"TS {parmcd} takes the data cut-off date, but study.yaml has no data_cutoff", file=file, key=parmcd
            )
        return [str(study["data_cutoff"])]
    dom, _, var = str(item["of"]).partition(".")
    df = datasets.get(dom)
    if df is None or (var and var not in df.columns):
        raise SpecError(f"TS {parmcd}: {item['of']} is not in the mapped data", file=file, key=f"summary.{parmcd}.of")
    if item.get("where"):
        df = df[frame_mask(df, item["where"], key=f"summary.{parmcd}.where")]
    if kind == "count":
        n = df[var].dropna().nunique() if var else len(df)
        return [str(int(n))]
    vals = df[var].dropna().astype(str)
    vals = vals[vals.str.strip().ne("")]
    if kind == "values":
        return sorted(vals.unique().tolist())
    if vals.empty:
        return []
    chosen = vals.min() if kind == "first_date" else vals.max()
    return [chosen[:10]]


def derive_ts(design: dict, *, study_id: str, study: dict, datasets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """TS: one record per parameter value. Values of a CT codelist get TSVALCD (the term's NCI code), TSVCDREF
    ``CDISC CT`` and TSVCDVER (the CT version); values of another reference terminology get TSVCDREF and the code
    given in the design file; null flavors go to TSVALNF. SDTMVER/SDTIGVER default to the standard produced.

    >>> d = {"summary": {"TPHASE": "PHASE I TRIAL", "AGEMAX": {"null_flavor": "PINF"}, "TTYPE": ["SAFETY", "EFFICACY"]}}
    >>> ts = derive_ts(d, study_id="S1", study={}, datasets={})
    >>> ts[ts.TSPARMCD != "SDTMVER"][["TSSEQ", "TSPARMCD", "TSVAL", "TSVALNF", "TSVALCD", "TSVCDREF"]].values.tolist()[:4]
    [[1.0, 'TPHASE', 'PHASE I TRIAL', None, 'C15600', 'CDISC CT'], [1.0, 'AGEMAX', None, 'PINF', None, None], [1.0, 'TTYPE', 'SAFETY', None, 'C49667', 'CDISC CT'], [2.0, 'TTYPE', 'EFFICACY', None, 'C49666', 'CDISC CT']]
    """
    meta = ts_parameters()
    params = meta["parameters"]
    summary = dict(design["summary"])
    for code, version in meta["sdtm_versions"].items():
        summary.setdefault(code, version)
    names = _tsparm_names()
    rows = []
    for parmcd, raw in summary.items():
        spec = params.get(parmcd, {})
        items = raw if isinstance(raw, list) else [raw]
        values: list[dict] = []
        for item in items:
            if isinstance(item, dict) and "derive" in item:
                got = _derived_ts_values(item, datasets, study, parmcd, design.get("file"))
                values += [{"value": v} for v in got] or [{"null_flavor": "NI"}]
            elif isinstance(item, dict):
                values.append(item)
            else:
                values.append({"value": item})
        for seq, v in enumerate(values, start=1):
            row = {
                "TSSEQ": float(seq),
                "TSPARMCD": parmcd,
                "TSPARM": names.get(parmcd, parmcd),
                "TSVAL": None,
                "TSVALNF": v.get("null_flavor"),
                "TSVALCD": None,
                "TSVCDREF": None,
                "TSVCDVER": None,
            }
            if "value" in v:
                text = str(v["value"])
                row["TSVAL"] = text
                reference = v.get("reference") or spec.get("reference")
                if spec.get("codelist") and not v.get("reference"):
                    row["TSVALCD"] = _nci_codes(spec["codelist"]).get(text)
                    row["TSVCDREF"], row["TSVCDVER"] = "CDISC CT", CT_VERSION
                elif reference == "ISO 3166":
                    row["TSVALCD"], row["TSVCDREF"] = v.get("code", text), reference
                elif reference == "ISO 8601":
                    row["TSVCDREF"] = reference
                elif v.get("code") is not None:
                    row["TSVALCD"], row["TSVCDREF"] = str(v["code"]), reference
                    row["TSVCDVER"] = str(v["version"]) if v.get("version") is not None else None
            rows.append(row)
    return _frame(rows, study_id, "TS")


@cache
def _tsparm_names() -> dict:
    """TSPARMCD -> TSPARM, paired through the NCI code of the term (CT TSPARMCD/TSPARM)."""
    by_code = {code: value for value, code in _nci_codes("TSPARM").items()}
    return {cd: by_code[code] for cd, code in _nci_codes("TSPARMCD").items() if code in by_code}


# ---------------------------------------------------------------- arms of DM vs TA
def check_dm_arms(dm: pd.DataFrame, design: dict):
    """SpecError when DM has an (ARMCD, ARM) or (ACTARMCD, ACTARM) pair that the design's arms do not declare."""
    declared = {(cd, a["arm"]) for cd, a in design["arms"].items()}
    for cd_var, arm_var in (("ARMCD", "ARM"), ("ACTARMCD", "ACTARM")):
        if cd_var not in dm.columns or arm_var not in dm.columns:
            continue
        pairs = dm[[cd_var, arm_var]].dropna(how="all").drop_duplicates()
        for cd, arm in pairs.itertuples(index=False):
            if (cd, arm) not in declared:
                raise SpecError(
                    f"DM {cd_var} {cd!r} / {arm_var} {arm!r} is not an arm of the trial design "
                    f"(arms: {', '.join(f'{c} = {a}' for c, a in sorted(declared))})",
                    file=design.get("file"),
                    key="arms",
                )


def design_datasets(
    study: dict, datasets: dict[str, pd.DataFrame], *, se: pd.DataFrame | None, calendar: pd.DataFrame | None
) -> dict[str, pd.DataFrame]:
    """TS, TA, TE, TV, TI from the study's design file, SE (already derived) and SV per subject, in standard
    variable order, sorted by their keys (SE chronologically, so SESEQ follows SESTDTC)."""
    from .derive_se import derive_sv
    from .derive_seq import sort_by_keys
    from .engine import standardise

    design, sid = study["design"], study["study"]
    schedule = (study.get("visits") or {}).get("schedule") or []
    out = {"TA": derive_ta(design, study_id=sid), "TE": derive_te(design, study_id=sid)}
    out["TV"] = derive_tv(design, study_id=sid, schedule=schedule) if schedule else pd.DataFrame()
    out["TI"] = derive_ti(design, study_id=sid)
    built = {}
    for name, df in out.items():
        if not df.empty:
            built[name] = standardise(sort_by_keys(df, list(sdtm_dataset(name).keys)), sdtm_dataset(name))
    if se is not None and not se.empty:
        built["SE"] = standardise(se, sdtm_dataset("SE"))
    if calendar is not None and "DM" in datasets:
        sv = derive_sv(
            calendar,
            study_id=sid,
            tv=built.get("TV", pd.DataFrame()),
            dm=datasets["DM"],
            unscheduled_description=design.get("unscheduled_visit"),
            reference=study.get("study_day_reference", "RFSTDTC"),
        )
        if not sv.empty:
            built["SV"] = standardise(sv, sdtm_dataset("SV"))
    ts = derive_ts(design, study_id=sid, study=study, datasets={**datasets, **built})
    built["TS"] = standardise(sort_by_keys(ts, list(sdtm_dataset("TS").keys)), sdtm_dataset("TS"))
    return built
