"""Scope vocabulary: which identifiers, fields and type names count as tenant or pack scope.

Identifiers are compared word by word, so ``tenant_id``, ``TenantId``, ``ctx.tenant.id``
and ``TENANT_ID`` all contain the vocabulary entry ``tenant_id``, while ``attenant`` or
``content`` contain nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")


@lru_cache(maxsize=65536)
def words_of(identifier: str) -> tuple[str, ...]:
    """Lower-case words of an identifier or dotted path: ``ctx.TenantId`` → (ctx, tenant, id).
    Identifiers recur, so their words are cached; split long text with ``split_words``."""
    return split_words(identifier)


def split_words(text: str) -> tuple[str, ...]:
    """``words_of`` without the cache, for text that seldom recurs and would stay alive in
    the cache (a whole function)."""
    parts: list[str] = []
    for chunk in _SEPARATORS.split(text):
        if chunk:
            parts.extend(w.lower() for w in _CAMEL_BOUNDARY.split(chunk) if w)
    return tuple(parts)


def _contains_run(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    size = len(needle)
    if size == 0 or size > len(haystack):
        return False
    return any(haystack[i : i + size] == needle for i in range(len(haystack) - size + 1))


_IDENTITY_TAILS = frozenset({"id", "ids", "ctx", "context", "scope", "key", "name", "ref", "uid"})


def names_identity(text: str, entry: str) -> bool:
    """Whether ``text``, in which the vocabulary ``entry`` was found, names the identity
    itself (``org_id``, ``tenant``, ``TenantCtx``) rather than a thing named after it
    (``organization_provisioner``, ``PackFooter``, ``pack_path``): its last word is the
    entry's or an identity word."""
    words = words_of(text)
    # A newtype's tuple field (`self.org_id.0`) is the identity it wraps.
    while words and words[-1].isdigit():
        words = words[:-1]
    return bool(words) and (words[-1] in words_of(entry) or words[-1] in _IDENTITY_TAILS)


# The default tenant vocabulary counts a deployment environment (`env`) as a scope; where the
# word means the process environment (`ENV_KEY`, `env::var`) it identifies no tenant.
PROCESS_ENVIRONMENT_WORDS = frozenset({"env", "environment", "env_id"})


class WordSet:
    """A set of vocabulary entries, each matched as a run of words."""

    def __init__(self, entries: tuple[str, ...]):
        self.entries = entries
        # Longest first, so the entry found is the most specific one whatever the set's order
        # (a configured `environment_id` is found in `environment_id`, not the default `environment`).
        self._needles = tuple(sorted({words_of(e) for e in entries if words_of(e)}, key=lambda needle: (-len(needle), needle)))
        self._cache: dict[str, str | None] = {}

    def match(self, identifier: str) -> str | None:
        """The vocabulary entry found in ``identifier`` (as words), or None."""
        cached = self._cache.get(identifier, False)
        if cached is not False:
            return cached
        words = words_of(identifier)
        found = None
        for needle in self._needles:
            if _contains_run(words, needle):
                found = "_".join(needle)
                break
        self._cache[identifier] = found
        return found

    def __contains__(self, identifier: str) -> bool:
        return self.match(identifier) is not None


class Vocabulary:
    """The configured scope words: tenant scope, pack scope, per-pack ids, scoping helpers."""

    def __init__(self, tenant: tuple[str, ...], pack: tuple[str, ...], per_pack: tuple[str, ...], helpers: tuple[str, ...]):
        self.tenant = WordSet(tenant)
        self.pack = WordSet(pack)
        self.per_pack = WordSet(per_pack)
        self.helpers = frozenset(helpers)
        # Configured order matters: a fix wraps keys in the first helper the user listed.
        self.helpers_in_order = tuple(dict.fromkeys(helpers))

    def is_scope(self, identifier: str) -> bool:
        return identifier in self.tenant or identifier in self.pack

    def is_helper(self, function_name: str) -> bool:
        return function_name in self.helpers
