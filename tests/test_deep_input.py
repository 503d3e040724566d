"""Generated input nested thousands of levels deep: analysed like its shallow twin, at a cost
that grows linearly, or reported as skipped; never an internal error.

Before these walks were iterative and parents came from ``checks.ancestry``, 1,000 nested
``format!`` calls failed ISO202 with a RecursionError, a key in 14 parentheses lost its
finding to a depth cap, and a method chain of 20,000 calls took minutes."""

from __future__ import annotations

import random
import time
from pathlib import Path, PurePath

import pytest

from isolint.checks.ancestry import Ancestry
from isolint.checks.config import default_settings
from isolint.checks.engine import analyze
from isolint.checks.parsing import parse

from tests.test_cli_check import isolint, write

FIXTURES = Path(__file__).parent / "fixtures"


def nested_format_key(depth: int) -> bytes:
    """A state key built from `flow_id` inside ``depth`` nested ``format!`` calls (ISO202)."""
    key = "flow_id"
    for _ in range(depth):
        key = f'format!("{{}}:x", {key})'
    return (f"pub fn save(store: &StateStore, flow_id: &str) {{\n    let key = {key};\n    store.put(&key, 1);\n}}\n").encode()


def key_in_parentheses(depth: int) -> bytes:
    """A secret read with a bare key inside ``depth`` parentheses (ISO101)."""
    return (f"pub fn api_key(secrets: &dyn SecretsBackend, name: &str) -> Option<String> {{\n"
            f"    secrets.get_secret({'(' * depth}name{')' * depth})\n}}\n").encode()


def insert_chain(calls: int) -> bytes:
    """A chain of ``calls`` map inserts keyed by a flow id: every call is a candidate of the
    keyed-collection rules, each one level deeper in the tree than the next."""
    return ("fn register(flows: &mut HashMap<String, u8>, flow_id: String) {\n    flows"
            + ".insert(flow_id.clone(), 1)" * calls + ";\n}\n").encode()


def lookup_chain(calls: int) -> bytes:
    return "fn read(cache: &Cache, flow_id: &str) {\n    let found = cache" .encode() + b".get(flow_id)" * calls + b";\n}\n"


# Other shapes that nest without bound, each with the kind of code rules look into.
DEEP_SHAPES = {
    "blocks": lambda n: "fn f(flow_id: &str) {\n" + "{" * n + "CACHE.insert(flow_id.to_string(), 1);" + "}" * n + "\n}\n",
    "closures": lambda n: "fn f(flow_id: &str) {\n    let g = " + "|| " * n + "CACHE.insert(flow_id.to_string(), 1);\n}\n",
    "ifs": lambda n: "fn f(flow_id: &str, c: bool) {\n" + "if c {" * n + "CACHE.insert(flow_id.to_string(), 1);" + "}" * n + "\n}\n",
    "match arms": lambda n: "fn f(flow_id: &str, x: u8) {\n" + "match x { _ => " * n + "CACHE.insert(flow_id.to_string(), 1)" + " }" * n + ";\n}\n",
    "right-nested concatenation": lambda n: 'pub fn f(store: &S, flow_id: &str) {\n    let key = ' + '"a" + (' * n + "flow_id" + ")" * n + ";\n    store.put(&key, 1);\n}\n",
    "field chain": lambda n: "fn f(ctx: &Ctx) {\n    let s = get_secret(&ctx" + ".a" * n + ");\n}\n",
    "path": lambda n: "fn f() {\n    let s = get_secret(a" + "::b" * n + ");\n}\n",
    "use tree": lambda n: "use a" + "::{b" * n + "}" * n + ";\nfn f() {}\n",
    "modules": lambda n: "mod m {" * n + "fn f(flow_id: &str) { CACHE.insert(flow_id.to_string(), 1); }" + "}" * n + "\n",
    "references": lambda n: "fn f(name: &str) {\n    let s = get_secret(" + "&" * n + "name);\n}\n",
    "tuples": lambda n: "fn f(flow_id: &str) {\n    CACHE.insert(" + "(" * n + "flow_id" + ",)" * n + ", 1);\n}\n",
    "indexing": lambda n: "fn f(a: &A) {\n    let s = get_secret(a" + "[0]" * n + ");\n}\n",
    "struct literals": lambda n: "fn f(flow_id: &str) {\n    CACHE.insert(" + "K { a: " * n + "flow_id" + " }" * n + ", 1);\n}\n",
    "let chain": lambda n: "pub fn save(store: &StateStore, flow_id: &str) {\n    let k0 = flow_id;\n"
                           + "".join(f"    let k{i} = k{i - 1};\n" for i in range(1, n)) + f"    store.put(&format!(\"s:{{}}\", k{n - 1}), 1);\n}}\n",
    "macro token trees": lambda n: "fn f(flow_id: &str) {\n    m!(" + "(" * n + "flow_id" + ")" * n + ");\n}\n",
    "arrays": lambda n: "fn f(flow_id: &str) {\n    let k = " + "[" * n + "flow_id" + "]" * n + ".join(\":\");\n    CACHE.insert(k, 1);\n}\n",
    "generic wrappers": lambda n: "static CACHE: Mutex<" + "Arc<" * n + "HashMap<String, u8>" + ">" * n + "> = todo!();\n"
                                  "fn f(flow_id: &str) { CACHE.lock().insert(flow_id.to_string(), 1); }\n",
}


