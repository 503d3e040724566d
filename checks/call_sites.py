"""Who calls a function, with which arguments, and which tenant a function can see: facts
read across the workspace (``checks.workspace``) that several rules ask."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from tree_sitter import Node

from .context import AnalysisContext, call_arguments, calls_named, node_text, nodes_spelled
from .vocabulary import PROCESS_ENVIRONMENT_WORDS, names_identity

if TYPE_CHECKING:
    from .workspace import WorkspaceModel

# Files read for one function's callers at most: a name called in more places is too common
# for callers found by name to be that function's.
MAX_CALLER_FILES = 12
# wasmtime hands a host function its caller's store as `Caller<'_, T>`.
HOST_FUNCTION_CONTEXT = "Caller"


def function_name(function: Node) -> str:
    name = function.child_by_field_name("name")
    return node_text(name) if name is not None else ""


def tenant_in_reach(ctx: AnalysisContext, function: Node | None) -> str | None:
    """The tenant (or pack) identity a function can see: a parameter named or typed as one
    (``org_id``, ``tenant: &TenantCtx``, not ``org_provisioner``), or such a field of its
    ``self`` type (from the workspace model). Not a collection of them (``tenants:
    &HashMap<String, TenantId>``): a registry is every tenant's, not the one served."""
    if function is None:
        return None
    parameters = function.child_by_field_name("parameters")
    for parameter in parameters.named_children if parameters is not None else ():
        if parameter.type != "parameter":
            continue
        pattern = parameter.child_by_field_name("pattern")
        type_node = parameter.child_by_field_name("type")
        if type_node is not None and ctx.workspace.is_collection(node_text(type_node)):
            continue
        for text in (node_text(pattern) if pattern is not None else "", node_text(type_node) if type_node is not None else ""):
            if names_scope_identity(ctx, text):
                return node_text(pattern) if pattern is not None else text
    from .workspace import named_types, parse_type

    if parameters is not None and any(child.type == "self_parameter" for child in parameters.named_children):
        impl = ctx.enclosing_impl(function)
        type_node = impl.child_by_field_name("type") if impl is not None else None
        if type_node is not None:
            found = identity_field(ctx, parse_type(node_text(type_node)).name)
            if found is not None:
                return f"self.{found}"
    # A wasmtime host function sees its instance's store data through `Caller<'_, T>`, as a
    # host trait method sees `self`.
    for parameter in parameters.named_children if parameters is not None else ():
        type_node = parameter.child_by_field_name("type") if parameter.type == "parameter" else None
        for caller in named_types(node_text(type_node)) if type_node is not None else ():
            data = caller.args[-1].name if caller.name == HOST_FUNCTION_CONTEXT and caller.args else None
            found = identity_field(ctx, data) if data else None
            if found is not None:
                return f"{node_text(parameter.child_by_field_name('pattern'))}.data().{found}"
    return None


def identity_field(ctx: AnalysisContext, struct_name: str) -> str | None:
    """The field of a workspace struct named or typed as a scope identity. Not a collection
    (``apps: DashMap<String, AppId>``, ``tenants: HashMap<TenantId, Quota>``): a registry of
    every tenant's identity, or a map per tenant, is no one tenant the code serves."""
    struct = ctx.workspace.struct(struct_name)
    for field, field_type in struct.fields if struct is not None else ():
        if (names_scope_identity(ctx, field) or names_scope_identity(ctx, field_type)) and not ctx.workspace.is_collection(field_type):
            return field
    return None


def names_scope_identity(ctx: AnalysisContext, text: str) -> bool:
    found = ctx.vocabulary.tenant.match(text) or ctx.vocabulary.pack.match(text)
    return bool(found) and found not in PROCESS_ENVIRONMENT_WORDS and names_identity(text, found)


def calls_of_function(ctx: AnalysisContext, function: Node) -> list[tuple[AnalysisContext, Node]]:
    """Calls of ``function`` (defined in ``ctx``'s file) in the workspace: a method by its
    name, a free function by a bare call in its own file or a path through its module.
    Found once per function and file analysis (several rules and lookups ask)."""
    found = ctx.calls_of_functions.get(function.id)
    if found is None:
        found = ctx.calls_of_functions[function.id] = _find_calls(ctx, function)
    return found


