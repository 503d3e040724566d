"""Broken input on stdin never wedges the server: every malformed frame the issue lists is
dropped with a parse error and the next message is read; random garbage, fed to the reader
and to the real server process, is always followed by the next valid message being
answered, and by ``shutdown`` and ``exit`` working."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isolint.lsp_server.framing import NEXT_HEADER_MAX_BYTES, FrameReader, Message, Unusable
from tests.lsp.raw_server import RawServer, frame, notification, request

UNOPENED = {"textDocument": {"uri": "file:///nowhere/never-opened.rs"}, "position": {"line": 0, "character": 0}}


def hover(msg_id: int | str) -> dict:
    """A request with no side effect that the server always answers (with an error)."""
    return request(msg_id, "textDocument/hover", UNOPENED)


def body(message: dict) -> bytes:
    return json.dumps(message).encode()


MESSAGE = hover(1)
BODY = body(MESSAGE)

# Each malformed input of the issue, and what the reader makes of it: the reason it drops
# it, or None for input it accepts.
MALFORMED = {
    "length too short": (frame(MESSAGE, length=len(BODY) - 10), "not JSON"),
    "length too long": (frame(MESSAGE, length=len(BODY) + 500), "the next message began after"),
    "length not a number": (b"Content-Length: abc\r\n\r\n" + BODY, "not a number of bytes: abc"),
    "length negative": (b"Content-Length: -5\r\n\r\n" + BODY, "not a number of bytes: -5"),
    "length missing": (b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + BODY, "without Content-Length"),
    "length huge": (b"Content-Length: 99999999999\r\n\r\n" + BODY, "over the limit"),
    "body not JSON": (b"Content-Length: 5\r\n\r\n{oops", "not JSON"),
    "body nested too deeply": (b"Content-Length: 200000\r\n\r\n" + b"[" * 200_000, "nested too deeply"),
    "headers with LF line ends": (frame(MESSAGE, line_end=b"\n"), None),
}

NEXT = hover(2)


@pytest.mark.parametrize("case", MALFORMED)
def test_the_reader_drops_a_malformed_frame_and_reads_the_next(case):
    data, reason = MALFORMED[case]
    events = FrameReader().feed(data + frame(NEXT))
    if reason is None:
        assert events == [Message(MESSAGE), Message(NEXT)]
    else:
        assert len(events) == 2 and isinstance(events[0], Unusable) and reason in events[0].reason, events
        assert events[1] == Message(NEXT)


def test_an_oversize_body_is_skipped_a_chunk_at_a_time():
    reader = FrameReader(max_body_bytes=1000)
    big = body(notification("isolint/big", {"text": "x" * 50_000}))
    data = b"Content-Length: %d\r\n\r\n" % len(big) + big + frame(NEXT)
    events, held = [], []
    for start in range(0, len(data), 4096):
        events += reader.feed(data[start:start + 4096])
        held.append(reader.pending_bytes)
    assert len(events) == 2 and "a message of 50" in events[0].reason and events[1] == Message(NEXT)
    assert max(held) <= NEXT_HEADER_MAX_BYTES + len(frame(NEXT)), "the skipped body was held in memory"


# -- random garbage ---------------------------------------------------------------------
def harmless_message(rng: random.Random) -> dict:
    """Messages garbage may hold whole: none of them changes the server's state."""
    return rng.choice([
        hover(rng.randrange(1000)),
        notification("$/cancelRequest", {"id": rng.randrange(1000)}),
        notification("isolint/unknownNotification", {"n": rng.random()}),
        {"jsonrpc": "2.0", "id": rng.randrange(1000), "result": None},  # a response nobody asked for
    ])


