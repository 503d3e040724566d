"""ISO401 shared-mutable-singleton."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from tree_sitter import Node

from .. import keyflow, statics
from ..context import calls_named
from ..model import FixAvailability, Severity
from .base import Rule
from ..static_uses import StaticUses
from ..workspace import KNOWN_STATE_TYPES, WRAPPERS, named_types
from ..statics import StaticSlot, declared_slots, slot_uses
from ..vocabulary import PROCESS_ENVIRONMENT_WORDS, words_of

# Wrappers that only say *how* a static is initialised or shared; what it holds is inside.
_WRAPPERS = r"\b(?:[A-Za-z_][A-Za-z0-9_]*::)*(?:OnceCell|OnceLock|OnceBox|LazyLock|LazyCell|Lazy|Arc|Rc|Box|Option)\b"
# (words in the held type, what it is, why sharing it across tenants hurts)
_CLIENT_KINDS = (
    (("http", "client"), "HTTP client", "connection pools, cookies, default headers and auth set up for one tenant are used for every other"),
    (("reqwest", "client"), "HTTP client", "connection pools, cookies, default headers and auth set up for one tenant are used for every other"),
    (("hyper", "client"), "HTTP client", "connection pools, cookies, default headers and auth set up for one tenant are used for every other"),
    (("agent",), "HTTP agent", "connection pools, cookies and default headers set up for one tenant are used for every other"),
    (("pool",), "connection pool", "pooled connections carry session state (credentials, `SET ROLE`, search path, prepared statements) from one tenant's request into the next tenant's"),
    (("connection",), "connection", "one connection and its session state (credentials, transactions, subscriptions) serves every tenant"),
    (("sender",), "channel sender", "messages from every tenant meet in one queue, and one receiver decides whose they are"),
    (("client",), "client", "its credentials, endpoints and connection state belong to whoever configured it, yet every tenant uses it"),
)
_COLLECTIONS = {
    ("hash", "map"): "`HashMap`", ("b", "tree", "map"): "`BTreeMap`", ("dash", "map"): "`DashMap`",
    ("dash", "set"): "`DashSet`", ("index", "map"): "`IndexMap`", ("hash", "set"): "`HashSet`", ("b", "tree", "set"): "`BTreeSet`",
    ("lru", "cache"): "LRU cache", ("cache",): "cache", ("registry",): "registry", ("vec",): "`Vec`",
    ("vec", "deque"): "`VecDeque`",
}
# Collections that mutate through `&self` (sharded locks inside), so no outer lock is needed.
_CONCURRENT_COLLECTIONS = frozenset({("dash", "map"), ("dash", "set"), ("cache",)})
# Per-thread vectors and deques are scratch and ring buffers far more often than state.
_PER_THREAD_BUFFERS = frozenset({("vec",), ("vec", "deque")})
_SIGNAL_SENDER = r"Sender\s*<\s*(?:\(\s*\)|bool|[ui](?:8|16|32|64|size))\s*>"
_LOCK_OF_UNIT = r"(?:Mutex|RwLock)\s*<\s*\(\s*\)\s*>"
_LOCKS = {("mutex",): "Mutex", ("rw", "lock"): "RwLock", ("ref", "cell"): "RefCell", ("unsafe", "cell"): "UnsafeCell", ("arc", "swap"): "ArcSwap"}
# Process-wide by design and holding no tenant's data: init guards, compiled patterns,
# metrics instruments, configuration read once at startup.
_QUIET_HOLDERS = (
    ("once",), ("regex",), ("regex", "set"), ("semaphore",), ("notify",), ("counter",), ("histogram",),
    ("gauge",), ("meter",), ("config",), ("options",), ("settings",), ("schema",), ("filter",),
)
# Values a keyed collection may hold without holding tenant data: metrics instruments and
# compiled patterns, looked up by name (``HashMap<String, Histogram<f64>>``); the tenant is an
# attribute passed when a value is recorded, not something stored in the instrument.
_INSTRUMENT_NOUNS = frozenset({"counter", "histogram", "gauge", "meter", "tracer", "regex"})
_TYPE_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_KEYED_COLLECTION_OPEN = r"\b(?:HashMap|BTreeMap|DashMap|IndexMap|LruCache|FxHashMap|AHashMap)\s*<"
_SCALARS = frozenset({"u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "bool", "f32", "f64", "char"})
_PER_REQUEST_WORDS = frozenset({"flow", "request", "req", "session", "invocation"})
MAX_RELATED_SITES = 5


class SharedHolding(NamedTuple):
    """What a static shares across tenants, in words for the message."""

    what: str
    consequence: str


def _spelled(words: tuple[str, ...]) -> str:
    """Words as one string in which a run of words is a substring: `` rw lock ``."""
    return f" {' '.join(words)} "


def _spelled_needles(needles) -> tuple[tuple[tuple[str, ...], str], ...]:
    return tuple((needle, _spelled(needle)) for needle in needles)


_LOCK_NEEDLES = _spelled_needles(_LOCKS)
_COLLECTION_NEEDLES = _spelled_needles(_COLLECTIONS)
_PER_THREAD_COLLECTION_NEEDLES = _spelled_needles(c for c in _COLLECTIONS if c not in _PER_THREAD_BUFFERS)
_QUIET_NEEDLES = _spelled_needles(_QUIET_HOLDERS)
_CLIENT_NEEDLES = tuple((_spelled(needle), needle[-1], what, consequence) for needle, what, consequence in _CLIENT_KINDS)


def _first_run(spelled_words: str, needles):
    """The first of ``needles`` (in their order) that occurs as a run of the spelled words."""
    return next((needle for needle, spelled in needles if spelled in spelled_words), None)


def _type_heads(text: str) -> list[str]:
    """The last word of each type named in ``text`` (``reqwest::Client`` → client,
    ``OnceCell<ClientMode>`` → cell, mode): what each type *is*, as opposed to what it is for."""
    heads = []
    for token in re.findall(_TYPE_NAME, re.sub(_WRAPPERS, " ", text)):
        words = words_of(token)
        if token[:1].isupper() and words:
            heads.append(words[-1])
    return heads


def _generic_arguments(text: str, open_at: int) -> list[str]:
    """The top-level arguments of the generic list whose ``<`` is at ``open_at``."""
    depth, start, arguments = 0, open_at + 1, []
    for index in range(open_at, len(text)):
        char = text[index]
        if char in "<([":
            depth += 1
        elif char in ">)]":
            depth -= 1
            if depth == 0:
                arguments.append(text[start:index])
                return [a.strip() for a in arguments]
        elif char == "," and depth == 1:
            arguments.append(text[start:index])
            start = index + 1
    return []


def _holds_instruments(type_text: str) -> bool:
    """A keyed collection whose values are metrics instruments or compiled patterns."""
    found = re.search(_KEYED_COLLECTION_OPEN, type_text)
    if found is None:
        return False
    arguments = _generic_arguments(type_text, found.end() - 1)
    heads = _type_heads(arguments[-1]) if len(arguments) >= 2 else []
    return bool(heads) and heads[0] in _INSTRUMENT_NOUNS


# A scalar `static mut` or atomic shares this only when its name says it holds per-request
# state (`CURRENT_TENANT_ID`); other scalars are counters, flags and ids.
_PER_REQUEST_VALUE = SharedHolding("value", "the value one tenant's request stores is what the next tenant's request reads")


def _holding(ctx, slot: StaticSlot) -> SharedHolding | None:
    """What ``slot`` shares across tenants, or None when it holds nothing tenant-specific."""
    if slot.storage == "task-local":
        return None  # only settable through `.scope()`, which restores it: ISO301 judges writes
    type_text = slot.type_text
    holding = _type_holding(ctx.vocabulary, type_text, type_text or slot.init_text.split("(", 1)[0], slot.storage)
    if holding is _PER_REQUEST_VALUE and not _names_per_request_state(ctx, slot.name):
        return None
    return holding


# Statics repeat the same few types (`Lazy<Mutex<HashMap<String, X>>>`) across files, and the
# verdict depends on the text alone: remembered per process, per vocabulary object (so a new
# configuration starts afresh).
@lru_cache(maxsize=4096)
def _type_holding(vocabulary, type_text: str, declared: str, storage: str) -> SharedHolding | None:
    """The verdict on a static's type; ``declared`` is the type, or the initializer's callee
    when no type is written. Initialisation wrappers are looked through (``Lazy<Mutex<X>>``
    holds a mutex of x)."""
    is_per_thread = storage in ("thread-local", "task-local")
    held = words_of(re.sub(_WRAPPERS, " ", declared))
    spelled = _spelled(held)
    lock = _first_run(spelled, _LOCK_NEEDLES)
    collection = _first_run(spelled, _PER_THREAD_COLLECTION_NEEDLES if is_per_thread else _COLLECTION_NEEDLES)
    if lock is not None and re.search(_LOCK_OF_UNIT, type_text):
        return None  # a bare lock that serialises work but holds no data
    quiet = _first_run(spelled, _QUIET_NEEDLES) is not None
    if lock is None and collection is None and quiet:
        return None
    if collection is not None and _holds_instruments(type_text):
        return None
    if not quiet:
        # A client is a type whose name ends in the client word (`reqwest::Client`, `PgPool`);
        # `ClientMode` or `PoolConfig` only describe one.
        heads = set(_type_heads(declared))
        for needle, head, what, consequence in _CLIENT_NEEDLES:
            if needle in spelled and head in heads:
                if head == "sender" and re.search(_SIGNAL_SENDER, type_text):
                    return None  # a shutdown/reload signal carries no tenant's data
                return SharedHolding(what, consequence)
    mutable = lock is not None or is_per_thread or storage == "static-mut"
    tenant_type = _tenant_typed(vocabulary, type_text)
    if collection is not None and tenant_type is not None:
        return None  # keyed or partitioned by tenant: the map itself separates tenants
    if collection is not None and (mutable or collection in _CONCURRENT_COLLECTIONS):
        guard = f" behind a `{_LOCKS[lock]}`" if lock is not None else ""
        return SharedHolding(f"{_COLLECTIONS[collection]}{guard}", _COLLECTION_CONSEQUENCE)
    if tenant_type is not None and not is_per_thread:  # per-thread tenant slots are ISO301's ambient context
        return SharedHolding(f"`{tenant_type}`", "the tenant that writes it last decides what every other tenant reads")
    if is_per_thread:
        return None  # scratch buffers and per-thread counters
    first = held[0] if held else ""
    if first in _SCALARS or first.startswith("atomic"):
        return _PER_REQUEST_VALUE if storage == "static-mut" or first.startswith("atomic") else None
    if storage == "static-mut":
        return SharedHolding("mutable global", "every tenant's request reads and writes the same value, without even a lock")
    if lock is not None:
        return SharedHolding(f"`{_LOCKS[lock]}`-guarded value", "whatever one tenant's request stores there is visible to every other tenant's")
    return None


# Types whose values hold no tenant's data: numbers, flags, text fixed at build time, time,
# the std's one-shot guards and pattern/instrument types.
_INERT_TYPES = frozenset({
    "str", "String", "Duration", "Instant", "SystemTime", "Once", "Ordering", "PhantomData", "Regex", "RegexSet",
    "NonZeroU64", "NonZeroUsize", "NonZeroU32", "Semaphore", "Notify", "Level", "LevelFilter",
})


def _is_inert(slot: StaticSlot) -> bool:
    """A static whose type, wrappers aside, names only inert types or instruments (counters,
    histograms): a static the rule is quiet on for a reason a reviewer can see."""
    if not slot.type_text:
        return False
    for expression in named_types(slot.type_text):
        name = expression.name
        if expression.kind != "path" or name in WRAPPERS or name in _INERT_TYPES or name in _SCALARS:
            continue
        if name.startswith("Atomic") or set(words_of(name)) & _INSTRUMENT_NOUNS:
            continue
        return False
    return True


def _tenant_typed(vocabulary, type_text: str) -> str | None:
    """The tenant/pack vocabulary word in the held type (``TenantCtx``), ignoring ``env``,
    which in a type name nearly always means the process environment (``EnvFilter``)."""
    for token in re.split(r"[^A-Za-z0-9_]+", type_text):
        found = vocabulary.tenant.match(token) or vocabulary.pack.match(token)
        if found and found not in PROCESS_ENVIRONMENT_WORDS:
            return token
    return None


def _names_per_request_state(ctx, name: str) -> bool:
    vocabulary = ctx.vocabulary
    words = set(words_of(name))
    return bool(vocabulary.tenant.match(name) or vocabulary.pack.match(name) or vocabulary.per_pack.match(name) or words & {"current", "active", "last"} or words & _PER_REQUEST_WORDS)


def _per_tenant_function(ctx, function: Node) -> Node | None:
    """The parameter that makes ``function`` per-tenant code (tenant/pack/flow/request), if any."""
    parameters = function.child_by_field_name("parameters")
    if parameters is None:
        return None
    vocabulary = ctx.vocabulary
    for parameter in parameters.named_children:
        if parameter.type != "parameter":
            continue
        text = ctx.text(parameter)
        if vocabulary.tenant.match(text) or vocabulary.pack.match(text) or vocabulary.per_pack.match(text) or set(words_of(text)) & _PER_REQUEST_WORDS:
            return parameter
    return None


def _per_tenant_sites(ctx, uses: list[Node], parameter_of: dict[int, Node | None]):
    """Related locations for the uses in per-tenant functions; ``parameter_of`` remembers each
    function's per-tenant parameter across a file's statics, whose uses share functions."""
    seen_functions: set[int] = set()
    for use in uses:
        function = ctx.enclosing_function(use)
        if function is None or function.id in seen_functions:
            continue
        parameter = parameter_of.get(function.id, False)
        if parameter is False:
            parameter = parameter_of[function.id] = _per_tenant_function(ctx, function)
        if parameter is None:
            continue
        seen_functions.add(function.id)
        name_node = function.child_by_field_name("name")
        function_name = ctx.text(name_node) if name_node is not None else "?"
        yield ctx.related(use, f"reached from per-tenant code: `fn {function_name}` takes `{ctx.text(parameter)}`")
        if len(seen_functions) >= MAX_RELATED_SITES:
            return


def _accessor_calls(ctx, slots: list[StaticSlot]) -> dict[str, list[Node]]:
    """Calls of accessor functions that wrap a function-local static
    (``fn jobs() -> &'static Mutex<..> { static JOBS: OnceLock<..> = ..; JOBS.get_or_init(..) }``):
    the callers are where per-tenant code reaches the static."""
    accessors: dict[str, str] = {}
    for slot in slots:
        if ctx.parent(slot.declaration).type == "source_file":
            continue  # most statics are top-level items: no function around them
        function = ctx.enclosing_function(slot.declaration)
        name = function.child_by_field_name("name") if function is not None else None
        if name is not None:
            accessors[ctx.text(name)] = slot.name
    calls: dict[str, list[Node]] = {}
    for accessor, slot_name in accessors.items():
        calls.setdefault(slot_name, []).extend(calls_named(ctx, frozenset({accessor})))
    for found in calls.values():
        found.sort(key=lambda call: (call.start_byte, -call.end_byte))  # source order, outer call first
    return calls


_STORAGE_KINDS = {"thread-local": "a thread-local; runtimes run many tenants per thread", "static-mut": "`static mut`"}


def _scope_phrase(slot: StaticSlot) -> str:
    if slot.is_per_thread:
        return "every tenant served on the same thread"
    return "all tenants in the process"


def _held_through_workspace_types(ctx, slot: StaticSlot) -> tuple[SharedHolding | None, bool]:
    """What the workspace model finds inside the static's type (through aliases and the
    workspace's own wrapper structs), and whether it holds a keyed collection."""
    if not slot.type_text:
        return None, False
    workspace = ctx.workspace
    collections = [c for c in workspace.collections_in(slot.type_text) if c.locked or c.name in ("DashMap", "DashSet", "Cache")]
    if not collections:
        return None, False
    if not workspace.hides_types(slot.type_text):
        return None, any(c.kind in ("map", "set") for c in collections)  # nothing hidden: the type text says it all
    collections = [c for c in collections if not (c.key is not None and workspace.names_scope(c.key, ctx.vocabulary))
                   and not set(_type_heads(c.value.text if c.value is not None else "")) & _INSTRUMENT_NOUNS]
    if not collections:
        return None, False
    found = collections[0]
    keyed = any(c.kind in ("map", "set") for c in collections)
    hidden = [name for name in found.via if name not in ("Lazy", "LazyLock", "OnceLock", "OnceCell", "Arc", "Box")]
    inside = f" inside `{'` → `'.join(hidden)}`" if hidden else ""
    return SharedHolding(f"`{found.name}`{inside}", _COLLECTION_CONSEQUENCE), keyed


def _spells_known_state(type_text: str) -> bool:
    return any(expression.name in KNOWN_STATE_TYPES for expression in named_types(type_text))


class _Candidate(NamedTuple):
    slot: StaticSlot
    holding: SharedHolding
    keyed: bool  # holds a map or set: judged by the keys its uses store under
    only_modelled: bool  # the model found the state (behind aliases or own structs), the words did not
    opaque: bool  # an outside client or pool: what its insides keep is unknown to the model


_OPAQUE_HOLDINGS = frozenset(what for _, what, _ in _CLIENT_KINDS)
_COLLECTION_CONSEQUENCE = "entries written while serving one tenant are read while serving the next, and nothing in the storage separates tenants"


def check(ctx):
    if not ctx.serves_tenants:
        return  # tests, benchmarks, examples, build scripts and workspace tooling serve no tenant
    candidates = []
    for slot in declared_slots(ctx):
        holding = _holding(ctx, slot)
        modelled, keyed = _held_through_workspace_types(ctx, slot)
        if holding is not None:
            candidates.append(_Candidate(slot, holding, keyed, False, holding.what in _OPAQUE_HOLDINGS and modelled is None))
        elif modelled is not None and slot.storage != "task-local":
            candidates.append(_Candidate(slot, modelled, keyed, True, False))
        elif _tenant_typed(ctx.vocabulary, slot.type_text):
            # A slot holding one tenant's context (`RefCell<Option<TenantCtx>>`) is ambient
            # context, judged by ISO301 where it is written; only a collection is partitioned.
            if ctx.workspace.collections_in(slot.type_text):
                ctx.observe(slot.name_node, "singletons", "scoped", f"`{slot.describe()}` is keyed or partitioned by the tenant")
        elif _is_inert(slot):
            ctx.observe(slot.name_node, "singletons", "holds no tenant data", f"`{slot.describe()}` holds flags, numbers, constants or instruments")
        else:
            # Quiet on it, but an outside or trait type may keep anything inside: not evidence of safety.
            ctx.observe(slot.name_node, "singletons", "opaque", f"`{slot.describe()}`: what its type keeps inside is not visible here")
    if not candidates:
        return
    uses = slot_uses(ctx, [candidate.slot for candidate in candidates])
    accessor_calls = _accessor_calls(ctx, [candidate.slot for candidate in candidates])
    per_tenant_parameter: dict[int, Node | None] = {}
    related_by_name: dict[str, list] = {}
    reader = StaticUses(ctx)
    for slot, holding, keyed, only_modelled, opaque in candidates:
        reaching = uses.get(slot.name, [])
        calls = accessor_calls.get(slot.name)
        if calls:  # uses come in source order already
            reaching = sorted(reaching + calls, key=lambda n: n.start_byte)
        shown = reader.report(slot, keyed, reaching, holds_known_state=not (opaque and ctx.workspace.knows_workspace))
        if shown.uses and not shown.evidence:
            # Its uses were read, and none mixes tenants.
            ctx.observe(slot.name_node, "singletons", "scoped", f"`{slot.describe()}`: its {shown.uses} uses keep tenants apart")
            continue
        if ctx.workspace.knows_workspace and not shown.evidence and not _spells_known_state(slot.type_text):
            # In a real workspace, a static with no use in sight is reported only when its
            # type spells out a lock or collection: an outside type's name (`SharedIdentityCache`,
            # `Pool`) says nothing of what it keeps.
            continue
        if only_modelled and not shown.evidence:
            continue  # the shape verdict is the fallback for what its words say, not for what the model found
        related = related_by_name.get(slot.name)
        if related is None and shown.evidence:
            related = related_by_name[slot.name] = [ctx.related(evidence.node, evidence.message, evidence.ctx) for evidence in shown.evidence[:MAX_RELATED_SITES]]
        elif related is None:
            related = related_by_name[slot.name] = list(_per_tenant_sites(ctx, reaching, per_tenant_parameter))
        kind = _STORAGE_KINDS.get(slot.storage, "static")
        message = (
            f"`{slot.describe()}` is one {holding.what} shared by {_scope_phrase(slot)} ({kind}): "
            f"{holding.consequence}; hold it per tenant (in the tenant's runtime state, or a map keyed by tenant and pack)"
        )
        yield ctx.finding(slot.name_node, message, related=related)


RULE = Rule(
    code="ISO401",
    name="shared-mutable-singleton",
    summary="A process-wide (or thread-wide) static holding mutable state, a cache, or a client/connection shared by every tenant.",
    rationale=(
        "A multi-tenant host serves many tenants' packs from one process. A `static` behind "
        "`Lazy`/`LazyLock`/`OnceLock`/`OnceCell`/`lazy_static!`, a `static mut`, or a "
        "`thread_local!` exists once per process (or per worker thread) no matter how many tenants "
        "use it. When one tenant's request stores an entry there under a key that does not say "
        "whose it is, the next tenant's request reads it. The rule judges a static by its uses, "
        "read across the workspace (in its own file, in files that import it, through accessor "
        "functions such as `fn cache() -> &'static Mutex<..>`, `let` guards and "
        "`thread_local` `with` closures), and reports it when a use stores an entry keyed "
        "without the tenant while the tenant is in reach, keys it by a per-pack id without the "
        "pack, or stores tenant data into a lock-guarded value; a key that is a helper's "
        "parameter is followed to the helper's callers, and on up a few levels while each "
        "caller hands it on as it is (its own parameter, or a field of one: a `session` whose "
        "`id` becomes the key), to a caller with the tenant in reach that leaves it out (a "
        "method's callers are those calling it on a value of its type: `self`, a parameter, a "
        "builder chain from `Type::new()`); a key derived on the way, or holding a value the "
        "host makes from nothing (`Uuid::new_v4()`), stops the chase. It stays quiet when the uses show no "
        "such store: entries keyed by the tenant, entries that record their owner (a value "
        "fetched with the tenant counts only when its declared type names an owner: a version "
        "or a byte count fetched for a project does not), entries made "
        "from their key alone (memoisation: compiled patterns, connections by address; a "
        "collection made empty and then filled is more than its key), keys "
        "the host fixed (literals, constants), and statics only read. What a static holds is "
        "read through type aliases and the workspace's own wrapper structs (a `Waiters<T>` "
        "around a `Mutex<HashMap<..>>` is a map). A static with no use in sight is judged by "
        "its type alone: a lock or collection, a client or pool, tenant context "
        "(`OnceLock<TenantCtx>`) or a per-request scalar (`CURRENT_TENANT_ID`); in a Cargo "
        "workspace, an outside type's name alone (`SharedIdentityCache`) reports nothing. "
        "Immutable data, `Once` guards, metrics instruments and maps keyed by tenant stay quiet. "
        "Tests, benchmarks, examples and workspace tooling serve no tenant and are skipped."
    ),
    bad_example=(
        "static HTTP: Lazy<reqwest::Client> = Lazy::new(reqwest::Client::new);\n"
        "static FLOW_CACHE: Lazy<Mutex<HashMap<String, Flow>>> = Lazy::new(Default::default);\n"
        "\n"
        "async fn call_api(tenant: &TenantCtx, url: &str) -> reqwest::Result<String> {\n"
        "    HTTP.get(url).bearer_auth(&tenant.token).send().await?.text().await\n"
        "}\n"
    ),
    good_example=(
        "static ID_PATTERN: Lazy<Regex> = Lazy::new(|| Regex::new(\"^[a-z0-9-]+$\").unwrap());\n"
        "\n"
        "struct TenantRuntime {\n"
        "    http: reqwest::Client,\n"
        "    flow_cache: Mutex<HashMap<String, Flow>>,\n"
        "}\n"
        "\n"
        "async fn call_api(runtime: &TenantRuntime, url: &str) -> reqwest::Result<String> {\n"
        "    runtime.http.get(url).send().await?.text().await\n"
        "}\n"
    ),
    default_severity=Severity.WARNING,
    fix_availability=FixAvailability.NONE,
    fix_safety=None,
    check=check,
    # Every finding is a declared static (`static` items, or `static` inside the macros).
    reach="linked-bodies",
    type_declaration_words=(),
    triggers=(b"static",),
    queries=statics.QUERIES + keyflow.QUERIES,
    message="`{NAME}: {TYPE}` is one {what} shared by all tenants in the process ({storage}): {consequence}",
    options=("scope.tenant-identifiers", "scope.pack-identifiers", "scope.per-pack-identifiers", "lint-tests"),
)
