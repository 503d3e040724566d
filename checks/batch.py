"""Lint many files: discovery, per-file config, reading, cached or parallel analysis, fixes.

Used by the CLI. What crosses a process or cache boundary is a ``FileOutcome``: findings
with their fingerprints, but no tree, which neither pickles nor is needed once the
fingerprints are computed. The source is re-read (it is needed for the cache key anyway).
A cached file, or one a worker analysed, arrives as a ``PackedOutcome``: its findings stay
pickled until something reads them, beside a ``FileSummary`` and the renderings made for
the output. A warm run that prints what it printed before, and the parent of parallel
workers (which render where they analyse), then decode no finding at all.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable, NamedTuple

from .config import CONFIG_LISTING_NAMES, ConfigError, ConfigResolver, Settings
from .discovery import discover
from .files import FileSkipped, read_rust_file
from .model import Applicability, Finding
from .source import SourceText

if TYPE_CHECKING:
    from .cache import ResultCache
    from .workspace import WorkspaceModel

# Below this much uncached input, forking workers costs more than it saves (bench/).
PARALLEL_MIN_BYTES = 512 * 1024
# Files a parallel run analyses before forking: a query becomes part of the combined query
# once it has run on two trees (checks.query_batch), and a third file's run rebuilds it.
WARM_UP_FILES = 3


class FileOutcome(NamedTuple):
    """One file's analysis in a picklable form (cache entries, worker results)."""

    findings: list[Finding]
    # None when not asked for (``analyse_file``): no output of the run reads them.
    fingerprints: list[str] | None
    suppressed: list[Finding]
    suppressed_fingerprints: list[str] | None
    first_syntax_error: tuple[int, int] | None  # 0-based line, byte column
    rule_failures: list[tuple[str, str]]  # rule code, error
    # The workspace model's answers the findings rest on: (question, key, answer checksum).
    model_queries: tuple = ()
    rule_skips: tuple[tuple[str, str], ...] = ()  # rule code, why (input nested too deeply)
    observations: tuple = ()  # sites the rules judged safe (``checks.model.Observation``)


def analyse_file(data: bytes, settings: Settings, path: Path, fingerprinted: bool = True,
                 workspace: WorkspaceModel | None = None) -> FileOutcome:
    """``fingerprinted``: compute the findings' fingerprints (baselines, JSON and SARIF output
    and the cache need them; they cost a hashlib import a one-file text run need not pay).
    ``workspace``: the model of the crates ``path`` belongs to (None: the file alone)."""
    from .engine import analyze  # not at the top: a warm run analyses nothing, and the parser's import costs

    tree = workspace.parsed(str(path), data) if workspace is not None else None
    result = analyze(data, settings, path, tree, workspace)
    prints: list[str | None] = [None, None]
    if fingerprinted:
        from .fingerprint import fingerprints

        computed = fingerprints(result.tree, data, result.findings + result.suppressed)
        prints = [computed[: len(result.findings)], computed[len(result.findings):]]
    first_error = result.syntax_errors[0] if result.syntax_errors else None
    return FileOutcome(
        findings=result.findings,
        fingerprints=prints[0],
        suppressed=result.suppressed,
        suppressed_fingerprints=prints[1],
        first_syntax_error=(first_error.start_line, first_error.start_col) if first_error else None,
        rule_failures=[(failure.code, failure.error) for failure in result.rule_failures],
        model_queries=result.model_queries,
        rule_skips=tuple(result.rule_skips),
        observations=tuple(result.observations),
    )


class FileSummary(NamedTuple):
    """What a report needs of a file's outcome without reading its findings."""

    finding_count: int
    safe_fixes: int
    unsafe_fixes: int
    first_syntax_error: tuple[int, int] | None
    rule_failures: tuple[tuple[str, str], ...]
    rule_skips: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, outcome: FileOutcome) -> "FileSummary":
        fixes = [finding.fix.applicability for finding in outcome.findings if finding.fix is not None]
        return cls(len(outcome.findings), fixes.count(Applicability.SAFE), fixes.count(Applicability.UNSAFE),
                   outcome.first_syntax_error, tuple(outcome.rule_failures), outcome.rule_skips)


