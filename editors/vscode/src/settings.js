'use strict';
// How the extension's settings map onto the server: which settings choose the process that
// runs it (see launch.js), and which are the server's own options (sent as initializationOptions and served to its
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

// The settings that choose the server process (launch.js); changing one needs a new
// process, not just new options. In an untrusted workspace VS Code ignores the workspace's
// values of these (package.json's capabilities.untrustedWorkspaces.restrictedConfigurations).
const RESTART_KEYS = ['path', 'interpreter', 'importStrategy', 'serverArgs'];

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

/** The settings launch.js chooses the server process by. */
function launchSettings(section) {
  return {
    path: section.get('path') || '',
    interpreter: section.get('interpreter') || '',
    importStrategy: section.get('importStrategy') || 'useBundled',
    serverArgs: section.get('serverArgs') || [],
  };
}

module.exports = { RESTART_KEYS, SERVER_OPTION_KEYS, launchSettings, serverOptions };
