"""Configuration: the pydantic schema, file discovery, and resolution into rule settings.

One loader serves the CLI and the server. Files, nearest to the linted file first:
``isolint.toml``, ``.isolint.toml``, or ``Cargo.toml`` with ``[package.metadata.isolint]``
or ``[workspace.metadata.isolint]``. Unknown keys and unknown rule codes are errors that
name the file, the line and the key; nothing is silently ignored.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple, get_args

from .model import Severity
from .vocabulary import Vocabulary

if TYPE_CHECKING:
    from .config_schema import IsolintConfig

CONFIG_FILE_NAMES = ("isolint.toml", ".isolint.toml")
CARGO_TABLES = (("package", "metadata", "isolint"), ("workspace", "metadata", "isolint"))
# The names of a folder's files that config resolution looks for.
CONFIG_LISTING_NAMES = frozenset({*CONFIG_FILE_NAMES, "Cargo.toml"})

DEFAULT_TENANT_WORDS = (
    "tenant", "tenants", "tenant_id", "tenant_ctx", "tenant_scope", "team", "team_id",
    "env", "environment", "env_id", "org", "org_id", "organization", "account_id", "workspace_id",
    "app_id", "application_id", "workload_id", "project_id", "customer_id", "organization_id",
)
DEFAULT_PACK_WORDS = ("pack_id", "pack", "pack_ref", "pack_name", "bundle_id")
DEFAULT_PER_PACK_IDS = (
    "flow_id", "flow_name", "flow_ref", "node_id", "component_id", "step_id",
)
DEFAULT_SCOPING_HELPERS = (
    "scoped_key", "tenant_key", "scoped_secret_key", "tenant_secret_key", "secret_key_for",
    "tenant_scoped", "scope_key", "with_tenant", "namespaced_key",
)

DEFAULT_STARTUP_FUNCTIONS = ("main", "init", "setup", "install", "bootstrap", "start")
DEFAULT_SELECT = ("ALL",)
DEFAULT_EXCLUDE = ("target/", ".git/", "node_modules/")
DEFAULT_MAX_FILE_SIZE = 10_000_000

SeverityName = Literal["error", "warning", "info", "hint"]

# The schema lives in checks.config_schema and costs a pydantic import; these names are
# served from it on first use, so a run without a config file never loads it.
_SCHEMA_NAMES = frozenset({"IsolintConfig", "ScopeOptions", "SecretOptions", "TelemetryOptions", "ContractOptions", "DEFAULT_CONFIG", "RuleSelector"})


def __getattr__(name: str):
    if name in _SCHEMA_NAMES:
        from . import config_schema

        return getattr(config_schema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Contract(NamedTuple):
    """The isolation contract: what a project declares about its own types and functions
    (``[contract]``), beside the vocabulary's defaults. Its scope identities and scoping
    helpers join the vocabulary; the rest is asked by the tenancy model."""

    # Traits and functions whose parameters a tenant chooses (host interfaces, handlers).
    tenant_chosen: frozenset[str] = frozenset()
    # Store APIs keyed by their first argument: `Type::method`, or `Type` for all its methods.
    sinks: frozenset[str] = frozenset()
    # Declared here too (they already joined the vocabulary) for reports to show.
    scope_identities: tuple[str, ...] = ()
    scoping_helpers: tuple[str, ...] = ()


class RuleChoice:
    """Which rules a config runs, at which levels, and what follows for the engine (each
    rule's trigger words and queries under the config's words). Worked out on first use: it
    imports every rule, and a warm batch run whose files all come from the cache needs none."""

    def __init__(self, select: tuple[str, ...], ignore: tuple[str, ...], severity: dict[str, str], also_enabled: frozenset[str] = frozenset()):
        self._select, self._ignore, self._severity, self._also_enabled = select, ignore, severity, also_enabled
        self._levels: tuple[frozenset[str], dict[str, Severity]] | None = None
        self._engine_inputs: tuple[dict[str, tuple[bytes, ...]], dict[str, tuple[str, ...]]] | None = None

    def enabling(self, *codes: str) -> RuleChoice:
        """The same choice with ``codes`` run too (rules the registry does not list, in tests)."""
        return RuleChoice(self._select, self._ignore, self._severity, self._also_enabled | frozenset(codes))

    @property
    def enabled_codes(self) -> frozenset[str]:
        return self._resolved()[0]

    @property
    def severities(self) -> dict[str, Severity]:
        return self._resolved()[1]

    def for_engine(self, settings: Settings) -> tuple[dict[str, tuple[bytes, ...]], dict[str, tuple[str, ...]]]:
        """Per rule code, its trigger words and its whole-file queries under ``settings``,
        the settings this choice belongs to."""
        if self._engine_inputs is None:
            from .rules import all_rules

            triggers = {rule.code: words for rule in all_rules() if (words := rule.triggers_for(settings)) is not None}
            queries = {rule.code: rule.queries_for(settings) for rule in all_rules()}
            self._engine_inputs = (triggers, queries)
        return self._engine_inputs

    def _resolved(self) -> tuple[frozenset[str], dict[str, Severity]]:
        if self._levels is None:
            from .rules import all_rules, rules_matching_selector

            enabled: set[str] = set(self._also_enabled)
            for selector in self._select:
                enabled.update(r.code for r in rules_matching_selector(selector))
            for selector in self._ignore:
                enabled.difference_update(r.code for r in rules_matching_selector(selector))
            severities = {r.code: r.default_severity for r in all_rules()}
            for selector, level in self._severity.items():
                for rule in rules_matching_selector(selector):
                    severities[rule.code] = Severity(level)
            self._levels = (frozenset(enabled), severities)
        return self._levels


class Settings(NamedTuple):
    """A config resolved for the engine: which rules run, at which level, with what words."""

    rules: RuleChoice
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
    contract: Contract = Contract()

    @property
    def enabled_codes(self) -> frozenset[str]:
        return self.rules.enabled_codes

    @property
    def severities(self) -> dict[str, Severity]:
        return self.rules.severities

    @property
    def rule_triggers(self) -> dict[str, tuple[bytes, ...]]:
        """Per rule code, the words of which a file must contain one for the rule to run
        (``Rule.triggers`` plus what this config adds); rules not listed run on every file."""
        return self.rules.for_engine(self)[0]

    @property
    def rule_queries(self) -> dict[str, tuple[str, ...]]:
        """Per rule code, the whole-file queries it runs under this config (``Rule.queries``)."""
        return self.rules.for_engine(self)[1]

    @classmethod
    def from_config(cls, config: IsolintConfig) -> "Settings":
        return cls.from_options(config, options_fingerprint(config.model_dump()))

    @classmethod
    def from_options(cls, config, fingerprint: str) -> "Settings":
        """Resolve options given as attributes in the schema's shape (a validated
        ``IsolintConfig``, or the defaults without pydantic)."""
        scope, contract = config.scope, config.contract
        vocabulary = Vocabulary(
            tenant=scope.tenant_identifiers + scope.extend_tenant_identifiers + contract.scope_identities,
            pack=scope.pack_identifiers + scope.extend_pack_identifiers,
            per_pack=scope.per_pack_identifiers + scope.extend_per_pack_identifiers,
            helpers=scope.helpers + scope.extend_helpers + contract.scoping_helpers,
        )
        return cls(
            rules=RuleChoice(tuple(config.select) + tuple(config.extend_select), tuple(config.ignore), dict(config.severity)),
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
            fingerprint=fingerprint,
            contract=Contract(tenant_chosen=frozenset(contract.tenant_chosen), sinks=frozenset(contract.sinks),
                              scope_identities=tuple(contract.scope_identities), scoping_helpers=tuple(contract.scoping_helpers)),
        )


class _Options:
    """Attribute access over a plain dict of options, in the schema's shape."""

    def __init__(self, values: dict):
        for name, value in values.items():
            setattr(self, name, _Options(value) if isinstance(value, dict) and name != "severity" else value)