class PackedOutcome:
    """A file's outcome pickled, with its summary and the renderings made of it (per output
    format: the display path it was rendered for, and the text). The model's answers the
    findings rest on are pickled apart: a warm run whose workspace is unchanged never reads
    them, and as objects they were most of what loading the cache built."""

    __slots__ = ("summary", "payload", "renderings", "changed", "_model_queries")

    def __init__(self, summary: FileSummary, payload: bytes, model_queries: bytes = b""):
        self.summary = summary
        self.payload = payload
        self._model_queries = model_queries
        self.renderings: dict[str, tuple[str, str]] = {}
        self.changed = True  # since loaded from the cache, which saves only when something is

    @classmethod
    def pack(cls, outcome: FileOutcome) -> "PackedOutcome":
        import pickle  # not at the top: a run without cache or workers never packs

        queries = pickle.dumps(outcome.model_queries, protocol=pickle.HIGHEST_PROTOCOL) if outcome.model_queries else b""
        payload = pickle.dumps(outcome._replace(model_queries=()), protocol=pickle.HIGHEST_PROTOCOL)
        return cls(FileSummary.of(outcome), payload, queries)

    @property
    def model_queries(self) -> tuple:
        """The workspace model's answers the findings rest on (``FileOutcome.model_queries``)."""
        import pickle

        return pickle.loads(self._model_queries) if self._model_queries else ()

    def __getstate__(self):
        return self.summary, self.payload, self._model_queries, self.renderings

    def __setstate__(self, state) -> None:
        self.summary, self.payload, self._model_queries, self.renderings = state
        self.changed = False

    def outcome(self) -> FileOutcome:
        import pickle

        return pickle.loads(self.payload)

    def rendering(self, output_format: str, display_path: str) -> str | None:
        stored = self.renderings.get(output_format)
        return stored[1] if stored is not None and stored[0] == display_path else None

    def keep_rendering(self, output_format: str, display_path: str, text: str) -> None:
        self.renderings[output_format] = (display_path, text)
        self.changed = True


class Rendering(NamedTuple):
    """How an output format renders one file's findings: done where the file is analysed
    (in the worker, in parallel runs) and kept with its packed outcome for later runs."""

    output_format: str
    display_path: Callable[[Path], str]
    render: Callable[["FileReport", str], str]  # (file, its display path) -> text


class FileReport:
    """One linted file: its source, settings and outcome. A packed outcome is decoded on
    first access to the findings; renderings (``rendered``) are kept in it, so a cached file
    rendered the same way again is copied, not re-rendered."""

    def __init__(self, path: Path, data: bytes, settings: Settings, outcome: FileOutcome | None, packed: PackedOutcome | None = None):
        if outcome is None and packed is None:
            raise ValueError("a file report needs an outcome, packed or not")
        self.path = path
        self.source = SourceText(data)
        self.settings = settings
        self._outcome = outcome
        self._packed = packed
        self.summary = packed.summary if packed is not None else FileSummary.of(outcome)

    def _loaded(self) -> FileOutcome:
        if self._outcome is None:
            self._outcome = self._packed.outcome()
        return self._outcome

    @property
    def findings(self) -> list[Finding]:
        return self._loaded().findings

    @property
    def fingerprints(self) -> list[str]:
        return self._loaded().fingerprints

    @property
    def suppressed(self) -> list[Finding]:
        return self._loaded().suppressed

    @property
    def suppressed_fingerprints(self) -> list[str]:
        return self._loaded().suppressed_fingerprints

    @property
    def observations(self) -> tuple:
        return self._loaded().observations

    @property
    def finding_count(self) -> int:
        return self.summary.finding_count

    def keep_findings(self, findings: list[Finding], fingerprints: list[str]) -> None:
        """Report only ``findings`` (a baseline hid the others); stored renderings no longer
        describe this report, so it stops using the packed outcome's."""
        outcome = self._loaded()
        self._outcome = outcome._replace(findings=findings, fingerprints=fingerprints)
        self._packed = None
        self.summary = FileSummary.of(self._outcome)

    def rendered(self, rendering: Rendering) -> str:
        """This file's findings rendered by ``rendering``: the kept text when there is one."""
        display_path = rendering.display_path(self.path)
        if self._packed is None:
            return rendering.render(self, display_path)
        stored = self._packed.rendering(rendering.output_format, display_path)
        if stored is None:
            stored = rendering.render(self, display_path)
            self._packed.keep_rendering(rendering.output_format, display_path, stored)
        return stored


class FixedFile(NamedTuple):
    path: Path
    original: bytes
    fixed: bytes
    applied: list[Finding]
    written: bool


