"""pygls's protocol with the changes the server relies on.

- Messages come from our own reader (``framing``), decoded but not structured:
  ``handle_payload`` answers what is not a JSON-RPC 2.0 object with Invalid Request, and
  ``send_parse_error`` answers input the reader dropped, as JSON-RPC asks (both with a
  null id, which pygls's response types would leave out).
- Text synchronisation is left to the server's own ``DocumentStore`` (byte buffers and
  tree-sitter trees); pygls's text documents would be a second, unused copy, and their
  update raising on a bad change would keep our handler from ever running.
- A request whose params do not validate gets an error response (``InvalidParams``). pygls
  2.1 only logs it, leaving the client waiting forever.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol, lsp_method

log = logging.getLogger(__name__)


class _UnusableRequest:
    """Stands in for a request that was already answered with an error."""

    jsonrpc = None


class IsolintProtocol(LanguageServerProtocol):
    def handle_payload(self, payload: Any) -> None:
        if not isinstance(payload, dict) or payload.get("jsonrpc") != "2.0":
            msg_id = payload.get("id") if isinstance(payload, dict) else None
            log.warning("not a JSON-RPC 2.0 message object: %.80r", payload)
            self._send_error(msg_id if isinstance(msg_id, (int, str)) else None, types.ErrorCodes.InvalidRequest,
                             "Invalid Request: not a JSON-RPC 2.0 message object")
            return
        self.handle_message(self.structure_message(payload))

    def send_parse_error(self, reason: str) -> None:
        self._send_error(None, types.ErrorCodes.ParseError, f"Parse error: {reason}")

    def _send_error(self, msg_id: int | str | None, code: int, message: str) -> None:
        self._send_data({"jsonrpc": self.VERSION, "id": msg_id, "error": {"code": code, "message": message}})

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):
        yield from self._user_handler(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        yield from self._user_handler(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):
        yield from self._user_handler(types.TEXT_DOCUMENT_DID_CLOSE, params)

    def _user_handler(self, method: str, params: Any):
        if (handler := self.fm.features.get(method)) is not None:
            yield handler, (params,), None

    def structure_message(self, data: dict[str, Any]):
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if "id" in data and "method" in data:
                log.warning("invalid params for %s request %s", data["method"], data["id"])
                self._send_response(data["id"], None, error.to_response_error())
                return _UnusableRequest()
            raise

    def handle_message(self, message):
        if isinstance(message, _UnusableRequest):
            return
        super().handle_message(message)
