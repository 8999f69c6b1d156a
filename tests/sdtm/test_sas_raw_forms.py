"""Raw forms exported as SAS datasets map exactly like the CSV export."""

from __future__ import annotations

import pandas as pd
import pyreadstat
import yaml

from cdisckit.pipeline import bundled_study_dir
from cdisckit.sdtm import map_study
from cdisckit.sdtm.forms import read_sas_form

STUDY = bundled_study_dir()
RAW = (STUDY / "../../examples/c-car031/raw").resolve()


def test_sas_dates_and_numbers_read_as_csv_text(tmp_path):
    df = pd.DataFrame(
        {"SUBJECT": ["101-001", None], "DOSE": [250.0, 2.5], "INFDAT": pd.to_datetime(["2025-03-07", None])}
    )
    path = tmp_path / "inf.xpt"
    pyreadstat.write_xport(
        df.assign(INFDAT=(df["INFDAT"] - pd.Timestamp("1960-01-01")).dt.days),
        str(path),
        file_format_version=8,
        variable_format={"INFDAT": "DATE9."},
    )
    got = read_sas_form(path)
    assert got.to_dict("list") == {"SUBJECT": ["101-001", ""], "DOSE": ["250", "2.5"], "INFDAT": ["2025-03-07", ""]}


def test_study_with_xpt_forms_gives_the_same_sdtm(tmp_path):
    study_dir = tmp_path / "study"
    study_dir.mkdir()
    for p in STUDY.glob("*.yaml"):
        (study_dir / p.name).write_text(p.read_text())
    raw = tmp_path / "raw"
    raw.mkdir()
    doc = yaml.safe_load((study_dir / "study.yaml").read_text())
    text = (study_dir / "study.yaml").read_text().replace("raw: ../../examples/c-car031/raw", f"raw: {raw}")
    for form, info in doc["forms"].items():
        csv = pd.read_csv(RAW / info["file"], dtype=str, keep_default_na=False)
        pyreadstat.write_xport(csv, str(raw / f"{form}.xpt"), file_format_version=8, table_name=form.upper())
        text = text.replace(f"file: {info['file']}", f"file: {form}.xpt")
    assert ".csv" not in text
    (study_dir / "study.yaml").write_text(text)
    from_csv = map_study(STUDY)
    from_xpt = map_study(study_dir)
    assert sorted(from_xpt.datasets) == sorted(from_csv.datasets)
    for name, df in from_csv.datasets.items():
        pd.testing.assert_frame_equal(from_xpt.datasets[name], df, check_dtype=False, obj=name)
