"""rustc-UI-style expectations in fixture files.

``//~ ISO101`` expects a finding of ISO101 starting on that line; ``//~^ ISO101`` on the
line above (one ``^`` per line up); several codes may follow one marker.
"""

from __future__ import annotations

import re
from collections import Counter

ANNOTATION = re.compile(r"//~(?P<up>\^*)\s+(?P<codes>(?:ISO\d{3}\s*)+)")


def expected_findings(text: str) -> Counter:
    expected: Counter = Counter()
    for number, line in enumerate(text.splitlines()):
        for match in ANNOTATION.finditer(line):
            target = number - len(match.group("up"))
            for code in match.group("codes").split():
                expected[(target + 1, code)] += 1
    return expected
