"""Configuration: the pydantic schema, file discovery, and resolution into rule settings.

One loader serves the CLI and the server. Files, nearest to the linted file first:
``isolint.toml``, ``.isolint.toml``, or ``Cargo.toml`` with ``[package.metadata.isolint]``
or ``[workspace.metadata.isolint]``. Unknown keys and unknown rule codes are errors that
name the file, the line and the key; nothing is silently ignored.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from checks.model import Severity
from checks.vocabulary import Vocabulary

CONFIG_FILE_NAMES = ("isolint.toml", ".isolint.toml")
CARGO_TABLES = (("package", "metadata", "isolint"), ("workspace", "metadata", "isolint"))

DEFAULT_TENANT_WORDS = (
    "tenant", "tenants", "tenant_id", "tenant_ctx", "tenant_scope", "team", "team_id",
    "env", "environment", "env_id", "org_id", "organization", "account_id", "workspace_id",
)
DEFAULT_PACK_WORDS = ("pack_id", "pack", "pack_ref", "pack_name", "bundle_id")
DEFAULT_PER_PACK_IDS = (
    "flow_id", "flow_name", "flow_ref", "node_id", "component_id", "step_id",
)
DEFAULT_SCOPING_HELPERS = (
    "scoped_key", "tenant_key", "scoped_secret_key", "tenant_secret_key", "secret_key_for",
    "tenant_scoped", "scope_key", "with_tenant", "namespaced_key",
)

SeverityName = Literal["error", "warning", "info", "hint"]


def _known_selector(selector: str) -> str:
    from checks.rules import rules_matching_selector

    if not rules_matching_selector(selector):
        raise ValueError(f"unknown rule code or name {selector!r}")
    return selector


# Validated one by one, so an error names the exact entry (and a severity table's exact key).
RuleSelector = Annotated[str, AfterValidator(_known_selector)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class ScopeOptions(_Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, alias_generator=_kebab)

    tenant_identifiers: tuple[str, ...] = DEFAULT_TENANT_WORDS
    extend_tenant_identifiers: tuple[str, ...] = ()
    pack_identifiers: tuple[str, ...] = DEFAULT_PACK_WORDS
    extend_pack_identifiers: tuple[str, ...] = ()
    per_pack_identifiers: tuple[str, ...] = DEFAULT_PER_PACK_IDS
    extend_per_pack_identifiers: tuple[str, ...] = ()
    helpers: tuple[str, ...] = DEFAULT_SCOPING_HELPERS
    extend_helpers: tuple[str, ...] = ()


class SecretOptions(_Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, alias_generator=_kebab)

    extra_apis: tuple[str, ...] = ()
    extra_receivers: tuple[str, ...] = ()
    extra_env_backends: tuple[str, ...] = ()


class TelemetryOptions(_Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, alias_generator=_kebab)

    extra_setters: tuple[str, ...] = ()
    startup_functions: tuple[str, ...] = ("main", "init", "setup", "install", "bootstrap", "start")


class IsolintConfig(_Strict):
    """The whole of a config file's isolint table."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, alias_generator=_kebab)

    select: tuple[RuleSelector, ...] = ("ALL",)
    extend_select: tuple[RuleSelector, ...] = ()
    ignore: tuple[RuleSelector, ...] = ()
    severity: dict[RuleSelector, SeverityName] = Field(default_factory=dict)
    exclude: tuple[str, ...] = ("target/", ".git/", "node_modules/")
    extend_exclude: tuple[str, ...] = ()
    # Strict: TOML has real booleans and integers, so `"yes"` or `1.5` is a mistake to report.
    respect_gitignore: StrictBool = True
    lint_tests: StrictBool = False
    max_file_size: StrictInt = Field(default=10_000_000, gt=0)
    scope: ScopeOptions = ScopeOptions()
    secrets: SecretOptions = SecretOptions()
    telemetry: TelemetryOptions = TelemetryOptions()

    @cached_property
    def settings(self) -> "Settings":
        return Settings.from_config(self)


