"""Agreement with CDISC CORE: run CORE and `cdisckit check` on the same SDTM folder, compare per rule.

    python benchmarks/core_agreement.py FOLDER [--core-src DIR] [--core-python PY] [--core-cache DIR]
        [--encoding cp1252] [--define FOLDER/define.xml] [--core-report REPORT.json] [--markdown]

CORE is never part of the tests or CI: it is found through options or the environment (CORE_SRC: a folder
with CORE's ``core.py``, CORE_PYTHON: the Python of its venv, CORE_CACHE: its offline rules cache), or an
existing CORE JSON report is reused with ``--core-report`` (its Total_Runtime is the CORE time).

Per CORE rule that reported issues, and per cdisckit rule citing a CORE rule or a CDISC/FDA id, it prints:
CORE issues, cdisckit findings (rows), agree / differ (same records, compared by dataset and 1-based row;
dataset-level findings by dataset), and the reason from the catalogue where CORE and cdisckit differ. Last,
the time of each engine and the ratio. `cdisckit check` is timed in process: reading the folder and running
the checks (native engine), plus its import; `--cli` also times the `cdisckit check` command end to end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path


def run_core(folder: Path, args) -> tuple[dict, float]:
    """Run CORE's core.py on the .xpt files of ``folder``; return its JSON report and the wall time."""
    src = Path(args.core_src or os.environ.get("CORE_SRC", ""))
    py = args.core_python or os.environ.get("CORE_PYTHON")
    cache = args.core_cache or os.environ.get("CORE_CACHE")
    if not (src / "core.py").is_file() or not py or not cache:
        sys.exit("CORE not found: give --core-src/--core-python/--core-cache (or CORE_SRC, CORE_PYTHON, CORE_CACHE)")
    out = Path(tempfile.mkdtemp(prefix="core-agreement-")) / "core"
    cmd = [py, "core.py", "validate", "-s", "sdtmig", "-v", "3-4", "-ca", str(cache), "-d", str(folder)]
    cmd += [
        "-ft",
        "xpt",
        "-e",
        args.encoding or "utf-8",
        "-of",
        "json",
        "-o",
        str(out),
        "-p",
        "disabled",
        "-l",
        "error",
    ]
    define = Path(args.define) if args.define else folder / "define.xml"
    if define.is_file():
        cmd += ["-dxp", str(define.resolve())]
    else:
        cmd += ["-ct", args.ct]
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=src, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return json.loads(Path(f"{out}.json").read_text()), time.perf_counter() - t0


def read_datasets(folder: Path, encoding: str | None):
    """The folder's datasets as `cdisckit check` reads them (``encoding`` for legacy XPT text)."""
    import inspect

    from cdisckit.io import normalise_missing, read_folder

    if not encoding or "encoding" in inspect.signature(read_folder).parameters:
        return read_folder(folder, encoding=encoding) if encoding else read_folder(folder)
    import pyreadstat  # the formats reader with --encoding is not there yet: read the XPT text as given

    out = {}
    for p in sorted(folder.glob("*.xpt")):
        df, meta = pyreadstat.read_xport(str(p), encoding=encoding)
        df.attrs["label"] = meta.file_label or ""
        df.attrs["column_labels"] = dict(zip(meta.column_names, meta.column_labels))
        out[p.stem.upper()] = normalise_missing(df)
    return out


def run_cdisckit(folder: Path, encoding: str | None, define: Path | None):
    t0 = time.perf_counter()
    from cdisckit.checks import run_checks

    t_import = time.perf_counter() - t0
    t1 = time.perf_counter()
    datasets = read_datasets(folder, encoding)
    t_read = time.perf_counter() - t1
    present = (define or folder / "define.xml").is_file()
    t2 = time.perf_counter()
    report = run_checks(datasets, submission={"define": present})
    t_check = time.perf_counter() - t2
    return report, {"import": t_import, "read": t_read, "check": t_check, "total": t_import + t_read + t_check}


def _core_rows(core: dict) -> tuple[dict, dict, dict]:
    """Per CORE rule: issue count, set of (dataset, row) records, and its CDISC/FDA ids."""
    rows: dict[str, set] = defaultdict(set)
    counts: dict[str, int] = defaultdict(int)
    for d in core.get("Issue_Details", []):
        if str(d.get("message", "")).startswith(("rule evaluation error", "rule execution error")):
            continue
        counts[d["core_id"]] += 1
        rows[d["core_id"]].add((d.get("dataset"), d.get("row")))
    ids = {}
    for r in core.get("Rules_Report", []):
        pub = [x.strip() for x in f"{r.get('cdisc_rule_id', '')},{r.get('fda_rule_id', '')}".split(",") if x.strip()]
        ids[r["core_id"]] = (pub, r.get("status"))
    return counts, rows, ids


