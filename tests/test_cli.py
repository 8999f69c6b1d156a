"""The command line as a user runs it: the bundled study end to end, exit codes, and bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cdisckit.cli import main
from cdisckit.pipeline import bundled_study_dir

STUDY = bundled_study_dir()
RAW = (STUDY / "../../examples/c-car031/raw").resolve()


def test_run_writes_every_output(bundled_run):
    out, result = bundled_run
    sdtm = sorted(p.name for p in (out / "sdtm").glob("*.xpt"))
    for name in ["dm.xpt", "ex.xpt", "ae.xpt", "tu.xpt", "tr.xpt", "rs.xpt"]:
        assert name in sdtm
    for name in ["adsl.xpt", "adae.xpt", "adrs.xpt", "adtte.xpt"]:
        assert (out / "adam" / name).exists()
    assert (out / "report.html").stat().st_size > 10_000
    assert (out / "sdtm" / "define.xml").exists() and (out / "adam" / "define.xml").exists()
    assert "Records written" in result.output


def test_run_json_accounts_for_every_raw_row(bundled_run):
    out, _ = bundled_run
    summary = json.loads((out / "run.json").read_text())
    recon = {r["form"]: r for r in summary["reconciliation"]["forms"]}
    unmapped = summary["reconciliation"]["unmapped"]
    for form in ["dm", "ae", "tl", "rsp", "ld", "nact"]:
        raw = pd.read_csv(RAW / f"{form}.csv", dtype=str, keep_default_na=False)
        assert recon[form]["rows_read"] == len(raw)
        listed = [u for u in unmapped if u["form"] == form]
        assert recon[form]["rows_mapped"] + len(listed) == len(raw)
    # the raw AE rows with a blank verbatim term are the ones listed, with the reason
    ae = pd.read_csv(RAW / "ae.csv", dtype=str, keep_default_na=False)
    blank = sorted(ae.loc[ae["AETERM"].str.strip() == "", "RECORDID"].astype(int))
    assert blank and sorted(int(u["RECORDID"]) for u in unmapped if u["form"] == "ae") == blank
    assert {u["reason"] for u in unmapped if u["form"] == "ae"} == {"AETERM blank"}
    dm = pd.read_csv(RAW / "dm.csv", dtype=str)
    assert summary["records_written"]["DM"] == len(dm) == summary["records_written"]["ADSL"]


def test_second_run_gives_identical_bytes(bundled_run, tmp_path):
    out, _ = bundled_run
    result = CliRunner().invoke(main, ["-q", "run", "--out", str(tmp_path / "again")])
    assert result.exit_code == 0, result.output
    for first in sorted((out / "sdtm").glob("*.xpt")) + sorted((out / "adam").glob("*.xpt")):
        second = tmp_path / "again" / first.parent.name / first.name
        assert first.read_bytes() == second.read_bytes(), first.name
    for first in sorted((out / "adam").glob("*.json")):
        assert first.read_bytes() == (tmp_path / "again" / "adam" / first.name).read_bytes(), first.name
    for rel in ("sdtm/define.xml", "adam/define.xml", "sdtm/csdrg.html", "adam/adrg.html", "sdtm/ts.json"):
        assert (out / rel).read_bytes() == (tmp_path / "again" / rel).read_bytes(), rel


def test_check_command_on_written_sdtm_is_clean(bundled_run, tmp_path):
    out, _ = bundled_run
    junit = tmp_path / "checks.xml"
    result = CliRunner().invoke(main, ["-q", "check", str(out / "sdtm"), "--junit", str(junit)])
    assert result.exit_code == 0, result.output
    assert junit.read_text().startswith("<?xml")


def _copy_raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    return raw


def _sdtm(tmp_path: Path, raw: Path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["-q", "sdtm", str(STUDY), "--raw", str(raw), "--out", str(out)])
    return result, out


def test_missing_form_file(tmp_path):
    raw = _copy_raw(tmp_path)
    (raw / "ae.csv").unlink()
    result, out = _sdtm(tmp_path, raw)
    assert result.exit_code != 0
    assert "ae.csv" in result.output and "Traceback" not in result.output
    assert not (out / "sdtm").exists()


def test_unparseable_date_names_file_row_and_column(tmp_path):
    raw = _copy_raw(tmp_path)
    ae = pd.read_csv(raw / "ae.csv", dtype=str, keep_default_na=False)
    ae.loc[2, "AESTDAT"] = "31-FOO-2025"
    ae.to_csv(raw / "ae.csv", index=False)
    result, out = _sdtm(tmp_path, raw)
    assert result.exit_code == 1
    assert "ae.csv" in result.output and "AESTDAT" in result.output and "31-FOO-2025" in result.output
    assert f"row {ae.loc[2, 'RECORDID']}" in result.output or "row 3" in result.output
    assert not (out / "sdtm").exists()


def test_unmapped_controlled_term(tmp_path):
    raw = _copy_raw(tmp_path)
    dm = pd.read_csv(raw / "dm.csv", dtype=str, keep_default_na=False)
    dm.loc[0, "SEX"] = "Unknownish"
    dm.to_csv(raw / "dm.csv", index=False)
    result, out = _sdtm(tmp_path, raw)
    assert result.exit_code == 1
    assert "dm.csv" in result.output and "SEX" in result.output and "Unknownish" in result.output
    assert not (out / "sdtm").exists()


def test_duplicate_subject_in_dm(tmp_path):
    raw = _copy_raw(tmp_path)
    dm = pd.read_csv(raw / "dm.csv", dtype=str, keep_default_na=False)
    dm = pd.concat([dm, dm.iloc[[0]].assign(RECORDID=str(len(dm) + 1))], ignore_index=True)
    dm.to_csv(raw / "dm.csv", index=False)
    result, out = _sdtm(tmp_path, raw)
    assert result.exit_code == 1
    assert "dm.csv" in result.output and dm.loc[0, "SUBJECT"] in result.output
    assert not (out / "sdtm").exists()


def test_missing_column(tmp_path):
    raw = _copy_raw(tmp_path)
    ae = pd.read_csv(raw / "ae.csv", dtype=str, keep_default_na=False).drop(columns=["AETOXGR"])
    ae.to_csv(raw / "ae.csv", index=False)
    result, out = _sdtm(tmp_path, raw)
    assert result.exit_code != 0
    assert "ae.csv" in result.output and "AETOXGR" in result.output
    assert not (out / "sdtm").exists()


def test_value_over_200_bytes(tmp_path):
    raw = _copy_raw(tmp_path)
    ae = pd.read_csv(raw / "ae.csv", dtype=str, keep_default_na=False)
    ae.loc[1, "AETERM"] = "x" * 201
    ae.to_csv(raw / "ae.csv", index=False)
    result, out = _sdtm(tmp_path, raw)
    assert result.exit_code == 1
    assert "ae.csv" in result.output and "AETERM" in result.output and "200" in result.output
    assert not (out / "sdtm").exists()


def test_help_is_plain_and_lists_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for cmd in ["run", "sdtm", "adam", "check", "synth", "report"]:
        assert cmd in result.output


def test_adam_from_dataset_json_equals_adam_from_xpt(bundled_run, tmp_path):
    """`cdisckit adam --sdtm` reads Dataset-JSON as well as XPT and derives the same ADaM."""
    from cdisckit.io import read_dataset

    out, _ = bundled_run
    json_only = tmp_path / "sdtm_json"
    json_only.mkdir()
    for p in (out / "sdtm").glob("*.json"):
        shutil.copy(p, json_only / p.name)
    params = ["--study", str(STUDY)]
    result = CliRunner().invoke(main, ["-q", "adam", "--sdtm", str(json_only), "--out", str(tmp_path / "o"), *params])
    assert result.exit_code == 0, result.output
    for name in ["adsl", "adrs", "adtte"]:
        a = read_dataset(out / "adam" / f"{name}.xpt")
        b = read_dataset(tmp_path / "o" / "adam" / f"{name}.xpt")
        pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_report_command_from_adam_folder(bundled_run, tmp_path):
    out, _ = bundled_run
    target = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["-q", "report", str(out / "adam"), "--out", str(target)])
    assert result.exit_code == 0, result.output
    html = target.read_text()
    assert "Kaplan" in html and html.count("data:image/png;base64,") >= 5


def test_check_command_exit_codes(bundled_run, tmp_path):
    out, _ = bundled_run
    broken = tmp_path / "broken"
    broken.mkdir()
    ae = pd.DataFrame(
        {
            "STUDYID": ["S"],
            "DOMAIN": ["AE"],
            "USUBJID": ["S-1"],
            "AESEQ": [1],
            "AETERM": ["x"],
            "AEDECOD": ["x"],
            "AESTDTC": ["2025-13-45"],
        }
    )
    ae.to_csv(broken / "ae.csv", index=False)
    json_report = tmp_path / "f.json"
    result = CliRunner().invoke(main, ["-q", "check", str(broken), "--json", str(json_report)])
    assert result.exit_code == 1
    findings = json.loads(json_report.read_text())["findings"]
    iso = [f for f in findings if f["rule_id"] == "DTC-ISO8601"]
    assert iso and iso[0]["dataset"] == "AE" and iso[0]["variable"] == "AESTDTC" and iso[0]["rows"] == [0]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert CliRunner().invoke(main, ["-q", "check", str(empty)]).exit_code == 2


def test_synth_command_matches_bundled_export(tmp_path):
    result = CliRunner().invoke(main, ["-q", "synth", "--subjects", "44", "--seed", "31", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for p in sorted(RAW.glob("*.csv")):
        assert (tmp_path / p.name).read_bytes() == p.read_bytes(), p.name


def test_adam_params_file_changes_the_rule(bundled_run, tmp_path):
    """A params file overrides the study's adam.yaml: with a 400-day confirmation window nothing is confirmed,
    while unconfirmed responses (RSP) stay as they were."""
    from cdisckit.io import read_dataset

    out, _ = bundled_run
    params = tmp_path / "params.yaml"
    params.write_text("confirmation_days: 400\n")
    result = CliRunner().invoke(
        main,
        [
            "-q",
            "adam",
            "--sdtm",
            str(out / "sdtm"),
            "--study",
            str(STUDY),
            "--params",
            str(params),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 0, result.output
    before = read_dataset(out / "adam" / "adrs.xpt")
    after = read_dataset(tmp_path / "o" / "adam" / "adrs.xpt")

    def responders(adrs, code):
        return set(adrs.loc[(adrs["PARAMCD"] == code) & (adrs["AVALC"] == "Y"), "USUBJID"])

    assert responders(before, "CRSP") and not responders(after, "CRSP")
    assert responders(before, "RSP") == responders(after, "RSP")


def test_bad_params_key_names_file_line_and_key(tmp_path, bundled_run):
    out, _ = bundled_run
    params = tmp_path / "params.yaml"
    params.write_text("origin: TRTSDT\nconfirmation_dayz: 28\n")
    result = CliRunner().invoke(
        main, ["-q", "adam", "--sdtm", str(out / "sdtm"), "--params", str(params), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "params.yaml" in result.output and "line 2" in result.output and "confirmation_dayz" in result.output
    assert not (tmp_path / "o" / "adam").exists()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_adam_from_csv_or_parquet_sdtm(bundled_run, tmp_path, fmt):
    """Someone else's SDTM as CSV or Parquet gives the same ADaM as the XPT files."""
    from cdisckit.io import read_dataset, read_folder

    out, _ = bundled_run
    folder = tmp_path / fmt
    folder.mkdir()
    for name, df in read_folder(out / "sdtm").items():
        target = folder / f"{name.lower()}.{fmt}"
        df.to_csv(target, index=False) if fmt == "csv" else df.to_parquet(target, index=False)
    result = CliRunner().invoke(
        main, ["-q", "adam", "--sdtm", str(folder), "--study", str(STUDY), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    for name in ["adsl", "adrs", "adtte", "adae"]:
        a = read_dataset(out / "adam" / f"{name}.xpt")
        b = read_dataset(tmp_path / "o" / "adam" / f"{name}.xpt")
        pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_engine_gx_without_great_expectations_is_a_one_line_error(monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "great_expectations" else real(name, *a)
    )
    result = CliRunner().invoke(main, ["-q", "check", str(tmp_path), "--engine", "gx"])
    assert result.exit_code == 2
    assert result.output == (
        "error: --engine gx needs great-expectations: pip install 'cdisckit[gx]' (or use --engine native)\n"
    )


def test_cli_help_does_not_import_great_expectations_or_pandas():
    import subprocess
    import sys

    code = "import sys; from cdisckit.cli import main; print(sorted(m for m in ('great_expectations', 'pandas', 'matplotlib') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
