"""The server's log: to the client as ``window/logMessage``, to stderr only what cannot reach it.

Editors show both channels, and differently: VS Code copies stderr into the same output
channel as the log messages (so a record written to both appears twice), and Neovim files
every stderr line under ``[ERROR]`` in ``:LspLog`` whatever it says. So once the client is
connected, every record — isolint's own and pygls's warnings and errors — goes to it as a
log message whose type matches the record's level, and stderr is left for what the client
cannot be told: records from before the connection (or after it broke) and the traceback of
a crash.
"""

from __future__ import annotations

import logging
import sys

from lsprotocol import types

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}

# Our own loggers follow the configured level; pygls logs every message at info, so its
# loggers stay at warning unless the server itself is being debugged.
CLIENT_LOGGERS = ("isolint.lsp_server", "isolint.checks")

MESSAGE_TYPES = (
    (logging.ERROR, types.MessageType.Error),
    (logging.WARNING, types.MessageType.Warning),
    (logging.INFO, types.MessageType.Info),
    (logging.NOTSET, types.MessageType.Log),
)


class RoutineNoise(logging.Filter):
    """Drops pygls's warning about a ``$/cancelRequest`` for a request it already answered.

    Editors cancel the requests they no longer need at every burst of typing, and most of
    them were answered a moment before; the warning says nothing is wrong, in every burst."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name.startswith("pygls.")
            and isinstance(record.msg, str)
            and record.msg.startswith("Cancel notification for unknown message id")
        )


class StderrHandler(logging.StreamHandler):
    """stderr, for the records the client cannot be sent."""

    def __init__(self):
        super().__init__(sys.stderr)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self.addFilter(RoutineNoise())


class ClientLogHandler(logging.Handler):
    """Sends records to the client as ``window/logMessage``; to ``fallback`` while it cannot."""

    def __init__(self, server, fallback: logging.Handler):
        super().__init__()
        self._server = server
        self._fallback = fallback
        self._emitting = False
        self.setFormatter(logging.Formatter("%(message)s"))
        self.addFilter(RoutineNoise())

    def emit(self, record: logging.LogRecord) -> None:
        if self._emitting:
            # Logged while sending a log message (pygls's debug log of the send itself):
            # sending that too would never end.
            return
        if self._server.protocol.writer is None:
            self._fallback.handle(record)
            return
        self._emitting = True
        try:
            message_type = next(kind for level, kind in MESSAGE_TYPES if record.levelno >= level)
            self._server.window_log_message(types.LogMessageParams(type=message_type, message=self.format(record)))
        except Exception:
            self._fallback.handle(record)
        finally:
            self._emitting = False


def configure_stderr(level_name: str | None) -> None:
    """Log to stderr until a client is attached; called once as the server process starts."""
    level = LEVELS.get((level_name or "info").lower(), logging.INFO)
    root = logging.getLogger()
    root.addHandler(StderrHandler())
    root.setLevel(level if level == logging.DEBUG or level > logging.WARNING else logging.WARNING)
    for name in CLIENT_LOGGERS:
        logging.getLogger(name).setLevel(level)


def attach_client(server) -> ClientLogHandler:
    """From now on records go to ``server``'s client; stderr keeps only what cannot reach it."""
    root = logging.getLogger()
    stderr_handlers = [handler for handler in root.handlers if isinstance(handler, StderrHandler)]
    for handler in stderr_handlers:
        root.removeHandler(handler)
    client_handler = ClientLogHandler(server, fallback=stderr_handlers[0] if stderr_handlers else StderrHandler())
    root.addHandler(client_handler)
    return client_handler


def set_level(level_name: str) -> None:
    level = LEVELS.get(level_name, logging.INFO)
    for name in CLIENT_LOGGERS:
        logging.getLogger(name).setLevel(level)
