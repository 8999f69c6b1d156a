"""Findings and the check report: JSON, JUnit XML, a self-contained HTML page and a console table.

Every writer writes a temporary file beside the target and moves it into place.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd

from ..io import staged_file
from .rules import RULES

MAX_EXAMPLES = 20
SEVERITY_ORDER = {"error": 0, "warning": 1}


@dataclass
class Finding:
    """One rule failing on one variable (or the whole dataset) of one dataset."""

    rule_id: str
    severity: str
    dataset: str
    variable: str | None
    message: str
    standard: str
    rows: list[int] = field(default_factory=list)
    n_rows: int = 0
    examples: list[dict] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)  # published ids: CG####, FB####/SD####/TRC####, CORE-######

    @property
    def identity(self) -> tuple:
        """What must be equal across engines: rule, dataset, variable, failing rows."""
        return (self.rule_id, self.dataset, self.variable, tuple(self.rows))


def sort_key(f: Finding) -> tuple:
    return (f.dataset, SEVERITY_ORDER.get(f.severity, 9), f.rule_id, f.variable or "", f.rows[:1])


def json_value(v):
    """A JSON-friendly scalar (NaN/NaT -> None, numpy -> Python, timestamps -> ISO text)."""
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        return None if pd.isna(v) else pd.Timestamp(v).isoformat()
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def examples_of(df: pd.DataFrame, rows, columns: list[str], extra: dict | None = None) -> list[dict]:
    """Up to 20 failing rows as dicts: ``row`` plus the key ``columns`` (and per-row ``extra`` fields)."""
    rows = list(rows)[:MAX_EXAMPLES]
    cols = [c for c in dict.fromkeys(columns) if c in df.columns]
    if not rows:
        return []
    part = df[cols].iloc[rows] if cols else pd.DataFrame(index=range(len(rows)))
    out = []
    for i, r in enumerate(rows):
        ex = {"row": int(r)}
        for c in cols:
            ex[c] = json_value(part[c].iloc[i])
        for k, vals in (extra or {}).items():
            if i < len(vals):
                ex[k] = json_value(vals[i])
        out.append(ex)
    return out


@dataclass
class CheckReport:
    """All findings of a run, plus which rule x dataset pairs were evaluated (for JUnit)."""

    findings: list[Finding] = field(default_factory=list)
    checked: list[tuple[str, str]] = field(default_factory=list)  # (rule_id, dataset)
    engine: str = "native"
    seconds: dict = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def to_dict(self) -> dict:
        return {
            "engine": self.engine,
            "summary": {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "datasets": sorted({d for _, d in self.checked}),
                "rules_checked": len(self.checked),
            },
            "findings": [asdict(f) for f in self.findings],
        }

    # ------------------------------------------------------------ writers
    def to_json(self, path) -> Path:
        """Write the findings as JSON (``summary`` + ``findings``)."""
        path = Path(path)
        with staged_file(path) as tmp:
            tmp.write_text(json.dumps(self.to_dict(), indent=2, default=json_value) + "\n", encoding="utf-8")
        return path

    def to_junit(self, path) -> Path:
        """JUnit XML: one testcase per rule x dataset; errors fail, warnings go to system-out."""
        path = Path(path)
        by_case: dict[tuple[str, str], list[Finding]] = {}
        for f in self.findings:
            by_case.setdefault((f.rule_id, f.dataset), []).append(f)
        cases = sorted(set(self.checked) | set(by_case), key=lambda c: (c[1], c[0]))
        root = ET.Element("testsuites", name="cdisckit checks")
        for ds in sorted({d for _, d in cases}):
            ds_cases = [c for c in cases if c[1] == ds]
            n_fail = sum(1 for c in ds_cases if any(f.severity == "error" for f in by_case.get(c, [])))
            suite = ET.SubElement(
                root, "testsuite", name=ds, tests=str(len(ds_cases)), failures=str(n_fail), errors="0", skipped="0"
            )
            for rule_id, _ in ds_cases:
                case = ET.SubElement(suite, "testcase", classname=f"cdisckit.checks.{ds}", name=rule_id)
                refs = RULES[rule_id].refs if rule_id in RULES else ()
                if refs:
                    props = ET.SubElement(case, "properties")
                    ET.SubElement(props, "property", name="refs", value=" ".join(refs))
                found = by_case.get((rule_id, ds), [])
                errs = [f for f in found if f.severity == "error"]
                if errs:
                    tag = f" [{' '.join(refs)}]" if refs else ""
                    fail = ET.SubElement(case, "failure", message=errs[0].message + tag, type=rule_id)
                    fail.text = "\n".join(_line(f) for f in errs)
                warns = [f for f in found if f.severity == "warning"]
                if warns:
                    ET.SubElement(case, "system-out").text = "\n".join("WARNING " + _line(f) for f in warns)
        ET.indent(root)
        with staged_file(path) as tmp:
            ET.ElementTree(root).write(tmp, encoding="utf-8", xml_declaration=True)
        return path

    def to_html(self, path) -> Path:
        """A self-contained HTML page: summary table, then each finding with up to 20 example rows."""
        path = Path(path)
        with staged_file(path) as tmp:
            tmp.write_text(render_html(self), encoding="utf-8")
        return path

    def console_summary(self) -> str:
        """A short plain-text table of the findings and the totals."""
        head = ("SEVERITY", "RULE", "IDS", "DATASET", "VARIABLE", "ROWS", "MESSAGE")
        rows = [
            (f.severity, f.rule_id, _ids(f), f.dataset, f.variable or "-", str(f.n_rows), _short(f.message, 70))
            for f in self.findings
        ]
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head) - 1)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r[:-1], widths)) + "  " + r[-1] for r in [head, *rows]]
        lines.append(
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s) in "
            f"{len({d for _, d in self.checked})} dataset(s) [{self.engine}]"
        )
        return "\n".join(lines)


def _ids(f: Finding) -> str:
    """The published CDISC/FDA ids of a finding (CORE ids are in the JSON/HTML reports), or '-'."""
    return ",".join(r for r in f.refs if not r.startswith("CORE-")) or "-"


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _line(f: Finding) -> str:
    rows = f" rows {f.rows[:20]}{' ...' if f.n_rows > 20 else ''}" if f.n_rows else ""
    return f"{f.dataset}.{f.variable or '*'}: {f.message}{rows}"


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:90%}th{background:#f3f3f3}
.error{color:#b00020}.warning{color:#9a6700}section{margin-bottom:1.5em}code{background:#f6f6f6}"""


