"""ISO302 global-telemetry-in-request-path."""

from __future__ import annotations

from typing import NamedTuple

from tree_sitter import Node

from .. import keyflow
from ..context import call_arguments, calls_named, chain_root
from ..keyflow import KeyTracer
from ..model import FixAvailability, Severity
from .base import Rule
from ..vocabulary import PROCESS_ENVIRONMENT_WORDS, words_of

_OPENTELEMETRY_SETTERS = {
    "set_tracer_provider": "global OpenTelemetry tracer provider",
    "set_text_map_propagator": "global OpenTelemetry propagator",
    "set_meter_provider": "global OpenTelemetry meter provider",
    "set_logger_provider": "global OpenTelemetry logger provider",
    "set_error_handler": "global OpenTelemetry error handler",
}
_LOG_SETTERS = {
    "set_logger": "global `log` logger",
    "set_boxed_logger": "global `log` logger",
    "set_max_level": "global `log` level",
}
_SUBSCRIBER_CRATES = frozenset({
    "tracing_subscriber", "env_logger", "pretty_env_logger", "simple_logger", "log4rs", "Registry",
    "registry", "fmt", "tracing_log", "LogTracer",
})
_SUBSCRIBER_INIT_METHODS = frozenset({"init", "try_init", "init_config", "init_file"})
TELEMETRY_ENV_PREFIXES = ("OTEL_", "RUST_LOG")
# Calls whose closure runs at most once per process: a guard that makes setup idempotent.
_ONCE_GUARDS = frozenset({"call_once", "call_once_force", "get_or_init", "get_or_try_init", "get_or_insert_with", "force"})
_LAZY_TYPES = frozenset({"Lazy", "LazyLock", "LazyCell", "Once", "OnceLock", "OnceCell"})
_CONSTRUCTORS = frozenset({"new", "build", "builder", "default", "with_config", "from_config"})
_REQUEST_WORDS = frozenset({"flow", "request", "req", "ctx", "session", "invocation"})
_APPLICATION_WORDS = frozenset({"app", "application", "cli", "args", "config", "settings", "builder", "global"})
_HANDLER_FIRST_WORDS = frozenset({"handle", "handler", "execute", "on", "serve", "dispatch", "invoke"})


class GlobalSetup(NamedTuple):
    """A call that changes process-wide telemetry state: what it changes, and where."""

    call: Node
    span_node: Node
    what: str
    label: str


class PerRequestEvidence(NamedTuple):
    """Why the enclosing function runs per request or per tenant, with where to point."""

    reason: str
    node: Node
    related_message: str


def _global_setup(ctx, call: Node) -> GlobalSetup | None:
    function = call.child_by_field_name("function")
    if function is None:
        return None
    if function.type == "field_expression":
        return _subscriber_init(ctx, call, function)
    segments = ctx.path_segments(function)
    if not segments:
        return None
    name, qualifiers = segments[-1], segments[:-1]
    if name in _OPENTELEMETRY_SETTERS and (not qualifiers or "global" in qualifiers):
        return GlobalSetup(call, function, _OPENTELEMETRY_SETTERS[name], ctx.text(function))
    if name == "set_global_default":
        return GlobalSetup(call, function, "global default `tracing` subscriber", ctx.text(function))
    if name in _LOG_SETTERS and (qualifiers[-1:] == ["log"] or (not qualifiers and name != "set_max_level")):
        return GlobalSetup(call, function, _LOG_SETTERS[name], ctx.text(function))
    if name in _SUBSCRIBER_INIT_METHODS and any(q in _SUBSCRIBER_CRATES for q in qualifiers):
        return GlobalSetup(call, function, f"global `{qualifiers[0]}` logger/subscriber", ctx.text(function))
    if name in ("set_var", "remove_var") and (not qualifiers or qualifiers[-1] == "env"):
        arguments = call_arguments(call)
        variable = ctx.text(arguments[0]).strip('"') if arguments else ""
        if variable.startswith(TELEMETRY_ENV_PREFIXES):
            return GlobalSetup(call, function, f"process environment variable `{variable}` (read by every tenant's exporter and filter)", ctx.text(function))
    return None


# The names `_global_setup` knows, as the last segment of the called path: a builder chain's
# `.init()` or a setter or init function.
_SETUP_NAMES = frozenset({*_OPENTELEMETRY_SETTERS, "set_global_default", *_LOG_SETTERS, *_SUBSCRIBER_INIT_METHODS, "set_var", "remove_var"})


def _subscriber_init(ctx, call: Node, function: Node) -> GlobalSetup | None:
    """``tracing_subscriber::fmt().with_env_filter(..).init()`` and similar builder chains."""
    method = function.child_by_field_name("field")
    if method is None or ctx.text(method) not in ("init", "try_init"):
        return None
    root = chain_root(function.child_by_field_name("value"))
    if root is None or root.type not in ("identifier", "scoped_identifier"):
        return None
    segments = ctx.path_segments(root)
    if not any(segment in _SUBSCRIBER_CRATES for segment in segments):
        return None
    label = f"{ctx.text(root)}(…)….{ctx.text(method)}()"
    return GlobalSetup(call, call, "global `tracing`/`log` subscriber", label)


