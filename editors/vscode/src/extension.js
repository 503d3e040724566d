'use strict';
// The isolint extension: starts `isolint server` over stdio for Rust files and leaves
// diagnostics, quick fixes, hover and inlay hints to vscode-languageclient. What it adds is
// settings plumbing, three commands, and fix-all on save.

const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');
const { RESTART_KEYS, serverCommand, serverOptions } = require('./settings');

const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append('isolint');

let client;
let outputChannel;

function section() {
  return vscode.workspace.getConfiguration('isolint');
}

function createClient() {
  const { command, args } = serverCommand(section());
  // No `transport`: vscode-languageclient would append `--stdio`, which `isolint server`
  // does not take; a plain executable already talks over stdin/stdout.
  const executable = { command, args };
  return new LanguageClient(
    'isolint',
    'isolint',
    { run: executable, debug: executable },
    {
      documentSelector: [{ scheme: 'file', language: 'rust' }],
      outputChannel,
      initializationOptions: serverOptions(section()),
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher('**/{isolint.toml,.isolint.toml,Cargo.toml,*.rs}'),
      },
      middleware: {
        workspace: {
          // Answer the server's workspace/configuration with its own options only: the
          // extension's settings (path, trace, …) would fail its strict validation.
          configuration: (params) =>
            params.items.map((item) =>
              item.section === 'isolint' || item.section === undefined
                ? serverOptions(vscode.workspace.getConfiguration('isolint', item.scopeUri && vscode.Uri.parse(item.scopeUri)))
                : null
            ),
        },
      },
    }
  );
}

async function startClient() {
  client = createClient();
  try {
    await client.start();
  } catch (error) {
    const { command } = serverCommand(section());
    vscode.window.showErrorMessage(
      `isolint: could not start the language server with \`${command}\` (${error.message}). ` +
        'Install isolint (pip install isolint) or set isolint.path / isolint.interpreter.'
    );
  }
}

async function restartClient() {
  if (client) {
    await client.stop().catch(() => undefined);
  }
  await startClient();
}

/** All safe isolint fixes for a document, as the server's source.fixAll.isolint action offers them. */
async function fixAllEdits(document) {
  const wholeDocument = new vscode.Range(0, 0, document.lineCount, 0);
  const actions =
    (await vscode.commands.executeCommand('vscode.executeCodeActionProvider', document.uri, wholeDocument, FIX_ALL_KIND.value, 1)) || [];
  const fixAll = actions.find((action) => action.kind && FIX_ALL_KIND.contains(action.kind) && action.edit);
  return fixAll ? fixAll.edit.get(document.uri) : [];
}

async function fixAllInActiveEditor() {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'rust') {
    vscode.window.showInformationMessage('isolint: open a Rust file to fix.');
    return;
  }
  const edits = await fixAllEdits(editor.document);
  if (edits.length === 0) {
    vscode.window.showInformationMessage('isolint: nothing to fix in this file.');
    return;
  }
  const workspaceEdit = new vscode.WorkspaceEdit();
  workspaceEdit.set(editor.document.uri, edits);
  await vscode.workspace.applyEdit(workspaceEdit);
}

function fixAllOnSave(event) {
  if (event.document.languageId !== 'rust' || !section().get('fixAllOnSave') || !client || !client.isRunning()) {
    return;
  }
  event.waitUntil(fixAllEdits(event.document));
}

async function onConfigurationChanged(event) {
  if (RESTART_KEYS.some((key) => event.affectsConfiguration(`isolint.${key}`))) {
    await restartClient();
  } else if (event.affectsConfiguration('isolint') && client && client.isRunning()) {
    // vscode-languageclient forwards didChangeConfiguration only with `synchronize.configurationSection`,
    // which would send the extension's own settings too; send the server's options instead.
    await client.sendNotification('workspace/didChangeConfiguration', { settings: { isolint: serverOptions(section()) } });
  }
}

async function activate(context) {
  outputChannel = vscode.window.createOutputChannel('isolint');
  context.subscriptions.push(
    outputChannel,
    vscode.commands.registerCommand('isolint.restartServer', restartClient),
    vscode.commands.registerCommand('isolint.showOutput', () => outputChannel.show(true)),
    vscode.commands.registerCommand('isolint.fixAll', fixAllInActiveEditor),
    vscode.workspace.onWillSaveTextDocument(fixAllOnSave),
    vscode.workspace.onDidChangeConfiguration(onConfigurationChanged)
  );
  await startClient();
}

async function deactivate() {
  if (client) {
    await client.stop();
  }
}

module.exports = { activate, deactivate };
