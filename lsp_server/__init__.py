"""isolint's language server: the pygls 2.x adapter over the ``checks`` engine."""
