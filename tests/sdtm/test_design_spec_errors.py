"""Broken copies of the trial design file (and its study.yaml keys) -> SpecError naming file, line and key."""

import pytest

from cdisckit.errors import SpecError
from cdisckit.sdtm import load_study, map_study


def _break(study_dir, name, old, new):
    path = study_dir / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    first = new.strip().splitlines()[0]
    line = [i for i, t in enumerate(text.splitlines(), 1) if first in t][0]
    return path, line


def _where(err, path, line, key):
    assert str(err).startswith(f"{path}, line {line}, key "), str(err)
    assert key in str(err)


@pytest.mark.parametrize(
    "old, new, key, message",
    [
        ("  TPHASE: PHASE I TRIAL", "  TPHASE: PHASE 1", "summary.TPHASE", "not in codelist TPHASE"),
        ("  AGEMIN: P18Y", "  AGEMIN: 18 years", "summary.AGEMIN", "ISO 8601 duration"),
        (
            "  AGEMAX: {null_flavor: PINF}",
            "  AGEMAX: {null_flavor: INFINITE}",
            "summary.AGEMAX.null_flavor",
            "null flavor",
        ),
        ("  TDIGRP:", "  TDIAGRP:", "summary.TDIAGRP", "not a TSPARMCD"),
        (
            "    elements: [SCRN, LD, CART, LEN, FU]",
            "    elements: [SCRN, LD, CART, LENV, FU]",
            "arms.LEN.elements",
            "unknown element 'LENV'",
        ),
        ("    epoch: FOLLOW-UP", "    epch: FOLLOW-UP", "elements.FU.epch", "unknown key 'epch'"),
        ("    tedur: P5D", "    tedur: 5 days", "elements.LD.tedur", "ISO 8601 duration"),
        (
            "{ietestcd: IN01, iecat: INCLUSION,",
            "{ietestcd: IN01, iecat: INCLUDED,",
            "criteria[0].iecat",
            "not in codelist IECAT",
        ),
        ("  WEEK 6: {tvstrl:", "  WEEK 6: {tvstart:", "visits.WEEK 6.tvstart", "unknown key 'tvstart'"),
        (
            "    start: {first_date: DM.RFICDTC}",
            "    start: {first_date: RFICDTC}",
            "elements.SCRN.start.first_date",
            "DATASET.VARIABLE",
        ),
    ],
)
def test_bad_design_file(study_copy, old, new, key, message):
    path, line = _break(study_copy, "design.yaml", old, new)
    with pytest.raises(SpecError) as e:
        load_study(study_copy)
    _where(e.value, path, line, key)
    assert message in str(e.value)


def test_study_start_date_is_required(study_copy):
    path = study_copy / "design.yaml"
    lines = [t for t in path.read_text().splitlines(keepends=True) if not t.startswith("  SSTDTC:")]
    path.write_text("".join(lines))
    with pytest.raises(SpecError, match="SSTDTC is required"):
        load_study(study_copy)


def test_epochs_and_design_are_exclusive(study_copy):
    path, _ = _break(
        study_copy, "study.yaml", "design: design.yaml", "design: design.yaml\nepochs:\n  - {epoch: SCREENING}"
    )
    with pytest.raises(SpecError, match="either epochs: or design:"):
        load_study(study_copy)


def test_bad_data_cutoff(study_copy):
    path, line = _break(study_copy, "study.yaml", "data_cutoff: 2026-12-31", "data_cutoff: 31-Dec-2026")
    with pytest.raises(SpecError) as e:
        load_study(study_copy)
    _where(e.value, path, line, "data_cutoff")


def test_same_fact_on_an_unknown_column(study_copy):
    path, line = _break(
        study_copy, "study.yaml", "      - {form: dd, date: DTHDAT}", "      - {form: dd, date: DEATHDAT}"
    )
    with pytest.raises(SpecError) as e:
        load_study(study_copy)
    _where(e.value, path, line, "same_facts[0].forms[0].date")


def test_dm_arm_not_in_the_design_is_named(study_copy, raw_dir):
    _break(study_copy, "design.yaml", "    arm: C-CAR031 2.5x10^8 CELLS\n", "    arm: C-CAR031 250 MILLION CELLS\n")
    with pytest.raises(SpecError) as e:
        map_study(study_copy, raw_dir)
    assert "DM ARMCD 'DL2' / ARM 'C-CAR031 2.5x10^8 CELLS' is not an arm of the trial design" in str(e.value)
    assert e.value.file.endswith("design.yaml") and e.value.key == "arms"


def test_planned_visit_without_a_rule(study_copy, raw_dir):
    _break(study_copy, "design.yaml", "  MONTH 12: {tvstrl: Day 365", "  MONTH 13: {tvstrl: Day 365")
    with pytest.raises(SpecError, match="planned visit 'MONTH 12' of study.yaml has no rule"):
        map_study(study_copy, raw_dir)
