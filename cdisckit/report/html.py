"""``report.html``: one self-contained page (inline CSS, figures as base64 PNG or inline SVG, no scripts, no external
links). Key results first, then subjects, safety, efficacy and survival as the data hold them (efficacy only where
the study has response data; the AE tables by toxicity grade or by severity), methods, and the run details in an
appendix. Same ADaM in -> same bytes out."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .. import __version__
from ..io import staged_file
from . import tables as T
from .common import without_attrs
from .efficacy_html import efficacy_section, os_section
from .fmt import esc, fmt_ci, fmt_npct, fmt_rate, isnan, months, na, note, table
from .sections import safety_section, subjects_section

CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:14px;color:#222;margin:0 auto;
max-width:1200px;padding:0 24px 48px;line-height:1.4}
h1{font-size:24px;border-bottom:2px solid #345;padding-bottom:6px}h2{font-size:20px;margin-top:36px;
border-bottom:1px solid #bbb}h3{font-size:16px;margin-top:26px}h4{font-size:14px;margin-top:18px}
table{border-collapse:collapse;margin:8px 0 14px;font-size:12.5px}th,td{border:1px solid #ccc;padding:3px 7px;
text-align:left;vertical-align:top}th{background:#eef2f6;font-weight:600}td.num{text-align:right;white-space:nowrap}
table.wide{display:block;overflow-x:auto;max-width:100%}
tr.soc td{font-weight:600;background:#f4f6f8}td.pt{padding-left:22px}tr.sub td:first-child{padding-left:22px}
.na{color:#8a4b00;font-style:italic}.note{color:#555;font-size:12.5px}
.key{background:#f7faf7;border:1px solid #cfe3cf;padding:4px 14px 10px;margin:12px 0}
figure.fig{margin:10px 0 22px}figure.fig img,figure.fig svg{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:12px;color:#555}nav ol{columns:3}code{background:#f3f3f3;padding:0 3px}
"""


# ----------------------------------------------------------------------------------------------- key results
def key_results(tabs: dict) -> str:
    """The answers first: per criterion confirmed ORR/DCR, median PFS/DoR, OS median and 6/12-month rates, TEAEs."""
    rows = []
    e, s, o = tabs["efficacy"], tabs["safety"], tabs["os"]
    if e.get("available"):
        ov = T.OVERALL
        for name, _prefix, _parcat in e["criteria"]:
            c = e[name]
            bor = c["bor"]
            if bor.get("available"):
                r = bor["rates"].set_index(["endpoint", "cohort"])
                for endpoint in dict.fromkeys(bor["rates"]["endpoint"]):
                    rows.append(
                        [f"{esc(endpoint.split(' ')[0])}, confirmed, {esc(name)}", fmt_rate(r.loc[(endpoint, ov)])]
                    )
            for key, what in (("PFS", "Median PFS"), ("DOR", "Median duration of response")):
                res = c[key]
                if res.get("available"):
                    m = res["summary"].set_index("cohort").loc[ov]
                    rows.append(
                        [
                            f"{what}, {esc(name)}, months (95% CI)",
                            f"{months(m['median'])} ({months(m['median_low'])}, {months(m['median_high'])})"
                            f" <span class='note'>from {esc(res['origin'].split(' (')[0])}</span>",
                        ]
                    )
    if o.get("available"):
        m = o["summary"].set_index("cohort").loc[T.OVERALL]
        rows.append(
            [
                "Median overall survival, months (95% CI)",
                f"{months(m['median'])} ({months(m['median_low'])}, {months(m['median_high'])})"
                f" <span class='note'>from {esc(o['origin'].split(' (')[0])}</span>",
            ]
        )
        lm = o["landmarks"]
        for r in lm[lm["cohort"] == T.OVERALL].itertuples(index=False):
            rows.append([f"Overall survival at {esc(r.label)}", fmt_ci(r.surv, r.low, r.high, 100)])
    if s.get("available"):
        ov = s["overview"]
        tot = ov[ov["cohort"] == T.TOTAL].set_index("category")
        for cat in tot.index:
            if cat.startswith("Worst "):
                continue
            r = tot.loc[cat]
            first, _, rest = cat.partition(" ")
            label = cat if first.isupper() else first.lower() + " " + rest
            rows.append([f"Subjects with {esc(label)}", fmt_npct(r["n"], r["N"], r["pct"])])
        a = s["aesi"]
        if a.get("available"):
            g = a["grades"]
            for cat in dict.fromkeys(g["category"]):
                sub = g[(g["category"] == cat) & (g["cohort"] == T.TOTAL)].set_index("grade")
                hi = [x for x in sub.index if x.startswith(">=")]
                txt = fmt_npct(sub.loc["Any", "n"], sub.loc["Any", "N"], sub.loc["Any", "pct"])
                if hi:
                    txt += f"; grade &ge;{hi[0][2:]}: {fmt_npct(sub.loc[hi[0], 'n'], sub.loc[hi[0], 'N'], sub.loc[hi[0], 'pct'])}"
                rows.append([f"{esc(cat)} (worst {esc(sub['scale'].iloc[0])}), any grade", txt])
    if not rows:
        return (
            '<div class="key"><h2 id="key">Key results</h2>'
            + na("No key results: the ADaM datasets needed are not available.")
            + "</div>"
        )
    return (
        '<div class="key"><h2 id="key">Key results</h2>'
        + table(["Result (all subjects of the population)", "Value"], rows)
        + "</div>"
    )


