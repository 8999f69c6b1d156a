"""cdisckit.compare and `cdisckit compare`: PROC COMPARE-style agreement of two sets of datasets."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from cdisckit.cli import main
from cdisckit.compare import compare_datasets


def _ae(rows):
    return pd.DataFrame(rows, columns=["USUBJID", "AESEQ", "AETERM", "AESTDTC", "AESEV"])


def test_records_sharing_a_key_pair_by_their_other_values():
    ours = {"AE": _ae([["A", 1, "RASH", "2024-01-01", "MILD"], ["A", 2, "RASH", "2024-01-01", "SEVERE"]])}
    ref = {"AE": _ae([["A", 1, "RASH", "2024-01-01", "SEVERE"], ["A", 2, "RASH", "2024-01-01", "MILD"]])}
    c = compare_datasets(ours, ref, {"AE": ["USUBJID", "AETERM", "AESTDTC"]})
    v = c.variables.set_index("variable")
    assert v.loc["AESEV", "equal"] == 2  # paired MILD-MILD and SEVERE-SEVERE, not by position
    assert v.loc["AESEQ", "equal"] == 0  # the numbering differs: reported, not hidden


def test_supp_matched_through_parent_keys_not_seq():
    ours = {
        "AE": _ae([["A", 1, "RASH", "2024-01-01", "MILD"], ["A", 2, "COUGH", "2024-02-01", "MILD"]]),
        "SUPPAE": pd.DataFrame(
            {"USUBJID": ["A", "A"], "IDVAR": "AESEQ", "IDVARVAL": ["1", "2"], "QNAM": "AETRTEM", "QVAL": ["Y", "N"]}
        ),
    }
    ref = {
        "AE": _ae([["A", 1, "COUGH", "2024-02-01", "MILD"], ["A", 2, "RASH", "2024-01-01", "MILD"]]),
        "SUPPAE": pd.DataFrame(
            {"USUBJID": ["A", "A"], "IDVAR": "AESEQ", "IDVARVAL": ["2", "1"], "QNAM": "AETRTEM", "QVAL": ["Y", "N"]}
        ),
    }
    c = compare_datasets(ours, ref, {"AE": ["USUBJID", "AETERM", "AESTDTC"]})
    supp = c.datasets.set_index("dataset").loc["SUPPAE"]
    assert supp["matched"] == 2
    assert c.variables.query("dataset == 'SUPPAE' and variable == 'QVAL'")["equal"].item() == 2


def test_numbers_text_and_blanks():
    ours = {"DM": pd.DataFrame({"USUBJID": ["A", "B", "C"], "AGE": [63.0, None, 70.0], "ARMNRS": [None, "", "X"]})}
    ref = {"DM": pd.DataFrame({"USUBJID": ["A", "B", "D"], "AGE": ["63", "", "50"], "ARMNRS": ["", None, "X"]})}
    c = compare_datasets(ours, ref)
    assert c.variables.set_index("variable")["pct_equal"].to_dict() == {"AGE": 100.0, "ARMNRS": 100.0}
    ds = c.datasets.iloc[0]
    assert (ds["matched"], ds["only_ours"], ds["only_ref"]) == (2, 1, 1)
    assert sorted(c.unmatched[["side", "USUBJID"]].values.tolist()) == [["ours", "C"], ["ref", "D"]]


def test_missing_key_is_an_error():
    from cdisckit.errors import InputError

    with pytest.raises(InputError, match="AETERM"):
        compare_datasets(
            {"AE": pd.DataFrame({"USUBJID": ["A"], "AESEV": ["MILD"]})},
            {"AE": _ae([["A", 1, "X", "2024", "MILD"]])},
            {"AE": ["USUBJID", "AETERM"]},
        )


def test_cli_compare(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    pd.DataFrame({"USUBJID": ["A", "B"], "AGE": [63, 70]}).to_csv(a / "dm.csv", index=False)
    pd.DataFrame({"USUBJID": ["A", "B"], "AGE": [63, 71]}).to_csv(b / "dm.csv", index=False)
    runner = CliRunner()
    res = runner.invoke(main, ["compare", str(a), str(b), "--out", str(tmp_path / "d.csv")])
    assert res.exit_code == 1, res.output
    assert "AGE" in res.output and "50.00" in res.output
    diffs = pd.read_csv(tmp_path / "d.csv", dtype=str)
    assert diffs[["USUBJID", "variable", "ours", "ref"]].values.tolist() == [["B", "AGE", "70", "71"]]
    same = runner.invoke(main, ["compare", str(a), str(a)])
    assert same.exit_code == 0, same.output
    bad = runner.invoke(main, ["compare", str(a), str(b), "--keys", "DM"])
    assert bad.exit_code == 2
