"""``isolint``: ``check`` (batch lint), ``rule`` (docs), ``server`` (the language server).

Exit codes of ``check``: 0 no findings, 1 findings, 2 usage, config or I/O error, or a file
not checked in full; 130 (every command) interrupted by Ctrl-C.
Everything beyond argument parsing is imported when used, so ``check`` on one file pays
for the engine only, never for the language server.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__
from .formats import FORMATS
from .progress import ProgressBar

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT: what shells report for a command Ctrl-C stopped


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 too, but say it our way
        self.print_usage(sys.stderr)
        print(f"isolint: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="isolint", description="Find tenant- and pack-isolation risks in Rust code.")
    parser.add_argument("--version", action="version", version=f"isolint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = commands.add_parser("check", help="lint Rust files and folders")
    check.add_argument("paths", nargs="*", type=Path, default=[Path(".")], help="files or folders (default: .)")
    check.add_argument("--config", type=Path, help="use this config file for every file instead of discovery")
    check.add_argument("--select", type=_selector_list, help="comma-separated rule codes, prefixes or names to enable (replaces config)")
    check.add_argument("--extend-select", type=_selector_list, help="rules to enable in addition to the config's")
    check.add_argument("--ignore", type=_selector_list, help="comma-separated rule codes, prefixes or names to disable")
    check.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    check.add_argument("--output-file", "-o", type=Path, help="write the report to this file instead of stdout")
    check.add_argument("--statistics", action="store_true", help="print finding counts per rule")
    check.add_argument("--lint-tests", action="store_true", default=None, help="also report findings in test code")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings are reported")
    check.add_argument("--quiet", "-q", action="store_true", help="print findings only: no summary, no warnings")
    check.add_argument("--verbose", "-v", action="store_true", help="also say how many files were analysed and how many came from the cache")
    check.add_argument("--show-settings", action="store_true",
                       help="lint nothing: print the config file in effect for the first path and the settings it resolves to (--format json for JSON)")
    fixing = check.add_argument_group("fixes")
    fixing.add_argument("--fix", action="store_true", help="apply safe fixes to the files")
    fixing.add_argument("--unsafe-fixes", action="store_true", help="with --fix or --diff, apply unsafe fixes too")
    fixing.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; change nothing")
    fixing.add_argument("--show-fixes", action="store_true", help="list the fixes applied (with --fix) and those available")
    adoption = check.add_argument_group("baselines")
    adoption.add_argument("--write-baseline", type=Path, metavar="FILE", help="record the current findings in FILE and exit 0")
    adoption.add_argument("--baseline", type=Path, metavar="FILE", help="report only findings not recorded in FILE")
    speed = check.add_argument_group("speed")
    speed.add_argument("--jobs", "-j", type=_positive_int, metavar="N", help="worker processes (default: the cores, used only when the input is large)")
    speed.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")
    speed.add_argument("--cache-dir", type=Path, default=Path(".isolint_cache"), help="result cache folder (default: .isolint_cache)")

    rule = commands.add_parser("rule", help="explain a rule, or list all rules")
    rule.add_argument("rule", nargs="?", help="what --select accepts: a rule code (ISO101), a code prefix (ISO1), a name (unscoped-secret-lookup) or ALL")
    rule.add_argument("--all", action="store_true", help="all rules")
    rule.add_argument("--format", choices=("text", "json"), default="text")

    init = commands.add_parser("init", help="propose an isolation contract (isolint.toml) for a workspace")
    init.add_argument("path", nargs="?", type=Path, default=Path("."), help="the workspace folder (default: .)")
    init.add_argument("--stdout", action="store_true", help="print the proposal instead of writing isolint.toml")

    report = commands.add_parser("report", help="write the multi-tenant readiness audit of a workspace")
    report.add_argument("paths", nargs="*", type=Path, default=[Path(".")], help="files or folders (default: .); the first is the report's root")
    report.add_argument("--format", choices=("markdown", "html", "json"), default="markdown", help="output format (default: markdown)")
    report.add_argument("--output-file", "-o", type=Path, help="write the report to this file instead of stdout")
    report.add_argument("--config", type=Path, help="use this config file for every file instead of discovery")
    report.add_argument("--jobs", "-j", type=_positive_int, metavar="N", help="worker processes (default: the cores, used only when the input is large)")
    report.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")
    report.add_argument("--cache-dir", type=Path, default=Path(".isolint_cache"), help="result cache folder (default: .isolint_cache)")
    report.add_argument("--quiet", "-q", action="store_true", help="no progress bar, no warnings")

    server = commands.add_parser("server", help="run the language server on stdio")
    server.add_argument("--log-level", default=None, help="stderr log level (debug, info, warning, error)")
    return parser


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _selector_list(value: str) -> list[str]:
    selectors = [s.strip() for s in value.split(",") if s.strip()]
    from .checks.rules import rules_matching_selector

    for selector in selectors:
        if not rules_matching_selector(selector):
            raise argparse.ArgumentTypeError(f"unknown rule code or name {selector!r}")
    return selectors


def main(argv: list[str] | None = None) -> int:
    try:
        return _run_command(argv)
    except KeyboardInterrupt:
        # Ctrl-C is the user's request, not a failure worth a traceback.
        print("isolint: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _run_command(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "check":
        return run_check(args)
    if args.command == "rule":
        return run_rule(args)
    if args.command == "init":
        return run_init(args)
    if args.command == "report":
        return run_report(args)
    if args.command == "server":
        import gc

        gc.disable()  # until start-up's objects are frozen: see ``run_stdio``
        from .lsp_server.server import run_stdio

        run_stdio(log_level=args.log_level)  # ends the process
    build_parser().print_help(sys.stderr)
    return EXIT_ERROR


def _overrides(args) -> dict:
    overrides: dict = {}
    if args.select is not None:
        # `--select` replaces the config's whole selection, its ignores included (as in
        # ruff): asking for ISO101 on the command line must not be silently undone by a
        # config that ignores it. `--ignore` given alongside still applies.
        overrides["select"] = tuple(args.select)
        overrides["extend_select"] = ()
        overrides["ignore"] = ()
    if args.extend_select is not None:
        overrides["extend_select"] = tuple(args.extend_select)
    if args.ignore is not None:
        overrides["ignore"] = tuple(args.ignore)
    if args.lint_tests:
        overrides["lint_tests"] = True
    return overrides


def run_check(args) -> int:
    from .checks.batch import BatchOptions, fix_files
    from .checks.config import ConfigResolver

    if args.config is not None and not args.config.is_file():
        return _error(f"{args.config}: config file not found")
    if args.show_settings:
        return show_settings(args)
    if args.fix and args.diff:
        return _error("--fix and --diff exclude each other: --diff shows what --fix would do")
    baseline_entries = None
    if args.baseline is not None:
        from .checks.baseline import BaselineError, load_baseline

        try:
            baseline_entries = load_baseline(args.baseline)
        except BaselineError as error:
            return _error(str(error))

    cache = None if args.no_cache else _open_cache(args.cache_dir)
    progress = ProgressBar.for_stderr(enabled=not args.quiet)
    resolver = ConfigResolver(explicit=args.config, overrides=_overrides(args))
    options = BatchOptions(jobs=args.jobs, cache=cache, progress=progress.update, rendering=_rendering_ahead(args),
                           fingerprinted=_reads_fingerprints(args, cache))
    report = _lint(args.paths, resolver, options, progress)
    if report is None:
        return EXIT_ERROR
    if args.fix or args.diff:
        fix_files(report, unsafe=args.unsafe_fixes, write=args.fix, cache=cache, jobs=args.jobs, rendering=_rendering_after_fixes(args))
    if args.verbose:
        print(f"isolint: {_plural(report.analysed, 'file')} analysed, {report.from_cache} from cache", file=sys.stderr)

    if args.write_baseline is not None:
        _save_cache(cache, args.quiet)
        return _write_baseline(args.write_baseline, report)
    if baseline_entries is not None:
        from .checks.baseline import apply_baseline

        _print_baseline_outcome(apply_baseline(report, baseline_entries, args.baseline), args.baseline, args.quiet)

    if not args.quiet:
        for path, notice in report.notices:
            print(f"isolint: warning: {path}: {notice}", file=sys.stderr)
    _print_problems(report)

    if args.diff:
        from .formats import diff

        rendered = diff.render(report.fixed)
    else:
        from .formats import render

        rendered = render(report, args.format, show_fixes=args.show_fixes, quiet=args.quiet)
        if args.statistics and args.format == "text":
            rendered += _statistics(report)
    _save_cache(cache, args.quiet)  # after rendering: entries keep what was rendered
    if not _emit(rendered, args.output_file):
        return EXIT_ERROR
    if args.statistics and args.format != "text" and not args.diff:
        sys.stderr.write(_statistics(report))

    if _incomplete(report):
        return EXIT_ERROR
    if args.exit_zero:
        return EXIT_CLEAN
    if args.diff:
        return EXIT_FINDINGS if report.fixed else EXIT_CLEAN
    return EXIT_FINDINGS if report.finding_count else EXIT_CLEAN


def _lint(paths, resolver, options, progress):
    """``lint_paths`` with every config problem printed (file, line and key): None then."""
    from .checks.batch import lint_paths
    from .checks.config import ConfigError

    try:
        return lint_paths(list(paths), resolver, options)
    except ConfigError as error:
        for problem in error.problems:
            _error(error.located(problem))
        return None
    finally:
        progress.finish()


def show_settings(args) -> int:
    """The config file that applies to the first path and what it resolves to; editors' health
    checks ask this instead of guessing at config discovery."""
    import json

    from .checks.config import ConfigError, ConfigResolver

    if args.format not in ("text", "json"):
        return _error("--show-settings prints text or json")
    path = args.paths[0]
    resolver = ConfigResolver(explicit=args.config, overrides=_overrides(args))
    try:
        source = resolver.source_for(path)
        settings = resolver.settings_for(path)
    except ConfigError as error:
        return _error(str(error))
    shown = {
        "path": str(path.resolve()),
        "configFile": str(source.path) if source else None,
        "table": ".".join(source.table) if source and source.table else None,
        "enabled": sorted(settings.enabled_codes),
        "severity": {code: str(level.value) for code, level in sorted(settings.severities.items()) if code in settings.enabled_codes},
        "lintTests": settings.lint_tests,
    }
    if args.format == "json":
        print(json.dumps(shown, indent=2))
        return EXIT_CLEAN
    config = shown["configFile"] or "none (built-in defaults)"
    if shown["table"]:
        config += f" [{shown['table']}]"
    print(f"path: {shown['path']}\nconfig file: {config}\nlint tests: {str(shown['lintTests']).lower()}\nrules:")
    for code in shown["enabled"]:
        print(f"  {code}  {shown['severity'][code]}")
    return EXIT_CLEAN


def _reads_fingerprints(args, cache) -> bool:
    """Whether anything in this run reads findings' fingerprints: baselines, the formats that
    carry them, and the cache (whose entries may serve those later)."""
    return cache is not None or args.format in ("json", "json-lines", "sarif") or args.baseline is not None or args.write_baseline is not None


def _rendering_ahead(args):
    """The text output's per-file rendering, when what is analysed is what gets printed (no
    fixes or baseline change the findings first): workers then render as they analyse."""
    if args.format != "text" or args.fix or args.diff or args.baseline is not None:
        return None
    from .formats.text import RENDERING

    return RENDERING


def _rendering_after_fixes(args):
    """The text output's per-file rendering of what fixing leaves, when that is what gets
    printed (not a diff, no baseline to hide findings first): the fixing workers render it."""
    if args.format != "text" or args.diff or args.baseline is not None:
        return None
    from .formats.text import RENDERING

    return RENDERING


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def _error(message: str) -> int:
    print(f"isolint: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _emit(rendered: str, output_file: Path | None) -> bool:
    if output_file is None:
        sys.stdout.write(rendered)
        return True
    try:
        output_file.write_text(rendered, encoding="utf-8")
    except OSError as error:
        _error(f"{output_file}: cannot write: {error.strerror or error}")
        return False
    return True


def _save_cache(cache, quiet: bool) -> None:
    if cache is None:
        return
    _warn(cache.save(), quiet)


def _open_cache(directory: Path):
    from .checks.cache import ResultCache, engine_signature

    return ResultCache(directory, engine_signature(__version__))


def _print_problems(report) -> None:
    """Errors and skipped files, printed even with ``--quiet``: they decide the exit status."""
    for path, problem in report.errors + report.skipped + report.partly_skipped:
        print(f"isolint: error: {path}: {problem}", file=sys.stderr)


def _incomplete(report) -> bool:
    """A run that met an error or left a file (or a rule on a file) unchecked exits 2 even
    without findings: a file isolint could not read must never pass as clean."""
    return bool(report.errors or report.skipped or report.partly_skipped)


def _write_baseline(baseline_file: Path, report) -> int:
    from .checks.baseline import write_baseline

    _print_problems(report)
    try:
        count = write_baseline(baseline_file, report)
    except OSError as error:
        return _error(f"{baseline_file}: cannot write baseline: {error.strerror or error}")
    print(f"isolint: recorded {_plural(count, 'finding')} in {baseline_file}", file=sys.stderr)
    return EXIT_ERROR if _incomplete(report) else EXIT_CLEAN


def _print_baseline_outcome(outcome, baseline_file: Path, quiet: bool) -> None:
    if quiet:
        return
    if outcome.matched:
        print(f"isolint: {_plural(outcome.matched, 'known finding')} hidden by baseline {baseline_file}", file=sys.stderr)
    if outcome.fixed:
        count = len(outcome.fixed)
        print(f"isolint: {count} baseline entr{'ies' if count != 1 else 'y'} no longer found (fixed); "
              f"rerun with --write-baseline {baseline_file} to drop them:", file=sys.stderr)
        for entry in outcome.fixed:
            print(f"  fixed: {entry.path}:{entry.line}: {entry.code}: {entry.message}", file=sys.stderr)


def _statistics(report) -> str:
    counts: dict[tuple[str, str], list[int]] = {}
    for file_report in report.files:
        for finding in file_report.findings:
            entry = counts.setdefault((finding.code, finding.name), [0, 0])
            entry[0] += 1
            entry[1] += finding.fix is not None
    lines = [f"{count:>5}  {code}  {name}" + (f"  ({fixable} fixable)" if fixable else "") for (code, name), (count, fixable) in sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0]))]
    return "\n".join(lines) + ("\n" if lines else "")


def run_init(args) -> int:
    """Write the proposed contract to ``PATH/isolint.toml``; an existing file is never touched."""
    from .checks.batch import model_of_sources
    from .checks.config import ConfigError, ConfigResolver
    from .checks.contract_proposal import propose, render_toml
    from .checks.discovery import discover
    from .checks.files import FileSkipped, read_rust_file

    root: Path = args.path
    if not root.is_dir():
        print(f"isolint: error: {root}: not a folder", file=sys.stderr)
        return EXIT_ERROR
    target = root / "isolint.toml"
    if not args.stdout and target.exists():
        print(f"isolint: error: {target} exists; it is left as it is (`isolint init --stdout` prints the proposal)", file=sys.stderr)
        return EXIT_ERROR
    try:
        settings = ConfigResolver().settings_for(root / "lib.rs")
    except ConfigError as error:
        print(f"isolint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    sources = {}
    for path in discover([root], settings.exclude, settings.respect_gitignore).files:
        try:
            sources[str(path)] = read_rust_file(path, settings.max_file_size)
        except (OSError, FileSkipped):
            continue
    text = render_toml(propose(model_of_sources(sources), settings, str(root)), len(sources), str(root))
    if args.stdout:
        print(text, end="")
        return EXIT_CLEAN
    try:
        with open(target, "x", encoding="utf-8") as out:
            out.write(text)
    except OSError as error:
        print(f"isolint: error: {target}: {error.strerror}", file=sys.stderr)
        return EXIT_ERROR
    print(f"wrote {target}: review each entry, then run `isolint check {root}`", file=sys.stderr)
    return EXIT_CLEAN


def run_report(args) -> int:
    """The readiness audit of the workspace under the first path (``checks.readiness``).
    Exit codes: 0 written, 2 on a config or I/O error or a file not analysed in full (the
    report is still written, and lists it)."""
    from .checks.batch import BatchOptions
    from .checks.config import ConfigError, ConfigResolver
    from .checks.readiness import build_report
    from .report_formats import render_report

    if args.config is not None and not args.config.is_file():
        return _error(f"{args.config}: config file not found")
    missing = [path for path in args.paths if not path.exists()]
    if missing:
        return _error(f"{missing[0]}: no such file or folder")
    cache = None if args.no_cache else _open_cache(args.cache_dir)
    progress = ProgressBar.for_stderr(enabled=not args.quiet)
    resolver = ConfigResolver(explicit=args.config)
    root = args.paths[0]
    report = _lint(args.paths, resolver, BatchOptions(jobs=args.jobs, cache=cache, progress=progress.update), progress)
    if report is None:
        return EXIT_ERROR
    try:
        settings = resolver.settings_for(root if root.is_file() else root / "lib.rs")
        source = resolver.source_for(root if root.is_file() else root / "lib.rs")
    except ConfigError as error:  # the root's own config, when the paths linted were others
        return _error(str(error))
    config_file = source.path if source is not None else args.config
    link_base = _report_link_base(root, args.output_file)
    kind = f"report-{args.format}"
    derived_key = _report_key(report, root, config_file, link_base) if cache is not None and report.workspace_state else None
    # Every file as the cached run left it: the report made then is this one.
    rendered = cache.derived(kind, derived_key) if derived_key is not None and report.unchanged else None
    if rendered is None:
        rendered = render_report(build_report(report, settings, root, config_file, f"isolint {__version__}"), args.format, link_base)
        if derived_key is not None:
            _warn(cache.keep_derived(kind, derived_key, rendered), args.quiet)
    _save_cache(cache, args.quiet)
    _print_problems(report)
    if not _emit(rendered, args.output_file):
        return EXIT_ERROR
    return EXIT_ERROR if _incomplete(report) else EXIT_CLEAN


def _report_key(report, root: Path, config_file: Path | None, link_base: str) -> str:
    """What a report depends on beyond the files' bytes and settings (``workspace_state``):
    where it is rooted and read from, the config file, the files left out and why."""
    import hashlib

    parts = [report.workspace_state, str(root.resolve()), str(config_file), link_base, __version__,
             *(f"{path}: {why}" for path, why in report.errors + report.skipped + report.partly_skipped)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _warn(problem: str | None, quiet: bool) -> None:
    if problem and not quiet:
        print(f"isolint: warning: {problem}", file=sys.stderr)


def _report_link_base(root: Path, output_file: Path | None) -> str:
    """The report's root as seen from where the report is read (the output file's folder, else
    the current one), so its file links resolve there."""
    root_folder = root if root.is_dir() else root.parent
    reader_folder = output_file.parent if output_file is not None else Path(".")
    try:
        relative = Path(os.path.relpath(root_folder.resolve(), reader_folder.resolve())).as_posix()
    except ValueError:  # on another drive than the report: no relative path leads there
        return f"{root_folder.resolve().as_uri()}/"
    return "" if relative == "." else f"{relative}/"


def run_rule(args) -> int:
    import json

    from .checks.rules import all_rules, rule_by_code_or_name, rules_matching_selector
    from .ruledocs import rule_dict, rule_markdown

    # One rule named by its code or name is printed alone (an object in JSON); a prefix, ALL
    # or --all print every rule they select (a list).
    named = rule_by_code_or_name(args.rule) if args.rule and not args.all else None
    if args.all:
        rules = list(all_rules())
    elif named is not None:
        rules = [named]
    elif args.rule:
        rules = rules_matching_selector(args.rule)
        if not rules:
            print(f"isolint: error: unknown rule {args.rule!r}; `isolint rule` lists them", file=sys.stderr)
            return EXIT_ERROR
    else:
        for rule in all_rules():
            print(f"{rule.code}  {rule.name:<36} {rule.summary}")
        return EXIT_CLEAN
    if args.format == "json":
        payload = [rule_dict(r) for r in rules]
        print(json.dumps(payload[0] if named is not None else payload, indent=2))
    else:
        print("\n".join(rule_markdown(r) for r in rules), end="")
    return EXIT_CLEAN
