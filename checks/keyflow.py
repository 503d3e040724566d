"""Key composition: what a key expression is built from, followed back through the function.

Rules ask "is this secret name / cache key / state key scoped by tenant and pack?". The
answer comes from tracing the expression back through ``let`` bindings (and later
``push_str``/assignments to the same variable), ``format!`` and other macros, references,
``.as_str()``/``.clone()``/``.to_string()``-style conversions, concatenation, struct
literals and calls, collecting the identifiers, fields, parameter types and helper calls it
is made of. Scope evidence is any of those that the configured vocabulary recognises.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from tree_sitter import Node

from .ancestry import Ancestry
from .context import AnalysisContext, call_arguments, call_receiver, last_path_segment, method_call_of, node_text
from .parsing import matches
from .vocabulary import Vocabulary

# Reads of a store by key: what they answer is the store's value, not the key they are given.
LOOKUP_METHODS = frozenset({"get", "get_mut", "resolve", "lookup", "fetch", "route"})
PASSTHROUGH_METHODS = frozenset({
    "as_str", "as_ref", "as_bytes", "as_deref", "clone", "cloned", "to_string", "to_owned",
    "into", "borrow", "deref", "unwrap", "expect", "unwrap_or_default", "to_lowercase",
    "to_uppercase", "to_ascii_lowercase", "trim", "as_slice", "join", "concat", "iter",
    "to_vec", "into_owned", "unwrap_or", "unwrap_or_else", "ok", "copied", "as_path",
    "display", "to_str", "to_string_lossy",
})
APPENDING_METHODS = frozenset({"push_str", "push", "extend", "insert_str"})
_INLINE_ARG = r"\{([^\W\d]\w*)(?:[:}])"


class KeyPart(NamedTuple):
    """One ingredient of a key: an identifier, field path, parameter, literal or call (a named
    tuple: traces build many, and a frozen dataclass is several times slower to build)."""

    text: str
    kind: str  # identifier | field | parameter | literal | helper | call | struct-field | type
    node: Node
    type_text: str = ""

    def words_source(self) -> str:
        return f"{self.text} {self.type_text}" if self.type_text else self.text


class KeyComposition:
    """The traced ingredients of a key expression and the places it was composed."""

    __slots__ = ("expression", "parts", "composed_at", "looked_up")

    def __init__(self, expression: Node):
        self.expression = expression
        self.parts: list[KeyPart] = []
        self.composed_at: list[Node] = []
        # Ranges of ``parts`` (start, end) that are the key of a lookup whose answer is in
        # the expression (`router.resolve(host)`): the value holds what the store answered.
        self.looked_up: list[tuple[int, int]] = []

    def answered_by_lookup(self, index: int) -> bool:
        """Whether ``parts[index]`` only keyed a lookup whose answer is what the value holds."""
        return any(start <= index < end for start, end in self.looked_up)

    def _matching(self, predicate) -> KeyPart | None:
        for part in self.parts:
            if part.kind == "literal":
                continue
            if predicate(part):
                return part
        return None

    def tenant_evidence(self, vocabulary: Vocabulary) -> KeyPart | None:
        return self._matching(lambda p: p.kind == "helper" or vocabulary.tenant.match(p.words_source()) is not None)

    def pack_evidence(self, vocabulary: Vocabulary) -> KeyPart | None:
        return self._matching(lambda p: p.kind == "helper" or vocabulary.pack.match(p.words_source()) is not None)

    def scope_evidence(self, vocabulary: Vocabulary) -> KeyPart | None:
        return self.tenant_evidence(vocabulary) or self.pack_evidence(vocabulary)

    def per_pack_ids(self, vocabulary: Vocabulary) -> list[KeyPart]:
        return [p for p in self.parts if p.kind != "literal" and p.kind != "helper" and vocabulary.per_pack.match(p.words_source())]

    def parameters(self) -> list[KeyPart]:
        return [p for p in self.parts if p.kind == "parameter"]

    def describe(self) -> str:
        """``[flow_id, session]``: the non-literal ingredients, in order, de-duplicated."""
        return "[" + ", ".join(dict.fromkeys(p.text for p in self.parts if p.kind != "literal")) + "]"


# What function bodies bind. A whole-file query joins the query all rules share (see
# ``checks.query_batch``), so finding these costs no walk of its own; each function's share
# is then sorted out by position.
_FILE_BINDINGS = f"""
(function_item body: (_)? @body) @function
[(let_declaration) (let_condition)] @let
[(for_expression) (closure_expression)] @iteration
[(assignment_expression) (compound_assignment_expr)] @assignment
((field_identifier) @update (#any-of? @update {" ".join(f'"{method}"' for method in sorted(APPENDING_METHODS))}))
"""
# The whole-file queries ``KeyTracer`` runs: rules that trace keys list them in ``Rule.queries``.
QUERIES = (_FILE_BINDINGS,)


class _BodyBindings:
    __slots__ = ("lets", "iterations", "updates")

    def __init__(self) -> None:
        self.lets: list[Node] = []
        self.iterations: list[Node] = []
        self.updates: list[tuple[Node, Node]] = []  # (update, the variable it changes)


class _FileBindings:
    """The ``let``s, loops, closures and updates of every function body of a file, each filed
    under the innermost function whose body holds it (a nested ``fn`` binds its own names)."""

    def __init__(self, ancestry: Ancestry):
        self.ancestry = ancestry
        self._by_function: dict[int, _BodyBindings] | None = None

    def of(self, function: Node) -> _BodyBindings:
        if self._by_function is None:
            self._by_function = self._index()
        return self._by_function.get(function.id) or _BodyBindings()

    def _index(self) -> dict[int, _BodyBindings]:
        functions: list[tuple[Node, Node | None]] = []
        found_nodes: list[tuple[Node, str, Node | None]] = []
        for _, found in matches(_FILE_BINDINGS, self.ancestry.root):
            if "function" in found:
                body = found.get("body")
                functions.append((found["function"][0], body[0] if body else None))
            elif "let" in found:
                found_nodes.append((found["let"][0], "let", None))
            elif "iteration" in found:
                found_nodes.append((found["iteration"][0], "iteration", None))
            elif "assignment" in found:
                # The `left` side is checked here, not in the query: a field constraint there
                # costs more to compile than the few assignments of a file cost to read.
                assignment = found["assignment"][0]
                target = assignment.child_by_field_name("left")
                if target is not None and target.type == "identifier":
                    found_nodes.append((assignment, "update", target))
            else:
                call = method_call_of(found["update"][0], self.ancestry)
                target = call_receiver(call) if call is not None else None
                if target is not None and target.type == "identifier":
                    found_nodes.append((call, "update", target))
        functions.sort(key=lambda entry: entry[0].start_byte)
        found_nodes.sort(key=lambda entry: entry[0].start_byte)
        by_function: dict[int, _BodyBindings] = {}
        # Functions nest, so the ones around a position form a chain: innermost last.
        around: list[tuple[Node, Node | None]] = []
        next_function = 0
        for node, kind, target in found_nodes:
            start = node.start_byte
            while next_function < len(functions) and functions[next_function][0].start_byte <= start:
                around.append(functions[next_function])
                next_function += 1
            while around and around[-1][0].end_byte <= start:
                around.pop()
            if not around:
                continue
            function, body = around[-1]
            if body is None or not (body.start_byte <= start and node.end_byte <= body.end_byte):
                continue
            bindings = by_function.get(function.id)
            if bindings is None:
                bindings = by_function[function.id] = _BodyBindings()
            if kind == "let":
                bindings.lets.append(node)
            elif kind == "iteration":
                bindings.iterations.append(node)
            else:
                bindings.updates.append((node, target))
        return by_function


def _walk_order(node: Node) -> tuple[int, int]:
    """Sorts nodes as a walk that takes children right to left reaches them (later statements
    first, an enclosing node before what it holds): the order rules' related locations follow."""
    return -node.end_byte, node.start_byte


class FunctionScope:
    """Bindings of one function body, indexed on first use: ``let`` names and parameters."""

    def __init__(self, function: Node | None, file_bindings: _FileBindings):
        self.function = function
        self._file_bindings = file_bindings
        self._parameters: dict[str, tuple[Node, str]] | None = None
        self._lets: dict[str, list[Node]] | None = None
        self._appends: dict[str, list[Node]] = {}
        # `for` loops and closures of the body: what their variables are drawn from.
        self._iterations: list[Node] = []

    @property
    def parameters(self) -> dict[str, tuple[Node, str]]:
        if self._parameters is None:
            self._parameters = self._index_parameters()
        return self._parameters

    @property
    def lets(self) -> dict[str, list[Node]]:
        if self._lets is None:
            self._index_body()
        return self._lets

    @property
    def appends(self) -> dict[str, list[Node]]:
        if self._lets is None:
            self._index_body()
        return self._appends

    @property
    def iterations(self) -> list[Node]:
        if self._lets is None:
            self._index_body()
        return self._iterations

    def _index_parameters(self) -> dict[str, tuple[Node, str]]:
        indexed: dict[str, tuple[Node, str]] = {}
        parameters = self.function.child_by_field_name("parameters") if self.function is not None else None
        if parameters is None:
            return indexed
        for parameter in parameters.named_children:
            if parameter.type == "parameter":
                pattern = parameter.child_by_field_name("pattern")
                type_node = parameter.child_by_field_name("type")
                name = _pattern_name(pattern)
                if name:
                    indexed[name] = (parameter, node_text(type_node) if type_node is not None else "")
            elif parameter.type == "identifier":
                indexed[node_text(parameter)] = (parameter, "")
        return indexed

    def _index_body(self) -> None:
        self._lets = {}
        if self.function is None:
            return
        bindings = self._file_bindings.of(self.function)
        for declaration in sorted(bindings.lets, key=_walk_order):
            name = _pattern_name(declaration.child_by_field_name("pattern"))
            if name:
                self._lets.setdefault(name, []).append(declaration)
        self._iterations = sorted(bindings.iterations, key=_walk_order)
        for update, target in sorted(bindings.updates, key=lambda update: _walk_order(update[0])):
            self._appends.setdefault(node_text(target), []).append(update)

    def binding_before(self, name: str, use: Node) -> Node | None:
        """The latest ``let name`` that ends before ``use`` and whose block encloses it."""
        best = None
        for declaration in self.lets.get(name, ()):
            if declaration.end_byte <= use.start_byte and _block_encloses(declaration, use, self._file_bindings.ancestry):
                if best is None or declaration.start_byte > best.start_byte:
                    best = declaration
        return best

    def updates_between(self, name: str, start: int, end: int) -> list[Node]:
        return [n for n in self.appends.get(name, ()) if start <= n.start_byte and n.end_byte <= end]


def _block_encloses(declaration: Node, use: Node, ancestry: Ancestry) -> bool:
    block = ancestry.parent(declaration)
    return block is not None and block.start_byte <= use.start_byte and use.end_byte <= block.end_byte


def _iteration_source(use: Node, name: str, scope: FunctionScope, ancestry: Ancestry) -> Node | None:
    """What a loop or closure variable is drawn from: `uris` in `for uri in &uris { .. }` or
    in `uris.iter().map(|uri| ..)`, so a key built from it is traced to where it came from.

    The loops and closures come from the scope's index, innermost first, rather than from
    climbing ``use``'s parents: ``Node.parent`` descends from the root on every call, which
    is quadratic for an identifier deep in a long concatenation."""
    enclosing = [n for n in scope.iterations if n.start_byte <= use.start_byte and use.end_byte <= n.end_byte]
    for current in sorted(enclosing, key=lambda n: n.start_byte, reverse=True):
        if current.type == "for_expression":
            body = current.child_by_field_name("body")
            if body is not None and body.start_byte <= use.start_byte and _binds(current.child_by_field_name("pattern"), name):
                return current.child_by_field_name("value")
        elif current.type == "closure_expression":
            if _binds(current.child_by_field_name("parameters"), name):
                arguments = ancestry.parent(current)
                call = ancestry.parent(arguments) if arguments is not None and arguments.type == "arguments" else None
                function = call.child_by_field_name("function") if call is not None and call.type == "call_expression" else None
                return function.child_by_field_name("value") if function is not None and function.type == "field_expression" else None
    return None


def _binds(pattern: Node | None, name: str) -> bool:
    if pattern is None:
        return False
    stack = [pattern]
    while stack:
        node = stack.pop()
        if node.type == "identifier" and node_text(node) == name:
            return True
        stack.extend(c for c in node.named_children if c.type not in ("type_identifier", "reference_type", "generic_type", "scoped_type_identifier"))
    return False


def _is_concatenation(node: Node) -> bool:
    operator = node.child_by_field_name("operator")
    return operator is not None and operator.type == "+"


def _concatenated_operands(chain: Node) -> list[Node]:
    """The operands of a left-nested ``a + b + c`` chain, in source order, found without
    recursion (a generated key may chain thousands of terms)."""
    operands: list[Node] = []
    node = chain
    while node.type == "binary_expression" and _is_concatenation(node):
        right = node.child_by_field_name("right")
        if right is not None:
            operands.append(right)
        left = node.child_by_field_name("left")
        if left is None:
            break
        node = left
    else:
        operands.append(node)
    operands.reverse()
    return operands


# Variants whose one binding holds what the matched value wraps (`let Some(x) = v else`,
# `if let Ok(x) = v`): the binding is traced to ``v``.
_UNWRAPPING_VARIANTS = frozenset({"Some", "Ok"})


def _pattern_name(pattern: Node | None) -> str | None:
    while pattern is not None and pattern.type in ("mut_pattern", "ref_pattern"):
        pattern = pattern.named_children[-1] if pattern.named_children else None
    if pattern is not None and pattern.type == "tuple_struct_pattern":
        variant, *bound = pattern.named_children
        if node_text(variant) in _UNWRAPPING_VARIANTS and len(bound) == 1:
            return _pattern_name(bound[0])
    return node_text(pattern) if pattern is not None and pattern.type == "identifier" else None


# Expressions ``_trace`` resolves without looking a name up in the function's scope (a path
# such as `Default::default`, a literal): tracing one needs no scope, nor the walk to find it.
_NAMES_NOTHING = frozenset({"self", "string_literal", "raw_string_literal", "char_literal", "integer_literal", "scoped_identifier", "closure_expression"})


class KeyTracer:
    """Traces key expressions within one file; caches function indexes."""

    def __init__(self, ctx: AnalysisContext):
        self.ctx = ctx
        # A function's index depends only on the tree, so all rules share one per file.
        self._scopes: dict[int, FunctionScope] = ctx.function_scopes
        bindings = getattr(ctx, "_keyflow_file_bindings", None)
        if bindings is None:
            bindings = ctx._keyflow_file_bindings = _FileBindings(ctx.ancestry)
        self._file_bindings = bindings

    def scope_of(self, node: Node) -> FunctionScope:
        return self.function_scope(self.ctx.enclosing(node, ("function_item",)))

    def function_scope(self, function: Node | None) -> FunctionScope:
        """The scope of ``function`` (None: code outside any function)."""
        key = function.id if function is not None else -1
        scope = self._scopes.get(key)
        if scope is None:
            scope = FunctionScope(function, self._file_bindings)
            self._scopes[key] = scope
        return scope

    def trace(self, expression: Node, scope: FunctionScope | None = None) -> KeyComposition:
        """``scope``: the scope of the function holding ``expression``, when the caller has it."""
        composition = KeyComposition(expression)
        if scope is None and expression.type not in _NAMES_NOTHING:
            scope = self.scope_of(expression)
        _Trace(self.ctx, composition, scope).run(expression)
        return composition


class _Trace:
    """One expression traced back to its ingredients. Steps wait on a stack instead of in
    nested calls, so the depth of the input (a key in twenty parentheses, a thousand nested
    ``format!``) costs no stack; every node is read at most once, which bounds the work by
    the function's size. A step that reads further pushes what it reads, in order, on top:
    parts come out in the order a depth-first reading finds them."""

    __slots__ = ("ctx", "out", "scope", "visiting", "pending", "lookup_starts")

    def __init__(self, ctx: AnalysisContext, out: KeyComposition, scope: FunctionScope):
        self.ctx = ctx
        self.out = out
        self.scope = scope
        self.visiting: set[int] = set()
        self.pending: list[tuple] = []  # (step, its arguments…)
        self.lookup_starts: list[int] = []  # where each open lookup's key parts begin

    def run(self, expression: Node) -> None:
        pending = self.pending
        pending.append((self.expression, expression))
        while pending:
            step, *arguments = pending.pop()
            step(*arguments)

    def then(self, steps: list[tuple]) -> None:
        """Run ``steps`` in order, before anything pushed earlier."""
        self.pending.extend(reversed(steps))

    def expression(self, node: Node) -> None:
        if node.id in self.visiting:
            return
        self.visiting.add(node.id)
        kind = node.type
        out = self.out
        if kind == "identifier":
            self.identifier(node, node_text(node))
        elif kind == "self":
            out.parts.append(KeyPart("self", "identifier", node))
        elif kind in ("string_literal", "raw_string_literal", "char_literal", "integer_literal"):
            out.parts.append(KeyPart(node_text(node), "literal", node))
        elif kind == "field_expression":
            self.field(node)
        elif kind == "call_expression":
            self.call(node)
        elif kind == "macro_invocation":
            self.macro(node)
        elif kind == "scoped_identifier":
            out.parts.append(KeyPart(node_text(node), "identifier", node))
        elif kind == "struct_expression":
            self.struct(node)
        elif kind == "binary_expression" and _is_concatenation(node):
            # `a + ":" + b + …` is one level of composition, however many terms it has.
            self.then([(self.expression, operand) for operand in _concatenated_operands(node)])
        elif kind == "closure_expression":
            return
        else:
            self.then([(self.expression, child) for child in node.named_children
                       if child.type not in ("line_comment", "block_comment", "type_arguments")])

    def identifier(self, node: Node, name: str) -> None:
        out, scope = self.out, self.scope
        binding = scope.binding_before(name, node)
        if binding is not None:
            out.composed_at.append(binding)
            type_node = binding.child_by_field_name("type")
            value = binding.child_by_field_name("value")
            if type_node is not None:
                out.parts.append(KeyPart(name, "identifier", node, node_text(type_node)))
            steps: list[tuple] = []
            if value is not None:
                steps.append((self.expression, value))
                steps.append((self.name_unless_traced, len(out.parts), name, node))
            steps.extend((self.update, update) for update in scope.updates_between(name, binding.end_byte, node.start_byte))
            self.then(steps)
            return
        parameter = scope.parameters.get(name)
        if parameter is not None:
            out.parts.append(KeyPart(name, "parameter", parameter[0], parameter[1]))
            return
        out.parts.append(KeyPart(name, "identifier", node))
        source = _iteration_source(node, name, scope, self.ctx.ancestry)
        if source is not None:
            out.composed_at.append(source)
            self.then([(self.expression, source)])

    def name_unless_traced(self, parts_before: int, name: str, node: Node) -> None:
        """A variable whose value gave no ingredient is an ingredient itself."""
        if len(self.out.parts) == parts_before:
            self.out.parts.append(KeyPart(name, "identifier", node))

    def update(self, update: Node) -> None:
        self.out.composed_at.append(update)
        if update.type == "call_expression":
            self.then([(self.expression, argument) for argument in call_arguments(update)])
        else:
            right = update.child_by_field_name("right")
            if right is not None:
                self.then([(self.expression, right)])

    def field(self, node: Node) -> None:
        out, scope = self.out, self.scope
        segments = self.ctx.path_segments(node)
        root = segments[0] if segments else ""
        type_text = ""
        parameter = scope.parameters.get(root)
        if parameter is not None:
            type_text = parameter[1]
        out.parts.append(KeyPart(".".join(segments), "field", node, type_text))
        value = node.child_by_field_name("value")
        if value is not None and value.type not in ("identifier", "self", "field_expression"):
            self.then([(self.expression, value)])
        elif value is not None and value.type == "identifier" and parameter is None:
            binding = scope.binding_before(root, node)
            if binding is not None and binding.child_by_field_name("value") is not None:
                out.composed_at.append(binding)
                self.then([(self.expression, binding.child_by_field_name("value"))])

    def call(self, node: Node) -> None:
        function = node.child_by_field_name("function")
        name = (last_path_segment(function) if function is not None else None) or ""
        receiver = function.child_by_field_name("value") if function is not None and function.type == "field_expression" else None
        if self.ctx.vocabulary.is_helper(name):
            self.out.parts.append(KeyPart(name, "helper", node))
            return
        if receiver is None or name not in PASSTHROUGH_METHODS:
            self.out.parts.append(KeyPart(name, "call", node))
        read = [receiver] if receiver is not None else []
        steps = [(self.expression, part) for part in read + call_arguments(node)]
        if receiver is not None and name in LOOKUP_METHODS:
            # The receiver's parts are the store's; the arguments' only key the lookup.
            steps.insert(len(read), (self.open_lookup_key,))
            steps.append((self.close_lookup_key,))
        self.then(steps)

    def open_lookup_key(self) -> None:
        self.lookup_starts.append(len(self.out.parts))

    def close_lookup_key(self) -> None:
        self.out.looked_up.append((self.lookup_starts.pop(), len(self.out.parts)))

    def struct(self, node: Node) -> None:
        name_node = node.child_by_field_name("name")
        if name_node is not None:
            self.out.parts.append(KeyPart(node_text(name_node), "type", name_node))
        body = node.child_by_field_name("body")
        if body is not None:
            self.then([(self.initializer, initializer) for initializer in body.named_children])

    def initializer(self, initializer: Node) -> None:
        if initializer.type == "field_initializer":
            field_name = initializer.child_by_field_name("field")
            value = initializer.child_by_field_name("value")
            if field_name is not None:
                self.out.parts.append(KeyPart(node_text(field_name), "struct-field", field_name))
            if value is not None:
                self.then([(self.expression, value)])
        elif initializer.type == "shorthand_field_initializer":
            # `Request { trace_id }` sets field `trace_id` from the local of that name.
            self.out.parts.append(KeyPart(node_text(initializer), "struct-field", initializer))
            self.then([(self.expression, child) for child in initializer.named_children])
        elif initializer.type == "base_field_initializer":
            self.then([(self.expression, child) for child in initializer.named_children])

    def macro(self, node: Node) -> None:
        self.out.composed_at.append(node)
        token_tree = next((c for c in node.named_children if c.type == "token_tree"), None)
        if token_tree is not None:
            self.then([(self.token_path, token_path) for token_path in _token_paths(token_tree)])

    def token_path(self, token_path: list[Node]) -> None:
        """One argument of a macro, as its tokens: a format string (and the names inlined
        in it), a name, or a path such as ``ctx.tenant.id``."""
        out, scope = self.out, self.scope
        first = token_path[0]
        first_kind = first.type
        first_text = node_text(first)
        if first_kind in ("string_literal", "raw_string_literal"):
            out.parts.append(KeyPart(first_text, "literal", first))
            self.then([(self.identifier, first, inline) for inline in re.findall(_INLINE_ARG, first_text)])
            return
        if len(token_path) == 1:
            if first_kind == "identifier":
                self.identifier(first, first_text)
            return
        texts = [first_text, *(node_text(t) for t in token_path[1:])]
        if any(text in self.ctx.vocabulary.helpers for text in texts):
            out.parts.append(KeyPart(texts[-1], "helper", first))
            return
        parameter = scope.parameters.get(first_text)
        out.parts.append(KeyPart(".".join(texts), "field", first, parameter[1] if parameter else ""))
        if parameter is None and first_kind == "identifier":
            binding = scope.binding_before(first_text, first)
            value = binding.child_by_field_name("value") if binding is not None else None
            if value is not None:
                out.composed_at.append(binding)
                self.then([(self.expression, value)])


def _token_paths(token_tree: Node) -> list[list[Node]]:
    """Group a macro's flat tokens into paths: ``ctx . tenant . id`` → one path of 3 nodes.

    ``::`` joins too (``Self::KEY``); nested token trees (call arguments) are flattened in.
    """
    paths: list[list[Node]] = []
    current: list[Node] = []
    joiner_pending = False
    tokens: list[Node] = []
    _flat_tokens(token_tree, tokens)
    for token in tokens:
        kind = token.type
        if kind in ("identifier", "self", "field_identifier", "integer_literal") and (joiner_pending or not current):
            current.append(token)
            joiner_pending = False
            continue
        if kind in (".", "::") and current:
            joiner_pending = True
            continue
        if current:
            paths.append(current)
            current = []
        joiner_pending = False
        if kind in ("identifier", "self"):
            current = [token]
        elif kind in ("string_literal", "raw_string_literal"):
            paths.append([token])
    if current:
        paths.append(current)
    return paths


def _flat_tokens(token_tree: Node, into: list[Node]) -> None:
    """The tokens of ``token_tree`` and of the token trees nested in it, in source order."""
    pending = token_tree.children[::-1]
    while pending:
        child = pending.pop()
        if child.type == "token_tree":
            pending.extend(child.children[::-1])
        else:
            into.append(child)
