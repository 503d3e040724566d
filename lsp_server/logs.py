"""Logging to stderr and to the client (``window/logMessage``)."""

from __future__ import annotations

import logging
import sys

from lsprotocol import types

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}

# Our own loggers go to the client too; pygls's message-level debug chatter stays on stderr.
CLIENT_LOGGERS = ("isolint.lsp_server", "isolint.checks")

MESSAGE_TYPES = (
    (logging.ERROR, types.MessageType.Error),
    (logging.WARNING, types.MessageType.Warning),
    (logging.INFO, types.MessageType.Info),
    (logging.NOTSET, types.MessageType.Log),
)


class ClientLogHandler(logging.Handler):
    """Forwards records to the client once the connection is up."""

    def __init__(self, server):
        super().__init__()
        self._server = server
        self._emitting = False

    def emit(self, record: logging.LogRecord) -> None:
        if self._emitting or self._server.protocol.writer is None:
            return
        self._emitting = True  # a failing send logs too; do not recurse into it
        try:
            message_type = next(kind for level, kind in MESSAGE_TYPES if record.levelno >= level)
            self._server.window_log_message(types.LogMessageParams(type=message_type, message=self.format(record)))
        except Exception:
            self.handleError(record)
        finally:
            self._emitting = False


def configure_stderr(level_name: str | None) -> None:
    level = LEVELS.get((level_name or "info").lower(), logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    # pygls logs every message at info; only show it when debugging the server itself.
    root.setLevel(level if level == logging.DEBUG or level > logging.WARNING else logging.WARNING)
    for name in CLIENT_LOGGERS:
        logging.getLogger(name).setLevel(level)


def attach_client(server) -> ClientLogHandler:
    handler = ClientLogHandler(server)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in CLIENT_LOGGERS:
        logging.getLogger(name).addHandler(handler)
    return handler


def set_level(level_name: str) -> None:
    level = LEVELS.get(level_name, logging.INFO)
    for name in CLIENT_LOGGERS:
        logging.getLogger(name).setLevel(level)
