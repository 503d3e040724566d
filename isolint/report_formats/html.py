"""The readiness report as one self-contained HTML page (``isolint report --format html``).

The page carries everything it needs (its stylesheet, and a few lines of script that open the
collapsed lists for printing), so it can be attached to a review, archived or opened offline
without fetching anything. Every text taken from the report is escaped: code, messages and
paths come from the audited source, which may spell anything, ``<script>`` included.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import quote

from ..checks.readiness import SAFE_VERDICTS, STATUS_RULES
from ..checks.report_records import (
    AreaReadiness, ChainStep, ContractInEffect, EntryPoint, Evidence, FindingEntry, InventoryEntry, Location,
    ReadinessReport, TenantIdentity,
)

# Lists longer than this start collapsed, so the page opens on the overview, not on one list.
OPEN_LIST_LIMIT = 8
OPEN_ENTRY_POINTS_LIMIT = 6

STATUS_CLASSES = {"Ready": "ready", "Partially ready": "partial", "Not ready": "not-ready", "Unknown": "unknown"}
SEVERITY_CLASSES = {"error": "bad", "warning": "warn"}
SUPPRESSED_ROW = ' class="suppressed"'

STYLE = """
:root {
  --text: #1f2328; --muted: #59636e; --line: #d1d9e0; --panel: #f6f8fa; --link: #0b5cc9; --code: #eff2f5;
  --ready: #1a7f37; --ready-bg: #dafbe1; --partial: #8a5300; --partial-bg: #fff1c5;
  --bad: #c21f2c; --bad-bg: #ffebe9; --unknown: #59636e; --unknown-bg: #eaeef2;
  color-scheme: light;
}
@media screen and (prefers-color-scheme: dark) {
  :root {
    --text: #e6edf3; --muted: #9198a1; --line: #3d444d; --panel: #151b23; --link: #58a6ff; --code: #262c36;
    --ready: #56d364; --ready-bg: #12361f; --partial: #e3b341; --partial-bg: #3a2c06;
    --bad: #ff7b72; --bad-bg: #4a1417; --unknown: #b0b8c1; --unknown-bg: #2a313c;
    color-scheme: dark;
  }
  body { background: #0d1117; }
}
* { box-sizing: border-box; }
html { font-size: 15px; }
body {
  margin: 0 auto; padding: 1.5rem 2rem 3rem; max-width: 92rem; color: var(--text);
  font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
h1 { font-size: 1.75rem; margin: 0 0 .25rem; }
h2 { font-size: 1.35rem; margin: 2.25rem 0 .75rem; padding-bottom: .3rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.12rem; margin: 1.75rem 0 .5rem; display: flex; gap: .6rem; align-items: center; flex-wrap: wrap; }
h4 { font-size: 1rem; margin: 1.25rem 0 .4rem; }
p { margin: .4rem 0; }
a { color: var(--link); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: .86em; }
code { background: var(--code); padding: .05rem .3rem; border-radius: 4px; overflow-wrap: break-word; }
.subtitle, .muted { color: var(--muted); }
nav.contents { margin: 1rem 0 0; display: flex; flex-wrap: wrap; gap: .35rem 1.1rem; font-size: .92rem; }
.cards { display: flex; flex-wrap: wrap; gap: .75rem; margin: .75rem 0 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: .6rem .9rem; min-width: 8.5rem; background: var(--panel); }
.card .number { font-size: 1.6rem; font-weight: 650; line-height: 1.2; }
.card .label { color: var(--muted); font-size: .85rem; }
.card.ready { border-color: var(--ready); } .card.ready .number { color: var(--ready); }
.card.partial { border-color: var(--partial); } .card.partial .number { color: var(--partial); }
.card.not-ready { border-color: var(--bad); } .card.not-ready .number { color: var(--bad); }
.card.unknown .number { color: var(--unknown); }
.badge {
  display: inline-block; padding: .08rem .55rem; border-radius: 999px; font-size: .8rem; font-weight: 600;
  white-space: nowrap; border: 1px solid currentColor; line-height: 1.45; text-indent: 0;
  -webkit-print-color-adjust: exact; print-color-adjust: exact;
}
.badge.ready, .badge.good { color: var(--ready); background: var(--ready-bg); }
.badge.partial, .badge.warn { color: var(--partial); background: var(--partial-bg); }
.badge.not-ready, .badge.bad { color: var(--bad); background: var(--bad-bg); }
.badge.unknown, .badge.neutral { color: var(--unknown); background: var(--unknown-bg); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 .8rem; font-size: .9rem; }
th, td { text-align: left; vertical-align: top; padding: .4rem .6rem; border-bottom: 1px solid var(--line); }
th { background: var(--panel); font-weight: 600; white-space: nowrap; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.where, td.rule, td.nowrap { white-space: nowrap; }
/* Code can be one long token: it breaks anywhere rather than widen the table past the page,
   and the columns that need room to read keep it. */
td code { overflow-wrap: anywhere; }
td.code { min-width: 9rem; }
td.item code { overflow-wrap: break-word; }
td.prose { min-width: 14rem; }
tr.suppressed td { color: var(--muted); }
table.readiness td:first-child { font-weight: 600; }
details { margin: .5rem 0; border: 1px solid var(--line); border-radius: 8px; padding: .1rem .8rem; }
details[open] { padding-bottom: .4rem; }
summary { cursor: pointer; font-weight: 600; padding: .35rem 0; }
.area { border-left: 4px solid var(--unknown); padding-left: 1rem; margin-top: 1.5rem; }
.area.ready { border-left-color: var(--ready); } .area.partial { border-left-color: var(--partial); }
.area.not-ready { border-left-color: var(--bad); }
.area h3 { margin-top: 0; }
.reason { font-weight: 500; }
pre.chain {
  background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; margin: .3rem 0 .8rem;
  white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.45;
}
/* A long step wraps under its own text, not under the tree drawn on its left. */
pre.chain .line { display: inline-block; width: 100%; padding-left: 8ch; text-indent: -8ch; }
dl.pairs { display: grid; grid-template-columns: max-content 1fr; gap: .45rem 1.2rem; margin: .5rem 0; }
dl.pairs dt { font-weight: 600; }
dl.pairs dd { margin: 0; }
footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--line); padding-top: .6rem; }
@media print {
  html { font-size: 10.5px; }
  body { max-width: none; padding: 0; }
  nav.contents { display: none; }
  a { color: inherit; }
  h2 { break-after: avoid; }
  tr, pre.chain, .card { break-inside: avoid; }
  details { border: none; padding: 0; }
  summary { list-style: none; }
}
"""

# Collapsed lists would print as their summary line alone: open them for printing, close them after.
PRINT_SCRIPT = """
addEventListener("beforeprint", () => {
  for (const d of document.querySelectorAll("details:not([open])")) { d.open = true; d.dataset.openedForPrint = ""; }
});
addEventListener("afterprint", () => {
  for (const d of document.querySelectorAll("details[data-opened-for-print]")) { d.open = false; delete d.dataset.openedForPrint; }
});
"""


def render(report: ReadinessReport, link_base: str) -> str:
    """The page; ``link_base`` is prefixed to the file links (``""`` or ending in ``/``)."""
    return _Page(report, link_base).html()


class _Anchors:
    """Unique element ids: two areas whose ids differ only in characters an id cannot hold
    still get an anchor each."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def new(self, name: str) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "section"
        anchor, number = slug, 2
        while anchor in self._taken:
            anchor, number = f"{slug}-{number}", number + 1
        self._taken.add(anchor)
        return anchor


class _Page:
    def __init__(self, report: ReadinessReport, link_base: str) -> None:
        self.report = report
        self.link_base = link_base
        anchors = _Anchors()
        self.section_ids = {name: anchors.new(name) for name in
                            ("summary", "readiness", "identity", "inventory", "contract", "incomplete", "statuses")}
        self.area_ids = {area.area: anchors.new(f"area-{area.area}") for area in report.readiness}
        self.area_titles = {area.area: area.title for area in report.readiness}
        self.inventory_groups = _grouped(report.inventory, [area.area for area in report.readiness])
        self.inventory_ids = {area: anchors.new(f"inventory-{area}") for area in self.inventory_groups}

    def html(self) -> str:
        report = self.report
        title = f"Multi-tenant readiness report — {report.root}"
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta name="generator" content="{_text(report.tool)}">',
            f"<title>{_text(title)}</title>",
            f"<style>{STYLE}</style>",
            "</head>",
            "<body>",
            "<header>",
            f"<h1>{_text(title)}</h1>",
            f'<p class="subtitle">{_text(report.tool)} · report schema {report.schema_version}'
            f'{self._config_note(report.contract)}</p>',
            self._contents(),
            "</header>",
            "<main>",
            self._summary(),
            self._readiness(),
            self._identity(report.identity),
            self._inventory(),
            self._contract(report.contract),
            self._incomplete(),
            self._statuses_explained(),
            "</main>",
            f"<footer>Written by {_text(report.tool)} from the workspace <code>{_text(report.root)}</code>. "
            "File paths are relative to it.</footer>",
            f"<script>{PRINT_SCRIPT}</script>",
            "</body>",
            "</html>",
        ]
        return "\n".join(part for part in parts if part) + "\n"

    # -- page parts ----------------------------------------------------------------------------
    def _contents(self) -> str:
        entries = [
            ("summary", "Summary"), ("readiness", "Readiness"), ("identity", "Tenant identity"),
            ("inventory", "Shared-state inventory"), ("contract", "Contract in effect"),
            ("incomplete", "Files not analysed in full"), ("statuses", "How statuses are decided"),
        ]
        links = "".join(f'<a href="#{self.section_ids[key]}">{label}</a>' for key, label in entries)
        return f'<nav class="contents" aria-label="Contents">{links}</nav>'

    def _config_note(self, contract: ContractInEffect) -> str:
        if contract.config_file is None:
            return " · default configuration"
        return f" · configuration <code>{_text(contract.config_file)}</code>"

    def _summary(self) -> str:
        summary = self.report.summary
        status_cards = "".join(
            f'<div class="card {_status_class(status)}"><div class="number">{count}</div>'
            f'<div class="label">{_text(status)}</div></div>'
            for status, count in summary.statuses.items()
        )
        figures = [
            (summary.files, "files analysed"), (summary.findings, "findings"),
            (summary.suppressed, "suppressed findings"), (summary.inventory, "shared-state entries"),
            (self.report.identity.entry_points_total, "entry points"), (len(self.report.incomplete), "files not in full"),
        ]
        figure_cards = "".join(
            f'<div class="card"><div class="number">{number}</div><div class="label">{label}</div></div>'
            for number, label in figures
        )
        return (
            f'<section id="{self.section_ids["summary"]}">'
            "<h2>Summary</h2>"
            f'<p>Capabilities by status, out of {len(self.report.readiness)}:</p>'
            f'<div class="cards">{status_cards}</div>'
            f'<div class="cards">{figure_cards}</div>'
            "</section>"
        )

    def _readiness(self) -> str:
        rows = []
        for area in self.report.readiness:
            suppressed = sum(finding.suppressed for finding in area.findings)
            standing = len(area.findings) - suppressed
            findings = f"{standing}" + (f' <span class="muted">+{suppressed} suppressed</span>' if suppressed else "")
            rows.append(
                "<tr>"
                f'<td><a href="#{self.area_ids[area.area]}">{_text(area.title)}</a></td>'
                f"<td>{_status_badge(area.status)}</td>"
                f"<td>{_text(area.reason)}</td>"
                f'<td class="number">{len(area.unscoped)}</td>'
                f'<td class="number">{len(area.scoped)}</td>'
                f'<td class="number">{len(area.unverified)}</td>'
                f'<td class="number">{findings}</td>'
                "</tr>"
            )
        return (
            f'<section id="{self.section_ids["readiness"]}">'
            "<h2>Readiness</h2>"
            '<div class="table-wrap"><table class="readiness">'
            '<thead><tr><th>Capability</th><th>Status</th><th>Reason</th>'
            '<th class="number">Unscoped</th><th class="number">Judged safe</th><th class="number">Unverified</th><th class="number">Findings</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>"
            f'<p class="muted">How each status is decided: <a href="#{self.section_ids["statuses"]}">below</a>.</p>'
            + "".join(self._area(area) for area in self.report.readiness)
            + "</section>"
        )

    def _area(self, area: AreaReadiness) -> str:
        suppressed = sum(finding.suppressed for finding in area.findings)
        inventory = self.inventory_groups.get(area.area, [])
        facts = [f"Rules: {', '.join(f'<code>{_text(rule)}</code>' for rule in area.rules) or 'none'}"]
        if inventory:
            entries = _count(len(inventory), "inventory entry", "inventory entries")
            facts.append(f'shared state: <a href="#{self.inventory_ids[area.area]}">{entries}</a>')
        findings_summary = f"Findings ({len(area.findings) - suppressed} standing, {suppressed} suppressed)"
        return (
            f'<section class="area {_status_class(area.status)}" id="{self.area_ids[area.area]}">'
            f"<h3>{_text(area.title)} {_status_badge(area.status)}</h3>"
            f'<p class="reason">{_text(area.reason)}</p>'
            f'<p class="muted">{" · ".join(facts)}</p>'
            + _collapsible(f"Unscoped sites ({len(area.unscoped)})", _evidence_table(area.unscoped, self.link_base),
                           len(area.unscoped), "No unscoped site was found.", len(area.unscoped) <= OPEN_LIST_LIMIT)
            + _collapsible(f"Sites judged safe ({len(area.scoped)})", _evidence_table(area.scoped, self.link_base),
                           len(area.scoped), "No site was judged safe.", len(area.scoped) <= OPEN_LIST_LIMIT)
            + (_collapsible(f"Unverified: no rule could see into or judge these ({len(area.unverified)})",
                            _evidence_table(area.unverified, self.link_base), len(area.unverified), "",
                            len(area.unverified) <= OPEN_LIST_LIMIT) if area.unverified else "")
            # The standing findings are the unscoped sites again; what this list adds is the
            # suppressed ones and their reasons, so it opens only when it has one.
            + _collapsible(findings_summary, _findings_table(area.findings, self.link_base), len(area.findings),
                           "No finding, standing or suppressed.", 0 < suppressed and len(area.findings) <= OPEN_LIST_LIMIT)
            + "</section>"
        )

    def _identity(self, identity: TenantIdentity) -> str:
        if identity.identities:
            rows = "".join(
                "<tr>"
                f"<td><code>{_text(found.name)}</code></td>"
                f"<td>{_text(found.source)}</td>"
                f'<td class="number">{found.uses}</td>'
                f'<td class="where">{_location_link(found.first_seen, self.link_base) if found.first_seen else "—"}</td>'
                "</tr>"
                for found in identity.identities
            )
            identities = (
                '<div class="table-wrap"><table><thead><tr><th>Name</th><th>From</th><th class="number">Uses</th>'
                f"<th>First seen</th></tr></thead><tbody>{rows}</tbody></table></div>"
            )
        else:
            identities = "<p>No name that identifies a tenant was found.</p>"
        shown = len(identity.entry_points)
        count_note = (f"{shown} of {identity.entry_points_total} shown" if shown < identity.entry_points_total
                      else str(shown))
        diagrams = "".join(_entry_point(entry, self.link_base) for entry in identity.entry_points)
        if identity.entry_points:
            entries = (f"<details{' open' if shown <= OPEN_ENTRY_POINTS_LIMIT else ''}>"
                       f"<summary>Entry points ({count_note})</summary>{diagrams}</details>")
        else:
            entries = "<p>No entry point was found: no host interface a guest calls, request handler or manifest loader.</p>"
        return (
            f'<section id="{self.section_ids["identity"]}">'
            "<h2>Tenant identity</h2>"
            "<h4>What identifies a tenant here</h4>"
            f"{identities}"
            "<h4>Where a tenant's values enter</h4>"
            '<p class="muted">Each entry point with the parameters whose values the tenant chooses, and the '
            "sites in it that a rule judged, with their verdicts.</p>"
            f"{entries}"
            "</section>"
        )

    def _inventory(self) -> str:
        if not self.report.inventory:
            body = "<p>Nothing shared by the whole process or host was found.</p>"
        else:
            body = "".join(
                f'<details id="{self.inventory_ids[area]}"{" open" if len(entries) <= OPEN_LIST_LIMIT else ""}>'
                f"<summary>{_text(self.area_titles.get(area, area))} ({len(entries)})</summary>"
                f"{_inventory_table(entries, self.link_base)}</details>"
                for area, entries in self.inventory_groups.items()
            )
        return (
            f'<section id="{self.section_ids["inventory"]}">'
            "<h2>Shared-state inventory</h2>"
            '<p class="muted">State the whole process or host shares, and the sinks the rules judged, by capability.</p>'
            f"{body}</section>"
        )

    def _contract(self, contract: ContractInEffect) -> str:
        rows = [
            ("Configuration file", f"<code>{_text(contract.config_file)}</code>" if contract.config_file else "none (defaults)"),
            ("Scope identities", _words(contract.scope_identities)),
            ("Chosen by the tenant", _words(contract.tenant_chosen)),
            ("Sinks", _words(contract.sinks)),
            ("Scoping helpers", _words(contract.scoping_helpers)),
            ("Tenant words", _words(contract.tenant_words)),
            ("Pack words", _words(contract.pack_words)),
        ]
        items = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
        return (
            f'<section id="{self.section_ids["contract"]}">'
            "<h2>Contract in effect</h2>"
            f'<dl class="pairs">{items}</dl>'
            "</section>"
        )

    def _incomplete(self) -> str:
        if self.report.incomplete:
            body = "<ul>" + "".join(f"<li>{_text(problem)}</li>" for problem in self.report.incomplete) + "</ul>"
        else:
            body = "<p>Every file was analysed in full.</p>"
        return (
            f'<section id="{self.section_ids["incomplete"]}">'
            "<h2>Files not analysed in full</h2>"
            f"{body}</section>"
        )

    def _statuses_explained(self) -> str:
        items = "".join(f"<dt>{_status_badge(status)}</dt><dd>{_text(rule)}</dd>" for status, rule in STATUS_RULES)
        return (
            f'<section id="{self.section_ids["statuses"]}">'
            "<h2>How statuses are decided</h2>"
            "<p>Each capability's status is read off its sites: findings are the sites a rule judged unscoped, "
            "the sites judged safe are those a rule looked at and let pass.</p>"
            f'<dl class="pairs">{items}</dl>'
            "</section>"
        )


