"""ISO204 guest-chosen-key-in-shared-store."""

from __future__ import annotations

from .. import keyed_collections, keyflow, tenancy
from ..call_sites import names_scope_identity, tenant_in_reach
from ..context import call_arguments, chain_root, node_text, short_text
from ..keyflow import KeyTracer
from ..model import FixAvailability, Severity
from ..parsing import matches
from ..tenancy import (
    ALL_CALLS, READ_METHODS, CalleeStore, GuestEntry, GuestKey, Storage, callee_definition, called_method, chosen_part, claim_checked,
    entries_to_check, entry_scope, fields_carrying, is_scoped, may_carry, may_name_callee, keyed_calls, ownership_checked, passed_parameter, runs_in, storage_of, store_keyed_by_parameter,
)
from .base import Rule

_SHARED = ("process-wide", "host-wide")


def _guest_keys(ctx, entry: GuestEntry, tracer: KeyTracer, memo: dict):
    scope = entry_scope(tracer, entry.function)
    for call, receiver, method, key in keyed_calls(ctx, entry.function):
        composition = tracer.trace(key, scope)
        part = chosen_part(composition, entry, tracer)
        if part is None:
            continue
        if may_name_callee(call) and callee_definition(ctx, call, memo) is not None:
            continue  # a method of the workspace's own: `_passed_on` reads what it does with the key
        scoped = is_scoped(ctx, composition, entry.function)
        storage = _serving_every_call(entry, receiver, storage_of(ctx, receiver, tracer, method))
        if storage is None:
            continue
        checked = None if scoped else ownership_checked(ctx, call, entry.function) or claim_checked(ctx, call, key, entry.function)
        if method in READ_METHODS and storage.is_directory(ctx):
            ctx.observe(call, "guest-input", "scoped", f"{storage.description} tells whose a chosen key is ({storage.holds}): a read of it resolves the tenant",
                        key=composition.describe())
        elif checked is not None:
            ctx.observe(call, "guest-input", "scoped", f"what {storage.description} holds under this key is checked against the caller: `{checked}`",
                        key=composition.describe())
        elif storage.scope not in _SHARED and storage.scope != "shared-handle":
            ctx.observe(call, "guest-input", "per-instance", f"{storage.description} is held per instance: key {composition.describe()}",
                        key=composition.describe())
        elif scoped:
            ctx.observe(call, "guest-input", "scoped", f"the host's scope is in the key of {storage.description}: key {composition.describe()}",
                        key=composition.describe())
        else:
            yield GuestKey(call, key, composition, part, entry, storage)


def _serving_every_call(entry: GuestEntry, receiver, storage: Storage | None) -> Storage | None:
    """A public gRPC service's object serves every caller's requests (tonic shares one value
    of it among all connections): its own fields are shared by all of them."""
    if storage is None or entry.kind != "grpc-service" or storage.scope != "per-instance" or chain_root(receiver) is None \
            or chain_root(receiver).type != "self":
        return storage
    return storage._replace(scope="host-wide", description=f"{storage.description}, of the service every caller shares")


def _passed_on(ctx, entry: GuestEntry, tracer: KeyTracer, memo: dict, in_reach: str | None):
    """Chosen values handed (as an argument, or a field of a struct built for the call) to
    workspace functions that, themselves or through further calls, key a shared store with
    them: ``(argument, the struct field carrying the value or "", composition, chosen part,
    the store)``."""
    body = entry.function.child_by_field_name("body")
    scope = entry_scope(tracer, entry.function)
    for _, found in matches(ALL_CALLS, body) if body is not None else ():
        call = found["call"][0]
        arguments = call_arguments(call)
        if not arguments or not may_name_callee(call) or not any(may_carry(argument, entry.chosen) for argument in arguments) \
                or not runs_in(ctx, call, entry.function):
            continue
        definition = callee_definition(ctx, call, memo)
        if definition is None:
            continue
        traced = []
        for position, argument in enumerate(arguments):
            if not may_carry(argument, entry.chosen):
                continue
            composition = tracer.trace(argument, scope)
            part = chosen_part(composition, entry)
            if part is None:
                continue
            if not is_scoped(ctx, composition, entry.function):
                traced.append((position, argument, composition, part, ""))
            for field in fields_carrying(composition, lambda parts: _chosen_unscoped(ctx, entry, parts)):
                traced.append((position, argument, composition, part, field))
        callee_ctx, callee = definition
        shared_self = _shared_receiver(ctx, call, tracer, in_reach)
        for position, argument, composition, part, field in traced:
            name = passed_parameter(call, callee, position)
            store = store_keyed_by_parameter(callee_ctx, callee, name, memo, field, shared_self=shared_self) if name is not None else None
            if store is not None:
                yield argument, field, composition, part, store
                break


