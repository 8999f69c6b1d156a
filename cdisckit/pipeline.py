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
from .memory import release_memory, use_system_allocator
from .transaction import OutputFolder

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


BUNDLED_STUDY = "c-car031"  # what `cdisckit run` with no STUDY_DIR maps


def bundled_mappings_dir() -> Path:
    """``mappings/`` of the checkout, or ``cdisckit/mappings`` where cdisckit was installed from a wheel."""
    here = Path(__file__).resolve().parent
    for root in (here / "mappings", here.parent / "mappings"):
        if root.is_dir():
            return root
    return here / "mappings"


def bundled_study_dir(name: str = BUNDLED_STUDY) -> Path:
    """A study folder that ships with cdisckit (``mappings/<name>/``, its raw export under ``examples/``)."""
    root = bundled_mappings_dir()
    if (root / name / "study.yaml").is_file():
        return root / name
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
    for p in paths:
        p.unlink(missing_ok=True)  # never write through a hard link to the previous run's file
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


def _dataset_steps(
    datasets: dict[str, pd.DataFrame],
    folder: Path,
    study_id: str,
    created: str = FIXED_DATETIME,
    specs: dict | None = None,
) -> list:
    """One step per file: the XPT v5 and the Dataset-JSON of every dataset into ``folder``, in name order.
    ``specs``: dataset name -> DatasetSpec overriding specs/ (ADaM with study-declared variables)."""
    from functools import partial

    from .formats.datasetjson import write_dataset_json
    from .formats.xpt import write_xpt
    from .standards import dataset_spec

    steps = []
    for ds_name in sorted(datasets):
        df, spec = datasets[ds_name], (specs or {}).get(ds_name) or dataset_spec(ds_name)
        steps.append(partial(write_xpt, df, folder / f"{ds_name.lower()}.xpt", spec, name=ds_name))
        steps.append(
            partial(
                write_dataset_json, df, spec, folder / f"{ds_name.lower()}.json", study_oid=study_id, created=created
            )
        )
    return steps


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
    shown: Path | None = None,
    comments: dict | None = None,
    dictionaries: dict | None = None,
    extra: dict[str, str] | None = None,
    created: str | None = None,
    specs: dict | None = None,
) -> list[Path]:
    """Write ``out/<name>/*.xpt`` + Dataset-JSON (+ define.xml/html, + ``extra`` text files such as the reviewer's
    guide) through a temporary folder. Creation stamps come from the data (:func:`creation_datetime`). The files
    are written on two threads where the machine has two CPUs (:mod:`cdisckit.threads`): the same bytes.

    ``shown``: the folder named in the progress message (the final ``out/`` while ``out`` is a staging folder)."""
    from .threads import run_steps

    created = created or creation_datetime(datasets)
    with staged_dir(out, name) as tmp:
        what = " and define.xml" if define_standard else ""
        progress(f"writing {len(datasets)} {name} datasets (XPT v5, Dataset-JSON){what}")
        steps = _dataset_steps(datasets, tmp, study_id, created, specs)
        rows = [len(datasets[n]) for n in sorted(datasets) for _ in (0, 1)]
        written = [out / name / f"{n.lower()}.{ext}" for n in sorted(datasets) for ext in ("xpt", "json")]
        if define_standard:
            from functools import partial

            from .writers.define import write_define

            steps.append(
                partial(
                    write_define,
                    datasets,
                    tmp / "define.xml",
                    standard=define_standard,
                    study=study or {"id": study_id},
                    origins=origins,
                    created=created,
                    comments=comments,
                    dictionaries=dictionaries,
                    specs=specs,
                )
            )
            rows.append(sum(rows) // 2)  # define.xml reads every dataset: started first
        run_steps(steps, start_first=sorted(range(len(steps)), key=lambda i: -rows[i]))
        if define_standard:
            from .writers.define import write_define_html

            write_define_html(tmp / "define.xml", tmp / "define.html")
            written += [out / name / "define.xml", out / name / "define.html"]
        for fname, text in (extra or {}).items():
            (tmp / fname).write_text(text, encoding="utf-8")
            written.append(out / name / fname)
        progress(f"wrote {len(datasets)} datasets to {(shown or out) / name}")
    release_memory()  # the writers' blocks
    return written


def with_accepted_explanations(guide: dict, study: dict) -> dict:
    """The reviewer's guide text with the reasons of study.yaml ``accepted_findings`` added as explanations (the
    guide's own explanation of the same rule wins)."""
    explanations = dict(guide.get("explanations") or {})
    for a in study.get("accepted_findings") or []:
        explanations.setdefault(f"{a['rule']}/{a['dataset']}" if a.get("dataset") else a["rule"], a["reason"])
    return {**guide, "explanations": explanations}


def accepted_reason(finding, accepted: list[dict] | None) -> str | None:
    """The study's reason for accepting a finding: an entry whose ``rule`` is the finding's rule id or one of the
    CDISC/FDA/CORE ids it cites, and whose ``dataset`` (if given) is the finding's; None when none matches.

    >>> from cdisckit.checks.report import Finding
    >>> f = Finding("BDSYCD-MISSING", "error", "AE", "AEBDSYCD", "...", "SDTMIG 3.4", refs=["CG0082"])
    >>> accepted_reason(f, [{"rule": "CG0082", "dataset": "AE", "reason": "not coded in the raw export"}])
    'not coded in the raw export'
    >>> accepted_reason(f, [{"rule": "CG0082", "dataset": "CM", "reason": "x"}]) is None
    True
    """
    for a in accepted or []:
        if a["rule"] in (finding.rule_id, *finding.refs) and a.get("dataset") in (None, finding.dataset):
            return a["reason"]
    return None


STAGE_NAMES = {"sdtm": "SDTM", "adam": "ADaM"}


def gate(
    datasets: dict[str, pd.DataFrame],
    txn: OutputFolder,
    stage: str,
    *,
    standard: str,
    engine: str,
    allow_errors: bool,
    progress: Progress = _noop,
    specs: dict | None = None,
    accepted: list[dict] | None = None,
):
    """Run the checks, write their reports, and raise :class:`ChecksFailed` when errors block output.

    Errors the study accepts (study.yaml ``accepted_findings``, see :func:`accepted_reason`) are reported but do
    not block. A blocked run changes nothing in ``out/``; its check reports are kept in ``<out>-failed/checks/``."""
    progress(f"checking {STAGE_NAMES.get(stage, stage)}: {sum(len(d) for d in datasets.values()):,} records")
    report = check_datasets(datasets, standard=standard, engine=engine, specs=specs)
    release_memory()  # the checks' working frames (at 10k: ~170 MiB handed back in ~35 ms)
    write_check_reports(report, datasets, txn.root, stage, standard)
    counts = check_counts(report, accepted)
    blocking = counts["errors"] - counts["accepted"]
    progress(
        f"checks {stage}: {counts['errors']} error(s)"
        + (f" ({counts['accepted']} accepted by the study's accepted_findings)" if counts["accepted"] else "")
        + f", {counts['warnings']} warning(s)"
    )
    if blocking and not allow_errors:
        exc = ChecksFailed(
            f"{blocking} conformance error(s) in {stage.upper()}; nothing written to {txn.shown()}. "
            f"See {txn.keep_on_failure(Path('checks') / (stage + '.html'))} (or rerun with --allow-errors).\n"
            + report.console_summary()
        )
        exc.keep = ["checks"]  # type: ignore[attr-defined]
        raise exc
    return report


def validate_study_inputs(study_dir: Path, raw_dir: Path | None):
    """Everything the SDTM stage reads, checked before any mapping or writing: study specs (SpecError), the raw
    folder, and every form the mapping reads (present, readable, with the columns it needs). Returns the study."""
    from .sdtm.forms import check_forms
    from .sdtm.spec import load_study

    study = load_study(Path(study_dir))
    check_forms(study, _raw_dir(study, raw_dir))
    return study


def _raw_dir(study: dict, raw_dir: Path | None) -> Path:
    if raw_dir is not None:
        return Path(raw_dir)
    if not study["raw"]:
        from .errors import SpecError

        raise SpecError("no raw: folder in study.yaml and none given (--raw)", file=study["file"], key="raw")
    return (Path(study["dir"]) / study["raw"]).resolve()


#: SDTM warnings printed one by one (the same fact on two forms); the rest are counted, and all are in run.json
WARNINGS_SHOWN = 20


def map_sdtm(study_dir: Path, raw_dir: Path | None, *, progress: Progress, warn: Progress = _noop):
    """Raw export -> SDTM datasets (the map, in this process); its first warnings shown, all kept on the result."""
    from .sdtm import map_study

    use_system_allocator()
    result = map_study(Path(study_dir), Path(raw_dir) if raw_dir else None, progress=progress)
    release_memory()  # the raw forms and the mapping's intermediate frames are gone
    for w in result.warnings[:WARNINGS_SHOWN]:
        warn(w["message"])
    if len(result.warnings) > WARNINGS_SHOWN:
        warn(f"... and {len(result.warnings) - WARNINGS_SHOWN} more such warnings (all in run.json and the cSDRG)")
    return result


def publish_sdtm(
    result, raw_dir: Path | None, txn: OutputFolder, *, engine: str, allow_errors: bool, progress: Progress
):
    """Mapped SDTM -> checked (:func:`gate`), then written to ``<staging>/sdtm`` with define.xml and the cSDRG
    (csdrg.html). Returns the check report."""
    from .sdtm.origins import derive_define_comments, derive_define_origins
    from .writers.guide import build_csdrg, load_guide, study_spec_files

    guide = with_accepted_explanations(load_guide(result.study.get("reviewers_guide")), result.study)
    report = gate(
        result.datasets,
        txn,
        "sdtm",
        standard="sdtmig-3.4",
        engine=engine,
        allow_errors=allow_errors,
        progress=progress,
        accepted=result.study.get("accepted_findings"),
    )
    study_id = study_id_of(result.study)
    raw = _raw_dir(result.study, raw_dir)
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
        txn.root,
        "sdtm",
        study_id=study_id,
        define_standard="SDTMIG",
        study=_define_study(result.study),
        origins=derive_define_origins(result.study),
        progress=progress,
        shown=txn.shown(),
        comments=derive_define_comments(result.study, result.datasets, guide),
        dictionaries=(result.study.get("design") or {}).get("dictionaries"),
        extra={"csdrg.html": csdrg},
    )
    return report