def render_html(report: CheckReport) -> str:
    """The HTML page as a string (no external resources)."""
    e = html.escape
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>cdisckit checks</title>"
        f"<style>{_CSS}</style></head><body><h1>Conformance checks</h1>",
        f"<p>{len(report.errors)} error(s), {len(report.warnings)} warning(s); engine {e(report.engine)}.</p>",
        "<table><tr><th>Severity</th><th>Rule</th><th>CDISC / FDA</th><th>CORE</th><th>Dataset</th><th>Variable</th>"
        "<th>Rows</th><th>Message</th></tr>",
    ]
    for i, f in enumerate(report.findings):
        parts.append(
            f"<tr><td class='{e(f.severity)}'>{e(f.severity)}</td><td><a href='#f{i}'>{e(f.rule_id)}</a></td>"
            f"<td>{e(' '.join(r for r in f.refs if not r.startswith('CORE-')))}</td>"
            f"<td>{e(' '.join(r for r in f.refs if r.startswith('CORE-')))}</td><td>{e(f.dataset)}</td><td>{e(f.variable or '')}</td><td>{f.n_rows}</td><td>{e(f.message)}</td></tr>"
        )
    parts.append("</table>")
    for i, f in enumerate(report.findings):
        parts.append(
            f"<section id='f{i}'><h3 class='{e(f.severity)}'>{e(f.rule_id)} &middot; {e(f.dataset)}"
            f"{'.' + e(f.variable) if f.variable else ''}</h3><p>{e(f.message)}<br><small>Standard: "
            f"{e(f.standard)}{'; implements ' + e(', '.join(f.refs)) if f.refs else ''}; {f.n_rows} row(s)"
            "</small></p>"
        )
        if f.examples:
            cols = list(dict.fromkeys(k for ex in f.examples for k in ex))
            parts.append("<table><tr>" + "".join(f"<th>{e(c)}</th>" for c in cols) + "</tr>")
            for ex in f.examples:
                parts.append(
                    "<tr>"
                    + "".join(f"<td>{e('' if ex.get(c) is None else str(ex.get(c)))}</td>" for c in cols)
                    + "</tr>"
                )
            parts.append("</table>")
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "".join(parts)
