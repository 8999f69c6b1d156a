"""Command line: a thin layer over cdisckit.pipeline. Exit codes: 0 ok, 1 data errors/findings, 2 usage/environment.

Only click is imported at module level so that ``cdisckit --help`` answers instantly.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .errors import CdiscKitError

DIR = click.Path(file_okay=False, path_type=Path)
EXISTING_DIR = click.Path(exists=True, file_okay=False, path_type=Path)
EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


class _Progress:
    """Prints each step with the elapsed time on stderr (stdout stays for summaries)."""

    def __init__(self, quiet: bool = False):
        self.t0 = time.perf_counter()
        self.quiet = quiet

    def __call__(self, msg: str) -> None:
        if not self.quiet:
            click.echo(f"[{time.perf_counter() - self.t0:6.1f}s] {msg}", err=True)

    def warn(self, msg: str) -> None:
        click.secho(f"warning: {msg}", err=True, fg="yellow")


def _terminate(signum, frame):  # SIGTERM (kill, CI timeouts) unwinds like Ctrl-C: the transaction rolls back
    raise KeyboardInterrupt


def _run(ctx: click.Context, fn, *args, error_exit: int | None = None, **kwargs):
    """Call ``fn``; turn a CdiscKitError into a one-paragraph message and its exit code (or ``error_exit``)."""
    import signal
    import threading

    debug = ctx.find_root().params.get("debug", False)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        return fn(*args, **kwargs)
    except KeyboardInterrupt:
        click.secho("interrupted: no output was changed", err=True, fg="red")
        ctx.exit(130)
    except CdiscKitError as exc:
        if debug:
            raise
        click.secho(f"error: {exc}", err=True, fg="red")
        ctx.exit(error_exit or exc.exit_code)
    except Exception as exc:  # a bug: say so plainly, show the traceback only on request
        if debug:
            raise
        click.secho(
            f"internal error: {type(exc).__name__}: {exc}\n(rerun with --debug for the traceback)", err=True, fg="red"
        )
        ctx.exit(2)


def _need_engine(ctx: click.Context, engine: str) -> None:
    """``--engine gx`` needs the optional great-expectations install: say so in one line (exit 2)."""
    if engine != "gx":
        return
    import importlib.util

    if importlib.util.find_spec("great_expectations") is None:
        click.secho(
            "error: --engine gx needs great-expectations: pip install 'cdisckit[gx]' (or use --engine native)",
            err=True,
            fg="red",
        )
        ctx.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show Python tracebacks on errors.")
@click.option("--quiet", "-q", is_flag=True, help="No progress messages.")
@click.version_option(package_name="cdisckit")
@click.pass_context
def main(ctx: click.Context, debug: bool, quiet: bool) -> None:
    """cdisckit: raw clinical-trial exports -> SDTM -> ADaM -> checks -> XPT v5, Dataset-JSON, define.xml, report."""
    ctx.obj = _Progress(quiet)


_engine = click.option(
    "--engine",
    type=click.Choice(["native", "gx"]),
    default="native",
    show_default=True,
    help="Check engine: vectorised pandas, or great-expectations itself.",
)
_allow = click.option("--allow-errors", is_flag=True, help="Write outputs even when checks find errors.")
_encoding = click.option(
    "--encoding", help="Text encoding of .xpt/.json files (default UTF-8; cp1252/latin-1 text is read with a warning)."
)


@main.command()
@click.argument("study_dir", required=False, type=EXISTING_DIR)
@click.option("--raw", "raw_dir", type=EXISTING_DIR, help="Raw export folder (default: the study's `raw:`).")
@click.option("--out", "out_dir", type=DIR, default=Path("out"), show_default=True, help="Output folder.")
@click.option("--params", "params_file", type=EXISTING_FILE, help="ADaM params YAML overriding the study's adam.yaml.")
@_engine
@_allow
@click.pass_context
def run(ctx, study_dir, raw_dir, out_dir, params_file, engine, allow_errors):
    """The whole pipeline; with no arguments, the bundled study into ./out/."""
    from .pipeline import run_study

    _need_engine(ctx, engine)
    progress = ctx.obj
    summary = _run(
        ctx,
        run_study,
        study_dir,
        raw_dir,
        out_dir,
        params_file=params_file,
        engine=engine,
        allow_errors=allow_errors,
        progress=progress,
        warn=progress.warn,
    )
    click.echo(_format_summary(summary))
    click.echo(f"Outputs in {out_dir}/: sdtm/ adam/ checks/ report.html run.json")


@main.command()
@click.argument("study_dir", type=EXISTING_DIR)
@click.option("--raw", "raw_dir", type=EXISTING_DIR, help="Raw export folder (default: the study's `raw:`).")
@click.option("--out", "out_dir", type=DIR, default=Path("out"), show_default=True)
@_engine
@_allow
@click.pass_context
def sdtm(ctx, study_dir, raw_dir, out_dir, engine, allow_errors):
    """Raw export -> SDTM only (checked, then out/sdtm/*.xpt)."""
    from .pipeline import run_sdtm, sdtm_summary

    _need_engine(ctx, engine)
    result, report = _run(
        ctx, run_sdtm, study_dir, raw_dir, out_dir, engine=engine, allow_errors=allow_errors, progress=ctx.obj
    )
    click.echo(_format_summary(sdtm_summary(result, report)))


@main.command()
@click.option("--sdtm", "sdtm_dir", type=EXISTING_DIR, required=True, help="Folder of SDTM .xpt/.json/.csv/.parquet.")
@click.option("--out", "out_dir", type=DIR, default=Path("out"), show_default=True)
@click.option("--params", "params_file", type=EXISTING_FILE, help="ADaM params YAML (rules, parameter codes).")
@click.option("--study", "study_dir", type=EXISTING_DIR, help="Study folder whose adam.yaml gives the defaults.")
@_engine
@_allow
@_encoding
@click.pass_context
def adam(ctx, sdtm_dir, out_dir, params_file, study_dir, engine, allow_errors, encoding):
    """SDTM folder -> ADaM ADSL ADAE ADRS ADTTE ADTR (checked, then out/adam/*.xpt)."""
    from .adam import load_params
    from .io import read_folder
    from .pipeline import run_adam

    _need_engine(ctx, engine)

    def go():
        params = load_params(params_file, study_dir=study_dir)
        sdtm_ds = read_folder(sdtm_dir, encoding=encoding, warn=ctx.obj.warn)
        study_id = ""
        if "DM" in sdtm_ds and "STUDYID" in sdtm_ds["DM"] and len(sdtm_ds["DM"]):
            study_id = str(sdtm_ds["DM"]["STUDYID"].iloc[0])
        return run_adam(
            sdtm_ds,
            params,
            out_dir,
            study_id=study_id,
            engine=engine,
            allow_errors=allow_errors,
            progress=ctx.obj,
            warn=ctx.obj.warn,
        )

    adam_ds, _ = _run(ctx, go)
    click.echo(_format_summary({"records_written": {k: len(v) for k, v in sorted(adam_ds.items())}}))


@main.command()
@click.argument("folder", type=EXISTING_DIR)
@click.option("--standard", type=click.Choice(["sdtmig-3.4", "adamig-1.3"]), help="Default: decided per dataset.")
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), help="Write a JUnit XML report.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write a JSON report.")
@click.option("--html", type=click.Path(dir_okay=False, path_type=Path), help="Write an HTML report.")
@_engine
@_encoding
@click.pass_context
def check(ctx, folder, standard, junit, json_path, html, engine, encoding):
    """Check a folder of datasets; exit 0 clean, 1 errors found, 2 could not run."""
    from .checks import run_checks
    from .io import read_folder
    from .transaction import OutputFiles

    _need_engine(ctx, engine)

    def go():
        codes: dict = {}  # the text columns' codes, found by the reader: the checks use them
        datasets = read_folder(folder, encoding=encoding, warn=ctx.obj.warn, text_codes=codes)
        ctx.obj(f"read {len(datasets)} datasets from {folder}")
        report = run_checks(datasets, standard=standard, engine=engine, text_codes=codes)
        with OutputFiles() as txn:  # all the requested reports, or none
            for path, writer in ((junit, report.to_junit), (json_path, report.to_json), (html, report.to_html)):
                if path:
                    writer(txn.path(path))
        return report

    report = _run(ctx, go, error_exit=2)  # 1 is kept for "the data has errors"
    click.echo(report.console_summary())
    ctx.exit(1 if report.has_errors else 0)


@main.command()
@click.option("--subjects", type=click.IntRange(min=1), default=44, show_default=True, help="Subjects screened.")
@click.option("--seed", type=int, default=31, show_default=True)
@click.option("--out", "out_dir", type=DIR, required=True, help="Folder for the raw CSV forms.")
@click.option("--design", type=EXISTING_FILE, help="Design YAML (default: the bundled study's synth.yaml).")
@click.pass_context
def synth(ctx, subjects, seed, out_dir, design):
    """Write a synthetic raw export (one CSV per CRF form) of any size."""
    from .pipeline import bundled_study_dir
    from .synth import write_raw_export

    paths = _run(ctx, lambda: write_raw_export(design or bundled_study_dir() / "synth.yaml", out_dir, subjects, seed))
    click.echo(f"wrote {len(paths)} forms for {subjects} subjects to {out_dir}")


@main.command()
@click.argument("adam_dir", type=EXISTING_DIR)
@click.option(
    "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), default=Path("report.html"), show_default=True
)
@click.pass_context
def report(ctx, adam_dir, out_file):
    """Study report (safety, efficacy by RECIST 1.1 and mRECIST, KM, figures) from an ADaM folder."""
    from .io import read_folder
    from .report import build_report
    from .transaction import OutputFiles

    def go():
        adam_ds = read_folder(adam_dir)
        with OutputFiles() as txn:
            build_report(adam_ds, txn.path(out_file))

    _run(ctx, go)
    click.echo(f"wrote {out_file}")


def _keys_option(values: tuple[str, ...]) -> dict[str, list[str]]:
    out = {}
    for v in values:
        name, sep, cols = v.partition("=")
        if not sep or not cols.strip():
            raise click.BadParameter(f"{v!r}: expected DATASET=VAR1,VAR2 (e.g. AE=USUBJID,AETERM,AEDTC)")
        out[name.strip().upper()] = [c.strip().upper() for c in cols.split(",") if c.strip()]
    return out


@main.command()
@click.argument("ours", type=EXISTING_DIR)
@click.argument("reference", type=EXISTING_DIR)
@click.option("--keys", "keys", multiple=True, metavar="DS=VAR,..", help="Match records of DS by these variables.")
@click.option(
    "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), help="Write every difference (CSV)."
)
@click.pass_context
def compare(ctx, ours, reference, keys, out_file):
    """Compare two folders of datasets record by record and variable by variable (as PROC COMPARE).

    Prints per dataset the records matched and per variable the values equal; exit 0 when everything
    matches, 1 when something differs, 2 when the folders cannot be read.
    """
    from .compare import compare_datasets, read_datasets

    key_map = _keys_option(keys)
    result = _run(ctx, lambda: compare_datasets(read_datasets(ours), read_datasets(reference), key_map), error_exit=2)
    click.echo(result.table())
    if out_file:
        result.differences.to_csv(out_file, index=False)
        click.echo(f"wrote {len(result.differences)} differing values to {out_file}")
    same = result.differences.empty and result.unmatched.empty and result.only_in.empty
    ctx.exit(0 if same else 1)


def _table(records: list[dict]) -> list[str]:
    cols = list(records[0].keys())
    widths = [max(len(str(c)), *(len(str(r.get(c, ""))) for r in records)) for c in cols]
    return ["  ".join(str(c).ljust(w) for c, w in zip(cols, widths))] + [
        "  ".join(str(r.get(c, "")).ljust(w) for c, w in zip(cols, widths)) for r in records
    ]


def _format_summary(summary: dict) -> str:
    """Plain-text run summary: raw rows per form and where they went, then records per dataset."""
    lines = []
    recon = summary.get("reconciliation") or {}
    if recon.get("forms"):
        lines.append("Raw records per form")
        lines += ["  " + line for line in _table(recon["forms"])]
    if recon.get("unmapped"):
        lines.append(f"Raw rows not mapped ({len(recon['unmapped'])}, all listed in run.json)")
        lines += ["  " + line for line in _table(recon["unmapped"][:20])]
    written = summary.get("records_written") or {}
    if written:
        lines.append("Records written")
        lines.append("  " + "  ".join(f"{k} {v}" for k, v in written.items()))
    checks = summary.get("checks")
    if checks:
        lines.append(
            "Checks  "
            + "  ".join(
                f"{k}: {v['errors']} error(s)"
                + (f" ({v['accepted']} accepted by the study)" if v.get("accepted") else "")
                + f", {v['warnings']} warning(s)"
                for k, v in checks.items()
            )
        )
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
