"""The ecosystem check: isolint on real codebases, this checkout against a base ref.

    python scripts/ecosystem.py export MIRRORS        # export the corpus at its recorded commits
    python scripts/ecosystem.py run --base origin/main  # added/removed findings, precision
    python scripts/ecosystem.py run --unread-stubs      # verdict stubs for unread findings

The corpus (``ecosystem/corpus.toml``) lists repositories and commits; each is exported to
``CORPUS/owner__name``. Verdicts (``ecosystem/verdicts/owner__name.jsonl``) say for each
finding read whether a reviewer of a multi-tenant host wants to see it: TRUE, FALSE or
UNSURE, with a one-line why. They are keyed by the finding's path within the repository and
its baseline fingerprint (rule code, enclosing items and source text), so they survive line
shifts. Precision per repository is TRUE / (TRUE + FALSE) over the findings reported now;
the findings with no verdict are listed, so nothing reported goes unread.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import NamedTuple

from source_layout import installed_layout

ROOT = Path(__file__).resolve().parent.parent
CORPUS_FILE = ROOT / "ecosystem" / "corpus.toml"
VERDICTS_DIR = ROOT / "ecosystem" / "verdicts"
DEFAULT_CORPUS_DIR = ROOT.parent / "corpus"
VERDICTS = ("TRUE", "FALSE", "UNSURE")
EXPORTED_SUFFIXES = (".rs", ".toml")


class Repository(NamedTuple):
    name: str
    commit: str
    multi_tenant: bool

    @property
    def folder(self) -> str:
        return self.name.replace("/", "__")


class Reported(NamedTuple):
    """One finding, identified as its verdict is: path in the repository + fingerprint."""

    path: str
    fingerprint: str
    code: str
    line: int
    message: str

    @property
    def key(self) -> tuple[str, str]:
        return self.path, self.fingerprint

    def describe(self) -> str:
        return f"{self.path}:{self.line}: {self.code} {self.message}"


def load_corpus() -> list[Repository]:
    document = tomllib.loads(CORPUS_FILE.read_text())
    return [Repository(entry["name"], entry["commit"], entry.get("multi-tenant", True)) for entry in document["repository"]]


def load_verdicts(repository: Repository) -> dict[tuple[str, str], dict]:
    file = VERDICTS_DIR / f"{repository.folder}.jsonl"
    verdicts: dict[tuple[str, str], dict] = {}
    if not file.exists():
        return verdicts
    for number, line in enumerate(file.read_text().splitlines(), 1):
        if not line.strip():
            continue
        entry = json.loads(line)
        if entry.get("verdict") not in VERDICTS:
            raise SystemExit(f"{file}:{number}: verdict must be one of {', '.join(VERDICTS)}, got {entry.get('verdict')!r}")
        verdicts[(entry["path"], entry["fingerprint"])] = entry
    return verdicts


def export(mirrors: Path, corpus_dir: Path) -> None:
    """Export each repository's Rust and TOML files at its commit from a local git mirror
    (``MIRRORS/owner+name/repo`` as the search tool's fetch lays them out, or ``MIRRORS/owner__name``)."""
    for repository in load_corpus():
        candidates = [mirrors / repository.name.replace("/", "+") / "repo", mirrors / repository.folder]
        git_dir = next((c for c in candidates if c.exists()), None)
        if git_dir is None:
            print(f"{repository.name}: no mirror under {mirrors}", file=sys.stderr)
            continue
        files = subprocess.run(["git", "-C", str(git_dir), "ls-tree", "-r", "-z", "--name-only", repository.commit],
                               check=True, capture_output=True).stdout.split(b"\0")
        wanted = [f for f in files if f.decode(errors="replace").endswith(EXPORTED_SUFFIXES)]
        target = corpus_dir / repository.folder
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(git_dir), "archive", "--format=tar", repository.commit, "--", *[f.decode() for f in wanted]],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
        print(f"{repository.name}: {len(wanted)} files at {repository.commit[:12]} -> {target}")


def run_isolint(source_root: Path, repository_dir: Path, cache_dir: Path) -> list[Reported]:
    """isolint from ``source_root`` (a checkout, in its installed layout) on one repository,
    as JSON findings."""
    with tempfile.NamedTemporaryFile(suffix=".json") as output:
        environment = dict(os.environ, PYTHONPATH=str(source_root))
        completed = subprocess.run(
            [sys.executable, "-m", "isolint", "check", str(repository_dir), "--format", "json", "--exit-zero",
             "--quiet", "--cache-dir", str(cache_dir), "-o", output.name],
            cwd=source_root, env=environment, capture_output=True, text=True,
        )
        if completed.returncode != 0:
            raise SystemExit(f"isolint from {source_root} failed on {repository_dir} ({completed.returncode}):\n{completed.stderr}")
        findings = json.loads(Path(output.name).read_text() or "[]")
    return sorted(
        (Reported(str(Path(f["path"]).resolve().relative_to(repository_dir.resolve())), f["fingerprint"], f["code"],
                  f["range"]["start"]["line"], f["message"]) for f in findings),
        key=lambda r: (r.path, r.line, r.code),
    )


