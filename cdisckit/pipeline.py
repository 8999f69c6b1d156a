"""The stages wired together: raw -> SDTM -> ADaM -> checks -> writers -> report.

Each function takes and returns plain data (dicts of DataFrames, paths) so it can be used from Python;
the CLI only parses options and prints. Heavy modules are imported inside the functions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import ChecksFailed, InputError
from .io import staged_dir, staged_file

Progress = Callable[[str], None]

# Data files carry no wall-clock time: their creation stamp comes from the data (the data cut-off date, TS DCUTDTC),
# and only a study without one falls back to this fixed stamp, so reruns are byte-identical.
FIXED_DATETIME = "2000-01-01T00:00:00"


def creation_datetime(datasets: dict[str, pd.DataFrame]) -> str:
    """Creation stamp of define.xml and Dataset-JSON: the data cut-off date of TS (DCUTDTC), else FIXED_DATETIME.

    >>> ts = pd.DataFrame({"TSPARMCD": ["TITLE", "DCUTDTC"], "TSVAL": ["A study", "2026-12-31"]})
    >>> creation_datetime({"TS": ts}), creation_datetime({})
    ('2026-12-31T00:00:00', '2000-01-01T00:00:00')
    """
    ts = datasets.get("TS")
    if ts is not None and {"TSPARMCD", "TSVAL"} <= set(ts.columns):
        cut = ts.loc[ts["TSPARMCD"] == "DCUTDTC", "TSVAL"].dropna()
        if len(cut) and len(str(cut.iloc[0])) == 10:
            return f"{cut.iloc[0]}T00:00:00"
    return FIXED_DATETIME


def _noop(_msg: str) -> None:
    pass


def bundled_study_dir() -> Path:
    """The study folder that ships with the repository (the only one under mappings/ with a study.yaml)."""
    root = Path(__file__).resolve().parent.parent / "mappings"
    studies = sorted(p.parent for p in root.glob("*/study.yaml"))
    if not studies:
        raise InputError("no bundled study found; pass STUDY_DIR", file=root)
    return studies[0]


@dataclass
class StageResult:
    datasets: dict[str, pd.DataFrame]
    report: object | None = None  # cdisckit.checks.CheckReport
    written: list[Path] = field(default_factory=list)
    blocked: bool = False


def check_datasets(datasets: dict[str, pd.DataFrame], *, standard: str | None, engine: str = "native"):
    from .checks import run_checks

    return run_checks(datasets, standard=standard, engine=engine)


def write_check_reports(report, datasets: dict[str, pd.DataFrame], out: Path, stem: str, standard: str) -> list[Path]:
    """JSON, JUnit and HTML reports of one check run, and the GX suites behind it, in ``out/checks/``."""
    from .checks import export_suites

    folder = Path(out) / "checks"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{stem}.json", folder / f"{stem}.junit.xml", folder / f"{stem}.html"]
    report.to_json(paths[0])
    report.to_junit(paths[1])
    report.to_html(paths[2])
    with staged_dir(folder / "suites", stem) as tmp:
        export_suites(datasets, tmp, standard=standard)
    return paths


def write_run_summary(out: Path, summary: dict) -> Path:
    """``out/run.json``: what was read, mapped, dropped, written and found."""
    with staged_file(Path(out) / "run.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return Path(out) / "run.json"


# Studies at least this large are written by one process per core (fork: frames are shared, not pickled).
PARALLEL_MIN_ROWS = 200_000
_TO_WRITE: dict[str, pd.DataFrame] = {}


def _write_one(ds_name: str, folder: Path, study_id: str, created: str = FIXED_DATETIME) -> list[Path]:
    """XPT v5 and Dataset-JSON of one dataset (of ``_TO_WRITE``) into ``folder``."""
    from .standards import dataset_spec
    from .writers.datasetjson import write_dataset_json
    from .writers.xpt import write_xpt

    df, spec = _TO_WRITE[ds_name], dataset_spec(ds_name)
    xpt, js = folder / f"{ds_name.lower()}.xpt", folder / f"{ds_name.lower()}.json"
    write_xpt(df, xpt, spec, name=ds_name)
    write_dataset_json(df, spec, js, study_oid=study_id, created=created)
    return [xpt, js]


def _write_all(datasets: dict[str, pd.DataFrame], folder: Path, study_id: str, created: str = FIXED_DATETIME) -> None:
    """Write every dataset, in parallel processes when the study is large and the platform can fork."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    _TO_WRITE.clear()
    _TO_WRITE.update(datasets)
    names = sorted(datasets, key=lambda n: -len(datasets[n]))  # largest first
    workers = min(os.cpu_count() or 1, len(names))
    try:
        if (
            workers > 1
            and sum(map(len, datasets.values())) >= PARALLEL_MIN_ROWS
            and "fork" in multiprocessing.get_all_start_methods()
        ):
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                for future in [pool.submit(_write_one, n, folder, study_id, created) for n in names]:
                    future.result()  # re-raises a writer's error (e.g. a value over 200 bytes)
        else:
            for n in names:
                _write_one(n, folder, study_id, created)
    finally:
        _TO_WRITE.clear()


