"""ISO101 unscoped-secret-lookup: a secret is read with a key that carries no tenant scope.

Candidates come from one compiled query over method and function calls; each is judged by
what reads the secret (a secret-read function, a read on a secrets store, ``env::var``) and by
what its key is composed of (``KeyTracer``). The layer that *implements* a secrets API and
merely forwards its own parameter is left alone: its callers choose the key and are judged.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from typing import NamedTuple

from tree_sitter import Node

from ..context import AnalysisContext, call_arguments, call_receiver, last_path_segment, node_text, same_node
from .. import keyed_collections, keyflow
from ..keyflow import FunctionScope, KeyComposition, KeyTracer
from ..call_sites import arguments_for, callers_with_tenant, calls_of_function, nowhere_called
from ..model import Applicability, Edit, Fix, FixAvailability, RelatedLocation, Severity
from ..parsing import matches
from .base import Rule, exact_name_triggers, vocabulary_triggers
from ..statics import STATIC_AND_CONST_ITEMS
from ..vocabulary import PROCESS_ENVIRONMENT_WORDS, WordSet, words_of

SECRET_NOUNS = frozenset({"secret", "secrets", "credential", "credentials", "creds"})
SINGULAR_SECRET_NOUNS = frozenset({"secret", "credential"})
READ_VERBS = frozenset({"get", "read", "fetch", "load", "resolve", "lookup", "retrieve", "require"})
# A secret-named function with one of these words returns or changes something other than a
# secret's value for a key (`put_secret`, `secret_uri`, `get_secrets_manager`, `list_secrets`).
NOT_A_SECRET_READ = frozenset({
    "put", "set", "write", "delete", "remove", "store", "seal", "rotate", "insert", "update",
    "create", "save", "list", "exists", "has", "contains", "uri", "url", "path", "name",
    "names", "spec", "specs", "requirement", "requirements", "ref", "refs", "metadata", "meta",
    "keys", "ids", "count", "len", "schema", "version", "versions", "config", "manager",
    "backend", "provider", "client", "handle", "scope", "policy", "redact", "mask",
})
STORE_NOUNS = frozenset({
    "store", "manager", "backend", "provider", "vault", "client", "resolver", "core", "cache",
    "repo", "repository", "source", "service", "map", "registry", "broker", "handle", "api",
    "host",
})
STANDALONE_STORE_WORDS = frozenset({"vault", "keyring", "keychain"})
# Methods that read one value for a key once the receiver is known to be a secrets store.
STORE_READ_METHODS = frozenset({
    "get", "get_text", "get_json", "get_bytes", "get_string", "get_str", "get_value",
    "get_opt", "get_optional", "try_get", "read", "read_text", "read_json", "read_bytes",
    "read_string", "read_value", "fetch", "fetch_text", "fetch_value", "load", "resolve",
    "lookup", "retrieve", "get_by_key", "get_by_name", "get_by_path", "read_by_key",
})
# Zero-argument accessors between a store and the read: `SECRETS.read().await.get(k)`.
ACCESSOR_METHODS = frozenset({
    "read", "write", "lock", "try_read", "try_lock", "blocking_read", "blocking_lock", "borrow",
    "borrow_mut", "as_ref", "as_deref", "clone", "deref", "load", "load_full", "get",
    "get_or_init", "get_ref", "instance", "global", "unwrap", "expect",
})
# Roots whose `.secrets` describe secrets (requirements, schemas), not hold their values.
DESCRIPTIVE_ROOTS = frozenset({
    "manifest", "spec", "schema", "descriptor", "definition", "requirements", "template",
    "metadata", "doc", "docs", "example", "examples",
})
INTEGER_TYPES = frozenset({"usize", "u8", "u16", "u32", "u64", "isize", "i32", "i64"})
KEY_ARGUMENT_WORDS = frozenset({"key", "name", "path", "id", "uri", "secret"})
# Calls that only wrap their arguments: `String::from("db")` is as fixed as `"db"`.
WRAPPING_CALLS = frozenset({"from", "new", "to_string", "to_owned", "into", "from_static", "format", "concat"})
# Names of things that hold every tenant rather than identify one.
ALL_TENANTS_WORDS = frozenset({
    "tenants", "registry", "directory", "catalog", "pool", "list", "all", "repo", "repository",
    "store", "stores", "manager", "managers", "index", "map",
})
# Receivers named for a test double: a mock layer's canned secrets are fixtures, not a store
# tenants share (`if let Some(mock) = &self.mocks { mock.secrets_lookup(key) }`).
TEST_DOUBLE_WORDS = frozenset({"mock", "mocks", "fake", "fakes", "stub", "stubs", "dummy"})
# A key drawn from one of these is an issued handle, not a name composed here.
REFERENCE_WORDS = frozenset({"ref", "reference", "locator", "handle", "uri", "urn", "arn"})
BUILDER_KEY_METHODS = frozenset({"secret_id", "secret_name", "name", "key", "path", "id", "uri"})
ENV_MODULES = frozenset({"env", "dotenv", "dotenvy"})
ENV_READERS = frozenset({"var", "var_os"})
ENV_VAR_IMPORT = rb"use\s+(?:std::)?env::(?:\{[^}]*\bvar(?:_os)?\b|var(?:_os)?\b)"
SECRET_NAME_WORDS = frozenset({
    "key", "token", "secret", "secrets", "password", "passwd", "pwd", "passphrase",
    "credential", "credentials", "apikey",
})
# `TOKEN_URL`, `SECRET_NAME`, `KEY_PATH` name where a secret lives, not the secret itself.
NOT_SECRET_VALUE_WORDS = frozenset({
    "path", "file", "dir", "url", "uri", "endpoint", "host", "port", "region", "ttl", "timeout",
    "expiry", "header", "name", "format", "prefix", "len", "length", "size",
})
# The last word of a setting about secrets (`SECRETS_BACKEND`, `SECRET_STORE_MODE`,
# `SECRETS_CACHE_MAX_ENTRIES`). Only the last word counts: `BACKEND_API_KEY` is a secret.
SETTING_HEAD_WORDS = frozenset({
    "backend", "backends", "provider", "providers", "mode", "kind", "type", "enabled",
    "disabled", "dev", "root", "secs", "seconds", "ms", "entries", "capacity", "version",
})

# The callees of calls that may read a secret: `{names}` and `{methods}` are filled per config
# (extra APIs), and the predicates keep the candidate set small so most names never reach
# Python. The call around a name is read in Python (``_call_of``): a pattern rooted at
# `call_expression` keeps a match in progress for every call a chain nests, so on a chain of
# n calls tree-sitter's work grew as n².
CALL_QUERY = """
((identifier) @callee (#match? @callee "{names}"))
((field_identifier) @callee (#match? @callee "{methods}"))
"""
# Every callee `is_secret_read_name` can accept: a secret noun as a word in any case (`creds`
# only as the first word), or `var`/`var_os`.
SECRET_NAME_PATTERN = "[Ss]ecret|SECRET|[Cc]redential|CREDENTIAL|^_*[Cc]reds|^_*CREDS|^var$|^var_os$"


@lru_cache(maxsize=8192)
def is_secret_read_name(name: str) -> bool:
    """`get_secret`, `read_secret_bytes`, `secrets_get`, `fetch_credential` — not `put_secret`,
    and not `load_secrets(path)`, which loads a whole set rather than one secret by key."""
    ordered = words_of(name)
    words = set(ordered)
    if not words & READ_VERBS or words & NOT_A_SECRET_READ:
        return False
    return bool(words & SINGULAR_SECRET_NOUNS) or (bool(ordered) and ordered[0] in SECRET_NOUNS)


@lru_cache(maxsize=8192)
def is_secret_store_text(text: str) -> bool:
    """A name or type that denotes a secrets store: `secrets`, `SecretsManager`, `vault`."""
    words = words_of(text)
    word_set = set(words)
    if word_set & STANDALONE_STORE_WORDS:
        return True
    if not word_set & SECRET_NOUNS:
        return False
    return bool(word_set & STORE_NOUNS) or words[-1] in ("secrets", "credentials", "creds")


@lru_cache(maxsize=8192)
def is_secret_env_name(name: str) -> bool:
    """`OPENAI_API_KEY`, `DB_PASSWORD` — not `RUST_LOG`, `PORT`, `TOKEN_URL`, or
    `APP_SECRETS_BACKEND`, whose last word says it configures secrets rather than holds one."""
    ordered = words_of(name)
    words = set(ordered)
    if not words & SECRET_NAME_WORDS or words & NOT_SECRET_VALUE_WORDS:
        return False
    return ordered[-1] not in SETTING_HEAD_WORDS


class TenantContext(NamedTuple):
    """Something in reach of a lookup that says which tenant (or pack, or flow) is served."""

    label: str
    node: Node
    kind: str  # tenant | pack | per-pack
    fix_argument: str | None = None


_UNKNOWN = object()


class LookupSite:
    """What encloses a lookup call: its ancestors, read once when first asked, answer every
    question about the enclosing function, impl, closures and loops."""

    def __init__(self, call: Node, tracer: KeyTracer):
        self.call = call
        self._tracer = tracer
        self._ancestors: list[Node] | None = None  # innermost first
        self._function = self._impl = _UNKNOWN

    @property
    def ancestors(self) -> list[Node]:
        if self._ancestors is None:
            self._ancestors = self._tracer.ctx.ancestry.path_to(self.call)[-2::-1]
        return self._ancestors

    def innermost(self, kinds: tuple[str, ...], above: Node | None = None) -> Node | None:
        """The nearest ancestor of one of ``kinds``, above ``above`` (itself an ancestor) when
        given: what `AnalysisContext.enclosing` finds."""
        ancestors = self.ancestors
        for node in ancestors[ancestors.index(above) + 1 :] if above is not None else ancestors:
            if node.type in kinds:
                return node
        return None

    def all_of(self, kind: str) -> list[Node]:
        return [node for node in self.ancestors if node.type == kind]

    @property
    def function(self) -> Node | None:
        if self._function is _UNKNOWN:
            self._function = self.innermost(("function_item",))
        return self._function

    @property
    def scope(self) -> FunctionScope:
        return self._tracer.function_scope(self.function)

    @property
    def impl(self) -> Node | None:
        if self._impl is _UNKNOWN:
            self._impl = self.innermost(("impl_item",))
        return self._impl


class SecretLookup(NamedTuple):
    """One call that reads a secret, with the expression that names the secret."""

    call: Node
    key: Node
    api: str
    kind: str  # function | store | env
    site: LookupSite
    receiver: Node | None = None


class FileIndex:
    """Declarations in the file that lookups are judged against: structs and statics, each
    read from the tree when first asked for (a file asks about a few of its structs)."""

    def __init__(self, ctx: AnalysisContext):
        self._root = ctx.root
        self._field_lists: dict[str, list[Node]] | None = None
        self._struct_fields: dict[str, list[tuple[str, str, Node]]] = {}
        self._static_types: dict[str, str] | None = None
        self._scoped_types: dict[str, bool] = {}

    def struct_fields(self, struct_name: str) -> list[tuple[str, str, Node]]:
        """(name, type text, declaration) of each field of the structs named ``struct_name``."""
        fields = self._struct_fields.get(struct_name)
        if fields is None:
            if self._field_lists is None:
                self._field_lists = {}
                for _, found in matches(keyed_collections.STRUCT_QUERY, self._root):
                    body = found["struct"][0].child_by_field_name("body")
                    if body is not None and body.type == "field_declaration_list":
                        self._field_lists.setdefault(node_text(found["name"][0]), []).append(body)
            fields = []
            for field_list in self._field_lists.get(struct_name, ()):
                for declaration in field_list.named_children:
                    if declaration.type == "field_declaration":
                        field_name = declaration.child_by_field_name("name")
                        field_type = declaration.child_by_field_name("type")
                        if field_name is not None:
                            fields.append((node_text(field_name), node_text(field_type) if field_type is not None else "", declaration))
            self._struct_fields[struct_name] = fields
        return fields

    def static_type(self, name: str) -> str:
        """The declared type of the static or const ``name`` ("" when there is none)."""
        if self._static_types is None:
            self._static_types = {}
            for _, found in matches(STATIC_AND_CONST_ITEMS, self._root):
                item = found["item"][0]
                name, item_type = item.child_by_field_name("name"), item.child_by_field_name("type")
                if name is not None and name.type == "identifier" and item_type is not None:
                    self._static_types[node_text(name)] = node_text(item_type)
        return self._static_types.get(name, "")

    def field_type(self, struct_name: str, field_name: str) -> tuple[str, Node] | None:
        for name, type_text, declaration in self.struct_fields(struct_name):
            if name == field_name:
                return type_text, declaration
        return None

    def struct_has_scope(self, type_text: str, vocabulary) -> bool:
        """A key type declared here with a tenant or pack field (`struct SecretKey { tenant, .. }`)."""
        scoped = self._scoped_types.get(type_text)
        if scoped is None:
            scoped = any(
                vocabulary.is_scope(f"{name} {field_type}")
                for word_run in _type_names(type_text)
                for name, field_type, _ in self.struct_fields(word_run)
            )
            self._scoped_types[type_text] = scoped
        return scoped


_TYPE_WORD = r"\w+"


@lru_cache(maxsize=8192)
def _type_names(type_text: str) -> tuple[str, ...]:
    """The capitalised words of a type: `Arc<dyn SecretStore>` → (Arc, SecretStore)."""
    return tuple(word for word in re.findall(_TYPE_WORD, type_text) if word[:1].isupper())


def impl_type_name(impl: Node | None) -> str:
    if impl is None:
        return ""
    type_node = impl.child_by_field_name("type")
    while type_node is not None and type_node.type in ("generic_type", "scoped_type_identifier"):
        type_node = type_node.child_by_field_name("type") or type_node.child_by_field_name("name")
    return node_text(type_node) if type_node is not None else ""


def impl_trait_text(impl: Node | None) -> str:
    trait = impl.child_by_field_name("trait") if impl is not None else None
    return node_text(trait) if trait is not None else ""


def function_name(function: Node | None) -> str:
    name = function.child_by_field_name("name") if function is not None else None
    return node_text(name) if name is not None else ""


def has_self_parameter(function: Node | None) -> bool:
    parameters = function.child_by_field_name("parameters") if function is not None else None
    return parameters is not None and any(c.type == "self_parameter" for c in parameters.named_children)


def _is_sequence_type(type_text: str) -> bool:
    compact = type_text.replace(" ", "").lstrip("&")
    return compact.startswith(("Vec<", "[", "VecDeque<", "SmallVec<")) or "<Vec<" in compact


def _generic_bounds(function: Node | None, type_text: str):
    """`SecretProvider` for `provider: &P` in `fn f<P: SecretProvider>(..)` or `where P: ..`."""
    if function is None:
        return
    names = set(_type_names(type_text))
    declared = function.child_by_field_name("type_parameters")
    for parameter in declared.named_children if declared is not None else ():
        if parameter.named_children and node_text(parameter.named_children[0]) in names:
            yield node_text(parameter)
    where = next((c for c in function.named_children if c.type == "where_clause"), None)
    for predicate in where.named_children if where is not None else ():
        left = predicate.child_by_field_name("left")
        if left is not None and node_text(left) in names:
            yield node_text(predicate)


def _extractor_binding(pattern: Node | None) -> str | None:
    """`&tenant` for an extractor pattern such as `CurrentTenant(tenant): CurrentTenant`."""
    if pattern is None or pattern.type != "tuple_struct_pattern":
        return None
    bound = [c for c in pattern.named_children[1:] if c.type == "identifier"]
    return f"&{node_text(bound[0])}" if len(bound) == 1 else None


def _ingredients(composition: KeyComposition) -> list:
    """The parts worth naming: not literals, and not calls that only wrap other parts."""
    meaningful = [p for p in composition.parts if p.kind != "literal" and not (p.kind == "call" and p.text in WRAPPING_CALLS)]
    return [p for p in meaningful if p.kind != "call"] or meaningful


def _short(text: str, limit: int = 48) -> str:
    # Split and joined, the only whitespace left is single spaces.
    flat = " ".join(text.split()).replace(" .", ".").replace(" ?", "?")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@lru_cache(maxsize=64)
def _call_query(extra_apis: frozenset[str]) -> str:
    names = SECRET_NAME_PATTERN + "".join(f"|^{re.escape(api)}$" for api in sorted(extra_apis))
    methods = names + "|^(" + "|".join(sorted(STORE_READ_METHODS)) + ")$"
    return CALL_QUERY.replace("{names}", names.replace("\\", "\\\\")).replace("{methods}", methods.replace("\\", "\\\\"))


@lru_cache(maxsize=64)
def _receiver_words(extra_receivers: tuple[str, ...]) -> WordSet:
    return WordSet(extra_receivers)


class SecretLookupCheck:
    """ISO101 over one file."""

    def __init__(self, ctx: AnalysisContext):
        self.ctx = ctx
        self.vocabulary = ctx.vocabulary
        self.tracer = KeyTracer(ctx)
        settings = ctx.settings
        self.extra_apis = settings.extra_secret_apis
        self.extra_receivers = _receiver_words(tuple(settings.extra_secret_receivers))
        self.startup_functions = settings.startup_functions
        self.call_query = _call_query(self.extra_apis)
        self._context_kinds: dict[str, str | None] = {}

    @cached_property
    def index(self) -> FileIndex:
        """Built on the first lookup that needs it: most files read no secret at all."""
        return FileIndex(self.ctx)

    @cached_property
    def imports_env_var(self) -> bool:
        """`use std::env::var;` makes a bare `var("API_KEY")` an environment read."""
        return re.search(ENV_VAR_IMPORT, self.ctx.source.data) is not None

    # -- finding lookups --------------------------------------------------------------
    def lookups(self):
        seen: set[int] = set()
        for _, found in matches(self.call_query, self.ctx.root):
            callee = found["callee"][0]
            call = self._call_of(callee)
            if call is None or call.id in seen or call.has_error:
                continue
            seen.add(call.id)
            lookup = self._classify(call, node_text(callee))
            if lookup is not None:
                yield lookup

    def _call_of(self, callee: Node) -> Node | None:
        """The call ``callee`` names: ``callee(..)`` or ``path::callee(..)`` for a name,
        ``x.callee(..)`` or ``x.callee::<T>(..)`` for a method."""
        parent = self.ctx.parent(callee)
        if parent is None:
            return None
        if callee.type == "identifier":
            if parent.type == "scoped_identifier" and same_node(parent.child_by_field_name("name"), callee):
                callee, parent = parent, self.ctx.parent(parent)
        elif parent.type == "field_expression" and same_node(parent.child_by_field_name("field"), callee):
            callee, parent = parent, self.ctx.parent(parent)
            if parent is not None and parent.type == "generic_function" and same_node(parent.child_by_field_name("function"), callee):
                callee, parent = parent, self.ctx.parent(parent)
        else:
            return None
        if parent is None or parent.type != "call_expression" or not same_node(parent.child_by_field_name("function"), callee):
            return None
        return parent

    def _classify(self, call: Node, callee: str) -> SecretLookup | None:
        function = call.child_by_field_name("function")
        arguments = call_arguments(call)
        if callee in ENV_READERS and function is not None and arguments:
            if function.type == "scoped_identifier":
                path = function.child_by_field_name("path")
                module = last_path_segment(path) if path is not None else None
                if module in ENV_MODULES:
                    return SecretLookup(call, arguments[0], f"{module}::{callee}", "env", LookupSite(call, self.tracer))
            elif function.type == "identifier" and self.imports_env_var:
                return SecretLookup(call, arguments[0], f"env::{callee}", "env", LookupSite(call, self.tracer))
            return None
        receiver = function.child_by_field_name("value") if function is not None and function.type == "field_expression" else None
        lookup = self._secret_read(call, callee, arguments, receiver)
        if lookup is None or receiver is None:
            return lookup
        # A mock layer's canned secrets are fixtures, not a store tenants share.
        store = lookup.receiver if lookup.kind == "store" else self._strip_accessors(receiver)
        return None if set(words_of(node_text(store))) & TEST_DOUBLE_WORDS else lookup

    def _secret_read(self, call: Node, callee: str, arguments: list[Node], receiver: Node | None) -> SecretLookup | None:
        if is_secret_read_name(callee) or callee in self.extra_apis:
            key = self._key_argument(arguments) if arguments else self._builder_key(call)
            if key is None:
                return None
            return SecretLookup(call, key, callee, "function", LookupSite(call, self.tracer), receiver)
        if receiver is not None and callee in STORE_READ_METHODS and arguments:
            store = self._strip_accessors(receiver)
            site = LookupSite(call, self.tracer)
            if self._is_secret_store(store, site):
                key = arguments[0]
                if key.type == "integer_literal" or self._is_index(key, site):
                    return None
                return SecretLookup(call, key, callee, "store", site, store)
        return None

    @staticmethod
    def _is_index(key: Node, site: LookupSite) -> bool:
        """`secrets.get(i)` with `i: usize`: a position, not a secret's name."""
        if key.type != "identifier":
            return False
        parameter = site.scope.parameters.get(node_text(key))
        return parameter is not None and parameter[1].lstrip("&") in INTEGER_TYPES

    @staticmethod
    def _key_argument(arguments: list[Node]) -> Node:
        """The argument that names the secret: one called key/name/path/id, else a string."""
        for argument in arguments:
            if argument.type not in ("string_literal", "raw_string_literal") and set(words_of(node_text(argument))) & KEY_ARGUMENT_WORDS:
                return argument
        for argument in arguments:
            if '"' in node_text(argument):
                return argument
        return arguments[-1]

    def _builder_key(self, call: Node) -> Node | None:
        """`client.get_secret_value().secret_id(name).send()` → `name`."""
        node = call
        while (access := self.ctx.parent(node)) is not None and access.type == "field_expression" and \
                (outer := self.ctx.parent(access)) is not None and outer.type == "call_expression":
            method = access.child_by_field_name("field")
            arguments = call_arguments(outer)
            if method is not None and node_text(method) in BUILDER_KEY_METHODS and arguments:
                return arguments[0]
            node = outer
        return None

    @staticmethod
    def _strip_accessors(receiver: Node) -> Node:
        node = receiver
        while True:
            kind = node.type
            if kind in ("await_expression", "try_expression", "parenthesized_expression", "reference_expression", "unary_expression"):
                inner = node.named_children[0] if node.named_children else None
                if inner is None:
                    return node
                node = inner
                continue
            if kind == "call_expression":
                function = node.child_by_field_name("function")
                if function is not None and function.type == "field_expression":
                    name = last_path_segment(function) or ""
                    inner = function.child_by_field_name("value")
                    if inner is not None and name in ACCESSOR_METHODS and (name in ("expect", "unwrap") or not call_arguments(node)):
                        node = inner
                        continue
            return node

    def _is_secret_store(self, store: Node, site: LookupSite) -> bool:
        identity = [text for text in self._store_identity(store, site) if text]
        # What the declared types are, through aliases and wrappers (`Mgr` = `Arc<dyn SecretsManager>`).
        identity.extend(self._resolved_type_names(identity))
        if not any(is_secret_store_text(text) or self.extra_receivers.match(text) for text in identity):
            return False
        if any(_is_sequence_type(text) for text in identity):
            return False  # `self.secrets.get(i)` on a `Vec<SecretSpec>` indexes, it does not look up
        segments = self.ctx.path_segments(store) if store.type in ("identifier", "field_expression", "scoped_identifier", "self") else []
        return not (segments and set(words_of(" ".join(segments[:-1]))) & DESCRIPTIVE_ROOTS)

    def _resolved_type_names(self, identity: list[str]) -> list[str]:
        """The workspace model's reading of declared types: the names of what they hold
        once aliases and wrappers are looked through, when an alias was among them."""
        workspace = self.ctx.workspace
        names = []
        for text in identity:
            if workspace.hides_types(text):
                names.extend(inner.name for inner, _, _ in workspace.inner_types(text) if inner.name)
        return names

    def _store_identity(self, store: Node, site: LookupSite):
        """Names and visible types of a receiver: its own name, then what it was declared as."""
        ctx = self.ctx
        if store.type == "identifier":
            name = node_text(store)
            yield name
            scope = site.scope
            parameter = scope.parameters.get(name)
            if parameter is not None:
                yield parameter[1]
                yield from _generic_bounds(scope.function, parameter[1])
            binding = scope.binding_before(name, store)
            if binding is not None:
                for field in ("type", "value"):
                    part = binding.child_by_field_name(field)
                    if part is not None:
                        yield " ".join(_type_names(node_text(part)))
            closure_type = self._closure_parameter_type(site, name)
            if closure_type:
                yield closure_type
            yield self.index.static_type(name)
        elif store.type == "field_expression":
            field = store.child_by_field_name("field")
            value = store.child_by_field_name("value")
            field_name = node_text(field) if field is not None else ""
            yield field_name
            owner = self._owner_type(value, site)
            if owner:
                declared = self.index.field_type(owner, field_name)
                if declared is not None:
                    yield declared[0]
                else:  # a struct of another file
                    yield self.ctx.workspace.field_type(owner, field_name) or ""
        elif store.type == "call_expression":
            function = store.child_by_field_name("function")
            yield (last_path_segment(function) if function is not None else None) or ""
            if function is not None and function.type == "scoped_identifier":
                yield " ".join(ctx.path_segments(function)[:-1])
        elif store.type == "scoped_identifier":
            last = last_path_segment(store) or ""
            yield last
            yield self.index.static_type(last)
        elif store.type == "self":
            # `self.get(k)` inside a secrets store's own impl or trait (a default method).
            impl = site.impl
            if impl is not None:
                yield f"{impl_trait_text(impl)} {impl_type_name(impl)}"
            trait = site.innermost(("trait_item",))
            for field in ("name", "bounds"):
                part = trait.child_by_field_name(field) if trait is not None else None
                if part is not None:
                    yield node_text(part)

    def _owner_type(self, value: Node | None, site: LookupSite) -> str:
        """The struct type of `self` (from the impl) or of a typed parameter."""
        if value is None:
            return ""
        if value.type == "self":
            return impl_type_name(site.impl)
        if value.type == "identifier":
            parameter = site.scope.parameters.get(node_text(value))
            if parameter is not None:
                names = _type_names(parameter[1])
                return names[-1] if names else ""
        return ""

    @staticmethod
    def _closure_parameter_type(site: LookupSite, name: str) -> str:
        """The declared type of closure parameter ``name`` around the lookup (the receiver
        is the lookup's own, so the closures around it are the call's)."""
        for closure in site.all_of("closure_expression"):
            parameters = closure.child_by_field_name("parameters")
            for parameter in parameters.named_children if parameters is not None else ():
                if parameter.type == "parameter":
                    pattern = parameter.child_by_field_name("pattern")
                    type_node = parameter.child_by_field_name("type")
                    if pattern is not None and node_text(pattern) == name and type_node is not None:
                        return node_text(type_node)
        return ""

    # -- judging ------------------------------------------------------------------------
    def findings(self):
        for lookup in self.lookups():
            finding = self._judge(lookup)
            if finding is not None:
                yield finding

    def _judge(self, lookup: SecretLookup):
        site = lookup.site
        scope = site.scope
        composition = self.tracer.trace(lookup.key, scope)
        observe = self._observer(lookup, composition)
        if self._is_scoped(composition) or self._other_argument_is_scoped(lookup, scope):
            if self._scoped_only_by_environment(composition):
                return observe("host's own", "the key names a deployment or process environment, not a tenant")
            return observe("scoped", "the key carries the tenant scope")
        if self._is_host_minted(composition) or self._callee_declares_no_name(lookup):
            # An id the host minted (a UUID stored with its owner) names one owner's secret.
            return observe("host-minted key", "the key is an id the host minted")
        if self._callers_fix_the_name(composition, scope.function):
            return observe("host's own", "every caller passes a name the host fixed")
        if lookup.kind != "env" and self._receiver_is_scoped(lookup, scope):
            return observe("scoped", "the store is bound to the tenant")
        function = scope.function
        fixed_name = self._is_fixed_name(composition)
        if lookup.kind == "env" and not self._env_name_is_secret(composition, function, fixed_name):
            return None
        if self._is_stored_reference(composition):
            return observe("host-minted key", "the key is a reference the host stored with its owner")
        tenant_context = self.tenant_context(site)
        if tenant_context is None and (fixed_name or function_name(function) in self.startup_functions):
            # Host-level code: a fixed name with no tenant in reach, or startup (`main`) reading
            # the host's own secrets.
            return observe("host's own", "a name the host fixed, read with no tenant in reach")
        if not fixed_name and self._is_secret_api_layer(site, composition) and (tenant_context is None or tenant_context.kind == "per-pack"):
            # A decorator or backend over the secrets API: its callers choose the key. With a
            # tenant in reach it is a boundary (a component's `secrets::Host::get`) and is judged.
            return None
        if lookup.kind == "store" and self._store_owned_by_scoped_self(lookup):
            return observe("scoped", "the store belongs to a value bound to the tenant")
        caller_note = None
        names_per_pack_entity = bool(composition.per_pack_ids(self.vocabulary)) and self.ctx.workspace.declares_scope(self.vocabulary)[1]
        if tenant_context is None and self.ctx.workspace.knows_workspace and not names_per_pack_entity:
            # No tenant in reach: whoever chose the key is judged. A key made of parameters
            # is the callers' choice; any other (a configured path, a field the host set up)
            # is the host's own.
            caller_note = self._caller_passing_unscoped_key(composition, function)
            if caller_note is None:
                return observe("host's own", "every caller is host-level code with no tenant in reach")
        finding = self._finding(lookup, composition, function, tenant_context, fixed_name)
        if finding is not None and caller_note is not None:
            finding = finding._replace(related=finding.related + (caller_note,))
        return finding

    def _observer(self, lookup: SecretLookup, composition: KeyComposition):
        """Records ``lookup`` as judged safe (``AnalysisContext.observe``); returns None, the
        judgement's answer, so that a quiet branch reads ``return observe(…)``."""
        def observe(verdict: str, why: str) -> None:
            self.ctx.observe(lookup.call, "secrets", verdict, f"{why}: key {composition.describe()}", key=composition.describe())

        return observe

    def _scoped_only_by_environment(self, composition: KeyComposition) -> bool:
        """Whether the only scope words in the key are `env`'s (``PENDING_ENV``, ``env_name``),
        which the report must not count as a tenant's scope."""
        environment = False
        for part in composition.parts:
            if part.kind == "helper":
                return False
            if part.kind == "literal":
                continue
            source = part.words_source()
            if self.vocabulary.pack.match(source):
                return False
            found = self.vocabulary.tenant.match(source)
            if found is not None and found not in PROCESS_ENVIRONMENT_WORDS:
                return False
            environment = environment or found is not None
        return environment

    def _caller_passing_unscoped_key(self, composition: KeyComposition, function) -> RelatedLocation | None:
        """Why a helper that forwards its parameter as a secret's name is reported, as a
        related location: a caller (in whichever file) that has a tenant in reach passes a
        name without it, or no code of the workspace calls the public helper at all. None
        when every caller is host-level."""
        forwarded = self._forwarded_names(composition, function)
        if forwarded is None:
            return None
        if not forwarded:
            if not nowhere_called(self.ctx, function):
                return None
            return self.ctx.related(function.child_by_field_name("name") or function,
                                    f"public `fn {function_name(function)}` is called by no code of the workspace: its callers cannot be judged")
        parameters = {part.text for part in composition.parts if part.kind == "parameter"}
        for caller_ctx, call, caller, reach in callers_with_tenant(self.ctx, function):
            for name in arguments_for(call, function, parameters):
                if KeyTracer(caller_ctx).trace(name).scope_evidence(caller_ctx.vocabulary) is None and not _host_fixed(name):
                    return self.ctx.related(name, f"`fn {function_name(caller)}` has `{reach}` in reach and passes `{node_text(name)}` as the name",
                                            caller_ctx)
        return None

    def _callers_fix_the_name(self, composition: KeyComposition, function) -> bool:
        """The key is a parameter of its function, and every call of that function in the
        workspace passes a name the host fixed (a literal or constant): the host's own
        configuration, read through a helper (``fn from_env(key: &str)``)."""
        forwarded = self._forwarded_names(composition, function)
        return bool(forwarded) and all(names and all(_host_fixed(name) for name in names) for _, _, names in forwarded)

    def _forwarded_names(self, composition: KeyComposition, function):
        """For a key made of ``function``'s parameters: each call of ``function`` in the
        workspace with the arguments it passes for them; None for any other key."""
        if function is None or not composition.parts or not all(part.kind in ("parameter", "literal") for part in composition.parts):
            return None
        parameters = {part.text for part in composition.parts if part.kind == "parameter"}
        return [(caller_ctx, call, arguments_for(call, function, parameters)) for caller_ctx, call in calls_of_function(self.ctx, function)]

    def _callee_declares_no_name(self, lookup: SecretLookup) -> bool:
        """The called function declares the key's parameter as a host-minted id type
        (``fn require_secret(&self, id: SecretId)``: whatever the caller passes is one), or
        as a service object of the workspace (``secrets: &dyn SecretStore``: no key at all)."""
        arguments = call_arguments(lookup.call)
        position = next((index for index, argument in enumerate(arguments) if argument.id == lookup.key.id), None)
        name = self.ctx.callee_name(lookup.call)
        if position is None or not name:
            return False
        workspace = self.ctx.workspace
        declared = [signature.params[position][1] for signature in workspace.signatures_named(name) if position < len(signature.params)]
        return bool(declared) and all(workspace.is_minted_id(text) or workspace.names_trait(text) for text in declared)

    def _is_host_minted(self, composition: KeyComposition) -> bool:
        """The key holds a value of a host-minted id type (a field whose every declaration in
        the workspace is one, or a binding declared as one): unique to one owner, whatever
        else the key holds."""
        workspace = self.ctx.workspace
        for part in composition.parts:
            if part.kind == "field":
                declared = workspace.field_types_named(part.text.rsplit(".", 1)[-1])
            elif part.kind in ("parameter", "identifier"):
                declared = (part.type_text,) if part.type_text else ()
            else:
                continue
            if declared and all(workspace.is_minted_id(text) for text in declared):
                return True
        return False

    def _is_scoped(self, composition: KeyComposition) -> bool:
        if composition.scope_evidence(self.vocabulary) is not None:
            return True
        return any(self._type_has_scope(part) for part in composition.parts)

    def _type_has_scope(self, part) -> bool:
        """The value a key part uses is of a struct declared here with a tenant or pack field.

        A field part (`flow.flow_id`) carries the type of its root parameter (`flow: &Flow`),
        but only the field's own value reaches the key: it is judged by the field's declared
        type, so `Flow { pack_id, flow_id }` does not scope a name built from `flow.flow_id`."""
        type_text = part.type_text
        if not type_text:
            return False
        if part.kind == "field":
            for field_name in part.text.split(".")[1:]:
                declared = next((d for d in (self.index.field_type(n, field_name) for n in _type_names(type_text)) if d is not None), None)
                if declared is None:
                    return False
                type_text = declared[0]
        return self.index.struct_has_scope(type_text, self.vocabulary)

    def _other_argument_is_scoped(self, lookup: SecretLookup, scope: FunctionScope) -> bool:
        """`get_provider_secret(&core, &tenant, "nats")`: the scope travels beside the name."""
        if lookup.kind == "env":
            return False
        key_id = lookup.key.id
        return any(self._is_scoped(self.tracer.trace(a, scope)) for a in call_arguments(lookup.call) if a.id != key_id)

    def _receiver_is_scoped(self, lookup: SecretLookup, scope: FunctionScope) -> bool:
        """`tenant_secrets.get(k)`, `ctx.secrets().get(k)`, `store.for_tenant(&t).get(k)`."""
        receiver = call_receiver(lookup.call)
        if receiver is None:
            return False
        return self._is_scoped(self.tracer.trace(receiver, scope))

    @staticmethod
    def _is_stored_reference(composition: KeyComposition) -> bool:
        """`state.secrets.read(&slot.reference)`: an opaque reference loaded from config or a
        row was qualified where it was issued; only names a function composes are judged."""
        key = composition.expression
        direct = [p for p in _ingredients(composition) if key.start_byte <= p.node.start_byte < key.end_byte]
        return bool(direct) and all(set(words_of(p.text.split(".")[-1])) & REFERENCE_WORDS for p in direct)

    @staticmethod
    def _is_fixed_name(composition: KeyComposition) -> bool:
        """Literals and constants only: every caller, hence every tenant, gets the same name."""
        for part in composition.parts:
            if part.kind == "literal" or (part.kind == "call" and part.text in WRAPPING_CALLS):
                continue
            last = part.text.split("::")[-1].split(".")[-1]
            if part.kind in ("identifier", "field") and last.isupper():
                continue
            return False
        return True

    @staticmethod
    def _env_name_is_secret(composition: KeyComposition, function: Node | None, fixed_name: bool) -> bool:
        if any(is_secret_env_name(part.text.strip('"')) for part in composition.parts):
            return True
        return not fixed_name and is_secret_read_name(function_name(function))

    def _is_secret_api_layer(self, site: LookupSite, composition: KeyComposition) -> bool:
        """The function implements a secrets read and forwards its caller's key unchanged: a
        free `get_secret(name)` helper, or a read method of a secrets store's own impl (a cache
        or decorator). `HostState::get_secret(key)` is not one: the host is where keys from
        pack code arrive, so it is judged like any caller."""
        function = site.function
        if function is None or not composition.parameters():
            return False
        name = function_name(function)
        is_secret_read = is_secret_read_name(name) or name in self.extra_apis
        owner = site.innermost(("impl_item", "trait_item"), above=function)
        if owner is None:
            return is_secret_read
        if owner.type == "impl_item":
            owner_text = f"{impl_trait_text(owner)} {impl_type_name(owner)}"
        else:
            owner_text = " ".join(node_text(p) for p in (owner.child_by_field_name("name"), owner.child_by_field_name("bounds")) if p is not None)
        return (is_secret_read or name in STORE_READ_METHODS) and is_secret_store_text(owner_text)

    def _store_owned_by_scoped_self(self, lookup: SecretLookup) -> bool:
        """`self.secrets` is a plain map owned by a struct that itself names its tenant or pack."""
        store = lookup.receiver
        if store is None or store.type != "field_expression":
            return False
        value = store.child_by_field_name("value")
        if value is None or value.type != "self":
            return False
        owner = impl_type_name(lookup.site.impl)
        field = store.child_by_field_name("field")
        declared = self.index.field_type(owner, node_text(field)) if field is not None else None
        if declared is None or any(w in declared[0] for w in ("Arc<", "Rc<", "&", "dyn ", "Box<")):
            return False
        return any(self.vocabulary.is_scope(f"{name} {type_text}") for name, type_text, _ in self.index.struct_fields(owner))

    # -- tenant context in reach ------------------------------------------------------------
    def tenant_context(self, site: LookupSite) -> TenantContext | None:
        """The best scope the enclosing code could have used: tenant, else pack, else flow."""
        first_of_kind: dict[str, TenantContext] = {}
        for candidate in self._contexts_in_reach(site):
            if candidate.kind == "tenant":
                return candidate
            first_of_kind.setdefault(candidate.kind, candidate)
        return first_of_kind.get("pack") or first_of_kind.get("per-pack")

    def _contexts_in_reach(self, site: LookupSite):
        call = site.call
        scope = site.scope
        function = scope.function
        parameters = function.child_by_field_name("parameters") if function is not None else None
        for parameter in parameters.named_children if parameters is not None else ():
            if parameter.type != "parameter":
                continue
            text = node_text(parameter)
            kind = self._context_kind(text)
            if kind is None:
                continue
            fix_argument = None
            if kind == "tenant":
                pattern = parameter.child_by_field_name("pattern")
                if pattern is not None and pattern.type == "identifier":
                    type_node = parameter.child_by_field_name("type")
                    name = node_text(pattern)
                    fix_argument = name if type_node is not None and node_text(type_node).startswith("&") else f"&{name}"
                else:
                    fix_argument = _extractor_binding(pattern)
            yield TenantContext(f"`{_short(text, 40)}`", parameter, kind, fix_argument)
        if has_self_parameter(function):
            owner = impl_type_name(site.innermost(("impl_item",), above=function))
            for name, type_text, declaration in self.index.struct_fields(owner):
                kind = self._context_kind(f"{name} {type_text}")
                if kind is not None:
                    yield TenantContext(f"`self.{name}: {type_text}`", declaration, kind, f"&self.{name}" if kind == "tenant" else None)
        for closure in site.all_of("closure_expression"):
            parameters = closure.child_by_field_name("parameters")
            for parameter in parameters.named_children if parameters is not None else ():
                text = node_text(parameter)
                kind = self._context_kind(text)
                if kind is not None:
                    name = text.split(":")[0].strip()
                    fix_argument = f"&{name}" if kind == "tenant" and name.isidentifier() else None
                    yield TenantContext(f"`{text}`", parameter, kind, fix_argument)
        for loop in site.all_of("for_expression"):
            pattern = loop.child_by_field_name("pattern")
            body = loop.child_by_field_name("body")
            if pattern is not None and body is not None and body.start_byte <= call.start_byte:
                name = node_text(pattern)
                kind = self._context_kind(name)
                if kind is not None:
                    yield TenantContext(f"`{name}`", pattern, kind, f"&{name}" if kind == "tenant" and name.isidentifier() else None)
        for name, declarations in scope.lets.items():
            kind = self._context_kind(name)
            if kind is None:
                continue
            for declaration in declarations:
                if declaration.end_byte <= call.start_byte and self._is_request_data(declaration, scope):
                    yield TenantContext(f"`{name}`", declaration, kind, f"&{name}" if kind == "tenant" else None)

    def _is_request_data(self, declaration: Node, scope: FunctionScope) -> bool:
        """`let tenant = req.tenant()` is the tenant being served; `let tenant_id =
        env::var("TENANT_ID")` (an Azure AD tenant, say) is host configuration."""
        value = declaration.child_by_field_name("value")
        if value is None:
            return False
        parts = self.tracer.trace(value, scope).parts
        if any(p.kind == "call" and p.text in ENV_READERS for p in parts):
            return False
        return any(p.kind == "parameter" or (p.kind == "field" and p.text.startswith("self.")) for p in parts)

    def _context_kind(self, words: str) -> str | None:
        """Which scope a name or declaration in reach names: tenant, pack, per-pack, or none."""
        kind = self._context_kinds.get(words, False)
        if kind is False:
            vocabulary = self.vocabulary
            if set(words_of(words)) & ALL_TENANTS_WORDS:
                kind = None  # `tenants: &TenantRegistry` holds every tenant, not the one being served
            elif vocabulary.tenant.match(words):
                kind = "tenant"
            elif vocabulary.pack.match(words):
                kind = "pack"
            elif vocabulary.per_pack.match(words):
                kind = "per-pack"
            else:
                kind = None
            self._context_kinds[words] = kind
        return kind

    # -- reporting -----------------------------------------------------------------------
    def _finding(self, lookup: SecretLookup, composition: KeyComposition, function: Node | None, tenant_context: TenantContext | None, fixed_name: bool):
        ctx = self.ctx
        where = f"`fn {function_name(function)}`" if function is not None else "this item"
        key_text = node_text(lookup.key)
        if lookup.kind == "env":
            named = f"secret `{_short(key_text).strip(chr(34))}`" if fixed_name else f"a secret named by `{_short(key_text)}`"
            message = (
                f"{named} is read from the process environment "
                f"by `{lookup.api}`: {self._why(composition, where, tenant_context, fixed_name, env=True)}"
            )
        else:
            on = f" on `{_short(node_text(lookup.receiver), 32)}`" if lookup.kind == "store" and lookup.receiver is not None else ""
            message = (
                f"secret key `{_short(key_text)}` reaches `{lookup.api}`{on} with no tenant scope: "
                f"{self._why(composition, where, tenant_context, fixed_name, env=False)}"
            )
        related = [ctx.related(node, "key composed here") for node in composition.composed_at[:2]]
        related += [ctx.related(part.node, "key arrives here as a parameter") for part in composition.parameters()[:1]]
        store_declaration = self._store_declaration(lookup)
        if store_declaration is not None:
            related.append(ctx.related(store_declaration, "secrets store shared by every tenant declared here"))
        if tenant_context is not None:
            related.append(ctx.related(tenant_context.node, f"{tenant_context.kind} context in reach here"))
        ingredients = "[" + ", ".join(dict.fromkeys(p.text for p in _ingredients(composition))) + "]"
        if ingredients == "[]":
            ingredients = f"[{_short(key_text, 32)}]"
        return ctx.finding(
            lookup.key,
            message,
            fix=self._fix(lookup, tenant_context),
            related=related,
            notes=(f"{ingredients} — no tenant, no pack_id",),
        )

    def _store_declaration(self, lookup: SecretLookup) -> Node | None:
        """The struct field a `self.<store>` lookup reads through."""
        store = lookup.receiver
        if lookup.kind != "store" or store is None or store.type != "field_expression":
            return None
        value, field = store.child_by_field_name("value"), store.child_by_field_name("field")
        if value is None or value.type != "self" or field is None:
            return None
        declared = self.index.field_type(impl_type_name(lookup.site.impl), node_text(field))
        return declared[1] if declared is not None else None

    def _why(self, composition: KeyComposition, where: str, tenant_context: TenantContext | None, fixed_name: bool, env: bool) -> str:
        head = self._key_origin(composition, where, fixed_name)
        if tenant_context is not None and tenant_context.kind == "per-pack":
            tail = f"and {where} runs per flow ({tenant_context.label} is in reach)"
        elif tenant_context is not None:
            tail = f"and {tenant_context.label} is in reach but not used" + ("" if env else " in the key")
        else:
            tail = f"and nothing in {where} adds {self._scope_words}"
        consequence = "every tenant gets the host's one value" if env else "every tenant reads the same secret"
        if env and fixed_name and tenant_context.kind == "per-pack":
            return f"{where} runs per flow ({tenant_context.label} is in reach), yet {consequence}"
        if env and fixed_name:
            return f"{where} serves a tenant ({tenant_context.label} is in reach), yet {consequence}"
        return f"{head}, {tail}: {consequence}"

    @staticmethod
    def _key_origin(composition: KeyComposition, where: str, fixed_name: bool) -> str:
        if fixed_name:
            return "it is a fixed name"
        parameters = composition.parameters()
        ingredients = _ingredients(composition)
        names = ", ".join(f"`{text}`" for text in dict.fromkeys(p.text for p in ingredients))
        if parameters and len(parameters) == len(ingredients):
            return f"{names} is a parameter of {where}" if len(parameters) == 1 else f"it is built from parameters {names} of {where}"
        return f"it is built from {names}"

    @cached_property
    def _scope_words(self) -> str:
        picked: list[str] = []
        for entry in self.vocabulary.tenant.entries:
            if "_" not in entry and not any(entry.startswith(p) for p in picked):
                picked.append(entry)
        picked = picked[:3]
        pack = next((e for e in self.vocabulary.pack.entries if "_" not in e), None)
        if pack:
            picked.append(pack)
        return ", ".join(picked[:-1]) + f" or {picked[-1]}" if len(picked) > 1 else (picked[0] if picked else "scope")

    def _fix(self, lookup: SecretLookup, tenant_context: TenantContext | None) -> Fix | None:
        helpers = self.vocabulary.helpers_in_order
        if lookup.kind == "env" or tenant_context is None or tenant_context.fix_argument is None or not helpers:
            return None
        helper = helpers[0]
        key = lookup.key
        # Wrapped by insertions before and after, not retyped: the key's own bytes stay as
        # they are, even those that are not UTF-8 (a retyped copy would hold U+FFFD there).
        return Fix(
            f"Scope the key with `{helper}({tenant_context.fix_argument}, …)`",
            (Edit(key.start_byte, key.start_byte, f"&{helper}({tenant_context.fix_argument}, "), Edit(key.end_byte, key.end_byte, ")")),
            Applicability.UNSAFE,
        )


def _host_fixed(argument) -> bool:
    """A literal or a SCREAMING_CASE constant, maybe borrowed or converted."""
    while argument.type in ("reference_expression", "parenthesized_expression"):
        argument = argument.named_children[-1]
    if argument.type == "call_expression":
        function = argument.child_by_field_name("function")
        if function is not None and function.type == "field_expression":
            argument = function.child_by_field_name("value")
    if argument.type in ("string_literal", "raw_string_literal", "integer_literal"):
        return True
    text = node_text(argument).rsplit("::", 1)[-1]
    return argument.type in ("identifier", "scoped_identifier") and text.isupper()


def check(ctx: AnalysisContext):
    if not ctx.serves_tenants:
        return  # tests, benchmarks, examples and tooling read no tenant's secret
    yield from SecretLookupCheck(ctx).findings()


RULE = Rule(
    code="ISO101",
    reach="linked-bodies",
    type_declaration_words=(),
    name="unscoped-secret-lookup",
    summary=(
        "A secret is read (a `get_secret`-style call, a read on a secrets store or vault, or "
        "`env::var` of a secret-looking name in per-tenant code) with a key that carries no "
        "tenant scope."
    ),
    rationale=(
        "A multi-tenant host loads many tenants' packs into one process and serves all of them "
        "from one secrets backend. When the key of a lookup is a bare name such as `\"db_password\"` "
        "or a name handed in by a flow, every tenant resolves the same entry: tenant B's flow "
        "receives tenant A's database password or API token, and a pack can read any secret it "
        "can name. The key must carry the tenant (and environment, team or pack) it is read for, "
        "or go through a scoping helper that adds it. Reading a secret such as `OPENAI_API_KEY` "
        "from the process environment in code that serves a tenant is the same leak: the host's "
        "one value is used for every tenant. The workspace model decides who chose a key: an id "
        "the host mints (a UUID newtype such as `SecretId`, whatever the variable is called) "
        "names one owner's secret; a helper that forwards its parameter is judged where it is "
        "called (reported when a caller with the tenant in reach passes a bare name, quiet when "
        "every caller passes a name the host fixed); with no tenant in reach, a key the host's "
        "configuration chose is the host's own. A receiver counts as a secrets store by its "
        "declared type too (`manager: SharedManager` where `type SharedManager = "
        "Arc<dyn SecretsManager>`). Tests, benchmarks, examples and workspace tooling are skipped."
    ),
    bad_example=(
        "async fn connect(&self, ctx: &TenantCtx) -> Result<Db> {\n"
        "    let password = self.secrets.get_secret(\"db_password\").await?;\n"
        "    Db::connect(&ctx.db_url, &password).await\n"
        "}\n"
    ),
    good_example=(
        "async fn connect(&self, ctx: &TenantCtx) -> Result<Db> {\n"
        "    let password = self.secrets.get_secret(&scoped_key(ctx, \"db_password\")).await?;\n"
        "    Db::connect(&ctx.db_url, &password).await\n"
        "}\n"
    ),
    default_severity=Severity.ERROR,
    fix_availability=FixAvailability.SOMETIMES,
    fix_safety=Applicability.UNSAFE,
    check=check,
    # A lookup is a call named for a secret (SECRET_NOUNS) or a configured API, a read on a
    # store whose name or type says secrets, vault, keyring, keychain or a configured receiver,
    # or `var`/`var_os`: a file with none of these words has nothing to report.
    triggers=(b"secret", b"credential", b"creds", b"vault", b"keyring", b"keychain", b"var"),
    configured_triggers=lambda settings: (
        *exact_name_triggers(settings.extra_secret_apis),
        *vocabulary_triggers(settings.extra_secret_receivers),
    ),
    queries=(keyed_collections.STRUCT_QUERY, STATIC_AND_CONST_ITEMS, *keyflow.QUERIES),
    configured_queries=lambda settings: (_call_query(settings.extra_secret_apis),),
    message="secret key `{key}` reaches `{api}` with no tenant scope: {why}",
    fix_title="Scope the key with `{helper}({tenant context}, …)`",
    options=(
        "scope.tenant-identifiers",
        "scope.extend-tenant-identifiers",
        "scope.pack-identifiers",
        "scope.extend-pack-identifiers",
        "scope.per-pack-identifiers",
        "scope.helpers",
        "scope.extend-helpers",
        "secrets.extra-apis",
        "secrets.extra-receivers",
        "telemetry.startup-functions",
        "lint-tests",
    ),
)
