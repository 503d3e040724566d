"""The isolint language server: document sync, diagnostics (pull or push), code actions,
hover, inlay hints, code lenses, configuration and the workspace scan, over the ``checks``
engine.

State lives on ``IsolintLanguageServer``; ``register_features`` binds LSP methods to it.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
import uuid
from pathlib import Path
from typing import NoReturn

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from ..checks.config import DEFAULT_MAX_FILE_SIZE
from .. import __version__
from . import code_actions, framing, logs
from .configuration import ProjectConfiguration, is_config_file
from .diagnostics import config_error_diagnostics, read_config_text
from .documents import DocumentStore, OpenDocument, TextChange
from .hover import hover_at
from .inlay_hints import inlay_hints_in
from .linting import Analysis, DocumentLinter, skip_reason
from .options import EditorOptions
from .positions import byte_offset_at, encoding_name
from .protocol import IsolintProtocol
from .shared_state import SharedState, code_lenses, shared_state_in
from .uris import path_uri, uri_path
from .workspace_files import WorkspaceFiles
from .workspace_model import WorkspaceModelKeeper

log = logging.getLogger(__name__)

CONFIG_SECTION = "isolint"
WATCHED_GLOBS = ("**/*.rs", "**/isolint.toml", "**/.isolint.toml", "**/Cargo.toml")
SCAN_PROGRESS_EVERY = 10
# A client that never answers (or answers in a shape pygls rejects, so the request never
# resolves) must not hold analyses back for ever.
CLIENT_REPLY_TIMEOUT_SECONDS = 2.0


class IsolintLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("isolint", __version__, protocol_cls=IsolintProtocol)
        self.options = EditorOptions()
        # initializationOptions; each workspace/configuration answer is layered on these.
        self._initial_options = EditorOptions()
        self.configuration = ProjectConfiguration()
        self.documents = DocumentStore()
        self.model_keeper = WorkspaceModelKeeper()
        self.linter = DocumentLinter(self.configuration, self.encoding, self._after_analysis, self.model_keeper, self._early_answer_superseded)
        self.disk_files = WorkspaceFiles(self.configuration)
        self._reported_config_errors: dict[Path, str] = {}
        self.scan_task: asyncio.Task | None = None
        self._background: set[asyncio.Task] = set()
        self._disk_rescans: set[asyncio.Task] = set()
        self.exit_status = 0  # what ``exit`` asked for: 1 when no ``shutdown`` came first

    # -- capabilities ------------------------------------------------------------------
    def encoding(self) -> str:
        return encoding_name(self.workspace.position_encoding)

    @property
    def pull_mode(self) -> bool:
        """Clients that can pull diagnostics get them only by pulling, never pushed too."""
        text_document = self.client_capabilities.text_document
        return text_document is not None and text_document.diagnostic is not None

    def supports(self, *path: str) -> bool:
        node = self.client_capabilities
        for name in path:
            node = getattr(node, name, None)
            if node is None:
                return False
        return bool(node)

    # -- options and configuration ------------------------------------------------------
    def apply_initialization_options(self, options: dict | None) -> None:
        self.apply_options(options, source="initializationOptions")
        self._initial_options = self.options

    def apply_options(self, changes: dict | None, *, source: str) -> bool:
        """Layer editor settings on the initializationOptions; invalid ones are reported
        and the previous options kept."""
        if changes is None:
            return False
        try:
            options = self._initial_options.merged(changes)
            ProjectConfiguration.validate_overrides(options.config_overrides())
        except ValueError as error:  # names the first invalid setting
            message = f"isolint: ignoring invalid {source}: {error}"
            log.error(message)
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))
            return False
        overrides_changed = options.config_overrides() != self.options.config_overrides()
        hints_toggled = options.inlay_hints != self.options.inlay_hints
        self.options = options
        if hints_toggled and self.supports("workspace", "inlay_hint", "refresh_support"):
            self.workspace_inlay_hint_refresh(None)
        self.linter.debounce_seconds = options.debounce_ms / 1000
        if options.log_level is not None:
            logs.set_level(options.log_level)
        if overrides_changed:
            self.configuration.reload(options.config_overrides())
        return overrides_changed

    async def fetch_workspace_configuration(self) -> bool:
        if not self.supports("workspace", "configuration"):
            return False
        try:
            values = await asyncio.wait_for(
                self.workspace_configuration_async(types.ConfigurationParams(items=[types.ConfigurationItem(section=CONFIG_SECTION)])),
                CLIENT_REPLY_TIMEOUT_SECONDS,
            )
        except TimeoutError:
            log.warning("workspace/configuration got no usable answer in %.0f s; using initializationOptions", CLIENT_REPLY_TIMEOUT_SECONDS)
            return False
        except Exception as error:
            log.warning("workspace/configuration failed: %s", error)
            return False
        value = values[0] if values else None
        return self.apply_options(value if isinstance(value, dict) else None, source="workspace configuration")

    def config_changed(self) -> None:
        """Config files or settings changed: re-lint open documents and known disk files."""
        for document in self.documents:
            self.linter.schedule(document, delay=0)
        self._report_config_errors()
        self.spawn(self._reanalyse_disk_files())

    async def _reanalyse_disk_files(self) -> None:
        for entry in list(self.disk_files):
            path = uri_path(entry.uri)
            if path is not None:
                await self.analyse_disk_file(path)
        if self.pull_mode and self.supports("workspace", "diagnostics", "refresh_support"):
            self.workspace_diagnostic_refresh(None)

    async def disk_rescans_settled(self) -> None:
        """Wait for the files the client said changed on disk to be analysed again, so that
        a workspace pull right after the change answers for the files as they are now."""
        while self._disk_rescans:
            await asyncio.gather(*list(self._disk_rescans), return_exceptions=True)

    def spawn(self, work) -> asyncio.Task:
        """Run ``work`` in the background, holding a reference and logging its failure."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background_done)
        return task

    def _background_done(self, task: asyncio.Task) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background work failed", exc_info=task.exception())

    def reload_if_config_edited(self) -> None:
        """Clients that cannot watch files still open and save documents: check then."""
        linted = [d.path for d in self.documents if d.path is not None]
        if self.configuration.changed_on_disk(linted):
            log.info("a config file changed on disk; reloading")
            self.configuration.reload()
            self.config_changed()

    def _report_config_errors(self) -> None:
        """Show each new config error once, as a message and a diagnostic on its file."""
        errors = self.configuration.errors
        for path, error in errors.items():
            if self._reported_config_errors.get(path) == str(error):
                continue
            self._reported_config_errors[path] = str(error)
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=f"isolint: {error}"))
            if not self.pull_mode:
                self.publish(path_uri(path), config_error_diagnostics(error, read_config_text(path)), None)
        for path in [p for p in self._reported_config_errors if p not in errors]:
            del self._reported_config_errors[path]
            if not self.pull_mode:
                self.publish(path_uri(path), [], None)

    def config_diagnostics(self, uri: str) -> list[types.Diagnostic] | None:
        path = uri_path(uri)
        error = self.configuration.errors.get(path) if path is not None else None
        if error is None:
            return None
        return config_error_diagnostics(error, read_config_text(error.path))

    # -- documents -----------------------------------------------------------------------
    def document_or_error(self, uri: str) -> OpenDocument:
        document = self.documents.get(uri)
        if document is None:
            raise JsonRpcInvalidParams(f"isolint: document {uri} is not open")
        return document

    def _after_analysis(self, document: OpenDocument, analysis: Analysis) -> None:
        self._report_config_errors()
        if self.pull_mode:
            return
        if self.documents.get(document.uri) is document and document.version == analysis.version:
            self.publish(document.uri, analysis.diagnostics, analysis.version)
        else:
            log.debug("not publishing %s v%s: document moved on", document.uri, analysis.version)

    def _early_answer_superseded(self, document: OpenDocument) -> None:
        """The analysis of a document whose last pull got moved diagnostics has landed: the
        client is asked to pull again (only clients that can be get moved diagnostics)."""
        self.workspace_diagnostic_refresh(None)

    def shared_state(self, document: OpenDocument, analysis: Analysis) -> list[SharedState]:
        """The readiness inventory's entries for what the document declares, from its analysis."""
        settings = self.configuration.settings_for(document.path)
        return shared_state_in(analysis, self.model_keeper.model, settings, document.path)

    def publish(self, uri: str, diagnostics: list[types.Diagnostic], version: int | None) -> None:
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version))

    # -- files on disk ------------------------------------------------------------------
    async def analyse_disk_file(self, path: Path) -> None:
        entry = await self.disk_files.analyse(path, self.encoding(), self.linter.worker, self.model_keeper.model)
        if self.pull_mode:
            return
        uri = path_uri(path)
        if uri not in self.documents:
            self.publish(uri, entry.diagnostics if entry else [], None)

    def workspace_folders(self) -> list[Path]:
        folders = [Path(p) for p in (to_fs_path(f.uri) for f in self.workspace.folders.values()) if p]
        if not folders and self.workspace.root_path:
            folders = [Path(self.workspace.root_path)]
        return folders

    async def begin_progress(self, title: str) -> str | None:
        """A work-done progress token the client accepted, begun with ``title``; None when
        the client shows no progress."""
        if not self.supports("window", "work_done_progress"):
            return None
        token = f"isolint-{uuid.uuid4()}"
        try:
            await self.work_done_progress.create_async(token)
        except Exception as error:
            log.warning("client refused progress token: %s", error)
            return None
        self.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, percentage=0, cancellable=False))
        return token

    def report_progress(self, token: str | None, done: int, total: int, what: str) -> None:
        if token is not None and total:
            self.work_done_progress.report(token, types.WorkDoneProgressReport(message=f"{done}/{total} {what}", percentage=done * 100 // total))

    async def start_workspace_work(self) -> None:
        """The workspace model first (findings rest on it), then the scan if asked for, under
        one progress report."""
        token = await self.begin_progress("isolint: reading the workspace")
        done_message = await self.build_workspace_model(token)
        if self.options.workspace_scan:
            done_message = await self.scan_workspace(token)
        if token is not None:
            self.work_done_progress.end(token, types.WorkDoneProgressEnd(message=done_message))
        self._report_config_errors()
        if self.options.workspace_scan and self.pull_mode and self.supports("workspace", "diagnostics", "refresh_support"):
            self.workspace_diagnostic_refresh(None)

    async def build_workspace_model(self, token: str | None) -> str:
        """Summarise the workspace's Rust files (from the summary cache when warm), then
        analyse the open documents again against the whole workspace."""
        folders = self.workspace_folders()
        files = self.disk_files.rust_files(folders)
        settings = self.configuration.settings_for(folders[0] / "lib.rs") if folders else None
        max_size = settings.max_file_size if settings is not None else DEFAULT_MAX_FILE_SIZE
        model = await self.model_keeper.build(files, folders[0] if folders else None, max_size, self.linter.worker,
                                              lambda done, total: self.report_progress(token, done, total, "files read"))
        for document in self.documents:
            if document.path is not None and skip_reason(document, self.configuration.settings_for(document.path)) is None:
                await self.linter.update_model(document)
        log.info("workspace model: %d Rust files", len(model.summaries))
        for document in self.documents:
            self.linter.schedule(document, delay=0, only_if_changed=True)
        if self.supports("workspace", "code_lens", "refresh_support"):
            # Lenses shown so far read each document alone: which structs the host keeps one
            # of is decided across files.
            self.workspace_code_lens_refresh(None)
        return f"{len(model.summaries)} files in the workspace model"

    async def scan_workspace(self, token: str | None) -> str:
        files = self.disk_files.rust_files(self.workspace_folders())
        for index, path in enumerate(files, start=1):
            if path_uri(path) not in self.documents:
                await self.analyse_disk_file(path)
            if index % SCAN_PROGRESS_EVERY == 0 or index == len(files):
                self.report_progress(token, index, len(files), "files analysed")
        log.info("workspace scan: %d Rust files analysed", len(files))
        return f"{len(files)} files analysed"

    def files_changed(self, changes: list[types.FileEvent]) -> None:
        config_touched = False
        for change in changes:
            path = uri_path(change.uri)
            if path is None:
                continue
            if is_config_file(path):
                config_touched = True
            elif path.suffix == ".rs" and change.uri not in self.documents:
                if change.type == types.FileChangeType.Deleted:
                    self.disk_files.forget(change.uri)
                    if not self.pull_mode:
                        self.publish(change.uri, [], None)
                else:
                    task = self.spawn(self.analyse_disk_file(path))
                    self._disk_rescans.add(task)
                    task.add_done_callback(self._disk_rescans.discard)
        if config_touched:
            log.info("config file changed on disk; reloading")
            self.configuration.reload()
            self.config_changed()

    # -- the connection ---------------------------------------------------------------------
    def start_io(self, stdin=None, stdout=None) -> None:
        """pygls's stdio server with our reader (``framing``) in place of its own, which a
        single wrong Content-Length wedges for good."""
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        read = framing.fd_reader(stdin or sys.stdin.buffer)
        try:
            asyncio.run(framing.serve(read, self._handle_payload, self._drop_unusable_input))
        except BrokenPipeError:
            log.error("the client closed the connection; exiting")
        except SystemExit as exiting:  # `exit` ends the server through SystemExit, as in pygls
            self.exit_status = exiting.code if isinstance(exiting.code, int) else 0
        except KeyboardInterrupt:
            pass
        finally:
            self.shutdown()

    def _handle_payload(self, payload) -> None:
        try:
            self.protocol.handle_payload(payload)
        except Exception as error:  # a message that fails must not end the read loop
            log.exception("could not handle a message")
            self._report_server_error(error, JsonRpcException)

    def _drop_unusable_input(self, reason: str) -> None:
        log.warning("input dropped: %s", reason)
        self.protocol.send_parse_error(reason)

    def report_server_error(self, error: Exception, source) -> None:
        # Errors are logged (and reach the client as log messages); a popup per bad
        # notification would drown the user.
        log.error("server error (%s): %s", getattr(source, "__name__", source), error)


def register_features(server: IsolintLanguageServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams) -> None:
        options = params.initialization_options
        server.apply_initialization_options(options if isinstance(options, dict) else None)
        logs.attach_client(server)
        if server.supports("workspace", "configuration"):
            server.linter.pause()  # until initialized has fetched the editor's settings
        log.info("isolint %s: position encoding %s, %s diagnostics", __version__, server.encoding(), "pull" if server.pull_mode else "push")

    @server.feature(types.INITIALIZED)
    async def initialized(params: types.InitializedParams) -> None:
        # The settings first: analyses wait for them, not for the watchers.
        try:
            if await server.fetch_workspace_configuration():
                server.config_changed()
        finally:
            server.linter.resume()
        if server.supports("workspace", "did_change_watched_files", "dynamic_registration"):
            watchers = [types.FileSystemWatcher(glob_pattern=glob) for glob in WATCHED_GLOBS]
            registration = types.Registration(
                id="isolint-watched-files",
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
            )
            try:
                await asyncio.wait_for(
                    server.client_register_capability_async(types.RegistrationParams(registrations=[registration])),
                    CLIENT_REPLY_TIMEOUT_SECONDS,
                )
            except Exception as error:
                log.warning("could not register file watchers: %s", error)
        server.scan_task = server.spawn(server.start_workspace_work())

    @server.feature(types.SHUTDOWN)
    def shutdown(params: None) -> None:
        if server.scan_task is not None:
            server.scan_task.cancel()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        server.reload_if_config_edited()
        document = server.documents.open(item.uri, uri_path(item.uri), item.version, item.text)
        server.linter.forget(item.uri)
        server.linter.schedule(document, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        document = server.documents.get(params.text_document.uri)
        if document is None:
            log.warning("change for %s, which is not open; ignored", params.text_document.uri)
            return
        encoding = server.encoding()
        changes = []
        for change in params.content_changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                start, end = change.range.start, change.range.end
                changes.append(TextChange(change.text, (start.line, start.character), (end.line, end.character)))
            else:
                changes.append(TextChange(change.text))
            document.apply(changes[-1], encoding)
        document.version = params.text_document.version
        document.record_changes(document.version, changes)
        server.linter.schedule(document)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        server.reload_if_config_edited()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        if server.documents.close(uri) is None:
            log.warning("close for %s, which is not open; ignored", uri)
            return
        server.linter.forget(uri)
        path = uri_path(uri)
        on_disk = server.disk_files.get(uri) is not None
        if on_disk and path is not None:
            server.spawn(server.analyse_disk_file(path))  # the saved file's findings replace the buffer's
        elif not server.pull_mode:
            server.publish(uri, [], None)

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier="isolint", inter_file_dependencies=False, workspace_diagnostics=True),
    )
    async def document_diagnostic(params: types.DocumentDiagnosticParams):
        uri = params.text_document.uri
        document = server.documents.get(uri)
        if document is None:
            config_diagnostics = server.config_diagnostics(uri)
            if config_diagnostics is not None:
                return types.RelatedFullDocumentDiagnosticReport(items=config_diagnostics)
            entry = server.disk_files.get(uri)
            if entry is None:
                raise JsonRpcInvalidParams(f"isolint: document {uri} is not open")
            return _report(entry.result_id, entry.diagnostics, params.previous_result_id)
        # A cancelled pull cancels only this wait: the analysis goes on, and lands.
        result_id, diagnostics = await server.linter.for_pull(document, server.supports("workspace", "diagnostics", "refresh_support"))
        return _report(result_id, diagnostics, params.previous_result_id)

    @server.feature(types.WORKSPACE_DIAGNOSTIC)
    async def workspace_diagnostic(params: types.WorkspaceDiagnosticParams) -> types.WorkspaceDiagnosticReport:
        await server.disk_rescans_settled()
        previous = {item.uri: item.value for item in params.previous_result_ids}
        items: list = []
        for document in server.documents:
            analysis = await server.linter.current(document)
            items.append(_workspace_item(document.uri, document.version, analysis.result_id, analysis.diagnostics, previous))
        for entry in server.disk_files:
            if entry.uri not in server.documents:
                items.append(_workspace_item(entry.uri, None, entry.result_id, entry.diagnostics, previous))
        for path, error in server.configuration.errors.items():
            items.append(types.WorkspaceFullDocumentDiagnosticReport(uri=path_uri(path), version=None, items=server.config_diagnostics(path_uri(path)) or []))
        return types.WorkspaceDiagnosticReport(items=items)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, code_actions.FIX_ALL_KIND], resolve_provider=True),
    )
    async def code_action(params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        document = server.document_or_error(uri)
        only = params.context.only
        actions = code_actions.actions_for_diagnostics(uri, document, params.context.diagnostics, only, server.linter.cached(uri))
        if only and code_actions.kind_requested(only, code_actions.FIX_ALL_KIND):
            if server.supports("text_document", "code_action", "resolve_support"):
                actions.append(types.CodeAction(title="isolint: fix all safe fixes", kind=code_actions.FIX_ALL_KIND, data={"uri": uri, "version": document.version}))
            else:
                fix_all = code_actions.fix_all(uri, document, await server.linter.current(document), server.encoding())
                if fix_all is not None:
                    actions.append(fix_all)
        return actions

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def resolve_code_action(action: types.CodeAction) -> types.CodeAction:
        data = action.data if isinstance(action.data, dict) else {}
        uri, version = data.get("uri"), data.get("version")
        if action.kind != code_actions.FIX_ALL_KIND or not isinstance(uri, str):
            return action
        document = server.document_or_error(uri)
        if version != document.version:
            raise JsonRpcInvalidParams("isolint: the document changed since this action was offered")
        resolved = code_actions.fix_all(uri, document, await server.linter.current(document), server.encoding())
        action.edit = resolved.edit if resolved is not None else code_actions.versioned_edit(uri, document.version, [])
        return action

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(params: types.HoverParams) -> types.Hover | None:
        document = server.document_or_error(params.text_document.uri)
        analysis = await server.linter.current(document)  # the debounced run, not a second one
        offset = byte_offset_at(analysis.result.source, params.position, server.encoding())
        return hover_at(analysis, offset, server.encoding(), server.shared_state(document, analysis))

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    async def code_lens(params: types.CodeLensParams) -> list[types.CodeLens] | None:
        document = server.documents.get(params.text_document.uri)
        if document is None:
            return None  # closed while the request was on its way: no lenses, not an error
        analysis = await server.linter.current(document)
        return code_lenses(server.shared_state(document, analysis), analysis, server.encoding())

    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
    async def inlay_hint(params: types.InlayHintParams) -> list[types.InlayHint]:
        document = server.document_or_error(params.text_document.uri)
        if not server.options.inlay_hints:
            return []
        analysis = await server.linter.current(document)
        source = analysis.result.source
        start = byte_offset_at(source, params.range.start, server.encoding())
        end = byte_offset_at(source, params.range.end, server.encoding())
        return inlay_hints_in(analysis, start, end, server.encoding())

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        settings = params.settings.get(CONFIG_SECTION) if isinstance(params.settings, dict) else None
        if isinstance(settings, dict):
            changed = server.apply_options(settings, source="settings")
        else:
            changed = await server.fetch_workspace_configuration()
        if changed:
            server.config_changed()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        server.files_changed(params.changes)


def _report(result_id: str, diagnostics: list[types.Diagnostic], previous_result_id: str | None):
    if previous_result_id == result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
    return types.RelatedFullDocumentDiagnosticReport(items=diagnostics, result_id=result_id)


def _workspace_item(uri: str, version: int | None, result_id: str, diagnostics: list[types.Diagnostic], previous: dict[str, str]):
    if previous.get(uri) == result_id:
        return types.WorkspaceUnchangedDocumentDiagnosticReport(uri=uri, version=version, result_id=result_id)
    return types.WorkspaceFullDocumentDiagnosticReport(uri=uri, version=version, items=diagnostics, result_id=result_id)


def build_server() -> IsolintLanguageServer:
    server = IsolintLanguageServer()
    register_features(server)
    return server


def run_stdio(log_level: str | None = None) -> NoReturn:
    """Serve LSP on stdin/stdout until the client sends ``exit`` (or closes stdin), then end
    the process at once: an analysis still running on the worker would keep it alive until
    the analysis ends, as the interpreter waits for executor threads at exit. Every message
    is out by then (the writer flushes each one).

    Start-up creates a few hundred thousand objects that live as long as the server
    (lsprotocol's classes above all). The entry points import with the collector disabled,
    as its passes over that growing heap cost a tenth of the time to the first diagnostics;
    here those objects are frozen out of every later collection and collecting resumes."""
    logs.configure_stderr(log_level)
    server = build_server()
    gc.freeze()
    gc.enable()
    server.start_io()
    logging.shutdown()
    os._exit(server.exit_status)