def base_checkout(ref: str, into: Path) -> Path:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--force", str(into), ref],
                   check=True, capture_output=True)
    return into


def precision_line(reported: list[Reported], verdicts: dict, multi_tenant: bool) -> tuple[str, list[Reported]]:
    counts = {verdict: 0 for verdict in VERDICTS}
    unread = []
    for finding in reported:
        entry = verdicts.get(finding.key)
        if entry is None:
            unread.append(finding)
        else:
            counts[entry["verdict"]] += 1
    judged = counts["TRUE"] + counts["FALSE"]
    precision = f"{100 * counts['TRUE'] / judged:.0f} %" if judged else "n/a"
    kind = "multi-tenant" if multi_tenant else "single-tenant noise check"
    return (f"{len(reported)} findings ({kind}): {counts['TRUE']} true, {counts['FALSE']} false, "
            f"{counts['UNSURE']} unsure, {len(unread)} unread; precision {precision}"), unread


def stub(finding: Reported) -> str:
    return json.dumps({"path": finding.path, "fingerprint": finding.fingerprint, "code": finding.code,
                       "line": finding.line, "message": finding.message, "verdict": "", "why": ""})


def run(args) -> int:
    corpus_dir: Path = args.corpus
    cache_root = corpus_dir / ".isolint_cache"
    selected = [r for r in load_corpus() if not args.repo or r.name in args.repo or r.folder in args.repo]
    base_root = None
    scratch = Path(tempfile.mkdtemp(prefix="isolint-ecosystem-"))
    try:
        head_root = installed_layout(ROOT, scratch / "head")
        if args.base:
            base_checkout_root = base_checkout(args.base, scratch / "base-checkout")
            base_root = installed_layout(base_checkout_root, scratch / "base")
        missing_verdicts = 0
        summary_rows = []
        for repository in selected:
            repository_dir = corpus_dir / repository.folder
            if not repository_dir.is_dir():
                print(f"## {repository.name}: not exported (run `export` first)")
                continue
            now = run_isolint(head_root, repository_dir, cache_root / "head")
            verdicts = load_verdicts(repository)
            print(f"## {repository.name} @ {repository.commit[:12]}")
            if base_root is not None:
                before = run_isolint(base_root, repository_dir, cache_root / "base")
                before_keys = {f.key for f in before}
                now_keys = {f.key for f in now}
                for finding in before:
                    if finding.key not in now_keys:
                        print(f"- {finding.describe()}  [{verdict_of(verdicts, finding)}]")
                for finding in now:
                    if finding.key not in before_keys:
                        print(f"+ {finding.describe()}  [{verdict_of(verdicts, finding)}]")
                base_line, _ = precision_line(before, verdicts, repository.multi_tenant)
                print(f"before: {base_line}")
            line, unread = precision_line(now, verdicts, repository.multi_tenant)
            print(f"now:    {line}")
            summary_rows.append(f"{repository.name}: {line}")
            missing_verdicts += len(unread)
            if args.unread_stubs:
                for finding in unread:
                    print(stub(finding))
            elif unread:
                print("unread:")
                for finding in unread:
                    print(f"  {finding.describe()}")
            print()
        print("# summary")
        for row in summary_rows:
            print(row)
        return 1 if args.strict and missing_verdicts else 0
    finally:
        if base_root is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(scratch / "base-checkout")], capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)


def verdict_of(verdicts: dict, finding: Reported) -> str:
    entry = verdicts.get(finding.key)
    return f"{entry['verdict']}: {entry.get('why', '')}" if entry else "unread"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get("ISOLINT_ECOSYSTEM_CORPUS", DEFAULT_CORPUS_DIR)),
                        help="folder of exported repositories (default: ../corpus or $ISOLINT_ECOSYSTEM_CORPUS)")
    commands = parser.add_subparsers(dest="command", required=True)
    exporting = commands.add_parser("export", help="export the corpus from local git mirrors")
    exporting.add_argument("mirrors", type=Path)
    running = commands.add_parser("run", help="run isolint on the corpus and compare")
    running.add_argument("--base", help="git ref to compare against (a worktree of it is run)")
    running.add_argument("--repo", action="append", help="only this repository (owner/name), repeatable")
    running.add_argument("--unread-stubs", action="store_true", help="print unread findings as verdict stubs (JSON lines)")
    running.add_argument("--strict", action="store_true", help="exit 1 when a finding has no verdict")
    args = parser.parse_args()
    if args.command == "export":
        export(args.mirrors, args.corpus)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