# -- pieces ------------------------------------------------------------------------------------
def _text(value: object) -> str:
    return escape(str(value))


def _prose(value: str) -> str:
    """A message, with the code it quotes in backticks set as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _text(value))


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "unknown")


def _status_badge(status: str) -> str:
    return f'<span class="badge {_status_class(status)}">{_text(status)}</span>'


def _verdict_badge(verdict: str) -> str:
    tone = "good" if verdict in SAFE_VERDICTS else "bad" if verdict == "unscoped" else "neutral"
    return f'<span class="badge {tone}">{_text(verdict)}</span>'


def _severity_badge(severity: str) -> str:
    return f'<span class="badge {SEVERITY_CLASSES.get(severity, "neutral")}">{_text(severity)}</span>'


def _location_link(location: Location, link_base: str) -> str:
    # Quoted: a path may hold `#`, `?` or a space, which would end or break the URL.
    href = f"{link_base}{quote(location.path, safe='/')}#L{location.line}"
    return f'<a href="{_text(href)}">{_text(location.path)}:{location.line}</a>'


def _local_name(item: str, path: str) -> str:
    """The item without its file's path, which its location already shows."""
    prefix = f"{path}::"
    if item.startswith(prefix):
        return item[len(prefix):]
    return "(top level)" if item == path else item


