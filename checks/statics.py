"""Process-wide and thread-wide state declared in a file: ``static`` items and the
``thread_local!`` / ``task_local!`` / ``lazy_static!`` macros that declare statics.

tree-sitter parses macro bodies as flat token trees, so the macro forms are split here into
one ``StaticSlot`` per ``static NAME: TYPE = INIT;`` declaration, with the same fields as a
plain ``static`` item. Rules about ambient tenant context (ISO301) and shared singletons
(ISO401) both start from this list.
"""

from __future__ import annotations

from typing import NamedTuple

from tree_sitter import Node

from .context import AnalysisContext, node_text, nodes_spelled
from .parsing import matches

SLOT_DECLARING_MACROS = {
    "thread_local": "thread-local",
    "task_local": "task-local",
    "lazy_static": "lazy-static",
}
# Every `static` and `const` item: one pattern shared by all who look for them (the slots
# here, the collections index, ISO101's key types), so each item is one match of the combined
# query, not one per reader.
STATIC_AND_CONST_ITEMS = "[(static_item) (const_item)] @item"
# Only invocations named like a declaring macro become matches: the names are compared in C
# before a match is built (most files invoke many macros, few of them declaring ones).
# ``declaring_macro_storage`` still decides from the whole macro path.
_DECLARING_NAMES = " ".join(f'"{name}"' for name in SLOT_DECLARING_MACROS)
_DECLARING_MACROS_QUERY = f"""
(macro_invocation macro: (identifier) @declaring (#any-of? @declaring {_DECLARING_NAMES})) @macro
(macro_invocation macro: (scoped_identifier name: (identifier) @declaring) (#any-of? @declaring {_DECLARING_NAMES})) @macro
"""
# The whole-file queries ``declared_slots`` runs: rules that use it list them in ``Rule.queries``.
QUERIES = (STATIC_AND_CONST_ITEMS, _DECLARING_MACROS_QUERY)


class StaticSlot(NamedTuple):
    """One declared static: its name, declared type and initializer as source text.

    ``storage`` is ``static``, ``static-mut``, ``thread-local``, ``task-local`` or
    ``lazy-static``; ``declaration`` is the ``static_item`` or the macro invocation.
    """

    name: str
    name_node: Node
    type_text: str
    init_text: str
    storage: str
    declaration: Node

    @property
    def is_per_thread(self) -> bool:
        return self.storage in ("thread-local", "task-local")

    def describe(self) -> str:
        return f"{self.name}: {self.type_text}" if self.type_text else self.name


def declared_slots(ctx: AnalysisContext) -> list[StaticSlot]:
    """Every static declared anywhere in the file, in source order."""
    # Several rules start from the same slots: found once per file, each caller gets a copy.
    slots = getattr(ctx, "_statics_declared_slots", None)
    if slots is None:
        slots = ctx._statics_declared_slots = _find_declared_slots(ctx)
    return list(slots)


def _find_declared_slots(ctx: AnalysisContext) -> list[StaticSlot]:
    slots: list[StaticSlot] = []
    for _, captured in matches(STATIC_AND_CONST_ITEMS, ctx.root):
        item = captured["item"][0]
        if item.type == "static_item":
            slot = _slot_from_static_item(item, any(child.type == "mutable_specifier" for child in item.children))
            if slot is not None:
                slots.append(slot)
    for _, captured in matches(_DECLARING_MACROS_QUERY, ctx.root):
        macro = captured["macro"][0]
        storage = declaring_macro_storage(macro)
        if storage is not None:
            slots.extend(slots_from_macro(ctx.source.data, macro, storage))
    slots.sort(key=lambda s: s.name_node.start_byte)
    return slots


def _slot_from_static_item(item: Node, is_mut: bool) -> StaticSlot | None:
    name = item.child_by_field_name("name")
    if name is None:
        return None
    type_node = item.child_by_field_name("type")
    value = item.child_by_field_name("value")
    return StaticSlot(
        name=node_text(name),
        name_node=name,
        type_text=node_text(type_node) if type_node is not None else "",
        init_text=node_text(value) if value is not None else "",
        storage="static-mut" if is_mut else "static",
        declaration=item,
    )


def declaring_macro_storage(macro: Node) -> str | None:
    """The storage a ``thread_local!``-like invocation declares (``thread-local``…), else None."""
    macro_name = macro.child_by_field_name("macro")
    if macro_name is None:
        return None
    last_segment = node_text(macro_name).rsplit("::", 1)[-1].strip()
    return SLOT_DECLARING_MACROS.get(last_segment)


def slots_from_macro(data: bytes, macro: Node, storage: str) -> list[StaticSlot]:
    """Split ``static [ref] NAME: TYPE [= INIT];`` runs out of the macro's flat tokens."""
    token_tree = next((c for c in macro.children if c.type == "token_tree"), None)
    if token_tree is None:
        return []
    slots: list[StaticSlot] = []
    statement: list[Node] = []
    for token in token_tree.children[1:-1]:
        if token.type == ";":
            slot = _slot_from_tokens(data, statement, storage, macro)
            if slot is not None:
                slots.append(slot)
            statement = []
        else:
            statement.append(token)
    slot = _slot_from_tokens(data, statement, storage, macro)
    if slot is not None:
        slots.append(slot)
    return slots


def _slot_from_tokens(data: bytes, tokens: list[Node], storage: str, macro: Node) -> StaticSlot | None:
    kinds = [t.type for t in tokens]
    if "static" not in kinds:
        return None
    index = kinds.index("static") + 1
    while index < len(tokens) and node_text(tokens[index]) in ("ref", "mut"):
        index += 1
    if index >= len(tokens) or tokens[index].type != "identifier":
        return None
    name = tokens[index]
    colon = next((i for i in range(index + 1, len(tokens)) if tokens[i].type == ":"), None)
    equals = next((i for i in range(index + 1, len(tokens)) if tokens[i].type == "="), None)
    type_text = ""
    if colon is not None:
        type_end = tokens[equals - 1].end_byte if equals is not None else tokens[-1].end_byte
        type_text = data[tokens[colon + 1].start_byte : type_end].decode("utf-8", "replace") if colon + 1 < len(tokens) else ""
    init_text = ""
    if equals is not None and equals + 1 < len(tokens):
        init_text = data[tokens[equals + 1].start_byte : tokens[-1].end_byte].decode("utf-8", "replace")
    return StaticSlot(node_text(name), name, type_text.strip(), init_text.strip(), storage, macro)


def slot_uses(ctx: AnalysisContext, slots: list[StaticSlot]) -> dict[str, list[Node]]:
    """Identifier nodes naming each slot outside its own declaration, in source order."""
    by_name = {slot.name: slot for slot in slots}
    uses: dict[str, list[Node]] = {}
    for name, slot in by_name.items():
        declaration = slot.declaration
        start, end = declaration.start_byte, declaration.end_byte
        uses[name] = [n for n in _identifiers_named(ctx, name) if not (start <= n.start_byte and n.end_byte <= end)]
    return uses


def _identifiers_named(ctx: AnalysisContext, name: str) -> list[Node]:
    """The identifier nodes spelled ``name``, in source order (kept per file: several rules ask)."""
    found = getattr(ctx, "_statics_identifiers_named", None)
    if found is None:
        found = ctx._statics_identifiers_named = {}
    identifiers = found.get(name)
    if identifiers is None:
        identifiers = found[name] = [node for node in nodes_spelled(ctx, name) if node.type == "identifier"]
    return identifiers
