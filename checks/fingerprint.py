"""Stable finding identities that survive unrelated edits which shift lines.

A fingerprint is rule code + the path of the enclosing items (``mod store > impl
FlowEngine > fn new``) + the finding's source text with whitespace folded; an occurrence
counter separates identical findings in the same item.
"""

from __future__ import annotations

import hashlib
import re

from tree_sitter import Node, Tree

from .ancestry import Ancestry
from .model import Finding

_ITEM_LABELS = {
    "function_item": "fn",
    "impl_item": "impl",
    "mod_item": "mod",
    "struct_item": "struct",
    "enum_item": "enum",
    "trait_item": "trait",
    "static_item": "static",
    "const_item": "const",
    "macro_invocation": "macro",
}
_WHITESPACE = re.compile(rb"\s+")


def enclosing_item_path(tree: Tree, start_byte: int, ancestry: Ancestry | None = None) -> str:
    """``impl FlowEngine > fn register``: the items around ``start_byte``, outermost first."""
    ancestry = ancestry or Ancestry(tree.root_node)
    node = tree.root_node.descendant_for_byte_range(start_byte, start_byte)
    path = ancestry.path_to(node) if node is not None else []
    return " > ".join(f"{label} {_item_name(item)}".strip() for item in path if (label := _ITEM_LABELS.get(item.type)) is not None)


def rust_item_path(tree: Tree, start_byte: int, ancestry: Ancestry | None = None) -> str:
    """``store::FlowEngine::register``: the items around ``start_byte`` as Rust names them
    (modules, the implementing type, the function); empty at the top level."""
    ancestry = ancestry or Ancestry(tree.root_node)
    node = tree.root_node.descendant_for_byte_range(start_byte, start_byte)
    names = []
    for item in ancestry.path_to(node) if node is not None else []:
        if item.type == "impl_item":
            type_node = item.child_by_field_name("type")
            if type_node is not None:
                names.append(_last_type_segment(type_node.text.decode(errors="replace")))
        elif item.type in _ITEM_LABELS and item.type != "macro_invocation":
            name = item.child_by_field_name("name")
            if name is not None:
                names.append(name.text.decode(errors="replace"))
    return "::".join(names)


def _last_type_segment(type_text: str) -> str:
    return type_text.split("<", 1)[0].rsplit("::", 1)[-1].strip()


def _item_name(node: Node) -> str:
    if node.type == "impl_item":
        trait = node.child_by_field_name("trait")
        type_node = node.child_by_field_name("type")
        type_text = type_node.text.decode(errors="replace") if type_node is not None else ""
        return f"{trait.text.decode(errors='replace')} for {type_text}" if trait is not None else type_text
    if node.type == "macro_invocation":
        macro = node.child_by_field_name("macro")
        return macro.text.decode(errors="replace") if macro is not None else ""
    name = node.child_by_field_name("name")
    return name.text.decode(errors="replace") if name is not None else ""


def fingerprints(tree: Tree, data: bytes, findings: list[Finding]) -> list[str]:
    """One fingerprint per finding, in order."""
    counts: dict[str, int] = {}
    result = []
    ancestry = Ancestry(tree.root_node)
    for finding in findings:
        snippet = _WHITESPACE.sub(b" ", data[finding.span.start_byte : finding.span.end_byte]).strip()
        base = f"{finding.code}|{enclosing_item_path(tree, finding.span.start_byte, ancestry)}|".encode() + snippet
        digest = hashlib.sha256(base).hexdigest()[:24]
        occurrence = counts.get(digest, 0)
        counts[digest] = occurrence + 1
        result.append(f"{digest}:{occurrence}")
    return result
