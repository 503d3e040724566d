"""Analysis after an edit inside one function body (``checks.function_edits``) equals a whole
analysis of the same text: many random in-body edits, one after another, on the rule
fixtures and the example host, each result compared with ``analyze`` on the same bytes
(findings, suppressed findings, observations, syntax errors)."""

from __future__ import annotations

import random
import re
from pathlib import Path, PurePath

import pytest

from isolint.checks.config import DEFAULT_CONFIG, parse_config_text
from isolint.checks.engine import analyze, rules_to_run
from isolint.checks import function_edits
from isolint.checks.function_edits import FunctionBodies, analyze_after_edit
from isolint.checks.parsing import parse

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_DIR = ROOT / "tests" / "fixtures" / "rules"
EXAMPLE_DIR = ROOT / "examples" / "tenant-host"
EDITS_PER_FILE = 40
STATEMENTS_TYPED = 2
CHARACTERS_TYPED = 30
IDENTIFIER = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
BLANK_RUN = re.compile(rb"[ \t]+")


def _cases() -> list[tuple[Path, PurePath, object]]:
    cases = []
    for fixture in sorted(FIXTURE_DIR.glob("*.rs")):
        config = fixture.with_suffix(".toml")
        settings = parse_config_text(config, config.read_text()).settings if config.exists() else DEFAULT_CONFIG.settings
        cases.append((fixture, fixture.relative_to(FIXTURE_DIR), settings))
    example_config = EXAMPLE_DIR / "isolint.toml"
    example_settings = parse_config_text(example_config, example_config.read_text()).settings
    for source in sorted((EXAMPLE_DIR / "src").glob("*.rs")):
        cases.append((source, source.relative_to(EXAMPLE_DIR), example_settings))
    return cases


def _observed(result) -> dict:
    return {
        "findings": [(f.code, f.span, f.message, f.fix, f.related, f.notes, f.severity) for f in result.findings],
        "suppressed": [(f.code, f.span, f.message, f.suppression) for f in result.suppressed],
        "observations": list(result.observations),
        "syntax_errors": list(result.syntax_errors),
    }


def _random_edit(rng: random.Random, data: bytes) -> bytes | None:
    """``data`` with one edit strictly inside a random function body: a line of another body
    inserted, a range deleted, an identifier of the file inserted or put in place of
    another, or a line break."""
    bodies = FunctionBodies.of(parse(data), data)
    if not bodies.starts:
        return None
    index = rng.randrange(len(bodies.starts))
    start, end = bodies.starts[index] + 1, bodies.ends[index] - 1
    if end <= start:
        return None
    at = rng.randrange(start, end + 1)
    kind = rng.randrange(5)
    if kind == 0:
        other = rng.randrange(len(bodies.starts))
        lines = data[bodies.starts[other] + 1:bodies.ends[other] - 1].split(b"\n")
        edited = data[:at] + b"\n" + rng.choice(lines) + b"\n" + data[at:]
    elif kind == 1:
        stop = min(end, at + rng.randrange(1, 40))
        edited = data[:at] + data[stop:]
    elif kind == 2:
        word = rng.choice(IDENTIFIER.findall(data))
        edited = data[:at] + b" " + word + b" " + data[at:]
    elif kind == 3:
        tokens = list(IDENTIFIER.finditer(data, start, end))
        if not tokens:
            return None
        token = rng.choice(tokens)
        edited = data[:token.start()] + rng.choice(IDENTIFIER.findall(data)) + data[token.end():]
    else:
        edited = data[:at] + b"\n" + data[at:]
    try:
        edited.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return edited