def garbage(rng: random.Random) -> bytes:
    """One piece of broken input: the issue's malformed frames with random numbers, cut or
    padded frames, header fragments, JSON that is no message, and random bytes."""
    message = body(harmless_message(rng))
    kind = rng.randrange(12)
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 300))
    if kind == 1:
        return "".join(rng.choice("Content-Length: 0123456789\r\n{}\":,[]") for _ in range(rng.randrange(1, 80))).encode()
    if kind == 2:  # a wrong length, either way
        return b"Content-Length: %d\r\n\r\n" % max(0, len(message) + rng.randint(-len(message), 400)) + message
    if kind == 3:
        value = rng.choice([b"abc", b"-5", b"", b"1e3", b"0x10", b"99999999999", b"12 34", b"\xff"])
        return b"Content-Length: " + value + b"\r\n\r\n" + message
    if kind == 4:
        return b"Content-Type: application/vscode-jsonrpc\r\n\r\n" + message
    if kind == 5:
        return frame(harmless_message(rng), line_end=rng.choice([b"\n", b"\r\n"]))
    if kind == 6:
        whole = frame(harmless_message(rng))
        return whole[: rng.randrange(len(whole))]
    if kind == 7:
        return rng.choice([b"Content-Length:", b"Content-Length: 12", b"\r\n", b"\r\n\r\n", b"\r", b"\n\n", b"content-length: 3\n"])
    if kind == 8:
        junk = rng.choice([b"{oops", b"[1, 2", b"null", b"[1, 2]", b'"text"', b"42", b'{"id": 5}', b"\xff\xfe{}", b"[" * 5000])
        return b"Content-Length: %d\r\n\r\n" % len(junk) + junk
    if kind == 9:
        return b"Content-Length: %d\r\n\r\n" % rng.choice([10**11, 2**64, 2**31]) + message
    if kind == 10:
        return b"X-Header: %d\r\n" % rng.randrange(100)
    return frame(harmless_message(rng))


def garbage_run(rng: random.Random) -> bytes:
    return b"".join(garbage(rng) for _ in range(rng.randint(1, 5)))


def chunked(data: bytes, rng: random.Random) -> list[bytes]:
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randrange(8)))) if len(data) > 1 else []
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]


@settings(max_examples=400, derandomize=True, deadline=None)
@given(rng=st.randoms(use_true_random=False))
def test_after_any_garbage_the_reader_reads_the_next_messages(rng):
    first, second = hover("first"), hover("second")
    data = garbage_run(rng) + frame(first) + frame(second)
    reader = FrameReader()
    events = [event for chunk in chunked(data, rng) for event in reader.feed(chunk)]
    messages = [event.payload for event in events if isinstance(event, Message)]
    assert messages[-2:] == [first, second]
    assert reader.pending_bytes == 0
    # Why input was dropped may read differently (a length too long is caught as such, or
    # as a body that is not JSON when it came complete before the next header did), but
    # never which messages were read.
    read_at_once = [event.payload for event in FrameReader().feed(data) if isinstance(event, Message)]
    assert messages == read_at_once, "how the input was cut into chunks changed what was read"


# -- the real server process ------------------------------------------------------------
@pytest.fixture
def server():
    process = RawServer()
    yield process
    process.close()


@pytest.mark.parametrize("case", MALFORMED)
def test_the_server_answers_and_exits_after_a_malformed_frame(server, case):
    data, reason = MALFORMED[case]
    server.initialize()
    # Sent with the malformed frame: a length too long is only found out by what follows.
    assert server.shut_down(after=data) == 0
    if reason is None:
        # Read and answered: refused (the document is not open), or cancelled by the
        # shutdown right behind it.
        assert server.response_to(MESSAGE["id"])["error"]["code"] in (-32602, -32800)
    else:
        [parse_error] = server.parse_errors()
        assert reason in parse_error["error"]["message"]
    assert "could not handle a message" not in server.log()


def test_json_that_is_no_message_object_gets_invalid_request(server):
    server.initialize()
    server.send(frame([1, 2]) + frame({"id": 7, "method": "textDocument/hover"}))
    errors = [server.wait_for(lambda m, i=msg_id: m.get("id") == i and "error" in m, f"error for id {msg_id}") for msg_id in (None, 7)]
    assert [e["error"]["code"] for e in errors] == [-32600, -32600]
    assert server.shut_down() == 0


FUZZ_SEED = 20261203
FUZZ_ROUNDS = 150


def test_the_server_answers_after_every_run_of_random_garbage(server):
    """One process through many runs of garbage, each followed by a request that must be
    answered; then garbage, ``shutdown`` and ``exit``."""
    rng = random.Random(FUZZ_SEED)
    server.initialize()
    for round_number in range(FUZZ_ROUNDS):
        probe = f"probe-{round_number}"
        server.send(garbage_run(rng) + frame(hover(probe)))
        assert server.response_to(probe)["error"]["code"] == -32602
    assert server.shut_down(after=garbage_run(rng)) == 0
    assert server.parse_errors(), "garbage went unreported"
    assert "could not handle a message" not in server.log()
