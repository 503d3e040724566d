"""``python -m isolint.lsp_server [--log-level LEVEL]``: the language server on stdio."""

import argparse
import gc

gc.disable()  # until start-up's objects are frozen: see ``run_stdio``
from .server import run_stdio  # noqa: E402

parser = argparse.ArgumentParser(prog="python -m isolint.lsp_server", description="isolint language server (stdio)")
parser.add_argument("--log-level", default=None, help="stderr log level (debug, info, warning, error)")
run_stdio(log_level=parser.parse_args().log_level)