def sdtm_stage(
    study_dir: Path,
    raw_dir: Path | None,
    txn: OutputFolder,
    *,
    engine: str,
    allow_errors: bool,
    progress: Progress,
    warn: Progress = _noop,
):
    """Raw export -> SDTM inside a transaction: mapped (:func:`map_sdtm`), checked and written
    (:func:`publish_sdtm`). Returns (SdtmResult, CheckReport)."""
    result = map_sdtm(study_dir, raw_dir, progress=progress, warn=warn)
    return result, publish_sdtm(result, raw_dir, txn, engine=engine, allow_errors=allow_errors, progress=progress)


def derive_adam_datasets(sdtm: dict[str, pd.DataFrame], params: dict, *, progress: Progress, warn: Progress):
    """SDTM datasets -> ADaM datasets (the derive, in this process)."""
    from .adam import derive_adam

    use_system_allocator()
    progress("deriving ADaM")
    adam = derive_adam(sdtm, params, warn=warn)
    release_memory()
    return adam


def gate_adam(
    adam: dict[str, pd.DataFrame],
    sdtm: dict[str, pd.DataFrame],
    params: dict,
    txn: OutputFolder,
    *,
    study_id: str,
    engine: str,
    allow_errors: bool,
    progress: Progress,
    guide: dict | None = None,
    spec_files: list[Path] | None = None,
    dictionaries: dict | None = None,
    accepted: list[dict] | None = None,
):
    """ADaM datasets -> checked (:func:`gate`); returns (CheckReport, the datasets' specs, the ADRG's HTML)."""
    from .adam import adam_specs
    from .writers.guide import build_adrg

    specs = {k: v for k, v in adam_specs(params).items() if k in adam}  # + the study-declared variables
    report = gate(
        adam,
        txn,
        "adam",
        standard="adamig-1.3",
        engine=engine,
        allow_errors=allow_errors,
        progress=progress,
        specs=specs,
        accepted=accepted,
    )
    adrg = build_adrg(
        adam,
        sdtm=sdtm,
        guide=guide or {},
        report=report.to_dict(),
        dictionaries=dictionaries,
        spec_files=spec_files,
        study_id=study_id,
    )
    return report, specs, adrg


