"""Language server latency: didChange → publishDiagnostics for one-character edits in a
500-line and a 7,000-line Rust file (p50/p95), spread over the file (blanks at the start of
lines) and, on the larger, a local's name edited in bodies spread over the file, and
characters typed one after another inside one function body, beside the median full parse and full
analysis time of the same file (in process, no server); process start → first
diagnostics for an opened file, alone and in a generated 1,000-file Cargo workspace (cold and
warm summary cache); and typing in pull mode as VS Code behaves: a keystroke
every 150 ms into a 10,000-line real file, the pending pull cancelled and a new one sent
after every edit, counting the keystrokes whose version got diagnostics before the next.

Run: ``python bench/lsp_bench.py [--edits N] [--starts N] [--keystrokes N]``. Prints
figures; asserts nothing.
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
sys.path.insert(0, str(REPO / "bench"))

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
        self.progress_ended: asyncio.Queue = asyncio.Queue()  # (time, message) of each progress end
        # Called with the method of each request the server sends (after it is answered).
        self.on_server_request = None
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
        """The response's result (None for an error, as for a cancelled request)."""
        return asyncio.ensure_future(self._result(self.send_request(method, params)[1]))

    @staticmethod
    async def _result(response: asyncio.Future):
        return (await response).get("result")

    def send_request(self, method: str, params: dict) -> tuple[int, asyncio.Future]:
        """The request's id and a future of the whole response (a result or an error)."""
        self._next_id += 1
        future = asyncio.get_running_loop().create_future()
        self._responses[self._next_id] = future
        self._send({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        return self._next_id, future

    async def _read(self) -> None:
        stdout = self.process.stdout
        while True:
            header = await stdout.readuntil(b"\r\n\r\n")
            length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
            message = json.loads(await stdout.readexactly(length))
            if "id" in message and "method" in message:  # a request from the server
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
                if self.on_server_request is not None:
                    self.on_server_request(message["method"])
            elif "id" in message:
                self._responses.pop(message["id"]).set_result(message)
            elif message.get("method") == "textDocument/publishDiagnostics":
                self.published.put_nowait((time.perf_counter(), message["params"]))
            elif message.get("method") == "$/progress" and message["params"]["value"].get("kind") == "end":
                self.progress_ended.put_nowait((time.perf_counter(), message["params"]["value"].get("message")))

    async def initialize(self, root: Path, capabilities: dict | None = None, options: dict | None = None) -> None:
        params = {
            "processId": None,
            "rootUri": root.as_uri(),
            "capabilities": capabilities or {"textDocument": {"publishDiagnostics": {"versionSupport": True}}},
            "initializationOptions": options if options is not None else {"debounceMs": 0, "workspaceScan": False},
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


async def edit_latency(lines: int, edits: int, root: Path, project: Path, in_one_body: bool = False, renames: bool = False) -> dict:
    """Edits at column 0 of lines spread over the file (a space typed, then deleted: blanks
    between items, fields or statements), or, ``renames``, a letter typed into a local's
    name in bodies spread over the file, then deleted, or, ``in_one_body``, characters typed
    one after another inside one function body; each timed to its diagnostics."""
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
    typing_line, typing_column = typing_position(text)
    named = [(line, text_line.index("let ") + 4) for line, text_line in enumerate(text.split("\n")) if text_line.startswith("        let ")]
    for version in range(2, edits + 2):
        # Type a character into a line in the middle of the file, then delete it again.
        line = (version * 7919) % line_count
        if in_one_body:
            position = {"line": typing_line, "character": typing_column + version - 2}
            change = {"range": {"start": position, "end": position}, "text": TYPED[(version - 2) % len(TYPED)]}
        elif renames:
            named_line, column = named[(version // 2 * 7919) % len(named)]
            start = {"line": named_line, "character": column}
            if version % 2 == 0:
                change = {"range": {"start": start, "end": start}, "text": "x"}
            else:
                change = {"range": {"start": start, "end": {"line": named_line, "character": column + 1}}, "text": ""}
        elif version % 2 == 0:
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


# What VS Code announces for diagnostics: pull, with refresh (the server may ask it to pull
# again), and versioned pushes.
VS_CODE_DIAGNOSTICS = {
    "textDocument": {"diagnostic": {"dynamicRegistration": False, "relatedDocumentSupport": False},
                     "publishDiagnostics": {"versionSupport": True}},
    "workspace": {"diagnostics": {"refreshSupport": True}},
}
REAL_SOURCES = Path("/work/corpus/openobserve__openobserve/src/core/src/alerts")
TYPED = "let scoped_key = scoped(org_id, stream_name).to_string(); "


def real_source(lines: int) -> tuple[str, str]:
    """Real Rust code of at least ``lines`` lines, whole files of a multi-tenant host
    concatenated (the generated host source when that corpus is not on this machine), and
    what it is."""
    if not REAL_SOURCES.is_dir():
        return host_source(lines), "generated host source"
    parts: list[str] = []
    count = 0
    for path in sorted(REAL_SOURCES.rglob("*.rs")):
        text = path.read_text(encoding="utf-8")
        parts.append(text if text.endswith("\n") else text + "\n")
        count += text.count("\n")
        if count >= lines:
            break
    return "".join(parts), f"{len(parts)} files of {REAL_SOURCES}"


def typing_position(text: str) -> tuple[int, int]:
    """Where to type: the start of a ``let`` statement's indentation in a function body
    half-way through the file (line, column)."""
    lines = text.split("\n")
    for line in range(len(lines) // 2, len(lines)):
        stripped = lines[line].lstrip()
        if stripped.startswith("let ") and lines[line].startswith("        "):
            return line, len(lines[line]) - len(stripped)
    raise ValueError("no let statement to type before")


async def pull_typing(root: Path, project: Path, keystrokes: int, interval: float) -> dict:
    """Type ``keystrokes`` characters, one every ``interval`` seconds, into a 10,000-line real
    file as VS Code does in pull mode: after each edit the pending pull is cancelled
    (``$/cancelRequest``) and a new one sent with the last result id; a refresh request from
    the server is answered by pulling again. A keystroke counts as served when a pull
    answered for its version (a full or unchanged report) before the next keystroke."""
    text, origin = real_source(10_000)
    path = root / "typing_10k.rs"
    path.write_text(text)
    uri = path.as_uri()
    client = await StdioClient.start(project)
    await client.initialize(root, VS_CODE_DIAGNOSTICS, {"workspaceScan": False})
    client.notify("textDocument/didOpen", open_params(uri, text))
    state = {"version": 1, "result_id": None, "pending": None}
    answers: list[tuple[int, float, str | None]] = []  # (version, when, result id) of each pull answered

    def pull() -> None:
        if state["pending"] is not None:
            client.notify("$/cancelRequest", {"id": state["pending"]})
        version = state["version"]
        request_id, response = client.send_request("textDocument/diagnostic", {"textDocument": {"uri": uri}, "previousResultId": state["result_id"]})
        state["pending"] = request_id
        response.add_done_callback(lambda done: answered(request_id, version, done.result()))

    def answered(request_id: int, version: int, message: dict) -> None:
        if state["pending"] == request_id:
            state["pending"] = None
        report = message.get("result")
        if report is None:
            return  # cancelled
        if report.get("resultId") is not None:
            state["result_id"] = report["resultId"]
        answers.append((version, time.perf_counter(), report.get("resultId")))

    client.on_server_request = lambda method: pull() if method == "workspace/diagnostic/refresh" else None
    opened = time.perf_counter()
    pull()
    while not answers:
        await asyncio.sleep(0.01)
    first_diagnostics = (answers[0][1] - opened) * 1000
    line, column = typing_position(text)
    sent_at: dict[int, float] = {}
    started = time.perf_counter()
    for index in range(keystrokes):
        # On a fixed beat, as a steady typist: a slow answer does not slow the typing down.
        await asyncio.sleep(max(0.0, started + index * interval - time.perf_counter()))
        state["version"] += 1
        version = state["version"]
        character = TYPED[index % len(TYPED)]
        position = {"line": line, "character": column}
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                 "contentChanges": [{"range": {"start": position, "end": position}, "text": character}]})
        sent_at[version] = time.perf_counter()
        column += 1
        pull()
    await asyncio.sleep(interval)
    await client.stop()
    served = 0
    latencies = []
    outcomes = []  # per keystroke: ms to its first answer in time, or None
    for version, sent in sent_at.items():
        deadline = sent_at.get(version + 1, sent + interval)
        times = [when for answered_version, when, _ in answers if answered_version == version and when <= deadline]
        outcomes.append((min(times) - sent) * 1000 if times else None)
        if times:
            served += 1
            latencies.append((min(times) - sent) * 1000)
    moved = sum(1 for _, _, result_id in answers if result_id is not None and "moved" in result_id)
    return {"origin": origin, "lines": text.count("\n"), "keystrokes": keystrokes, "served": served, "latencies": latencies,
            "first": first_diagnostics, "answers": len(answers), "moved": moved,
            "outcomes": outcomes}


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


WORKSPACE_MEGABYTES = 14  # about 1,000 files as a Cargo workspace (bench/generate_corpus.py)


async def first_diagnostics_in_workspace(root: Path, project: Path) -> list[tuple[str, float, float, str]]:
    """Start the server at the root of a generated 1,000-file Cargo workspace and open one of
    its files: milliseconds to the file's first diagnostics and to the workspace model being
    built, with an empty summary cache, then warm (the cache the first start wrote)."""
    from generate_corpus import generate

    workspace = root / "workspace"
    files, _ = generate(workspace, WORKSPACE_MEGABYTES, seed=7, cargo_workspace=True)
    opened = next(path for path in sorted(workspace.rglob("*.rs")) if path.name not in ("lib.rs", "main.rs"))
    rows = []
    for label in ("cold summary cache", "warm summary cache"):
        started = time.perf_counter()
        client = await StdioClient.start(project)
        capabilities = {"textDocument": {"publishDiagnostics": {"versionSupport": True}}, "window": {"workDoneProgress": True}}
        await client.initialize(workspace, capabilities)
        client.notify("textDocument/didOpen", open_params(opened.as_uri(), opened.read_text()))
        received_at, _ = await client.diagnostics_for_version(opened.as_uri(), 1)
        model_at, message = await client.progress_ended.get()
        rows.append((label, (received_at - started) * 1000, (model_at - started) * 1000, message))
        await client.stop()
    print(f"server start → first diagnostics of an opened file in a workspace of {files} generated files "
          f"({WORKSPACE_MEGABYTES} MB, Cargo workspace):")
    for label, first, model, message in rows:
        print(f"  {label}: first diagnostics {first:.0f} ms; workspace model built ({message}) {model:.0f} ms")
    return rows


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


TYPING_INTERVAL = 0.150


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=60, help="one-character edits per file")
    parser.add_argument("--starts", type=int, default=5, help="server starts to time")
    parser.add_argument("--keystrokes", type=int, default=60, help="keystrokes of the pull-mode typing run")
    args = parser.parse_args()
    # The servers must not write the bytecode that the first start timings go without.
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        project = snapshot_project(root)
        await print_start_times(root, args.starts, project, "sources only, recompiled at every start")
        byte_compile(project)
        await print_start_times(root, args.starts, project, "byte-compiled as installed")
        await first_diagnostics_in_workspace(root, project)
        print(f"{'file':>12} {'bytes':>8} {'findings':>8} {'edit→diag p50':>14} {'p95':>8} {'max':>8} {'full parse':>11} {'full analyze':>13}")
        for lines, in_one_body, renames in ((500, False, False), (7000, False, False), (7000, False, True), (7000, True, False)):
            figures = await edit_latency(lines, args.edits, root, project, in_one_body, renames)
            parse_ms, analyze_ms = in_process_times(figures["text"])
            samples = figures["samples"]
            print(
                f"{figures['lines']:>6} lines {figures['bytes']:>8} {figures['findings']:>8} "
                f"{statistics.median(samples):>11.1f} ms {percentile(samples, 0.95):>5.1f} ms {max(samples):>5.1f} ms "
                f"{parse_ms:>8.1f} ms {analyze_ms:>10.1f} ms" + ("  (typing inside one function body)" if in_one_body else "")
                + ("  (a local renamed in bodies spread over the file)" if renames else "")
            )
        typing = await pull_typing(root, project, args.keystrokes, TYPING_INTERVAL)
        latencies = typing["latencies"]
        print(f"pull-mode typing, a keystroke every {TYPING_INTERVAL * 1000:.0f} ms, pending pull cancelled and re-sent after each edit "
              f"({typing['lines']} lines: {typing['origin']}):")
        print(f"  {typing['served']}/{typing['keystrokes']} keystrokes ({100 * typing['served'] / typing['keystrokes']:.0f} %) got diagnostics "
              f"for their version before the next keystroke"
              + (f"; keystroke → answer p50 {statistics.median(latencies):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms" if latencies else ""))
        print(f"  {typing['answers']} pulls answered, {typing['moved']} of them with earlier diagnostics moved through the edits since; "
              f"first diagnostics after open {typing['first']:.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())
