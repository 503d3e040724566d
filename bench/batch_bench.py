"""Benchmark `isolint check` against the raw parse and ast-grep on a large corpus.

    python bench/batch_bench.py [CORPUS] [--rounds 5] [--megabytes 12]

Without CORPUS, the deterministic corpus of ``bench/generate_corpus.py`` is written to a
temporary folder. Runs are interleaved (one of each per round) so machine load drifts hit
every contender alike, and medians are printed: wall time, CPU time (user + system of the
process and its workers), and ratios against the targets. Also compares `isolint check`
on one small file with a Python process that only imports tree-sitter and parses it (that
pair runs several times a round, side by side).

Contenders:
  isolint cold    --cache-dir pointing at an empty folder (analyses everything, writes cache)
  isolint warm    the same cache, already filled by the cold run of that round
  raw parse       one Python process reading and parsing every file with tree-sitter
  parse + rules' query
                  the same, plus one run of the rules' combined whole-file query per tree:
                  the floor of any design that finds candidates with tree-sitter queries
  ast-grep        `ast-grep scan` with rules for the same candidate shapes (bench/ast_grep)
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "scripts"))

from generate_corpus import generate  # noqa: E402
from source_layout import installed_layout  # noqa: E402

RAW_PARSE = """
import os, sys, tree_sitter, tree_sitter_rust
parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_rust.language()))
for directory, _, names in os.walk(sys.argv[1]):
    for name in names:
        if name.endswith(".rs"):
            with open(os.path.join(directory, name), "rb") as stream:
                parser.parse(stream.read())
"""
# The floor of any design that finds candidates with tree-sitter queries: the same parse,
# plus one run of the rules' combined whole-file query (as `isolint check` compiles it) over
# each tree, with no rule judging anything.
PARSE_AND_QUERY = """
import os, sys, tree_sitter
from isolint.checks.config import default_settings
from isolint.checks.parsing import RUST, new_parser
sources = dict.fromkeys(q for queries in default_settings().rule_queries.values() for q in queries)
query = tree_sitter.Query(RUST, "\\n".join(sources))
parser = new_parser()
for directory, _, names in os.walk(sys.argv[1]):
    for name in names:
        if name.endswith(".rs"):
            with open(os.path.join(directory, name), "rb") as stream:
                tree_sitter.QueryCursor(query).matches(parser.parse(stream.read()).root_node)
