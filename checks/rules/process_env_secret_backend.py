"""ISO102 process-env-secret-backend: a secrets backend that reads the process environment
is built or selected where nothing limits it to development or tests.

Candidates come from compiled queries (paths such as `EnvSecretsManager::new` or
`SecretsBackend::Env`, struct literals, unit-struct values, `#[default]` enum variants); the
Python side resolves `Self`, skips a type's own constructors, and looks for a visible guard
between the construction and the item it lives in.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tree_sitter import Node

from ..context import AnalysisContext, attribute_texts, last_path_segment, node_text, nodes_spelled, same_node
from ..model import FixAvailability, Severity
from ..parsing import matches
from .base import Rule, exact_name_triggers
from .unscoped_secret_lookup import SECRET_NOUNS, function_name, impl_type_name
from ..vocabulary import words_of

ENV_WORDS = frozenset({"env", "environment", "dotenv", "envvar", "envvars"})
BACKEND_WORDS = frozenset({"backend", "provider", "store", "manager", "source", "loader", "resolver", "core"})
SETTINGS_WORDS = frozenset({"config", "configuration", "settings", "options", "opts", "params"})
ENV_VARIANTS = frozenset({"Env", "Environment", "EnvVar", "EnvVars", "ProcessEnv", "Dotenv", "DotEnv"})
FROM_ENV_CONSTRUCTORS = frozenset({"from_env", "from_environment", "from_env_vars", "from_process_env"})
# Words that, in a cfg attribute, a condition, a match arm or an item name, limit code to
# development and tests.
GUARD_WORDS = frozenset({
    "test", "tests", "testing", "debug", "dev", "development", "local", "localdev", "insecure",
    "mock", "mocks", "fake", "sandbox", "demo", "e2e", "fixture", "fixtures", "example", "examples",
})
TEST_WORDS = frozenset({"test", "tests", "testing"})
PRODUCTION_WORDS = frozenset({"prod", "production", "release"})
OPT_IN_WORDS = frozenset({"allow", "allows", "allowed", "enable", "enabled", "permit", "permits", "permitted"})
GUARD_CALL_WORDS = OPT_IN_WORDS | {"ensure", "require", "assert", "guard", "only"}
BAIL_OUT = ("return", "panic!", "bail!", "unreachable!", "Err(", "exit(", "unimplemented!", "todo!")
ASSERTION_MACROS = frozenset({"assert", "ensure", "debug_assert"})

# Both queries capture names only, and the code around a name is read in Python: a pattern
# rooted at a node that nests (a path's `scoped_identifier`, a call's `arguments`) keeps a
# match in progress for each level, so on a path or call nested n deep tree-sitter's work
# grew as n².
# Names in a path (`crate::EnvSecrets::new`, `Self::Env`): a path naming one is a candidate.
PATH_QUERY = """
([(identifier) (type_identifier)] @name (#match? @name "(Env|Environment|Dotenv|Secret|Credential|Self{extra})"))
"""
# A backend built or handed over as a value: `EnvSecrets { .. }` (a `type_identifier`), and
# `f(EnvBackend)`, `let b = EnvBackend;`, `backend: EnvBackend`, `backends::EnvBackend` (an
# `identifier`).
VALUE_QUERY = """
((type_identifier) @type (#match? @type "(Env|Environment|Dotenv{extra})"))
((identifier) @type (#match? @type "^([A-Z][A-Za-z0-9]*)?(Env|Dotenv{extra})"))
"""
# Where a value-query name is a backend value: its parent's type, and the field holding it
# there (None: any child).
_VALUE_SITES = {
    "type_identifier": {"struct_expression": "name"},
    "identifier": {"arguments": None, "let_declaration": "value", "field_initializer": "value", "scoped_identifier": "name"},
}
DEFAULT_VARIANT_QUERY = """
((enum_item name: (type_identifier) @enum body: (enum_variant_list (enum_variant name: (identifier) @variant)))
  (#match? @enum "(Secret|Credential)"))
"""


def _words(text: str) -> set[str]:
    return set(words_of(text))


def is_env_secrets_type(name: str) -> bool:
    """`EnvSecretsManager`, `SecretsFromEnv`, `DotenvSecretStore`."""
    words = _words(name)
    return bool(words & ENV_WORDS) and bool(words & SECRET_NOUNS)


def is_env_backend_type(name: str) -> bool:
    """`EnvBackend`, `EnvProvider`: env-backed, secret-ness decided by the code around it."""
    words = _words(name)
    return bool(words & ENV_WORDS) and bool(words & BACKEND_WORDS)


def is_secrets_backend_type(name: str) -> bool:
    """`SecretsManager`, `SecretsBackend`, `SecretSource` — not `SecretsConfig` or `VaultClient`,
    whose `from_env()` reads connection settings rather than the secrets themselves."""
    words = _words(name)
    return bool(words & SECRET_NOUNS) and bool(words & BACKEND_WORDS) and not words & SETTINGS_WORDS


@lru_cache(maxsize=64)
def _backend_queries(extra_backends: frozenset[str]) -> tuple[str, str]:
    """PATH_QUERY and VALUE_QUERY, also matching the configured backend type names."""
    extra = "".join(f"|{re.escape(name)}" for name in sorted(extra_backends)).replace("\\", "\\\\")
    return PATH_QUERY.replace("{extra}", extra), VALUE_QUERY.replace("{extra}", extra)


class EnvBackendCheck:
    """ISO102 over one file."""

    def __init__(self, ctx: AnalysisContext):
        self.ctx = ctx
        self.extra_backends = ctx.settings.extra_env_backends
        # With lint-tests on, test code is reported like any other: `test` stops being a guard.
        self.guard_words = GUARD_WORDS - TEST_WORDS if ctx.settings.lint_tests else GUARD_WORDS
        self.path_query, self.value_query = _backend_queries(self.extra_backends)
        self._declarations: dict[str, Node | None] = {}

    def findings(self):
        seen: set[int] = set()
        unguarded: list[tuple[Node, str, str, bool]] = []
        guarded_construction = False
        for site, type_name, description, is_selection in self._candidates():
            if site.id in seen or site.has_error or self._is_declaration_or_pattern(site):
                continue
            seen.add(site.id)
            if self._guard(site):
                guarded_construction = guarded_construction or not is_selection
                continue
            unguarded.append((site, type_name, description, is_selection))
        # Selecting `Env` is harmless when every construction it can lead to here is guarded.
        only_guarded_constructions = guarded_construction and all(selection for *_, selection in unguarded)
        for site, type_name, description, is_selection in unguarded:
            if is_selection and only_guarded_constructions:
                continue
            yield self._finding(site, type_name, description)

    def _candidates(self):
        ctx = self.ctx
        for site in self._paths_naming(node for _, found in matches(self.path_query, ctx.root) for node in found["name"]):
            member = site.child_by_field_name("name")
            type_name, description = self._judge_path(site, site.child_by_field_name("path"), node_text(member))
            if description:
                yield site, type_name, description, node_text(member) in ENV_VARIANTS
        for _, found in self._matches_if_named(self.value_query, (b"Env", b"Dotenv", *(n.encode() for n in self.extra_backends))):
            name = found["type"][0]
            site = self._value_site(name)
            if site is None:
                continue
            type_name = node_text(name)
            if site.type == "scoped_identifier" and (outer := ctx.parent(site)) is not None and outer.type == "scoped_identifier":
                continue  # `crate::EnvSecrets::new`: judged as a path with its member
            if self._is_env_backend(type_name, site) and not self._inside_own_impl(site, type_name):
                yield site, type_name, f"`{type_name}` builds a secrets backend that reads the process environment", False
        for _, found in self._matches_if_named(DEFAULT_VARIANT_QUERY, (b"Secret", b"Credential")):
            variant = found["variant"][0]
            if node_text(variant) in ENV_VARIANTS and any(t.strip() == "default" for t in attribute_texts(ctx.parent(variant))):
                yield variant, node_text(found["enum"][0]), f"`#[default] {node_text(variant)}` makes the process environment the default source of `{node_text(found['enum'][0])}`", True

    def _paths_naming(self, names):
        """The paths with a member (``scoped_identifier``) whose path holds one of ``names``
        (``crate::EnvSecrets`` in ``crate::EnvSecrets::new``), each once. Every node is
        climbed through once: which paths above a node hold a name does not depend on which
        name below it was climbed from, so names deep in one long path cost its length once."""
        climbed: set[int] = set()
        found: set[int] = set()
        for name in names:
            node = name
            while (parent := self.ctx.parent(node)) is not None:
                if parent.type == "scoped_identifier" and parent.id not in found and same_node(parent.child_by_field_name("path"), node):
                    found.add(parent.id)
                    member = parent.child_by_field_name("name")
                    if member is not None and member.type == "identifier":
                        yield parent
                if parent.id in climbed:
                    break
                climbed.add(parent.id)
                node = parent

    def _value_site(self, name: Node) -> Node | None:
        """Where ``name`` (a value-query capture) stands for a backend value, else None."""
        parent = self.ctx.parent(name)
        if parent is None:
            return None
        sites = _VALUE_SITES[name.type]
        if parent.type not in sites:
            return None
        field = sites[parent.type]
        if field is not None and not same_node(parent.child_by_field_name(field), name):
            return None
        return parent if parent.type in ("struct_expression", "scoped_identifier") else name

    def _matches_if_named(self, query_source: str, words: tuple[bytes, ...]):
        """The query's matches, asked for only when the file holds one of the ``words`` its
        text predicates require: code that never asks keeps the query out of the pass all
        rules share (most files name no env-backed type)."""
        data = self.ctx.source.data
        return matches(query_source, self.ctx.root) if any(word in data for word in words) else ()

    def _judge_path(self, site: Node, type_node: Node, member: str) -> tuple[str, str | None]:
        type_name = last_path_segment(type_node) or ""
        if type_name == "Self":
            type_name = impl_type_name(self.ctx.enclosing_impl(site))
        if self._is_env_backend(type_name, site):
            if self._inside_own_impl(site, type_name):
                return type_name, None
            return type_name, f"`{node_text(site)}` builds a secrets backend that reads the process environment"
        if not is_secrets_backend_type(type_name):
            return type_name, None
        if member in FROM_ENV_CONSTRUCTORS and not self._inside_own_impl(site, type_name):
            return type_name, f"`{node_text(site)}` builds a secrets backend from the process environment"
        if member in ENV_VARIANTS and not self._is_comparison(site):
            return type_name, f"`{node_text(site)}` selects the process environment as the secrets backend"
        return type_name, None

    def _is_env_backend(self, type_name: str, site: Node) -> bool:
        if type_name in self.extra_backends or is_env_secrets_type(type_name):
            return True
        return is_env_backend_type(type_name) and self._in_secret_context(site)

    def _in_secret_context(self, site: Node) -> bool:
        """`EnvBackend` is a secrets backend when the statement or function around it says so."""
        statement = site
        while (parent := self.ctx.parent(statement)) is not None and parent.type not in ("block", "source_file", "declaration_list"):
            statement = parent
        statement_words = _words(node_text(statement)) if statement.type != "function_item" else set()
        function = self.ctx.enclosing_function(site)
        return bool((statement_words | _words(function_name(function))) & (SECRET_NOUNS | {"vault"}))

    def _inside_own_impl(self, site: Node, type_name: str) -> bool:
        """A type's own constructors (`impl EnvSecrets { fn new() -> Self { EnvSecrets {..} } }`)."""
        return impl_type_name(self.ctx.enclosing_impl(site)) == type_name

    def _is_comparison(self, site: Node) -> bool:
        parent = self.ctx.parent(site)
        return parent is not None and parent.type == "binary_expression"

    def _is_declaration_or_pattern(self, site: Node) -> bool:
        """`use …::EnvSecrets`, `SecretsBackend::Env => …`, `if let SecretsBackend::Env = b`."""
        child, current = site, self.ctx.parent(site)
        while current is not None:
            if current.type in ("use_declaration", "match_pattern", "tuple_struct_pattern", "struct_pattern", "macro_definition", "attribute_item"):
                return True
            if current.type in ("let_condition", "let_declaration"):
                pattern = current.child_by_field_name("pattern")
                return pattern is not None and pattern.id == child.id
            if current.type in ("function_item", "block", "source_file"):
                return False
            child, current = current, self.ctx.parent(current)
        return False

    # -- guards ---------------------------------------------------------------------
    def _guard(self, site: Node) -> bool:
        """A visible dev/test guard between the construction and its enclosing items."""
        child, current = site, self.ctx.parent(site)
        while current is not None:
            if self._attributes_guard(current) or self._branch_guard(current, child):
                return True
            if current.type in ("function_item", "mod_item") and _words(function_name(current)) & self.guard_words:
                return True
            if current.type == "block" and self._earlier_statement_guards(current, child):
                return True
            child, current = current, self.ctx.parent(current)
        return False

    def _attributes_guard(self, item: Node) -> bool:
        texts = attribute_texts(item)
        if item.type == "match_arm":
            texts += [node_text(c)[2:-1] for c in item.named_children if c.type == "attribute_item"]
        return any(_is_guarding_cfg(text, self.guard_words) for text in texts)

    def _branch_guard(self, node: Node, child: Node) -> bool:
        if node.type == "if_expression":
            condition = node.child_by_field_name("condition")
            consequence = node.child_by_field_name("consequence")
            alternative = node.child_by_field_name("alternative")
            if condition is None:
                return False
            in_consequence = consequence is not None and consequence.id == child.id
            in_alternative = alternative is not None and alternative.id == child.id
            dev_when_true = _condition_means_dev(node_text(condition), self.guard_words)
            if dev_when_true is None:
                return False
            return (in_consequence and dev_when_true) or (in_alternative and not dev_when_true)
        if node.type == "match_arm":
            pattern = node.child_by_field_name("pattern")
            return pattern is not None and _condition_means_dev(node_text(pattern), self.guard_words) is True
        return False

    def _earlier_statement_guards(self, block: Node, child: Node) -> bool:
        """`if !config.dev_mode { bail!(..) }` or `assert!(cfg!(test))` before the construction."""
        for statement in block.named_children:
            if statement.start_byte >= child.start_byte:
                return False
            expression = statement.named_children[0] if statement.type == "expression_statement" and statement.named_children else statement
            if expression.type == "if_expression":
                condition = expression.child_by_field_name("condition")
                consequence = expression.child_by_field_name("consequence")
                if condition is None or consequence is None:
                    continue
                dev_when_true = _condition_means_dev(node_text(condition), self.guard_words)
                if dev_when_true is False and any(marker in node_text(consequence) for marker in BAIL_OUT):
                    return True
            elif self._is_guard_call(expression):
                return True
            elif expression.type == "macro_invocation":
                name = expression.child_by_field_name("macro")
                if name is not None and node_text(name) in ASSERTION_MACROS and _condition_means_dev(node_text(expression)[len(node_text(name)) + 1 :], self.guard_words):
                    return True
        return False

    def _is_guard_call(self, expression: Node) -> bool:
        """`ensure_env_secrets_allowed()?;`, `require_dev_profile(&config)?;`."""
        while expression.type in ("try_expression", "await_expression") and expression.named_children:
            expression = expression.named_children[0]
        if expression.type != "call_expression":
            return False
        words = _words(self.ctx.callee_name(expression) or "")
        return bool(words & GUARD_CALL_WORDS) and bool(words & (ENV_WORDS | self.guard_words))

    def _declaration(self, type_name: str) -> Node | None:
        """The last struct or enum declared here as ``type_name``: only findings ask, so it
        is looked up by name rather than by a query every file would pay for."""
        if type_name not in self._declarations:
            declaration = None
            for name in nodes_spelled(self.ctx, type_name):
                item = self.ctx.parent(name) if name.type == "type_identifier" else None
                if item is not None and item.type in ("struct_item", "enum_item") and item.child_by_field_name("name") == name:
                    declaration = item
            self._declarations[type_name] = declaration
        return self._declarations[type_name]

    def _finding(self, site: Node, type_name: str, description: str):
        related = []
        declaration = self._declaration(type_name)
        if declaration is not None:
            label = "secrets backend choices declared here" if declaration.type == "enum_item" else "env-backed secrets type declared here"
            related.append(self.ctx.related(declaration, label))
        message = (
            f"{description}, with no dev/test guard in sight: every tenant "
            "reads the same process-wide secrets (one `OPENAI_API_KEY` for all, and any pack can "
            "ask for the host's own credentials)"
        )
        return self.ctx.finding(site, message, related=related)


def _is_guarding_cfg(attribute: str, guard_words: frozenset[str]) -> bool:
    compact = attribute.replace(" ", "")
    if not compact.startswith("cfg"):
        return False
    words = _words(compact)
    if "not(" in compact:
        return bool(words & PRODUCTION_WORDS)
    return bool(words & guard_words)


def _condition_means_dev(text: str, guard_words: frozenset[str]) -> bool | None:
    """True when the condition holds only in dev/test, False when it holds only outside dev/test
    (`!cfg!(test)`, `profile == Prod`), None when it says nothing about either."""
    words = _words(text)
    compact = text.replace(" ", "")
    negated = compact.startswith("!") or "!=" in compact
    if words & guard_words or (words & OPT_IN_WORDS and words & ENV_WORDS):
        return not negated
    if words & PRODUCTION_WORDS:
        return negated
    return None


def check(ctx: AnalysisContext):
    yield from EnvBackendCheck(ctx).findings()


RULE = Rule(
    code="ISO102",
    name="process-env-secret-backend",
    summary=(
        "A secrets backend that reads the process environment (`EnvSecretsManager::new()`, "
        "`SecretsBackend::Env`, `SecretStore::from_env()`, a `#[default]` env variant) is built "
        "or selected outside test code and without a visible dev/test guard."
    ),
    rationale=(
        "Environment variables belong to the host process, not to a tenant. A pack host that "
        "resolves secrets from `std::env` gives every tenant's flows the same values: one "
        "`OPENAI_API_KEY` billed to whoever set it, one database password for all, and any pack "
        "that asks for `AWS_SECRET_ACCESS_KEY` gets the host's own credentials. Env-backed "
        "secrets are a development convenience; keep them behind `#[cfg(debug_assertions)]`, a "
        "`dev` feature, `if cfg!(test)` or an explicit dev-profile check, and use a tenant-aware "
        "store in production."
    ),
    bad_example=(
        "pub fn secrets_backend(config: &HostConfig) -> Arc<dyn SecretsManager> {\n"
        "    Arc::new(EnvSecretsManager::new())\n"
        "}\n"
    ),
    good_example=(
        "pub fn secrets_backend(config: &HostConfig) -> Arc<dyn SecretsManager> {\n"
        "    if config.profile == Profile::Dev {\n"
        "        return Arc::new(EnvSecretsManager::new());\n"
        "    }\n"
        "    Arc::new(VaultSecrets::connect(&config.vault))\n"
        "}\n"
    ),
    default_severity=Severity.WARNING,
    fix_availability=FixAvailability.NONE,
    fix_safety=None,
    check=check,
    # Every finding names an env-backed type (ENV_WORDS), an env constructor or variant
    # (FROM_ENV_CONSTRUCTORS, ENV_VARIANTS) — all spelled with "env" — or a configured backend.
    triggers=(b"env",),
    configured_triggers=lambda settings: exact_name_triggers(settings.extra_env_backends),
    queries=(DEFAULT_VARIANT_QUERY,),
    configured_queries=lambda settings: _backend_queries(settings.extra_env_backends),
    message="`{construction}` builds a secrets backend that reads the process environment, with no dev/test guard in sight: every tenant reads the same process-wide secrets",
    options=("secrets.extra-env-backends", "lint-tests"),
)