def _collapsible(summary: str, body: str, count: int, empty: str, opened: bool) -> str:
    if count == 0:
        return f'<p class="muted">{empty}</p>'
    return f"<details{' open' if opened else ''}><summary>{summary}</summary>{body}</details>"


def _evidence_table(sites: list[Evidence], link_base: str) -> str:
    rows = "".join(
        "<tr>"
        f'<td class="where">{_location_link(site.location, link_base)}</td>'
        f'<td class="item"><code>{_text(_local_name(site.item, site.location.path))}</code></td>'
        f"<td>{_verdict_badge(site.verdict)}</td>"
        f'<td class="rule"><code>{_text(site.code or "—")}</code></td>'
        f'<td class="code"><code>{_text(site.what)}</code></td>'
        f'<td class="prose">{_prose(site.why)}</td>'
        "</tr>"
        for site in sites
    )
    return (
        '<div class="table-wrap"><table><thead><tr><th>Where</th><th>Item</th><th>Verdict</th><th>Rule</th>'
        f"<th>Code</th><th>Why</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def _findings_table(findings: list[FindingEntry], link_base: str) -> str:
    rows = "".join(
        f"<tr{SUPPRESSED_ROW if finding.suppressed else ''}>"
        f'<td class="where">{_location_link(finding.location, link_base)}</td>'
        f'<td class="item"><code>{_text(_local_name(finding.item, finding.location.path))}</code></td>'
        f'<td class="rule"><code>{_text(finding.code)}</code><div class="muted">{_text(finding.name)}</div></td>'
        f"<td>{_severity_badge(finding.severity)}</td>"
        f'<td class="prose">{_prose(finding.message)}</td>'
        f"<td>{_suppression(finding)}</td>"
        "</tr>"
        for finding in findings
    )
    return (
        '<div class="table-wrap"><table><thead><tr><th>Where</th><th>Item</th><th>Rule</th><th>Severity</th>'
        f"<th>Message</th><th>Standing</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def _suppression(finding: FindingEntry) -> str:
    if not finding.suppressed:
        return "stands"
    reason = finding.suppression_reason
    return "suppressed: " + (_text(reason) if reason else '<span class="muted">no reason given</span>')


def _entry_point(entry: EntryPoint, link_base: str) -> str:
    """The entry and the sites its values reach, drawn as a tree in text, so it reads the
    same copied into a review comment."""
    chosen = ", ".join(entry.chosen) if entry.chosen else "nothing"
    lines = [
        f"entry   <strong>{_text(_local_name(entry.item, entry.location.path))}</strong>  "
        f"{_text(entry.kind)} · {_location_link(entry.location, link_base)}",
        f"chosen  {_text(chosen)}",
    ]
    if not entry.steps:
        lines.append("  └──── no site in it that a rule judged")
    top_level = [index for index, step in enumerate(entry.steps) if not _is_note(step)]
    for index, step in enumerate(entry.steps):
        last_branch = not any(later > index for later in top_level)
        where = f" · {_location_link(step.location, link_base)}" if step.location else ""
        verdict = f" {_verdict_badge(step.verdict)}" if step.verdict else ""
        if _is_note(step):
            rail = "   " if last_branch else "  │"
            lines.append(f"{rail}       ↳ {_text(step.label.strip())}{where}")
        else:
            branch = "  └───▶ " if last_branch else "  ├───▶ "
            lines.append(f"{branch}{_text(step.label)}{where}{verdict}")
    body = "".join(f'<span class="line">{line}\n</span>' for line in lines)
    return f'<pre class="chain">{body}</pre>'


def _is_note(step: ChainStep) -> bool:
    """A step that explains the one before it (``ChainStep.kind``)."""
    return step.kind == "path"


def _inventory_table(entries: list[InventoryEntry], link_base: str) -> str:
    rows = "".join(
        "<tr>"
        f'<td class="where">{_location_link(entry.location, link_base)}</td>'
        f'<td class="item"><code>{_text(_local_name(entry.item, entry.location.path))}</code></td>'
        f'<td class="nowrap">{_text(entry.kind)}</td>'
        f'<td class="nowrap">{_text(entry.scope)}</td>'
        f'<td class="code"><code>{_text(entry.holds)}</code></td>'
        f"<td>{_prose(entry.key)}</td>"
        f"<td>{_verdict_badge(entry.verdict)}</td>"
        f'<td class="prose">{_prose(entry.why)}</td>'
        "</tr>"
        for entry in entries
    )
    return (
        '<div class="table-wrap"><table><thead><tr><th>Where</th><th>Item</th><th>Kind</th><th>Scope</th>'
        f"<th>Holds</th><th>Key</th><th>Verdict</th><th>Why</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def _grouped(entries: list[InventoryEntry], area_order: list[str]) -> dict[str, list[InventoryEntry]]:
    """The inventory by area, in the readiness table's order; an area the table does not
    name comes after, in the order the model gives."""
    groups: dict[str, list[InventoryEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.area, []).append(entry)
    ordered = [area for area in area_order if area in groups] + [area for area in groups if area not in area_order]
    return {area: groups[area] for area in ordered}


def _words(words: list[str]) -> str:
    if not words:
        return '<span class="muted">none declared</span>'
    return " ".join(f"<code>{_text(word)}</code>" for word in words)