def _shared_receiver(ctx, call, tracer: KeyTracer, in_reach: str | None) -> Storage | None:
    """Where the entry holds a method call's receiver (``self.backend`` of
    ``self.backend.get(&key)``), when that is shared beyond the tenant."""
    callee = call.child_by_field_name("function")
    if callee is None or callee.type != "field_expression":
        return None
    storage = storage_of(ctx, callee.child_by_field_name("value"), tracer, node_text(callee.child_by_field_name("field")))
    return storage if storage is not None and _shared_beyond_the_tenant(storage, in_reach) else None


def _chosen_unscoped(ctx, entry: GuestEntry, parts) -> bool:
    """A struct field's value the entry's chooser supplied, with no scope of the host's in it."""
    chosen = any(part.kind in ("parameter", "field", "identifier") and part.text.split(".", 1)[0] in entry.chosen for part in parts)
    return chosen and not any(names_scope_identity(ctx, part.text.rsplit(".", 1)[-1]) for part in parts)


def check(ctx):
    entries = entries_to_check(ctx)
    tracer = KeyTracer(ctx) if entries else None
    memo: dict = {}
    for entry in entries:
        in_reach = tenant_in_reach(ctx, entry.function)
        for argument, field, composition, part, store in _passed_on(ctx, entry, tracer, memo, in_reach):
            yield _passed_on_finding(ctx, entry, argument, field, composition, part, store, in_reach)
        for guest_key in _guest_keys(ctx, entry, tracer, memo):
            if _shared_beyond_the_tenant(guest_key.storage, in_reach):
                yield _finding(ctx, guest_key, in_reach)


def _shared_beyond_the_tenant(storage, in_reach: str | None) -> bool:
    """A store of the process or the host is; one held through a shared handle may serve one
    tenant or all of them, and with the host's scope in reach but left out of the key, the
    guest's word alone decides whose entry it is."""
    return storage.scope in _SHARED or (storage.scope == "shared-handle" and in_reach is not None)


def _whole(storage) -> str:
    """``(one store for the whole process)`` of a shared store."""
    if storage.scope == "shared-handle":
        return "(held through a shared handle)"
    return f"(one store for the whole {'process' if storage.scope == 'process-wide' else 'host'})"


def _finding(ctx, guest_key: GuestKey, in_reach: str | None):
    storage, source = guest_key.storage, guest_key.chosen.source
    method = called_method(guest_key.call)
    parameter = guest_key.entry.chosen[source]
    if storage.scope in _SHARED:
        where = f"{storage.description} {_whole(storage)}"
    else:
        where = storage.description
    message = (
        f"`{method}` keys {where} by `{short_text(node_text(guest_key.key))}`, which the {guest_key.entry.chooser} chooses "
        f"(`{source}`, a parameter of this {guest_key.entry.where})"
    )
    if in_reach is not None:
        message += f", while the host's scope `{in_reach}` is in reach and not in the key"
    message += ": another tenant choosing the same key reaches this entry"
    related = [ctx.related(parameter, f"chosen by the {guest_key.entry.chooser} here")]
    if storage.declaration is not None:
        related.append(ctx.related(storage.declaration, f"the store: {storage.scope}"))
    notes = (f"key made of {guest_key.composition.describe()}; no tenant, app or pack identity",)
    return ctx.finding(guest_key.key, message, related=related, notes=notes)


def _passed_on_finding(ctx, entry: GuestEntry, argument, field: str, composition, part, store: CalleeStore, in_reach: str | None):
    root = part.source
    storage = store.storage
    message = (
        f"`{short_text(node_text(argument))}`{f' (its field `{field}`)' if field else ''}, which the {entry.chooser} chooses "
        f"(`{root}`, a parameter of this {entry.where}), "
        f"becomes the key of {storage.description} {_whole(storage)} in `fn {store.function_name}` ({store.where})"
    )
    if store.chain:
        message += f", through {' → '.join(step.name() for step in store.chain)}"
    if in_reach is not None:
        message += f"; the host's scope `{in_reach}` is in reach and not passed"
    message += ": another tenant choosing the same key reaches this entry"
    notes = (f"key made of {composition.describe()}; no tenant, app or pack identity",)
    if store.chain:
        notes += (f"passed on through {' → '.join(step.describe() for step in store.chain)}",)
    return ctx.finding(argument, message, related=_chain_locations(ctx, entry, root, store), notes=notes)