class BatchReport:
    def __init__(self) -> None:
        self.files: list[FileReport] = []
        self.errors: list[tuple[Path, str]] = []  # could not read / config
        # Files not analysed (too large, binary), and files some rule skipped (input nested
        # too deeply): each with why. Either way the run cannot vouch for the whole file.
        self.skipped: list[tuple[Path, str]] = []
        self.partly_skipped: list[tuple[Path, str]] = []
        self.notices: list[tuple[Path, str]] = []  # syntax errors, undecodable bytes
        self.analysed = 0  # files run through the engine in this run
        self.from_cache = 0
        self.fixed: list[FixedFile] = []
        # What the files are analysed against, built on first use (a run whose files all
        # come unchanged from the cache needs none).
        self._workspace: Callable[[], WorkspaceModel] | None = None
        # The identity of every linted file's path, bytes and settings (None when not cached
        # or only some files were named), and whether the cached run saw them so: then what
        # was derived from that run (a report) is still valid.
        self.workspace_state: str | None = None
        self.unchanged = False

    @property
    def workspace(self) -> WorkspaceModel | None:
        return self._workspace() if self._workspace is not None else None

    @property
    def finding_count(self) -> int:
        return sum(f.finding_count for f in self.files)


class BatchOptions(NamedTuple):
    jobs: int | None = None  # None: the cores, used only when the input is large enough
    cache: ResultCache | None = None
    progress: Callable[[int, int], None] | None = None  # (files done, files total)
    rendering: Rendering | None = None  # the output, rendered by parallel workers
    fingerprinted: bool = True  # False: nothing in the run reads fingerprints, they may be left out


class _PendingFile(NamedTuple):
    path: Path
    data: bytes
    settings: Settings
    cache_key: bytes | None


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def lint_paths(paths: list[Path], resolver: ConfigResolver, options: BatchOptions | None = None) -> BatchReport:
    """Lint every Rust file under ``paths``; reports keep the discovery order."""
    # The workspace model is millions of objects, none of them garbage, and an analysis
    # leaves no cycles behind (tests/test_analysis_garbage.py): the collector would only walk
    # the model again and again (0.4-0.6 s of a cold run on openobserve), and in forked
    # workers its walks would dirty, so copy, every page of the model they inherit.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _lint_paths(paths, resolver, options or BatchOptions())
    finally:
        if collecting:
            gc.enable()


def _lint_paths(paths: list[Path], resolver: ConfigResolver, options: BatchOptions) -> BatchReport:
    report = BatchReport()
    settings = resolver.settings_for(paths[0] if paths else Path("."))
    discovered = discover(paths, settings.exclude, settings.respect_gitignore, noted=CONFIG_LISTING_NAMES)
    resolver.know_listed_folders(discovered.folders)
    report.errors.extend(discovered.errors)

    pending = [item for item in (_read(path, resolver, report, options.cache) for path in discovered.files) if item is not None]
    linted_files_alone = any(path.is_file() for path in paths)
    built: list[WorkspaceModel] = []

    def workspace() -> WorkspaceModel:
        if not built:
            built.append(build_workspace(pending, options, include_their_crates=linted_files_alone))
        return built[0]

    report._workspace = workspace
    # The same files with the same bytes and settings as the cached run: every answer the
    # cached results rested on is the same, and no model is needed to say so.
    state = _workspace_state(pending) if options.cache is not None and not linted_files_alone else None
    unchanged = state is not None and options.cache.workspace_state == state
    report.workspace_state, report.unchanged = state, unchanged
    packed: dict[int, PackedOutcome] = {}
    to_analyse: list[int] = []
    for index, item in enumerate(pending):
        cached = options.cache.get(item.path, item.cache_key) if options.cache is not None else None
        # Still valid only while the model gives the answers the findings rested on.
        if cached is not None and (unchanged or workspace().still_answers(cached.model_queries)):
            packed[index] = cached
        else:
            to_analyse.append(index)
    report.from_cache = len(packed)
    report.analysed = len(to_analyse)

    def analysed_so_far(done: int) -> None:
        if options.progress is not None:
            options.progress(report.from_cache + done, len(pending))

    analysed_so_far(0)
    outcomes: dict[int, FileOutcome] = {}
    for index, result in _analyse(pending, to_analyse, options, analysed_so_far, workspace() if to_analyse else None).items():
        if isinstance(result, PackedOutcome):
            packed[index] = result
            continue
        outcomes[index] = result
        if options.cache is not None:
            packed[index] = PackedOutcome.pack(result)
    if options.cache is not None:
        for index in to_analyse:
            options.cache.put(pending[index].path, pending[index].cache_key, packed[index])
        options.cache.workspace_state = state

    for index, item in enumerate(pending):
        _add_file(report, FileReport(item.path, item.data, item.settings, outcomes.get(index), packed.get(index)))
    return report