def lint(data: bytes, path: str = "src/lib.rs"):
    return analyze(data, default_settings(), PurePath(path))


def codes(result) -> list[str]:
    return [finding.code for finding in result.findings]


@pytest.mark.parametrize("depth", [1_000, 5_000])
def test_nested_format_calls_are_analysed_like_a_shallow_one(depth):
    shallow, deep = lint(nested_format_key(2)), lint(nested_format_key(depth))
    assert not deep.rule_failures, deep.rule_failures[0].detail
    assert codes(shallow) == ["ISO202"]
    assert codes(deep) == codes(shallow)
    assert "`flow_id`" in deep.findings[0].message


@pytest.mark.parametrize("depth", [1, 14, 20, 1_000])
def test_a_key_in_many_parentheses_is_still_found(depth):
    result = lint(key_in_parentheses(depth))
    assert not result.rule_failures, result.rule_failures[0].detail
    assert codes(result) == ["ISO101"]


@pytest.mark.parametrize("shape", sorted(DEEP_SHAPES))
def test_deep_shapes_fail_no_rule_and_find_what_their_shallow_twin_finds(shape):
    make = DEEP_SHAPES[shape]
    shallow, deep = lint(make(3).encode()), lint(make(3_000).encode())
    assert not deep.rule_failures, deep.rule_failures[0].detail
    if deep.rule_skips:
        # Only type text is read to a bounded depth, and the rule says it skipped.
        assert shape == "generic wrappers", deep.rule_skips
        assert {code for code, _ in deep.rule_skips} == {"ISO401"}
        assert all("nested more than 64 levels deep" in why for _, why in deep.rule_skips)
        return
    assert codes(deep) == codes(shallow)


def _best_time(data: bytes) -> float:
    """The least CPU time of this process over a few runs: waiting while other processes
    run (the suite beside an editor, a parallel build) does not count."""
    timings = []
    for _ in range(3):
        started = time.process_time()
        result = lint(data)
        timings.append(time.process_time() - started)
        assert not result.rule_failures, result.rule_failures[0].detail
    return min(timings)


@pytest.mark.parametrize("chain", [insert_chain, lookup_chain], ids=["inserts", "lookups"])
def test_a_method_chain_costs_time_linear_in_its_length(chain):
    """4 times the calls may cost at most 8 times the time (linear is 4, quadratic 16):
    generous, since the machine's load varies, and a ratio, since its speed does."""
    lint(chain(100))  # compiles the queries, imports the rules: not part of either timing
    short, long = _best_time(chain(5_000)), _best_time(chain(20_000))
    assert long < 8 * short, f"5,000 calls: {short:.3f} s; 20,000 calls: {long:.3f} s"


def test_the_cli_reports_a_rule_skipped_on_a_type_too_deep_to_read(tmp_path):
    write(tmp_path / "lib.rs", DEEP_SHAPES["generic wrappers"](200))
    completed = isolint(tmp_path, "check", "--no-cache", "lib.rs")
    assert "internal error" not in completed.stderr
    assert "error: lib.rs: rule ISO401 skipped: a type nested more than 64 levels deep" in completed.stderr
    # ISO201 reads the declared type from the tree, not as type text: it still reports.
    assert "warning[ISO201]" in completed.stdout
    assert completed.stdout.endswith("Found 1 finding in 1 file. 1 file was checked only in part (see above).\n")
    assert completed.returncode == 2


def test_the_cli_analyses_a_thousand_nested_format_calls(tmp_path):
    write(tmp_path / "lib.rs", nested_format_key(1_000))
    completed = isolint(tmp_path, "check", "--no-cache", "lib.rs")
    assert completed.stderr == ""
    assert "warning[ISO202]" in completed.stdout and "Found 1 finding in 1 file." in completed.stdout
    assert completed.returncode == 1


def _all_nodes(tree):
    nodes, pending = [], [tree.root_node]
    while pending:
        node = pending.pop()
        nodes.append(node)
        pending.extend(node.children)
    return nodes


@pytest.mark.parametrize("order", ["source", "random"])
def test_ancestry_gives_the_parents_tree_sitter_gives(order):
    sources = [path.read_bytes() for path in sorted(FIXTURES.glob("rules/*.rs"))[:40]]
    sources += [b"fn f( { let x = ; a.b(.c; } struct", b"fn f() { g(1,,) }", insert_chain(50), key_in_parentheses(30)]
    shuffle = random.Random(7).shuffle
    for data in sources:
        tree = parse(data)
        nodes = _all_nodes(tree)
        if order == "source":
            nodes.sort(key=lambda node: (node.start_byte, -node.end_byte))
        else:
            shuffle(nodes)
        ancestry = Ancestry(tree.root_node)
        for node in nodes:
            expected, found = node.parent, ancestry.parent(node)
            assert (found.id if found else None) == (expected.id if expected else None), (data[:60], node)


def test_ancestry_answers_for_a_node_of_another_tree():
    mine, other = parse(b"fn a() { b(c) }"), parse(b"struct S { field: u8 }\nfn z() {}\n")
    ancestry = Ancestry(mine.root_node)
    field = other.root_node.named_children[0]
    assert ancestry.parent(field).id == other.root_node.id
