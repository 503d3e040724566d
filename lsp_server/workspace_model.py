"""The workspace model the server analyses documents against (``checks.workspace``).

Built in the background when the server starts, from the summary cache where it is warm, and
kept current as documents change: an edit inside a function body only replaces the file's
bytes; an edit that changes the file's items merges a new model, after which every open
document whose findings rested on an answer that changed is analysed again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from concurrent.futures import Executor
from pathlib import Path
from typing import Callable

from tree_sitter import Tree

from ..checks.cache import SummaryCache, engine_signature
from ..checks.files import FileSkipped, read_rust_file
from ..checks.parsing import parse
from ..checks.workspace import FileItems, WorkspaceModel, summarise
from .. import __version__

log = logging.getLogger(__name__)

CACHE_FOLDER = ".isolint_cache"
FILES_PER_STEP = 50


class WorkspaceModelKeeper:
    def __init__(self) -> None:
        self.model: WorkspaceModel | None = None

    async def build(self, files: list[Path], cache_root: Path | None, max_file_size: int, worker: Executor,
                    on_progress: Callable[[int, int], None]) -> WorkspaceModel:
        """Summarise ``files`` (from the cache under ``cache_root`` when unchanged) on
        ``worker``, a step of files at a time so the loop keeps serving requests."""
        cache = SummaryCache(cache_root / CACHE_FOLDER, engine_signature(__version__)) if cache_root is not None else None
        sources: dict[str, bytes] = {}
        summaries: dict[str, FileItems] = {}
        loop = asyncio.get_running_loop()
        for start in range(0, len(files), FILES_PER_STEP):
            step = files[start:start + FILES_PER_STEP]
            read = await loop.run_in_executor(worker, _summarise_files, step, cache, max_file_size)
            for path, data, summary in read:
                sources[path] = data
                summaries[path] = summary
            on_progress(min(start + FILES_PER_STEP, len(files)), len(files))
        if cache is not None:
            problem = cache.save()
            if problem is not None:
                log.warning("workspace summaries not cached: %s", problem)
        self.model = WorkspaceModel(summaries, sources)
        return self.model

    def document_changed(self, path: Path, data: bytes, tree: Tree) -> None:
        """Bring the model up to date with an edited (or opened) document."""
        if self.model is not None:
            self.model = self.model.with_file(str(path), data, tree)


def _summarise_files(paths: list[Path], cache: SummaryCache | None, max_file_size: int) -> list[tuple[str, bytes, FileItems]]:
    summarised = []
    for path in paths:
        try:
            data = read_rust_file(path, max_file_size)
        except (OSError, FileSkipped) as problem:
            log.info("workspace model: not reading %s: %s", path, problem)
            continue
        digest = hashlib.sha256(data).digest()
        summary = cache.get(path, digest) if cache is not None else None
        if summary is None:
            summary = summarise(parse(data), data)
            if cache is not None:
                cache.put(path, digest, summary)
        summarised.append((str(path), data, summary))
    return summarised
