"""One test per derivation, with values worked out by hand."""

import pandas as pd
import pytest

from cdisckit.errors import InputError
from cdisckit.sdtm.ct import check_codelist, derive_ct_value, derive_decode, map_lookup
from cdisckit.sdtm.derive_dates import derive_iso8601
from cdisckit.sdtm.derive_dm import derive_age, derive_first_last_date
from cdisckit.sdtm.derive_seq import derive_seq
from cdisckit.sdtm.derive_timing import derive_epoch, derive_study_day, derive_visitnum
from cdisckit.sdtm.engine import derive_lobxfl


def test_iso8601_full_partial_and_iso_input():
    raw = pd.Series(["07-Mar-2025", "07-mar-2025", "UN-MAR-2025", "UN-UNK-2025", "2025-03", "2025", "", "07-UNK-2025"])
    assert derive_iso8601(raw).tolist()[:6] == ["2025-03-07", "2025-03-07", "2025-03", "2025", "2025-03", "2025"]
    out = derive_iso8601(raw)
    assert pd.isna(out.iloc[6]) and out.iloc[7] == "2025---07"


def test_iso8601_time_only_on_complete_dates():
    out = derive_iso8601(pd.Series(["07-Mar-2025", "UN-MAR-2025", "08-Mar-2025"]), pd.Series(["9:05", "10:00", ""]))
    assert out.tolist() == ["2025-03-07T09:05", "2025-03", "2025-03-08"]


@pytest.mark.parametrize("bad", ["31-FEB-2025", "07/03/2025", "07-XYZ-2025", "tomorrow"])
def test_iso8601_unparseable_names_file_row_column_value(bad):
    with pytest.raises(InputError) as e:
        derive_iso8601(pd.Series(["01-Jan-2025", bad]), file="ae.csv", column="AESTDAT", rows=pd.Series(["7", "8"]))
    msg = str(e.value)
    assert msg.startswith("ae.csv, row 8, column AESTDAT:") and repr(bad) in msg


def test_bad_time_is_input_error():
    with pytest.raises(InputError, match="column AESTTIM"):
        derive_iso8601(
            pd.Series(["01-Jan-2025"]),
            pd.Series(["25:99"]),
            file="ae.csv",
            column="AESTDAT",
            time_column="AESTTIM",
            rows=pd.Series(["1"]),
        )


def test_study_day_has_no_day_zero_and_needs_complete_dates():
    ref = pd.Series(["2025-03-10T10:20"] * 5)
    dtc = pd.Series(["2025-03-10", "2025-03-11T08:00", "2025-03-09", "2025-03-05", "2025-03"])
    assert derive_study_day(dtc, ref).tolist()[:4] == [1.0, 2.0, -1.0, -5.0]
    assert pd.isna(derive_study_day(dtc, ref).iloc[4])


def test_seq_counts_within_subject_in_row_order():
    assert derive_seq(pd.Series(["A", "A", "B", "B", "B", "A"])).tolist() == [1, 2, 1, 2, 3, 3]


def test_epoch_from_reference_dates():
    refs = pd.DataFrame({"RFXSTDTC": ["2025-03-05T08:00"] * 5, "RFXENDTC": ["2025-03-10"] * 5})
    epochs = [
        {"epoch": "SCREENING"},
        {"epoch": "TREATMENT", "start": "RFXSTDTC"},
        {"epoch": "FOLLOW-UP", "start": "RFXENDTC", "offset_days": 29},
    ]
    dtc = pd.Series(["2025-03-04", "2025-03-05", "2025-04-07", "2025-04-08", "2025-04"])
    out = derive_epoch(dtc, refs, epochs=epochs)
    assert out.tolist()[:4] == ["SCREENING", "TREATMENT", "TREATMENT", "FOLLOW-UP"]
    assert pd.isna(out.iloc[4])


def test_epoch_untreated_subject_stays_screening():
    refs = pd.DataFrame({"RFXSTDTC": [None], "RFXENDTC": [None]})
    out = derive_epoch(
        pd.Series(["2025-03-04"]), refs, epochs=[{"epoch": "SCREENING"}, {"epoch": "TREATMENT", "start": "RFXSTDTC"}]
    )
    assert out.tolist() == ["SCREENING"]


