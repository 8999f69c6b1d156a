"""Regenerate the standard metadata in specs/ from an offline standards folder.

Usage (from the repository root)::

    python specs/regenerate.py ../shared/standards            # new upstream files -> specs/ (and specs/sources/)
    python specs/regenerate.py                                # rebuild specs/ from the committed specs/sources/
    python specs/regenerate.py ../shared/standards OUT_DIR    # elsewhere, e.g. to diff a new CT release

The tool and its tests read only what this script writes into specs/ (committed), never the upstream
folder. The upstream files themselves are kept, gzip-compressed, in ``specs/sources/`` so that anyone can
rebuild specs/ from the repository alone (and a test does, to prove the committed files are untouched
output of this script). A new CT release is a rerun of this script followed by a review of the diff.

What is written:

- ``sdtmig-3.4/``, ``adamig-1.3/``: the IG variable and dataset tables (line endings normalised);
- ``sdtm-2.0/class_variables.csv``: the SDTM v2.0 class variables (identifiers, timing, qualifiers);
- ``ct/<SHORT>.csv``: one file per codelist of the complete SDTM CT package (NCI EVS layout in,
  one row per term out), ``ct/ADAM_<SHORT>.csv`` for ADaM CT, ``ct/DEFINE_<SHORT>.csv`` for
  Define-XML CT, ``ct/ISO3166_COUNTRY.csv`` and ``ct/_index.csv`` (one row per file);
- ``xpt_v5_rules.md`` and ``PROVENANCE.md``.

Term order inside a codelist file: SDTM terms sorted case-insensitively on the submission value (ties
keep package order); ADaM and Define-XML terms in package order, as the CDISC Library CSV lists them.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"

CT_DATE = "2025-03-28"
SDTM_CT = f"ct/full/SDTM_CT_{CT_DATE}.tsv.gz"
ADAM_CT = f"ct/full/ADaM_CT_{CT_DATE}.csv"
DEFINE_CT = f"ct/full/Define-XML_CT_{CT_DATE}.csv"
ISO3166 = "ct/ISO3166_COUNTRY.csv"
MODEL = "sdtm_model_class_variables.csv"

# Upstream files (paths inside the standards folder) -> committed output, for the plain table copies.
TABLES = {
    "sdtmig_variables.csv": "sdtmig-3.4/variables.csv",
    "sdtmig_datasets.csv": "sdtmig-3.4/datasets.csv",
    "adamig_variables.csv": "adamig-1.3/variables.csv",
    "adamig_structures.csv": "adamig-1.3/structures.csv",
    MODEL: "sdtm-2.0/class_variables.csv",
}
SOURCE_FILES = [*TABLES, "xpt_v5_rules.md", ISO3166, SDTM_CT, ADAM_CT, DEFINE_CT]

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
INDEX_COLUMNS = ["file", "codelist_code", "codelist_short_name", "codelist_name", "extensible", "n_terms"]
INDEX_COLUMNS += ["ct_package", "ct_date"]
ISO_INDEX_ROW = [
    "ct/ISO3166_COUNTRY.csv",
    "",
    "COUNTRY (ISO 3166-1 alpha-3)",
    "ISO 3166-1 country codes (DM.COUNTRY described value domain)",
    "",
    "",  # n_terms, filled in
    "ISO 3166-1 (pycountry)",
    "",
]
# package label in the CT files, file-name prefix, term order
PACKAGES = {SDTM_CT: ("SDTM CT", "", "sorted"), ADAM_CT: ("ADaM CT", "ADAM_", "package")}
PACKAGES[DEFINE_CT] = ("Define-XML CT", "DEFINE_", "package")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_source(source: Path, name: str) -> bytes:
    """Uncompressed bytes of upstream file ``name`` in ``source`` (plain, or as kept in specs/sources/ with .gz)."""
    plain, packed = source / name, source / (name if name.endswith(".gz") else f"{name}.gz")
    if plain.exists() and not name.endswith(".gz"):
        return plain.read_bytes()
    if packed.exists():
        return gzip.decompress(packed.read_bytes())
    raise FileNotFoundError(f"{name} is neither in {source} nor as {packed.name}")


def _text(data: bytes) -> str:
    return data.decode("utf-8-sig")


def _write_rows(dst: Path, rows: list[list[str]]) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    with dst.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def _copy_csv(data: bytes, dst: Path) -> int:
    """Write a CSV normalising line endings; returns the number of data rows."""
    rows = list(csv.reader(io.StringIO(_text(data), newline="")))
    _write_rows(dst, rows)
    return len(rows) - 1


def parse_ct(data: bytes, name: str) -> list[tuple[dict, list[dict]]]:
    """``[(codelist row, [term rows])]`` in package order from an NCI EVS tab file or a CDISC Library CSV.

    Both layouts have the columns Code, Codelist Code (blank on the codelist's own row), Codelist Extensible,
    Codelist Name, CDISC Submission Value, CDISC Synonym(s), CDISC Definition, NCI Preferred Term.
    """
    text = _text(data)
    if name.endswith((".tsv", ".tsv.gz", ".txt")):
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
    else:
        reader = csv.DictReader(io.StringIO(text, newline=""))
    heads: dict[str, dict] = {}
    terms: dict[str, list[dict]] = {}
    for row in reader:
        parent = row["Codelist Code"]
        if not parent:
            heads[row["Code"]] = row
            terms.setdefault(row["Code"], [])
        else:
            terms.setdefault(parent, []).append(row)
    orphans = set(terms) - set(heads)
    if orphans:
        raise ValueError(f"{name}: terms of codelists without a codelist row: {sorted(orphans)[:5]}")
    return [(heads[code], terms[code]) for code in heads]


def _ct_files(data: bytes, name: str, out: Path) -> list[list[str]]:
    """One CSV per codelist of a CT package; returns the index rows."""
    package, prefix, order = PACKAGES[name]
    index = []
    for head, terms in parse_ct(data, name):
        short = head["CDISC Submission Value"]
        if order == "sorted":
            terms = sorted(terms, key=lambda t: t["CDISC Submission Value"].upper())
        rows = [CT_COLUMNS]
        ext = head["Codelist Extensible (Yes/No)"]
        for t in terms:
            rows.append(
                [head["Code"], short, head["Codelist Name"], ext, t["CDISC Submission Value"], t["Code"]]
                + [t["NCI Preferred Term"], t["CDISC Synonym(s)"], t["CDISC Definition"], package, CT_DATE]
            )
        file = f"ct/{prefix}{short}.csv"
        _write_rows(out / file, rows)
        index.append([file, head["Code"], short, head["Codelist Name"], ext, str(len(terms)), package, CT_DATE])
    return index


def regenerate(source: Path | None = None, out: Path = HERE, keep_sources: bool = True) -> list[tuple[str, str, int]]:
    """Build specs/ files in ``out`` from the standards folder ``source`` (default: the committed specs/sources/).

    Returns ``(output, source file, rows)`` per output, also listed in ``out/PROVENANCE.md``. When ``source``
    is not ``out/sources`` (and ``keep_sources``) the upstream files are copied (gzip) to ``out/sources`` first.
    """
    source = Path(source).resolve() if source is not None else SOURCES
    out = Path(out)
    data = {name: read_source(source, name) for name in SOURCE_FILES}
    sources_out = out / "sources"
    if keep_sources and source != sources_out.resolve():
        if sources_out.exists():
            shutil.rmtree(sources_out)
        for name, content in data.items():
            dst = sources_out / (name if name.endswith(".gz") else f"{name}.gz")
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(gzip.compress(content, mtime=0))
        if (source / "README.md").exists():
            shutil.copyfile(source / "README.md", sources_out / "README.md")

    written: list[tuple[str, str, int]] = []
    for name, table in TABLES.items():
        written.append((table, name, _copy_csv(data[name], out / table)))

    ct_out = out / "ct"
    if ct_out.exists():
        shutil.rmtree(ct_out)
    index: list[list[str]] = []
    for name in (SDTM_CT, ADAM_CT, DEFINE_CT):
        rows = _ct_files(data[name], name, out)
        index += rows
        n_terms = sum(int(r[5]) for r in rows)
        written.append((f"ct/{PACKAGES[name][1]}<SHORT>.csv x {len(rows)}", name, n_terms))
    n_iso = _copy_csv(data[ISO3166], out / ISO3166)
    written.append((ISO3166, ISO3166, n_iso))
    index.sort(key=lambda r: r[0])
    _write_rows(ct_out / "_index.csv", [INDEX_COLUMNS, *index, ISO_INDEX_ROW[:5] + [str(n_iso)] + ISO_INDEX_ROW[6:]])
    written.append(("ct/_index.csv", "(one row per ct/ file)", len(index) + 1))

    (out / "xpt_v5_rules.md").write_bytes(data["xpt_v5_rules.md"])
    written.append(("xpt_v5_rules.md", "xpt_v5_rules.md", 0))
    _write_provenance(out, written, data)
    return written


def _write_provenance(out: Path, written: list[tuple[str, str, int]], data: dict[str, bytes]) -> None:
    ct = [(r[0].split(" x ")[1], r[2], PACKAGES[r[1]][0]) for r in written if r[1] in PACKAGES]
    counts = ", ".join(f"{n} {pkg} codelists ({t:,} terms)" for n, t, pkg in ct)
    lines = [
        "# Provenance of specs/",
        "",
        "Generated by `python specs/regenerate.py [standards folder]`; do not edit these files by hand.",
        "Hand-written metadata lives in `specs/adam/`, `specs/keys.yaml`, `specs/value_level.yaml` and",
        "`specs/sdtm_model_rules.yaml` (SDTMIG 3.4 rules on adding SDTM model variables, each with its section).",
        "The upstream files are kept unchanged (gzip) in `specs/sources/`; `python specs/regenerate.py` rebuilds",
        "everything else from them, and `tests/test_regenerate_specs.py` checks that the result is what is committed.",
        "",
        "Upstream: SDTMIG 3.4, ADaMIG 1.3 (+ ADaM OCCDS 1.1 subset), SDTM v2.0 class variables, SDTM, ADaM and",
        f"Define-XML CT {CT_DATE} (complete packages), ISO 3166-1 alpha-3. `specs/sources/README.md` records the",
        "repository, commit and blob of every source file; it is summarised here so that the repository is",
        "self-contained:",
        "",
        "- SDTMIG/ADaMIG variable tables: CDISC Library CSV exports via `rubentalstra/Trial-Submission-Studio`",
        "  @ 222938d890fb78f83d21ca50930fbee4051a8cca (`crates/tss-standards/data/...`).",
        "- ADaM OCCDS 1.1 rows: transcribed from CDISC wiki pages (see the `provenance` column).",
        "- SDTM v2.0 class variables: CDISC Library CSV export of SDTM v2.0 in Trial-Submission-Studio history",
        "  (commit b603092f, `standards/sdtm/v2_0/`, variables blob 80ef0699b3c0cd2574b5d53e5e96266d0dca781a), reshaped.",
        "- SDTM CT 2025-03-28: NCI EVS `SDTM Terminology.txt` via `patterninstitute/sdtm.terminology`",
        "  @ e4fdc5f0f86997df89e15b39a33fbef10070915b (identified as 2025-03-28 by its 43,698 terms).",
        "- ADaM CT and Define-XML CT 2025-03-28: Trial-Submission-Studio @ 222938d8 (`terminology/2025-03-28/`).",
        "- ISO 3166-1: PyPI pycountry 26.2.16 `databases/iso3166-1.json`.",
        "",
        f"CT files: {counts};",
        "one file per codelist, named by the CDISC submission value of the codelist; ADaM ones prefixed `ADAM_`,",
        "Define-XML ones `DEFINE_`; `ct/_index.csv` lists them all with their code, name, extensibility and size. Where a",
        "codelist is published in two packages (TPCATRS in SDTM and ADaM CT; DICTNAM and SDTMIGRS in SDTM and",
        "Define-XML CT) both files are kept and `codelist()` answers with the SDTM one (same code and terms).",
        "",
        "Known gaps carried over: no CDISC codelist for AEREL or AETOXGR; MedDRA is licensed and absent;",
        "ADaMIG label PBCHGCyN is 41 characters; SDTMIG 3.4 MS.MSRESCAT names C85495, which SDTM CT 2025-03-28",
        "does not contain; no CDISC mRECIST supplement exists (RSCAT `MRECIST LENCIONI LIVER CANCER 2010` with",
        "TR VDIAM/SUMVDIAM is an inference from SDTMIG + CT).",
        "",
        "Not generated, maintained by hand beside these files: `ts_parameters.yaml` (from SDTMIG 3.4 section 7.6.1 and",
        "Appendix C1 and the FDA Study Data Technical Conformance Guide, see its header), `keys.yaml`,",
        "`sdtm_model_rules.yaml`.",
        "",
        "| file | source file | rows | sha256 of source |",
        "|---|---|---|---|",
    ]
    for name, src_name, n in written:
        sha = _sha256(data[src_name])[:16] if src_name in data else ""
        lines.append(f"| {name} | {src_name} | {n} | {sha} |")
    (out / "PROVENANCE.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) > 3 or any(a in ("-h", "--help") for a in sys.argv[1:]):
        sys.exit(__doc__)
    src = Path(sys.argv[1]) if len(sys.argv) >= 2 else None
    target = Path(sys.argv[2]) if len(sys.argv) == 3 else HERE
    for name, _, n in regenerate(src, target):
        print(f"{name}: {n} rows")
