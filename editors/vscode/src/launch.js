'use strict';
// Which process runs the isolint server, following the conventions of Python-tool extensions
// (ruff-vscode, Microsoft's vscode-python-tools-extension-template):
//
// 1. `isolint.path`, when set, wins: that executable runs `server`.
// 2. Otherwise a Python interpreter runs bundled/tool/isolint_server.py: `isolint.interpreter`
//    when set, else the Python extension's selected interpreter, else python3 on PATH. Each is
//    probed (`--probe`) and the first that can run the server is used:
//    - importStrategy `useBundled` (default): with the isolint shipped in the vsix;
//    - importStrategy `fromEnvironment`: with the isolint installed in that interpreter.
// 3. With `fromEnvironment` and no interpreter that has isolint, `isolint` on PATH.
//
// In an untrusted workspace nothing inside a workspace folder is run (VS Code already hides
// the workspace's values of the restricted settings; an interpreter the Python extension
// found in the workspace's .venv is refused here). Kept free of the `vscode` module so that
// it runs, and is tested, under plain Node.

const { execFile } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const STRATEGIES = ['useBundled', 'fromEnvironment'];
const DEFAULT_STRATEGY = 'useBundled';
const PROBE_TIMEOUT_MS = 15000;
const LAUNCHER = path.join(__dirname, '..', 'bundled', 'tool', 'isolint_server.py');
const BUNDLE_MANIFEST = path.join(__dirname, '..', 'bundled', 'libs', 'manifest.json');
const INSTALL_HINT = 'python -m pip install <path to an isolint clone>';

/** The attempts made and what to do about them, as one error. */
class StartError extends Error {
  constructor(attempts, advice) {
    super(
      ['could not find a way to start the isolint language server. Tried:']
        .concat(attempts.map((attempt) => `- ${attempt.what}: ${attempt.outcome}`), advice)
        .join('\n')
    );
    this.attempts = attempts;
    this.advice = advice;
  }
}