def write_datasets(
    datasets: dict[str, pd.DataFrame],
    out: Path,
    name: str,
    *,
    study_id: str,
    define_standard: str | None = None,
    study: dict | None = None,
    origins: dict | None = None,
    progress: Progress = _noop,
    comments: dict | None = None,
    dictionaries: dict | None = None,
    extra: dict[str, str] | None = None,
    created: str | None = None,
) -> list[Path]:
    """Write ``out/<name>/*.xpt`` + Dataset-JSON (+ define.xml/html, + ``extra`` text files such as the reviewer's
    guide) through a temporary folder. Creation stamps come from the data (:func:`creation_datetime`)."""
    created = created or creation_datetime(datasets)
    with staged_dir(out, name) as tmp:
        _write_all(datasets, tmp, study_id, created)
        written = [out / name / f"{n.lower()}.{ext}" for n in sorted(datasets) for ext in ("xpt", "json")]
        if define_standard:
            from .writers.define import write_define, write_define_html

            write_define(
                datasets,
                tmp / "define.xml",
                standard=define_standard,
                study=study or {"id": study_id},
                origins=origins,
                created=created,
                comments=comments,
                dictionaries=dictionaries,
            )
            write_define_html(tmp / "define.xml", tmp / "define.html")
            written += [out / name / "define.xml", out / name / "define.html"]
        for fname, text in (extra or {}).items():
            (tmp / fname).write_text(text, encoding="utf-8")
            written.append(out / name / fname)
        progress(f"wrote {len(datasets)} datasets to {out / name}")
    return written


def gate(
    datasets: dict[str, pd.DataFrame],
    out: Path,
    stage: str,
    *,
    standard: str,
    engine: str,
    allow_errors: bool,
    progress: Progress = _noop,
):
    """Run the checks, write their reports, and raise :class:`ChecksFailed` when errors block output."""
    report = check_datasets(datasets, standard=standard, engine=engine)
    write_check_reports(report, datasets, out, stage, standard)
    progress(f"checks {stage}: {len(report.errors)} error(s), {len(report.warnings)} warning(s)")
    if report.has_errors and not allow_errors:
        raise ChecksFailed(
            f"{len(report.errors)} conformance error(s) in {stage.upper()}; no .xpt written. "
            f"See {Path(out) / 'checks' / (stage + '.html')} (or rerun with --allow-errors).\n"
            + report.console_summary()
        )
    return report


def run_sdtm(
    study_dir: Path,
    raw_dir: Path | None,
    out: Path,
    *,
    engine: str = "native",
    allow_errors: bool = False,
    progress: Progress = _noop,
    warn: Progress = _noop,
):
    """Raw export -> SDTM datasets, checked, written to ``out/sdtm`` with define.xml and the cSDRG (csdrg.html).
    Returns (SdtmResult, CheckReport)."""
    from .sdtm import map_study
    from .sdtm.origins import derive_define_comments, derive_define_origins
    from .writers.guide import build_csdrg, load_guide, study_spec_files

    result = map_study(Path(study_dir), Path(raw_dir) if raw_dir else None, progress=progress)
    for w in result.warnings:
        warn(w["message"])
    guide = load_guide(result.study.get("reviewers_guide"))
    report = gate(
        result.datasets, out, "sdtm", standard="sdtmig-3.4", engine=engine, allow_errors=allow_errors, progress=progress
    )
    study_id = study_id_of(result.study)
    raw = Path(raw_dir) if raw_dir else Path(result.study["dir"]) / str(result.study.get("raw") or ".")
    csdrg = build_csdrg(
        result.datasets,
        study=result.study,
        guide=guide,
        report=report.to_dict(),
        reconciliation=result.reconciliation,
        warnings=result.warnings,
        spec_files=study_spec_files(result.study),
        raw_files=sorted(p for p in raw.glob("*") if p.is_file()),
    )
    write_datasets(
        result.datasets,
        out,
        "sdtm",
        study_id=study_id,
        define_standard="SDTMIG",
        study=_define_study(result.study),
        origins=derive_define_origins(result.study),
        progress=progress,
        comments=derive_define_comments(result.study, result.datasets, guide),
        dictionaries=(result.study.get("design") or {}).get("dictionaries"),
        extra={"csdrg.html": csdrg},
    )
    return result, report


