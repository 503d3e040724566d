"""The batch result cache (``.isolint_cache/``): per-file analysis outcomes keyed by content.

An entry is valid when the file's bytes, the file's effective settings and the engine that
produced it are all unchanged, so editing one file re-analyses one file, and changing the
config, isolint or any rule re-analyses everything it affects. The engine signature covers
the version plus every module of the ``checks`` package (size and modification time), so an
editable install whose rules change never serves stale results.

An entry is a ``checks.batch.PackedOutcome``: the outcome stays pickled until read, beside
its summary and the renderings made of it, so a warm run that prints what the last run
printed decodes no finding.

Each file starts with a marker and a checksum of the pickle after it: a file another program
wrote (even a valid pickle of another shape), a truncated or damaged one, is ignored as if
absent, and replaced by the next save. It costs one full analysis, never a failed run.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import tempfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .batch import PackedOutcome
    from .config import Settings

_FORMAT = 5
_MARKER = b"isolint cache\n"
_CHECKSUM_BYTES = 4
_CACHEDIR_TAG = b"Signature: 8a477f597d28d172789f06886806bc55\n# isolint result cache; safe to delete.\n"


def engine_signature(version: str) -> str:
    """Identifies the code that analyses files: isolint's version and its engine modules."""
    digest = hashlib.blake2b(f"{_FORMAT}|{version}".encode(), digest_size=16)
    package_root = Path(__file__).parent
    for directory, dirnames, filenames in os.walk(package_root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".py"):
                stat = os.stat(os.path.join(directory, name))
                digest.update(f"{directory}/{name}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def entry_key(data: bytes, settings: Settings) -> bytes:
    # SHA-256 through OpenSSL uses the CPU's SHA extensions where there are some (2.5 times
    # blake2b's speed on the benchmark machine), and a warm run hashes every file it checks.
    digest = hashlib.sha256(data)
    digest.update(b"\0")
    digest.update(settings.fingerprint.encode())
    return digest.digest()


class SummaryCache:
    """Per-file workspace summaries (``checks.workspace.FileItems``) keyed by content: one
    pickle per engine signature, mapping absolute paths to (content digest, summary)."""

    def __init__(self, directory: Path, signature: str):
        self.directory = directory
        self.file = directory / f"summaries-{signature}.pickle"
        self._loaded: dict | None = None  # read on first use: a run that builds no model never reads it
        self._changed = False

    @property
    def _entries(self) -> dict:
        if self._loaded is None:
            self._loaded = _load_pickled_dict(self.file)
        return self._loaded

    def get(self, path: Path, digest: bytes):
        entry = self._entries.get(str(path.absolute()))
        return entry[1] if entry is not None and entry[0] == digest else None

    def put(self, path: Path, digest: bytes, summary) -> None:
        self._entries[str(path.absolute())] = (digest, summary)
        self._changed = True

    def save(self) -> str | None:
        if not self._changed:
            return None
        for path in [p for p in self._entries if not os.path.exists(p)]:
            del self._entries[path]
        try:
            _write_atomically(self.directory, self.file, self._entries)
        except OSError as error:
            return f"{self.directory}: cannot write cache: {error.strerror or error}"
        self._changed = False
        return None


def _load_pickled_dict(file: Path) -> dict:
    try:
        data = file.read_bytes()
    except OSError:
        return {}  # a missing cache only costs a full analysis
    start = len(_MARKER) + _CHECKSUM_BYTES
    payload = memoryview(data)[start:]
    if not data.startswith(_MARKER) or data[len(_MARKER):start] != zlib.crc32(payload).to_bytes(_CHECKSUM_BYTES, "big"):
        return {}  # not written by isolint, or damaged since
    # Unpickling creates every entry at once; the collector would walk the growing heap
    # again and again while nothing can yet be garbage.
    collecting = gc.isenabled()
    gc.disable()
    try:
        entries = pickle.loads(payload)
    except (EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError, TypeError):
        return {}
    finally:
        if collecting:
            gc.enable()
    return entries if isinstance(entries, dict) else {}


def _write_atomically(directory: Path, file: Path, entries: dict) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    tag = directory / "CACHEDIR.TAG"
    if not tag.exists():
        tag.write_bytes(_CACHEDIR_TAG)
        (directory / ".gitignore").write_text("*\n")
    payload = pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{file.stem}-", suffix=".tmp")
    with os.fdopen(handle, "wb") as stream:
        stream.write(_MARKER + zlib.crc32(payload).to_bytes(_CHECKSUM_BYTES, "big"))
        stream.write(payload)
    os.replace(temporary, file)


class ResultCache:
    """One pickle file per engine signature, mapping absolute paths to (key, packed outcome)."""

    def __init__(self, directory: Path, signature: str):
        self.directory = directory
        self.file = directory / f"results-{signature}.pickle"
        self._signature = signature
        self._entries: dict[str, tuple[bytes, PackedOutcome]] = _load_pickled_dict(self.file)
        self.summaries = SummaryCache(directory, signature)
        # The linted files' paths, bytes and settings as of the run that last saved (see
        # ``checks.batch``): equal again, every cached result's model answers are too.
        self._state_file = directory / f"workspace-{signature}.txt"
        try:
            self.workspace_state: str | None = self._state_file.read_text(encoding="ascii") or None
        except (OSError, UnicodeDecodeError):  # a damaged state only means the model is built
            self.workspace_state = None
        self._saved_state = self.workspace_state

    def get(self, path: Path, key: bytes) -> PackedOutcome | None:
        entry = self._entries.get(str(path.absolute()))
        if entry is None or entry[0] != key:
            return None
        return entry[1]

    def put(self, path: Path, key: bytes, packed: PackedOutcome) -> None:
        packed.changed = True
        self._entries[str(path.absolute())] = (key, packed)

    def derived(self, kind: str, key: str) -> str | None:
        """Output derived from a whole run (``keep_derived``), when made under ``key``."""
        try:
            with open(self._derived_file(kind), encoding="utf-8", newline="") as stream:
                stored_key, _, text = stream.read().partition("\n")
        except (OSError, UnicodeDecodeError):
            return None
        return text if stored_key == key else None

    def keep_derived(self, kind: str, key: str, text: str) -> str | None:
        """Keep one output of each ``kind`` (e.g. a report format) with the key it was made
        under; returns a problem description instead of raising."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".derived-", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(f"{key}\n{text}")
            os.replace(temporary, self._derived_file(kind))
        except OSError as error:
            return f"{self.directory}: cannot write cache: {error.strerror or error}"
        return None

    def _derived_file(self, kind: str) -> Path:
        return self.directory / f"derived-{self._signature}-{kind}.txt"

    def _drop_deleted_files(self) -> None:
        for path in [p for p in self._entries if not os.path.exists(p)]:
            del self._entries[path]

    def save(self) -> str | None:
        """Write the cache atomically; return a problem description instead of raising."""
        summaries_problem = self.summaries.save() or self._save_state()
        if not any(packed.changed for _, packed in self._entries.values()):
            return summaries_problem
        self._drop_deleted_files()
        try:
            _write_atomically(self.directory, self.file, self._entries)
            self._remove_other_signatures()
        except OSError as error:
            return f"{self.directory}: cannot write cache: {error.strerror or error}"
        for _, packed in self._entries.values():
            packed.changed = False
        return None

    def _save_state(self) -> str | None:
        if self.workspace_state == self._saved_state:
            return None
        try:
            if self.workspace_state is None:
                self._state_file.unlink(missing_ok=True)
            else:
                self.directory.mkdir(parents=True, exist_ok=True)
                handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".workspace-", suffix=".tmp")
                with os.fdopen(handle, "w") as stream:
                    stream.write(self.workspace_state)
                os.replace(temporary, self._state_file)
        except OSError as error:
            return f"{self.directory}: cannot write cache: {error.strerror or error}"
        self._saved_state = self.workspace_state
        return None

    def _remove_other_signatures(self) -> None:
        """Results of another engine can never be valid again; do not let them pile up."""
        for stale in [*self.directory.glob("results-*.pickle"), *self.directory.glob("summaries-*.pickle"), *self.directory.glob("workspace-*.txt"),
                      *self.directory.glob("derived-*.txt")]:
            if stale not in (self.file, self.summaries.file, self._state_file) and not stale.name.startswith(f"derived-{self._signature}-"):
                try:
                    stale.unlink()
                except OSError:
                    pass
