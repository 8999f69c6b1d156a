"""Shared fixtures: one run of the whole pipeline on the bundled study, reused by every end-to-end test."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cdisckit.cli import main


@pytest.fixture(scope="session")
def bundled_run(tmp_path_factory):
    """``cdisckit run --out OUT`` on the bundled study, as a user runs it: (OUT folder, click result)."""
    out = tmp_path_factory.mktemp("bundled") / "out"
    result = CliRunner().invoke(main, ["-q", "run", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result