# The schema's defaults in its field order: `default_settings()` must equal
# `IsolintConfig().settings`, fingerprint included, so the cache serves either (tests check).
_DEFAULT_OPTIONS = {
    "select": DEFAULT_SELECT, "extend_select": (), "ignore": (), "severity": {},
    "exclude": DEFAULT_EXCLUDE, "extend_exclude": (), "respect_gitignore": True,
    "lint_tests": False, "max_file_size": DEFAULT_MAX_FILE_SIZE,
    "scope": {
        "tenant_identifiers": DEFAULT_TENANT_WORDS, "extend_tenant_identifiers": (),
        "pack_identifiers": DEFAULT_PACK_WORDS, "extend_pack_identifiers": (),
        "per_pack_identifiers": DEFAULT_PER_PACK_IDS, "extend_per_pack_identifiers": (),
        "helpers": DEFAULT_SCOPING_HELPERS, "extend_helpers": (),
    },
    "secrets": {"extra_apis": (), "extra_receivers": (), "extra_env_backends": ()},
    "telemetry": {"extra_setters": (), "startup_functions": DEFAULT_STARTUP_FUNCTIONS},
    "contract": {"scope_identities": (), "tenant_chosen": (), "sinks": (), "scoping_helpers": ()},
}


@lru_cache(maxsize=1)
def default_settings() -> Settings:
    """The settings of a project without a config file, built without pydantic."""
    return Settings.from_options(_Options(_DEFAULT_OPTIONS), options_fingerprint(_DEFAULT_OPTIONS))


