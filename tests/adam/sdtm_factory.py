"""Hand-made SDTM frames for ADaM tests: subjects described by study days relative to the CAR-T infusion.

Day 0 = infusion on 2025-01-01 (ADY 1); lymphodepletion days -5..-3; screening tumour assessment day -14.
"""

from __future__ import annotations

import datetime as _dt

import pandas as pd

D0 = _dt.date(2025, 1, 1)
STUDY = "C-CAR031"
RECIST, MRECIST = "RECIST 1.1", "MRECIST LENCIONI LIVER CANCER 2010"


def day(d: int) -> str:
    return (D0 + _dt.timedelta(days=d)).isoformat()


def subject(sid: str, **kw) -> dict:
    base = {
        "id": sid,
        "arm": "DL1",
        "infused": True,
        "ld": True,
        "age": 50,
        "sex": "M",
        "death": None,
        "dthdtc": None,
        "recist": [],
        "mrecist": [],
        "new_therapy": None,
        "ae": [],
        "target": True,
        "ds": None,
        "sums": [],
        "screen_failure": False,
    }
    base.update(kw)
    return base


def make_sdtm(subjects: list[dict], with_supp: bool = True) -> dict[str, pd.DataFrame]:
    dm, ex, rs, tu, tr, ae, supp, ds, cm = [], [], [], [], [], [], [], [], []
    for s in subjects:
        u = f"{STUDY}-{s['id']}"
        sf = s["screen_failure"]
        dthdtc = s["dthdtc"] or (day(s["death"]) if s["death"] is not None else None)
        dm.append(
            {
                "STUDYID": STUDY,
                "DOMAIN": "DM",
                "USUBJID": u,
                "SUBJID": s["id"],
                "SITEID": "101",
                "RFSTDTC": None if sf or not s["infused"] else day(0),
                "RFICDTC": day(-30),
                "AGE": float(s["age"]),
                "AGEU": "YEARS",
                "SEX": s["sex"],
                "RACE": "ASIAN",
                "ETHNIC": "NOT HISPANIC OR LATINO",
                "COUNTRY": "CHN",
                "ARMCD": None if sf else s["arm"],
                "ARM": None if sf else f"Cohort {s['arm']}",
                "ACTARMCD": None if sf else s["arm"],
                "ACTARM": None if sf else f"Cohort {s['arm']}",
                "ARMNRS": "SCREEN FAILURE" if sf else None,
                "DTHDTC": dthdtc,
                "DTHFL": "Y" if dthdtc else None,
            }
        )
        if sf:
            ds.append(
                {
                    "STUDYID": STUDY,
                    "USUBJID": u,
                    "DSSEQ": 1.0,
                    "DSCAT": "DISPOSITION EVENT",
                    "DSTERM": "SCREEN FAILURE",
                    "DSDECOD": "SCREEN FAILURE",
                    "DSSTDTC": day(-20),
                }
            )
            continue
        seq = 0
        if s["ld"] and s["infused"]:
            for trt in ("FLUDARABINE", "CYCLOPHOSPHAMIDE"):
                for d in (-5, -4, -3):
                    seq += 1
                    ex.append(
                        {
                            "STUDYID": STUDY,
                            "USUBJID": u,
                            "EXSEQ": float(seq),
                            "EXTRT": trt,
                            "EXCAT": "LYMPHODEPLETION",
                            "EXSTDTC": day(d),
                            "EXENDTC": day(d),
                        }
                    )
        if s["infused"]:
            seq += 1
            ex.append(
                {
                    "STUDYID": STUDY,
                    "USUBJID": u,
                    "EXSEQ": float(seq),
                    "EXTRT": "CT0181",
                    "EXCAT": "CAR-T",
                    "EXSTDTC": day(0) + "T10:30",
                    "EXENDTC": day(0) + "T10:30",
                }
            )
        if s["target"]:
            tu.append(
                {
                    "STUDYID": STUDY,
                    "USUBJID": u,
                    "TUSEQ": 1.0,
                    "TULNKID": "T01",
                    "TUTESTCD": "TUMIDENT",
                    "TUORRES": "TARGET",
                    "TUSTRESC": "TARGET",
                    "TUDTC": day(-14),
                }
            )
        rsseq = 0
        for cat, key in ((RECIST, "recist"), (MRECIST, "mrecist")):
            for d, r in s[key]:
                rsseq += 1
                rs.append(
                    {
                        "STUDYID": STUDY,
                        "USUBJID": u,
                        "RSSEQ": float(rsseq),
                        "RSTESTCD": "OVRLRESP",
                        "RSTEST": "Overall Response",
                        "RSCAT": cat,
                        "RSORRES": r,
                        "RSSTRESC": r,
                        "RSDTC": day(d),
                    }
                )
        for k, (d, v) in enumerate(s["sums"], start=1):
            tr.append(
                {
                    "STUDYID": STUDY,
                    "USUBJID": u,
                    "TRSEQ": float(k),
                    "TRTESTCD": "SUMDIAM",
                    "TRSTRESN": float(v),
                    "TRDTC": day(d),
                }
            )
        if s["new_therapy"] is not None:
            cm.append(
                {
                    "STUDYID": STUDY,
                    "USUBJID": u,
                    "CMSEQ": 1.0,
                    "CMTRT": "SORAFENIB",
                    "CMCAT": "NEW ANTICANCER THERAPY",
                    "CMSTDTC": day(s["new_therapy"]) if isinstance(s["new_therapy"], int) else s["new_therapy"],
                }
            )
        for k, a in enumerate(s["ae"], start=1):
            a = {"AEDECOD": "Pyrexia", "AEBODSYS": "General disorders", "AETOXGR": "2", "AEREL": "RELATED", **a}
            ae.append(
                {
                    "STUDYID": STUDY,
                    "USUBJID": u,
                    "AESEQ": float(k),
                    "AETERM": a["AEDECOD"].upper(),
                    **{c: a.get(c) for c in ("AEDECOD", "AEBODSYS", "AETOXGR", "AEREL", "AESTDTC", "AEENDTC")},
                }
            )
            for q in ("AESI", "AESICAT", "ASTCTGR", "AERELLD"):
                if a.get(q) is not None:
                    supp.append(
                        {
                            "STUDYID": STUDY,
                            "RDOMAIN": "AE",
                            "USUBJID": u,
                            "IDVAR": "AESEQ",
                            "IDVARVAL": str(k),
                            "QNAM": q,
                            "QVAL": a[q],
                        }
                    )
        if s["ds"]:
            dec, d = s["ds"]
            ds.append(
                {
                    "STUDYID": STUDY,
                    "USUBJID": u,
                    "DSSEQ": 1.0,
                    "DSCAT": "DISPOSITION EVENT",
                    "DSTERM": dec,
                    "DSDECOD": dec,
                    "DSSTDTC": day(d),
                }
            )
        elif dthdtc:
            ds.append(
                {
                    "STUDYID": STUDY,
                    "USUBJID": u,
                    "DSSEQ": 1.0,
                    "DSCAT": "DISPOSITION EVENT",
                    "DSTERM": "DEATH",
                    "DSDECOD": "DEATH",
                    "DSSTDTC": dthdtc,
                }
            )
    out = {
        "DM": pd.DataFrame(dm),
        "EX": pd.DataFrame(ex),
        "RS": pd.DataFrame(rs),
        "TU": pd.DataFrame(tu),
        "TR": pd.DataFrame(tr),
        "AE": pd.DataFrame(ae),
        "DS": pd.DataFrame(ds),
        "CM": pd.DataFrame(cm),
    }
    if with_supp:
        out["SUPPAE"] = pd.DataFrame(
            supp, columns=["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QVAL"]
        )
    return {k: v for k, v in out.items() if not v.empty or k == "SUPPAE"}