def populations_and_origins(tabs: dict) -> str:
    """One paragraph: which population each section uses and from which date each time is counted."""
    items = ["Safety tables: safety population (ADSL SAFFL = Y, treated), by actual arm (TRT01A)."]
    e = tabs["efficacy"]
    if e.get("available"):
        items.append("Efficacy tables and figures: efficacy population (ADSL EFFFL = Y).")
        origins = {}
        for name, _p, _c in e["criteria"]:
            for key in ("PFS", "DOR"):
                res = e[name][key]
                if res.get("available"):
                    origins[res["paramcd"]] = res["origin"]
        if tabs["os"].get("available"):
            origins["OS"] = tabs["os"]["origin"]
        for code, origin in origins.items():
            items.append(f"{esc(code)}: time counted from {esc(origin)}.")
    return note("<b>Populations and time origins.</b> " + " ".join(items))


# ----------------------------------------------------------------------------------------------- appendix
_LABELS = {
    "records_written": "Records written",
    "reconciliation": "Reconciliation of raw records",
    "checks": "Conformance checks",
    "sdtm_warnings": "Mapping warnings (the same fact on two raw forms)",
}


def _records_table(v) -> str:
    if isinstance(v, dict):
        return table(["Dataset", "Records"], [[esc(k), str(x)] for k, x in v.items()])
    return esc(v)


def _frame_rows(records) -> str:
    df = pd.DataFrame(list(records))
    head = [esc(str(c).replace("_", " ").capitalize()) for c in df.columns]
    return table(head, [[esc("" if isnan(v) else v) for v in r] for r in df.itertuples(index=False)], num_from=1)


def _checks(v) -> str:
    if isinstance(v, dict) and all(isinstance(x, dict) for x in v.values()):
        return table(
            ["Stage", "Errors", "Warnings"],
            [[esc(k.upper()), str(x.get("errors", "")), str(x.get("warnings", ""))] for k, x in v.items()],
        )
    if isinstance(v, (list, tuple)) and v and all(isinstance(x, dict) for x in v):
        df = pd.DataFrame(list(v))
        key = next((c for c in ("severity", "SEVERITY", "level") if c in df), None)
        if key:
            counts = df.groupby(key).size()
            return table(["Severity", "Findings"], [[esc(k), str(int(n))] for k, n in counts.items()])
    return esc(v)


WARNINGS_LISTED = 50