def file_context(ctx: AnalysisContext, path: str) -> AnalysisContext | None:
    """The context of another workspace file, made once per analysis: each made afresh
    would index the same file again (its ancestry, lines, test items, bindings) for every
    question asked of it. ``ctx`` itself for its own file (kept out: it would hold itself)."""
    if path == ctx.path_key:
        return ctx
    contexts = getattr(ctx, "_other_file_contexts", None)
    if contexts is None:
        contexts = ctx._other_file_contexts = {}
    if path not in contexts:
        contexts[path] = ctx.context_for(path)
    return contexts[path]


def _find_calls(ctx: AnalysisContext, function: Node) -> list[tuple[AnalysisContext, Node]]:
    name = function_name(function)
    owner = impl_owner(ctx, function)
    is_method = ctx.enclosing_impl(function) is not None
    found = []
    if is_method:
        candidates = ctx.workspace.files_calling(name)
    else:
        candidates = _files_calling_function(ctx, name)
    for path in candidates[:MAX_CALLER_FILES]:
        other = file_context(ctx, path)
        if other is None:
            continue
        modules = (*module_spellings(path, ctx.path_key), "self", "super", "crate")
        imported = not is_method and other is not ctx and imports_function(ctx, path, ctx.path_key, name)
        spellings = {name} if is_method else {name, *_local_names(ctx, path, name)}
        for call in calls_named(other, frozenset(spellings)):
            callee = call.child_by_field_name("function")
            if callee is not None and callee.type == "generic_function":
                callee = callee.child_by_field_name("function")
            if callee is None:
                continue
            if is_method:
                if callee.type == "field_expression" and _may_call_method_of(other, callee, owner, name) \
                        or callee.type == "scoped_identifier" and _names_method_type(ctx, function, other, callee):
                    found.append((other, call))
                continue
            resolved = resolved_callee(other, callee)
            if resolved is not None:
                if resolved == (ctx.path_key, name):
                    found.append((other, call))
            elif node_text(callee).rpartition("::")[2] == name and (
                    callee.type == "identifier" and (other is ctx or imported)
                    or callee.type == "scoped_identifier" and _last_module(callee) in modules):
                found.append((other, call))
    return found


def _may_call_method_of(ctx: AnalysisContext, callee: Node, owner: str, name: str) -> bool:
    """Whether ``receiver.name(..)`` may run ``owner``'s method ``name``: not when the
    receiver is declared as another type, nor, for a name every standard collection has,
    unless the receiver is declared as ``owner``."""
    of_owner = _receiver_is_of(ctx, callee.child_by_field_name("value"), owner)
    return of_owner is True or of_owner is None and name not in _STANDARD_COLLECTION_METHODS


def impl_owner(ctx: AnalysisContext, node: Node) -> str:
    """The type an ``impl`` holding ``node`` is for (``KvHost`` of ``impl Host for KvHost``)."""
    from .workspace import parse_type

    impl = ctx.enclosing_impl(node)
    return parse_type(node_text(impl.child_by_field_name("type"))).name if impl is not None else ""


# Receiver types whose methods are the standard library's, never a workspace type's.
_STANDARD_VALUE_TYPES = frozenset({"String", "str", "Vec", "Path", "PathBuf", "OsString", "OsStr"})
# Methods every standard map, set or list has: a call by such a name on a receiver of no
# visible type is far likelier the collection's than a workspace type's of the same name.
_STANDARD_COLLECTION_METHODS = frozenset({
    "get", "get_mut", "insert", "remove", "contains", "contains_key", "entry", "push", "pop",
    "extend", "retain", "clear", "len", "is_empty", "iter", "keys", "values", "first", "last",
})