def _guarded_once(ctx, node: Node, function: Node) -> bool:
    """Inside a closure run at most once (``Once::call_once``, ``OnceLock::get_or_init``,
    ``Lazy::new``), or under an ``if`` that flips an atomic flag first."""
    current = ctx.parent(node)
    while current is not None and current.id != function.id:
        if current.type == "closure_expression":
            arguments = ctx.parent(current)
            call = ctx.parent(arguments) if arguments is not None and arguments.type == "arguments" else None
            if call is not None and call.type == "call_expression":
                callee = call.child_by_field_name("function")
                segments = ctx.path_segments(callee) if callee is not None else []
                if segments and (segments[-1] in _ONCE_GUARDS or (len(segments) > 1 and segments[-2] in _LAZY_TYPES)):
                    return True
        if current.type == "if_expression":
            condition = current.child_by_field_name("condition")
            condition_text = ctx.text(condition) if condition is not None else ""
            if ".swap(true" in condition_text or "compare_exchange" in condition_text:
                return True
        current = ctx.parent(current)
    return False


def _scope_in(ctx, text: str) -> str | None:
    vocabulary = ctx.vocabulary
    found = vocabulary.tenant.match(text) or vocabulary.pack.match(text) or vocabulary.per_pack.match(text)
    return found if found and found not in PROCESS_ENVIRONMENT_WORDS else None


def _function_name(function: Node) -> str:
    name = function.child_by_field_name("name")
    return name.text.decode("utf-8", "replace") if name is not None else ""


def _parameters(function: Node) -> list[Node]:
    parameters = function.child_by_field_name("parameters")
    return [p for p in (parameters.named_children if parameters is not None else ()) if p.type == "parameter"]


def _tenant_parameter(ctx, function: Node) -> Node | None:
    return next((p for p in _parameters(function) if _scope_in(ctx, ctx.text(p))), None)


def _request_parameter(ctx, function: Node) -> Node | None:
    """A parameter that is a request, flow, session or invocation (``ctx`` too, unless its type
    says it is the application's own context: ``ctx: &AppContext`` in a CLI's ``run``)."""
    for parameter in _parameters(function):
        words = set(words_of(ctx.text(parameter)))
        if words & _REQUEST_WORDS and not words & _APPLICATION_WORDS:
            return parameter
    return None


def is_startup(ctx, function: Node) -> bool:
    """A function that runs once as the process starts: `main`, a `telemetry.startup-functions`
    name or prefix (`init_tracing`), an `on_start`-style hook, an impl's constructor."""
    name = _function_name(function)
    words = words_of(name)
    startup = ctx.settings.startup_functions
    if name in startup or (words and words[0] in startup):
        return True
    if len(words) > 1 and words[0] == "on" and words[1] in startup:
        return True  # `on_start`, `on_init`: lifecycle hooks that run once
    return name in _CONSTRUCTORS and ctx.enclosing_impl(function) is not None


def _own_evidence(ctx, function: Node) -> PerRequestEvidence | None:
    """Per-request evidence visible in the function itself: its parameters or its name."""
    name = _function_name(function)
    tenant = _tenant_parameter(ctx, function)
    if tenant is not None:
        return PerRequestEvidence(f"`fn {name}` takes `{ctx.text(tenant)}`", tenant, "per-tenant parameter")
    if is_startup(ctx, function):
        return None
    request = _request_parameter(ctx, function)
    if request is not None:
        return PerRequestEvidence(f"`fn {name}` takes `{ctx.text(request)}`", request, "per-request parameter")
    words = words_of(name)
    if words and (words[0] in _HANDLER_FIRST_WORDS or words[:2] == ("run", "flow")):
        name_node = function.child_by_field_name("name")
        return PerRequestEvidence(f"`fn {name}` is a request handler", name_node, "handler")
    return None


class CallerIndex:
    """Calls by callee name, so a setup helper can be judged by who calls it; looked up on
    first use, as most setups are judged by their own function alone."""

    def __init__(self, ctx):
        self._ctx = ctx
        self._calls: dict[str, list[Node]] = {}

    def calls_of(self, name: str) -> list[Node]:
        if name not in self._calls:
            self._calls[name] = calls_named(self._ctx, frozenset({name}))
        return self._calls[name]


