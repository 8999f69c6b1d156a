"""The mapping vocabulary for real exports, on a small study written here (every expected value worked out by
hand): declared date formats and two-digit years, text cuts, arithmetic, unit conversions, wide-to-long, per-form
subject and visit columns, raw-supplied VISITNUM, row numbers for forms without a record id, a study --SEQ
order, a baseline flag, two-date conditions, study codelists, SDTM-model variables and a custom domain."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from cdisckit.errors import InputError
from cdisckit.sdtm import map_study

STUDY = """
study: DEMO01
raw: raw
usubjid: "DEMO01-{PATNUM}"
columns: {subject: PATNUM, record: null}
ct_maps: maps.yaml
codelists: codelists.yaml
domains: [dm.yaml, ex.yaml, ae.yaml, vs.yaml, zs.yaml]
forms:
  demo: {file: demo.csv, dates: {SCR_DT: MM/DD/YYYY}}
  dose: {file: dose.csv, visit: VISITNAME, dates: {STDAT: DDMMMYYYY, ENDAT: DDMMMYYYY}}
  ev: {file: ev.csv, dates: {STDAT: {format: DD/MM/YY, pivot: 1950}, ENDAT: DD-MMM-YYYY}}
  vitals: {file: vitals.csv, visit: INSTANCE, dates: {VSDAT: DD-MMM-YYYY}}
  scale: {file: scale.csv, subject: SUBJ}
visits:
  forms: {dose: STDAT, vitals: VSDAT}
  schedule:
    - {folder: Screening, visit: SCREENING, visitnum: 1, visitdy: -7}
    - {folder: Day 1, visit: DAY 1, visitnum: 2, visitdy: 1}
    - {folder: Week 2, visit: WEEK 2, visitnum: 3, visitdy: 15}
  unscheduled: {match: '^Unsched (\\d+\\.\\d+)$', visit: "UNSCHEDULED {VISITNUM}"}
"""
FILES = {
    "maps.yaml": """
maps:
  sex: {codelist: SEX, values: {F: Female, M: Male}}
  arm: {codelist: ARMCD, values: {A: Arm A, B: Arm B}}
""",
    "codelists.yaml": """
codelists:
  ARMCD: {name: Arm Code, terms: {A: Arm A, B: Arm B}}
  VSRESU: {extends: VSRESU, terms: {IN: Inch}}
""",
    "dm.yaml": """
domain: DM
sources:
  - form: demo
    variables:
      SITEID: {source: PATNUM, split: {sep: "-", part: 1}}
      SUBJID: {source: PATNUM, extract: '-(\\d+)$', pad: {width: 5}}
      AGE: {source: IT.AGE, numeric: true}
      SEX: {source: IT.SEX, map: sex}
      ARMCD: {source: ARM, map: arm}
      ARM: {concat: [ARMCD, SEX], sep: " / "}
      DMDTC: {date: SCR_DT}
derived:
  RFSTDTC: {derive: first_date, of: [EX.EXSTDTC]}
  RFXSTDTC: {derive: first_date, of: [EX.EXSTDTC]}
timing:
  study_day: {DMDY: DMDTC}
""",
    "ex.yaml": """
domain: EX
sources:
  - form: dose
    visit: true
    variables:
      EXTRT: DRUG X
      EXDOSE: {calc: "DOSE_MG / 2 + 1"}
      EXSTDTC: {date: STDAT}
      EXENDTC: {date: ENDAT}
timing:
  study_day: {EXSTDY: EXSTDTC}
""",
    "ae.yaml": """
domain: AE
sources:
  - form: ev
    join:
      - {form: dose, columns: {_FIRST: STDAT}, order: STDAT, pick: first}
    variables:
      AETERM: {source: TERM, clean: [strip, upper]}
      AESTDTC: {date: STDAT}
      AEENDTC: {date: ENDAT}
      _DOSE1: {date: _FIRST}
      AEENRF:
        cases:
          - {when: {AEENDTC: {lt: {column: AESTDTC}}}, const: BEFORE}
    supp:
      AETRTEM:
        label: Treatment Emergent Flag
        cases:
          - {when: {AESTDTC: {ge: {column: _DOSE1}}}, const: "Y"}
          - {const: "N"}