def _receiver_is_of(ctx: AnalysisContext, receiver: Node | None, owner: str) -> bool | None:
    """Whether a method call's receiver is a value of ``owner`` (the type whose method is
    looked for), by its declared type: True for ``owner`` or a trait it implements (``&dyn
    SecretStore``); False for another concrete type (``self.extra_table_factories``, a
    ``HashMap``, calls no ``OptionMap::get``); None when no type is visible or the one
    declared could still be ``owner`` (a generic)."""
    from .workspace import MAP_TYPES, SEQUENCE_TYPES, SET_TYPES, WRAPPERS, parse_type

    type_text = _declared_type(ctx, receiver)
    if type_text is None or not owner:
        return None
    model = ctx.workspace
    expression = model.expand(parse_type(type_text))
    for _ in range(MAX_RECEIVER_WRAPPERS):
        if expression.kind == "reference" and expression.args or expression.kind == "path" and expression.name in WRAPPERS and expression.args:
            expression = model.expand(expression.args[0])
        else:
            break
    name = expression.name
    if name == owner or expression.kind in ("dyn", "impl") and name in model.trait_impls.get(owner, ()):
        return True
    if expression.kind == "path" and (name in MAP_TYPES or name in SET_TYPES or name in SEQUENCE_TYPES
                                      or name in _STANDARD_VALUE_TYPES or model.struct(name) is not None):
        return False
    return None


# Wrappers and borrows looked through to the value a receiver is (`&Arc<RwLock<T>>`).
MAX_RECEIVER_WRAPPERS = 8


def _declared_type(ctx: AnalysisContext, receiver: Node | None) -> str | None:
    """The declared type of a receiver: ``self``'s or a parameter's (``store: &dyn
    SecretStore``; not inside a closure, whose parameters may shadow it), or a field of either
    (``self.a.b``, ``state.config``, through the workspace's structs); None otherwise."""
    fields = []
    while receiver is not None and receiver.type == "field_expression":
        fields.append(node_text(receiver.child_by_field_name("field")))
        receiver = receiver.child_by_field_name("value")
    if receiver is None:
        return None
    if receiver.type == "identifier":
        function = ctx.enclosing_function(receiver)
        if function is None or ctx.enclosing(receiver, ("closure_expression",)) is not None or _rebinds(function, node_text(receiver)):
            return None
        root_type = _parameter_type(function, node_text(receiver))
    elif receiver.type == "self" and ctx.enclosing_impl(receiver) is not None:
        root_type = node_text(ctx.enclosing_impl(receiver).child_by_field_name("type"))
    else:
        return None
    if root_type is None or not fields:
        return root_type
    return ctx.workspace.field_chain_type(ctx.workspace.struct_held(root_type), fields[::-1])


def _rebinds(function: Node, name: str) -> bool:
    """Whether ``function``'s body binds ``name`` again with a ``let``: its type then need
    not be the parameter's (``let config = config.secrets();``)."""
    body = function.child_by_field_name("body")
    return body is not None and re.search(rf"\blet\s+(mut\s+)?{re.escape(name)}\b", node_text(body)) is not None


def _parameter_type(function: Node | None, name: str) -> str | None:
    parameters = function.child_by_field_name("parameters") if function is not None else None
    for parameter in parameters.named_children if parameters is not None else ():
        pattern, type_node = parameter.child_by_field_name("pattern"), parameter.child_by_field_name("type")
        if parameter.type == "parameter" and pattern is not None and type_node is not None \
                and node_text(pattern).removeprefix("mut ").strip() == name:
            return node_text(type_node)
    return None


def resolved_callee(ctx: AnalysisContext, callee: Node) -> tuple[str, str] | None:
    """The file defining the function a callee's path names, and its own name, resolved
    through the calling file's ``use`` declarations and module (``fetch``, ``s::read``,
    ``super::f``). None when the path does not resolve in the workspace, or the call lies
    in an inline module (its ``super`` and imports are not the file's)."""
    if callee.type not in ("identifier", "scoped_identifier"):
        return None
    resolved = ctx.workspace.item_file(ctx.path_key, tuple(node_text(callee).replace(" ", "").split("::")))
    return None if resolved is None or _in_inline_module(ctx, callee) else resolved