@pytest.mark.parametrize(("source", "path", "settings"), _cases(), ids=lambda value: str(value) if isinstance(value, PurePath) else "")
def test_random_body_edits_give_a_whole_analysis(source, path, settings):
    rng = random.Random(str(path))
    data = source.read_bytes()
    previous = analyze(data, settings, path)
    # A rule that reads the whole file has every edit analysed whole (``Rule.reach``).
    whole_file_rules = any(rule.reach != "linked-bodies" for rule in rules_to_run(settings, data)[0])
    incremental = edits = 0
    for _ in range(EDITS_PER_FILE):
        edited = _random_edit(rng, data)
        if edited is None:
            continue
        edits += 1
        result = analyze_after_edit(previous, edited, settings, path, parse(edited))
        expected = analyze(edited, settings, path)
        assert _observed(result) == _observed(expected), f"after editing {path} into:\n{edited.decode()}"
        incremental += result.by_function
        if result.by_function and result.function_bodies.blanked is not None:
            # Reparsed from the previous copy's tree, whichever bodies that one kept.
            kept, blanked_tree = result.function_bodies.blanked
            blanked = function_edits._blanked(edited, result.function_bodies, kept)
            assert str(blanked_tree.root_node) == str(parse(blanked).root_node), f"the blanked copy of {path} after an edit"
        if not result.tree.root_node.has_error:
            # Random edits of broken text break it further: the next edit starts from text
            # that parses (keystrokes through a broken body: the typing test below).
            data, previous = edited, result
    assert incremental > 0 or edits == 0 or whole_file_rules, "no edit was re-analysed body by body"


@pytest.mark.parametrize(("source", "path", "settings"), _cases(), ids=lambda value: str(value) if isinstance(value, PurePath) else "")
def test_typing_a_statement_gives_a_whole_analysis(source, path, settings):
    """A line of one body (its start) typed a character at a time at the start of a line in another,
    each keystroke (the body broken until the statement is whole) compared with a whole
    analysis, each analysis built on the one before."""
    rng = random.Random("typing " + str(path))
    data = source.read_bytes()
    bodies = FunctionBodies.of(parse(data), data)
    previous = analyze(data, settings, path)
    for _ in range(STATEMENTS_TYPED):
        if not bodies.starts:
            return
        index, other = rng.randrange(len(bodies.starts)), rng.randrange(len(bodies.starts))
        line_starts = [match.end() for match in re.compile(rb"\n").finditer(data, bodies.starts[index], bodies.ends[index] - 1)]
        typed = [line.strip() for line in data[bodies.starts[other] + 1:bodies.ends[other] - 1].split(b"\n") if line.strip()]
        if not line_starts or not typed:
            continue
        at, line = rng.choice(line_starts), rng.choice(typed)[:CHARACTERS_TYPED]
        for length in range(1, len(line) + 1):
            edited = data[:at] + line[:length] + b" " + data[at:]
            try:
                edited.decode("utf-8")
            except UnicodeDecodeError:
                continue
            result = analyze_after_edit(previous, edited, settings, path, parse(edited))
            assert _observed(result) == _observed(analyze(edited, settings, path)), f"after editing {path} into:\n{edited.decode()}"
            previous = result
        data = edited
        bodies = FunctionBodies.of(parse(data), data)


def _random_layout_edit(rng: random.Random, data: bytes) -> bytes | None:
    """``data`` with spaces or tabs added to, or taken from, a random run of whitespace
    anywhere in the file (between items, fields or statements, or anywhere else: inside an
    expression, a string, a comment, a macro's tokens)."""
    runs = [run.span() for run in BLANK_RUN.finditer(data)]
    if not runs:
        return None
    start, end = rng.choice(runs)
    at = rng.randrange(start, end + 1)
    if rng.randrange(2) or end == start:
        return data[:at] + rng.choice((b" ", b"  ", b"\t", b"    ")) + data[at:]
    low = rng.randrange(start, end)
    return data[:low] + data[rng.randrange(low + 1, end + 1):]


