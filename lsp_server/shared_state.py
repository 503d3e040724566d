"""The readiness inventory in the editor: for each piece of shared state a document declares
(statics, fields of the structs the host keeps one of; ``checks.readiness.shared_state_of_file``),
a code lens above the declaration with its verdict and a line on hover over its name.

Read off the document's latest analysis (its findings and observations are the verdicts) and
the server's workspace model: nothing is analysed again.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from lsprotocol import types
from tree_sitter import Node, Tree

from ..checks.config import Settings
from ..checks.readiness import shared_state_of_file, sites_by_line
from ..checks.report_records import InventoryEntry
from ..checks.statics import declaring_macro_storage, slots_from_macro
from ..checks.workspace import WorkspaceModel, summarise
from .linting import Analysis
from .positions import range_of_bytes

_KIND_NAMES = {"static": "static", "static-mut": "static mut", "thread-local": "thread-local", "task-local": "task-local",
               "host-wide field": "field"}
# What an ordered field list holds beside its fields' types.
_NOT_A_FIELD = frozenset({"attribute_item", "visibility_modifier", "line_comment", "block_comment"})
# A code lens with a command id opens that command when clicked; with an empty id, VS Code
# shows the title as plain text, which is all a verdict is.
_NO_COMMAND = ""


class SharedState(NamedTuple):
    """An inventory entry and where its declared name is in the document (bytes)."""

    entry: InventoryEntry
    name_start: int
    name_end: int


def shared_state_in(analysis: Analysis, model: WorkspaceModel | None, settings: Settings, path: Path | None) -> list[SharedState]:
    """The shared state the analysed document declares. The model answers what it knows of
    the other files; the document's own items are read off the analysed text, as the model
    catches up with an edited buffer only once typing pauses."""
    result = analysis.result
    if path is None or result.tree is None or analysis.skip_reason is not None:
        return []
    data, path_key = result.source.data, str(path)
    if model is None:
        model = WorkspaceModel.of_file(path_key, result.tree, data)
    items = model.summaries.get(path_key) if model.sources.get(path_key) == data else None
    if items is None:
        items = summarise(result.tree, data)
    verdicts = sites_by_line(list(result.findings) + list(result.suppressed), result.observations, data, path.name, result.tree)
    entries = shared_state_of_file(model, settings, path_key, path.name, lambda line: verdicts.get(line, ()), items=items, data=data)
    names = _DeclaredNames(result.tree, data)
    found = []
    for entry in entries:
        name = names.of(entry, path.name)
        if name is not None:
            found.append(SharedState(entry, name.start_byte, name.end_byte))
    return found


def code_lenses(states: list[SharedState], analysis: Analysis, encoding: str) -> list[types.CodeLens]:
    source = analysis.result.source
    return [
        types.CodeLens(
            range=range_of_bytes(source, state.name_start, state.name_end, encoding),
            command=types.Command(title=lens_title(state.entry), command=_NO_COMMAND, tooltip=state.entry.why),
        )
        for state in states
    ]


def lens_title(entry: InventoryEntry) -> str:
    """``isolint: host-wide field · keyed by FlowKey · scoped``"""
    parts = [f"{entry.scope} {_KIND_NAMES.get(entry.kind, entry.kind)}"]
    keys = _key_phrase(entry.key, quote="")
    if keys:
        parts.append(keys)
    parts.append(entry.verdict)
    return "isolint: " + " · ".join(parts)


def hover_line(entry: InventoryEntry, *, with_reason: bool = True) -> str:
    """``**host-wide** field of `Host`, keyed by `FlowKey`: **scoped** — why``"""
    what = _KIND_NAMES.get(entry.kind, entry.kind)
    if entry.kind == "host-wide field":
        what += f" of `{entry.item.split('::')[-2]}`"
    keys = _key_phrase(entry.key, quote="`")
    line = f"**{entry.scope}** {what}{', ' + keys if keys else ''}: **{entry.verdict}**"
    return f"{line} — {entry.why}" if with_reason and entry.why else line


def state_at(states: list[SharedState], offset: int) -> SharedState | None:
    for state in states:
        if state.name_start <= offset <= state.name_end:
            return state
    return None


def _key_phrase(key: str, quote: str) -> str:
    if key == "-":
        return ""
    if key.startswith("(a ") and key.endswith(")") and "," not in key:
        return f"holds {key[1:-1]}"  # a collection with no key: a list
    return f"keyed by {quote}{key}{quote}"


class _DeclaredNames:
    """The name nodes of the statics and struct fields a file declares where the workspace
    summary reads them (the top level and inline modules)."""

    def __init__(self, tree: Tree, data: bytes):
        self._statics: dict[tuple[str, int], Node] = {}
        self._fields: dict[tuple[str, str], list[Node]] = {}
        pending = [tree.root_node]
        while pending:
            for item in pending.pop().named_children:
                if item.type == "static_item":
                    name = item.child_by_field_name("name")
                    if name is not None:
                        self._statics[(_text(name), item.start_point[0])] = name
                elif item.type == "macro_invocation" and (storage := declaring_macro_storage(item)) is not None:
                    for slot in slots_from_macro(data, item, storage):
                        self._statics[(slot.name, slot.name_node.start_point[0])] = slot.name_node
                elif item.type in ("struct_item", "union_item"):
                    self._add_fields(item)
                elif item.type == "mod_item" and item.child_by_field_name("body") is not None:
                    pending.append(item.child_by_field_name("body"))

    def _add_fields(self, struct: Node) -> None:
        owner = _text(struct.child_by_field_name("name"))
        body = struct.child_by_field_name("body")
        if body is None:
            return
        if body.type == "field_declaration_list":
            for declaration in body.named_children:
                name = declaration.child_by_field_name("name") if declaration.type == "field_declaration" else None
                if name is not None:
                    self._fields.setdefault((owner, _text(name)), []).append(name)
        elif body.type == "ordered_field_declaration_list":
            # A tuple struct's field has no name: its type stands for it, numbered as the
            # summary numbers it.
            types_written = [child for child in body.named_children if child.type not in _NOT_A_FIELD]
            for position, type_node in enumerate(types_written):
                self._fields.setdefault((owner, str(position)), []).append(type_node)

    def of(self, entry: InventoryEntry, shown_path: str) -> Node | None:
        names = entry.item.removeprefix(f"{shown_path}::").split("::")
        row = entry.location.line - 1
        if entry.kind == "host-wide field" and len(names) == 2:
            candidates = self._fields.get((names[0], names[1]), [])
            on_row = [node for node in candidates if node.start_point[0] == row]
            # The inventory finds a field's line by its spelling; the tree knows it exactly.
            return on_row[0] if on_row else (candidates[0] if len(candidates) == 1 else None)
        if len(names) == 1:
            return self._statics.get((names[0], row))
        return None


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""