def _workspace_state(pending: list[_PendingFile]) -> str:
    """Identifies every linted file's path, bytes and settings at once."""
    import hashlib

    digest = hashlib.sha256()
    for item in sorted(pending, key=lambda item: str(item.path)):
        digest.update(str(item.path.absolute()).encode() + b"\0" + item.cache_key)
    return digest.hexdigest()


def build_workspace(pending: list[_PendingFile], options: BatchOptions, include_their_crates: bool = False) -> WorkspaceModel:
    """The workspace model of the files to lint (with the rest of their crates' files when
    only some files were named): summaries from the cache where a file is unchanged, the
    others parsed and summarised here."""
    from .workspace import rust_files_of_crates

    sources = {str(item.path): item.data for item in pending}
    if include_their_crates and pending:
        for path in rust_files_of_crates(item.path for item in pending):
            if str(path) not in sources and not any(str(path) == str(item.path.absolute()) for item in pending):
                try:
                    sources[str(path)] = read_rust_file(path, pending[0].settings.max_file_size)
                except (OSError, FileSkipped):
                    continue
    return model_of_sources(sources, options.cache)


def model_of_sources(sources: dict[str, bytes], cache: ResultCache | None = None) -> WorkspaceModel:
    """The workspace model of these files (path → bytes): summaries from the cache where a
    file is unchanged, the others parsed and summarised here."""
    import hashlib

    from .parsing import parse
    from .workspace import WorkspaceModel, summarise

    summary_cache = cache.summaries if cache is not None else None
    summaries = {}
    for path, data in sources.items():
        digest = hashlib.sha256(data).digest() if summary_cache is not None else b""
        summary = summary_cache.get(Path(path), digest) if summary_cache is not None else None
        if summary is None:
            # Each tree dropped at once: keeping every tree for the analysis saves the second
            # parse but costs as much in page faults (measured), and memory besides.
            summary = summarise(parse(data), data)
            if summary_cache is not None:
                summary_cache.put(Path(path), digest, summary)
        summaries[path] = summary
    return WorkspaceModel(summaries, sources)


def _read(path: Path, resolver: ConfigResolver, report: BatchReport, cache: ResultCache | None) -> _PendingFile | None:
    try:
        settings = resolver.settings_for_file(path)
    except ConfigError as error:
        # Said once per config file, not once per file it governs.
        if not any(problem_path == error.path for problem_path, _ in report.errors):
            report.errors.extend((error.path, problem.message + (f" (line {problem.line})" if problem.line else "")) for problem in error.problems)
        return None
    try:
        data = read_rust_file(path, settings.max_file_size)
    except FileSkipped as skipped:
        report.skipped.append((path, str(skipped)))
        return None
    except OSError as error:
        report.errors.append((path, f"cannot read: {error.strerror or error}"))
        return None
    key = None
    if cache is not None:
        from .cache import entry_key

        key = entry_key(data, settings)
    return _PendingFile(path, data, settings, key)


def _worker_count(jobs: int | None, files: int, size: int, warm_up: int) -> int:
    """How many worker processes to analyse ``files`` (``size`` bytes) in; 1: stay serial.
    ``jobs`` is the user's ``--jobs`` (None: the cores, only when the input is large)."""
    workers = jobs if jobs is not None else available_cores()
    large_enough = jobs is not None or size >= PARALLEL_MIN_BYTES
    if workers > 1 and files > warm_up + 1 and large_enough and _can_fork():
        return min(workers, files - warm_up)
    return 1


def _analyse(pending: list[_PendingFile], indices: list[int], options: BatchOptions, on_done: Callable[[int], None],
             workspace: WorkspaceModel | None) -> dict[int, FileOutcome | PackedOutcome]:
    workers = _worker_count(options.jobs, len(indices), sum(len(pending[i].data) for i in indices), warm_up=WARM_UP_FILES)
    parallel = workers > 1
    outcomes = {}
    # In parallel runs the first files are analysed here before forking, so every worker
    # inherits compiled queries (and the combined query) instead of building its own.
    serial = indices[:WARM_UP_FILES] if parallel else indices
    for done, index in enumerate(serial, start=1):
        item = pending[index]
        outcomes[index] = analyse_file(item.data, item.settings, item.path, options.fingerprinted, workspace)
        on_done(done)
    if parallel:
        from .parallel import analyse_in_workers

        if workspace is not None:
            workspace.prepare()  # built once here, inherited by every worker

        rest = indices[WARM_UP_FILES:]
        work = [(pending[i].path, pending[i].data, pending[i].settings) for i in rest]
        results = analyse_in_workers(work, workers, lambda done: on_done(WARM_UP_FILES + done), options.rendering, workspace)
        outcomes.update(zip(rest, results))
    return outcomes