def _sdtm_warnings(v) -> str:
    """The mapping's warnings (the same fact differing between two raw forms) as a table: subject, what, and each
    form's file name (not its machine path), row, column and value; the first WARNINGS_LISTED, then a count."""
    if not isinstance(v, list) or not v:
        return "<p>none</p>"
    if not all(isinstance(w, dict) for w in v):
        return esc(v)

    def where(w: dict) -> str:
        forms = w.get("forms") or []
        return "; ".join(
            f"{Path(str(f.get('file', ''))).name} row {f.get('row', '')} {f.get('column', '')} {f.get('value', '')!r}"
            for f in forms
            if isinstance(f, dict)
        )

    rows = [
        [
            esc(w.get("subject", "")),
            esc(" ".join(str(w.get(k, "")) for k in ("fact", "kind")).strip() or w.get("message", "")),
            esc(where(w)),
        ]
        for w in v[:WARNINGS_LISTED]
    ]
    more = len(v) - WARNINGS_LISTED
    tail = f"<p>... and {more} more (all in run.json and the cSDRG).</p>" if more > 0 else ""
    return table(["Subject", "Warning", "Raw forms (file, row, column, value)"], rows, num_from=99) + tail


def appendix(run_summary: dict | None, meta: dict) -> str:
    """Run details for the record: versions, inputs (names, not machine paths), reconciliation, checks, records."""
    rs = dict(run_summary or {})
    parts = ['<h2 id="run">Appendix: run details</h2>']
    versions = {"cdisckit": rs.pop("cdisckit", __version__), **meta["versions"], **(rs.pop("standards", None) or {})}
    parts.append(
        table(["Software and standards", "Version"], [[esc(k), esc(v)] for k, v in versions.items()], num_from=99)
    )
    if not run_summary:
        parts.append(na("Run summary not available (report built from ADaM datasets only)."))
    if "study" in rs:
        parts.append(f"<p>Study: <b>{esc(rs.pop('study'))}</b></p>")
    inputs = rs.pop("inputs", None)
    if isinstance(inputs, dict):
        rows = [[esc(str(k).replace("_", " ")), esc(Path(str(v)).name if v else "-")] for k, v in inputs.items()]
        parts += ["<h3>Inputs</h3>", table(["Input", "Folder"], rows, num_from=99)]
    elif isinstance(inputs, (list, tuple)) and inputs:
        parts += ["<h3>Inputs</h3>", _frame_rows(inputs)]
    recon = rs.pop("reconciliation", None)
    if recon is not None:
        parts.append(f"<h3>{_LABELS['reconciliation']}</h3>")
        if isinstance(recon, dict):
            for k, v in recon.items():
                parts += [
                    f"<h4>{esc(str(k).replace('_', ' ').capitalize())}</h4>",
                    _frame_rows(v) if isinstance(v, list) and v else esc(v or "none"),
                ]
        elif isinstance(recon, list) and recon:
            parts.append(_frame_rows(recon))
    checks = rs.pop("checks", None)
    if checks is not None:
        parts += [f"<h3>{_LABELS['checks']}</h3>", _checks(checks)]
    rec = rs.pop("records_written", None)
    if rec is not None:
        parts += [f"<h3>{_LABELS['records_written']}</h3>", _records_table(rec)]
    if "sdtm_warnings" in rs:
        parts += [f"<h3>{_LABELS['sdtm_warnings']}</h3>", _sdtm_warnings(rs.pop("sdtm_warnings"))]
    for k, v in rs.items():
        parts += [f"<h3>{esc(str(k).replace('_', ' ').capitalize())}</h3>", _records_table(v)]
    parts += ["<h3>ADaM datasets read</h3>", "<p>" + esc(", ".join(meta["datasets"]) or "none") + "</p>"]
    return "\n".join(parts)


