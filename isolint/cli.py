"""``isolint``: ``check`` (batch lint), ``rule`` (docs), ``server`` (the language server).

Exit codes of ``check``: 0 no findings, 1 findings, 2 usage, config or I/O error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from isolint import __version__

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

FORMATS = ("text", "json", "sarif")


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

    rule = commands.add_parser("rule", help="explain a rule, or list all rules")
    rule.add_argument("rule", nargs="?", help="a rule code (ISO101) or name (unscoped-secret-lookup)")
    rule.add_argument("--all", action="store_true", help="all rules")
    rule.add_argument("--format", choices=("text", "json"), default="text")

    server = commands.add_parser("server", help="run the language server on stdio")
    server.add_argument("--log-level", default=None, help="stderr log level (debug, info, warning, error)")
    return parser


def _selector_list(value: str) -> list[str]:
    selectors = [s.strip() for s in value.split(",") if s.strip()]
    from checks.rules import rules_matching_selector

    for selector in selectors:
        if not rules_matching_selector(selector):
            raise argparse.ArgumentTypeError(f"unknown rule code or name {selector!r}")
    return selectors


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "check":
        return run_check(args)
    if args.command == "rule":
        return run_rule(args)
    if args.command == "server":
        from lsp_server.server import run_stdio

        return run_stdio(log_level=args.log_level)
    build_parser().print_help(sys.stderr)
    return EXIT_ERROR


def _overrides(args) -> dict:
    overrides: dict = {}
    if args.select is not None:
        overrides["select"] = tuple(args.select)
    if args.extend_select is not None:
        overrides["extend_select"] = tuple(args.extend_select)
    if args.ignore is not None:
        overrides["ignore"] = tuple(args.ignore)
    if args.lint_tests:
        overrides["lint_tests"] = True
    return overrides


def run_check(args) -> int:
    from checks.batch import lint_paths
    from checks.config import ConfigError, ConfigResolver

    if args.config is not None and not args.config.is_file():
        print(f"isolint: error: {args.config}: config file not found", file=sys.stderr)
        return EXIT_ERROR
    resolver = ConfigResolver(explicit=args.config, overrides=_overrides(args))
    try:
        report = lint_paths(list(args.paths), resolver)
    except ConfigError as error:
        print(f"isolint: error: {error}", file=sys.stderr)
        return EXIT_ERROR

    for path, notice in report.notices:
        print(f"isolint: warning: {path}: {notice}", file=sys.stderr)
    for path, problem in report.errors:
        print(f"isolint: error: {path}: {problem}", file=sys.stderr)

    rendered = _render(report, args.format)
    if args.statistics and args.format == "text":
        rendered += _statistics(report)
    if args.output_file is not None:
        try:
            args.output_file.write_text(rendered, encoding="utf-8")
        except OSError as error:
            print(f"isolint: error: {args.output_file}: cannot write: {error.strerror or error}", file=sys.stderr)
            return EXIT_ERROR
    else:
        sys.stdout.write(rendered)
    if args.statistics and args.format != "text":
        sys.stderr.write(_statistics(report))

    if report.errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if report.finding_count else EXIT_CLEAN


def _render(report, output_format: str) -> str:
    if output_format == "json":
        from isolint.formats import json_format

        return json_format.render(report)
    if output_format == "sarif":
        from isolint.formats import sarif

        return sarif.render(report)
    from isolint.formats import text

    return text.render(report)


def _statistics(report) -> str:
    counts: dict[tuple[str, str], list[int]] = {}
    for file_report in report.files:
        for finding in file_report.result.findings:
            entry = counts.setdefault((finding.code, finding.name), [0, 0])
            entry[0] += 1
            entry[1] += finding.fix is not None
    lines = [f"{count:>5}  {code}  {name}" + (f"  ({fixable} fixable)" if fixable else "") for (code, name), (count, fixable) in sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0]))]
    return "\n".join(lines) + ("\n" if lines else "")


def run_rule(args) -> int:
    from checks.rules import all_rules, rule_by_code_or_name
    from isolint.ruledocs import rule_dict, rule_markdown

    if args.all:
        rules = list(all_rules())
    elif args.rule:
        rule = rule_by_code_or_name(args.rule)
        if rule is None:
            print(f"isolint: error: unknown rule {args.rule!r}; `isolint rule --all` lists them", file=sys.stderr)
            return EXIT_ERROR
        rules = [rule]
    else:
        for rule in all_rules():
            print(f"{rule.code}  {rule.name:<36} {rule.summary}")
        return EXIT_CLEAN
    if args.format == "json":
        payload = [rule_dict(r) for r in rules]
        print(json.dumps(payload if args.all else payload[0], indent=2))
    else:
        print("\n".join(rule_markdown(r) for r in rules), end="")
    return EXIT_CLEAN
