"""Trial design datasets of the bundled study as `cdisckit run` writes them (read back from the XPT files), checked
against mappings/c-car031/design.yaml and values worked out by hand from the raw export; SE/EPOCH rules on the
small fixture export and on frames written out here."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from sdtm_rawfixture import STUDY_DIR, write_fixture

from cdisckit.errors import InputError
from cdisckit.io import read_dataset
from cdisckit.sdtm import map_study
from cdisckit.sdtm.derive_se import derive_epoch_from_se, derive_se
from cdisckit.standards import SPECS_DIR, sdtm_dataset

DESIGN = yaml.safe_load((STUDY_DIR / "design.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sdtm(bundled_run):
    out, _ = bundled_run
    return {
        n: read_dataset(out / "sdtm" / f"{n.lower()}.xpt")
        for n in ("TS", "TA", "TE", "TV", "TI", "SE", "SV", "DM", "AE")
    }


@pytest.fixture(scope="module")
def fixture_result(tmp_path_factory):
    return map_study(STUDY_DIR, write_fixture(tmp_path_factory.mktemp("td") / "raw"))


def _ts(ts: pd.DataFrame, code: str) -> pd.DataFrame:
    return ts[ts["TSPARMCD"] == code].sort_values("TSSEQ")


def test_design_datasets_have_labels_types_and_order_of_sdtmig(bundled_run):
    import pyreadstat

    out, _ = bundled_run
    for name in ("TS", "TA", "TE", "TV", "TI", "SE", "SV"):
        _, meta = pyreadstat.read_xport(str(out / "sdtm" / f"{name.lower()}.xpt"), metadataonly=True)
        spec = sdtm_dataset(name)
        assert meta.column_names == [v.name for v in spec.variables if v.name in meta.column_names], name
        for col, label in zip(meta.column_names, meta.column_labels):
            assert label == spec.variable(col).label, (name, col)
        assert meta.file_label == spec.label


def test_ts_parameters_from_the_design_file_and_the_data(sdtm):
    ts = sdtm["TS"]
    # a CT value gets the NCI code of the term, CDISC CT and the CT version (C15600 = PHASE I TRIAL in TPHASE)
    ph = _ts(ts, "TPHASE").iloc[0]
    assert (ph["TSVAL"], ph["TSVALCD"], ph["TSVCDREF"], ph["TSVCDVER"]) == (
        "PHASE I TRIAL",
        "C15600",
        "CDISC CT",
        "2025-03-28",
    )
    assert ph["TSPARM"] == "Trial Phase Classification"
    assert _ts(ts, "TTYPE")["TSVAL"].tolist() == ["SAFETY", "DOSE FINDING", "EFFICACY"]
    assert _ts(ts, "TTYPE")["TSSEQ"].tolist() == [1, 2, 3]
    agemax = _ts(ts, "AGEMAX").iloc[0]
    assert pd.isna(agemax["TSVAL"]) and agemax["TSVALNF"] == "PINF"
    assert _ts(ts, "AGEMIN").iloc[0][["TSVAL", "TSVCDREF"]].tolist() == ["P18Y", "ISO 8601"]
    # from the data: the earliest consent of the study is ic.csv row 36, subject 201-001, 22-Jan-2024
    assert _ts(ts, "SSTDTC").iloc[0]["TSVAL"] == "2024-01-22"
    assert _ts(ts, "ACTSUB").iloc[0]["TSVAL"] == "39"  # 44 screened, 5 screen failures (enr.csv ELIGYN No)
    assert _ts(ts, "FCNTRY")[["TSVAL", "TSVALCD", "TSVCDREF"]].values.tolist() == [
        ["CHN", "CHN", "ISO 3166"],
        ["USA", "USA", "ISO 3166"],
    ]
    assert _ts(ts, "NARMS").iloc[0]["TSVAL"] == "5"
    assert _ts(ts, "DCUTDTC").iloc[0]["TSVAL"] == "2026-12-31"  # study.yaml data_cutoff
    assert _ts(ts, "SDTIGVER").iloc[0]["TSVAL"] == "3.4" and _ts(ts, "SDTMVER").iloc[0]["TSVAL"] == "2.0"
    assert _ts(ts, "REGID").iloc[0][["TSVAL", "TSVALCD", "TSVCDREF"]].tolist() == [
        "NCT00000000",
        "NCT00000000",
        "ClinicalTrials.gov",
    ]
    expected = yaml.safe_load((SPECS_DIR / "ts_parameters.yaml").read_text())["fda_expected"]
    assert set(expected) <= set(ts["TSPARMCD"])
    for code, value in DESIGN["summary"].items():  # plain values of the design file are TSVAL as written
        if isinstance(value, str):
            assert _ts(ts, code)["TSVAL"].tolist() == [value], code


def test_ta_te_tv_ti_follow_the_design_file(sdtm):
    ta, te, tv, ti = sdtm["TA"], sdtm["TE"], sdtm["TV"], sdtm["TI"]
    assert len(ta) == 3 * 4 + 2 * 5  # three monotherapy arms of 4 elements, two combination arms of 5
    len_arm = ta[ta["ARMCD"] == "LEN"].sort_values("TAETORD")
    assert len_arm["ETCD"].tolist() == ["SCRN", "LD", "CART", "LEN", "FU"]
    assert len_arm["EPOCH"].tolist() == ["SCREENING", "TREATMENT", "TREATMENT", "TREATMENT", "FOLLOW-UP"]
    assert len_arm["TABRANCH"].iloc[0] == "Enrolled in the lenvatinib combination cohort (LEN)"
    assert sorted(te["ETCD"]) == sorted(DESIGN["elements"]) and te.set_index("ETCD").loc["LD", "TEDUR"] == "P5D"
    assert tv[["VISITNUM", "VISIT", "VISITDY"]].values.tolist()[:2] == [
        [1.0, "SCREENING", -28.0],
        [2.0, "WEEK 6", 43.0],
    ]
    assert len(tv) == 7 and tv["TVSTRL"].notna().all()
    assert (ti["IECAT"] == "INCLUSION").sum() == 8 and (ti["IECAT"] == "EXCLUSION").sum() == 8
    assert ti.set_index("IETESTCD").loc["EX01", "IETEST"] == "Tumour thrombus in the main portal vein"
    # DM arms agree with TA
    dm = sdtm["DM"]
    pairs = set(map(tuple, ta[["ARMCD", "ARM"]].drop_duplicates().values.tolist()))
    assert set(map(tuple, dm[["ARMCD", "ARM"]].dropna().drop_duplicates().values.tolist())) <= pairs
    assert set(map(tuple, dm[["ACTARMCD", "ACTARM"]].dropna().drop_duplicates().values.tolist())) <= pairs


def test_se_of_two_subjects_worked_out_from_the_raw_export(sdtm):
    se = sdtm["SE"]

    def of(subject):
        s = se[se["USUBJID"] == f"C-CAR031-{subject}"].sort_values("SESEQ")
        return s[["ETCD", "TAETORD", "EPOCH", "SESTDTC", "SEENDTC"]].values.tolist()

    # 101-001 (DL1): consent ic.csv row 1 23-JAN-2024 12:28; first LD ld.csv row 1 02-MAR-2024 09:43; infusion
    # inf.csv row 1 07-MAR-2024 12:32; last exposure = the infusion, + 29 days = 2024-04-05; ds.csv 29-MAR-2025
    assert of("101-001") == [
        ["SCRN", 1, "SCREENING", "2024-01-23T12:28", "2024-03-02T09:43"],
        ["LD", 2, "TREATMENT", "2024-03-02T09:43", "2024-03-07T12:32"],
        ["CART", 3, "TREATMENT", "2024-03-07T12:32", "2024-04-05"],
        ["FU", 4, "FOLLOW-UP", "2024-04-05", "2025-03-29"],
    ]
    # 102-005 (LEN): lenvatinib len.csv row 6 04-Oct-2024..12-Nov-2024; died 24-Nov-2024 (ds.csv row 16), before
    # follow-up would start (12-Nov + 29 = 11-Dec): no FU element, LEN ends at the end of participation
    assert of("102-005") == [
        ["SCRN", 1, "SCREENING", "2024-09-03T09:04", "2024-09-28T08:07"],
        ["LD", 2, "TREATMENT", "2024-09-28T08:07", "2024-10-03T09:32"],
        ["CART", 3, "TREATMENT", "2024-10-03T09:32", "2024-10-04"],
        ["LEN", 4, "TREATMENT", "2024-10-04", "2024-11-24"],
    ]
    # a screen failure has screening only (TAETORD 1: every arm starts with it)
    sf = se[se["USUBJID"] == "C-CAR031-101-007"]
    assert sf["ETCD"].tolist() == ["SCRN"] and sf["TAETORD"].tolist() == [1]
    assert se.groupby("USUBJID")["SESEQ"].apply(lambda s: s.tolist() == list(range(1, len(s) + 1))).all()


def test_sv_of_one_subject_from_the_visit_forms(sdtm):
    sv = sdtm["SV"]
    s = sv[sv["USUBJID"] == "C-CAR031-101-002"].sort_values("VISITNUM")
    # ntl.csv/tl.csv of 101-002: SCREENING 15-Mar-2024, WEEK 6 19-May-2024, WEEK 12 03-Jul-2024, UNSCHEDULED
    # 13-Jul-2024 (after WEEK 12: 3.01), WEEK 18 07-Aug-2024, MONTH 6 28-Sep-2024, MONTH 9 30-Dec-2024 (PD, last)
    assert s[["VISITNUM", "VISIT", "SVSTDTC"]].values.tolist() == [
        [1.0, "SCREENING", "2024-03-15"],
        [2.0, "WEEK 6", "2024-05-19"],
        [3.0, "WEEK 12", "2024-07-03"],
        [3.01, "UNSCHEDULED 3.01", "2024-07-13"],
        [4.0, "WEEK 18", "2024-08-07"],
        [5.0, "MONTH 6", "2024-09-28"],
        [6.0, "MONTH 9", "2024-12-30"],
    ]
    assert (s["SVENDTC"] == s["SVSTDTC"]).all()
    assert s["SVPRESP"].tolist() == ["Y", "Y", "Y", None, "Y", "Y", "Y"]
    assert s.set_index("VISITNUM").loc[3.01, "SVUPDES"] == "Unscheduled tumour assessment"
    # infusion 04-Apr-2024 is day 1: 15-Mar is day -20, 19-May day 46
    assert s["SVSTDY"].tolist()[:2] == [-20, 46]


def test_epoch_of_partial_dates_from_se(sdtm):
    ae = sdtm["AE"]
    # 101-003: CART element to 2024-04-27, follow-up from 2024-04-28: AESTDTC 2024-04 straddles -> blank
    row = ae[(ae["USUBJID"] == "C-CAR031-101-003") & (ae["AESTDTC"] == "2024-04")]
    assert len(row) == 1 and pd.isna(row["EPOCH"].iloc[0])
    partial = ae[ae["AESTDTC"].str.len() < 10]
    assert partial["EPOCH"].notna().any()  # most partial dates lie wholly in one epoch
    complete = ae[ae["AESTDTC"].str.len() >= 10]
    assert complete["EPOCH"].notna().all()


def test_fixture_ongoing_lenvatinib_never_reaches_follow_up(fixture_result):
    se = fixture_result.datasets["SE"]
    s = se[se["USUBJID"] == "C-CAR031-102-001"]
    # len.csv row 2 10-May-2025 has no end date (ongoing): no follow-up; LEN lasts to the withdrawal 20-Jun-2025
    assert s["ETCD"].tolist() == ["SCRN", "LD", "CART", "LEN"]
    assert s["SEENDTC"].tolist()[-1] == "2025-06-20"
    # enrolled in PD1 but never treated: screening only, TAETORD of the planned arm
    nt = se[se["USUBJID"] == "C-CAR031-102-002"]
    assert nt["ETCD"].tolist() == ["SCRN"] and nt["SEENDTC"].tolist() == ["2025-03-15"]


def _design(**starts):
    elements = {
        "A": {"element": "Screening", "epoch": "SCREENING", "testrl": "x", "start": {"first_date": "DM.RFICDTC"}},
        "B": {"element": "Drug", "epoch": "TREATMENT", "testrl": "x", "start": starts.get("B") or {"first_date": "EX.EXSTDTC"}},
        "C": {"element": "Follow-up", "epoch": "FOLLOW-UP", "testrl": "x",
              "start": {"last_date": "EX.EXENDTC", "offset_days": 8}},
    }  # fmt: skip
    return {
        "elements": elements,
        "arms": {"X": {"arm": "X", "elements": ["A", "B", "C"]}},
        "subject_end": "DM.RFPENDTC",
    }


def test_se_rules_on_small_frames():
    dm = pd.DataFrame(
        {
            "USUBJID": ["S1", "S2"],
            "ARMCD": ["X", None],
            "ACTARMCD": ["X", None],
            "RFICDTC": ["2025-01-01", "2025-01-03"],
            "RFSTDTC": ["2025-01-10", None],
            "RFPENDTC": ["2025-02-28", "2025-01-20"],
        }
    )
    ex = pd.DataFrame(
        {"USUBJID": ["S1", "S1"], "EXSTDTC": ["2025-01-10", "2025-01-20"], "EXENDTC": ["2025-01-12", "2025-01-22"]}
    )
    se = derive_se({"DM": dm, "EX": ex}, _design(), study_id="T")
    s1 = se[se["USUBJID"] == "S1"][["ETCD", "SESTDTC", "SEENDTC", "SESTDY"]].values.tolist()
    assert s1 == [
        ["A", "2025-01-01", "2025-01-10", -9],
        ["B", "2025-01-10", "2025-01-30", 1],
        ["C", "2025-01-30", "2025-02-28", 21],
    ]
    assert se[se["USUBJID"] == "S2"]["ETCD"].tolist() == ["A"]  # no arm, never treated
    # a partial date wholly inside one epoch gets it; straddling ones and dates before consent do not
    dtc = pd.Series(["2025-01-15", "2025-01", "2025-02", "2024-12", "2025-01-30"])
    assert derive_epoch_from_se(dtc, pd.Series(["S1"] * 5), se).tolist()[:1] == ["TREATMENT"]
    got = derive_epoch_from_se(dtc, pd.Series(["S1"] * 5), se).tolist()
    assert pd.isna(got[1]) and got[2] == "FOLLOW-UP" and pd.isna(got[3]) and got[4] == "FOLLOW-UP"


def test_se_element_starting_before_the_previous_one_is_an_input_error():
    dm = pd.DataFrame(
        {"USUBJID": ["S1"], "ARMCD": ["X"], "ACTARMCD": ["X"], "RFICDTC": ["2025-01-15"], "RFPENDTC": ["2025-03-01"]}
    )
    ex = pd.DataFrame({"USUBJID": ["S1"], "EXSTDTC": ["2025-01-10"], "EXENDTC": ["2025-01-12"]})
    with pytest.raises(InputError, match="subject S1: element B starts on 2025-01-10, before"):
        derive_se({"DM": dm, "EX": ex}, _design(), study_id="T")