def test_ct_map_case_and_blanks_insensitive_and_unmapped_value_is_input_error():
    lookup = map_lookup({"M": ["Male", "1=Male"], "F": ["Female", "2=Female"]})
    assert derive_ct_value(pd.Series([" MALE", "2=female", "M"]), lookup=lookup).tolist() == ["M", "F", "M"]
    with pytest.raises(InputError) as e:
        derive_ct_value(
            pd.Series(["Male", "Unknown"]),
            lookup=lookup,
            file="dm.csv",
            column="SEX",
            rows=pd.Series(["11", "12"]),
            map_name="sex",
        )
    assert str(e.value).startswith("dm.csv, row 12, column SEX:") and "'Unknown'" in str(e.value)


def test_codelist_check_only_for_non_extensible():
    check_codelist(pd.Series(["ANY SPONSOR EPOCH"]), codelist_name="EPOCH")  # extensible: accepted
    with pytest.raises(InputError, match="not in codelist NY"):
        check_codelist(pd.Series(["Yes"]), codelist_name="NY", file="ae.csv", column="AESER", rows=pd.Series(["3"]))


def test_decode_testcd_to_test_name():
    assert derive_decode(pd.Series(["OVRLRESP", "NEWLIND"]), code_list="ONCRTSCD", name_list="ONCRTS").tolist() == [
        "Overall Response",
        "New Lesion Indicator",
    ]


def test_unscheduled_visitnum_previous_scheduled_plus_k():
    cal = pd.DataFrame(
        {
            "USUBJID": ["A"] * 6 + ["B"],
            "FOLDER": ["SCREENING", "WEEK 6", "UNSCHEDULED", "UNSCHEDULED", "UNSCHEDULED", "WEEK 12", "UNSCHEDULED"],
            "DATE": ["2025-01-01", "2025-02-15", "2025-03-08", "2025-03-01", "2025-03-08", "2025-04-01", "2025-01-05"],
        }
    )
    sched = [
        {"folder": "SCREENING", "visitnum": 1, "visitdy": -28},
        {"folder": "WEEK 6", "visitnum": 2, "visitdy": 43},
        {"folder": "WEEK 12", "visitnum": 3, "visitdy": 85},
    ]
    out = derive_visitnum(cal, schedule=sched, unscheduled={"folder": "UNSCHEDULED", "visit": "UNSCHEDULED {VISITNUM}"})
    # A: unscheduled 03-01 is the 1st after WEEK 6 (2.01), 03-08 the 2nd (2.02, both rows); B: before any visit -> 0.01
    assert out["VISITNUM"].tolist() == [1.0, 2.0, 2.02, 2.01, 2.02, 3.0, 0.01]
    assert out["VISIT"].tolist()[2] == "UNSCHEDULED 2.02"
    assert pd.isna(out["VISITDY"].iloc[2]) and out["VISITDY"].iloc[1] == 43


def test_unknown_visit_folder_is_input_error():
    cal = pd.DataFrame(
        {"USUBJID": ["A"], "FOLDER": ["WEEK 99"], "DATE": ["2025-01-01"], "FORM": ["tl"], "RECORDID": ["5"]}
    )
    with pytest.raises(InputError, match="row 5, column FOLDER"):
        derive_visitnum(
            cal, schedule=[{"folder": "SCREENING", "visitnum": 1}], unscheduled=None, file_of={"tl": "tl.csv"}
        )


def test_age_completed_years():
    assert derive_age(
        pd.Series(["1968-06-15", "1968-06-15"]), pd.Series(["2025-06-14", "2025-06-15T09:00"])
    ).tolist() == [56.0, 57.0]


def test_first_and_last_date_per_subject():
    ex = pd.DataFrame({"USUBJID": ["A", "A"], "EXSTDTC": ["2025-03-10T10:20", "2025-03-05T08:00"]})
    ds = pd.DataFrame({"USUBJID": ["A"], "DSSTDTC": ["2025-09"]})
    subj = pd.Series(["A", "B"])
    assert derive_first_last_date(subj, sources=[ex], how="min").tolist()[0] == "2025-03-05T08:00"
    last = derive_first_last_date(subj, sources=[ex, ds], how="max")
    assert last.iloc[0] == "2025-09" and pd.isna(last.iloc[1])


def test_last_observation_before_exposure_flag():
    df = pd.DataFrame(
        {
            "USUBJID": ["A"] * 4,
            "TRTESTCD": ["DIAMETER", "DIAMETER", "SUMDIAM", "DIAMETER"],
            "TRDTC": ["2025-01-01", "2025-02-01", "2025-02-01", "2025-04-01"],
        }
    )
    out = derive_lobxfl(df, pd.Series(["2025-03-05"] * 4), date="TRDTC", by=["TRTESTCD"])
    assert out.fillna("").tolist() == ["", "Y", "Y", ""]
