"""The analysis pipeline: parse → run rules → drop test code → apply suppressions → meta rules.

Both adapters (the CLI and the language server) call ``analyze``; nothing here knows about
LSP or terminals.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING, NamedTuple

from tree_sitter import Node, Tree

from .config import Settings
from .context import AnalysisContext
from .model import Finding, InputTooDeep, Span
from .parsing import parse, prepare_whole_file_queries
from .rules import all_rules
from .source import SourceText
from .suppressions import SuppressionIndex, collect_suppressions

if TYPE_CHECKING:
    from .workspace import WorkspaceModel

MAX_SYNTAX_ERRORS_REPORTED = 20


class RuleFailure(NamedTuple):
    code: str
    error: str
    detail: str


class AnalysisResult:
    """Everything one analysis of one file produced."""

    __slots__ = ("source", "tree", "findings", "suppressed", "syntax_errors", "rule_failures", "rule_skips", "suppressions", "model_queries",
                 "observations", "raw_findings", "rules_run", "function_bodies", "by_function")

    def __init__(self, source: SourceText, tree: Tree):
        self.source = source
        self.tree = tree
        self.findings: list[Finding] = []
        self.suppressed: list[Finding] = []
        self.syntax_errors: list[Span] = []
        self.rule_failures: list[RuleFailure] = []
        # Rules that met input nested deeper than they read (``InputTooDeep``): (code, why).
        self.rule_skips: list[tuple[str, str]] = []
        self.suppressions: SuppressionIndex | None = None
        # What the rules asked the workspace model, with checksums of its answers.
        self.model_queries: tuple = ()
        # Sites the rules judged safe, with why (``checks.model.Observation``).
        self.observations: list = []
        # What an analysis after an edit starts from (``checks.function_edits``): the
        # findings of the rules that ran, before suppressions, and the codes of those rules
        # (None: not known, as for a file not analysed); the file's function bodies, once
        # asked for.
        self.raw_findings: list[Finding] = []
        self.rules_run: tuple[str, ...] | None = None
        self.function_bodies = None
        # Built from an earlier analysis, the rules run again on the functions an edit reached
        # alone (or on none), not a whole analysis.
        self.by_function = False


def analyze(
    data: bytes,
    settings: Settings,
    path: PurePath | None = None,
    tree: Tree | None = None,
    workspace: WorkspaceModel | None = None,
) -> AnalysisResult:
    """Lint Rust source bytes. ``tree`` may be passed when the caller already parsed ``data``
    (the server keeps an incrementally edited tree per document). ``workspace`` is the model
    of the crates the file belongs to; without one, rules that ask see this file alone."""
    source = SourceText(data)
    if tree is None:
        tree = parse(data)
    ctx = AnalysisContext(source, tree, settings, path, workspace)
    result = AnalysisResult(source, tree)
    to_run, meta_rules = rules_to_run(settings, data)
    result.rules_run = tuple(rule.code for rule in to_run)
    raw = run_rules(to_run, ctx, result, workspace)
    conclude(result, ctx, raw, meta_rules)
    return result


def rules_to_run(settings: Settings, data: bytes, may_fire: tuple[str, ...] | None = None) -> tuple[list, list]:
    """The enabled rules that may fire on ``data`` (``Rule.triggers``), and the meta rules;
    the queries of all of them ready to run. ``may_fire``: the codes of those that may,
    when the caller knows them (the text holds the same trigger words as one they ran on)."""
    meta_rules = []
    to_run = []
    triggers = settings.rule_triggers
    lowered: bytes | None = None
    for rule in all_rules():
        if rule.code not in settings.enabled_codes:
            continue
        if rule.is_meta:
            meta_rules.append(rule)
            continue
        words = triggers.get(rule.code)
        if words is not None and may_fire is not None:
            if rule.code not in may_fire:
                continue
        elif words is not None:
            # Source words are ASCII letters and digits and configured names are compared
            # verbatim, so lower-casing the ASCII bytes alone is enough (UTF-8 sequences
            # hold no ASCII bytes).
            lowered = data.lower() if lowered is None else lowered
            if not _may_fire(words, lowered):
                continue
        to_run.append(rule)
    prepare_whole_file_queries(query for rule in to_run + meta_rules for query in settings.rule_queries.get(rule.code, ()))
    return to_run, meta_rules


def run_rules(rules, ctx: AnalysisContext, result: AnalysisResult, workspace: WorkspaceModel | None) -> list[Finding]:
    """The findings of ``rules`` (test code dropped unless linted), with what they asked the
    workspace model in ``result.model_queries``."""
    raw: list[Finding] = []
    if workspace is not None:
        workspace.start_log()
    try:
        for rule in rules:
            raw.extend(_run_rule(rule, ctx, result))
    finally:
        if workspace is not None:
            result.model_queries = workspace.stop_log()
    return raw


def conclude(result: AnalysisResult, ctx: AnalysisContext, raw: list[Finding], meta_rules) -> None:
    """Suppressions over ``raw``, then the meta rules, observations and syntax errors: the
    rest of an analysis, on the file's own tree."""
    tree, data = ctx.tree, ctx.source.data
    result.raw_findings = raw
    suppressions = collect_suppressions(tree.root_node, data)
    for suppression in suppressions.suppressions:
        suppression.in_test_code = ctx.is_test_code(suppression.node)
    ctx.suppressions = suppressions
    result.suppressions = suppressions
    _partition(raw, suppressions, result)

    meta_findings: list[Finding] = []
    for rule in meta_rules:
        meta_findings.extend(_run_rule(rule, ctx, result))
    _partition(meta_findings, suppressions, result)

    result.observations = sorted(set(ctx.observations), key=lambda o: (o.span.start_byte, o.code, o.verdict))
    result.findings.sort(key=lambda f: (f.span.start_byte, f.code))
    result.suppressed.sort(key=lambda f: (f.span.start_byte, f.code))
    if tree.root_node.has_error:
        result.syntax_errors = _syntax_errors(tree.root_node)
    # The context's per-file indexes refer back to it. Emptied, the whole analysis is freed by
    # reference counting here, instead of waiting as cycles for the collector, whose passes
    # over a large file's objects stop every other thread of the process (a language
    # server's event loop) for seconds.
    vars(ctx).clear()