def _caller_evidence(ctx, function: Node, callers: CallerIndex, tracer: KeyTracer) -> PerRequestEvidence | None:
    """Evidence from call sites in this file: called with tenant data, or from a handler."""
    name = _function_name(function)
    for call in callers.calls_of(name):
        caller = ctx.enclosing_function(call)
        if caller is None or caller.id == function.id or _guarded_once(ctx, call, caller):
            continue
        if is_startup(ctx, caller) and _tenant_parameter(ctx, caller) is None:
            continue  # `main` passing a tenant's settings once is still startup
        for argument in call_arguments(call):
            composition = tracer.trace(argument)
            part = next((p for p in composition.parts if p.kind != "literal" and _scope_in(ctx, p.words_source())), None)
            if part is not None:
                return PerRequestEvidence(f"`fn {name}` is called with `{part.text}`", call, "called with tenant data here")
        caller_evidence = _own_evidence(ctx, caller)
        if caller_evidence is not None:
            return PerRequestEvidence(
                f"`fn {name}` is called from `fn {_function_name(caller)}`, which runs per request ({caller_evidence.reason})",
                call,
                "called from per-request code here",
            )
    return None


def check(ctx):
    setups = [setup for call in calls_named(ctx, _SETUP_NAMES) if (setup := _global_setup(ctx, call)) is not None]
    if not setups:
        return
    callers = CallerIndex(ctx)
    tracer = KeyTracer(ctx)
    for setup in setups:
        function = ctx.enclosing_function(setup.call)
        if function is None:
            continue
        if _guarded_once(ctx, setup.call, function):
            ctx.observe(setup.span_node, "telemetry", "host's own", f"`{setup.label}` runs once, behind a guard")
            continue
        evidence = _own_evidence(ctx, function)
        if evidence is None and not is_startup(ctx, function):
            evidence = _caller_evidence(ctx, function, callers, tracer)
        if evidence is None:
            ctx.observe(setup.span_node, "telemetry", "host's own", f"`{setup.label}` is set up by startup code, not per request")
            continue
        yield ctx.finding(
            setup.span_node,
            f"`{setup.label}` changes the {setup.what} from per-request code ({evidence.reason}): "
            "the setting affects every tenant in the process, so each call replaces it under all other tenants' "
            "in-flight work; set it up once at startup (`main`, an `init_*` function, or behind a `Once`) and carry "
            "the tenant as span or log attributes",
            related=[ctx.related(evidence.node, evidence.related_message)],
        )


RULE = Rule(
    code="ISO302",
    name="global-telemetry-in-request-path",
    summary="Process-global telemetry setup (OpenTelemetry globals, tracing/log subscribers, OTEL_*/RUST_LOG env vars) done from per-request or per-tenant code.",
    rationale=(
        "OpenTelemetry's `global::set_tracer_provider`/`set_text_map_propagator`/`set_meter_provider`, "
        "`tracing::subscriber::set_global_default`, `tracing_subscriber::…::init()`, `log::set_logger` "
        "and the `OTEL_*`/`RUST_LOG` environment variables each exist once per process. In a host "
        "that runs many tenants' packs, calling them while handling one tenant's request (to give "
        "that tenant its own exporter, sampler or level) replaces the setting under every other "
        "tenant's in-flight work: their spans go to this tenant's collector, with this tenant's "
        "headers and credentials, or are dropped. Setup belongs at startup — `main`, an "
        "`init_*`/`setup_*`/`install_*`/`bootstrap_*`/`start_*` function (see "
        "`telemetry.startup-functions`), an app-level constructor, or a `Once`/`OnceLock` guard — "
        "which stays quiet; per-tenant data belongs in span and log attributes."
    ),
    bad_example=(
        "async fn run_flow(tenant: &TenantCtx, flow: &Flow) -> Result<Output> {\n"
        "    let provider = tracer_provider_for(&tenant.otlp_endpoint)?;\n"
        "    opentelemetry::global::set_tracer_provider(provider);\n"
        "    flow.execute().await\n"
        "}\n"
    ),
    good_example=(
        "fn init_telemetry(config: &HostConfig) -> Result<()> {\n"
        "    opentelemetry::global::set_tracer_provider(tracer_provider_for(&config.otlp_endpoint)?);\n"
        "    Ok(())\n"
        "}\n"
        "\n"
        "async fn run_flow(tenant: &TenantCtx, flow: &Flow) -> Result<Output> {\n"
        "    let span = tracing::info_span!(\"flow\", tenant = %tenant.id, flow = %flow.id);\n"
        "    flow.execute().instrument(span).await\n"
        "}\n"
    ),
    default_severity=Severity.WARNING,
    fix_availability=FixAvailability.NONE,
    fix_safety=None,
    check=check,
    # Every global setup call is a `set_…` setter, an `…init…` method or `remove_var`.
    # A setup is judged by its function and the callers naming it.
    reach="linked-bodies",
    type_declaration_words=(),
    triggers=(b"set_", b"init", b"remove_var"),
    queries=keyflow.QUERIES,
    message="`{call}` changes the {global setting} from per-request code ({why}): the setting affects every tenant in the process",
    options=("telemetry.startup-functions", "scope.tenant-identifiers", "scope.pack-identifiers", "scope.per-pack-identifiers", "lint-tests"),
)
