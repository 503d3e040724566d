"""The VS Code extension's choice of server process (editors/vscode/src/launch.js), under Node.

`node --test` runs editors/vscode/test/; it needs only Node, not VS Code, so it runs even
where code-server is not installed. The real-editor cases are in test_vscode.py.
"""

from __future__ import annotations

import subprocess

from tests.editors.editor_tools import REPO_ROOT, missing_tool, tool_path

EXTENSION_DIR = REPO_ROOT / "editors" / "vscode"


def test_launch_resolution_node_tests_pass():
    node = tool_path("NODE", [], on_path="node")
    if node is None:
        missing_tool("node")
    process = subprocess.run(
        [str(node), "--test", "test/"], cwd=EXTENSION_DIR, capture_output=True, text=True, timeout=120
    )
    assert process.returncode == 0, process.stdout[-6000:] + process.stderr[-2000:]
    assert "# fail 0" in process.stdout and "# pass 0" not in process.stdout, process.stdout[-2000:]
