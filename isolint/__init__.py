"""isolint: a linter and language server for tenant- and pack-isolation risks in Rust code.

The one installed top-level package: ``isolint.checks`` is the engine, ``isolint.lsp_server``
the language server and ``isolint.cli`` the command line, both thin adapters over it."""

__version__ = "0.1.0"

# Every link isolint prints (rule docs, SARIF helpUri, hover) starts here; pyproject's
# [project.urls] and the VS Code extension's metadata are checked against it by the tests.
PROJECT_URL = "https://github.com/isolint/isolint"
