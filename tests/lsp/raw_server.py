"""``python -m isolint.lsp_server`` driven with raw bytes on stdin: input no LSP client
library would send (broken frames, garbage), and a deadline on every answer, since the
failure these tests look for is a server that stops answering."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from isolint.lsp_server.framing import FrameReader, Message

WAIT_SECONDS = 20  # a generous ceiling for a loaded CI machine, not a speed assertion


def frame(message: dict, *, length: int | None = None, line_end: bytes = b"\r\n") -> bytes:
    """``message`` as a frame; ``length`` overrides the Content-Length it declares."""
    body = json.dumps(message).encode()
    declared = len(body) if length is None else length
    return b"Content-Length: %d%s%s%s" % (declared, line_end, line_end, body)


def request(msg_id: int | str, method: str, params: Any = None) -> dict:
    message = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def notification(method: str, params: Any = None) -> dict:
    message = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    return message


class RawServer:
    def __init__(self) -> None:
        self._stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "isolint.lsp_server", "--log-level", "info"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
        )
        self._received: queue.Queue[Any] = queue.Queue()
        self.received: list[Any] = []
        threading.Thread(target=self._read_stdout, daemon=True).start()

    def _read_stdout(self) -> None:
        reader = FrameReader()
        stdout = self.process.stdout
        assert stdout is not None
        while chunk := stdout.read1(65536):
            for event in reader.feed(chunk):
                assert isinstance(event, Message), f"the server wrote a broken frame: {event}"
                self._received.put(event.payload)

    def send(self, data: bytes) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(data)
        stdin.flush()

    def initialize(self) -> None:
        self.send(frame(request("init", "initialize", {"processId": None, "rootUri": None, "capabilities": {}})))
        self.wait_for(lambda m: m.get("id") == "init", "the initialize response")
        self.send(frame(notification("initialized", {})))

    def wait_for(self, wanted, what: str, timeout: float = WAIT_SECONDS) -> dict:
        """The first message received (now or already) for which ``wanted`` is true."""
        for message in self.received:
            if wanted(message):
                return message
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                message = self._received.get(timeout=remaining)
            except queue.Empty:
                break
            self.received.append(message)
            if wanted(message):
                return message
        raise AssertionError(f"no {what} within {timeout:.0f} s; server log:\n{self.log()[-3000:]}")

    def response_to(self, msg_id: int | str) -> dict:
        return self.wait_for(lambda m: m.get("id") == msg_id and "method" not in m, f"response to request {msg_id!r}")

    def parse_errors(self) -> list[dict]:
        self._drain()
        return [m for m in self.received if m.get("id") is None and m.get("error", {}).get("code") == -32700]

    def _drain(self) -> None:
        while True:
            try:
                self.received.append(self._received.get_nowait())
            except queue.Empty:
                return

    def shut_down(self, after: bytes = b"") -> int:
        """``after`` (input to send first, in the same write), ``shutdown`` (its answer
        awaited) and ``exit``; the exit status, once the process has ended by itself (stdin
        stays open: exiting must not wait for it)."""
        self.send(after + frame(request("bye", "shutdown")))
        assert "error" not in self.response_to("bye")
        self.send(frame(notification("exit")))
        try:
            return self.process.wait(WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the server did not exit within {WAIT_SECONDS} s of `exit`") from None

    def log(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        self._stderr.close()