@pytest.mark.parametrize(("source", "path", "settings"), _cases(), ids=lambda value: str(value) if isinstance(value, PurePath) else "")
def test_random_layout_edits_give_a_whole_analysis(source, path, settings):
    """Blanks widened or narrowed anywhere: where no rule can see it (between items, fields
    or statements) the previous findings are moved, elsewhere the file is analysed again;
    either way as a whole analysis."""
    rng = random.Random("layout " + str(path))
    data = source.read_bytes()
    previous = analyze(data, settings, path)
    for _ in range(EDITS_PER_FILE):
        edited = _random_layout_edit(rng, data)
        if edited is None:
            continue
        result = analyze_after_edit(previous, edited, settings, path, parse(edited))
        assert _observed(result) == _observed(analyze(edited, settings, path)), f"after editing {path} into:\n{edited.decode()}"
        data, previous = edited, result


HOST = b"""use std::collections::HashMap;

pub struct Secrets {
    store: HashMap<String, String>,
}

impl Secrets {
    pub fn get(&self, tenant: &str, name: &str) -> Option<String> {
        let key = format!("{}/{}", tenant, name);
        self.store.get(&key).cloned()
    }

    pub fn count(&self) -> usize {
        self.store.len()
    }
}

pub fn helper(value: u32) -> u32 {
    value + 1
}
"""


def _edited(data: bytes, before: bytes, after: bytes) -> bytes:
    assert data.count(before) == 1
    return data.replace(before, after)


@pytest.mark.parametrize(
    ("before", "after", "by_function"),
    [
        (b"value + 1", b"value + 2", True),  # inside a body
        (b"self.store.len()", b"self.store.len() + helper(1) as usize", True),  # a new link, still inside
        (b"pub fn helper", b"/// Adds one.\npub fn helper", False),  # outside every body
        (b"value: u32) -> u32", b"value: u64) -> u32", False),  # a signature: the items change
        (b"    store: HashMap", b"    cache: HashMap<String, u8>,\n    store: HashMap", False),  # a struct
        (b"value + 1\n}", b"value + 1\n}\n}", False),  # the body's end moves: the tree outside changes
        (b"}\n\npub fn helper", b"}\n  \npub fn helper", True),  # blanks between items
        (b"    store: HashMap", b"      store: HashMap", True),  # blanks between fields
        (b"    pub fn count", b"\tpub fn count", True),  # between an impl's items
        (b"\n        self.store.len()", b"\n            self.store.len()", True),  # between a body's statements
        (b"HashMap<String, String>", b"HashMap<String,   String>", False),  # inside a type: its text changes
    ],
)
def test_only_edits_inside_one_body_are_analysed_by_function(before, after, by_function):
    _assert_analysed_after_edit(HOST, before, after, by_function)


def _assert_analysed_after_edit(source: bytes, before: bytes, after: bytes, by_function: bool) -> None:
    """The edit of ``before`` into ``after`` in ``source`` is analysed by function or not, as
    said, and either way gives a whole analysis's findings."""
    settings = DEFAULT_CONFIG.settings
    previous = analyze(source, settings)
    edited = _edited(source, before, after)
    result = analyze_after_edit(previous, edited, settings, None, parse(edited))
    assert result.by_function == by_function
    assert _observed(result) == _observed(analyze(edited, settings))


def test_an_edit_reaching_most_functions_of_a_large_file_is_analysed_whole(monkeypatch):
    """Every method names the struct it keeps: an edit of one reaches them all, and the copy
    would be the whole file (this one counted as large)."""
    monkeypatch.setattr(function_edits, "LARGE_FILE_BYTES", 0)
    methods = "".join(f"    pub fn get_{n}(&self, tenant: &str) -> Option<String> {{\n        self.store.get(tenant).cloned()\n    }}\n" for n in range(4))
    data = HOST.replace(b"    pub fn count", methods.encode() + b"    pub fn count")
    settings = DEFAULT_CONFIG.settings
    previous = analyze(data, settings)
    edited = _edited(data, b"value + 1", b"value + 2")
    assert analyze_after_edit(previous, edited, settings, None, parse(edited)).by_function  # `helper` alone
    edited = _edited(data, b"self.store.len()", b"self.store.len() + 1")
    result = analyze_after_edit(previous, edited, settings, None, parse(edited))
    assert not result.by_function
    assert _observed(result) == _observed(analyze(edited, settings))


