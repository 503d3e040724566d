"""Suppression comments: ``// isolint: allow(CODE|name, …) reason: why``.

An inline suppression covers findings that start on its own line (trailing comment) or on
the line below (a comment on a line of its own). ``// isolint: allow-file(…) reason: …``
before the first item of a file covers the whole file. Each records whether it was used,
so unused ones can be reported (ruff's RUF100, clippy's unfulfilled ``#[expect]``).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from tree_sitter import Node

from .ancestry import Ancestry
from .model import Finding, Span, SuppressionInfo
from .rules import rule_by_code_or_name

MARKER = re.compile(r"^//[/!]?\s*isolint\s*:", re.IGNORECASE)
DIRECTIVE = re.compile(
    r"^//[/!]?\s*isolint\s*:\s*(?P<kind>allow-file|allow)\s*\((?P<codes>[^)]*)\)\s*(?:reason\s*:\s*(?P<reason>.*?))?\s*$"
)
# Where a suppression comment can start, looked for in the decoded text with MARKER's own
# syntax and case rules; a lookahead, so overlapping candidates (`*//// isolint:`) all count.
MARKER_AHEAD = re.compile(r"(?=//[/!]?\s*isolint\s*:)", re.IGNORECASE)


class SuppressionCode:
    __slots__ = ("text", "code", "used")

    def __init__(self, text: str, code: str | None):
        self.text = text
        self.code = code  # resolved rule code, None when the text names no rule
        self.used = False


class Suppression:
    __slots__ = ("node", "span", "kind", "codes", "reason", "covered_until", "in_test_code")

    def __init__(self, node: Node, span: Span, kind: str, codes: list[SuppressionCode], reason: str | None, covered_until: int):
        self.node = node
        self.span = span  # the directive: the comment up to its first line break (``directive_span``)
        self.kind = kind  # "inline" | "file"
        self.codes = codes
        self.reason = reason
        self.covered_until = covered_until  # last line it covers: its own for a trailing comment, else the next code line
        self.in_test_code = False

    @property
    def line(self) -> int:
        return self.node.start_point[0]

    def covers_line(self, line: int) -> bool:
        if self.kind == "file":
            return True
        return self.line <= line <= self.covered_until


class MalformedSuppression(NamedTuple):
    node: Node
    span: Span  # as ``Suppression.span``
    problem: str


class SuppressionIndex:
    def __init__(self) -> None:
        self.suppressions: list[Suppression] = []
        self.malformed: list[MalformedSuppression] = []

    def apply(self, finding: Finding) -> SuppressionInfo | None:
        """Mark and return the suppression that covers ``finding``, if any."""
        for suppression in self.suppressions:
            if not suppression.covers_line(finding.span.start_line):
                continue
            for entry in suppression.codes:
                if entry.code == finding.code:
                    entry.used = True
                    return SuppressionInfo(suppression.kind, suppression.reason, suppression.line)
        return None


def collect_suppressions(root: Node, data: bytes) -> SuppressionIndex:
    index = SuppressionIndex()
    if b"isolint" not in data:
        return index
    first_item_line = _first_item_line(root)
    for comment in _marker_comments(root, data):
        span = directive_span(comment, data)
        text = data[span.start_byte : span.end_byte].decode("utf-8", errors="replace").strip()
        if not MARKER.match(text):
            continue
        match = DIRECTIVE.match(text)
        if match is None:
            index.malformed.append(MalformedSuppression(comment, span, "expected `// isolint: allow(CODE, …) reason: …`"))
            continue
        kind = "file" if match.group("kind") == "allow-file" else "inline"
        if kind == "file" and comment.start_point[0] > first_item_line:
            index.malformed.append(MalformedSuppression(comment, span, "`allow-file` must come before the first item of the file"))
            continue
        codes = []
        for raw in (c.strip() for c in match.group("codes").split(",")):
            if not raw:
                continue
            rule = rule_by_code_or_name(raw)
            codes.append(SuppressionCode(raw, rule.code if rule else None))
        if not codes:
            index.malformed.append(MalformedSuppression(comment, span, "names no rule"))
            continue
        reason = (match.group("reason") or "").strip() or None
        index.suppressions.append(Suppression(comment, span, kind, codes, reason, _covered_until(comment, data)))
    return index


def directive_span(comment: Node, data: bytes) -> Span:
    """A suppression comment as its reader sees it: up to its first carriage return.

    tree-sitter counts the CR of a CRLF line break into a line comment, and Rust lets a line
    comment run on past a lone CR, which editors show as a line break (CR-only files); the
    directive, its reported range and what a fix removes end before either.
    """
    start, end = comment.start_byte, comment.end_byte
    carriage_return = data.find(b"\r", start, end)
    if carriage_return != -1:
        end = carriage_return
    line, column = comment.start_point
    return Span(start, end, line, column, line, column + (end - start))


def _marker_comments(root: Node, data: bytes) -> list[Node]:
    """The line comments that may be suppressions, in source order. Found from the text, not
    with a query: a query over every comment joins the one pass all rules share, and would then
    cost every file, with or without suppressions."""
    text = data.decode("utf-8", "surrogateescape")  # one character per undecodable byte
    is_ascii = len(text) == len(data)
    comments = []
    ancestry = Ancestry(root)
    for candidate in MARKER_AHEAD.finditer(text):
        start = candidate.start()
        if not is_ascii:
            start = len(text[:start].encode("utf-8", "surrogateescape"))
        node = root.descendant_for_byte_range(start, start + 2)
        if node is not None and node.type != "line_comment":
            node = ancestry.enclosing(node, ("line_comment",))
        if node is not None and node.start_byte == start:
            comments.append(node)
    return comments


def _covered_until(comment: Node, data: bytes) -> int:
    """A trailing comment covers its own line; one alone on its line covers down to the next
    code line, past other comments and attributes, so stacked suppressions and
    ``#[derive]`` lines between comment and item do not break it."""
    line = comment.start_point[0]
    line_start = data.rfind(b"\n", 0, comment.start_byte) + 1
    if data[line_start : comment.start_byte].strip() not in (b"", b"\xef\xbb\xbf"):
        return line
    following = comment.next_sibling
    while following is not None and following.type in ("line_comment", "attribute_item"):
        following = following.next_sibling
    if following is None or following.start_point[0] <= line:
        return line + 1
    return following.start_point[0]


def _first_item_line(root: Node) -> int:
    for child in root.named_children:
        if child.type not in ("line_comment", "block_comment", "attribute_item", "inner_attribute_item"):
            return child.start_point[0]
    return 1 << 30
