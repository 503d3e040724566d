"""isolint's command line: a thin adapter over the ``checks`` engine."""

__version__ = "0.1.0"
