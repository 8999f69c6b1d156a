"""A run is one transaction: whatever makes a run fail, the previous out/ stays exactly as it was (same files, same
bytes), nothing is left beside it, and leftovers of a killed run are removed by the next run."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdisckit.cli import main
from cdisckit.pipeline import bundled_study_dir

sys.path.insert(0, str(Path(__file__).resolve().parent / "sdtm"))
from sdtm_rawfixture import FORMS, write_fixture  # noqa: E402

STUDY = bundled_study_dir()


def tree(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder`` with the SHA-256 of its bytes (folders: ``dir``)."""
    return {
        str(p.relative_to(folder)): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
    }


def invoke(*args: str):
    return CliRunner().invoke(main, ["-q", *args])


@pytest.fixture(scope="session")
def previous(tmp_path_factory):
    """A successful ``cdisckit run`` on the 4-subject fixture export: (raw folder, its out/ folder)."""
    root = tmp_path_factory.mktemp("txn")
    raw = write_fixture(root / "raw")
    result = invoke("run", str(STUDY), "--raw", str(raw), "--out", str(root / "out"))
    assert result.exit_code == 0, result.output
    return raw, root / "out"


@pytest.fixture
def prev_out(previous, tmp_path):
    """A private copy of the previous run's out/ and its fingerprint; the test asserts it is unchanged."""
    out = tmp_path / "work" / "out"
    shutil.copytree(previous[1], out)
    return out, tree(out)


def _unchanged(out: Path, before: dict[str, str], also_allowed: tuple[str, ...] = ()) -> None:
    assert tree(out) == before
    siblings = sorted(p.name for p in out.parent.iterdir())
    assert siblings == sorted(["out", *also_allowed]), siblings  # no staging folder left beside out/


def _raw_with(tmp_path: Path, **overrides) -> Path:
    return write_fixture(tmp_path / "raw", overrides)


def test_bad_params_file_changes_nothing(prev_out, previous, tmp_path):
    out, before = prev_out
    params = tmp_path / "params.yaml"
    params.write_text("teae_window_days: [not, a, number]\n")
    result = invoke("run", str(STUDY), "--raw", str(previous[0]), "--out", str(out), "--params", str(params))
    assert result.exit_code == 2, result.output
    assert "params.yaml, line 1, key teae_window_days" in result.output
    _unchanged(out, before)


def test_bad_raw_form_changes_nothing(prev_out, tmp_path):
    out, before = prev_out
    cut = FORMS["ae.csv"].rstrip("\n").rsplit(",", 5)[0] + "\n"  # the last line cut short
    raw = _raw_with(tmp_path, **{"ae.csv": cut})
    result = invoke("run", str(STUDY), "--raw", str(raw), "--out", str(out))
    assert result.exit_code == 1, result.output
    n = FORMS["ae.csv"].splitlines()[0].count(",") + 1
    column = FORMS["ae.csv"].splitlines()[0].split(",")[n - 5]  # the first field cut off
    assert f"ae.csv, line 6, row 5, column {column}: the row has {n - 5} fields but the header has {n}" in result.output
    _unchanged(out, before)


def test_conformance_error_changes_nothing_and_keeps_the_findings_beside(prev_out, tmp_path):
    out, before = prev_out
    ae = FORMS["ae.csv"].replace("Hypertension,Hypertension", "\u9ad8\u8840\u538b,Hypertension")  # no ASCII spelling
    result = invoke("run", str(STUDY), "--raw", str(_raw_with(tmp_path, **{"ae.csv": ae})), "--out", str(out))
    assert result.exit_code == 1, result.output
    assert "XPT-ASCII" in result.output and "nothing written to" in result.output
    _unchanged(out, before, also_allowed=("out-failed",))
    findings = (out.parent / "out-failed" / "checks" / "sdtm.json").read_text()
    assert "XPT-ASCII" in findings and "AETERM" in findings
    assert str(out.parent / "out-failed" / "checks" / "sdtm.html") in result.output


def test_report_crash_changes_nothing(prev_out, previous, monkeypatch):
    out, before = prev_out

    def crash(*args, **kwargs):
        raise ZeroDivisionError("a bug in the report")

    monkeypatch.setattr("cdisckit.report.build_report", crash)
    result = invoke("run", str(STUDY), "--raw", str(previous[0]), "--out", str(out))
    assert result.exit_code == 2 and "internal error: ZeroDivisionError" in result.output
    _unchanged(out, before)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_interrupt_changes_nothing(prev_out, previous, monkeypatch, jobs):
    """Ctrl-C half-way (here: while ADaM is derived, after out/sdtm was staged, or while the SDTM writers run
    forked beside the derive with CDISCKIT_JOBS=2) rolls everything back."""
    monkeypatch.setenv("CDISCKIT_JOBS", jobs)
    out, before = prev_out

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("cdisckit.adam.derive_adam", interrupted)
    result = invoke("run", str(STUDY), "--raw", str(previous[0]), "--out", str(out))
    assert result.exit_code == 130 and "interrupted: no output was changed" in result.output
    _unchanged(out, before)