METHODS = """<h2 id="methods">5. Methods</h2><ul>
<li>Inputs are the ADaM datasets (ADSL, ADAE, ADRS, ADTTE, ADTR); a section whose data are missing says so.</li>
<li>Proportions: exact Clopper-Pearson 95% CI (<code>scipy.stats.binomtest(k, n).proportion_ci(method="exact")</code>).</li>
<li>Time to event: Kaplan-Meier product-limit estimate (<code>scipy.stats.ecdf</code> on
<code>scipy.stats.CensoredData</code>; CNSR = 0 event, &gt; 0 censored; AVAL in days from STARTDT, the time origin
stated in ADTTE STARTDSC). Pointwise 95% CI on the log-log scale with Greenwood variance. Median = first time
S(t) &le; 0.5; its 95% CI by Brookmeyer-Crowley: from the first time the lower pointwise limit is &le; 0.5 to the
first time the upper pointwise limit is &le; 0.5 (NE if not reached). Number at risk: subjects whose time is at
least the tick time.</li>
<li>Figures with more than 60 subjects aggregate (waterfall and spider by cohort, one drawing per panel) or show an
evenly spaced sample (swimmer); each such figure says so in its title.</li>
<li>Cohort = actual treatment (TRT01A), ordered by TRT01AN; dose level = ADSL DOSE01P when the study declares it.</li></ul>"""


def render_html(adam: dict, tabs: dict, *, run_summary: dict | None, title: str | None, fmt: str = "png") -> str:
    meta = tabs["meta"]
    cohorts = meta["cohorts"]
    title = title or f"{meta['studyid'] or 'Study'} study report"
    eff = efficacy_section(tabs["efficacy"], adam, cohorts, fmt)
    os_ = os_section(tabs["os"], cohorts, fmt)
    links = [("key", "Key results"), ("subjects", "Subjects"), ("safety", "Safety")]
    links += [("efficacy", "Efficacy")] if eff else []
    links += [("os", "Overall survival")] if os_ else []
    links += [("methods", "Methods"), ("run", "Appendix: run details")]
    nav = "<nav><ol>" + "".join(f'<li><a href="#{a}">{esc(t)}</a></li>' for a, t in links) + "</ol></nav>"
    body = [
        f"<h1>{esc(title)}</h1>",
        note(
            f"Generated by cdisckit {esc(__version__)} from ADaM datasets; standards "
            + ", ".join(f"{esc(k)} {esc(v)}" for k, v in meta["versions"].items())
            + "."
        ),
        nav,
        key_results(tabs),
        populations_and_origins(tabs),
        subjects_section(
            tabs["disposition"], tabs["populations"], tabs["demographics"], tabs["exposure"], tabs["deaths"]
        ),
        safety_section(tabs["safety"]),
    ]
    if not eff:
        body.append(note(f"No efficacy section: {esc(tabs['efficacy'].get('note', 'no response data'))}."))
    body += [eff, os_, METHODS, appendix(run_summary, meta)]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n"
        + "\n".join(b for b in body if b)
        + "\n</body></html>\n"
    )


@contextmanager
def _old_objects_frozen():
    """Objects alive before the report (the ADaM frames, imported modules) moved out of the garbage collector's
    reach while it runs (``gc.freeze``), so that the full collections the figures' many objects trigger do not walk
    them again each time; yields a function that freezes what is alive now too. Nothing is frozen when the caller
    froze objects itself."""
    if gc.get_freeze_count():
        yield lambda: None
        return
    gc.freeze()
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


def build_report(
    adam: dict[str, pd.DataFrame],
    out_path,
    *,
    run_summary: dict | None = None,
    title: str | None = None,
    figure_format: str = "png",
) -> Path:
    """Write the self-contained study report to ``out_path`` (temporary file, then move) and return its path."""
    if figure_format not in ("png", "svg"):
        raise ValueError("figure_format must be 'png' or 'svg'")
    with _old_objects_frozen() as freeze:
        tabs = T.compute_tables(adam)
        freeze()  # + the tables and what their computation imported (scipy)
        text = render_html(without_attrs(adam), tabs, run_summary=run_summary, title=title, fmt=figure_format)
    out_path = Path(out_path)
    with staged_file(out_path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out_path
