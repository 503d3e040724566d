"""An earlier analysis's diagnostics carried through the content changes made since, so a
pull can be answered at once while the analysis of the latest version is still on its way.

Positions move as an editor moves its own markers: before an edit they stay, after it they
shift by what it inserted and removed. A diagnostic with an edit strictly inside its range
is kept and stretches with it (typing inside a flagged call keeps its squiggle); one whose
range an edit crosses, or replaces whole, is dropped: what it judged is no longer there.
Related locations and fix edits that an edit touches are dropped from the diagnostic (its
fix would now replace the wrong text).
"""

from __future__ import annotations

import copy
from typing import Iterable

from lsprotocol import types

from ..checks.source import text_units
from .diagnostics import DiagnosticData, EditData, PositionData
from .documents import TextChange

Point = tuple[int, int]  # (line, character) in the negotiated encoding's units


class _Shift:
    """One ranged content change, as it moves positions."""

    __slots__ = ("start", "end", "new_end")

    def __init__(self, change: TextChange, encoding: str):
        self.start: Point = change.start
        self.end: Point = max(change.end, change.start)  # a reversed range is an insertion (``OpenDocument.apply``)
        lines = change.text.count("\n")
        if lines == 0:
            self.new_end = (self.start[0], self.start[1] + text_units(change.text, encoding))
        else:
            self.new_end = (self.start[0] + lines, text_units(change.text[change.text.rfind("\n") + 1:], encoding))

    def point(self, point: Point) -> Point:
        """Where a point at or after the edit's end moves (one before its start stays)."""
        if point < self.end:
            return point
        if point[0] == self.end[0]:
            return self.new_end[0], self.new_end[1] + point[1] - self.end[1]
        return point[0] + self.new_end[0] - self.end[0], point[1]

    def span(self, start: Point, end: Point) -> tuple[Point, Point] | None:
        """Where a range moves; None when the edit crosses it or replaces it whole."""
        if end <= self.start:
            return start, end
        if start >= self.end:
            return self.point(start), self.point(end)
        if start <= self.start and self.end <= end and (start, end) != (self.start, self.end):
            return start, self.point(end)
        return None


def _point(position: types.Position) -> Point:
    return position.line, position.character


def _position(point: Point) -> types.Position:
    return types.Position(line=point[0], character=point[1])


def _moved_range(shifts: list[_Shift], moved: types.Range) -> types.Range | None:
    start, end = _point(moved.start), _point(moved.end)
    for shift in shifts:
        span = shift.span(start, end)
        if span is None:
            return None
        start, end = span
    return types.Range(start=_position(start), end=_position(end))


def _moved_edit(shifts: list[_Shift], edit: EditData) -> EditData | None:
    moved = _moved_range(shifts, types.Range(start=types.Position(edit.start.line, edit.start.character),
                                              end=types.Position(edit.end.line, edit.end.character)))
    if moved is None:
        return None
    return EditData(PositionData(moved.start.line, moved.start.character), PositionData(moved.end.line, moved.end.character), edit.new_text)


def _moved_data(shifts: list[_Shift], raw: object, line_delta: int, version: int) -> object:
    data = DiagnosticData.from_client(raw)
    if data is None:
        return raw
    fix = data.fix
    if fix is not None:
        edits = [_moved_edit(shifts, edit) for edit in fix.edits]
        fix = None if any(edit is None for edit in edits) else type(fix)(fix.title, fix.applicability, tuple(edits))
    return DiagnosticData(version, data.first_line + line_delta, fix).to_json()


def move_diagnostics(diagnostics: Iterable[types.Diagnostic], changes: Iterable[TextChange], encoding: str, uri: str,
                     version: int) -> list[types.Diagnostic] | None:
    """``diagnostics`` moved through ``changes`` (in the order they were applied), marked as
    for ``version``; None when a change replaced the whole document (nothing to move)."""
    shifts = []
    for change in changes:
        if change.start is None or change.end is None:
            return None
        shifts.append(_Shift(change, encoding))
    moved_diagnostics = []
    for diagnostic in diagnostics:
        moved_range = _moved_range(shifts, diagnostic.range)
        if moved_range is None:
            continue
        moved = copy.copy(diagnostic)
        moved.range = moved_range
        if diagnostic.related_information:
            related = []
            for item in diagnostic.related_information:
                if item.location.uri != uri:
                    related.append(item)
                    continue
                location_range = _moved_range(shifts, item.location.range)
                if location_range is not None:
                    related.append(types.DiagnosticRelatedInformation(location=types.Location(uri=uri, range=location_range), message=item.message))
            moved.related_information = related or None
        moved.data = _moved_data(shifts, diagnostic.data, moved_range.start.line - diagnostic.range.start.line, version)
        moved_diagnostics.append(moved)
    return moved_diagnostics
