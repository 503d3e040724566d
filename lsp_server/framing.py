"""The client's messages, cut out of the bytes on stdin, whatever state the framing is in.

pygls's stdio reader trusts every ``Content-Length``: after one wrong, missing or malformed
header it reads bodies as headers (or waits for bytes that never come), so every later
message, ``shutdown`` and ``exit`` included, is lost until the process is killed, and a
huge length makes it allocate that much at once. Here:

- stdin is read in chunks as they arrive, on a daemon thread (a read blocked at ``exit``
  must not hold the process open), so no header decides how much is allocated;
- header lines may end in ``\\r\\n`` or ``\\n``, names in any case; headers other than
  ``Content-Length`` are ignored;
- a body longer than ``MAX_BODY_BYTES`` is not kept: it is skipped on the way to the next
  frame, holding a few bytes at a time;
- input that cannot be used (a malformed header block, a missing or invalid length, a body
  that is not JSON, a length that runs into the next frame's header) is reported with a
  JSON-RPC parse error (``-32700``, id null) and skipped up to the next ``Content-Length``
  header line, searched for from just after the start of the frame that failed: a good
  header may be glued to the garbage before it, in the header block or in the body. A
  well-formed JSON body never contains one (JSON strings cannot hold a raw line break), so
  that search cannot stop inside an intact message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
from typing import Any, Callable, NamedTuple

log = logging.getLogger(__name__)

# Well above what the largest document the server analyses needs (``max-file-size``,
# 10 MB by default, as JSON: escapes make text up to six times longer, ASCII text ~1.1x).
MAX_BODY_BYTES = 64 * 1024 * 1024
# A header block is a line or two; one longer than this is not a header block.
MAX_HEADER_BLOCK_BYTES = 8 * 1024
READ_CHUNK_BYTES = 64 * 1024

# Where a frame can start. The blank counts and digit count are bounded so a match is never
# longer than NEXT_HEADER_MAX_BYTES, which lets a search keep only that many bytes back.
_NEXT_HEADER = re.compile(rb"content-length[ \t]{0,8}:[ \t]{0,8}[0-9]{1,20}[ \t]{0,8}\r?\n", re.IGNORECASE)
NEXT_HEADER_MAX_BYTES = 14 + 8 + 1 + 8 + 20 + 8 + 2
_HEADER_LINE = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*:[ \t]*(.*?)[ \t]*")
_END_OF_HEADERS = re.compile(rb"\n\r?\n")
_LEADING_BLANK_LINES = re.compile(rb"(?:\r?\n)+")


class Message(NamedTuple):
    """A frame whose body parsed as JSON (any JSON value: the protocol judges its shape)."""

    payload: Any


class Unusable(NamedTuple):
    """Input that was dropped, and why (said to the client and in the log)."""

    reason: str


class FrameReader:
    """Turns chunks of stdin into ``Message`` and ``Unusable`` events, holding at most one
    body of up to ``max_body_bytes`` plus a header block."""

    def __init__(self, max_body_bytes: int = MAX_BODY_BYTES):
        self.max_body_bytes = max_body_bytes
        # From the start of the frame being read (its header block stays until its body is
        # read: a failure resumes the search inside it), or of the input being skipped.
        self._buffer = bytearray()
        self._body_start = 0  # where the body begins, after the header block
        self._body_length: int | None = None  # reading a body of this many bytes
        self._searching = False  # skipping input up to the next Content-Length header
        self._scanned = 0  # how far the buffer has been searched for a header already

    @property
    def pending_bytes(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Message | Unusable]:
        self._buffer += data
        events: list[Message | Unusable] = []
        while True:
            if self._searching:
                progressed = self._search()
            elif self._body_length is None:
                progressed = self._read_headers(events)
            else:
                progressed = self._read_body(events)
            if not progressed:
                return events

    def _skip_to_next_header(self, events: list, reason: str) -> None:
        """Drop the frame the buffer starts with: search from its second byte on, past its
        own header, for a header glued to its garbage or after it."""
        events.append(Unusable(reason))
        self._body_length = None
        self._searching = True
        self._scanned = 1

    def _search(self) -> bool:
        found = _NEXT_HEADER.search(self._buffer, self._scanned)
        if found is None:
            # Keep only what could be the start of a header cut off by the chunk's end (a
            # whole one would have been found), never what the search was told to pass.
            del self._buffer[: max(self._scanned, len(self._buffer) - NEXT_HEADER_MAX_BYTES)]
            self._scanned = 0
            return False
        del self._buffer[: found.start()]
        self._searching = False
        self._scanned = 0
        return True

    def _read_headers(self, events: list) -> bool:
        blank = _LEADING_BLANK_LINES.match(self._buffer)
        if blank is not None:  # between frames: harmless
            del self._buffer[: blank.end()]
        end = _END_OF_HEADERS.search(self._buffer, 0, MAX_HEADER_BLOCK_BYTES + 2)
        if end is None:
            if len(self._buffer) > MAX_HEADER_BLOCK_BYTES:
                self._skip_to_next_header(events, f"no end of headers in {MAX_HEADER_BLOCK_BYTES} bytes")
                return True
            return False
        length, problem = self._content_length(bytes(self._buffer[: end.start() + 1]))
        if problem is not None:
            self._skip_to_next_header(events, problem)
            return True
        self._body_start = self._scanned = end.end()
        self._body_length = length
        return True

    def _content_length(self, block: bytes) -> tuple[int, str | None]:
        length = None
        for raw_line in block.split(b"\n")[:-1]:
            line = raw_line[:-1] if raw_line.endswith(b"\r") else raw_line
            header = _HEADER_LINE.fullmatch(line)
            if header is None:
                return 0, f"not a header line: {_shown(line)}"
            if header.group(1).lower() != b"content-length":
                continue
            value = header.group(2)
            if not value.isdigit() or not value.isascii():
                return 0, f"Content-Length is not a number of bytes: {_shown(value)}"
            length = int(value)
            if length > self.max_body_bytes:
                return 0, f"a message of {length} bytes is over the limit of {self.max_body_bytes} bytes; skipped"
        if length is None:
            return 0, "headers without Content-Length"
        return length, None

    def _read_body(self, events: list) -> bool:
        length = self._body_length
        assert length is not None
        start, end = self._body_start, self._body_start + length
        # A header line inside the declared body means the length ran past the end of the
        # real body (into the next frame): a JSON body cannot contain one.
        found = _NEXT_HEADER.search(self._buffer, self._scanned, min(len(self._buffer), end + NEXT_HEADER_MAX_BYTES))
        if found is not None and found.start() < end:
            self._skip_to_next_header(events, f"Content-Length said {length} bytes but the next message began after {found.start() - start}")
            return True
        if len(self._buffer) < end:
            self._scanned = max(start, len(self._buffer) - NEXT_HEADER_MAX_BYTES)
            return False
        try:
            payload = json.loads(self._buffer[start:end])
        except (ValueError, RecursionError) as error:
            # ValueError: not JSON, or bytes in no encoding JSON allows; RecursionError:
            # nested deeper than Python's stack.
            problem = "nested too deeply" if isinstance(error, RecursionError) else f"not JSON: {error}"
            self._skip_to_next_header(events, f"the body is {problem}")
            return True
        del self._buffer[:end]
        self._body_length = None
        self._scanned = 0
        events.append(Message(payload))
        return True


def _shown(data: bytes, limit: int = 60) -> str:
    text = repr(data[:limit])[2:-1]
    return text + ("…" if len(data) > limit else "")


class StdinChunks:
    """The bytes of a file descriptor as they arrive, read on a daemon thread: a thread
    blocked in ``os.read`` at exit is simply dropped, where an executor's worker would be
    waited for. At most ``queued`` chunks wait for the loop."""

    def __init__(self, read: Callable[[], bytes], loop: asyncio.AbstractEventLoop, queued: int = 4):
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(queued)
        self._loop = loop
        threading.Thread(target=self._pump, args=(read,), name="isolint-stdin", daemon=True).start()

    def _pump(self, read: Callable[[], bytes]) -> None:
        while True:
            try:
                chunk = read()
            except OSError as error:
                log.error("reading stdin failed: %s", error)
                chunk = b""
            try:
                asyncio.run_coroutine_threadsafe(self._queue.put(chunk), self._loop).result()
            except (RuntimeError, asyncio.CancelledError):  # the loop is gone: nobody reads
                return
            if not chunk:
                return

    async def next(self) -> bytes:
        """The next chunk; empty at the end of input."""
        return await self._queue.get()


def fd_reader(stream) -> Callable[[], bytes]:
    """Reads of what is available, up to a chunk: ``os.read`` on the stream's descriptor
    (it takes no lock a thread dropped at exit could hold), ``read1`` for a stream without one."""
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return lambda: stream.read1(READ_CHUNK_BYTES)
    return lambda: os.read(descriptor, READ_CHUNK_BYTES)


async def serve(read: Callable[[], bytes], on_message: Callable[[Any], None], on_unusable: Callable[[str], None]) -> None:
    """Read frames until the input ends, handing each message and each dropped input on."""
    chunks = StdinChunks(read, asyncio.get_running_loop())
    reader = FrameReader()
    while chunk := await chunks.next():
        for event in reader.feed(chunk):
            if isinstance(event, Message):
                on_message(event.payload)
            else:
                on_unusable(event.reason)
    if reader.pending_bytes:
        log.warning("stdin closed with %d bytes that made no complete message; exiting", reader.pending_bytes)
    else:
        log.info("stdin closed; exiting")
