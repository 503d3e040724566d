'use strict';
// The isolint extension: starts the isolint language server over stdio for Rust files and
// leaves diagnostics, quick fixes, hover and inlay hints to vscode-languageclient. What it
// adds is choosing the server process (launch.js), settings plumbing, three commands, and
// fix-all on save.

const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');
const { StartError, resolveServer } = require('./launch');
const { RESTART_KEYS, launchSettings, serverOptions } = require('./settings');

const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append('isolint');

let client;
let outputChannel;

function section() {
  return vscode.workspace.getConfiguration('isolint');
}

/**
 * The Python extension's selected interpreter: undefined when that extension is not
 * installed, else { interpreter } or { problem }. Uses its `environments` API, or the older
 * `settings.getExecutionDetails` one.
 */
async function pythonExtensionInterpreter() {
  const extension = vscode.extensions.getExtension('ms-python.python');
  if (!extension) {
    return undefined;
  }
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    const resource = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0].uri;
    if (api && api.environments) {
      const active = api.environments.getActiveEnvironmentPath(resource);
      const environment = active && (await api.environments.resolveEnvironment(active));
      const executable = environment && environment.executable && environment.executable.uri;
      return executable ? { interpreter: executable.fsPath } : { problem: 'no interpreter selected' };
    }
    const command = api && api.settings && api.settings.getExecutionDetails(resource).execCommand;
    return command && command[0] ? { interpreter: command[0] } : { problem: 'no interpreter selected' };
  } catch (error) {
    return { problem: `its API failed: ${describeError(error)}` };
  }
}

/** Restart when the Python extension selects another interpreter, once per activation. */
let watchingPythonExtension = false;
async function followPythonExtension(context) {
  const extension = vscode.extensions.getExtension('ms-python.python');
  if (!extension || watchingPythonExtension) {
    return;
  }
  try {
    const api = extension.isActive ? extension.exports : await extension.activate();
    if (api && api.environments && api.environments.onDidChangeActiveEnvironmentPath) {
      watchingPythonExtension = true;
      context.subscriptions.push(
        api.environments.onDidChangeActiveEnvironmentPath(() => {
          const settings = launchSettings(section());
          if (!settings.path && !settings.interpreter) {
            restartClient();
          }
        })
      );
    }
  } catch {
    // pythonExtensionInterpreter reports a broken API where it matters, at start.
  }
}

function describeError(error) {
  if (error instanceof Error) {
    return error.message || error.name;
  }
  return typeof error === 'string' ? error : JSON.stringify(error);
}

function createClient(launch) {
  // No `transport`: vscode-languageclient would append `--stdio`, which the server does not
  // take; a plain executable already talks over stdin/stdout.
  const executable = { command: launch.command, args: launch.args, options: { env: { ...process.env, ...launch.env } } };
  return new LanguageClient(
    'isolint',
    'isolint',
    { run: executable, debug: executable },
    {
      documentSelector: [{ scheme: 'file', language: 'rust' }],
      outputChannel,
      initializationOptions: serverOptions(section()),
      // Explicit, not vscode-languageclient's defaults (which differ between its versions):
      // pull diagnostics as the user types and again on save.
      diagnosticPullOptions: { onChange: true, onSave: true },
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

function showStartFailure(summary, details) {
  outputChannel.appendLine(`isolint: ${details}`);
  vscode.window.showErrorMessage(`isolint: ${summary}`, 'Show Output').then((choice) => {
    if (choice) {
      outputChannel.show(true);
    }
  });
}

async function startClient() {
  client = undefined;
  let launch;
  try {
    launch = await resolveServer({
      settings: launchSettings(section()),
      pythonExtension: await pythonExtensionInterpreter(),
      trusted: vscode.workspace.isTrusted,
      workspaceFolders: (vscode.workspace.workspaceFolders || []).map((folder) => folder.uri.fsPath),
    });
  } catch (error) {
    if (!(error instanceof StartError)) {
      throw error;
    }
    // One line per attempt in the notification too: it is what the user acts on.
    showStartFailure(error.message, error.message);
    return;
  }
  outputChannel.appendLine(`isolint: starting ${launch.description}`);
  client = createClient(launch);
  try {
    await client.start();
  } catch (error) {
    const command = [launch.command, ...launch.args].join(' ');
    showStartFailure(
      `the language server (${launch.description}) did not start: ${describeError(error)}. Its error output is in the isolint output channel.`,
      `\`${command}\` did not start: ${describeError(error)}`
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
    // In Restricted Mode the workspace's own server settings were ignored; now they apply.
    vscode.workspace.onDidGrantWorkspaceTrust(restartClient),
    outputChannel,
    vscode.commands.registerCommand('isolint.restartServer', restartClient),
    vscode.commands.registerCommand('isolint.showOutput', () => outputChannel.show(true)),
    vscode.commands.registerCommand('isolint.fixAll', fixAllInActiveEditor),
    vscode.workspace.onWillSaveTextDocument(fixAllOnSave),
    vscode.workspace.onDidChangeConfiguration(onConfigurationChanged)
  );
  await followPythonExtension(context);
  await startClient();
}

async function deactivate() {
  if (client) {
    // A client whose server never started has nothing to stop, and says so by rejecting.
    await client.stop().catch(() => undefined);
  }
}

module.exports = { activate, deactivate };
