"""The HTML readiness report (``isolint report --format html``), as a reader's browser meets it.

The reports are written through the real CLI and opened in headless Chromium by
``report_page_driver.js`` (Playwright, as in the VS Code tests): no console error, no script
error, no request beyond the page itself, the readiness table with its seven capabilities,
and every internal link pointing at an element. Text from the audited source that spells
``<script>`` must reach the reader as text. The browser tests are skipped when Chromium or
playwright-core is not installed (``scripts/editors/install.sh``), and fail in CI.

``ISOLINT_UPDATE_SCREENSHOT=1 python -m pytest tests/test_report_html.py`` refreshes
``docs/images/report.png``, the README's picture of the example's report.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from isolint.checks.report_records import ReadinessReport
from isolint.report_formats.html import render
from tests.editors.editor_tools import REPO_ROOT, missing_tool, playwright_core_path, tool_path

EXAMPLE = REPO_ROOT / "examples" / "tenant-host"
DRIVER = Path(__file__).with_name("report_page_driver.js")
SCREENSHOT = REPO_ROOT / "docs" / "images" / "report.png"
SCREENSHOT_SIZE = (1280, 1600)
DRIVER_TIMEOUT_S = 120
TITLE = "Multi-tenant readiness report — tenant-host"
HOSTILE = "<script>alert(1)</script>"
PAGE_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "nav", "main", "section", "footer", "h1", "h2", "h3",
    "h4", "p", "a", "div", "span", "table", "thead", "tbody", "tr", "th", "td", "code", "details", "summary", "pre",
    "strong", "dl", "dt", "dd", "ul", "li", "script",
}
# A tenant-facing function that reads a process-wide secret whose name holds markup, and a
# flow-keyed secret whose key does: both reach findings, evidence and the inventory.
HOSTILE_CRATE = {
    "Cargo.toml": '[package]\nname = "hostile"\nversion = "0.1.0"\nedition = "2021"\n',
    "src/lib.rs": f"""use std::env;

pub struct TenantCtx {{
    pub tenant_id: String,
}}

pub struct Flow {{
    pub flow_id: String,
}}

pub fn smtp_settings_for(tenant: &TenantCtx) -> (String, Option<String>) {{
    let sender = format!("noreply+{{}}@mail.example.com", tenant.tenant_id);
    let password = env::var("{HOSTILE}_PASSWORD").ok();
    (sender, password)
}}

