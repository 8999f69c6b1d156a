"""specs/regenerate.py: the committed specs/ is exactly its output, and it turns CT packages into codelist files.

No test reads ../shared (users do not have it): the upstream files are committed, gzip-compressed, in
specs/sources/, and the first test rebuilds specs/ from them. The others run on tiny stand-in packages.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.util
from pathlib import Path

import pandas as pd
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "specs" / "regenerate.py"
SPECS = SCRIPT.parent


def _load():
    spec = importlib.util.spec_from_file_location("regenerate", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _generated(root: Path) -> dict[str, bytes]:
    """Every file regenerate.py writes under ``root`` (sources/ excluded), by relative path."""
    out = {}
    for sub in ("sdtmig-3.4", "adamig-1.3", "sdtm-2.0", "ct"):
        for p in sorted((root / sub).rglob("*")):
            if p.is_file():
                out[p.relative_to(root).as_posix()] = p.read_bytes()
    for name in ("xpt_v5_rules.md", "PROVENANCE.md"):
        out[name] = (root / name).read_bytes()
    return out


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    out = tmp_path_factory.mktemp("specs")
    written = _load().regenerate(None, out, keep_sources=False)  # source: the committed specs/sources/
    return out, written


def test_committed_specs_are_exactly_the_output_of_regenerate(rebuilt):
    out, _ = rebuilt
    fresh, committed = _generated(out), _generated(SPECS)
    assert sorted(fresh) == sorted(committed), "files added to or missing from specs/ by hand"
    changed = [name for name in fresh if fresh[name] != committed[name]]
    assert not changed, f"specs/ files differ from regenerate.py output: {changed[:10]}"


def test_committed_sdtm_ct_is_the_identified_nci_file():
    """The SDTM CT source is the NCI EVS file the standards README identifies (sha256 5e7e78d1...4a91)."""
    data = gzip.decompress((SPECS / "sources" / "ct" / "full" / "SDTM_CT_2025-03-28.tsv.gz").read_bytes())
    sha = hashlib.sha256(data).hexdigest()
    assert sha.startswith("5e7e78d1") and sha.endswith("4a91")
    assert len(data) == 13_006_289


def test_complete_packages_one_file_per_codelist(rebuilt):
    out, written = rebuilt
    index = pd.read_csv(out / "ct" / "_index.csv", dtype=str, keep_default_na=False)
    by_package = index.groupby("ct_package")["n_terms"].agg(["size", lambda s: s.astype(int).sum()])
    # SDTM CT 2025-03-28: 1,158 codelists and 43,698 terms (the README's count of the NCI file);
    # ADaM CT: 23 codelists, 140 terms; Define-XML CT: 15 codelists, 88 terms (163 and 103 rows with headers)
    assert by_package.loc["SDTM CT"].tolist() == [1158, 43698]
    assert by_package.loc["ADaM CT"].tolist() == [23, 140]
    assert by_package.loc["Define-XML CT"].tolist() == [15, 88]
    files = {p.name for p in (out / "ct").glob("*.csv")} - {"_index.csv"}
    assert files == {f.removeprefix("ct/") for f in index["file"]}
    assert ("ct/ISO3166_COUNTRY.csv", "ct/ISO3166_COUNTRY.csv", 249) in written


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_committed_ct_index_matches_committed_files():
    for row in _rows(SPECS / "ct" / "_index.csv"):
        terms = _rows(SPECS / row["file"])
        assert len(terms) == int(row["n_terms"]), row["file"]
        if row["codelist_code"]:
            assert {t["codelist_code"] for t in terms} == {row["codelist_code"]}
            assert {t["codelist_short_name"] for t in terms} == {row["codelist_short_name"]}
            assert {t["extensible"] for t in terms} == {row["extensible"]}


# ---------------------------------------------------------------- a tiny stand-in standards folder
NCI_HEADER = [
    "Code",
    "Codelist Code",
    "Codelist Extensible (Yes/No)",
    "Codelist Name",
    "CDISC Submission Value",
    "CDISC Synonym(s)",
    "CDISC Definition",
    "NCI Preferred Term",
]


def _standin(root: Path) -> Path:
    (root / "ct" / "full").mkdir(parents=True)
    (root / "sdtmig_variables.csv").write_text("dataset,variable,label\r\nDM,SEX,Sex\r\n")
    (root / "sdtmig_datasets.csv").write_text("dataset,label\nDM,Demographics\n")
    (root / "adamig_variables.csv").write_text("structure,variable\nADSL,SAFFL\n")
    (root / "adamig_structures.csv").write_text("name\nADSL\n")
    (root / "sdtm_model_class_variables.csv").write_text("model,class,order,variable\nSDTM v2.0,Events,1,--TERM\n")
    (root / "xpt_v5_rules.md").write_text("# rules\n")
    (root / "ct" / "ISO3166_COUNTRY.csv").write_text("alpha_3,alpha_2,numeric,name\nFRA,FR,250,France\n")
    nci = [
        NCI_HEADER,
        ["C66742", "", "No", "No Yes Response", "NY", "No Yes Response", "A response.", "CDISC SDTM Yes No"],
        ["C49488", "C66742", "", "No Yes Response", "Y", "Yes", "Affirmative.", "Yes"],
        ["C48660", "C66742", "", "No Yes Response", "NA", "NA; Not Applicable", 'A "quoted" text', "Not Applicable"],
        ["C49487", "C66742", "", "No Yes Response", "N", "No", "Negative.", "No"],
        ["C71620", "", "Yes", "Unit", "UNIT", "Unit", "Units.", "CDISC SDTM Unit"],
        ["C74924", "C71620", "", "Unit", "PA", "/year", "Per year.", "Per Year"],
        ["C42547", "C71620", "", "Unit", "Pa", "Pascal", "Pressure.", "Pascal"],
        ["C25613", "C71620", "", "Unit", "%", "Percent", "Percent.", "Percentage"],
    ]
    text = "".join("\t".join(r) + "\n" for r in nci)
    (root / "ct" / "full" / "SDTM_CT_2025-03-28.tsv.gz").write_bytes(gzip.compress(text.encode(), mtime=0))
    adam = [
        NCI_HEADER + ["Standard and Date"],
        ["C81223", "", "No", "Date Imputation Flag", "DATEFL", "Date Imputation Flag", "Flags.", "Flag", "ADaM CT"],
        ["C81211", "C81223", "", "Date Imputation Flag", "Y", "", "Year imputed.", "Year Imputed", "ADaM CT"],
        ["C81212", "C81223", "", "Date Imputation Flag", "D", "", "Day imputed.", "Day Imputed", "ADaM CT"],
    ]
    define = [
        NCI_HEADER + ["Standard and Date"],
        ["C170449", "", "No", "Origin Type", "ORIGINT", "Origin Type", "Origins.", "Origin Type", "Define-XML CT"],
        ["C170547", "C170449", "", "Origin Type", "Collected", "", "Collected.", "Collected", "Define-XML CT"],
    ]
    for name, rows in (("ADaM_CT_2025-03-28.csv", adam), ("Define-XML_CT_2025-03-28.csv", define)):
        with (root / "ct" / "full" / name).open("w", newline="", encoding="utf-8") as f:
            csv.writer(f, quoting=csv.QUOTE_ALL).writerows(rows)
    return root


def test_regenerate_stand_in_folder(tmp_path):
    src = _standin(tmp_path / "standards")
    out = tmp_path / "specs"
    written = _load().regenerate(src, out)
    assert (out / "sdtmig-3.4" / "variables.csv").read_bytes() == b"dataset,variable,label\nDM,SEX,Sex\n"
    assert (
        out / "sdtm-2.0" / "class_variables.csv"
    ).read_text() == "model,class,order,variable\nSDTM v2.0,Events,1,--TERM\n"
    ny = pd.read_csv(out / "ct" / "NY.csv", dtype=str, keep_default_na=False)
    assert ny["submission_value"].tolist() == ["N", "NA", "Y"]  # sorted; "NA" stays a value, not missing
    assert ny.loc[1, "cdisc_definition"] == 'A "quoted" text'  # the NCI file is tab-separated, quotes are text
    assert ny.loc[0].tolist() == [
        "C66742",
        "NY",
        "No Yes Response",
        "No",
        "N",
        "C49487",
        "No",
        "No",
        "Negative.",
        "SDTM CT",
        "2025-03-28",
    ]
    unit = pd.read_csv(out / "ct" / "UNIT.csv", dtype=str, keep_default_na=False)
    assert unit["submission_value"].tolist() == ["%", "PA", "Pa"]  # case-insensitive order, ties in package order
    datefl = pd.read_csv(out / "ct" / "ADAM_DATEFL.csv", dtype=str, keep_default_na=False)
    assert datefl["submission_value"].tolist() == ["Y", "D"] and set(datefl["ct_package"]) == {"ADaM CT"}
    assert (out / "ct" / "DEFINE_ORIGINT.csv").exists()
    index = pd.read_csv(out / "ct" / "_index.csv", dtype=str, keep_default_na=False)
    assert index["file"].tolist() == [
        "ct/ADAM_DATEFL.csv",
        "ct/DEFINE_ORIGINT.csv",
        "ct/NY.csv",
        "ct/UNIT.csv",
        "ct/ISO3166_COUNTRY.csv",
    ]
    assert index.set_index("file").loc["ct/NY.csv", ["codelist_code", "extensible", "n_terms"]].tolist() == [
        "C66742",
        "No",
        "3",
    ]
    provenance = (out / "PROVENANCE.md").read_text()
    assert "| ct/<SHORT>.csv x 2 | ct/full/SDTM_CT_2025-03-28.tsv.gz | 6 |" in provenance
    assert ("ct/ADAM_<SHORT>.csv x 1", "ct/full/ADaM_CT_2025-03-28.csv", 2) in written
    # the upstream files are kept in out/sources; rebuilding from there gives the same files
    again = tmp_path / "again"
    _load().regenerate(out / "sources", again)
    assert _generated(again) == _generated(out)
