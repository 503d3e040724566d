"""checks/config.py: the schema, its errors (file, line, key), discovery, and resolution into
the settings the engine runs with."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from isolint.checks.config import (
    CONFIG_LISTING_NAMES,
    DEFAULT_CONFIG,
    DEFAULT_EXCLUDE,
    ConfigError,
    ConfigResolver,
    IsolintConfig,
    default_settings,
    discover_config_file,
    load_config,
    parse_config_text,
)
from isolint.checks.discovery import discover
from isolint.checks.model import Severity
from isolint.checks.rules import all_rules

README = Path(__file__).resolve().parent.parent / "README.md"
ALL_CODES = {rule.code for rule in all_rules()}


def parse(text: str, table: tuple[str, ...] = ()) -> IsolintConfig:
    return parse_config_text(Path("isolint.toml"), text, table)


def config_error(text: str, name: str = "isolint.toml", table: tuple[str, ...] = ()) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_config_text(Path(name), text, table)
    return caught.value


# -- schema and resolution ---------------------------------------------------------------

def test_defaults_enable_every_rule_at_its_default_severity():
    settings = DEFAULT_CONFIG.settings
    assert settings.enabled_codes == ALL_CODES
    assert settings.severities == {rule.code: rule.default_severity for rule in all_rules()}
    assert settings.lint_tests is False
    assert settings.max_file_size == 10_000_000
    assert "target/" in settings.exclude and settings.respect_gitignore


def test_empty_file_is_the_default_config():
    assert parse("") == DEFAULT_CONFIG


def test_select_ignore_by_prefix_name_and_all():
    settings = parse('select = ["ISO1", "flow-id-keyed-map"]\nextend-select = ["ISO00"]\nignore = ["ISO001"]\n').settings
    expected = {c for c in ALL_CODES if c.startswith("ISO1") or c.startswith("ISO00")} - {"ISO001"}
    expected |= {r.code for r in all_rules() if r.name == "flow-id-keyed-map"}
    assert settings.enabled_codes == expected
    assert parse('ignore = ["ALL"]\n').settings.enabled_codes == frozenset()


def test_selectors_are_case_insensitive():
    assert parse('select = ["iso101"]\n').settings.enabled_codes == {"ISO101"}
    assert parse('select = ["Unscoped-Secret-Lookup"]\n').settings.enabled_codes == {"ISO101"}


def test_severity_by_code_prefix_and_name():
    settings = parse('[severity]\nISO0 = "hint"\nunscoped-secret-lookup = "info"\n').settings
    assert settings.severities["ISO001"] is Severity.HINT
    assert settings.severities["ISO002"] is Severity.HINT
    assert settings.severities["ISO101"] is Severity.INFO


def test_scope_vocabulary_is_extended_or_replaced():
    extended = parse('[scope]\nextend-tenant-identifiers = ["org_slug"]\nextend-helpers = ["vault_path_for"]\n').settings.vocabulary
    assert "org_slug" in extended.tenant and "tenant_id" in extended.tenant
    assert extended.is_helper("vault_path_for") and extended.is_helper("scoped_key")
    replaced = parse('[scope]\ntenant-identifiers = ["customer"]\nhelpers = ["customer_key"]\n').settings.vocabulary
    assert "customer_id" in replaced.tenant and "tenant_id" not in replaced.tenant
    assert replaced.helpers_in_order == ("customer_key",)


def test_secret_and_telemetry_options_reach_the_settings():
    settings = parse(
        '[secrets]\nextra-apis = ["fetch_credential"]\nextra-receivers = ["keyring"]\nextra-env-backends = ["DotenvSecrets"]\n'
        '[telemetry]\nextra-setters = ["install_exporter"]\nstartup-functions = ["main", "boot"]\n'
    ).settings
    assert settings.extra_secret_apis == {"fetch_credential"}
    assert settings.extra_secret_receivers == ("keyring",)
    assert settings.extra_env_backends == {"DotenvSecrets"}
    assert settings.extra_telemetry_setters == {"install_exporter"}
    assert settings.startup_functions == {"main", "boot"}


def test_settings_fingerprint_changes_with_the_config():
    assert parse("lint-tests = true\n").settings.fingerprint != DEFAULT_CONFIG.settings.fingerprint
    assert parse("lint-tests = false\n").settings.fingerprint == DEFAULT_CONFIG.settings.fingerprint


# -- errors ------------------------------------------------------------------------------

def test_unknown_top_level_key():
    error = config_error('select = ["ALL"]\n\nignore-everything = true\n')
    assert (error.line, error.key) == (3, "ignore-everything")
    assert str(error) == "isolint.toml:3: unknown option `ignore-everything`"


def test_unknown_nested_key():
    error = config_error('[scope]\nhelpers = []\ntenant-words = ["org"]\n')
    assert (error.line, error.key) == (3, "scope.tenant-words")


def test_unknown_rule_in_a_list_names_the_list_and_the_code():
    error = config_error('select = ["ALL"]\nignore = [\n  "ISO101",\n  "ISO999",\n]\n')
    assert error.key == "ignore" and error.line == 2
    assert "unknown rule code or name 'ISO999'" in str(error)


def test_unknown_rule_in_the_severity_table_names_its_key():
    error = config_error('[severity]\nISO101 = "error"\nno-such-rule = "warning"\n')
    assert (error.line, error.key) == (3, "severity.no-such-rule")
    assert "unknown rule code or name 'no-such-rule'" in str(error)


@pytest.mark.parametrize("text, key, line", [
    ("max-file-size = 0\n", "max-file-size", 1),
    ('lint-tests = "yes"\n', "lint-tests", 1),
    ('select = "ALL"\n', "select", 1),
    ('[severity]\nISO101 = "fatal"\n', "severity.ISO101", 2),
    ("[scope]\nhelpers = [1, 2]\n", "scope.helpers", 2),
    ('scope = "tenant"\n', "scope", 1),
    ('[telemetry]\nextra-setters = [""]\n', "telemetry.extra-setters", 2),
    ('[scope]\nextend-per-pack-identifiers = ["flow_id", "  "]\n', "scope.extend-per-pack-identifiers", 2),
])
def test_bad_values(text, key, line):
    error = config_error(text)
    assert (error.key, error.line) == (key, line)
    assert str(error).startswith(f"isolint.toml:{line}: invalid value for `{key}`: ")


def test_every_problem_is_reported_in_isolints_words():
    error = config_error('select = "ALL"\nlint-tests = 1\nmax-file-size = 0\nnoise = true\n[severity]\nISO101 = "loud"\n')
    assert [(p.line, p.key) for p in error.problems] == [
        (1, "select"), (2, "lint-tests"), (3, "max-file-size"), (4, "noise"), (6, "severity.ISO101")]
    assert str(error).splitlines() == [
        'isolint.toml:1: invalid value for `select`: expected a list, got "ALL"',
        "isolint.toml:2: invalid value for `lint-tests`: expected true or false, got 1",
        "isolint.toml:3: invalid value for `max-file-size`: expected a number greater than 0, got 0",
        "isolint.toml:4: unknown option `noise`",
        'isolint.toml:6: invalid value for `severity.ISO101`: expected one of "error", "warning", "info", "hint", got "loud"',
    ]
    assert (error.line, error.key) == (1, "select")  # the first problem, for one-line consumers


def test_python_names_of_options_are_rejected_with_their_kebab_case_name():
    error = config_error('lint_tests = true\n[scope]\nextend_helpers = ["scoped"]\nhelpers = ["k"]\n')
    assert str(error).splitlines() == [
        "isolint.toml:1: unknown option `lint_tests`: options are kebab-case, write `lint-tests`",
        "isolint.toml:3: unknown option `scope.extend_helpers`: options are kebab-case, write `extend-helpers`",
    ]


def test_invalid_toml_names_the_line():
    error = config_error('select = ["ALL"]\nignore = [\n\nlint-tests = \n')
    assert error.line is not None and error.line >= 2
    assert "invalid TOML" in str(error)


def test_cargo_table_errors_point_into_cargo_toml():
    text = '[package]\nname = "host"\nversion = "0.1.0"\n\n[package.metadata.isolint]\nselekt = ["ALL"]\n'
    error = config_error(text, "Cargo.toml", ("package", "metadata", "isolint"))
    assert str(error) == "Cargo.toml:6: unknown option `selekt`"


def test_error_line_is_found_in_the_keys_own_table():
    error = config_error('[secrets]\nextra-apis = ["fetch_credential"]\n\n[telemetry]\nextra-apis = ["install"]\n')
    assert (error.key, error.line) == ("telemetry.extra-apis", 5)


def test_error_line_of_dotted_keys_and_nested_cargo_tables():
    assert config_error('lint-tests = true\nscope.helpers = "scoped_key"\n').line == 2
    cargo = '[package]\nname = "h"\n\n[package.metadata.isolint.scope]\nhelpers = 3\n'
    error = config_error(cargo, "Cargo.toml", ("package", "metadata", "isolint"))
    assert (error.key, error.line) == ("scope.helpers", 5)


def test_isolint_key_that_is_not_a_table():
    error = config_error('[package.metadata]\nisolint = "strict"\n', "Cargo.toml", ("package", "metadata", "isolint"))
    assert "must be a table" in str(error)


# -- discovery ---------------------------------------------------------------------------

def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_nearest_config_wins(tmp_path):
    write(tmp_path / "isolint.toml", "lint-tests = true\n")
    write(tmp_path / "crates" / "a" / ".isolint.toml", "max-file-size = 10\n")
    source = write(tmp_path / "crates" / "a" / "src" / "lib.rs", "")
    found = discover_config_file(source)
    assert found.path == tmp_path / "crates" / "a" / ".isolint.toml" and found.table == ()
    assert discover_config_file(tmp_path / "crates").path == tmp_path / "isolint.toml"


def test_isolint_toml_before_dot_file_before_cargo_in_one_folder(tmp_path):
    write(tmp_path / "Cargo.toml", "[package.metadata.isolint]\nlint-tests = true\n")
    assert discover_config_file(tmp_path).table == ("package", "metadata", "isolint")
    write(tmp_path / ".isolint.toml", "")
    assert discover_config_file(tmp_path).path.name == ".isolint.toml"
    write(tmp_path / "isolint.toml", "")
    assert discover_config_file(tmp_path).path.name == "isolint.toml"


def test_cargo_workspace_and_package_tables(tmp_path):
    write(tmp_path / "Cargo.toml", '[workspace]\nmembers = ["host"]\n\n[workspace.metadata.isolint]\nignore = ["ISO1"]\n')
    write(tmp_path / "host" / "Cargo.toml", '[package]\nname = "host"\nversion = "0.1.0"\n# isolint: not configured here\n')
    source = write(tmp_path / "host" / "src" / "lib.rs", "")
    found = discover_config_file(source)
    assert (found.path, found.table) == (tmp_path / "Cargo.toml", ("workspace", "metadata", "isolint"))
    assert load_config(found).ignore == ("ISO1",)


def test_no_config_anywhere_means_defaults(tmp_path):
    source = write(tmp_path / "lib.rs", "")
    resolver = ConfigResolver()
    if resolver.source_for(source) is None:
        assert resolver.config_for(source) == DEFAULT_CONFIG


def test_default_settings_built_without_pydantic_equal_the_schemas(tmp_path):
    built, validated = default_settings(), DEFAULT_CONFIG.settings
    for name in ("enabled_codes", "severities", "lint_tests", "max_file_size", "extra_secret_apis",
                 "extra_secret_receivers", "extra_env_backends", "extra_telemetry_setters",
                 "startup_functions", "exclude", "respect_gitignore", "fingerprint"):
        assert getattr(built, name) == getattr(validated, name), name
    for words in ("tenant", "pack", "per_pack"):
        assert getattr(built.vocabulary, words).entries == getattr(validated.vocabulary, words).entries
    assert built.vocabulary.helpers_in_order == validated.vocabulary.helpers_in_order


def test_a_run_without_config_file_does_not_import_pydantic(tmp_path):
    source = write(tmp_path / "lib.rs", "fn main() {}\n")
    program = (
        "import sys; from pathlib import Path; from isolint.checks.config import ConfigResolver\n"
        f"settings = ConfigResolver().settings_for(Path({str(source)!r}))\n"
        "assert settings.enabled_codes and 'pydantic' not in sys.modules, sorted(sys.modules)\n"
    )
    if ConfigResolver().source_for(source) is None:
        subprocess.run([sys.executable, "-c", program], check=True)


def test_resolver_reuses_one_parse_per_file(tmp_path):
    write(tmp_path / "isolint.toml", "lint-tests = true\n")
    a = write(tmp_path / "a" / "lib.rs", "")
    b = write(tmp_path / "b" / "lib.rs", "")
    resolver = ConfigResolver()
    assert resolver.config_for(a) is resolver.config_for(b)
    assert resolver.config_for(a).lint_tests


def test_folders_a_walk_listed_resolve_as_the_file_system_says(tmp_path):
    """A batch run hands the resolver what discovery's listings said of each folder (its real
    path, its config files) instead of asking the file system again: the answers must agree."""
    real = tmp_path / "real"
    write(real / "isolint.toml", "lint-tests = true\n")
    write(real / "crate" / "Cargo.toml", '[package]\nname = "c"\n[package.metadata.isolint]\nignore = ["ISO1"]\n')
    write(real / "plain" / "Cargo.toml", '[package]\nname = "p"\n')
    write(real / "odd" / "Cargo.toml" / "lib.rs", "")  # a folder named like a config file
    write(real / "odd" / "lib.rs", "")
    for sub in ("crate/src", "plain/src", "."):
        write(real / sub / "lib.rs", "")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    discovered = discover([link], DEFAULT_EXCLUDE, noted=CONFIG_LISTING_NAMES)
    listed, asked = ConfigResolver(), ConfigResolver()
    listed.know_listed_folders(discovered.folders)
    assert discovered.folders[link] == (real.resolve(), frozenset({"isolint.toml"}))
    assert discovered.folders[link / "odd"] == (real.resolve() / "odd", frozenset())
    assert len(discovered.files) == 5
    for path in discovered.files:
        assert listed.source_for(path) == asked.source_for(path), path
        assert listed.settings_for_file(path).fingerprint == asked.settings_for_file(path).fingerprint, path
    assert listed.source_for(link / "crate" / "src" / "lib.rs").path == real.resolve() / "crate" / "Cargo.toml"
    assert listed.source_for(link / "odd" / "lib.rs").path == real.resolve() / "isolint.toml"


def test_explicit_config_and_overrides(tmp_path):
    write(tmp_path / "nested" / "isolint.toml", "lint-tests = true\n")
    explicit = write(tmp_path / "ci.toml", 'ignore = ["ISO0"]\n')
    source = write(tmp_path / "nested" / "lib.rs", "")
    resolver = ConfigResolver(explicit=explicit, overrides={"select": ("ISO1",)})
    config = resolver.config_for(source)
    assert resolver.source_for(source).path == explicit
    assert config.lint_tests is False
    assert config.settings.enabled_codes == {c for c in ALL_CODES if c.startswith("ISO1")}


def test_explicit_cargo_toml_uses_its_isolint_table(tmp_path):
    cargo = write(tmp_path / "Cargo.toml", '[workspace.metadata.isolint]\nlint-tests = true\n')
    assert ConfigResolver(explicit=cargo).config_for(tmp_path).lint_tests


def test_broken_config_surfaces_as_config_error(tmp_path):
    write(tmp_path / "isolint.toml", "lint-tests = maybe\n")
    source = write(tmp_path / "lib.rs", "")
    with pytest.raises(ConfigError) as caught:
        ConfigResolver().config_for(source)
    assert caught.value.path == tmp_path / "isolint.toml"


# -- documentation -----------------------------------------------------------------------

def _option_names(model: type[BaseModel], prefix: str = "") -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        alias = field.alias or name
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.extend(_option_names(annotation, f"{prefix}{alias}."))
        else:
            names.append(prefix + alias)
    return names


def test_readme_documents_every_option():
    readme = README.read_text(encoding="utf-8")
    missing = [name for name in _option_names(IsolintConfig) if f"`{name.rsplit('.', 1)[-1]}`" not in readme]
    assert not missing, f"options missing from the README's configuration reference: {missing}"
