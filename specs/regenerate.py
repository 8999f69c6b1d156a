"""Regenerate the standard metadata in specs/ from an offline standards folder.

Usage (from the repository root)::

    python specs/regenerate.py ../shared/standards            # into specs/
    python specs/regenerate.py ../shared/standards OUT_DIR    # elsewhere, e.g. to diff a new CT release

The tool and its tests read only what this script writes into specs/ (committed), never the
source folder, so a new CT release is a rerun of this script followed by a review of the diff.
Every output row keeps its provenance in specs/PROVENANCE.md.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Datasets the toolkit maps, checks or documents; the whole IG is kept so that `check` can
# recognise any SDTMIG 3.4 dataset someone else produced.
SDTM_FILES = ["sdtmig_variables.csv", "sdtmig_datasets.csv"]
ADAM_FILES = ["adamig_variables.csv", "adamig_structures.csv"]
# Codelists taken from the complete SDTM CT package (ct/full/SDTM_CT_<date>.tsv.gz) in addition to the selected
# ct/*.csv files: the trial design datasets (TS parameter values, TI categories, dictionary names).
FULL_PACKAGE_CODELISTS = [
    "STYPE",
    "TTYPE",
    "TBLIND",
    "TCNTRL",
    "INTMODEL",
    "INTTYPE",
    "SEXPOP",
    "TINDTP",
    "DICTNAM",
    "IECAT",
]
CT_COLUMNS = [
    "codelist_code",
    "codelist_short_name",
    "codelist_name",
    "extensible",
    "submission_value",
    "nci_code",
    "nci_preferred_term",
    "cdisc_synonyms",
    "cdisc_definition",
    "ct_package",
    "ct_date",
]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy_csv(src: Path, dst: Path) -> int:
    """Copy a CSV normalising line endings; returns the number of data rows."""
    with src.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    dst.parent.mkdir(parents=True, exist_ok=True)
    with dst.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerows(rows)
    return len(rows) - 1


def _extract_codelists(package: Path, ct_out: Path, names: list[str]) -> list[tuple[str, int]]:
    """Write ``ct_out/<SHORT>.csv`` for the codelists ``names`` of a complete NCI EVS SDTM CT package (tab-delimited,
    gzip), in the layout of the other ct/*.csv files, and add them to ``ct_out/_index.csv``."""
    ct_date = package.name.removeprefix("SDTM_CT_").removesuffix(".tsv.gz")
    with gzip.open(package, "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    heads = {r["CDISC Submission Value"]: r for r in rows if not r["Codelist Code"]}
    index_path = ct_out / "_index.csv"
    with index_path.open(newline="", encoding="utf-8") as f:
        index = list(csv.reader(f))
    done = []
    for short in names:
        head = heads[short]
        code = head["Code"]
        terms = sorted((r for r in rows if r["Codelist Code"] == code), key=lambda r: r["CDISC Submission Value"])
        with (ct_out / f"{short}.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(CT_COLUMNS)
            for t in terms:
                w.writerow(
                    [
                        code,
                        short,
                        head["Codelist Name"],
                        head["Codelist Extensible (Yes/No)"],
                        t["CDISC Submission Value"],
                        t["Code"],
                        t["NCI Preferred Term"],
                        t["CDISC Synonym(s)"],
                        t["CDISC Definition"],
                        "SDTM CT",
                        ct_date,
                    ]
                )
        index = [r for r in index if r[:1] != [f"ct/{short}.csv"]]
        index.append(
            [
                f"ct/{short}.csv",
                code,
                short,
                head["Codelist Name"],
                head["Codelist Extensible (Yes/No)"],
                str(len(terms)),
                "SDTM CT",
                ct_date,
            ]
        )
        done.append((short, len(terms)))
    with index_path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(index)
    return done


def regenerate(source: Path, out: Path = HERE) -> list[tuple[str, str, int]]:
    """Copy the standards tables and CT from ``source`` into ``out`` and write ``out/PROVENANCE.md``."""
    source, out = Path(source).resolve(), Path(out)
    written: list[tuple[str, str, int]] = []
    for name in SDTM_FILES:
        n = _copy_csv(source / name, out / "sdtmig-3.4" / name.replace("sdtmig_", ""))
        written.append((f"sdtmig-3.4/{name.replace('sdtmig_', '')}", name, n))
    for name in ADAM_FILES:
        n = _copy_csv(source / name, out / "adamig-1.3" / name.replace("adamig_", ""))
        written.append((f"adamig-1.3/{name.replace('adamig_', '')}", name, n))
    ct_out = out / "ct"
    if ct_out.exists():
        shutil.rmtree(ct_out)
    for src in sorted((source / "ct").glob("*.csv")):
        n = _copy_csv(src, ct_out / src.name)
        written.append((f"ct/{src.name}", f"ct/{src.name}", n))
    for src in sorted((source / "ct" / "full").glob("SDTM_CT_*.tsv.gz")):
        for short, n in _extract_codelists(src, ct_out, FULL_PACKAGE_CODELISTS):
            written.append((f"ct/{short}.csv", f"ct/full/{src.name}", n))
    shutil.copyfile(source / "xpt_v5_rules.md", out / "xpt_v5_rules.md")
    written.append(("xpt_v5_rules.md", "xpt_v5_rules.md", 0))

    lines = [
        "# Provenance of specs/",
        "",
        "Generated by `python specs/regenerate.py <standards folder>`; do not edit these files by hand",
        "(hand-written metadata lives in `specs/adam/`, `specs/keys.yaml` and `specs/value_level.yaml`).",
        "",
        "Upstream: SDTMIG 3.4, ADaMIG 1.3 (+ ADaM OCCDS 1.1 subset), SDTM and ADaM CT 2025-03-28,",
        "ISO 3166-1 alpha-3. The upstream folder's README records the repository, commit and blob of every",
        "source file; it is summarised here so that the repository is self-contained:",
        "",
        "- SDTMIG/ADaMIG variable tables: CDISC Library CSV exports via `rubentalstra/Trial-Submission-Studio`",
        "  @ 222938d890fb78f83d21ca50930fbee4051a8cca (`crates/tss-standards/data/...`).",
        "- ADaM OCCDS 1.1 rows: transcribed from CDISC wiki pages (see the `provenance` column).",
        "- SDTM CT 2025-03-28: NCI EVS `SDTM Terminology.txt` via `patterninstitute/sdtm.terminology`",
        "  @ e4fdc5f0f86997df89e15b39a33fbef10070915b. The trial design codelists " + ", ".join(FULL_PACKAGE_CODELISTS),
        "  are extracted from the complete package `ct/full/SDTM_CT_2025-03-28.tsv.gz` by this script.",
        "- ADaM CT 2025-03-28: Trial-Submission-Studio @ 222938d8 (`terminology/2025-03-28/`).",
        "- ISO 3166-1: PyPI pycountry 26.2.16 `databases/iso3166-1.json`.",
        "",
        "Known gaps carried over: no CDISC codelist for AEREL or AETOXGR; MedDRA is licensed and absent;",
        "ADaMIG label PBCHGCyN is 41 characters; no CDISC mRECIST supplement exists (RSCAT",
        "`MRECIST LENCIONI LIVER CANCER 2010` with TR VDIAM/SUMVDIAM is an inference from SDTMIG + CT).",
        "",
        "| file | source file | rows | sha256 of source |",
        "|---|---|---|---|",
    ]
    for name, src_name, n in written:
        lines.append(f"| {name} | {src_name} | {n} | {_sha256(source / src_name)[:16]} |")
    (out / "PROVENANCE.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return written


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    target = Path(sys.argv[2]) if len(sys.argv) == 3 else Path(__file__).resolve().parent
    for name, _, n in regenerate(Path(sys.argv[1]), target):
        print(f"{name}: {n} rows")
