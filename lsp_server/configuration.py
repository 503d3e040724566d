"""The effective engine settings for each file: the CLI's discovery (``ConfigResolver``)
plus the editor's overrides, with the last good config kept when a file breaks.

A broken config is never silently replaced by defaults: the error is remembered (the
server shows it as a diagnostic on the config file and a message), and files under it keep
the config that last loaded from that file.

The pydantic schema is imported only once a config file or an editor override needs it:
a project with neither gets the defaults' settings without it, which keeps it off the
server's start-up path.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from ..checks.config import (
    ConfigError, ConfigResolver, Settings, default_settings, describe_invalid, discover_config_file, error_key_path,
)

if TYPE_CHECKING:
    from ..checks.config_schema import IsolintConfig

log = logging.getLogger(__name__)

CONFIG_FILE_NAMES = frozenset({"isolint.toml", ".isolint.toml", "Cargo.toml"})


def is_config_file(path: Path) -> bool:
    return path.name in CONFIG_FILE_NAMES


class ProjectConfiguration:
    """Settings per file; ``reload()`` after config files or editor options change."""

    def __init__(self, overrides: dict | None = None):
        self._overrides = overrides or {}
        # Without overrides: the resolver yields each file's own config, so the last good
        # one can be combined with whatever editor overrides are current.
        self._resolver = ConfigResolver()
        self._last_good: dict[Path, IsolintConfig] = {}
        self._effective: dict[Path | None, Settings] = {}
        # Config files that failed to load, with their error; cleared when they load again.
        self.errors: dict[Path, ConfigError] = {}
        # Modification times of the config files read, to notice edits made while the
        # client sends no file-watch events (not every client can register watchers).
        self._mtimes: dict[Path, int | None] = {}
        # Bumped on every reload so cached analyses and result ids can tell they are stale.
        self.generation = 0

    @staticmethod
    def validate_overrides(overrides: dict) -> None:
        """Raise ``ValueError`` when editor overrides name unknown rules or bad values."""
        if not overrides:
            return
        from pydantic import ValidationError

        from ..checks.config_schema import IsolintConfig

        try:
            IsolintConfig.model_validate(overrides)
        except ValidationError as error:
            problems = [describe_invalid(".".join(error_key_path(found["loc"])) or "<root>", found) for found in error.errors()]
            raise ValueError("invalid isolint setting: " + "; ".join(problems)) from error

    def reload(self, overrides: dict | None = None) -> None:
        if overrides is not None:
            self._overrides = overrides
        self._resolver = ConfigResolver()
        self._effective.clear()
        self._mtimes.clear()
        self.errors.clear()
        self.generation += 1

    def settings_for(self, path: Path | None) -> Settings:
        if path is None:
            return self._settings(None, None)
        try:
            source = self._resolver.source_for(path)
            config = self._resolver.config_for(path) if source is not None else None
        except ConfigError as error:
            if error.path not in self.errors:
                log.error("config error: %s; keeping the last good config", error)
            self.errors[error.path] = error
            self._mtimes[error.path] = _mtime(error.path)
            return self._settings(error.path, self._last_good.get(error.path))
        if source is None:
            return self._settings(None, None)
        self._last_good[source.path] = config
        self._mtimes.setdefault(source.path, _mtime(source.path))
        return self._settings(source.path, config)

    def changed_on_disk(self, linted: list[Path]) -> bool:
        """True when a config file read since the last reload was edited or removed, or
        discovery for one of the ``linted`` files would now find another one."""
        if any(_mtime(path) != mtime for path, mtime in self._mtimes.items()):
            return True
        for path in linted:
            try:
                found = discover_config_file(path)
            except ConfigError:
                return True
            try:
                known = self._resolver.source_for(path)
            except ConfigError as error:
                known_path = error.path
            else:
                known_path = known.path if known is not None else None
            if (found.path if found is not None else None) != known_path:
                return True
        return False

    def _settings(self, config_path: Path | None, config: IsolintConfig | None) -> Settings:
        """The settings of ``config`` (None: the defaults) with the editor's overrides."""
        settings = self._effective.get(config_path)
        if settings is None:
            if self._overrides:
                from ..checks.config_schema import DEFAULT_CONFIG, IsolintConfig

                config = IsolintConfig.model_validate({**(config or DEFAULT_CONFIG).model_dump(), **self._overrides})
            settings = self._effective[config_path] = default_settings() if config is None else config.settings
        return settings


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None