seq: [AETERM]
""",
    "vs.yaml": """
domain: VS
sources:
  - form: vitals
    visit: true
    long:
      key: VSTESTCD
      value: VSORRES
      columns: {WEIGHT: WT_LB, TEMP: TEMP_F, HEIGHT: HT_IN}
      blank: keep
    variables:
      VSORRESU:
        cases:
          - {when: {VSORRES: null}}
          - {source: VSTESTCD, map: {LB: WEIGHT, F: TEMP, IN: HEIGHT}}
      VSSTAT:
        cases:
          - {when: {VSORRES: null}, const: NOT DONE}
      VSDTC: {date: VSDAT, time: VSTIM}
units:
  - {from: LB, to: kg, multiply: 0.45359237, decimals: 2}
  - {from: F, to: C, add: -32, multiply: 5/9, decimals: 1}
  - {from: IN, to: cm, multiply: 2.54, decimals: 1}
seq: [VSTESTCD, VISITNUM]
timing:
  study_day: {VSDY: VSDTC}
  last_before_exposure:
    VSBLFL: {date: VSDTC, by: [VSTESTCD], value: VSORRES, reference: RFSTDTC}
""",
    "zs.yaml": """
domain: ZS
class: Findings
label: Sleep Scale
sources:
  - form: scale
    variables:
      ZSTESTCD: SLEEP
      ZSTEST: Sleep Score
      ZSORRES: {source: SCORE}
      ZSDTC: {date: SDAT}
