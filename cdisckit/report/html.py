"""``report.html``: one self-contained page (inline CSS, figures as base64 PNG or inline SVG, no scripts,
no external links) answering the registered outcome measures.  Same ADaM in -> same bytes out."""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__
from ..io import staged_file
from . import tables as T

CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:14px;color:#222;margin:0 auto;
max-width:1150px;padding:0 24px 48px;line-height:1.4}
h1{font-size:24px;border-bottom:2px solid #345;padding-bottom:6px}h2{font-size:20px;margin-top:36px;
border-bottom:1px solid #bbb}h3{font-size:16px;margin-top:26px}h4{font-size:14px;margin-top:18px}
table{border-collapse:collapse;margin:8px 0 14px;font-size:12.5px}th,td{border:1px solid #ccc;padding:3px 7px;
text-align:left;vertical-align:top}th{background:#eef2f6}td.num{text-align:right;white-space:nowrap}
tr.soc td{font-weight:600;background:#fafafa}td.pt{padding-left:22px}
.na{color:#8a4b00;font-style:italic}.note{color:#555;font-size:12.5px}
figure.fig{margin:10px 0 22px}figure.fig img,figure.fig svg{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:12px;color:#555}nav ol{columns:2}code{background:#f3f3f3;padding:0 3px}
"""


# ----------------------------------------------------------------------------------------------- formatting
def esc(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def _isnan(x) -> bool:
    try:
        return x is None or (isinstance(x, float) and math.isnan(x)) or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def fmt_num(x, digits=1, na="NE") -> str:
    return na if _isnan(x) else f"{float(x):.{digits}f}"


def fmt_npct(n, N, pct) -> str:
    return f"{int(n)} ({fmt_num(pct, 1, '-')}%)" if N else f"{int(n)}"


def fmt_rate(r) -> str:
    if not r["N"]:
        return "0/0"
    return f"{int(r['n'])}/{int(r['N'])} ({fmt_num(r['pct'])}%) [{fmt_num(r['ci_low'])}, {fmt_num(r['ci_high'])}]"


def months(days) -> str:
    return "NE" if _isnan(days) else f"{float(days) / T.DAYS_PER_MONTH:.1f}"


def na(note: str) -> str:
    return f'<p class="na">{esc(note)}</p>'


def table(
    header: list[str],
    rows: list[list[str]],
    row_classes: list[str] | None = None,
    num_from: int = 1,
    cell_classes: dict | None = None,
) -> str:
    """Cells are already-escaped HTML strings."""
    out = ["<table><thead><tr>", "".join(f"<th>{h}</th>" for h in header), "</tr></thead><tbody>"]
    for i, row in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = []
        for j, c in enumerate(row):
            cc = "num" if j >= num_from else ((cell_classes or {}).get((i, j), ""))
            cells.append(f'<td class="{cc}">{c}</td>' if cc else f"<td>{c}</td>")
        out.append(f"<tr{cls}>{''.join(cells)}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def frame_table(df: pd.DataFrame) -> str:
    return table(
        [esc(c) for c in df.columns],
        [[esc("" if _isnan(v) else v) for v in row] for row in df.itertuples(index=False)],
        num_from=99,
    )


# ----------------------------------------------------------------------------------------------- run summary
def _value_html(v) -> str:
    if isinstance(v, pd.DataFrame):
        return frame_table(v)
    if isinstance(v, dict):
        if v and all(isinstance(x, dict) for x in v.values()):
            return frame_table(pd.DataFrame.from_dict(v, orient="index").rename_axis("item").reset_index())
        return table(["Item", "Value"], [[esc(k), _value_html(x)] for k, x in v.items()], num_from=99)
    if isinstance(v, (list, tuple)):
        if v and all(isinstance(x, dict) for x in v):
            return frame_table(pd.DataFrame(list(v)))
        return "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in v) + "</ul>"
    return "-" if v is None else esc(v)


def _checks_html(checks) -> str:
    if isinstance(checks, (list, tuple)) and checks and all(isinstance(x, dict) for x in checks):
        df = pd.DataFrame(list(checks))
        key = next((c for c in ("severity", "SEVERITY", "level") if c in df), None)
        if key:
            counts = df.groupby(key).size()
            return table(["Severity", "Findings"], [[esc(k), str(int(n))] for k, n in counts.items()])
    return _value_html(checks)


def run_summary_section(run_summary: dict | None, meta: dict) -> str:
    rs = dict(run_summary or {})
    versions = {**meta["versions"], **(rs.pop("standards", None) or {}), **(rs.pop("versions", None) or {})}
    versions.setdefault("cdisckit", rs.pop("cdisckit", __version__))
    parts = ['<h2 id="run">1. Run summary</h2>', "<h3>Standards and versions</h3>", _value_html(versions)]
    if not run_summary:
        parts.append(na("Run summary not available (report built from ADaM datasets only)."))
    scalars = {k: rs.pop(k) for k in list(rs) if not isinstance(rs[k], (dict, list, tuple, pd.DataFrame))}
    if scalars:
        parts += ["<h3>Run</h3>", _value_html(scalars)]
    labels = {"inputs": "Inputs", "reconciliation": "Reconciliation of raw records", "checks": "Check results"}
    for key, label in labels.items():
        if key in rs:
            v = rs.pop(key)
            parts += [f"<h3>{label}</h3>", _checks_html(v) if key == "checks" else _value_html(v)]
        elif run_summary:
            parts += [f"<h3>{label}</h3>", na(f"{label}: not available")]
    for key, v in rs.items():
        parts += [f"<h3>{esc(key)}</h3>", _value_html(v)]
    parts += ["<h3>ADaM datasets read</h3>", _value_html(meta["datasets"] or ["none"])]
    return "\n".join(parts)


# ----------------------------------------------------------------------------------------------- populations
def populations_section(pop) -> str:
    head = '<h2 id="pop">2. Analysis populations</h2>'
    if isinstance(pop, dict):
        return head + na(pop["note"])
    df = pop.rename(columns={"cohort": "Cohort (TRT01A)"})
    return head + table(
        [esc(c) for c in df.columns],
        [[esc(r[0])] + ["-" if _isnan(v) else str(int(v)) for v in r[1:]] for r in df.itertuples(index=False)],
    )


# ----------------------------------------------------------------------------------------------- safety
def _cohort_header(N: dict) -> list[str]:
    return [f"{esc(c)}<br>(N={n})" for c, n in N.items()]


def _soc_pt_table(df: pd.DataFrame, N: dict, grades: list[tuple[str, str]], cohorts: list[str]) -> str:
    if df.empty:
        return na("No subjects with events.")
    header = ["System organ class<br>&nbsp;&nbsp;Preferred term"]
    for c in cohorts:
        for _g, glab in grades:
            header.append(f"{esc(c)} (N={N[c]})<br>{glab}")
    idx = df.set_index(["AEBODSYS", "AEDECOD", "cohort", "grade"])
    rows: list[list[str]] = []
    classes, cell_cls = [], {}
    keys = df[["AEBODSYS", "AEDECOD"]].drop_duplicates().itertuples(index=False)
    anyn = (
        df[(df["grade"] == "Any") & df["cohort"].isin(cohorts)]
        .groupby(["AEBODSYS", "AEDECOD"], dropna=False)["n"]
        .sum()
    )
    for soc, pt in keys:
        if anyn.get((soc, pt), 0) == 0:  # no subject in the cohorts shown: leave the row out
            continue
        i = len(rows)
        row = [esc(soc if pt is None or _isnan(pt) else pt)]
        for c in cohorts:
            for g, _ in grades:
                try:
                    r = idx.loc[(soc, pt, c, g)]
                    row.append(fmt_npct(r["n"], r["N"], r["pct"]))
                except KeyError:
                    row.append(fmt_npct(0, N[c], 0.0))
        is_soc = pt is None or _isnan(pt)
        rows.append(row)
        classes.append("soc" if is_soc else "")
        if not is_soc:
            cell_cls[(i, 0)] = "pt"
    return table(header, rows, classes, cell_classes=cell_cls)


def safety_section(s: dict, cohorts_all: list[str]) -> str:
    parts = ['<h2 id="safety">3. Safety (safety population, SAFFL = "Y")</h2>']
    if not s.get("available"):
        return parts[0] + na(f"Safety analyses not available: {s['note']}")
    N = s["N"]
    if s.get("note"):
        parts.append(f'<p class="note">{esc(s["note"])}</p>')
    parts.append(
        '<p class="note">Treatment-emergent adverse events (TEAE: ADAE.TRTEMFL = "Y"). Subjects are counted '
        "once per row, at their worst CTCAE grade (ATOXGRN) for that row; percentages use the safety "
        "population of the cohort (N).</p>"
    )
    ov = s["overview"].set_index(["category", "cohort"])
    cats = list(dict.fromkeys(s["overview"]["category"]))
    parts += [
        "<h3>3.1 Overview of TEAEs</h3>",
        table(
            ["Subjects with"] + _cohort_header(N),
            [[esc(cat)] + [fmt_npct(*ov.loc[(cat, c), ["n", "N", "pct"]]) for c in N] for cat in cats],
        ),
    ]
    cols = list(N)
    parts += [
        "<h3>3.2 TEAEs by system organ class and preferred term (any grade and CTCAE grade &ge;3)</h3>",
        _soc_pt_table(s["soc_pt"], N, [("Any", "Any grade"), (">=3", "Grade &ge;3")], cols),
    ]
    parts.append("<h3>3.3 TEAEs by system organ class, preferred term and worst CTCAE grade</h3>")
    gr = [("Any", "Any")] + [(str(g), f"Grade {g}") for g in range(1, 6)]
    if (s["soc_pt"]["grade"] == "Missing").any():
        gr.append(("Missing", "Grade missing"))
    for c in cols:
        parts += [f"<h4>{esc(c)} (N={N[c]})</h4>", _soc_pt_table(s["soc_pt"], N, gr, [c])]
    parts.append('<h3>3.4 Serious TEAEs (AESER = "Y")</h3>')
    ser = s["serious_soc_pt"]
    parts.append(
        na(ser["note"] + " (not available)")
        if isinstance(ser, dict)
        else _soc_pt_table(ser, N, [("Any", "Any grade"), (">=3", "Grade &ge;3")], cols)
    )
    parts.append("<h3>3.5 Adverse events of special interest (CRS, ICANS, ...)</h3>")
    a = s["aesi"]
    if not a.get("available"):
        parts.append(na(f"AESI summary not available: {a['note']}"))
        return "\n".join(parts)
    parts.append(
        '<p class="note">CRS and ICANS by worst ASTCT consensus grade (ASTCTGR) per subject; other AESI '
        "categories by worst CTCAE grade.  Time to onset: study day of each subject's first event of the "
        "category (ASTDY; day 1 = infusion day), median and range.</p>"
    )
    g = a["grades"]
    for cat in dict.fromkeys(g["category"]):
        sub = g[g["category"] == cat]
        scale = sub["scale"].iloc[0]
        grades = list(dict.fromkeys(sub["grade"]))
        order = (
            ["Any"]
            + sorted(x for x in grades if x not in ("Any", ">=3", "Missing"))
            + [x for x in ("Missing", ">=3") if x in grades]
        )
        idx = sub.set_index(["grade", "cohort"])
        rows = []
        for gg in order:
            lab = {"Any": "Any grade", ">=3": "Grade &ge;3", "Missing": "Grade missing"}.get(gg, f"Grade {esc(gg)}")
            rows.append(
                [lab]
                + [
                    fmt_npct(*idx.loc[(gg, c), ["n", "N", "pct"]]) if (gg, c) in idx.index else fmt_npct(0, N[c], 0.0)
                    for c in N
                ]
            )
        parts += [
            f"<h4>{esc(cat)}: worst {esc(scale)} grade</h4>",
            table([f"{esc(scale)} grade"] + _cohort_header(N), rows),
        ]
        on = a["onset"]
        if isinstance(on, pd.DataFrame) and (on["category"] == cat).any():
            o = on[on["category"] == cat].set_index("cohort")
            rows = [
                ["Subjects with onset day"] + [str(int(o.loc[c, "n"])) for c in N],
                ["Median (days, ASTDY)"] + [fmt_num(o.loc[c, "median"], 1, "-") for c in N],
                ["Range (days, ASTDY)"]
                + [
                    (
                        "-"
                        if _isnan(o.loc[c, "min"])
                        else f"{fmt_num(o.loc[c, 'min'], 0)} &ndash; {fmt_num(o.loc[c, 'max'], 0)}"
                    )
                    for c in N
                ],
            ]
            parts += [f"<h4>{esc(cat)}: time to onset from infusion</h4>", table([""] + _cohort_header(N), rows)]
        elif isinstance(on, dict):
            parts.append(na(f"Time to onset not available: {on['note']}"))
    return "\n".join(parts)


# ----------------------------------------------------------------------------------------------- efficacy
def _rates_table(rates, missing: list[str], N: dict, timepoints=T.TIMEPOINTS) -> str:
    if isinstance(rates, dict):
        return na(f"Timepoint response rates not available: {rates['note']}")
    idx = rates.set_index(["paramcd", "cohort"])
    rows = []
    for endpoint, base in (("ORR", "RSP"), ("DCR", "DC")):
        for tp, label in timepoints:
            codes = rates.loc[(rates["endpoint"] == endpoint) & (rates["timepoint"] == label), "paramcd"]
            code = codes.iloc[0] if len(codes) else None
            if code is None:
                miss = next((m for m in missing if m.endswith(f"{base}{tp}")), f"{base}{tp}")
                rows.append([f"{endpoint} {label}", esc(miss)] + ['<span class="na">not available</span>'] * len(N))
            else:
                rows.append([f"{endpoint} {label}", esc(code)] + [fmt_rate(idx.loc[(code, c)]) for c in N])
    return table(["Endpoint", "PARAMCD"] + _cohort_header(N), rows, num_from=2)


def _bor_table(bor, N: dict) -> str:
    if not bor.get("available"):
        return na(f"Best overall response not available: {bor['note']}")
    c = bor["counts"].set_index(["category", "cohort"])
    rows = [
        [esc(cat)] + [fmt_npct(*c.loc[(cat, k), ["n", "N", "pct"]]) for k in N]
        for cat in dict.fromkeys(bor["counts"]["category"])
    ]
    r = bor["rates"].set_index(["endpoint", "cohort"])
    rows += [
        [esc(e) + " [95% CI]"] + [fmt_rate(r.loc[(e, k)]) for k in N] for e in dict.fromkeys(bor["rates"]["endpoint"])
    ]
    note = f'<p class="note">{esc(bor["note"])}</p>' if bor.get("note") else ""
    return note + table([f"Confirmed BOR ({esc(bor['paramcd'])})"] + _cohort_header(N), rows)


def _km_summary(res: dict, what: str) -> str:
    if not res.get("available"):
        return na(f"{what} not available: {res['note']}")
    rows = [
        [
            esc(r.cohort),
            str(r.N),
            str(r.events),
            str(r.censored),
            f"{months(r.median)} ({months(r.median_low)}, {months(r.median_high)})",
            f"{fmt_num(r.median, 0)} ({fmt_num(r.median_low, 0)}, {fmt_num(r.median_high, 0)})",
        ]
        for r in res["summary"].itertuples(index=False)
    ]
    return table(["Cohort", "N", "Events", "Censored", "Median, months (95% CI)", "Median, days (95% CI)"], rows)


def efficacy_section(e: dict, adam: dict, cohorts: list[str], fmt: str) -> str:
    from . import figures as F

    parts = ['<h2 id="efficacy">4. Efficacy (efficacy population, EFFFL = "Y")</h2>']
    if not e.get("available"):
        return parts[0] + na(f"Efficacy analyses not available: {e['note']}")
    if e.get("note"):
        parts.append(f'<p class="note">{esc(e["note"])}</p>')
    N = e["N"]
    parts.append(
        '<p class="note">Rates: subjects with AVALC = "Y" in the timepoint parameter over all efficacy '
        "subjects of the cohort (subjects without a record count as not responding / no disease control); "
        "exact Clopper-Pearson 95% CI (scipy.stats.binomtest). ORR = CR or PR; DCR = CR, PR, SD or "
        "NON-CR/NON-PD. Kaplan-Meier medians with 95% CI by the Brookmeyer-Crowley method (inverting the "
        "pointwise log-log CI of S(t)); NE = not estimable; months = days / 30.4375.</p>"
    )
    for k, (name, prefix, parcat) in enumerate(e["criteria"], start=1):
        c = e[name]
        sec = f"4.{k}"
        parts.append(f'<h3 id="eff-{k}">{sec} {esc(name)} (PARCAT1 = {esc(parcat)})</h3>')
        parts += [
            f"<h4>{sec}.1 Objective response and disease control rates by timepoint, n/N (%) [95% CI]</h4>",
            _rates_table(c["rates"], c.get("rates_missing", []), N, c.get("timepoints", T.TIMEPOINTS)),
        ]
        parts += [f"<h4>{sec}.2 Best overall response (confirmed)</h4>", _bor_table(c["bor"], N)]
        parts.append(f"<h4>{sec}.3 Tumour size: waterfall and spider plots</h4>")
        wf = T.waterfall_data(adam, prefix)
        if wf.empty:
            parts.append(
                na(f"Waterfall plot not available: ADTR {prefix}SUMDIAM with post-baseline PCHG not available")
            )
        else:
            parts.append(
                F.waterfall_figure(
                    wf, f"Waterfall plot, {name}: best % change in sum of diameters ({prefix}SUMDIAM)", fmt
                )
            )
        sp = T.spider_data(adam, prefix)
        if sp.empty:
            parts.append(na(f"Spider plot not available: ADTR {prefix}SUMDIAM not available"))
        else:
            parts.append(
                F.spider_figure(sp, f"Spider plot, {name}: % change in sum of diameters over time", cohorts, fmt)
            )
        parts.append(
            f"<h4>{sec}.4 Swimmer plot: time from infusion to death or last known alive, responses by {esc(name)}</h4>"
        )
        sw = T.swimmer_data(adam, prefix)
        if sw.empty:
            parts.append(na("Swimmer plot not available: ADSL with TRTSDT not available"))
        else:
            parts.append(F.swimmer_figure(sw, f"Swimmer plot, {name}", cohorts, fmt))
        for j, (key, what, xlab) in enumerate(
            (
                ("DOR", "Duration of response", "Months from first response"),
                ("PFS", "Progression-free survival", "Months from STARTDT (origin)"),
            ),
            start=5,
        ):
            res = c[key]
            label = f"{what} ({esc(res.get('paramcd', prefix + ('RSD' if key == 'DOR' else 'PFS')))})"
            parts += [f"<h4>{sec}.{j} {label}</h4>", _km_summary(res, what)]
            if res.get("available"):
                parts.append(F.km_figure(res["km"], f"{what}, {name}: Kaplan-Meier", xlab, cohorts, fmt=fmt))
    return "\n".join(parts)


def os_section(o: dict, cohorts: list[str], fmt: str) -> str:
    from . import figures as F

    parts = ['<h2 id="os">5. Overall survival (efficacy population)</h2>']
    if not o.get("available"):
        return parts[0] + na(f"Overall survival not available: {o.get('note', '')}")
    parts.append(_km_summary(o, "Overall survival"))
    lm = o["landmarks"]
    rows = []
    for r in lm.itertuples(index=False):
        est = "NE" if _isnan(r.surv) else f"{100 * r.surv:.1f}% ({fmt_num(100 * r.low)}%, {fmt_num(100 * r.high)}%)"
        rows.append([esc(r.cohort), f"{esc(r.label)} (day {r.day})", str(r.at_risk), est])
    parts += [
        "<h4>OS rate at 6 and 12 months</h4>",
        '<p class="note">Kaplan-Meier estimate with pointwise 95% CI on the log-log scale (Greenwood variance; '
        'scipy.stats.ecdf(...).sf.confidence_interval(method="log-log")); NE beyond the last follow-up time.</p>',
        table(["Cohort", "Timepoint", "At risk", "OS rate (95% CI)"], rows, num_from=2),
    ]
    parts.append(
        F.km_figure(
            o["km"],
            "Overall survival: Kaplan-Meier",
            "Months from STARTDT (OS origin)",
            cohorts,
            landmarks=[(d, lab) for d, lab in T.OS_LANDMARKS],
            fmt=fmt,
        )
    )
    return "\n".join(parts)


METHODS = """<h2 id="methods">6. Methods</h2><ul>
<li>Inputs are ADaM datasets (ADSL, ADAE, ADRS, ADTTE, ADTR); a missing dataset or parameter leaves its section
"not available".</li>
<li>Proportions: exact Clopper-Pearson 95% CI (<code>scipy.stats.binomtest(k, n).proportion_ci(method="exact")</code>).</li>
<li>Time to event: Kaplan-Meier product-limit estimate (<code>scipy.stats.ecdf</code> on
<code>scipy.stats.CensoredData</code>; CNSR = 0 event, &gt; 0 censored; AVAL in days). Pointwise 95% CI on the log-log
scale with Greenwood variance. Median = first time S(t) &le; 0.5; its 95% CI by Brookmeyer-Crowley: from the first time
the lower pointwise limit is &le; 0.5 to the first time the upper pointwise limit is &le; 0.5 (NE if not reached).</li>
<li>Cohort = actual treatment (TRT01A), ordered by TRT01AN.</li></ul>"""


def render_html(adam: dict, tabs: dict, *, run_summary: dict | None, title: str | None, fmt: str = "png") -> str:
    meta = tabs["meta"]
    cohorts = meta["cohorts"]
    title = title or f"{meta['studyid'] or 'Study'} clinical study report: safety and efficacy"
    nav = (
        '<nav><ol><li><a href="#run">Run summary</a></li><li><a href="#pop">Analysis populations</a></li>'
        '<li><a href="#safety">Safety</a></li><li><a href="#efficacy">Efficacy</a></li>'
        '<li><a href="#os">Overall survival</a></li><li><a href="#methods">Methods</a></li></ol></nav>'
    )
    body = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="note">Generated by cdisckit {esc(__version__)} from ADaM datasets; standards '
        + ", ".join(f"{esc(k)} {esc(v)}" for k, v in meta["versions"].items())
        + ".</p>",
        nav,
        run_summary_section(run_summary, meta),
        populations_section(tabs["populations"]),
        safety_section(tabs["safety"], cohorts),
        efficacy_section(tabs["efficacy"], adam, cohorts, fmt),
        os_section(
            tabs["efficacy"].get("OS", {"available": False, "note": "efficacy population unknown"})
            if tabs["efficacy"].get("available")
            else {"available": False, "note": tabs["efficacy"]["note"]},
            cohorts,
            fmt,
        ),
        METHODS,
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


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
    tabs = T.compute_tables(adam)
    text = render_html(adam, tabs, run_summary=run_summary, title=title, fmt=figure_format)
    out_path = Path(out_path)
    with staged_file(out_path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out_path