def options_fingerprint(options: dict) -> str:
    """A stable text of every option's value (cache keys cover it): the same for the same
    options however they were given, file or defaults, lists or tuples, in any key order."""
    return repr(_canonical(options))


def _canonical(value):
    if isinstance(value, dict):
        return tuple(sorted((key, _canonical(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_canonical(item) for item in value)
    return value


class ConfigProblem(NamedTuple):
    """One thing wrong in a config file: what, at which key, on which line."""

    message: str
    line: int | None = None
    key: str | None = None


class ConfigError(Exception):
    """A config file that cannot be used, with every problem found in it; ``str()`` names the
    file, line and key of each, one per line. ``line``, ``key`` and ``detail`` are the first
    problem's."""

    def __init__(self, path: Path, message: str, line: int | None = None, key: str | None = None,
                 more: tuple[ConfigProblem, ...] = ()):
        self.path = path
        self.problems = (ConfigProblem(message, line, key), *more)
        self.line = line
        self.key = key
        self.detail = message
        super().__init__("\n".join(self.located(problem) for problem in self.problems))

    def located(self, problem: ConfigProblem) -> str:
        """``isolint.toml:3: unknown option `foo```."""
        return f"{self.path}:{problem.line}: {problem.message}" if problem.line else f"{self.path}: {problem.message}"

    @classmethod
    def of(cls, path: Path, problems: list[ConfigProblem]) -> "ConfigError":
        first, *more = problems
        return cls(path, first.message, first.line, first.key, tuple(more))


class ConfigSource(NamedTuple):
    path: Path
    table: tuple[str, ...]  # the TOML table the isolint options live in; () for isolint.toml


def discover_config_file(start: Path) -> ConfigSource | None:
    """The nearest config at or above ``start`` (a file or a directory)."""
    directory = start if start.is_dir() else start.parent
    for folder in (directory, *directory.parents):
        found = config_in_folder(folder)
        if found is not None:
            return found
    return None


def config_in_folder(folder: Path, files: frozenset[str] | None = None) -> ConfigSource | None:
    """The config file of ``folder`` itself, if it has one; ``files``: which of
    ``CONFIG_LISTING_NAMES`` the folder holds as files, when a listing of it said."""
    for name in CONFIG_FILE_NAMES:
        candidate = folder / name
        if name in files if files is not None else candidate.is_file():
            return ConfigSource(candidate, ())
    cargo = folder / "Cargo.toml"
    if "Cargo.toml" in files if files is not None else cargo.is_file():
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
    import tomllib  # only when a config file exists: most runs of `check` read none

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


def error_key_path(loc: tuple) -> list[str]:
    """The option names of a pydantic error location: list indices are dropped, and so is
    the "[key]" entry pydantic appends when a dict key (not its value) failed."""
    return [str(p) for p in loc if not isinstance(p, int) and p != "[key]"]


def parse_config_text(path: Path, text: str, table: tuple[str, ...] = ()) -> IsolintConfig:
    """Validate config text; raise ``ConfigError`` naming every bad key."""
    data = _parse_toml(path, text)
    for part in table:
        data = data.get(part, {})
    if not isinstance(data, dict):
        raise ConfigError(path, f"[{'.'.join(table)}] must be a table")
    from pydantic import ValidationError

    from .config_schema import IsolintConfig, python_named_keys

    problems = []
    for key_path, kebab in python_named_keys(data):
        key = ".".join(key_path)
        problems.append(ConfigProblem(f"unknown option `{key}`: options are kebab-case, write `{kebab}`",
                                      _line_of_key(text, table, list(key_path)), key))
    try:
        config = IsolintConfig.model_validate(data)
    except ValidationError as error:
        config = None
        for found in error.errors():
            key_path = error_key_path(found["loc"])
            key = ".".join(key_path) or "<root>"
            problems.append(ConfigProblem(describe_invalid(key, found), _line_of_key(text, table, key_path), key))
    if problems:
        problems.sort(key=lambda problem: (problem.line or 0, problem.key or ""))
        raise ConfigError.of(path, problems)
    return config


def describe_invalid(key: str, error: dict) -> str:
    """One pydantic error (``ValidationError.errors()``) in isolint's words: what the key
    expects, and what it was given."""
    kind, given = error["type"], error.get("input")
    if kind == "extra_forbidden":
        return f"unknown option `{key}`"
    if kind == "value_error":  # raised by the schema's own validators, already in our words
        return f"invalid value for `{key}`: {error['msg'].removeprefix('Value error, ')}"
    if kind == "literal_error":
        expected = "one of " + ", ".join(f'"{level}"' for level in get_args(SeverityName))
    elif kind == "greater_than":
        expected = f"a number greater than {error.get('ctx', {}).get('gt')}"
    else:
        expected = _EXPECTED_BY_ERROR.get(kind, "another kind of value")
    return f"invalid value for `{key}`: expected {expected}, got {_toml_value(given)}"


# What a value had to be, by pydantic's error type.
_EXPECTED_BY_ERROR = {
    "tuple_type": "a list", "list_type": "a list", "bool_type": "true or false", "int_type": "a whole number",
    "string_type": "a string", "dict_type": "a table", "model_type": "a table", "model_attributes_type": "a table",
}


def _toml_value(value) -> str:
    """A value as TOML writes it (``"ALL"``, ``true``), or its kind when it is a table or list."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, (list, tuple)):
        return "a list"
    return str(value)


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
        # A config of None stands for the defaults, unvalidated: nothing to validate.
        self._by_directory: dict[Path, tuple[ConfigSource | None, IsolintConfig | None]] = {}
        self._by_file: dict[Path, IsolintConfig] = {}
        # Config files that failed to load: every file they govern fails with the same error.
        self._failed: dict[Path, ConfigError] = {}
        # By directory as given: resolving symlinks costs system calls per path component,
        # and a batch run asks once per file.
        self._by_given_directory: dict[Path, tuple[ConfigSource | None, IsolintConfig | None]] = {}
        # Folders a walk listed (``Discovery.folders``): their real paths and config files, known.
        self._listed: dict[Path, tuple[Path, frozenset[str]]] = {}
        self._listed_files: dict[Path, frozenset[str]] = {}

    def know_listed_folders(self, folders: dict[Path, tuple[Path, frozenset[str]]]) -> None:
        """What a walk learnt of each folder it listed: its real path, and which of
        ``CONFIG_LISTING_NAMES`` it holds (``discover(..., noted=CONFIG_LISTING_NAMES)``)."""
        self._listed.update(folders)
        self._listed_files.update(folders.values())

    def source_for(self, path: Path) -> ConfigSource | None:
        return self._resolve(path)[0]

    def config_for(self, path: Path) -> IsolintConfig:
        config = self._resolve(path)[1]
        if config is None:
            from .config_schema import DEFAULT_CONFIG

            return DEFAULT_CONFIG
        return config

    def settings_for(self, path: Path) -> Settings:
        """The effective settings; without a config file or overrides, pydantic is not loaded."""
        config = self._resolve(path)[1]
        return default_settings() if config is None else config.settings

    def settings_for_file(self, path: Path) -> Settings:
        """``settings_for`` a path known to be a file (one discovery listed): without asking
        the file system, once per file of a large tree, whether it is a folder."""
        config = self._resolve_given(path.parent)[1]
        return default_settings() if config is None else config.settings

    def _resolve(self, path: Path) -> tuple[ConfigSource | None, IsolintConfig | None]:
        return self._resolve_given(path if path.is_dir() else path.parent)

    def _resolve_given(self, given: Path) -> tuple[ConfigSource | None, IsolintConfig | None]:
        cached = self._by_given_directory.get(given)
        if cached is None:
            listed = self._listed.get(given)
            real = listed[0] if listed is not None else given.resolve()
            cached = self._by_given_directory[given] = self._resolve_directory(real)
        return cached

    def _resolve_directory(self, directory: Path) -> tuple[ConfigSource | None, IsolintConfig | None]:
        cached = self._by_directory.get(directory)
        if cached is not None:
            return cached
        if self._explicit is not None:
            source = ConfigSource(self._explicit, _explicit_table(self._explicit))
        else:
            source = config_in_folder(directory, self._listed_files.get(directory))
            if source is None and directory.parent != directory:
                # The nearest config above, as the parent folder resolved it (once for all
                # its subfolders, instead of each walking up every folder above it).
                result = self._by_directory[directory] = self._resolve_directory(directory.parent)
                return result
        if source is None:
            config = None
        elif source.path in self._by_file:
            config = self._by_file[source.path]
        elif source.path in self._failed:
            raise self._failed[source.path]
        else:
            try:
                config = load_config(source)
            except ConfigError as error:
                self._failed[source.path] = error
                raise
            self._by_file[source.path] = config
        if self._overrides:
            from .config_schema import DEFAULT_CONFIG, IsolintConfig

            config = IsolintConfig.model_validate({**(config or DEFAULT_CONFIG).model_dump(), **self._overrides})
        result = (source, config)
        self._by_directory[directory] = result
        return result


def _explicit_table(path: Path) -> tuple[str, ...]:
    if path.name == "Cargo.toml":
        return _cargo_isolint_table(path) or CARGO_TABLES[0]
    return ()
