"""Report writers (JSON, JUnit, HTML, console) and GX suite export."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from cdisckit.checks import export_suites, run_checks


def _defective(study, adam_specs):
    study["DM"].loc[1, "SEX"] = "MALE"  # error
    study["TU"].loc[2, "TULOC"] = "LIVER LOBE X"  # warning
    return run_checks(study, specs=adam_specs)


def test_json(study, adam_specs, tmp_path):
    report = _defective(study, adam_specs)
    doc = json.load(open(report.to_json(tmp_path / "out" / "checks.json")))
    assert doc["summary"]["errors"] == 1 and doc["summary"]["warnings"] == 1
    (f,) = [f for f in doc["findings"] if f["rule_id"] == "CT-NONEXT"]
    assert (f["dataset"], f["variable"], f["rows"], f["n_rows"]) == ("DM", "SEX", [1], 1)
    assert f["examples"] == [{"row": 1, "USUBJID": "S1-002", "SEX": "MALE"}]
    assert not list((tmp_path / "out").glob(".*tmp*"))


def test_junit(study, adam_specs, tmp_path):
    report = _defective(study, adam_specs)
    root = ET.parse(report.to_junit(tmp_path / "junit.xml")).getroot()
    cases = {(c.get("classname").rsplit(".", 1)[1], c.get("name")): c for c in root.iter("testcase")}
    assert len(cases) == len(report.checked)
    assert cases[("DM", "CT-NONEXT")].find("failure") is not None
    warn = cases[("TU", "CT-EXT")]
    assert warn.find("failure") is None and "LIVER LOBE X" in warn.find("system-out").text
    assert cases[("DM", "REQ-VAR-NULL")].find("failure") is None
    assert sum(int(s.get("failures")) for s in root.iter("testsuite")) == 1


def test_html_and_console(study, adam_specs, tmp_path):
    report = _defective(study, adam_specs)
    page = report.to_html(tmp_path / "checks.html").read_text(encoding="utf-8")
    assert "CT-NONEXT" in page and "S1-002" in page and "MALE" in page and "LIVER LOBE X" in page
    assert "<script" not in page and "http" not in page
    text = report.console_summary()
    assert "CT-NONEXT" in text and text.splitlines()[-1].startswith("1 error(s), 1 warning(s)")


def test_export_suites_loads_in_gx(study, adam_specs, tmp_path):
    paths = export_suites(study, tmp_path / "suites", specs=adam_specs)
    assert sorted(p.name for p in paths) == sorted(f"{n}.json" for n in study)
    doc = json.loads((tmp_path / "suites" / "ADTTE.json").read_text())
    types = {e["type"] for e in doc["expectations"]}
    assert {
        "expect_column_to_exist",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_in_type_list",
        "expect_table_columns_to_match_ordered_list",
        "expect_compound_columns_to_be_unique",
    } <= types
    for e in doc["expectations"]:
        assert {"rule_id", "severity", "message", "standard"} <= set(e["meta"])
    from great_expectations.core import ExpectationSuite

    suite = ExpectationSuite(**json.loads((tmp_path / "suites" / "AE.json").read_text()))
    assert len(suite.expectations) == len(json.loads((tmp_path / "suites" / "AE.json").read_text())["expectations"])