"""

# A run of tens of milliseconds moves with every scheduler hiccup: the small-file pair runs
# several times per round, side by side, so its median rests on more than one sample a round.
SMALL_FILE_PAIRS_PER_ROUND = 8

TARGETS = {
    "cold / ast-grep wall": 1.0,
    "warm / ast-grep wall": 0.2,
    "cold CPU / raw parse CPU": 1.5,
    "small file / parse-only process": 2.0,
}


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} not found; install the bench extra: pip install -e '.[bench]'")
    return found


def measure(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, children included) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({completed.returncode}): {completed.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def corpus_size(corpus: Path) -> tuple[int, int]:
    files = [p for p in corpus.rglob("*.rs")]
    return len(files), sum(p.stat().st_size for p in files)


def _small_file(folder: Path) -> Path:
    small = folder / "small.rs"
    small.write_text(
        "use std::collections::HashMap;\n\n"
        "pub struct Registry {\n    flows: HashMap<String, String>,\n}\n\n"
        "impl Registry {\n    pub fn add(&mut self, flow_id: String, body: String) {\n"
        "        self.flows.insert(flow_id, body);\n    }\n}\n"
    )
    return small


def _snapshot_engine(work: Path) -> Path:
    """Copy the engine and CLI, so that edits to the working tree during the run neither
    invalidate the warm cache (its key covers the engine's modules) nor mix versions."""
    snapshot = installed_layout(REPO, work / "engine")
    # Byte-compiled as `pip install` does: under PYTHONDONTWRITEBYTECODE every run would
    # otherwise recompile the sources, a cost no installed isolint pays.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(snapshot)], check=True)
    return snapshot


def run(corpus: Path, rounds: int) -> None:
    ast_grep = _tool("ast-grep")
    files, size = corpus_size(corpus)
    print(f"corpus: {corpus} — {files} files, {size / 1e6:.1f} MB; {os.cpu_count()} cores; {rounds} rounds, interleaved\n")
    work = Path(tempfile.mkdtemp(prefix="isolint-bench-"))
    small = _small_file(work)
    os.environ["PYTHONPATH"] = str(_snapshot_engine(work))
    isolint = [sys.executable, "-m", "isolint"]
    check = [*isolint, "check", "--quiet", "--exit-zero", str(corpus)]
    samples: dict[str, list[tuple[float, float]]] = {}
    try:
        for round_number in range(rounds):
            cache = work / f"cache-{round_number}"
            contenders = {
                "isolint cold": [*check, "--cache-dir", str(cache)],
                "isolint warm": [*check, "--cache-dir", str(cache)],
                "raw parse": [sys.executable, "-c", RAW_PARSE, str(corpus)],
                "parse + rules' query": [sys.executable, "-c", PARSE_AND_QUERY, str(corpus)],
                "ast-grep scan": [ast_grep, "scan", "-c", str(HERE / "ast_grep" / "sgconfig.yml"), str(corpus)],
            }
            for name, command in contenders.items():
                samples.setdefault(name, []).append(measure(command, work))
            small_file_pair = {
                "isolint small file": [*isolint, "check", "--no-cache", str(small)],
                "parse-only process": [sys.executable, "-c", RAW_PARSE, str(work)],
            }
            for _ in range(SMALL_FILE_PAIRS_PER_ROUND):
                for name, command in small_file_pair.items():
                    samples.setdefault(name, []).append(measure(command, work))
            print(f"round {round_number + 1}/{rounds} done", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    medians = {name: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)) for name, runs in samples.items()}
    print(f"{'contender':<22}{'wall (s)':>10}{'CPU (s)':>10}{'MB/s wall':>11}")
    for name, (wall, cpu) in medians.items():
        throughput = f"{size / 1e6 / wall:>11.1f}" if "small" not in name and "parse-only" not in name else f"{'':>11}"
        print(f"{name:<22}{wall:>10.3f}{cpu:>10.3f}{throughput}")
    ratios = {
        "cold / ast-grep wall": medians["isolint cold"][0] / medians["ast-grep scan"][0],
        "warm / ast-grep wall": medians["isolint warm"][0] / medians["ast-grep scan"][0],
        "cold CPU / raw parse CPU": medians["isolint cold"][1] / medians["raw parse"][1],
        "small file / parse-only process": medians["isolint small file"][0] / medians["parse-only process"][0],
    }
    print(f"\n{'ratio':<34}{'measured':>10}{'target':>10}")
    for name, value in ratios.items():
        verdict = "met" if value <= TARGETS[name] else "MISSED"
        print(f"{name:<34}{value:>10.2f}{TARGETS[name]:>9.1f}x  {verdict}")
    # On a shared machine wall times follow the neighbours' load; CPU times do not.
    print(f"{'cold / ast-grep CPU':<34}{medians['isolint cold'][1] / medians['ast-grep scan'][1]:>10.2f}")
    print(f"{'warm / ast-grep CPU':<34}{medians['isolint warm'][1] / medians['ast-grep scan'][1]:>10.2f}")
    print(f"{'small file / parse-only CPU':<34}{medians['isolint small file'][1] / medians['parse-only process'][1]:>10.2f}")
    floor = medians["parse + rules' query"][1] / medians["raw parse"][1]
    print(f"{'parse + rules query / parse CPU':<34}{floor:>10.2f}  (the floor of a query-based design)")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} (1 min)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, help="folder of .rs files (default: generate one)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--megabytes", type=float, default=12.0, help="size of the generated corpus")
    args = parser.parse_args()
    if args.corpus is not None:
        run(args.corpus, args.rounds)
        return
    with tempfile.TemporaryDirectory(prefix="isolint-corpus-") as folder:
        corpus = Path(folder) / "corpus"
        generate(corpus, args.megabytes, seed=7)
        run(corpus, args.rounds)


if __name__ == "__main__":
    main()
