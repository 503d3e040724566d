"""Lays out isolint and its Python dependencies in ``bundled/libs`` for a platform-specific vsix.

    python3 scripts/bundle_python.py --target linux-x64

The extension's default import strategy (``useBundled``) runs the server with any Python
3.11+ interpreter and these libraries; ``bundled/tool/isolint_server.py`` puts them on
sys.path. Dependencies with compiled parts (pydantic-core, tree-sitter) are wheels built
for one Python version and platform, so this installs the dependencies once per supported
Python version, for the vsix's target platform only, from PyPI wheels:

    bundled/libs/common/   files that are the same for every version (isolint, pygls, …)
    bundled/libs/cp311/    what differs: the compiled packages built for Python 3.11
    bundled/libs/cp312/    …
    bundled/libs/manifest.json

isolint itself is copied from this repository by the package mapping in pyproject.toml,
as its wheel would install it. The dependencies are cached by (requirements, Python
version, platform) under ISOLINT_BUNDLE_CACHE (default: .bundle-cache beside this folder),
so a rebuild after a source change only copies isolint again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

EXTENSION_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = EXTENSION_DIR.parents[1]
LIBS = EXTENSION_DIR / "bundled" / "libs"
PYTHON_VERSIONS = ("3.11", "3.12", "3.13", "3.14")

# The wheel platform tags each VS Code target accepts, newest first. Older pips do not
# widen a manylinux tag to the older ones it includes, so every tag is listed.
PLATFORM_TAGS = {
    "linux-x64": ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"],
    "linux-arm64": ["manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64"],
    "alpine-x64": ["musllinux_1_2_x86_64", "musllinux_1_1_x86_64"],
    "alpine-arm64": ["musllinux_1_2_aarch64", "musllinux_1_1_aarch64"],
    "darwin-x64": ["macosx_11_0_x86_64", "macosx_10_13_x86_64", "macosx_10_12_x86_64", "macosx_10_9_x86_64",
                   "macosx_10_13_universal2", "macosx_10_12_universal2", "macosx_10_9_universal2"],
    "darwin-arm64": ["macosx_11_0_arm64", "macosx_11_0_universal2", "macosx_10_13_universal2",
                     "macosx_10_12_universal2", "macosx_10_9_universal2"],
    "win32-x64": ["win_amd64"],
    "win32-arm64": ["win_arm64"],
}


def host_target() -> str:
    import platform

    system = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower()
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{system}-{arch}"


def project() -> dict:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def copy_isolint(destination: Path, pyproject: dict) -> None:
    """isolint's packages as its wheel lays them out (pyproject's package-dir mapping)."""
    setuptools = pyproject["tool"]["setuptools"]
    package_dirs = setuptools.get("package-dir", {})
    for package in setuptools["packages"]:
        # A package without its own mapping lives under its parent's mapped folder.
        parts = package.split(".")
        for split in range(len(parts), 0, -1):
            mapped = package_dirs.get(".".join(parts[:split]))
            if mapped is not None:
                source = REPO_ROOT / mapped / Path(*parts[split:])
                break
        else:
            source = REPO_ROOT / Path(*parts)
        target = destination / Path(*parts)
        target.mkdir(parents=True, exist_ok=True)
        for file in source.glob("*.py"):
            shutil.copy2(file, target / file.name)


def install_dependencies(requirements: list[str], version: str, tags: list[str], cache_root: Path) -> Path:
    """The dependencies for one Python version and platform, from the cache or from PyPI."""
    key = hashlib.sha256(json.dumps([requirements, version, tags]).encode()).hexdigest()[:16]
    folder = cache_root / f"cp{version.replace('.', '')}-{key}"
    if (folder / ".complete").exists():
        return folder
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    platform_args = [arg for tag in tags for arg in ("--platform", tag)]
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
         "--only-binary=:all:", "--implementation", "cp", "--python-version", version, *platform_args,
         "--target", str(partial), *requirements],
        check=True,
    )
    # Console scripts are for a shell, not for the server.
    shutil.rmtree(partial / "bin", ignore_errors=True)
    (partial / ".complete").touch()
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return folder


def tree_digest(path: Path) -> str:
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        digest.update(str(file.relative_to(path.parent)).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def split_common(per_version: dict[str, Path], libs: Path) -> None:
    """Copy each version's dependencies into libs: entries equal for all versions once into
    common/, the rest into that version's cpXY/. (With one version everything is "equal" and
    lands in common/; the manifest, not the folders, says which versions a build serves.)"""
    names = sorted({entry.name for folder in per_version.values() for entry in folder.iterdir() if entry.name != ".complete"})
    for name in names:
        digests = {version: tree_digest(folder / name) if (folder / name).exists() else None for version, folder in per_version.items()}
        shared = len(set(digests.values())) == 1
        for version, folder in per_version.items():
            if digests[version] is None:
                continue
            target = libs / ("common" if shared else f"cp{version.replace('.', '')}") / name
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            (shutil.copytree if (folder / name).is_dir() else shutil.copy2)(folder / name, target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", default=host_target(), choices=sorted(PLATFORM_TAGS), help="VS Code platform target (default: this machine)")
    parser.add_argument("--python-versions", default=",".join(PYTHON_VERSIONS), help="comma-separated Python versions to ship libraries for")
    parser.add_argument("--libs", type=Path, default=LIBS, help=f"where to lay them out (default: {LIBS.relative_to(EXTENSION_DIR)})")
    args = parser.parse_args(argv)
    libs = args.libs.resolve()
    versions = [v.strip() for v in args.python_versions.split(",") if v.strip()]

    pyproject = project()
    requirements = list(pyproject["project"]["dependencies"])
    cache_root = Path(os.environ.get("ISOLINT_BUNDLE_CACHE", EXTENSION_DIR / ".bundle-cache"))
    cache_root.mkdir(parents=True, exist_ok=True)
    tags = PLATFORM_TAGS[args.target]
    # Two at a time: pip is mostly waiting on downloads and unpacking.
    with ThreadPoolExecutor(max_workers=2) as pool:
        folders = dict(zip(versions, pool.map(lambda v: install_dependencies(requirements, v, tags, cache_root), versions)))

    if libs.exists() and any(libs.iterdir()) and not (libs / "manifest.json").exists():
        parser.error(f"{libs} is not empty and holds no earlier bundle (manifest.json): not replacing it")
    shutil.rmtree(libs, ignore_errors=True)
    split_common(folders, libs)
    copy_isolint(libs / "common", pyproject)
    from_init = (REPO_ROOT / "isolint" / "__init__.py").read_text(encoding="utf-8")
    version = next(line.split('"')[1] for line in from_init.splitlines() if line.startswith("__version__"))
    manifest = {"isolint": version, "target": args.target, "pythonVersions": versions, "requirements": requirements}
    (libs / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"bundle_python: isolint {version} for {args.target}, Python {', '.join(versions)} in {libs}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