def _can_fork() -> bool:
    """Workers inherit their work by fork (checks.parallel); without it, stay serial."""
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _add_file(report: BatchReport, file_report: FileReport) -> None:
    path, summary = file_report.path, file_report.summary
    for code, error in summary.rule_failures:
        report.errors.append((path, f"internal error in rule {code}: {error}"))
    for code, why in summary.rule_skips:
        report.partly_skipped.append((path, f"rule {code} skipped: {why}"))
    if summary.first_syntax_error is not None:
        line, byte_col = summary.first_syntax_error
        column = file_report.source.char_column(line, byte_col)
        report.notices.append((path, f"{line + 1}:{column}: syntax error; the rest of the file was still checked"))
    if not file_report.source.is_valid_utf8:
        report.notices.append((path, "file is not valid UTF-8; undecodable bytes shown as U+FFFD"))
    report.files.append(file_report)


class SettledFile(NamedTuple):
    """A file once its eligible fixes settled: its bytes, the fixes applied, and the analysis
    of the fixed bytes (packed when a worker made it; None when no fix changed anything)."""

    data: bytes
    applied: list[Finding]
    outcome: FileOutcome | PackedOutcome | None


def settle_file(file_report: FileReport, unsafe: bool, workspace: WorkspaceModel | None = None) -> SettledFile:
    """Fix ``file_report``'s source until no eligible fix is left, re-analysing after each
    round (against ``workspace``, the model the file was first analysed against)."""
    from .fixes import fix_until_settled

    latest: list[FileOutcome] = []

    def reanalyse(data: bytes) -> list[Finding]:
        latest.append(analyse_file(data, file_report.settings, file_report.path, workspace=workspace))
        return latest[-1].findings

    settled = fix_until_settled(file_report.source.data, file_report.findings, reanalyse, unsafe)
    if not settled.changed:
        return SettledFile(settled.data, [], None)
    return SettledFile(settled.data, settled.applied, latest[-1])


def fix_files(report: BatchReport, unsafe: bool, write: bool, cache: ResultCache | None = None,
              jobs: int | None = None, rendering: Rendering | None = None) -> None:
    """Apply eligible fixes to every file of ``report`` until they settle (in parallel workers
    when there is enough to fix, as for analysis); replace each file's findings with those that
    remain. With ``write``, files are written as ``checks.safe_write`` writes them; a file
    that changed on disk since it was read is left alone with a notice, and one that may not
    be written (read-only) with an error, so the run exits 2 while the other files are fixed."""
    from .safe_write import FileChangedSinceRead, FileNotWritable, replace_contents

    fixable = [index for index, file_report in enumerate(report.files)
               if file_report.summary.safe_fixes or (unsafe and file_report.summary.unsafe_fixes)]
    to_settle = [report.files[index] for index in fixable]
    workers = _worker_count(jobs, len(to_settle), sum(len(f.source.data) for f in to_settle), warm_up=0)
    if workers > 1:
        from .parallel import settle_in_workers

        settlements = settle_in_workers(to_settle, unsafe, workers, rendering, report.workspace)
    else:
        settlements = [settle_file(file_report, unsafe, report.workspace) for file_report in to_settle]
    for index, settled in zip(fixable, settlements):
        file_report = report.files[index]
        if settled.outcome is None:
            continue
        written = False
        if write:
            try:
                replace_contents(file_report.path, settled.data, expected=file_report.source.data)
                written = True
            except FileChangedSinceRead:
                report.notices.append((file_report.path, "changed since it was read; not fixed"))
                continue
            except FileNotWritable as error:
                report.errors.append((file_report.path, f"read-only, not fixed ({error.reason})"))
                continue
            except OSError as error:
                report.errors.append((file_report.path, f"cannot write fixes: {error.strerror or error}"))
                continue
        outcome, packed = (None, settled.outcome) if isinstance(settled.outcome, PackedOutcome) else (settled.outcome, None)
        if written and cache is not None:
            from .cache import entry_key

            packed = packed or PackedOutcome.pack(outcome)
            cache.put(file_report.path, entry_key(settled.data, file_report.settings), packed)
        report.fixed.append(FixedFile(file_report.path, file_report.source.data, settled.data, settled.applied, written))
        report.files[index] = FileReport(file_report.path, settled.data, file_report.settings, outcome, packed)
