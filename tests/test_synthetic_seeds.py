"""Green at any seed: synthetic studies of a few hundred subjects run through the whole pipeline (`cdisckit run
--raw`, no --allow-errors) with 0 conformance errors, and what was written reads back consistently.

Cost: one full run per seed (about 10 s of CPU each on a quiet machine for 200 subjects). The 1,000- and
10,000-subject runs are benchmarks (benchmarks/), not tests."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cdisckit.cli import main
from cdisckit.csvfile import read_csv_text
from cdisckit.io import read_folder

SEEDS = [3, 17, 2026]
SUBJECTS = 200


@pytest.mark.parametrize("seed", SEEDS)
def test_synthetic_study_runs_clean_and_reads_back(tmp_path, seed):
    raw, out = tmp_path / "raw", tmp_path / "out"
    runner = CliRunner()
    made = runner.invoke(main, ["-q", "synth", "--subjects", str(SUBJECTS), "--seed", str(seed), "--out", str(raw)])
    assert made.exit_code == 0, made.output
    result = runner.invoke(main, ["-q", "run", "--raw", str(raw), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "run.json").read_text())
    assert summary["checks"]["sdtm"]["errors"] == 0 and summary["checks"]["adam"]["errors"] == 0
    # every raw row is read, and mapped or listed with its reason
    for form in summary["reconciliation"]["forms"]:
        rows = len(read_csv_text(raw / f"{form['form']}.csv"))
        assert form["rows_read"] == rows and form["rows_mapped"] + form["rows_unmapped"] == rows, form
    listed = summary["reconciliation"]["unmapped"]
    assert all(u["reason"] for u in listed)
    # what was written is what run.json says, and ADSL has one row per DM subject
    sdtm, adam = read_folder(out / "sdtm"), read_folder(out / "adam")
    for name, n in summary["records_written"].items():
        assert len((sdtm | adam)[name]) == n, name
    assert sorted(adam["ADSL"]["USUBJID"]) == sorted(sdtm["DM"]["USUBJID"])
    assert len(sdtm["DM"]) == len(read_csv_text(raw / "dm.csv"))
