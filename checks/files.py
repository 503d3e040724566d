"""Reading a Rust file for analysis: its bytes, or why it is not analysed (too large, binary).

Apart from the engine: a warm batch run reads every file and analyses none, and should not
pay for importing the parser.
"""

from __future__ import annotations

import os
from pathlib import Path


class FileSkipped(Exception):
    """A file that was not analysed, with the reason to show the user."""


# A NUL byte among a file's first bytes marks it binary, as git decides.
BINARY_SNIFF_BYTES = 8192


def read_rust_file(path: Path, max_size: int) -> bytes:
    """Read a file for analysis, refusing what is not Rust text worth parsing.

    Raises ``OSError`` when unreadable, ``FileSkipped`` when too large or binary.
    """
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size > max_size:
            raise FileSkipped(f"skipped: {size} bytes is over max-file-size ({max_size} bytes)")
        data = file.read()
    nul = data.find(b"\0", 0, BINARY_SNIFF_BYTES)
    if nul != -1:
        line = data.count(b"\n", 0, nul) + 1
        column = nul - data.rfind(b"\n", 0, nul)
        raise FileSkipped(f"skipped: binary file (a NUL byte at line {line}, byte {column})")
    return data
