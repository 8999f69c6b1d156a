"""A small hand-made ADaM (9 subjects in ADSL, 8 treated/evaluable, cohorts DL1 and LEN) for report tests.

Expected numbers are worked out by hand in the tests; keep them in sync when editing this data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

STUDY = "C-CAR031"
D0 = pd.Timestamp("2024-01-01")
SUBJ = [f"{STUDY}-{i:03d}" for i in range(1, 10)]
COHORT = {
    1: ("DL1", 1.0),
    2: ("DL1", 1.0),
    3: ("DL1", 1.0),
    4: ("DL1", 1.0),
    5: ("LEN", 4.0),
    6: ("LEN", 4.0),
    7: ("LEN", 4.0),
    8: ("LEN", 4.0),
    9: ("LEN", 4.0),
}
RECIST, MRECIST = "RECIST 1.1", "MRECIST LENCIONI LIVER CANCER 2010"


def u(i: int) -> str:
    return SUBJ[i - 1]


def _adsl() -> pd.DataFrame:
    rows = []
    for i in range(1, 10):
        treated = i != 9
        trt = D0 + pd.Timedelta(days=10 * i)
        dead = i in (2, 3, 4)
        end_days = {1: 400, 2: 370, 3: 150, 4: 100, 5: 380, 6: 365, 7: 200, 8: 183, 9: 0}[i]
        rows.append(
            {
                "STUDYID": STUDY,
                "USUBJID": u(i),
                "TRT01A": COHORT[i][0] if treated else None,
                "TRT01AN": COHORT[i][1] if treated else np.nan,
                "SAFFL": "Y" if treated else "N",
                "EFFFL": "Y" if treated else "N",
                "ENRLFL": "Y",
                "TRTSDT": trt if treated else pd.NaT,
                "PRETSDT": trt - pd.Timedelta(days=5) if treated else pd.NaT,
                "DTHFL": "Y" if dead else None,
                "DTHDT": trt + pd.Timedelta(days=end_days) if dead else pd.NaT,
                "LSTALVDT": trt + pd.Timedelta(days=end_days - (1 if dead else 0)) if treated else D0,
                "EOSSTT": "DISCONTINUED" if dead or i == 9 else ("ONGOING" if i in (1, 5) else "COMPLETED"),
                "AGE": 50.0 + i,
                "SEX": "M" if i % 2 else "F",
            }
        )
    df = pd.DataFrame(rows)
    df["TRT01A"] = df["TRT01A"].astype(object)
    return df


def _adae() -> pd.DataFrame:
    BLOOD, IMM, NERV, GEN = (
        "BLOOD AND LYMPHATIC SYSTEM DISORDERS",
        "IMMUNE SYSTEM DISORDERS",
        "NERVOUS SYSTEM DISORDERS",
        "GENERAL DISORDERS AND ADMINISTRATION SITE CONDITIONS",
    )
    CRS, ICANS = "Cytokine release syndrome", "Immune effector cell-associated neurotoxicity syndrome"
    # subj, soc, pt, ctcae, aeser, trtemfl, aesicat, astct, astdy
    recs = [
        (1, IMM, CRS, 2, "N", "Y", "CRS", 1, 2),
        (1, BLOOD, "Neutropenia", 3, "N", "Y", None, None, 5),
        (1, BLOOD, "Neutropenia", 4, "N", "Y", None, None, 10),
        (2, IMM, CRS, 3, "Y", "Y", "CRS", 3, 1),
        (2, GEN, "Pyrexia", 1, "N", "Y", None, None, 1),
        (3, BLOOD, "Anaemia", 2, "N", "Y", None, None, 20),
        (5, IMM, CRS, 1, "N", "Y", "CRS", 1, 4),
        (5, NERV, ICANS, 3, "Y", "Y", "ICANS", 2, 6),
        (6, GEN, "Pyrexia", 2, "N", "Y", None, None, 3),
        (6, IMM, CRS, 2, "N", "Y", "CRS", 2, 3),
        (7, GEN, "Pyrexia", 1, "N", "N", None, None, -3),  # before infusion: not a TEAE
        (9, GEN, "Pyrexia", 1, "N", "Y", None, None, 1),  # not in the safety population
    ]
    rows = []
    for s, soc, pt, g, ser, te, cat, ast, dy in recs:
        rows.append(
            {
                "STUDYID": STUDY,
                "USUBJID": u(s),
                "TRT01A": COHORT[s][0],
                "AEBODSYS": soc,
                "AEDECOD": pt,
                "ATOXGR": str(g),
                "ATOXGRN": float(g),
                "AESER": ser,
                "TRTEMFL": te,
                "AESIFL": "Y" if cat else None,
                "AESICAT": cat,
                "ASTCTGR": str(ast) if ast else None,
                "ASTCTGRN": float(ast) if ast else np.nan,
                "ASTDT": D0 + pd.Timedelta(days=10 * s + dy - 1),
                "ASTDY": float(dy),
            }
        )
    return pd.DataFrame(rows)


def _adrs() -> pd.DataFrame:
    rows = []

    def add(i, code, avalc, parcat=RECIST, ady=np.nan, anl="Y"):
        trt = D0 + pd.Timedelta(days=10 * i)
        rows.append(
            {
                "STUDYID": STUDY,
                "USUBJID": u(i),
                "PARAMCD": code,
                "PARAM": f"{code}, {'mRECIST' if parcat == MRECIST else 'RECIST 1.1'}",  # PARAM names its criterion
                "PARCAT1": parcat,
                "AVALC": avalc,
                "AVAL": np.nan,
                "ADT": trt + pd.Timedelta(days=ady - 1) if ady == ady else pd.NaT,
                "ADY": ady,
                "AVISIT": None,
                "ANL01FL": anl,
            }
        )

    evaluable = range(1, 9)
    for i in list(evaluable) + [9]:
        add(i, "RSPW6", "Y" if i in (1, 5, 6, 9) else "N")  # 3/8 in the efficacy population
        add(i, "DCW6", "Y" if i in (1, 2, 5, 6, 7) else "N")  # 5/8
        add(i, "MRSPW6", "Y" if i in (1, 2, 5, 6) else "N", MRECIST)  # 4/8
    add(1, "RSPW12", "Y")  # only one record: others count as N (1/8)
    cbor = {1: "CR", 2: "SD", 3: "PD", 4: "NE", 5: "PR", 6: "PR", 7: "SD"}  # 8: no record
    bor = {**cbor, 2: "PR"}
    for i, v in cbor.items():
        add(i, "CBOR", v)
        add(i, "MCBOR", "PR" if v == "SD" else v, MRECIST)
    for i, v in bor.items():
        add(i, "BOR", v)
        add(i, "MBOR", v, MRECIST)
    for i, v, d in [
        (1, "PR", 43),
        (1, "CR", 85),
        (2, "PR", 43),
        (2, "SD", 85),
        (3, "SD", 43),
        (3, "PD", 85),
        (5, "PR", 43),
        (6, "PR", 43),
        (6, "PD", 201),
        (7, "SD", 43),
        (8, "PD", 43),
    ]:
        add(i, "OVR", v, ady=d, anl=None)
        add(i, "MOVR", v, MRECIST, ady=d, anl=None)
    return pd.DataFrame(rows)


def _adtte() -> pd.DataFrame:
    rows = []

    def add(code, parcat, data):
        for i, (aval, cnsr) in data.items():
            trt = D0 + pd.Timedelta(days=10 * i)
            rows.append(
                {
                    "STUDYID": STUDY,
                    "USUBJID": u(i),
                    "PARAMCD": code,
                    "PARAM": code,
                    "PARCAT1": parcat,
                    "STARTDT": trt,
                    "ADT": trt + pd.Timedelta(days=aval - 1),
                    "AVAL": float(aval),
                    "CNSR": float(cnsr),
                    "EVNTDESC": None if cnsr else "EVENT",
                    "CNSDTDSC": "LAST ASSESSMENT" if cnsr else None,
                }
            )

    # PFS: 42e 60e 90c 120e 120e 200c 250e 300c
    add(
        "PFS",
        RECIST,
        {
            1: (300, 1),
            2: (120, 0),
            3: (42, 0),
            4: (60, 0),
            5: (250, 0),
            6: (200, 1),
            7: (120, 0),
            8: (90, 1),
            9: (10, 0),
        },
    )
    add(
        "MPFS",
        MRECIST,
        {1: (300, 1), 2: (200, 0), 3: (42, 0), 4: (60, 0), 5: (250, 0), 6: (200, 1), 7: (120, 0), 8: (90, 1)},
    )
    add("RSD", RECIST, {1: (280, 1), 5: (200, 0), 6: (150, 1)})
    # OS: 100e 150e 183c 200c 365c 370e 380c 400c
    add(
        "OS",
        None,
        {
            1: (400, 1),
            2: (370, 0),
            3: (150, 0),
            4: (100, 0),
            5: (380, 1),
            6: (365, 1),
            7: (200, 1),
            8: (183, 1),
            9: (5, 0),
        },
    )
    return pd.DataFrame(rows)


def _adtr() -> pd.DataFrame:
    rows = []
    series = {1: [-60, -100], 2: [-35, -20], 3: [10, 25], 4: [], 5: [-40, -50], 6: [-32], 7: [-10, 5], 8: [30]}
    for code in ("SUMDIAM", "MSUMDIAM"):
        for i, pchgs in series.items():
            base = 50.0 + i
            trt = D0 + pd.Timedelta(days=10 * i)
            for k, p in enumerate([None] + pchgs):
                ady = -5.0 if k == 0 else 42.0 * k + 1
                aval = base if p is None else base * (1 + p / 100)
                rows.append(
                    {
                        "STUDYID": STUDY,
                        "USUBJID": u(i),
                        "PARAMCD": code,
                        "AVAL": aval,
                        "BASE": base,
                        "CHG": aval - base,
                        "PCHG": np.nan if p is None else float(p),
                        "ADY": ady,
                        "ADT": trt + pd.Timedelta(days=ady - 1 if ady > 0 else ady),
                        "AVISIT": "BASELINE" if k == 0 else f"WEEK {6 * k}",
                        "ABLFL": "Y" if k == 0 else None,
                    }
                )
    return pd.DataFrame(rows)


def make_adam() -> dict[str, pd.DataFrame]:
    return {"ADSL": _adsl(), "ADAE": _adae(), "ADRS": _adrs(), "ADTTE": _adtte(), "ADTR": _adtr()}


@pytest.fixture
def adam() -> dict[str, pd.DataFrame]:
    return make_adam()


@pytest.fixture(scope="session")
def adam_factory():
    """``make_adam`` itself, for module-scoped fixtures and repeated builds."""
    return make_adam
