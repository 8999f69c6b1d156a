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

# Data files carry no wall-clock time: Dataset-JSON gets this fixed creation stamp so reruns are byte-identical.
FIXED_DATETIME = "2000-01-01T00:00:00"


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


def check_datasets(
    datasets: dict[str, pd.DataFrame], *, standard: str | None, engine: str = "native", specs: dict | None = None
):
    from .checks import run_checks

    return run_checks(datasets, standard=standard, engine=engine, specs=specs)


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
_SPECS: dict = {}  # dataset name -> DatasetSpec overriding specs/ (ADaM with study-declared variables)


def _write_one(ds_name: str, folder: Path, study_id: str) -> list[Path]:
    """XPT v5 and Dataset-JSON of one dataset (of ``_TO_WRITE``) into ``folder``."""
    from .standards import dataset_spec
    from .writers.datasetjson import write_dataset_json
    from .writers.xpt import write_xpt

    df, spec = _TO_WRITE[ds_name], _SPECS.get(ds_name) or dataset_spec(ds_name)
    xpt, js = folder / f"{ds_name.lower()}.xpt", folder / f"{ds_name.lower()}.json"
    write_xpt(df, xpt, spec, name=ds_name)
    write_dataset_json(df, spec, js, study_oid=study_id, created=FIXED_DATETIME)
    return [xpt, js]


def _write_all(datasets: dict[str, pd.DataFrame], folder: Path, study_id: str) -> None:
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
                for future in [pool.submit(_write_one, n, folder, study_id) for n in names]:
                    future.result()  # re-raises a writer's error (e.g. a value over 200 bytes)
        else:
            for n in names:
                _write_one(n, folder, study_id)
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
    specs: dict | None = None,
) -> list[Path]:
    """Write ``out/<name>/*.xpt`` + Dataset-JSON (+ define.xml/html) through a temporary folder."""
    with staged_dir(out, name) as tmp:
        _SPECS.clear()
        _SPECS.update(specs or {})
        try:
            _write_all(datasets, tmp, study_id)
        finally:
            _SPECS.clear()
        written = [out / name / f"{n.lower()}.{ext}" for n in sorted(datasets) for ext in ("xpt", "json")]
        if define_standard:
            from .writers.define import write_define, write_define_html

            write_define(
                datasets,
                tmp / "define.xml",
                standard=define_standard,
                study=study or {"id": study_id},
                origins=origins,
                created=FIXED_DATETIME,
                specs=specs,
            )
            write_define_html(tmp / "define.xml", tmp / "define.html")
            written += [out / name / "define.xml", out / name / "define.html"]
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
    specs: dict | None = None,
):
    """Run the checks, write their reports, and raise :class:`ChecksFailed` when errors block output."""
    report = check_datasets(datasets, standard=standard, engine=engine, specs=specs)
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
):
    """Raw export -> SDTM datasets, checked, written to ``out/sdtm``. Returns (SdtmResult, CheckReport)."""
    from .sdtm import map_study
    from .sdtm.origins import derive_define_origins

    result = map_study(Path(study_dir), Path(raw_dir) if raw_dir else None, progress=progress)
    report = gate(
        result.datasets, out, "sdtm", standard="sdtmig-3.4", engine=engine, allow_errors=allow_errors, progress=progress
    )
    study_id = study_id_of(result.study)
    write_datasets(
        result.datasets,
        out,
        "sdtm",
        study_id=study_id,
        define_standard="SDTMIG",
        study=_define_study(result.study),
        origins=derive_define_origins(result.study),
        progress=progress,
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
):
    """SDTM datasets -> ADaM datasets, checked, written to ``out/adam``. Returns (datasets, CheckReport)."""
    from .adam import adam_specs, define_origins, derive_adam

    adam = derive_adam(sdtm, params, warn=warn)
    specs = {k: v for k, v in adam_specs(params).items() if k in adam}  # + the study-declared variables
    report = gate(
        adam,
        out,
        "adam",
        standard="adamig-1.3",
        engine=engine,
        allow_errors=allow_errors,
        progress=progress,
        specs=specs,
    )
    write_datasets(
        adam,
        out,
        "adam",
        study_id=study_id,
        define_standard="ADaMIG",
        study={"id": study_id},
        progress=progress,
        specs=specs,
        origins=define_origins(adam, params),
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

    study_dir = Path(study_dir).resolve() if study_dir else bundled_study_dir()
    out = Path(out)
    sdtm_result, sdtm_report = run_sdtm(
        study_dir, raw_dir, out, engine=engine, allow_errors=allow_errors, progress=progress
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