def _names_method_type(ctx: AnalysisContext, method: Node, caller_ctx: AnalysisContext, callee: Node) -> bool:
    """Whether ``Type::method(..)`` names the type whose ``impl`` holds ``method``: ``Self``
    inside an impl of it, or a path resolving to that type's definition in the method's
    crate (``other_crate::Helper`` re-exported by ``pub use inner::Helper``)."""
    from .workspace import module_of_file, parse_type

    impl = ctx.enclosing_impl(method)
    type_node = impl.child_by_field_name("type") if impl is not None else None
    path = callee.child_by_field_name("path")
    if type_node is None or path is None:
        return False
    owner = parse_type(node_text(type_node)).name
    if node_text(path) == "Self":
        enclosing = caller_ctx.enclosing_impl(callee)
        enclosing_type = enclosing.child_by_field_name("type") if enclosing is not None else None
        return enclosing_type is not None and parse_type(node_text(enclosing_type)).name == owner \
            and module_of_file(caller_ctx.path_key) is not None \
            and module_of_file(caller_ctx.path_key)[0] == (module_of_file(ctx.path_key) or ("",))[0]
    resolved = resolved_callee(caller_ctx, path)
    if resolved is None or resolved[1] != owner:
        return False
    defined_in, method_in = module_of_file(resolved[0]), module_of_file(ctx.path_key)
    return defined_in is not None and method_in is not None and defined_in[0] == method_in[0]


def _in_inline_module(ctx: AnalysisContext, node: Node) -> bool:
    spans = getattr(ctx, "_inline_module_spans", None)
    if spans is None:
        spans = ctx._inline_module_spans = _inline_module_spans(ctx.tree.root_node)
    return any(start <= node.start_byte < end for start, end in spans)


def _inline_module_spans(root: Node) -> list[tuple[int, int]]:
    """The byte spans of a file's top-level inline modules (``mod tests { .. }``): those
    nested in them lie within."""
    return [(child.start_byte, child.end_byte) for child in root.named_children
            if child.type == "mod_item" and child.child_by_field_name("body") is not None]


def _local_names(ctx: AnalysisContext, path: str, name: str) -> list[str]:
    """The names the file at ``path`` brings ``name`` in under by a renaming ``use``
    (``use other_crate::secrets::read_secret as fetch`` → ``fetch``)."""
    return [alias for alias, full in ctx.workspace.renaming_uses(path) if full.rsplit("::", 1)[-1] == name]


def _files_calling_function(ctx: AnalysisContext, name: str) -> tuple[str, ...]:
    """The files that may call the free function ``name`` of ``ctx``'s file: its own, those
    spelling a path through its module (``routes::name(``, ``other_crate::name(``,
    ``crate::name(`` for a crate root, ``super::name(``, ``self::name(``), those calling
    ``name(`` they brought in by ``use``, and those renaming it or its module by ``use``
    (``read_secret as fetch``, ``secrets as s``)."""
    model = ctx.workspace
    spelled = [path for module in module_spellings(ctx.path_key, ctx.path_key)
               for path in model.files_calling(f"{module}::{name}")
               if module != "crate" or module_spellings(path, ctx.path_key)[-1] == "crate"]
    relative = [path for module in ("super", "self") for path in model.files_calling(f"{module}::{name}")]
    imported = [path for path in model.files_calling(name)
                if path != ctx.path_key and may_bring_in(model, path, name)
                and (imports_function(ctx, path, ctx.path_key, name) or model.full_path(path, name) != name)]
    module = module_name(ctx.path_key)
    renamed = [path for path in model.files_mentioning(name) if path != ctx.path_key
               and any(full.rsplit("::", 1)[-1] in (name, module) for _, full in model.renaming_uses(path))]
    return tuple(dict.fromkeys((ctx.path_key, *spelled, *imported, *relative, *renamed)))


def callers_with_tenant(ctx: AnalysisContext, function: Node):
    """The calls of ``function`` from code that serves tenants and has a tenant in reach:
    (the caller's context, the call, the calling function, the tenant it can see)."""
    for caller_ctx, call in calls_of_function(ctx, function):
        if not caller_ctx.serves_tenants or caller_ctx.should_skip(call):
            continue
        caller = caller_ctx.enclosing_function(call)
        reach = tenant_in_reach(caller_ctx, caller)
        if reach is not None:
            yield caller_ctx, call, caller, reach


