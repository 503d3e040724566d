"""Language server latency: didChange → publishDiagnostics for one-character edits in a
500-line and a 7,000-line Rust file (p50/p95), beside the median full parse and full
analysis time of the same file (in process, no server); and process start → first
diagnostics for an opened file.

Run: ``python bench/lsp_bench.py [--edits N] [--starts N]``. Prints figures; asserts nothing.
The server runs as a real subprocess over stdio JSON-RPC, debounce 0 so the figure is
the server's own work, not its typing pause. It runs from a snapshot of the project's
packages, timed at start both as plain sources and byte-compiled: under
PYTHONDONTWRITEBYTECODE every start would otherwise recompile the sources, a cost no
installed isolint pays (its dependencies are byte-compiled either way).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

from source_layout import installed_layout  # noqa: E402

MODULE_TEMPLATE = '''
pub struct {name}Registry {{
    flows: Arc<RwLock<HashMap<String, Flow>>>,
    sessions: DashMap<(TenantId, PackId, String), Session>,
    secrets: Arc<dyn SecretStore>,
}}

impl {name}Registry {{
    pub async fn register(&self, tenant: &TenantId, pack: &PackId, flow: Flow) -> Result<(), HostError> {{
        let key = scoped_key(tenant, pack, &flow.id);
        tracing::info!(tenant = %tenant, pack = %pack, "registering flow {{}}", flow.id);
        self.flows.write().await.insert(flow.id.clone(), flow);
        let _ = key;
        Ok(())
    }}

    pub async fn secret_for(&self, tenant: &TenantId, pack: &PackId, name: &str) -> Result<String, HostError> {{
        let key = format!("{{}}/{{}}/{{}}", tenant, pack, name);
        self.secrets.get(&key).await.map_err(HostError::from)
    }}

    pub fn session(&self, tenant: &TenantId, pack: &PackId, session_id: &str) -> Option<Session> {{
        self.sessions.get(&(tenant.clone(), pack.clone(), session_id.to_string())).map(|s| s.clone())
    }}
}}
'''

HEADER = """//! A multi-tenant pack host: loads many tenants' packs of flows into one process.

use std::collections::HashMap;
use std::sync::Arc;

use dashmap::DashMap;
use tokio::sync::RwLock;

