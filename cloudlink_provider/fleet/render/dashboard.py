"""The fleet dashboard (`--html FILE`), pure: a report's JSON -> one self-contained HTML page.

One file for a CI artifact or a static site: inline CSS and a little inline JavaScript, no CDN, no
font, no image, nothing fetched when it is viewed (the page's Content-Security-Policy forbids it).
It shows the fleet's totals; a per-customer table (status, labels, drift, new since the last run,
failures, pending users, capacity use and standards alignment where the report has them); drift
grouped by cause (the same change on N customers, with the customers for whom it is new marked);
failures; what was resolved since the last run; objects no stack manages; and, when the history
holds two runs or more, drift findings per run as a small inline SVG chart (fleet/trend.py).

Without JavaScript it is a plain page with every row shown (a <noscript> note says so). With it,
the table's headers sort (click again to reverse) and a status menu and a text box filter the rows.
Everything written into the page is HTML-escaped; the report's JSON is already secret-free
(events.py masks values), and the page adds nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from ..notify.events import DRIFT, FAILURE, NEW, RESOLVED, Item, findings, group, had_history

STATUS_ORDER = ("failed", "drifted", "changed", "cancelled", "unchanged")

_CSS = """
:root{--fg:#1b1f24;--muted:#5c6670;--line:#d5dae0;--bg:#fff;--soft:#f4f6f8;--bad:#b42318;--warn:#b54708;--ok:#067647;--new:#6941c6}
[hidden]{display:none!important}*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:24px 32px;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}.muted{color:var(--muted)}
.totals{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0;padding:0;list-style:none}
.totals li{border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:110px;background:var(--soft)}
.totals b{display:block;font-size:22px}.totals .failed b{color:var(--bad)}.totals .drifted b{color:var(--warn)}.totals .unchanged b{color:var(--ok)}.totals .new b{color:var(--new)}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);white-space:nowrap}td.num,th.num{text-align:right}td.num,#customers td:first-child{white-space:nowrap}
th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;color:inherit}
th[aria-sort=ascending] button::after{content:" \\25B2"}th[aria-sort=descending] button::after{content:" \\25BC"}
.status{font-weight:600}.s-failed{color:var(--bad)}.s-drifted{color:var(--warn)}.s-unchanged{color:var(--ok)}
.badge{display:inline-block;font-size:11px;font-weight:700;border-radius:9px;padding:0 7px;margin-left:4px;color:#fff;background:var(--new);vertical-align:1px}
.label{display:inline-block;background:var(--soft);border:1px solid var(--line);border-radius:4px;padding:0 5px;margin:1px 2px;font-size:12px}
code,.what{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.controls{display:flex;gap:12px;align-items:center;margin:8px 0}.controls input{min-width:280px}
.group{border:1px solid var(--line);border-radius:8px;padding:8px 12px;margin:8px 0}.group .what{white-space:pre-wrap;word-break:break-word}
noscript p{background:#fffaeb;border:1px solid #fedf89;padding:6px 10px;border-radius:6px}
"""

_JS = """
(function(){
  var table=document.getElementById('customers'); if(!table) return;
  var body=table.tBodies[0], rows=Array.prototype.slice.call(body.rows);
  var controls=document.getElementById('controls'); controls.hidden=false;
  var status=document.getElementById('status-filter'), text=document.getElementById('text-filter');
  var shown=document.getElementById('shown');
  function apply(){
    var s=status.value, t=text.value.trim().toLowerCase(), n=0;
    rows.forEach(function(r){
      var ok=(!s||r.getAttribute('data-status')===s)&&(!t||r.textContent.toLowerCase().indexOf(t)>=0);
      r.hidden=!ok; if(ok) n++;
    });
    shown.textContent=n+' of '+rows.length+' customers shown';
  }
  status.addEventListener('change',apply); text.addEventListener('input',apply);
  var heads=table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads,function(th,col){
    var label=th.textContent, b=document.createElement('button'); b.type='button'; b.textContent=label;
    th.textContent=''; th.appendChild(b);
    b.addEventListener('click',function(){
      var dir=th.getAttribute('aria-sort')==='ascending'?'descending':'ascending';
      Array.prototype.forEach.call(heads,function(h){h.removeAttribute('aria-sort');});
      th.setAttribute('aria-sort',dir);
      var numeric=th.classList.contains('num');
      rows.sort(function(a,b){
        var x=a.cells[col].getAttribute('data-sort'), y=b.cells[col].getAttribute('data-sort'), c;
        if(numeric){x=x===''?-Infinity:parseFloat(x); y=y===''?-Infinity:parseFloat(y); c=x-y;}
        else{c=x.localeCompare(y);}
        if(c===0) c=a.cells[0].getAttribute('data-sort').localeCompare(b.cells[0].getAttribute('data-sort'));
        return dir==='ascending'?c:-c;
      });
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
  apply();
})();
"""


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _cell(text: str, sort: Any, cls: str = "", raw: bool = False) -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<td{klass} data-sort="{_e(sort)}">{text if raw else _e(text)}</td>'


def _alignment(report: Mapping[str, Any]) -> dict[str, Any]:
    standards = report.get("standards") or {}
    return {c.get("customer"): c.get("score") for c in standards.get("customers") or []}


def _capacity(row: Mapping[str, Any]) -> tuple[str, Any]:
    """(`12 of 500 (2%)`, 2.4) from a row's `capacity: {used, max}`, when the report has it."""
    cap = row.get("capacity")
    if not isinstance(cap, Mapping) or not cap.get("max"):
        return "", ""
    used, top = cap.get("used") or 0, cap["max"]
    share = 100 * used / top
    of = f" {cap['of']}" if cap.get("of") == "planned" else ""
    return f"{used:,}{of} of {top:,} ({share:.0f}%)", round(share, 2)


def _row(row: Mapping[str, Any], align: Mapping[str, Any], has_capacity: bool, has_align: bool) -> str:
    resources = row.get("resources") or []
    drifted = row.get("status") == "drifted"
    finding = [r.get("finding") or {} for r in resources] if drifted else []
    accepted = sum(1 for f in finding if f.get("accepted") and not f.get("lapsed"))
    drift = len(finding) - accepted
    new = sum(1 for f in finding if (not f.get("accepted") or f.get("lapsed"))
              and (f.get("since", NEW) == NEW or f.get("lapsed")))
    labels = row.get("labels") or {}
    label_html = " ".join(f'<span class="label">{_e(k)}={_e(v)}</span>' for k, v in sorted(labels.items()))
    label_text = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    error = (row.get("error") or "").splitlines()
    users = row.get("users") or {}
    pending = users.get("pending")
    status = str(row.get("status", ""))
    rank = STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)
    cells = [
        _cell(f"<code>{_e(row['stack'])}</code>", row["stack"], raw=True),
        _cell(f'<span class="status s-{_e(status)}">{_e(status)}</span>', f"{rank}{status}", raw=True),
        _cell(label_html, label_text, raw=True),
        _cell(f"{drift}" + (f' <span class="badge">{new} new</span>' if new else ""), drift, "num", raw=True),
        _cell(str(accepted) if accepted else "", accepted, "num"),
        _cell(error[0] if error else "", error[0] if error else ""),
        _cell("" if pending is None else str(pending), "" if pending is None else pending, "num"),
    ]
    if has_capacity:
        text, share = _capacity(row)
        cells.append(_cell(text, share, "num"))
    if has_align:
        score = align.get(row["stack"])
        cells.append(_cell("" if score is None else f"{score}%", "" if score is None else score, "num"))
    return (f'<tr data-status="{_e(status)}" data-customer="{_e(row["stack"])}" data-new="{new}">'
            + "".join(cells) + "</tr>")


def _planned(report: Mapping[str, Any]) -> list[Item]:
    """preview/up: every planned (or made) change, as items to group like drift."""
    return [Item(DRIFT, row["stack"], r.get("description") or f"{r.get('name')}: {r.get('op')}", NEW,
                 row.get("labels") or {})
            for row in report.get("stacks") or [] if row.get("status") in ("changed", "drifted")
            for r in row.get("resources") or []]


def _groups_html(report: Mapping[str, Any]) -> str:
    drifting = report.get("operation") == "drift"
    drift = [i for i in findings(report) if i.kind == DRIFT] if drifting else _planned(report)
    if not drift:
        return f'<p class="muted">{"No drift." if drifting else "No changes."}</p>'
    out = []
    for g in group(drift):
        names = ", ".join(f"<code>{_e(n)}</code>" + (' <span class="badge">new</span>' if n in g.new else "")
                          for n in g.customers)
        head = (f"The same change on {len(g.customers)} customers" if len(g.customers) > 1
                else "On 1 customer")
        badge = f' <span class="badge">new on {len(g.new)}</span>' if g.new and drifting else ""
        if not drifting:
            names = ", ".join(f"<code>{_e(n)}</code>" for n in g.customers)
        out.append(f'<div class="group" data-customers="{len(g.customers)}" data-new="{len(g.new)}">'
                   f'<div><b>{_e(head)}</b>' + badge
                   + f'</div><div class="what">{_e(g.text)}</div><div>{names}</div></div>')
    return "\n".join(out)


def _trend_html(report: Mapping[str, Any]) -> str:
    """Drift findings per run as an inline SVG bar chart (no script needed), when the history has 2+ runs:
    a bar per run (new findings darker), and the same numbers as a table for screen readers."""
    points = [p for p in report.get("trend") or [] if isinstance(p, Mapping)]
    if len(points) < 2:
        return ""
    top = max(max(int(p.get("drift", 0)) for p in points), 1)
    width, height, gap = 640, 140, 4
    bar = min(max((width - gap * len(points)) / len(points), 2), 40)
    bars = []
    for i, p in enumerate(points):
        x = i * (bar + gap)
        drift, new = int(p.get("drift", 0)), int(p.get("new", 0))
        h, hn = height * drift / top, height * min(new, drift) / top
        when = str(p.get("startedAt", ""))[:16].replace("T", " ")
        bars.append(f'<g><title>{_e(when)}: {drift} drift finding(s), {new} new, {_e(p.get("failed", 0))} '
                    f'failed</title><rect x="{x:.1f}" y="{height - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                    f'fill="#f79009"/><rect x="{x:.1f}" y="{height - hn:.1f}" width="{bar:.1f}" height="{hn:.1f}" '
                    f'fill="#6941c6"/></g>')
    rows = "".join(f"<tr><td>{_e(str(p.get('startedAt', ''))[:16].replace('T', ' '))}</td>"
                   f"<td class=\"num\">{_e(p.get('drift', 0))}</td><td class=\"num\">{_e(p.get('new', 0))}</td>"
                   f"<td class=\"num\">{_e(p.get('accepted', 0))}</td><td class=\"num\">{_e(p.get('failed', 0))}</td></tr>"
                   for p in points)
    first, last = (str(points[i].get("startedAt", ""))[:10] for i in (0, -1))
    return (f'<h2>Drift findings per run</h2><div id="trend">'
            f'<svg role="img" aria-label="drift findings per run, {len(points)} runs" width="{width}" '
            f'height="{height + 2}" viewBox="0 0 {width} {height + 2}">{"".join(bars)}</svg>'
            f'<p class="muted">{_e(first)} to {_e(last)}, {len(points)} runs, at most {top} findings; '
            f'<span style="color:#6941c6">new</span> on <span style="color:#f79009">all drift</span> '
            f'(accepted findings left out).</p>'
            f'<details><summary>the numbers</summary><table id="trend-table"><thead><tr><th>run</th>'
            f'<th class="num">drift</th><th class="num">new</th><th class="num">accepted</th>'
            f'<th class="num">failed</th></tr></thead><tbody>{rows}</tbody></table></details></div>')


def _list(items: list[tuple[str, str]], empty: str) -> str:
    if not items:
        return f'<p class="muted">{_e(empty)}</p>'
    return "<ul>" + "".join(f"<li><code>{_e(c)}</code>: {_e(t)}</li>" for c, t in items) + "</ul>"


def dashboard_html(report: Mapping[str, Any], title: str | None = None) -> str:
    """The page for one report's JSON (`FleetReport.to_json()`)."""
    operation = str(report.get("operation", "drift"))
    title = title or f"CloudLink fleet {operation}"
    rows = list(report.get("stacks") or [])
    align = _alignment(report)
    has_align = bool(align)
    has_capacity = any(isinstance(r.get("capacity"), Mapping) for r in rows)
    items = findings(report)
    totals = report.get("totals") or {}
    new_drift = sum(1 for i in items if i.kind == DRIFT and i.since == NEW)
    resolved = [(i.customer, i.text) for i in items if i.kind == RESOLVED]
    failures = [(i.customer, i.text) for i in items if i.kind == FAILURE]
    cards = [("customers", "stacks", totals.get("stacks", len(rows)))]
    cards += [(s, s, totals.get(s, 0)) for s in ("unchanged", "changed", "drifted", "failed", "cancelled")
              if totals.get(s) or s in ("unchanged", "drifted", "failed")]
    cards += [("drift findings", "findings", sum(1 for i in items if i.kind == DRIFT)),
              ("new since last run", "new", new_drift), ("resolved", "resolved", len(resolved))]
    totals_html = "".join(f'<li class="{_e(cls)}" data-total="{_e(cls)}"><b>{_e(n)}</b>{_e(label)}</li>'
                          for label, cls, n in cards)
    heads = ['<th data-key="customer">customer</th>', '<th data-key="status">status</th>',
             '<th data-key="labels">labels</th>', '<th class="num" data-key="drift">drift</th>',
             '<th class="num" data-key="accepted">accepted</th>', '<th data-key="failure">failure</th>',
             '<th class="num" data-key="pending">pending users</th>']
    if has_capacity:
        heads.append('<th class="num" data-key="capacity">capacity use</th>')
    if has_align:
        heads.append('<th class="num" data-key="alignment">standards alignment</th>')
    statuses = sorted({str(r.get("status")) for r in rows}, key=lambda s: (STATUS_ORDER + (s,)).index(s))
    options = "".join(f'<option value="{_e(s)}">{_e(s)}</option>' for s in statuses)
    history = had_history(report)
    since = ("Compared with the last run: findings new since then are marked <span class=\"badge\">new</span>."
             if history else "No earlier run to compare with: every finding counts as new.")
    unmanaged = report.get("unmanaged") or []
    unmanaged_html = ""
    if unmanaged:
        unmanaged_html = (f"<h2>In CloudLink, managed by no stack ({len(unmanaged)})</h2>"
                          + _list([(str(u.get("accountName") or u.get("account") or ""),
                                    str(u.get("description") or "")) for u in unmanaged], ""))
    meta = (f"started {_e(report.get('startedAt', ''))} · {_e(report.get('durationSeconds', ''))} s · "
            f"exit code {_e(report.get('exitCode', ''))}" + (f" · shard {_e(report['shard'])}" if report.get("shard") else ""))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{_e(title)}</h1>
<p class="muted" id="meta">{meta}</p>
<noscript><p>JavaScript is off: the table shows every customer and cannot be sorted or filtered here.</p></noscript>
<ul class="totals" id="totals">{totals_html}</ul>
<p class="muted">{since}</p>
{_trend_html(report)}
<h2>Customers</h2>
<div class="controls" id="controls" hidden>
<label>status <select id="status-filter"><option value="">any</option>{options}</select></label>
<label>filter <input id="text-filter" type="search" placeholder="customer, label (tier=gold), text"></label>
<span id="shown" class="muted"></span></div>
<table id="customers"><thead><tr>{''.join(heads)}</tr></thead>
<tbody>
{chr(10).join(_row(r, align, has_capacity, has_align) for r in rows)}
</tbody></table>
<h2>{"Drift" if operation == "drift" else "Changes"} by cause</h2>
<div id="drift-groups">{_groups_html(report)}</div>
<h2>Failures</h2>
<div id="failures">{_list(failures, "No customer failed.")}</div>
<h2>Resolved since the last run</h2>
<div id="resolved">{_list(resolved, "Nothing resolved." if history else "No earlier run to compare with.")}</div>
{unmanaged_html}
<script>{_JS}</script>
</body></html>
"""


def write_dashboard(report: Mapping[str, Any], path: Path) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(dashboard_html(report), encoding="utf-8")