def test_sdtm_and_adam_commands_are_transactions(prev_out, previous, tmp_path):
    out, before = prev_out
    raw = _raw_with(tmp_path, **{"dm.csv": FORMS["dm.csv"].replace(",1,15-Jun-1968", ",1,15-Foo-1968")})
    result = invoke("sdtm", str(STUDY), "--raw", str(raw), "--out", str(out))
    assert result.exit_code == 1 and "dm.csv" in result.output and "BRTHDAT" in result.output
    _unchanged(out, before)
    params = tmp_path / "p.yaml"
    params.write_text("no_such_rule: 1\n")
    result = invoke("adam", "--sdtm", str(out / "sdtm"), "--out", str(out), "--params", str(params))
    assert result.exit_code == 2 and "p.yaml, line 1, key no_such_rule" in result.output
    _unchanged(out, before)


def test_sdtm_command_replaces_only_its_outputs(prev_out, previous):
    """A successful `cdisckit sdtm` replaces out/sdtm, its check reports and run.json; out/adam is kept."""
    out, before = prev_out
    result = invoke("sdtm", str(STUDY), "--raw", str(previous[0]), "--out", str(out))
    assert result.exit_code == 0, result.output
    after = tree(out)
    assert {k: v for k, v in after.items() if k.startswith("adam")} == {
        k: v for k, v in before.items() if k.startswith("adam")
    }
    assert after["sdtm/dm.xpt"] == before["sdtm/dm.xpt"]  # same input, same bytes
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]


def test_check_and_report_files_all_or_nothing(prev_out, tmp_path):
    out, before = prev_out
    json_path, html = tmp_path / "c.json", tmp_path / "sub" / "c.html"
    json_path.write_text("previous")
    (tmp_path / "afile").write_text("x")
    result = invoke("check", str(out / "sdtm"), "--json", str(json_path), "--html", str(tmp_path / "afile" / "c.html"))
    assert result.exit_code == 2 and "afile is a file, not a folder" in result.output
    assert json_path.read_text() == "previous"  # the --json report was not replaced either
    assert not list(tmp_path.glob(".c.json*"))
    result = invoke("check", str(out / "sdtm"), "--json", str(json_path), "--html", str(html))
    assert result.exit_code == 0 and json_path.read_text().startswith("{") and html.exists()
    bad_adam = tmp_path / "adam"
    shutil.copytree(out / "adam", bad_adam)
    (bad_adam / "adsl.xpt").write_bytes(b"not an xpt file")
    report = tmp_path / "report.html"
    report.write_text("previous report")
    result = invoke("report", str(bad_adam), "--out", str(report))
    assert result.exit_code != 0 and "adsl.xpt" in result.output
    assert report.read_text() == "previous report" and not list(tmp_path.glob(".report.html*"))
    _unchanged(out, before)


def test_output_path_under_a_file_is_a_located_error(tmp_path):
    (tmp_path / "some_file").write_text("x")
    result = invoke(
        "sdtm", str(STUDY), "--raw", str(write_fixture(tmp_path / "raw")), "--out", str(tmp_path / "some_file" / "x")
    )
    assert result.exit_code == 1 and "internal error" not in result.output
    assert f"cannot create the output folder: {tmp_path / 'some_file'} is a file, not a folder" in result.output


def _wait_for_staging(parent: Path, proc: subprocess.Popen, timeout: float = 240) -> Path:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        staged = [p for p in parent.iterdir() if ".cdisckit-tmp-" in p.name and (p / "checks").exists()]
        if staged:
            return staged[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("the run never staged its output")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_killed_run_leaves_out_and_next_run_cleans_up(prev_out, previous, sig):
    """A real process, interrupted (Ctrl-C) or killed (kill -9) once it has staged output: out/ is unchanged;
    after kill -9 the staging folder is left, never read as output, and the next run removes it."""
    out, before = prev_out
    cmd = [sys.executable, "-m", "cdisckit.cli", "-q", "run", str(STUDY), "--raw", str(previous[0]), "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    staged = _wait_for_staging(out.parent, proc)
    os.kill(proc.pid, sig)
    output, _ = proc.communicate(timeout=120)
    assert tree(out) == before
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "interrupted: no output was changed" in output
        assert sorted(p.name for p in out.parent.iterdir()) == ["out"]
        return
    assert staged.exists()  # kill -9 cannot clean up ...
    assert invoke("check", str(out / "sdtm")).exit_code == 0  # ... and the leftover is not read as output
    result = invoke("sdtm", str(STUDY), "--raw", str(previous[0]), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert not staged.exists() and sorted(p.name for p in out.parent.iterdir()) == ["out"]
