"""Benchmark `isolint report` against `isolint check` on the same workspace.

    python bench/report_bench.py [--path FOLDER] [--rounds 3] [--megabytes 13.6] [--jobs default,1]

The budget (the issue of `isolint report`): the report of a 1,000-file workspace takes no
more than 1.5× `isolint check` on it. Without --path, the deterministic corpus of
``bench/generate_corpus.py`` is written as a Cargo workspace (about 1,000 files) to a
temporary folder, so the workspace model applies as it does to a real host.

Each round runs, per jobs setting, interleaved so machine load drifts hit every contender
alike:
  cold    --no-cache
  warm    the same command's second run on its own --cache-dir (the first run fills it)
for `isolint check -q --exit-zero` (text to /dev/null) and `isolint report -q -o /dev/null`
in every report format that works here (a format whose renderer fails on a one-file
workspace is left out, and said so), plus the raw tree-sitter parse of the same files for
reference. Medians are printed: wall time, CPU time (user + system of the process and its
workers), and the ratios report / check against the budget.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from batch_bench import RAW_PARSE, _small_file, _snapshot_engine, corpus_size, measure  # noqa: E402
from generate_corpus import generate  # noqa: E402

BUDGET = 1.5
REPORT_FORMATS = ("json", "markdown", "html")


def _working_formats(isolint: list[str], work: Path) -> list[str]:
    """The report formats whose renderer runs here (the renderers land one by one)."""
    sample = work / "format-probe"
    sample.mkdir()
    _small_file(sample)
    working = []
    for output_format in REPORT_FORMATS:
        probe = subprocess.run([*isolint, "report", str(sample), "--no-cache", "-q", "--format", output_format, "-o", os.devnull],
                               cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if probe.returncode == 0:
            working.append(output_format)
        else:
            last_line = (probe.stderr.strip().splitlines() or ["no message"])[-1]
            print(f"report --format {output_format} left out: it fails here ({last_line})")
    return working


def _contenders(isolint: list[str], workspace: Path, formats: list[str]) -> dict[str, list[str]]:
    """Each contender's command line, cache options left out."""
    contenders = {"check": [*isolint, "check", str(workspace), "-q", "--exit-zero"]}
    for output_format in formats:
        contenders[f"report {output_format}"] = [*isolint, "report", str(workspace), "-q", "--format", output_format, "-o", os.devnull]
    return contenders


def run(workspace: Path, rounds: int, jobs_settings: list[str]) -> None:
    files, size = corpus_size(workspace)
    manifest = "a Cargo workspace" if (workspace / "Cargo.toml").is_file() else "no Cargo.toml at its root"
    print(f"workspace: {workspace} — {files} files, {size / 1e6:.1f} MB, {manifest}; "
          f"{os.cpu_count()} cores; {rounds} rounds, interleaved\n")
    work = Path(tempfile.mkdtemp(prefix="isolint-report-bench-"))
    samples: dict[str, list[tuple[float, float]]] = {}
    try:
        os.environ["PYTHONPATH"] = str(_snapshot_engine(work))
        isolint = [sys.executable, "-m", "isolint"]
        contenders = _contenders(isolint, workspace, _working_formats(isolint, work))
        for round_number in range(rounds):
            for jobs in jobs_settings:
                jobs_option = [] if jobs == "default" else ["--jobs", jobs]
                for name, command in contenders.items():
                    samples.setdefault(f"{name}, jobs {jobs}, cold", []).append(measure([*command, *jobs_option, "--no-cache"], work))
                for name, command in contenders.items():
                    cache = ["--cache-dir", str(work / f"cache-{round_number}-{jobs}-{name.replace(' ', '-')}")]
                    measure([*command, *jobs_option, *cache], work)
                    samples.setdefault(f"{name}, jobs {jobs}, warm", []).append(measure([*command, *jobs_option, *cache], work))
            samples.setdefault("raw tree-sitter parse", []).append(measure([sys.executable, "-c", RAW_PARSE, str(workspace)], work))
            print(f"round {round_number + 1}/{rounds} done", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    medians = {name: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)) for name, runs in samples.items()}
    print(f"{'contender':<36}{'wall (s)':>10}{'CPU (s)':>10}{'wall/check':>12}{'CPU/check':>11}")
    worst = 0.0
    for name, (wall, cpu) in medians.items():
        line = f"{name:<36}{wall:>10.3f}{cpu:>10.3f}"
        if name.startswith("report"):
            check_wall, check_cpu = medians["check" + name[name.index(","):]]
            line += f"{wall / check_wall:>12.2f}{cpu / check_cpu:>11.2f}"
            worst = max(worst, wall / check_wall, cpu / check_cpu)
        print(line)
    verdict = "met" if worst <= BUDGET else "MISSED"
    print(f"\nworst report / check ratio: {worst:.2f}; the budget is {BUDGET}x: {verdict}")
    # On a shared machine wall times follow the neighbours' load; CPU times do not.
    print(f"load average during the run: {os.getloadavg()[0]:.1f} (1 min)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", type=Path, help="the workspace folder to report on (default: generate one)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--megabytes", type=float, default=13.6, help="size of the generated workspace (13.6: about 1,000 files)")
    parser.add_argument("--jobs", default="default,1",
                        help="comma-separated --jobs settings to measure; 'default' passes none (default: default,1)")
    args = parser.parse_args()
    jobs_settings = [setting.strip() for setting in args.jobs.split(",") if setting.strip()]
    if args.path is not None:
        run(args.path.resolve(), args.rounds, jobs_settings)
        return
    with tempfile.TemporaryDirectory(prefix="isolint-workspace-") as folder:
        workspace = Path(folder) / "workspace"
        generate(workspace, args.megabytes, seed=7, cargo_workspace=True)
        run(workspace, args.rounds, jobs_settings)


if __name__ == "__main__":
    main()
