'use strict';
// Stands in for the Python extension (ms-python.python) in isolint's editor tests, where the
// real one cannot be installed (no extension marketplace offline). It offers the part of its
// `environments` API that Python-tool extensions use, answering with the interpreter named
// by `python.defaultInterpreterPath` (which is also how the real extension picks its default),
// and fires onDidChangeActiveEnvironmentPath when that setting changes.

const vscode = require('vscode');

function activate(context) {
  const changed = new vscode.EventEmitter();
  const selected = () => ({ id: 'stand-in', path: vscode.workspace.getConfiguration('python').get('defaultInterpreterPath') });
  context.subscriptions.push(
    changed,
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('python.defaultInterpreterPath')) {
        changed.fire({ ...selected(), resource: undefined });
      }
    })
  );
  return {
    environments: {
      getActiveEnvironmentPath: () => selected(),
      resolveEnvironment: async (environment) => {
        const path = typeof environment === 'string' ? environment : environment.path;
        // None selected: the real extension then has no environment to resolve either.
        return path ? { id: path, path, executable: { uri: vscode.Uri.file(path) } } : undefined;
      },
      onDidChangeActiveEnvironmentPath: changed.event,
    },
  };
}

module.exports = { activate };
