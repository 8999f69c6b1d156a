"""What the report does to be quick without changing its bytes: the garbage collector spared the objects that were
alive before it, each figure drawn once by savefig, PNGs encoded at a low zlib level with the same pixels."""

from __future__ import annotations

import base64
import gc
import io
import re

import numpy as np
import pytest

from cdisckit.report import build_report
from cdisckit.report import figures as F


def test_build_report_freezes_old_objects_only_while_it_runs(tmp_path, adam_factory):
    seen = []
    real = gc.freeze

    def spy():
        seen.append(gc.get_freeze_count())
        real()

    gc.unfreeze()
    before = gc.get_freeze_count()
    try:
        gc.freeze = spy
        build_report(adam_factory(), tmp_path / "report.html")
    finally:
        gc.freeze = real
    assert seen and seen[0] == 0  # frozen at the start
    assert gc.get_freeze_count() == before == 0  # and unfrozen at the end


def test_build_report_leaves_a_callers_frozen_objects_frozen(tmp_path, adam_factory):
    gc.freeze()
    try:
        build_report(adam_factory(), tmp_path / "report.html")
        assert gc.get_freeze_count() > 0  # not unfrozen by the report (unfreeze would make it 0)
    finally:
        gc.unfreeze()


def _tight_figure():
    fig, ax = F._new_figure(3.0, 2.0)
    ax.plot([0, 1, 2], [2, 0, 1], label="a line")
    ax.set_title("a title")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig


def test_embed_draws_a_tight_figure_once(monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib
    from matplotlib.figure import Figure

    draws = []
    real = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda self, renderer: draws.append(1) or real(self, renderer))
    with matplotlib.rc_context(F.RC):
        fig = _tight_figure()
        F._embed(fig, "x")  # tight_layout, then savefig
    assert len(draws) == 1
    assert fig.get_layout_engine() is None


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_embedded_png_has_the_pixels_of_a_default_savefig():
    import matplotlib

    with matplotlib.rc_context(F.RC):
        fig = _tight_figure()
        html = F._embed(fig, "x")
        default = io.BytesIO()
        fig.savefig(default, format="png", metadata={"Software": None})  # zlib level 6
    ours = base64.b64decode(re.search(r"base64,([^\"]+)", html).group(1))
    assert ours != default.getvalue()  # other bytes ...
    assert np.array_equal(_pixels(ours), _pixels(default.getvalue()))  # ... the same image
