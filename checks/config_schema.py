"""The pydantic schema of a config file's isolint table: the one definition of what a config
file may say, used to validate files, CLI and editor overrides.

Imported only when something must be validated: a run without a config file builds its
settings from the defaults in ``checks.config`` and never pays for pydantic.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Iterator

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt

from .config import (
    DEFAULT_EXCLUDE,
    DEFAULT_MAX_FILE_SIZE,
    DEFAULT_PACK_WORDS,
    DEFAULT_PER_PACK_IDS,
    DEFAULT_SCOPING_HELPERS,
    DEFAULT_SELECT,
    DEFAULT_STARTUP_FUNCTIONS,
    DEFAULT_TENANT_WORDS,
    SeverityName,
    Settings,
)


def _known_selector(selector: str) -> str:
    from .rules import rules_matching_selector

    if not rules_matching_selector(selector):
        raise ValueError(f"unknown rule code or name {selector!r}")
    return selector


# Validated one by one, so an error names the exact entry (and a severity table's exact key).
RuleSelector = Annotated[str, AfterValidator(_known_selector)]


def _not_blank(name: str) -> str:
    if not name.strip():
        raise ValueError("names must not be empty")
    return name


# An identifier, API or vocabulary entry: an empty one would match nothing or everything.
Name = Annotated[str, AfterValidator(_not_blank)]


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, alias_generator=_kebab)


class ScopeOptions(_Strict):
    tenant_identifiers: tuple[Name, ...] = DEFAULT_TENANT_WORDS
    extend_tenant_identifiers: tuple[Name, ...] = ()
    pack_identifiers: tuple[Name, ...] = DEFAULT_PACK_WORDS
    extend_pack_identifiers: tuple[Name, ...] = ()
    per_pack_identifiers: tuple[Name, ...] = DEFAULT_PER_PACK_IDS
    extend_per_pack_identifiers: tuple[Name, ...] = ()
    helpers: tuple[Name, ...] = DEFAULT_SCOPING_HELPERS
    extend_helpers: tuple[Name, ...] = ()


class SecretOptions(_Strict):
    extra_apis: tuple[Name, ...] = ()
    extra_receivers: tuple[Name, ...] = ()
    extra_env_backends: tuple[Name, ...] = ()


class TelemetryOptions(_Strict):
    extra_setters: tuple[Name, ...] = ()
    startup_functions: tuple[Name, ...] = DEFAULT_STARTUP_FUNCTIONS


class ContractOptions(_Strict):
    """The isolation contract (``[contract]``): what the project declares about its own types
    and functions, the way CodeQL's models-as-data declare sources and sinks."""

    # Names or types that identify the isolation unit (`AppId`, `workload_id`): they join
    # the tenant vocabulary, so every rule counts them as the tenant.
    scope_identities: tuple[Name, ...] = ()
    # Traits (host interfaces) and functions whose parameters a tenant chooses.
    tenant_chosen: tuple[Name, ...] = ()
    # Store APIs keyed by their first argument: `Type::method`, or `Type` for all of them.
    sinks: tuple[Name, ...] = ()
    # Functions that scope a key to the tenant (joins `scope.helpers`).
    scoping_helpers: tuple[Name, ...] = ()


class IsolintConfig(_Strict):
    """The whole of a config file's isolint table."""

    select: tuple[RuleSelector, ...] = DEFAULT_SELECT
    extend_select: tuple[RuleSelector, ...] = ()
    ignore: tuple[RuleSelector, ...] = ()
    severity: dict[RuleSelector, SeverityName] = Field(default_factory=dict)
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    # Strict: TOML has real booleans and integers, so `"yes"` or `1.5` is a mistake to report.
    respect_gitignore: StrictBool = True
    lint_tests: StrictBool = False
    max_file_size: StrictInt = Field(default=DEFAULT_MAX_FILE_SIZE, gt=0)
    scope: ScopeOptions = ScopeOptions()
    secrets: SecretOptions = SecretOptions()
    telemetry: TelemetryOptions = TelemetryOptions()
    contract: ContractOptions = ContractOptions()

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_config(self)


DEFAULT_CONFIG = IsolintConfig()


def python_named_keys(data: dict, model: type[BaseModel] = IsolintConfig, above: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """The keys of a config table written as an option's Python name (``lint_tests``) rather
    than its kebab-case name, each with the name it should have. The schema accepts Python
    names (overrides from the command line and editors are given by name), so a file's keys
    are checked here: a file spells options as the documentation does."""
    by_key = {}
    for name, field in model.model_fields.items():
        by_key[name] = by_key[field.alias or name] = field
    for key, value in data.items():
        field = by_key.get(key)
        if field is None:
            continue
        if field.alias and field.alias != key:
            yield above + (key,), field.alias
        annotation = field.annotation
        if isinstance(value, dict) and isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from python_named_keys(value, annotation, above + (field.alias or key,))