def _may_fire(triggers: tuple[bytes, ...], lowered: bytes) -> bool:
    """Whether a file holds one of a rule's trigger words (``Rule.triggers``)."""
    return any(word in lowered for word in triggers)


def _partition(findings: list[Finding], suppressions: SuppressionIndex, result: AnalysisResult) -> None:
    seen: set[tuple[str, int, int]] = set()
    for finding in findings:
        identity = (finding.code, finding.span.start_byte, finding.span.end_byte)
        if identity in seen:
            continue
        seen.add(identity)
        info = suppressions.apply(finding)
        if info is None:
            result.findings.append(finding)
        else:
            result.suppressed.append(finding._replace(suppression=info))


def _run_rule(rule, ctx: AnalysisContext, result: AnalysisResult) -> list[Finding]:
    ctx.bind_rule(rule)
    try:
        findings = list(rule.check(ctx))
    except InputTooDeep as error:
        result.rule_skips.append((rule.code, str(error)))
        return []
    except Exception as error:  # a broken rule must not take the other rules down
        import traceback

        result.rule_failures.append(RuleFailure(rule.code, f"{type(error).__name__}: {error}", traceback.format_exc()))
        return []
    if ctx.settings.lint_tests or rule.is_meta:
        return findings
    return [f for f in findings if not _in_test_code(ctx, f)]


def _in_test_code(ctx: AnalysisContext, finding: Finding) -> bool:
    if ctx.is_test_file:
        return True
    # The smallest node covering the whole span, not the one at its start: on a long `a + b +
    # …` chain the start is the innermost term, thousands of parents below the statement.
    node = ctx.root.descendant_for_byte_range(finding.span.start_byte, finding.span.end_byte)
    return node is not None and ctx.is_test_code(node)


def _syntax_errors(root: Node) -> list[Span]:
    spans: list[Span] = []
    stack = [root]
    while stack and len(spans) < MAX_SYNTAX_ERRORS_REPORTED:
        node = stack.pop()
        if not node.has_error:
            continue
        if node.is_error or node.is_missing:
            spans.append(Span.of(node))
            continue
        stack.extend(reversed(node.children))
    return spans
