"""The committed rule docs (docs/rules/*.md and the README's rules table) match the rule
metadata; `python scripts/gen_rule_docs.py` regenerates them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_generated_rule_docs_are_up_to_date():
    completed = subprocess.run(
        [sys.executable, "scripts/gen_rule_docs.py", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, (
        f"{completed.stdout}{completed.stderr}\nrun `python scripts/gen_rule_docs.py` and commit the result"
    )


def test_readme_commands_match_ci():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = 'pip install -e ".[test]" && python -m pytest -q'
    assert f"\n{test_command}\n" in readme
    assert f"\n{test_command}\n" in ci
    assert "pip install -e . && isolint check examples/tenant-host" in readme