def _chain_locations(ctx, entry: GuestEntry, root: str, store: CalleeStore):
    """Each step of a chosen value's way to the store, in order, in whichever file it lies:
    the entry's parameter, each call passing it on, the keyed call, the store's declaration."""
    storage = store.storage
    related = [ctx.related(entry.chosen[root], f"chosen by the {entry.chooser} here")]
    for step in store.chain:
        related.append(ctx.related(step.call, f"`fn {step.function_name}` passes it on", ctx.context_for(step.path)))
    keyed_ctx = ctx.context_for(store.path) if store.path else None
    if store.keyed_at is not None and keyed_ctx is not None:
        related.append(ctx.related(store.keyed_at, f"`fn {store.function_name}` keys {storage.description} with it", keyed_ctx))
    if storage.declaration is not None and keyed_ctx is not None:
        related.append(ctx.related(storage.declaration, f"the store: {storage.scope}", keyed_ctx))
    return related


RULE = Rule(
    code="ISO204",
    reach="linked-bodies",
    type_declaration_words=(),
    name="guest-chosen-key-in-shared-store",
    summary=(
        "A key chosen by a tenant (a parameter of a host interface the guest calls, a request's "
        "path, query, body or header, a public gRPC call) keys a store shared beyond that tenant, "
        "without the tenant in the key, in the entry or a few workspace calls further."
    ),
    rationale=(
        "A guest names its keys freely: two tenants' components both write `config`, both ask "
        "for `session/1`, both route `api.example.com`. When the host uses such a name "
        "verbatim in a store the whole process or host shares (a static map, a field of the "
        "host's one shared state, a backend every instance is handed), the second tenant reads "
        "or overwrites the first one's entry. The host knows which tenant it serves (the "
        "instance's app id, the request's authenticated org): that identity, not the guest's "
        "word, must scope the key. The chosen value is followed through the workspace functions "
        "it is handed to (as an argument or a field of a request struct), a few calls deep, "
        "until one keys a shared store with it; a function handed the host's scope stops the "
        "chase, but for a shared cache it answers from before using that scope; a lookup that "
        "compares the entry's owner with the caller's scope, or a write guarded by such a check "
        "of the same key, is quiet, and so is a read of a directory (a store mapping names to "
        "tenant identities: reading it is how the host tells whose a hostname is; writing it "
        "with a tenant's name claims the name). A client of a key-value server (Redis, etcd) is "
        "one keyspace for every holder, wherever the handle lives: a field, a local opened from "
        "the host's own settings, known by its declared type through the file's `use` "
        "declarations and type aliases, whatever it is called; a client opened on an address the "
        "caller handed in is the caller's own server. Entries are host interfaces "
        "(host traits, and wasmtime host functions taking a `Caller<T>`), request extractors "
        "(in functions and route closures), a hyper or tower handler's whole `Request<B>`, "
        "warp handlers and the methods of public gRPC services (a service whose client the "
        "workspace builds serves the cluster's own nodes and is not one). Parameters the host "
        "allocates (`Resource<T>` handles) and ids it mints are not reported."
    ),
    bad_example=(
        "impl keyvalue::store::Host for KvHost {\n"
        "    async fn get(&mut self, key: String) -> Result<Option<Vec<u8>>> {\n"
        "        // `self.app_id` is in reach; the backend is shared by every app\n"
        "        self.backend.get(&key).await\n"
        "    }\n"
        "}\n"
    ),
    good_example=(
        "impl keyvalue::store::Host for KvHost {\n"
        "    async fn get(&mut self, key: String) -> Result<Option<Vec<u8>>> {\n"
        "        self.backend.get(&format!(\"{}/{}\", self.app_id, key)).await\n"
        "    }\n"
        "}\n"
    ),
    default_severity=Severity.WARNING,
    fix_availability=FixAvailability.NONE,
    fix_safety=None,
    check=check,
    queries=(*tenancy.QUERIES, *keyflow.QUERIES, *keyed_collections.QUERIES),
    message="`{method}` keys {store} by `{key}`, which the guest, client or tenant chooses (…): another tenant choosing the same key reaches this entry",
    options=("contract.scope-identities", "contract.tenant-chosen", "contract.sinks", "contract.scoping-helpers",
             "scope.tenant-identifiers", "scope.extend-tenant-identifiers", "lint-tests"),
)
