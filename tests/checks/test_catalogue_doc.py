"""docs/checks.md carries the rule catalogue generated from catalogue.yaml: it must not go stale."""

from __future__ import annotations

from pathlib import Path

from cdisckit.checks import RULES
from cdisckit.checks.catalogue_doc import BEGIN, END, catalogue_markdown, refresh

DOC = Path(__file__).resolve().parents[2] / "docs" / "checks.md"


def test_docs_checks_md_catalogue_is_current():
    text = DOC.read_text(encoding="utf-8")
    assert refresh(text) == text, (
        "docs/checks.md is stale: run `python -m cdisckit.checks.catalogue_doc docs/checks.md`"
    )


def test_catalogue_block_has_one_row_per_rule_with_its_ids():
    block = catalogue_markdown()
    rows = [line for line in block.splitlines() if line.startswith("| ") and not line.startswith("| id ")]
    assert [r.split(" | ")[0][2:] for r in rows] == list(RULES)
    (row,) = [r for r in rows if r.startswith("| AE-FATAL-DTHDTC |")]
    assert "| FB0612 | CORE-000841 | native |" in row and "shared precision" not in row.split(" | ")[1]
    assert block.startswith(BEGIN) and block.endswith(END)


def test_refresh_replaces_only_the_block():
    assert refresh(f"intro\n{BEGIN}\nold\n{END}\ntail\n") == f"intro\n{catalogue_markdown()}\ntail\n"