def publish_adam(
    adam: dict[str, pd.DataFrame],
    params: dict,
    specs: dict,
    txn: OutputFolder,
    *,
    study_id: str,
    created: str,
    adrg: str,
    progress: Progress,
) -> list[Path]:
    """Checked ADaM -> ``<staging>/adam``: XPT, Dataset-JSON, define.xml and the ADRG (adrg.html)."""
    from .adam import define_origins

    return write_datasets(
        adam,
        txn.root,
        "adam",
        study_id=study_id,
        define_standard="ADaMIG",
        study={"id": study_id},
        progress=progress,
        shown=txn.shown(),
        extra={"adrg.html": adrg},
        created=created,
        specs=specs,
        origins=define_origins(adam, params),
    )


def adam_stage(
    sdtm: dict[str, pd.DataFrame],
    params: dict,
    txn: OutputFolder,
    *,
    study_id: str,
    engine: str,
    allow_errors: bool,
    progress: Progress,
    warn: Progress,
    guide: dict | None = None,
    spec_files: list[Path] | None = None,
    dictionaries: dict | None = None,
    accepted: list[dict] | None = None,
):
    """SDTM datasets -> ADaM inside a transaction: derived, checked, written to ``<staging>/adam`` with
    define.xml and the ADRG (adrg.html). Returns (datasets, CheckReport)."""
    adam = derive_adam_datasets(sdtm, params, progress=progress, warn=warn)
    report, specs, adrg = gate_adam(
        adam,
        sdtm,
        params,
        txn,
        study_id=study_id,
        engine=engine,
        allow_errors=allow_errors,
        progress=progress,
        guide=guide,
        spec_files=spec_files,
        dictionaries=dictionaries,
        accepted=accepted,
    )
    # ADaM carries no TS: its creation stamp is the SDTM data cut-off as well
    publish_adam(
        adam, params, specs, txn, study_id=study_id, created=creation_datetime(sdtm), adrg=adrg, progress=progress
    )
    return adam, report


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
    """Raw export -> SDTM datasets, checked, written to ``out/sdtm`` with ``out/checks/sdtm.*`` and
    ``out/run.json``, all or nothing. Returns (SdtmResult, CheckReport)."""
    validate_study_inputs(study_dir, raw_dir)
    with OutputFolder(out) as txn:
        result, report = sdtm_stage(
            study_dir, raw_dir, txn, engine=engine, allow_errors=allow_errors, progress=progress, warn=warn
        )
        write_run_summary(txn.root, sdtm_summary(result, report))
    return result, report