def arguments_for(call: Node, function: Node, names: set[str]) -> list[Node]:
    """The arguments ``call`` passes for the parameters of ``function`` named ``names``,
    in parameter order (``Type::method(value, ..)`` passes ``self`` first)."""
    arguments = call_arguments(call)
    parameters = function.child_by_field_name("parameters")
    callee = call.child_by_field_name("function")
    position = 1 if callee is not None and callee.type == "scoped_identifier" and _takes_self(function) else 0
    found = []
    for parameter in parameters.named_children if parameters is not None else ():
        if parameter.type != "parameter":
            continue
        pattern = parameter.child_by_field_name("pattern")
        if pattern is not None and node_text(pattern).removeprefix("mut ") in names and position < len(arguments):
            found.append(arguments[position])
        position += 1
    return found


def nowhere_called(ctx: AnalysisContext, function: Node) -> bool:
    """A public function whose name nothing else in the workspace mentions: its callers are
    outside the workspace (a library's API), so what they pass is out of sight. A name
    mentioned elsewhere (an import, a handler passed by name, a macro body) is not this."""
    if not any(child.type == "visibility_modifier" for child in function.children):
        return False
    name = function_name(function)
    others = [path for path in ctx.workspace.files_naming(name) if path != ctx.path_key]
    own = [node for node in nodes_spelled(ctx, name) if node.type == "identifier"]
    return not others and len(own) <= 1


@lru_cache(maxsize=8192)
def module_name(path: str) -> str:
    """The name a file's module is spelled by in paths: a crate's root module (``src/lib.rs``,
    ``src/main.rs``, a ``[lib] path``) by its crate's (``other_crate::helper`` with ``-`` as
    ``_``), another file by its stem, or its folder's name for ``mod.rs``. Kept per path: the
    resolution of a call asks it of every same-named function's file."""
    from .workspace import crate_root_of

    crate = crate_root_of(path)
    if crate is not None:
        return crate.library
    pure = PurePath(path)
    return pure.parent.name if pure.stem in ("mod", "lib", "main") else pure.stem


def module_spellings(caller_path: str, defining_path: str) -> tuple[str, ...]:
    """The last path segments by which code in ``caller_path`` names the module of
    ``defining_path``: its name, and ``crate`` for its own crate's root module."""
    from .workspace import crate_of_folder, crate_root_of

    name = module_name(defining_path)
    crate = crate_root_of(defining_path)
    if crate is not None and (caller := crate_of_folder(str(Path(caller_path).absolute().parent))) is not None \
            and caller.root == crate.root:
        return name, "crate"
    return (name,)


def imports_function(ctx: AnalysisContext, caller_path: str, defining_path: str, name: str) -> bool:
    """Whether the file at ``caller_path`` brings the function ``name`` of ``defining_path``'s
    module into scope by a ``use`` (``use other_crate::helper;``, a glob of the module): a
    bare ``name(..)`` there calls it."""
    if not may_bring_in(ctx.workspace, caller_path, name):
        return False
    return any(ctx.workspace.imports(caller_path, module, name) for module in module_spellings(caller_path, defining_path))


def may_bring_in(model: WorkspaceModel, path: str, name: str) -> bool:
    """Whether a ``use`` of the file at ``path`` may bring ``name`` into scope: one names it,
    or globs a module. One question per file, where whether each module's ``name`` is brought
    in would be one per module and name (most files calling a common name import none)."""
    aliases = model.use_aliases(path)
    return name in aliases or "*" in aliases


def _last_module(callee: Node) -> str:
    path = callee.child_by_field_name("path")
    if path is None:
        return ""
    if path.type == "scoped_identifier":
        path = path.child_by_field_name("name")
    return node_text(path) if path is not None else ""


def _takes_self(function: Node) -> bool:
    parameters = function.child_by_field_name("parameters")
    return parameters is not None and any(child.type == "self_parameter" for child in parameters.named_children)