pub fn flow_database_password(secrets: &dyn SecretsBackend, flow: &Flow) -> Option<String> {{
    let key = format!("{HOSTILE}/{{}}", flow.flow_id);
    secrets.get_secret(&key)
}}
""",
}


def write_report(workspace: Path, output: Path, output_format: str = "html") -> None:
    process = subprocess.run(
        [sys.executable, "-m", "isolint", "report", str(workspace), "--format", output_format, "-o", str(output),
         "--no-cache", "-q"],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )
    assert process.returncode == 0, process.stderr


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each ``<style>``."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def parsed(page: str) -> _Tags:
    tags = _Tags()
    tags.feed(page)
    tags.close()
    return tags


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("reports")
    hostile = folder / "hostile-crate"
    for name, text in HOSTILE_CRATE.items():
        (hostile / name).parent.mkdir(parents=True, exist_ok=True)
        (hostile / name).write_text(text)
    written = {"example": folder / "report.html", "hostile": folder / "hostile.html", "example-json": folder / "report.json"}
    write_report(EXAMPLE, written["example"])
    write_report(hostile, written["hostile"])
    write_report(EXAMPLE, written["example-json"], "json")
    return written


def test_the_page_loads_nothing_from_elsewhere(reports):
    tags = parsed(reports["example"].read_text())
    assert not [attrs for tag, attrs in tags.tags if tag == "link"], "no stylesheet or other linked resource"
    assert not [(tag, attrs) for tag, attrs in tags.tags if "src" in attrs or "srcset" in attrs]
    assert [tag for tag, _ in tags.tags].count("script") == 1, "one script, inline"
    style = "".join(tags.styles)
    assert "url(" not in style and "@import" not in style and "@font-face" not in style
    hrefs = [attrs["href"] for tag, attrs in tags.tags if tag == "a"]
    assert hrefs and not [href for href in hrefs if re.match(r"[a-z][a-z0-9+.-]*:", href or "")], "links are relative"


def test_internal_links_point_at_unique_ids(reports):
    tags = parsed(reports["example"].read_text())
    ids = [attrs["id"] for _, attrs in tags.tags if "id" in attrs]
    assert len(ids) == len(set(ids))
    internal = [attrs["href"] for tag, attrs in tags.tags if tag == "a" and attrs.get("href", "").startswith("#")]
    assert len(internal) >= 7 + 7, "the contents and a link per capability at least"
    assert {href[1:] for href in internal} <= set(ids)


def test_file_links_open_the_source_line_from_where_the_report_was_written(reports):
    tags = parsed(reports["example"].read_text())
    files = [attrs["href"] for tag, attrs in tags.tags if tag == "a" and not attrs["href"].startswith("#")]
    assert files
    for href in files:
        path, line = re.fullmatch(r"(.+)#L(\d+)", href).groups()
        source = (reports["example"].parent / unquote(path)).resolve()
        assert source.is_file(), href
        assert 1 <= int(line) <= len(source.read_text().splitlines()), href


def test_every_capability_and_list_of_the_report_is_on_the_page(reports):
    report = ReadinessReport.model_validate_json(reports["example-json"].read_text())
    page = reports["example"].read_text()
    for area in report.readiness:
        assert f'id="area-{area.area}"' in page
        assert area.title in page and area.reason in page
        for site in area.scoped + area.unscoped:
            assert f"#L{site.location.line}" in page
    suppressed = [f for area in report.readiness for f in area.findings if f.suppressed]
    assert suppressed and all(f.suppression_reason in page for f in suppressed)
    assert all(f'<code>{entry.name}</code>' in page for entry in report.identity.identities)
    assert page.count('<pre class="chain">') == len(report.identity.entry_points)
    assert page.count("<tr") - page.count("<thead><tr") >= len(report.inventory)
    assert "How statuses are decided" in page and "Files not analysed in full" in page


def test_rendering_is_deterministic(reports):
    report = ReadinessReport.model_validate_json(reports["example-json"].read_text())
    assert render(report, "") == render(report, "")
    assert render(report, "") == render(ReadinessReport.model_validate_json(report.model_dump_json()), "")


def _with_markup(value, keys_are_text: bool = False):
    """``value`` with markup appended to every text, and to the keys of a mapping whose keys
    are text (the summary's statuses) rather than field names."""
    if isinstance(value, str):
        return value + HOSTILE + "&\"'"
    if isinstance(value, list):
        return [_with_markup(item) for item in value]
    if isinstance(value, dict):
        return {(_with_markup(key) if keys_are_text else key): _with_markup(item, key == "statuses")
                for key, item in value.items()}
    return value


def test_no_text_of_the_report_reaches_the_page_as_markup(reports):
    """Every string of the report spelled as markup: statuses, area ids, paths included."""
    report = ReadinessReport.model_validate(_with_markup(json.loads(reports["example-json"].read_text())))
    page = render(report, "")
    assert HOSTILE not in page and "<script>alert" not in page
    assert page.count("<script") == 1
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") > 100
    tags = parsed(page)
    assert {tag for tag, _ in tags.tags} <= PAGE_TAGS
    assert not [name for _, attrs in tags.tags for name in attrs if name.startswith("on")]


def test_markup_in_the_source_is_shown_escaped(reports):
    page = reports["hostile"].read_text()
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;_PASSWORD" in page
    assert page.count("<script") == 1


# -- in the browser ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser(reports, tmp_path_factory) -> dict[str, dict]:
    """What Chromium met on each page, as the driver recorded it."""
    tools = {"playwright-core": playwright_core_path(), "chromium": tool_path("CHROMIUM", [], on_path="chromium"),
             "node": tool_path("NODE", [], on_path="node")}
    for name, path in tools.items():
        if path is None:
            missing_tool(name)
    folder = tmp_path_factory.mktemp("browser")
    width, height = SCREENSHOT_SIZE
    spec = {
        "playwrightCore": str(tools["playwright-core"]),
        "chromium": str(tools["chromium"]),
        "pages": [
            {"file": str(reports["example"]), "width": width, "height": height, "screenshot": str(folder / "report.png")},
            {"file": str(reports["hostile"]), "width": width, "height": height},
        ],
    }
    spec_file, result_file = folder / "spec.json", folder / "result.json"
    spec_file.write_text(json.dumps(spec))
    process = subprocess.run([str(tools["node"]), str(DRIVER), str(spec_file), str(result_file)],
                             capture_output=True, text=True, timeout=DRIVER_TIMEOUT_S)
    assert result_file.exists(), f"the driver wrote no result (exit {process.returncode}):\n{process.stderr}"
    result = json.loads(result_file.read_text())
    assert "error" not in result, f"{result['error']}\n{process.stderr}"
    if os.environ.get("ISOLINT_UPDATE_SCREENSHOT"):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / "report.png", SCREENSHOT)
    return {"example": result["pages"][0], "hostile": result["pages"][1]}


@pytest.mark.parametrize("page", ["example", "hostile"])
def test_the_page_runs_clean_and_alone(browser, page):
    seen = browser[page]
    assert [m for m in seen["console"] if m["type"] in ("error", "warning")] == []
    assert seen["page_errors"] == [] and seen["dialogs"] == []
    assert seen["requests"] == [seen["address"]], "the page fetched something besides itself"
    assert [script["src"] for script in seen["scripts"]] == [None]
    assert seen["stylesheet_links"] == []


@pytest.mark.parametrize("page", ["example", "hostile"])
def test_every_internal_link_has_its_target(browser, page):
    seen = browser[page]
    assert seen["internal_links"] >= 14
    assert seen["dangling_links"] == []
    assert seen["duplicate_ids"] == []


def test_the_example_report_renders(browser, reports):
    seen = browser["example"]
    report = ReadinessReport.model_validate_json(reports["example-json"].read_text())
    assert seen["title"] == TITLE and seen["h1"] == TITLE
    rows = seen["readiness_rows"]
    assert len(rows) == 7
    assert [row[:3] for row in rows] == [[area.title, area.status, area.reason] for area in report.readiness]
    width, height = seen["readiness_table_size"]
    assert width > 600 and height > 7 * 20, "the table is laid out, not collapsed"
    assert any("─▶" in chain and "unscoped" in chain for chain in seen["chains"])


def test_printing_opens_every_collapsed_list(browser):
    seen = browser["example"]
    assert seen["collapsed_before_print"] > 0, "the example has long lists, shown collapsed"
    assert seen["collapsed_during_print"] == 0
    assert seen["collapsed_after_print"] == seen["collapsed_before_print"]


def test_markup_from_the_source_reads_as_text(browser):
    seen = browser["hostile"]
    assert f"{HOSTILE}_PASSWORD" in seen["body_text"]
    assert seen["title"] == "Multi-tenant readiness report — hostile-crate"
