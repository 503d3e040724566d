"""The analysis engine: parses Rust with tree-sitter and runs the isolation rules. It knows
nothing of LSP; the command line (``isolint.cli``) and the language server
(``isolint.lsp_server``) are adapters over it. Installed as ``isolint.checks``."""
