'use strict';
// How the extension's settings map onto the server: which command starts it, and which
// settings are the server's own options (sent as initializationOptions and served to its
// workspace/configuration requests). Kept free of the `vscode` module so it reads alone.

// The server's own options (lsp_server/options.py); every other isolint.* setting belongs to
// the extension and is kept from the server.
const SERVER_OPTION_KEYS = [
  'select',
  'extendSelect',
  'ignore',
  'severity',
  'lintTests',
  'debounceMs',
  'workspaceScan',
  'inlayHints',
  'logLevel',
];

// Changing one of these needs a new server process, not just new options.
const RESTART_KEYS = ['path', 'interpreter', 'serverArgs'];

/**
 * The server's options from an isolint configuration section. Unset rule options stay in as
 * null: the server merges what it is sent, so a setting the user removed must be sent as
 * null to fall back to the config file again.
 */
function serverOptions(section) {
  const options = {};
  for (const key of SERVER_OPTION_KEYS) {
    const value = section.get(key);
    options[key] = value === undefined ? null : value;
  }
  return options;
}

/** { command, args } that start the server over stdio. */
function serverCommand(section) {
  const extraArgs = section.get('serverArgs') || [];
  const interpreter = section.get('interpreter');
  if (interpreter) {
    // `-m isolint server` rather than `-m lsp_server`: the CLI entry honours the extra args.
    return { command: interpreter, args: ['-m', 'isolint', 'server', ...extraArgs] };
  }
  return { command: section.get('path') || 'isolint', args: ['server', ...extraArgs] };
}

module.exports = { RESTART_KEYS, SERVER_OPTION_KEYS, serverCommand, serverOptions };