pub struct TenantId(String);
pub struct PackId(String);
"""


def host_source(lines: int) -> str:
    """Realistic host code of about ``lines`` lines (registries, secrets, sessions)."""
    parts = [HEADER]
    index = 0
    while sum(p.count("\n") for p in parts) < lines:
        parts.append(MODULE_TEMPLATE.format(name=f"Tenant{index}"))
        index += 1
    return "".join(parts)


class StdioClient:
    """Just enough of an LSP client to time the server: no client-side work in the figures."""

    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self._next_id = 0
        self._responses: dict[int, asyncio.Future] = {}
        self.published: asyncio.Queue = asyncio.Queue()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls, project: Path) -> "StdioClient":
        # `-m` puts the working directory first on sys.path: the server runs ``project``'s code.
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "isolint.lsp_server", "--log-level", "warning",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, cwd=project,
        )
        return cls(process)

    def _send(self, message: dict) -> None:
        body = json.dumps(message).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: dict) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: dict) -> asyncio.Future:
        self._next_id += 1
        future = asyncio.get_running_loop().create_future()
        self._responses[self._next_id] = future
        self._send({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        return future

    async def _read(self) -> None:
        stdout = self.process.stdout
        while True:
            header = await stdout.readuntil(b"\r\n\r\n")
            length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
            message = json.loads(await stdout.readexactly(length))
            if "id" in message and "method" in message:  # a request from the server
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "id" in message:
                self._responses.pop(message["id"]).set_result(message.get("result"))
            elif message.get("method") == "textDocument/publishDiagnostics":
                self.published.put_nowait((time.perf_counter(), message["params"]))

    async def initialize(self, root: Path) -> None:
        params = {
            "processId": None,
            "rootUri": root.as_uri(),
            "capabilities": {"textDocument": {"publishDiagnostics": {"versionSupport": True}}},
            "initializationOptions": {"debounceMs": 0, "workspaceScan": False},
        }
        await self.request("initialize", params)
        self.notify("initialized", {})

    async def diagnostics_for_version(self, uri: str, version: int) -> tuple[float, list]:
        while True:
            received_at, params = await self.published.get()
            if params["uri"] == uri and params.get("version") == version:
                return received_at, params["diagnostics"]

    async def stop(self) -> None:
        await self.request("shutdown", None)
        self.notify("exit", None)
        await self.process.wait()
        self._reader.cancel()


def open_params(uri: str, text: str) -> dict:
    return {"textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": text}}


async def edit_latency(lines: int, edits: int, root: Path, project: Path) -> dict:
    text = host_source(lines)
    path = root / f"host_{lines}.rs"
    path.write_text(text)
    uri = path.as_uri()
    client = await StdioClient.start(project)
    await client.initialize(root)
    client.notify("textDocument/didOpen", open_params(uri, text))
    _, first = await client.diagnostics_for_version(uri, 1)
    line_count = text.count("\n")
    samples = []
    for version in range(2, edits + 2):
        # Type a character into a line in the middle of the file, then delete it again.
        line = (version * 7919) % line_count
        if version % 2 == 0:
            change = {"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}}, "text": " "}
        else:
            previous = ((version - 1) * 7919) % line_count
            change = {"range": {"start": {"line": previous, "character": 0}, "end": {"line": previous, "character": 1}}, "text": ""}
        sent_at = time.perf_counter()
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
        received_at, _ = await client.diagnostics_for_version(uri, version)
        samples.append((received_at - sent_at) * 1000)
    await client.stop()
    return {"lines": line_count, "bytes": len(text.encode()), "findings": len(first), "samples": samples, "text": text}


async def start_to_first_diagnostics(root: Path, starts: int, project: Path) -> list[float]:
    text = host_source(500)
    uri = (root / "start.rs").as_uri()
    timings = []
    for _ in range(starts):
        started = time.perf_counter()
        client = await StdioClient.start(project)
        await client.initialize(root)
        client.notify("textDocument/didOpen", open_params(uri, text))
        received_at, _ = await client.diagnostics_for_version(uri, 1)
        timings.append((received_at - started) * 1000)
        await client.stop()
    return timings


def in_process_times(text: str, repeats: int = 7) -> tuple[float, float]:
    """Medians of a full parse and a full analysis (no server) of the same file."""
    from isolint.checks.config import DEFAULT_CONFIG
    from isolint.checks.engine import analyze
    from isolint.checks.parsing import parse

    data = text.encode()
    parse_ms = statistics.median(_timed(lambda: parse(data)) for _ in range(repeats))
    analyze_ms = statistics.median(_timed(lambda: analyze(data, DEFAULT_CONFIG.settings, None)) for _ in range(repeats))
    return parse_ms, analyze_ms


def import_time(repeats: int, project: Path) -> float:
    """Median wall time of a Python process that only imports the server (and the engine)."""
    # With the collector off, as the server's entry points import.
    code = "import gc; gc.disable(); import isolint.lsp_server.server, isolint.checks.rules; isolint.checks.rules.all_rules()"
    return statistics.median(
        _timed(lambda: subprocess.run([sys.executable, "-c", code], cwd=project, check=True)) for _ in range(repeats)
    )


def snapshot_project(work: Path) -> Path:
    """Copy the project's packages without their bytecode, so that edits to the working
    tree during the run do not mix versions and the first timings compile nothing ahead."""
    return installed_layout(REPO, work / "project")


def byte_compile(project: Path) -> None:
    """Write the snapshot's ``__pycache__`` as ``pip install`` does for an installed isolint."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(project)], check=True)


async def print_start_times(root: Path, starts: int, project: Path, label: str) -> None:
    timings = await start_to_first_diagnostics(root, starts, project)
    print(f"server start → first diagnostics, {label} (500-line file, {starts} starts): median {statistics.median(timings):.0f} ms, min {min(timings):.0f} ms, max {max(timings):.0f} ms")
    print(f"  of which Python start + imports (pygls, lsprotocol, engine, rules): median {import_time(starts, project):.0f} ms")


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=60, help="one-character edits per file")
    parser.add_argument("--starts", type=int, default=5, help="server starts to time")
    args = parser.parse_args()
    # The servers must not write the bytecode that the first start timings go without.
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        project = snapshot_project(root)
        await print_start_times(root, args.starts, project, "sources only, recompiled at every start")
        byte_compile(project)
        await print_start_times(root, args.starts, project, "byte-compiled as installed")
        print(f"{'file':>12} {'bytes':>8} {'findings':>8} {'edit→diag p50':>14} {'p95':>8} {'max':>8} {'full parse':>11} {'full analyze':>13}")
        for lines in (500, 7000):
            figures = await edit_latency(lines, args.edits, root, project)
            parse_ms, analyze_ms = in_process_times(figures["text"])
            samples = figures["samples"]
            print(
                f"{figures['lines']:>6} lines {figures['bytes']:>8} {figures['findings']:>8} "
                f"{statistics.median(samples):>11.1f} ms {percentile(samples, 0.95):>5.1f} ms {max(samples):>5.1f} ms "
                f"{parse_ms:>8.1f} ms {analyze_ms:>10.1f} ms"
            )


if __name__ == "__main__":
    asyncio.run(main())
