"""specs/regenerate.py turns a standards folder into specs/ files (run here on a tiny stand-in folder)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

SCRIPT = Path(__file__).resolve().parents[1] / "specs" / "regenerate.py"


def _load():
    spec = importlib.util.spec_from_file_location("regenerate", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_regenerate_copies_tables_and_records_provenance(tmp_path):
    src = tmp_path / "standards"
    (src / "ct").mkdir(parents=True)
    (src / "sdtmig_variables.csv").write_text("dataset,variable,label\r\nDM,SEX,Sex\r\n")
    (src / "sdtmig_datasets.csv").write_text("dataset,label\nDM,Demographics\n")
    (src / "adamig_variables.csv").write_text("structure,variable\nADSL,SAFFL\n")
    (src / "adamig_structures.csv").write_text("name\nADSL\n")
    (src / "ct" / "NY.csv").write_text("codelist_short_name,submission_value\nNY,N\nNY,NA\nNY,Y\n")
    (src / "xpt_v5_rules.md").write_text("# rules\n")
    out = tmp_path / "specs"
    written = _load().regenerate(src, out)
    assert ("ct/NY.csv", "ct/NY.csv", 3) in written
    assert (out / "sdtmig-3.4" / "variables.csv").read_bytes() == b"dataset,variable,label\nDM,SEX,Sex\n"
    ny = pd.read_csv(out / "ct" / "NY.csv", dtype=str, keep_default_na=False)
    assert ny["submission_value"].tolist() == ["N", "NA", "Y"]  # "NA" stays a value, not missing
    provenance = (out / "PROVENANCE.md").read_text()
    assert "| ct/NY.csv | ct/NY.csv | 3 |" in provenance and "| sdtmig-3.4/variables.csv |" in provenance


def test_committed_ct_index_matches_committed_files():
    specs = SCRIPT.parent
    index = pd.read_csv(specs / "ct" / "_index.csv", dtype=str, keep_default_na=False)
    for row in index.itertuples():
        terms = pd.read_csv(specs / row.file, dtype=str, keep_default_na=False)
        assert len(terms) == int(row.n_terms), row.file