#: What the factory's subjects need from the C-CAR031 study declarations (mappings/c-car031/adam.yaml): which EX
#: record is the infusion, the pretreatment start, TEAE window, AESI, treatments, ASTCT grade, both criteria,
#: contact dates. Response rules (min_sd_days, ...) stay the library defaults the scenarios were worked out with.
STUDY_KEYS = (
    "trtsdt_where",
    "adsl_vars",
    "os_origin",
    "origin_labels",
    "teae_window_start",
    "teae_window_ref",
    "teae_window_days",
    "ae_start_imputation",
    "aesi",
    "treatments",
    "adae_vars",
    "criteria",
    "efffl_requires_target",
    "lstalvdt_sources",
)


def _study_params() -> dict:
    from pathlib import Path

    from cdisckit.adam import load_params

    p = load_params(study_dir=Path(__file__).resolve().parents[2] / "mappings" / "c-car031")
    return {k: p[k] for k in STUDY_KEYS}


STUDY_PARAMS = _study_params()


def missing_as_none(x):
    """Missing text (NaN in a pandas ``str`` column) as None, in a value or a list/Series of values, so that an
    expected value reads as the CRF does."""
    if isinstance(x, (list, pd.Series)):
        return [None if pd.isna(v) else v for v in x]
    return None if pd.isna(x) else x