TYPE_NAME = re.compile(rb"\b(?:struct|enum|union|type|trait)\s+([A-Za-z_][A-Za-z0-9_]*)")
FUNCTION_NAME = re.compile(rb"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)")
FIELD_NAME = re.compile(rb"^\s*(?:pub(?:\([a-z]+\))?\s+)?([a-z_][a-z0-9_]*)\s*:", re.M)


def _random_naming_edit(rng: random.Random, data: bytes) -> bytes | None:
    """``data`` with a statement inserted strictly inside a random function body that names
    what the file declares the ways links between bodies are told apart: a type as a map's
    key, built (`T { .. }`, `T::new(..)`) or only named; a function (or method) called; a
    field by its bare name."""
    bodies = FunctionBodies.of(parse(data), data)
    if not bodies.starts:
        return None
    index = rng.randrange(len(bodies.starts))
    line_starts = [match.end() for match in re.compile(rb"\n").finditer(data, bodies.starts[index], bodies.ends[index] - 1)]
    types, functions, fields = TYPE_NAME.findall(data), FUNCTION_NAME.findall(data), FIELD_NAME.findall(data)
    if not line_starts:
        return None
    kind = rng.randrange(6)
    if kind == 0 and types:
        statement = b"let keyed: HashMap<" + rng.choice(types) + b", String> = HashMap::new();"
    elif kind == 1 and types:
        statement = b"let built = " + rng.choice(types) + rng.choice((b" { };", b"::new();", b"::default();"))
    elif kind == 2 and types:
        statement = b"let named: Option<" + rng.choice(types) + b"> = None;"
    elif kind == 3 and functions:
        name = rng.choice(functions)
        statement = rng.choice((b"", b"self.", b"state.")) + name + b"(tenant_id, &key);"
    elif kind == 4 and fields:
        statement = b"let " + rng.choice(fields) + b" = key.clone();"
    elif kind == 5 and fields:
        statement = b"cache.insert(" + rng.choice(fields) + b", value);"
    else:
        return None
    at = rng.choice(line_starts)
    return data[:at] + statement + b"\n" + data[at:]