def sdtm_summary(result, report) -> dict:
    """run.json of an SDTM-only run: reconciliation, records written, check counts."""
    return {
        "reconciliation": reconciliation_table(result.reconciliation),
        "records_written": {k: int(len(v)) for k, v in sorted(result.datasets.items())},
        "checks": {"sdtm": check_counts(report, result.study.get("accepted_findings"))},
    }


def check_counts(report, accepted: list[dict] | None = None) -> dict:
    """Errors, warnings and the errors the study accepts (study.yaml ``accepted_findings``) of one check report."""
    known = sum(accepted_reason(e, accepted) is not None for e in report.errors)
    return {"errors": len(report.errors), "warnings": len(report.warnings), "accepted": known}


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
    """SDTM datasets -> ADaM datasets, checked, written to ``out/adam`` (+ ``out/checks/adam.*``), all or
    nothing. Returns (datasets, CheckReport)."""
    with OutputFolder(out) as txn:
        return adam_stage(
            sdtm,
            params,
            txn,
            study_id=study_id,
            engine=engine,
            allow_errors=allow_errors,
            progress=progress,
            warn=warn,
            guide=guide,
            spec_files=spec_files,
            dictionaries=dictionaries,
        )


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
    """The whole pipeline for one study; returns the run summary also written to ``out/run.json``.

    One transaction: every input (study specs, ADaM params, raw forms' presence and headers) is validated first,
    all of ``out/`` is written to a staging folder beside it and swapped in only when the whole run succeeded.

    With ``CDISCKIT_JOBS=2`` the SDTM checks and writers run beside the ADaM derive, the ADaM writers beside the
    report, in a forked process (:mod:`cdisckit.background`): ``progress`` is called there for their messages (the
    CLI prints them as they come). By default everything runs in this process; the outputs are the same bytes.
    """
    from .adam import load_params
    from .background import beside
    from .writers.guide import load_guide

    study_dir = Path(study_dir).resolve() if study_dir else bundled_study_dir()
    study = validate_study_inputs(study_dir, raw_dir)
    params = load_params(params_file, study_dir=study_dir)
    with OutputFolder(out) as txn:
        sdtm_result = map_sdtm(study_dir, raw_dir, progress=progress, warn=warn)
        sdtm = sdtm_result.datasets
        study_id = study_id_of(sdtm_result.study)
        # the SDTM checks and writers run beside the ADaM derive (on the second core); SDTM errors still block the
        # run before anything of ADaM is checked or written
        with beside(
            publish_sdtm, sdtm_result, raw_dir, txn, engine=engine, allow_errors=allow_errors, progress=progress
        ) as sdtm_step:
            adam = derive_adam_datasets(sdtm, params, progress=progress, warn=warn)
            sdtm_report = sdtm_step.result()
        adam_report, specs, adrg = gate_adam(
            adam,
            sdtm,
            params,
            txn,
            study_id=study_id,
            engine=engine,
            allow_errors=allow_errors,
            progress=progress,
            guide=with_accepted_explanations(load_guide(sdtm_result.study.get("reviewers_guide")), sdtm_result.study),
            spec_files=[Path(params_file) if params_file else study_dir / "adam.yaml"],
            dictionaries=(sdtm_result.study.get("design") or {}).get("dictionaries"),
            accepted=sdtm_result.study.get("accepted_findings"),
        )
        created = creation_datetime(sdtm)  # ADaM carries no TS: its stamp is the SDTM data cut-off as well
        # the ADaM writers run beside the report
        with beside(
            publish_adam, adam, params, specs, txn, study_id=study_id, created=created, adrg=adrg, progress=progress
        ) as adam_step:
            summary = _run_report(adam, sdtm_result, sdtm_report, adam_report, txn, study, raw_dir, study_dir, progress)
            adam_step.result()
        write_run_summary(txn.root, summary)
    progress(f"wrote {txn.shown('report.html')} and {txn.shown('run.json')}")
    return summary