""",
}
RAW = {
    "demo.csv": "STUDY,PATNUM,IT.AGE,IT.SEX,ARM,SCR_DT\nD,701-15,63,Female,Arm A,12/26/2013\nD,702-7,70,Male,Arm B,01/05/2014\n",
    "dose.csv": "PATNUM,VISITNAME,STDAT,ENDAT,DOSE_MG\n701-15,Day 1,02JAN2014,15JAN2014,54\n701-15,Week 2,16JAN2014,,81\n"
    "702-7,Day 1,10JAN2014,UNUNK2014,0\n",
    "ev.csv": "PATNUM,TERM,STDAT,ENDAT\n701-15, rash ,03/01/14,UN-JAN-2014\n701-15,cough,UN/UN/13,\n702-7,fever,20/UN/14,01-Jan-2014\n"
    "702-7,headache,05/02/14,01-Jan-2014\n",
    "vitals.csv": "PATNUM,INSTANCE,VSDAT,VSTIM,WT_LB,TEMP_F,HT_IN\n701-15,Screening,26-Dec-2013,09:05,150,98.6,65\n"
    "701-15,Day 1,02-Jan-2014,,152,,\n701-15,Unsched 2.1,05-Jan-2014,,154,100.4,\n",
    "scale.csv": "SUBJ,PATNUM,SCORE,SDAT\n701-15,701-15,12,2014-01-02\n",
}


def write_study(root: Path, **changes) -> Path:
    study = root / "study"
    (study / "raw").mkdir(parents=True)
    (study / "study.yaml").write_text(dedent(changes.pop("study.yaml", STUDY)))
    for name, text in {**FILES, **{k: v for k, v in changes.items() if k.endswith(".yaml")}}.items():
        (study / name).write_text(dedent(text))
    for name, text in {**RAW, **{k: v for k, v in changes.items() if k.endswith(".csv")}}.items():
        (study / "raw" / name).write_text(text)
    return study


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return map_study(write_study(tmp_path_factory.mktemp("demo")))


def test_dm_cuts_and_concat(demo):
    dm = demo.datasets["DM"].set_index("USUBJID")
    assert dm.loc["DEMO01-701-15", ["SITEID", "SUBJID", "AGE", "SEX", "ARMCD", "ARM"]].tolist() == [
        "701",
        "00015",
        63.0,
        "F",
        "A",
        "A / F",
    ]
    assert dm.loc["DEMO01-702-7", "SUBJID"] == "00007"
    assert dm.loc["DEMO01-701-15", "DMDTC"] == "2013-12-26"
    assert dm.loc["DEMO01-701-15", "DMDY"] == -7.0  # 2013-12-26 is 7 days before 2014-01-02 (no day 0)


def test_declared_date_formats_partial_dates_and_pivot(demo):
    ex = demo.datasets["EX"]
    assert ex["EXSTDTC"].tolist() == ["2014-01-02", "2014-01-16", "2014-01-10"]  # DDMMMYYYY
    assert ex["EXENDTC"].fillna("<missing>").tolist() == ["2014-01-15", "<missing>", "2014"]  # UNUNK2014: year only
    ae = demo.datasets["AE"]
    # DD/MM/YY, pivot 1950: 03/01/14 -> 2014-01-03; UN/UN/13 -> 2013; 20/UN/14 -> 2014---20 (day known, month not)
    assert dict(zip(ae["AETERM"], ae["AESTDTC"])) == {
        "COUGH": "2013",
        "FEVER": "2014---20",
        "RASH": "2014-01-03",
        "HEADACHE": "2014-02-05",
    }
    assert dict(zip(ae["AETERM"], ae["AEENDTC"].fillna("<missing>"))) == {
        "COUGH": "<missing>",
        "FEVER": "2014-01-01",
        "RASH": "2014-01",
        "HEADACHE": "2014-01-01",
    }
    from cdisckit.dates import is_iso8601

    assert is_iso8601(ae["AESTDTC"]).all()


def test_seq_order_chosen_by_the_study(demo):
    ae = demo.datasets["AE"]
    assert ae[["USUBJID", "AETERM", "AESEQ"]].values.tolist() == [
        ["DEMO01-701-15", "COUGH", 1.0],
        ["DEMO01-701-15", "RASH", 2.0],
        ["DEMO01-702-7", "FEVER", 1.0],
        ["DEMO01-702-7", "HEADACHE", 2.0],
    ]


def test_conditions_compare_two_columns_and_two_dates(demo):
    ae = demo.datasets["AE"].set_index("AETERM")
    # HEADACHE ends 2014-01-01 before its start 2014-02-05; FEVER's end 2014-01-01 and start 2014---20 share only
    # the year (2014 = 2014), so it is not before; RASH end 2014-01 vs start 2014-01-03: equal at the month
    assert ae["AEENRF"].fillna("<missing>").to_dict() == {
        "COUGH": "<missing>",
        "RASH": "<missing>",
        "FEVER": "<missing>",
        "HEADACHE": "BEFORE",
    }
    supp = demo.datasets["SUPPAE"]
    flags = dict(zip(supp["USUBJID"] + "/" + supp["IDVARVAL"], supp["QVAL"]))
    # first dose 2014-01-02 (701-15) and 2014-01-10 (702-7): RASH 2014-01-03 Y; COUGH 2013 N; FEVER 2014---20 shares
    # the year with 2014-01-10, so Y; HEADACHE 2014-02-05 Y
    assert flags == {"DEMO01-701-15/1": "N", "DEMO01-701-15/2": "Y", "DEMO01-702-7/1": "Y", "DEMO01-702-7/2": "Y"}


def test_arithmetic_and_raw_visits_in_ex(demo):
    ex = demo.datasets["EX"]
    assert ex["EXDOSE"].tolist() == [28.0, 41.5, 1.0]  # DOSE_MG / 2 + 1
    assert ex[["VISITNUM", "VISIT", "VISITDY"]].values.tolist() == [
        [2.0, "DAY 1", 1.0],
        [3.0, "WEEK 2", 15.0],
        [2.0, "DAY 1", 1.0],
    ]


def test_wide_to_long_units_and_not_done(demo):
    vs = demo.datasets["VS"]
    got = vs[["VSTESTCD", "VISITNUM", "VSORRES", "VSORRESU", "VSSTRESC", "VSSTRESN", "VSSTRESU", "VSSTAT"]]
    rows = [[None if v != v else v for v in r] for r in got.values.tolist()]
    assert rows == [
        ["HEIGHT", 1.0, "65", "IN", "165.1", 165.1, "cm", None],  # 65 x 2.54
        ["HEIGHT", 2.0, None, None, None, None, None, "NOT DONE"],
        ["HEIGHT", 2.1, None, None, None, None, None, "NOT DONE"],
        ["TEMP", 1.0, "98.6", "F", "37", 37.0, "C", None],  # (98.6 - 32) x 5/9 = 37.0
        ["TEMP", 2.0, None, None, None, None, None, "NOT DONE"],
        ["TEMP", 2.1, "100.4", "F", "38", 38.0, "C", None],
        ["WEIGHT", 1.0, "150", "LB", "68.04", 68.04, "kg", None],  # 150 x 0.45359237 = 68.0389
        ["WEIGHT", 2.0, "152", "LB", "68.95", 68.95, "kg", None],
        ["WEIGHT", 2.1, "154", "LB", "69.85", 69.85, "kg", None],
    ]
    assert vs.loc[vs.VISITNUM == 2.1, "VISIT"].unique().tolist() == ["UNSCHEDULED 2.1"]
    assert vs.loc[vs.VISITNUM == 1.0, "VSDTC"].unique().tolist() == ["2013-12-26T09:05"]


def test_baseline_flag_last_non_missing_on_or_before_first_dose(demo):
    vs = demo.datasets["VS"]
    flagged = vs.loc[vs.VSBLFL == "Y", ["VSTESTCD", "VISITNUM"]].values.tolist()
    # first dose 2014-01-02 (Day 1): WEIGHT at Day 1; TEMP and HEIGHT are blank at Day 1, so screening's count
    assert sorted(flagged) == [["HEIGHT", 1.0], ["TEMP", 1.0], ["WEIGHT", 2.0]]


def test_rows_without_record_id_are_numbered_in_reconciliation(demo):
    rec = demo.reconciliation["forms"].set_index("form")
    assert rec.loc["vitals", "rows_read"] == 3 and rec.loc["vitals", "rows_unmapped"] == 0
    assert demo.reconciliation["unmapped"].empty


def test_dm_siteid_from_the_forms_site_column(tmp_path):
    study = write_study(
        tmp_path,
        **{"study.yaml": STUDY.replace("demo: {file: demo.csv,", "demo: {file: demo.csv, site: STUDY,")},
        **{"dm.yaml": FILES["dm.yaml"].replace('      SITEID: {source: PATNUM, split: {sep: "-", part: 1}}\n', "")},
    )
    assert map_study(study).datasets["DM"]["SITEID"].tolist() == ["D", "D"]


def test_custom_domain_from_its_class(demo):
    zs = demo.datasets["ZS"]
    assert zs.columns[:4].tolist() == ["STUDYID", "DOMAIN", "USUBJID", "ZSSEQ"]
    assert zs[["ZSTESTCD", "ZSORRES", "ZSDTC"]].values.tolist() == [["SLEEP", "12", "2014-01-02"]]


def test_study_codelists_are_in_the_study(demo):
    cls = demo.study["codelists"]
    assert cls["ARMCD"].values == frozenset({"A", "B"}) and not cls["ARMCD"].extensible
    assert "IN" in cls["VSRESU"].values and "kg" in cls["VSRESU"].values and cls["VSRESU"].extensible


def test_bad_date_names_row_number_and_format(tmp_path):
    bad = RAW["dose.csv"].replace("16JAN2014", "2014-01-16")
    with pytest.raises(InputError) as e:
        map_study(write_study(tmp_path, **{"dose.csv": bad}))
    msg = str(e.value)
    assert "dose.csv, row 2, column STDAT" in msg and "'2014-01-16'" in msg and "DDMMMYYYY" in msg


def test_unknown_raw_visit_is_an_input_error(tmp_path):
    bad = RAW["vitals.csv"].replace("Unsched 2.1", "Week 9")
    with pytest.raises(InputError, match=r"vitals.csv, row 3, column INSTANCE: visit folder 'Week 9'"):
        map_study(write_study(tmp_path, **{"vitals.csv": bad}))


def test_text_in_arithmetic_is_an_input_error(tmp_path):
    bad = RAW["dose.csv"].replace(",81", ",n/a")
    with pytest.raises(InputError, match=r"dose.csv, row 2, column DOSE_MG: 'n/a' is not a number"):
        map_study(write_study(tmp_path, **{"dose.csv": bad}))
