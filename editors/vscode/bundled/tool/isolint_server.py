"""Starts isolint's language server for the VS Code extension, or answers its probe.

    <python> isolint_server.py [--probe] [server arguments...]

ISOLINT_IMPORT_STRATEGY picks where `isolint` is imported from:

- ``useBundled`` (the default): the libraries shipped in the extension, ``../libs/common``
  (what every version shares) and ``../libs/cpXY`` (compiled for this interpreter's
  version), ahead of anything the interpreter has installed, for the Python versions that
  ``../libs/manifest.json`` lists.
- ``fromEnvironment``: only what the interpreter itself has installed.

The extension runs this script rather than ``python -m isolint``: ``-m`` would put the
working directory (the user's workspace) first on sys.path, so a folder named ``isolint``
in an untrusted workspace would run instead. A script puts only its own folder there.

``--probe`` prints one JSON object (the interpreter, and isolint's version and location,
or the problem) and exits 0 when the server could start, 1 when not; the extension probes
each candidate interpreter this way before choosing one. This file must at least parse
and report on old interpreters, so it uses nothing newer than Python 3.6.
"""

import json
import os
import sys

LIBS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "libs")
STRATEGIES = ("useBundled", "fromEnvironment")
EXIT_CANNOT_START = 3  # distinct from the server's own exit codes


def bundled_python_versions():
    """The Python versions this build ships isolint for ("3.11", …), from its manifest."""
    try:
        with open(os.path.join(LIBS, "manifest.json")) as manifest:
            return json.load(manifest)["pythonVersions"]
    except (OSError, ValueError, KeyError):
        return []


def use_bundled_libraries():
    """Put the bundled libraries first on sys.path; the problem as text when there are none."""
    version = "{}.{}".format(sys.version_info[0], sys.version_info[1])
    shipped = bundled_python_versions()
    if version not in shipped:
        return "Python {} has no bundled isolint (this build ships it for Python {})".format(version, ", ".join(shipped) or "none")
    # cpXY holds what was built for this version alone; a one-version build keeps all in common.
    compiled = os.path.join(LIBS, "cp" + version.replace(".", ""))
    sys.path[0:0] = [path for path in (compiled, os.path.join(LIBS, "common")) if os.path.isdir(path)]
    return None


def import_isolint():
    """(isolint module, None) or (None, the problem as text)."""
    try:
        import isolint
    except ImportError as error:
        return None, "cannot import isolint ({})".format(error)
    return isolint, None


def main(argv):
    probing = argv[:1] == ["--probe"]
    strategy = os.environ.get("ISOLINT_IMPORT_STRATEGY", "useBundled")
    problem = None
    if strategy not in STRATEGIES:
        problem = "unknown ISOLINT_IMPORT_STRATEGY {!r} (expected one of {})".format(strategy, ", ".join(STRATEGIES))
    elif strategy == "useBundled":
        problem = use_bundled_libraries()
    isolint = None
    if problem is None:
        isolint, problem = import_isolint()
    if probing:
        report = {"python": sys.executable, "pythonVersion": "{}.{}.{}".format(*sys.version_info[:3]), "strategy": strategy}
        if problem is None:
            report.update(isolint=isolint.__version__, location=os.path.dirname(isolint.__file__))
        else:
            report["problem"] = problem
        print(json.dumps(report))
        return 0 if problem is None else 1
    if problem is not None:
        print("isolint: cannot start the language server: " + problem, file=sys.stderr)
        return EXIT_CANNOT_START
    from isolint.cli import main as isolint_main

    return isolint_main(["server", *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