def _run_report(adam, sdtm_result, sdtm_report, adam_report, txn, study, raw_dir, study_dir, progress) -> dict:
    """The run summary (run.json) and report.html; the SDTM datasets are dropped first (the report needs ADaM)."""
    from . import __version__
    from .report import build_report

    study_id = study_id_of(sdtm_result.study)
    sdtm_records = {k: int(len(v)) for k, v in sorted(sdtm_result.datasets.items())}
    sdtm_result.datasets.clear()  # written and checked: the report needs only ADaM
    release_memory()
    accepted = sdtm_result.study.get("accepted_findings")
    summary = {
        "cdisckit": __version__,
        "study": study_id,
        "standards": {"SDTMIG": "3.4", "ADaMIG": "1.3", "CT": "2025-03-28"},
        "inputs": {"study_dir": str(study_dir), "raw_dir": str(_raw_dir(study, raw_dir).resolve())},
        "reconciliation": reconciliation_table(sdtm_result.reconciliation),
        "records_written": {**sdtm_records, **{k: int(len(v)) for k, v in sorted(adam.items())}},
        "sdtm_warnings": sdtm_result.warnings,
        "checks": {"sdtm": check_counts(sdtm_report, accepted), "adam": check_counts(adam_report, accepted)},
    }
    progress("writing the study report")
    build_report(adam, txn.path("report.html"), run_summary=summary, title=f"{study_id} study report")
    return summary