@pytest.mark.parametrize(("source", "path", "settings"), _cases(), ids=lambda value: str(value) if isinstance(value, PurePath) else "")
def test_random_naming_edits_give_a_whole_analysis(source, path, settings):
    """Statements naming the file's types, functions and fields inserted into bodies, one
    after another (each first in part, as typed: its first character, then half of it),
    each compared with a whole analysis: the links that decide which functions an edit
    reaches."""
    rng = random.Random("naming " + str(path))
    data = source.read_bytes()
    previous = analyze(data, settings, path)
    for _ in range(EDITS_PER_FILE // 4):
        edited = _random_naming_edit(rng, data)
        if edited is None:
            continue
        at = next(offset for offset, (old, new) in enumerate(zip(data, edited)) if old != new)
        statement = edited[at:len(edited) - (len(data) - at)]
        for length in sorted({1, len(statement) // 2, len(statement)}):
            typed = data[:at] + statement[:length] + data[at:]
            result = analyze_after_edit(previous, typed, settings, path, parse(typed))
            assert _observed(result) == _observed(analyze(typed, settings, path)), f"after editing {path} into:\n{typed.decode()}"
            previous = result
        data = edited


LINKED = b"""use std::collections::HashMap;

pub struct TenantId(String);

pub struct Alpha {
    entries: HashMap<String, String>,
}

pub struct Beta {
    entries: HashMap<String, String>,
}

impl Alpha {
    pub fn get(&self, tenant: &TenantId, name: &str) -> Option<String> {
        self.entries.get(name).cloned()
    }
}

impl Beta {
    pub fn get(&self, tenant: &TenantId, name: &str) -> Option<String> {
        self.entries.get(name).cloned()
    }
}

pub fn lookup(tenant: &TenantId) -> usize {
    1
}
"""


def _reach_of(data: bytes, function_name: bytes, extra: bytes = b"", rules=None) -> set[bytes]:
    """The names of the functions an edit of the body of the first function named
    ``function_name`` reaches (``extra``: text its body gained), for ``rules`` (those that
    may fire on ``data`` by default)."""
    from isolint.checks.function_edits import Mentions

    bodies = FunctionBodies.of(parse(data), data)
    names = [own[0] if own is not None else None for own in bodies.own_names]
    index = names.index(function_name)
    rules = rules_to_run(DEFAULT_CONFIG.settings, data)[0] if rules is None else rules
    reach = bodies.linked_to(index, Mentions.of(extra), function_edits._linking_types(rules, bodies, index, Mentions.of(extra), (extra, extra)))
    return {names[body] for body in reach.bodies}


def test_a_type_every_function_names_links_none_of_them():
    assert _reach_of(LINKED, b"lookup") == {b"lookup"}


def test_same_named_methods_are_linked_only_through_a_call_of_that_name():
    assert _reach_of(LINKED, b"get") == {b"get"}
    # A call of `get` links whoever calls it with every function declaring it.
    assert _reach_of(LINKED, b"lookup", b"registry.get(tenant, name)") == {b"lookup", b"get"}
    bodies = FunctionBodies.of(parse(LINKED), LINKED)
    assert sum(1 for own in bodies.own_names if own is not None and own[0] == b"get") == 2


def test_a_type_named_as_a_map_key_links_the_bodies_naming_it():
    """ISO203 reports a struct by the maps keyed by it: an edit that may add or remove such
    a map reaches every function naming the struct (``Rule.type_declaration_words``)."""
    from isolint.checks.rules import all_rules

    key_structs = [rule for rule in all_rules() if rule.code == "ISO203"]
    assert _reach_of(LINKED, b"lookup", b"let keyed: HashMap<TenantId, u8> = HashMap::new();", key_structs) == {b"lookup", b"get"}
    assert _reach_of(LINKED, b"lookup", b"let named: Option<TenantId> = None;", key_structs) == {b"lookup"}


@pytest.mark.parametrize(
    ("before", "after", "by_function"),
    [
        (b"    1\n}", b"    let named: Option<TenantId> = None;\n    1\n}", True),
        (b"    1\n}", b"    let built = Alpha { entries: HashMap::new() };\n    1\n}", False),  # what the body builds changed
        (b"    1\n}", b"    let keyed: HashMap<TenantId, u8> = maps.take();\n    1\n}", True),
    ],
)
def test_edits_naming_types_are_analysed_as_a_whole_analysis(before, after, by_function):
    _assert_analysed_after_edit(LINKED, before, after, by_function)


def test_a_document_the_workspace_model_has_not_caught_up_with_gets_the_same_findings():
    """An editor's document is analysed against the model of its last saved or paused text:
    findings that ask the model which names the file spells (ISO205's lookups) are those of
    a model of the document itself."""
    from isolint.checks.workspace import WorkspaceModel

    path = "src/lookups.rs"
    data = (FIXTURE_DIR / "ISO205_owner_unchecked_lookups.rs").read_bytes()
    settings = DEFAULT_CONFIG.settings
    stale = data + b"\n// typed since the model was built\n"
    behind = WorkspaceModel.of_file(path, parse(stale), stale)
    current = WorkspaceModel.of_file(path, parse(data), data)
    expected = analyze(data, settings, PurePath(path), workspace=current)
    assert [f.code for f in expected.findings].count("ISO205") >= 2
    assert _observed(analyze(data, settings, PurePath(path), workspace=behind)) == _observed(expected)