@dataclass(frozen=True)
class Settings:
    """A config resolved for the engine: which rules run, at which level, with what words."""

    enabled_codes: frozenset[str]
    severities: dict[str, Severity]
    vocabulary: Vocabulary
    lint_tests: bool
    max_file_size: int
    extra_secret_apis: frozenset[str]
    extra_secret_receivers: tuple[str, ...]
    extra_env_backends: frozenset[str]
    extra_telemetry_setters: frozenset[str]
    startup_functions: frozenset[str]
    exclude: tuple[str, ...]
    respect_gitignore: bool
    fingerprint: str

    @classmethod
    def from_config(cls, config: IsolintConfig) -> "Settings":
        from checks.rules import all_rules, rules_matching_selector

        enabled: set[str] = set()
        for selector in config.select + config.extend_select:
            enabled.update(r.code for r in rules_matching_selector(selector))
        for selector in config.ignore:
            enabled.difference_update(r.code for r in rules_matching_selector(selector))
        severities = {r.code: r.default_severity for r in all_rules()}
        for selector, level in config.severity.items():
            for rule in rules_matching_selector(selector):
                severities[rule.code] = Severity(level)
        scope = config.scope
        vocabulary = Vocabulary(
            tenant=scope.tenant_identifiers + scope.extend_tenant_identifiers,
            pack=scope.pack_identifiers + scope.extend_pack_identifiers,
            per_pack=scope.per_pack_identifiers + scope.extend_per_pack_identifiers,
            helpers=scope.helpers + scope.extend_helpers,
        )
        return cls(
            enabled_codes=frozenset(enabled),
            severities=severities,
            vocabulary=vocabulary,
            lint_tests=config.lint_tests,
            max_file_size=config.max_file_size,
            extra_secret_apis=frozenset(config.secrets.extra_apis),
            extra_secret_receivers=config.secrets.extra_receivers,
            extra_env_backends=frozenset(config.secrets.extra_env_backends),
            extra_telemetry_setters=frozenset(config.telemetry.extra_setters),
            startup_functions=frozenset(config.telemetry.startup_functions),
            exclude=config.exclude + config.extend_exclude,
            respect_gitignore=config.respect_gitignore,
            fingerprint=config.model_dump_json(),
        )


DEFAULT_CONFIG = IsolintConfig()


class ConfigError(Exception):
    """A config file that cannot be used; ``str()`` names the file, line and key."""

    def __init__(self, path: Path, message: str, line: int | None = None, key: str | None = None):
        self.path = path
        self.line = line
        self.key = key
        self.detail = message
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class ConfigSource:
    path: Path
    table: tuple[str, ...]  # the TOML table the isolint options live in; () for isolint.toml


def discover_config_file(start: Path) -> ConfigSource | None:
    """The nearest config at or above ``start`` (a file or a directory)."""
    directory = start if start.is_dir() else start.parent
    for folder in (directory, *directory.parents):
        for name in CONFIG_FILE_NAMES:
            candidate = folder / name
            if candidate.is_file():
                return ConfigSource(candidate, ())
        cargo = folder / "Cargo.toml"
        if cargo.is_file():
            table = _cargo_isolint_table(cargo)
            if table is not None:
                return ConfigSource(cargo, table)
    return None


def _cargo_isolint_table(cargo: Path) -> tuple[str, ...] | None:
    text = _read_text(cargo)
    if "isolint" not in text:
        return None
    data = _parse_toml(cargo, text)
    for table in CARGO_TABLES:
        node = data
        for part in table:
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            return table
    return None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, f"cannot read config: {error}") from error


def _parse_toml(path: Path, text: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None) or _line_from_message(str(error))
        raise ConfigError(path, f"invalid TOML: {error}", line=line) from error