function isExecutableFile(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first `name` on `envPath` (with PATHEXT's extensions on Windows), or null. */
function findOnPath(name, envPath, platform = process.platform, pathExt = process.env.PATHEXT) {
  const extensions = platform === 'win32' ? ['', ...(pathExt || '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const folder of (envPath || '').split(path.delimiter)) {
    if (!folder) {
      continue;
    }
    for (const extension of extensions) {
      const candidate = path.join(folder, name + extension);
      if (isExecutableFile(candidate)) {
        return candidate;
      }
    }
  }
  return null;
}

function isInside(file, folders) {
  const resolved = path.resolve(file);
  return folders.some((folder) => {
    const relative = path.relative(path.resolve(folder), resolved);
    return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
  });
}

/** The Python versions the vsix ships libraries for, from the bundle's manifest; [] without one. */
function bundledPythonVersions(manifestPath = BUNDLE_MANIFEST) {
  try {
    return JSON.parse(fs.readFileSync(manifestPath, 'utf8')).pythonVersions || [];
  } catch {
    return [];
  }
}

/**
 * Run the launcher's probe with `python`: { isolint, location, pythonVersion } when it can
 * start the server with `strategy`, else { problem }. It runs outside the workspace, so that
 * nothing in it can be imported.
 */
function probeInterpreter(python, strategy, { launcher = LAUNCHER, env = process.env, timeoutMs = PROBE_TIMEOUT_MS } = {}) {
  return new Promise((resolve) => {
    execFile(
      python,
      [launcher, '--probe'],
      { cwd: os.tmpdir(), env: { ...env, ISOLINT_IMPORT_STRATEGY: strategy }, timeout: timeoutMs, windowsHide: true },
      (error, stdout, stderr) => {
        if (error && error.code === 'ENOENT') {
          resolve({ problem: 'not found' });
          return;
        }
        if (error && error.code === 'EACCES') {
          resolve({ problem: 'not executable' });
          return;
        }
        let report;
        try {
          report = JSON.parse(stdout.trim().split('\n').pop());
        } catch {
          // Not our launcher's answer: too old a Python to run it, or not Python at all.
          const firstLine = (stderr || '').trim().split('\n').pop();
          const how = error && error.killed ? `no answer within ${timeoutMs / 1000} s` : `exited with code ${error ? error.code : 0}`;
          resolve({ problem: firstLine ? `${how}: ${firstLine}` : `${how} and printed no probe report` });
          return;
        }
        resolve(report);
      }
    );
  });
}

/** The interpreters to try, in order: [{ python, what }], or attempts that already failed. */
function interpreterCandidates({ interpreter, pythonExtension, envPath, platform }) {
  if (interpreter) {
    return { candidates: [{ python: interpreter, what: `${interpreter} (isolint.interpreter)` }], failed: [] };
  }
  const candidates = [];
  const failed = [];
  if (pythonExtension && pythonExtension.interpreter) {
    candidates.push({ python: pythonExtension.interpreter, what: `${pythonExtension.interpreter} (the Python extension's selected interpreter)` });
  } else if (pythonExtension && pythonExtension.problem) {
    failed.push({ what: "the Python extension's selected interpreter", outcome: pythonExtension.problem });
  }
  const names = platform === 'win32' ? ['python', 'py'] : ['python3'];
  for (const name of names) {
    const found = findOnPath(name, envPath, platform);
    if (found) {
      candidates.push({ python: found, what: `${found} (${name} on PATH)` });
    } else {
      failed.push({ what: `${name} on PATH`, outcome: 'not found' });
    }
  }
  return { candidates, failed };
}

function advice(strategy, versions) {
  if (strategy === 'fromEnvironment') {
    return (
      `To fix: install isolint into one of these interpreters (${INSTALL_HINT}), point isolint.interpreter ` +
      'or isolint.path at an environment that has it, or set isolint.importStrategy to "useBundled" ' +
      'to use the isolint shipped with the extension.'
    );
  }
  const shipped = versions.length ? `Python ${versions.join(', ')}` : 'Python 3.11 or newer';
  return (
    `To fix: the isolint shipped with the extension runs on ${shipped}; install one as python3 on PATH, ` +
    'select it with the Python extension, or set isolint.interpreter to it. Or set isolint.importStrategy ' +
    'to "fromEnvironment" (or isolint.path) to use an isolint you installed.'
  );
}

const UNTRUSTED = 'inside this untrusted workspace, so not run (trust the workspace, or choose one outside it)';

/**
 * How to start the server: { command, args, env, description }; a StartError naming every
 * attempt when nothing can start it.
 *
 * settings: { path, interpreter, importStrategy, serverArgs }; pythonExtension: undefined when
 * the Python extension is not installed, else { interpreter } or { problem }.
 */
async function resolveServer({
  settings,
  pythonExtension,
  trusted = true,
  workspaceFolders = [],
  env = process.env,
  platform = process.platform,
  probe = probeInterpreter,
  bundledVersions = bundledPythonVersions(),
}) {
  const serverArgs = settings.serverArgs || [];
  const strategy = STRATEGIES.includes(settings.importStrategy) ? settings.importStrategy : DEFAULT_STRATEGY;
  const refused = (file) => !trusted && isInside(file, workspaceFolders);

  if (settings.path) {
    const what = `${settings.path} (isolint.path)`;
    const found = path.isAbsolute(settings.path) || settings.path.includes(path.sep) ? (isExecutableFile(settings.path) ? settings.path : null) : findOnPath(settings.path, env.PATH, platform);
    let outcome;
    if (!found) {
      outcome = fs.existsSync(settings.path) ? 'not executable' : 'not found';
    } else if (refused(found)) {
      outcome = UNTRUSTED;
    } else {
      return { command: found, args: ['server', ...serverArgs], env: {}, description: `${found} server (isolint.path)` };
    }
    throw new StartError([{ what, outcome }], 'To fix: correct isolint.path, or clear it to let isolint.importStrategy choose.');
  }

  const { candidates, failed } = interpreterCandidates({ interpreter: settings.interpreter, pythonExtension, envPath: env.PATH, platform });
  const attempts = [...failed];
  for (const candidate of candidates) {
    if (refused(candidate.python)) {
      attempts.push({ what: candidate.what, outcome: UNTRUSTED });
      continue;
    }
    const report = await probe(candidate.python, strategy, { env });
    if (report.problem) {
      attempts.push({ what: candidate.what, outcome: report.problem });
      continue;
    }
    return {
      command: candidate.python,
      args: [LAUNCHER, ...serverArgs],
      env: { ISOLINT_IMPORT_STRATEGY: strategy },
      description: `isolint ${report.isolint} from ${report.location}, run by ${candidate.what}, Python ${report.pythonVersion} (${strategy})`,
    };
  }

  if (strategy === 'fromEnvironment') {
    const found = findOnPath('isolint', env.PATH, platform);
    if (!found) {
      attempts.push({ what: 'isolint on PATH', outcome: 'not found' });
    } else if (refused(found)) {
      attempts.push({ what: `${found} (isolint on PATH)`, outcome: UNTRUSTED });
    } else {
      return { command: found, args: ['server', ...serverArgs], env: {}, description: `${found} server (isolint on PATH, ${strategy})` };
    }
  }
  throw new StartError(attempts, advice(strategy, bundledVersions));
}

module.exports = {
  DEFAULT_STRATEGY,
  LAUNCHER,
  STRATEGIES,
  StartError,
  bundledPythonVersions,
  findOnPath,
  isInside,
  probeInterpreter,
  resolveServer,
};
