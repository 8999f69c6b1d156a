"""Small hand-made SDTM and ADaM studies for the checks tests (2 subjects, clean by construction)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from cdisckit.standards import ADAMIG, DatasetSpec, adam_variable, codelist, sdtm_dataset

N = np.nan


def adam_spec(name, label, structure, keys, names, overrides=None):
    """A DatasetSpec as specs/adam/<NAME>.yaml would declare it (labels/types from ADaMIG 1.3)."""
    overrides = overrides or {}
    variables = []
    for i, n in enumerate(names, start=1):
        v = adam_variable(n, (structure,)) or adam_variable(n, ("ADSL",))
        v = dataclasses.replace(v, order=i, **overrides.get(n, {}))
        variables.append(v)
    return DatasetSpec(name, label, "", "", ADAMIG, tuple(keys), tuple(variables))


ADAM_SPECS = {
    "ADSL": adam_spec(
        "ADSL",
        "Subject-Level Analysis Dataset",
        "ADSL",
        ["STUDYID", "USUBJID"],
        [
            "STUDYID",
            "USUBJID",
            "SUBJID",
            "SITEID",
            "AGE",
            "AGEU",
            "SEX",
            "RACE",
            "ARM",
            "TRT01P",
            "TRTSDT",
            "TRTEDT",
            "SAFFL",
            "ENRLFL",
        ],
        {"SAFFL": {"codelist": "NY", "codelists": ("NY",)}},
    ),
    "ADTTE": adam_spec(
        "ADTTE",
        "Time-to-Event Analysis Dataset",
        "BDS",
        ["STUDYID", "USUBJID", "PARAMCD"],
        ["STUDYID", "USUBJID", "PARAMCD", "PARAM", "AVAL", "STARTDT", "ADT", "CNSR", "EVNTDESC", "CNSDTDSC"],
    ),
}


def _default(v, name):
    if v.name == "STUDYID":
        return "S1"
    if v.name == "DOMAIN":
        return name
    if v.type == "Num":
        return 1.0
    if v.name.endswith("DTC"):
        return "2024-01-10"
    if v.codelist:
        return sorted(codelist(v.codelist).values)[0]
    return "X"


def sdtm(name, **data):
    """An SDTM frame in spec order: the given columns plus every other Req/Exp variable with a valid default."""
    spec = sdtm_dataset(name)
    n = len(next(iter(data.values())))
    cols = {}
    for v in spec.variables:
        if v.name in data:
            cols[v.name] = data[v.name]
        elif v.core in ("Req", "Exp"):
            cols[v.name] = [_default(v, name)] * n
    return pd.DataFrame(cols)


S = ["S1-001", "S1-001", "S1-002"]


def make_study() -> dict[str, pd.DataFrame]:
    dm = sdtm(
        "DM",
        USUBJID=["S1-001", "S1-002"],
        SUBJID=["001", "002"],
        RFSTDTC=["2024-01-10", "2024-01-12"],
        RFENDTC=["2024-06-30", "2024-07-01"],
        RFXSTDTC=["2024-01-10", "2024-01-12"],
        RFXENDTC=["2024-05-01", "2024-05-03"],
        RFICDTC=["2024-01-02", "2024-01-03"],
        RFPENDTC=["2024-06-30", "2024-07-01"],
        DTHDTC=[None, None],
        DTHFL=[None, None],
        SITEID=["01", "01"],
        AGE=[55.0, 61.0],
        AGEU=["YEARS", "YEARS"],
        SEX=["F", "M"],
        RACE=["WHITE", "WHITE"],
        ARMCD=["A", "A"],
        ARM=["Drug A", "Drug A"],
        ACTARMCD=["A", "A"],
        ACTARM=["Drug A", "Drug A"],
        ARMNRS=[None, None],
        ACTARMUD=[None, None],
        COUNTRY=["USA", "FRA"],
    )
    ae = sdtm(
        "AE",
        USUBJID=S,
        AESEQ=[1.0, 2.0, 1.0],
        AETERM=["Headache", "Nausea", "Headache"],
        AEDECOD=["HEADACHE", "NAUSEA", "HEADACHE"],
        AESER=["N", "N", "Y"],
        AESHOSP=["N", "N", "Y"],
        EPOCH=["TREATMENT"] * 3,
        AESTDTC=["2024-02", "2024-03-01T10:30", "2024"],
        AEENDTC=["2024-02-15", "2024-03-02", None],
        AESTDY=[N, 52.0, N],  # RFSTDTC 2024-01-10 -> 2024-03-01 (2024 is a leap year): 21 + 29 + 1 days later = day 52
        AEENDY=[37.0, 53.0, N],  # 2024-02-15: 21 + 15 days after 2024-01-10 = day 37
    )
    ex = sdtm(
        "EX",
        USUBJID=S,
        EXSEQ=[1.0, 2.0, 1.0],
        EXTRT=["DRUG A"] * 3,
        EXDOSE=[100.0] * 3,
        EXDOSU=["mg"] * 3,
        EXDOSFRM=["TABLET"] * 3,
        EPOCH=["TREATMENT"] * 3,
        EXSTDTC=["2024-01-10", "2024-03-02", "2024-01-12"],
        EXENDTC=["2024-03-01", "2024-05-01", "2024-05-03"],
        EXSTDY=[1.0, 53.0, 1.0],
        EXENDY=[52.0, 113.0, 113.0],  # 2024-05-03 is 19 + 29 + 31 + 30 + 3 = 112 days after 2024-01-12
    )
    tu = sdtm(
        "TU",
        USUBJID=S,
        TUSEQ=[1.0, 2.0, 1.0],
        TULNKID=["T01", "NT01", "T01"],
        TUTESTCD=["TUMIDENT"] * 3,
        TUTEST=["Tumor Identification"] * 3,
        TUORRES=["TARGET", "NON-TARGET", "TARGET"],
        TUSTRESC=["TARGET", "NON-TARGET", "TARGET"],
        TULOC=["LIVER", "LUNG", "LIVER"],
        TUMETHOD=["CT SCAN"] * 3,
        TULOBXFL=["Y"] * 3,
        TUEVAL=["INVESTIGATOR"] * 3,
        VISITNUM=[1.0] * 3,
        EPOCH=["SCREENING"] * 3,
        TUDTC=["2024-01-05", "2024-01-05", "2024-01-06"],
        TUDY=[-5.0, -5.0, -6.0],  # before RFSTDTC: no day 0, the day before day 1 is -1
    )
    tr = sdtm(
        "TR",
        USUBJID=S,
        TRSEQ=[1.0, 2.0, 1.0],
        TRLNKID=["T01", "T01", "T01"],
        TRLNKGRP=["A1", "B1", "A1"],
        TRTESTCD=["LDIAM"] * 3,
        TRTEST=["Longest Diameter"] * 3,
        TRORRES=["25", "20", "31"],
        TRORRESU=["mm"] * 3,
        TRSTRESC=["25", "20", "31"],
        TRSTRESN=[25.0, 20.0, 31.0],
        TRSTRESU=["mm"] * 3,
        TRMETHOD=["CT SCAN"] * 3,
        TRLOBXFL=["Y", None, "Y"],
        TREVAL=["INVESTIGATOR"] * 3,
        VISITNUM=[1.0, 2.0, 1.0],
        EPOCH=["SCREENING", "TREATMENT", "SCREENING"],
        TRDTC=["2024-01-05", "2024-03-05", "2024-01-06"],
        TRDY=[-5.0, 56.0, -6.0],
    )
    rs = sdtm(
        "RS",
        USUBJID=S,
        RSSEQ=[1.0, 2.0, 1.0],
        RSLNKGRP=["A1", "B1", "A1"],
        RSTESTCD=["OVRLRESP"] * 3,
        RSTEST=["Overall Response"] * 3,
        RSCAT=["RECIST 1.1"] * 3,
        RSORRES=["PR", "CR", "PR"],
        RSSTRESC=["PR", "CR", "PR"],
        VISITNUM=[1.0, 2.0, 1.0],
        EPOCH=["SCREENING", "TREATMENT", "SCREENING"],
        RSDTC=["2024-01-05", "2024-03-05", "2024-01-06"],
        RSDY=[-5.0, 56.0, -6.0],
    )
    adsl = pd.DataFrame(
        {
            "STUDYID": ["S1", "S1"],
            "USUBJID": ["S1-001", "S1-002"],
            "SUBJID": ["001", "002"],
            "SITEID": ["01", "01"],
            "AGE": [55.0, 61.0],
            "AGEU": ["YEARS", "YEARS"],
            "SEX": ["F", "M"],
            "RACE": ["WHITE", "WHITE"],
            "ARM": ["Drug A", "Drug A"],
            "TRT01P": ["Drug A", "Drug A"],
            "TRTSDT": pd.to_datetime(["2024-01-10", "2024-01-12"]),
            "TRTEDT": pd.to_datetime(["2024-05-01", "2024-05-03"]),
            "SAFFL": ["Y", "Y"],
        }
    )
    adtte = pd.DataFrame(
        {
            "STUDYID": ["S1"] * 3,
            "USUBJID": S,
            "PARAMCD": ["PFS", "OS", "PFS"],
            "PARAM": ["Progression-Free Survival", "Overall Survival", "Progression-Free Survival"],
            "AVAL": [100.0, 200.0, 150.0],
            "STARTDT": pd.to_datetime(["2024-01-10", "2024-01-10", "2024-01-12"]),
            "ADT": pd.to_datetime(["2024-04-19", "2024-07-28", "2024-06-10"]),
            "CNSR": [0.0, 1.0, 1.0],
            "EVNTDESC": ["DISEASE PROGRESSION", None, None],
            "CNSDTDSC": [None, "LAST KNOWN ALIVE", "LAST ASSESSMENT"],
        }
    )
    return {"DM": dm, "AE": ae, "EX": ex, "TU": tu, "TR": tr, "RS": rs, "ADSL": adsl, "ADTTE": adtte}


@pytest.fixture
def study():
    return make_study()


@pytest.fixture
def adam_specs():
    return dict(ADAM_SPECS)


def pytest_configure(config):
    config.addinivalue_line("markers", "gx: runs great-expectations itself (slower; part of the normal run)")