def _line_from_message(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def load_config(source: ConfigSource) -> IsolintConfig:
    text = _read_text(source.path)
    return parse_config_text(source.path, text, source.table)


def parse_config_text(path: Path, text: str, table: tuple[str, ...] = ()) -> IsolintConfig:
    """Validate config text; raise ``ConfigError`` at the first bad key."""
    data = _parse_toml(path, text)
    for part in table:
        data = data.get(part, {})
    if not isinstance(data, dict):
        raise ConfigError(path, f"[{'.'.join(table)}] must be a table")
    try:
        return IsolintConfig.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        # pydantic marks a failing dict key with a trailing "[key]" location entry.
        key_path = [str(p) for p in first["loc"] if not isinstance(p, int) and p != "[key]"]
        key = ".".join(key_path) or "<root>"
        kind = first["type"]
        if kind == "extra_forbidden":
            message = f"unknown option `{key}`"
        else:
            message = f"invalid value for `{key}`: {first['msg'].removeprefix('Value error, ')}"
        line = _line_of_key(text, table, key_path)
        raise ConfigError(path, message, line=line, key=key) from error


_TABLE_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")


def _toml_path(dotted: str) -> tuple[str, ...]:
    return tuple(part.strip().strip('"').strip("'") for part in dotted.split("."))


def _line_of_key(text: str, table: tuple[str, ...], key_path: list[str]) -> int | None:
    """The line that sets ``key_path`` inside ``table``: looked for in its own section first
    (``[scope]`` then ``helpers = …``, or a dotted ``scope.helpers = …``), so a key name used
    in two tables is found in the right one; else the first line that mentions the key."""
    if not key_path:
        return None
    *parents, leaf = key_path
    section = table + tuple(parents)
    current: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE_HEADER.match(line)
        if header is not None:
            current = _toml_path(header.group(1))
            if current == section + (leaf,):
                return number
            continue
        if current == section[: len(current)]:
            dotted = ".".join(section[len(current) :] + (leaf,))
            if re.match(rf'\s*("?){re.escape(dotted)}\1\s*=', line):
                return number
    return _first_mention(text, leaf)


def _first_mention(text: str, key: str) -> int | None:
    pattern = re.compile(rf'^\s*(\[\s*)?("?){re.escape(key)}\2\s*(=|\])|[{{,]\s*("?){re.escape(key)}\4\s*=')
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line) or re.search(rf'\.{re.escape(key)}\s*\]', line):
            return number
    return None


class ConfigResolver:
    """Finds and caches the effective config for each file; one per run or server.

    With ``explicit`` set (``--config FILE``), that file applies to everything.
    """

    def __init__(self, explicit: Path | None = None, overrides: dict | None = None):
        self._explicit = explicit
        self._overrides = overrides or {}
        self._by_directory: dict[Path, tuple[ConfigSource | None, IsolintConfig]] = {}
        self._by_file: dict[Path, IsolintConfig] = {}

    def source_for(self, path: Path) -> ConfigSource | None:
        return self._resolve(path)[0]

    def config_for(self, path: Path) -> IsolintConfig:
        return self._resolve(path)[1]

    def _resolve(self, path: Path) -> tuple[ConfigSource | None, IsolintConfig]:
        directory = (path if path.is_dir() else path.parent).resolve()
        cached = self._by_directory.get(directory)
        if cached is not None:
            return cached
        if self._explicit is not None:
            source = ConfigSource(self._explicit, _explicit_table(self._explicit))
        else:
            source = discover_config_file(directory)
        if source is None:
            config = DEFAULT_CONFIG
        elif source.path in self._by_file:
            config = self._by_file[source.path]
        else:
            config = load_config(source)
            self._by_file[source.path] = config
        if self._overrides:
            config = IsolintConfig.model_validate({**config.model_dump(), **self._overrides})
        result = (source, config)
        self._by_directory[directory] = result
        return result


def _explicit_table(path: Path) -> tuple[str, ...]:
    if path.name == "Cargo.toml":
        return _cargo_isolint_table(path) or CARGO_TABLES[0]
    return ()
