"""A real LSP client over stdio (pytest-lsp) driving ``python -m isolint.lsp_server``, with the
recorded capabilities of VS Code or Neovim, and helpers to wait for what it receives."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features
from pygls.protocol import default_converter

CLIENTS = ("visual-studio-code", "neovim")
WAIT_SECONDS = 20  # a generous ceiling for a loaded CI machine, not a speed assertion


@dataclass
class Published:
    uri: str
    version: int | None
    diagnostics: list[types.Diagnostic]


class RecordingClient(LanguageClient):
    """pytest-lsp's client that also keeps every publishDiagnostics, with its version."""

    published: list[Published]
    registrations: list[types.Registration]


def _record_publish(client: RecordingClient, params: types.PublishDiagnosticsParams) -> None:
    client.diagnostics[params.uri] = params.diagnostics
    client.published.append(Published(params.uri, params.version, list(params.diagnostics)))


def _record_registration(client: RecordingClient, params: types.RegistrationParams) -> None:
    client.registrations.extend(params.registrations)


def make_client(features_override: dict | None = None) -> RecordingClient:
    client = RecordingClient(converter_factory=default_converter)
    client.published = []
    client.registrations = []
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _record_publish
    features[types.CLIENT_REGISTER_CAPABILITY] = _record_registration
    features.update(features_override or {})
    register_lsp_features(client, features)
    return client


def capabilities(kind: str, *, pull: bool | None = None, encodings: list[str] | None = None) -> types.ClientCapabilities:
    caps = client_capabilities(kind)
    if pull is False and caps.text_document is not None:
        caps.text_document.diagnostic = None
    if pull is True and caps.text_document is not None:
        caps.text_document.diagnostic = types.DiagnosticClientCapabilities(dynamic_registration=False)
    if encodings is not None:
        caps.general = types.GeneralClientCapabilities(position_encodings=encodings)
    return caps


async def start_session(
    root: Path,
    kind: str = "visual-studio-code",
    *,
    init_options: dict | None = None,
    configuration: dict | None = None,
    caps: types.ClientCapabilities | None = None,
    command: tuple[str, ...] = (sys.executable, "-m", "isolint.lsp_server"),
    features_override: dict | None = None,
) -> tuple[RecordingClient, types.InitializeResult]:
    client = make_client(features_override)
    if configuration is not None:
        client.set_configuration(configuration, section="isolint")
    await client.start_io(*command, "--log-level", os.environ.get("ISOLINT_TEST_LOG_LEVEL", "info"))
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=caps or capabilities(kind),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options={"workspaceScan": False, "debounceMs": 10, **(init_options or {})},
        )
    )
    return client, result


async def stop_session(client: RecordingClient) -> None:
    await client.shutdown_session()
    await client.stop()


def is_pull(client: LanguageClient) -> bool:
    caps = client.capabilities
    return caps is not None and caps.text_document is not None and caps.text_document.diagnostic is not None


async def wait_until(client: LanguageClient, condition: Callable[[], Any], what: str) -> Any:
    """Wait for server notifications until ``condition()`` is truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while not (value := condition()):
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
    return value


async def wait_until_async(condition: Callable[[], Any], what: Callable[[], str]) -> None:
    """Like ``wait_until`` for a condition that has to ask the server (e.g. a pull)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what()}")
        await asyncio.sleep(0.02)


async def diagnostics_for(client: RecordingClient, uri: str, version: int | None = None) -> list[types.Diagnostic]:
    """The document's diagnostics as the client would see them: pulled in pull mode, else
    the last push for ``version`` (any version when None)."""
    if is_pull(client):
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert report.kind == "full"
        return list(report.items)

    def pushed():
        for item in reversed(client.published):
            if item.uri == uri:
                return item if version is None or item.version == version else None
        return None

    item = await wait_until(client, pushed, f"diagnostics for {uri} v{version}")
    return item.diagnostics


def open_document(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=uri, language_id="rust", version=version, text=text))
    )
    return uri


def change_document(client: LanguageClient, uri: str, version: int, changes: list[types.TextDocumentContentChangeEvent]) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=changes,
        )
    )


def edit(start: tuple[int, int], end: tuple[int, int], text: str) -> types.TextDocumentContentChangePartial:
    return types.TextDocumentContentChangePartial(
        range=types.Range(start=types.Position(*start), end=types.Position(*end)), text=text
    )


def apply_text_edits(text: str, edits: list[types.TextEdit], encoding: str = "utf-16") -> str:
    """What a client does with a code action's edits (same-document, non-overlapping)."""
    from isolint.checks.source import SourceText

    data = text.encode("utf-8")
    source = SourceText(data)
    spans = []
    for e in edits:
        start = source.byte_offset(e.range.start.line, e.range.start.character, encoding)
        end = source.byte_offset(e.range.end.line, e.range.end.character, encoding)
        spans.append((start, end, e.new_text.encode("utf-8")))
    for start, end, new in sorted(spans, reverse=True):
        data = data[:start] + new + data[end:]
    return data.decode("utf-8")


def negotiated(result: types.InitializeResult) -> str:
    """The position encoding the server chose (``utf-16`` when it says none)."""
    encoding = result.capabilities.position_encoding  # an enum member, or its plain string
    return getattr(encoding, "value", encoding) or "utf-16"


def column_in(text: str, encoding: str) -> int:
    """The length of ``text`` in code units of a position encoding."""
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    return len(text.encode(f"{encoding}-le")) // (2 if encoding == "utf-16" else 4)