def agreement(core: dict, report) -> list[dict]:
    """One row per CORE rule with issues or a cdisckit rule that cites a CORE rule / published id."""
    from cdisckit.checks import RULES
    from cdisckit.checks.rules import core_differences

    counts, core_rows, core_ids = _core_rows(core)
    by_rule: dict[str, list] = defaultdict(list)
    for f in report.findings:
        by_rule[f.rule_id].append(f)
    cites: dict[str, list[str]] = defaultdict(list)  # CORE id -> cdisckit rules
    for r in RULES.values():
        for cid in r.core:
            cites[cid].append(r.id)
        for cid, (pub, _) in core_ids.items():
            if cid not in r.core and set(pub) & set(r.cdisc + r.fda):
                cites[cid].append(r.id)
    notes = {d["core"]: d for d in core_differences()}
    out = []
    for cid in sorted(set(counts) | set(cites)):
        status = core_ids.get(cid, ([], None))[1]
        mine = sorted(set(cites.get(cid, [])))
        found = [f for r in mine for f in by_rule.get(r, [])]
        if not counts.get(cid) and not found and status != "SUCCESS":
            continue  # neither engine ran it on this data
        ck_rows = {(f.dataset, r + 1) for f in found for r in f.rows}
        ck_sets = {f.dataset for f in found if not f.rows}
        n_ck = sum(f.n_rows or 1 for f in found)
        crow = core_rows.get(cid, set())
        if not counts.get(cid) and not found:
            verdict = "agree (both clean)"
        elif not mine:
            verdict = "differ (not implemented)"
        elif counts.get(cid) and found:
            same = crow <= ck_rows | {(d, r) for d, r in crow if d in ck_sets}
            verdict = "agree" if same and (ck_rows <= crow or ck_sets) else f"agree on {len(crow & ck_rows)} records"
        else:
            verdict = "differ"
        note = notes.get(cid, {}).get("reason") or " ".join(RULES[r].note for r in mine if "CORE" in RULES[r].note)
        out.append(
            {
                "core": cid,
                "ids": ",".join(core_ids.get(cid, ([], None))[0]),
                "core_issues": counts.get(cid, 0),
                "cdisckit_rules": ",".join(mine) or "-",
                "cdisckit_rows": n_ck,
                "verdict": verdict,
                "note": note,
            }
        )
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--core-src")
    ap.add_argument("--core-python")
    ap.add_argument("--core-cache")
    ap.add_argument("--core-report", type=Path, help="reuse a CORE JSON report instead of running CORE")
    ap.add_argument("--ct", default="sdtmct-2025-03-28", help="CT package for CORE when there is no define.xml")
    ap.add_argument("--encoding", help="XPT text encoding (CDISC pilot: cp1252)")
    ap.add_argument("--define", help="define.xml (default FOLDER/define.xml when present)")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown (docs/checks.md)")
    args = ap.parse_args(argv)
    folder = args.folder.resolve()
    if args.core_report:
        core = json.loads(args.core_report.read_text())
        core_s = float(str(core["Conformance_Details"].get("Total_Runtime", "nan")).split()[0])
    else:
        core, core_s = run_core(folder, args)
    report, t = run_cdisckit(folder, args.encoding, Path(args.define) if args.define else None)
    rows = agreement(core, report)
    cols = ("core", "ids", "core_issues", "cdisckit_rules", "cdisckit_rows", "verdict")
    if args.markdown:
        print("| CORE rule | CDISC/FDA | CORE issues | cdisckit rule | cdisckit rows | agreement | why they differ |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            print(
                "| "
                + " | ".join(str(r[c]) for c in cols)
                + f" | {r['note'] if 'agree' not in r['verdict'] or r['note'] else ''} |"
            )
    else:
        widths = [max(len(str(r[c])) for r in [dict(zip(cols, cols)), *rows]) for c in cols]
        for r in [dict(zip(cols, cols)), *rows]:
            print("  ".join(str(r[c]).ljust(w) for c, w in zip(cols, widths)))
    n_agree = sum(r["verdict"].startswith("agree") for r in rows)
    print(
        f"\n{n_agree} of {len(rows)} rules agree; cdisckit: {len(report.errors)} error(s), {len(report.warnings)} warning(s)"
    )
    print(
        f"time: CORE {core_s:.1f} s; cdisckit check {t['total']:.2f} s (import {t['import']:.2f}, read "
        f"{t['read']:.2f}, check {t['check']:.2f}); ratio {core_s / t['total']:.0f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