def run_adam(
    sdtm: dict[str, pd.DataFrame],
    params: dict,
    out: Path,
    *,
    study_id: str,
    engine: str = "native",
    allow_errors: bool = False,
    progress: Progress = _noop,
    warn: Progress = _noop,
    guide: dict | None = None,
    spec_files: list[Path] | None = None,
    dictionaries: dict | None = None,
):
    """SDTM datasets -> ADaM datasets, checked, written to ``out/adam`` with define.xml and the ADRG (adrg.html).
    Returns (datasets, CheckReport)."""
    from .adam import derive_adam
    from .writers.guide import build_adrg

    adam = derive_adam(sdtm, params, warn=warn)
    report = gate(adam, out, "adam", standard="adamig-1.3", engine=engine, allow_errors=allow_errors, progress=progress)
    adrg = build_adrg(
        adam,
        sdtm=sdtm,
        guide=guide or {},
        report=report.to_dict(),
        dictionaries=dictionaries,
        spec_files=spec_files,
        study_id=study_id,
    )
    created = creation_datetime(sdtm)  # ADaM carries no TS: its stamp is the SDTM data cut-off as well
    write_datasets(
        adam,
        out,
        "adam",
        study_id=study_id,
        define_standard="ADaMIG",
        study={"id": study_id},
        progress=progress,
        extra={"adrg.html": adrg},
        created=created,
    )
    return adam, report


def _define_study(study: dict) -> dict:
    sid = study_id_of(study)
    return {"id": sid, "name": sid, "description": str(study.get("description", "")), "protocol": sid}


def reconciliation_table(recon: dict) -> dict:
    """The SDTM stage's reconciliation (forms, domains, unmapped rows) as JSON-ready records."""
    return {name: json.loads(table.to_json(orient="records")) for name, table in recon.items()}


def study_id_of(study: dict) -> str:
    return str(study.get("study", ""))


def run_study(
    study_dir: Path | None = None,
    raw_dir: Path | None = None,
    out: Path = Path("out"),
    *,
    params_file: Path | None = None,
    engine: str = "native",
    allow_errors: bool = False,
    progress: Progress = _noop,
    warn: Progress = _noop,
) -> dict:
    """The whole pipeline for one study; returns the run summary also written to ``out/run.json``."""
    from . import __version__
    from .adam import load_params
    from .writers.guide import load_guide

    study_dir = Path(study_dir).resolve() if study_dir else bundled_study_dir()
    out = Path(out)
    sdtm_result, sdtm_report = run_sdtm(
        study_dir, raw_dir, out, engine=engine, allow_errors=allow_errors, progress=progress, warn=warn
    )
    study_id = study_id_of(sdtm_result.study)
    params = load_params(params_file, study_dir=study_dir)
    adam, adam_report = run_adam(
        sdtm_result.datasets,
        params,
        out,
        study_id=study_id,
        engine=engine,
        allow_errors=allow_errors,
        progress=progress,
        warn=warn,
        guide=load_guide(sdtm_result.study.get("reviewers_guide")),
        spec_files=[Path(params_file) if params_file else study_dir / "adam.yaml"],
        dictionaries=(sdtm_result.study.get("design") or {}).get("dictionaries"),
    )
    summary = {
        "cdisckit": __version__,
        "study": study_id,
        "standards": {"SDTMIG": "3.4", "ADaMIG": "1.3", "CT": "2025-03-28"},
        "inputs": {
            "study_dir": str(study_dir),
            "raw_dir": str(Path(raw_dir or study_dir / sdtm_result.study["raw"]).resolve()),
        },
        "reconciliation": reconciliation_table(sdtm_result.reconciliation),
        "records_written": {
            **{k: int(len(v)) for k, v in sorted(sdtm_result.datasets.items())},
            **{k: int(len(v)) for k, v in sorted(adam.items())},
        },
        "sdtm_warnings": sdtm_result.warnings,
        "checks": {
            "sdtm": {"errors": len(sdtm_report.errors), "warnings": len(sdtm_report.warnings)},
            "adam": {"errors": len(adam_report.errors), "warnings": len(adam_report.warnings)},
        },
    }
    from .report import build_report

    build_report(adam, out / "report.html", run_summary=summary, title=f"{study_id} study report")
    progress(f"wrote {out / 'report.html'}")
    write_run_summary(out, summary)
    return summary
