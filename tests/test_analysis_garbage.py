"""An analysis leaves no reference cycles behind: all of it is freed by reference counting
when its result is dropped, so the cycle collector has no pass to make over a large file's
objects (in the language server such a pass stops the event loop while it runs)."""

from __future__ import annotations

import gc
from pathlib import Path

from isolint.checks.config import ConfigResolver
from isolint.checks.engine import analyze
from isolint.checks.parsing import parse
from isolint.checks.workspace import WorkspaceModel, summarise
from tests.rule_inputs import EXAMPLE, FIXTURE_DIR, FIXTURES, fixture_settings


def test_analyses_leave_no_cycles_for_the_collector():
    sources = sorted((EXAMPLE / "src").rglob("*.rs"))
    data = {str(path): path.read_bytes() for path in sources}
    model = WorkspaceModel({path: summarise(parse(text), text) for path, text in data.items()}, data)
    resolver = ConfigResolver()
    inputs = [(fixture.read_bytes(), fixture_settings(fixture), fixture.relative_to(FIXTURE_DIR), None) for fixture in FIXTURES]
    # With the workspace model, contexts of other files are made too.
    inputs += [(data[str(path)], resolver.settings_for(path), Path(str(path)), model) for path in sources]

    def analyse_all():
        for text, settings, path, workspace in inputs:
            analyze(text, settings, path, None, workspace)

    analyse_all()  # the first time fills caches and compiles queries, which may leave cycles
    gc.collect()
    gc.disable()
    try:
        analyse_all()
        assert gc.collect() == 0
    finally:
        gc.enable()
