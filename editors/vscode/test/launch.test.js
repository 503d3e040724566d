'use strict';
// How launch.js chooses the server process. The interpreters here are real executables in a
// temp folder: shell scripts that answer the launcher's `--probe` the way a Python with or
// without isolint does, so the probing (spawn, exit codes, JSON) runs for real.
// Run with `npm test` (node --test); tests/editors/test_vscode_launch.py runs it under pytest.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');

const { LAUNCHER, StartError, findOnPath, probeInterpreter, resolveServer } = require('../src/launch');

const BUNDLED = ['3.11', '3.12', '3.13', '3.14'];

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'isolint-launch-'));
}

function executable(folder, name, script) {
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, name);
  fs.writeFileSync(file, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return file;
}

// Single-quoted for sh; the probes run with the test's PATH only, so just shell builtins.
function shellQuote(text) {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** An interpreter whose probe succeeds, reporting isolint at `location`. */
function workingPython(folder, name, location = '/opt/isolint') {
  const report = JSON.stringify({ pythonVersion: '3.12.1', isolint: '0.1.0', location });
  return executable(folder, name, `echo ${shellQuote(report)}`);
}

/** An interpreter whose probe reports `problem`, as the launcher does. */
function failingPython(folder, name, problem) {
  return executable(folder, name, `echo ${shellQuote(JSON.stringify({ problem }))}; exit 1`);
}

function settings(overrides = {}) {
  return { path: '', interpreter: '', importStrategy: 'useBundled', serverArgs: [], ...overrides };
}

async function startError(promise) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof StartError, `expected a StartError, got ${error}`);
    assert.doesNotMatch(error.message, /undefined/);
    return error;
  }
  assert.fail('the server was resolved although nothing could start it');
}

test('isolint.path wins over the interpreter and the import strategy', async () => {
  const dir = tempDir();
  const isolint = executable(path.join(dir, 'venv', 'bin'), 'isolint', 'exit 0');
  const python = workingPython(path.join(dir, 'bin'), 'python3');

  const launch = await resolveServer({
    settings: settings({ path: isolint, interpreter: python, importStrategy: 'fromEnvironment', serverArgs: ['--log-level', 'debug'] }),
    env: { PATH: path.join(dir, 'bin') },
  });

  assert.equal(launch.command, isolint);
  assert.deepEqual(launch.args, ['server', '--log-level', 'debug']);
});

test('a missing isolint.path is reported by name, not tried elsewhere', async () => {
  const dir = tempDir();
  workingPython(path.join(dir, 'bin'), 'python3');

  const error = await startError(resolveServer({ settings: settings({ path: path.join(dir, 'nowhere', 'isolint') }), env: { PATH: path.join(dir, 'bin') } }));

  assert.deepEqual(error.attempts, [{ what: `${path.join(dir, 'nowhere', 'isolint')} (isolint.path)`, outcome: 'not found' }]);
  assert.match(error.message, /correct isolint\.path/);
});

test('useBundled runs the launcher with the first interpreter whose probe succeeds', async () => {
  const dir = tempDir();
  const selected = failingPython(path.join(dir, 'old', 'bin'), 'python', 'Python 3.10 has no bundled isolint (this build ships it for Python 3.11, 3.12)');
  const onPath = workingPython(path.join(dir, 'bin'), 'python3', '/ext/bundled/libs/common/isolint');

  const launch = await resolveServer({ settings: settings(), pythonExtension: { interpreter: selected }, env: { PATH: path.join(dir, 'bin') } });

  assert.equal(launch.command, onPath);
  assert.deepEqual(launch.args, [LAUNCHER]);
  assert.deepEqual(launch.env, { ISOLINT_IMPORT_STRATEGY: 'useBundled' });
  assert.match(launch.description, /isolint 0\.1\.0 from \/ext\/bundled\/libs\/common\/isolint/);
  assert.match(launch.description, /python3 on PATH/);
});

test("the Python extension's interpreter comes before python3 on PATH", async () => {
  const dir = tempDir();
  const selected = workingPython(path.join(dir, 'project', '.venv', 'bin'), 'python');
  workingPython(path.join(dir, 'bin'), 'python3');

  const launch = await resolveServer({ settings: settings(), pythonExtension: { interpreter: selected }, env: { PATH: path.join(dir, 'bin') } });

  assert.equal(launch.command, selected);
  assert.match(launch.description, /the Python extension's selected interpreter/);
});

test('isolint.interpreter is the only interpreter tried when set', async () => {
  const dir = tempDir();
  const chosen = failingPython(path.join(dir, 'chosen'), 'python', "cannot import isolint (No module named 'isolint')");
  workingPython(path.join(dir, 'bin'), 'python3');

  const error = await startError(
    resolveServer({ settings: settings({ interpreter: chosen, importStrategy: 'fromEnvironment' }), env: { PATH: path.join(dir, 'bin') } })
  );

  assert.deepEqual(error.attempts, [
    { what: `${chosen} (isolint.interpreter)`, outcome: "cannot import isolint (No module named 'isolint')" },
    { what: 'isolint on PATH', outcome: 'not found' },
  ]);
});

test('fromEnvironment falls back to isolint on PATH when no interpreter has it', async () => {
  const dir = tempDir();
  failingPython(path.join(dir, 'bin'), 'python3', "cannot import isolint (No module named 'isolint')");
  const isolint = executable(path.join(dir, 'tools'), 'isolint', 'exit 0');

  const launch = await resolveServer({
    settings: settings({ importStrategy: 'fromEnvironment' }),
    env: { PATH: [path.join(dir, 'bin'), path.join(dir, 'tools')].join(path.delimiter) },
  });

  assert.equal(launch.command, isolint);
  assert.deepEqual(launch.args, ['server']);
});

test('useBundled does not fall back to isolint on PATH', async () => {
  const dir = tempDir();
  executable(path.join(dir, 'tools'), 'isolint', 'exit 0');

  const error = await startError(resolveServer({ settings: settings(), env: { PATH: path.join(dir, 'tools') }, bundledVersions: BUNDLED }));

  assert.deepEqual(error.attempts, [{ what: 'python3 on PATH', outcome: 'not found' }]);
});

test('a failure names every interpreter tried and what to do, for each strategy', async () => {
  const dir = tempDir();
  const selected = failingPython(path.join(dir, 'sel'), 'python', 'Python 3.10 has no bundled isolint (this build ships it for Python 3.11, 3.12, 3.13, 3.14)');
  const onPath = failingPython(path.join(dir, 'bin'), 'python3', 'Python 3.9 has no bundled isolint (this build ships it for Python 3.11, 3.12, 3.13, 3.14)');
  const env = { PATH: path.join(dir, 'bin') };

  const bundled = await startError(resolveServer({ settings: settings(), pythonExtension: { interpreter: selected }, env, bundledVersions: BUNDLED }));
  assert.deepEqual(
    bundled.attempts.map((attempt) => attempt.what),
    [`${selected} (the Python extension's selected interpreter)`, `${onPath} (python3 on PATH)`]
  );
  assert.match(bundled.message, /Python 3\.10 has no bundled isolint/);
  assert.match(bundled.message, /runs on Python 3\.11, 3\.12, 3\.13, 3\.14/);

  const fromEnvironment = await startError(
    resolveServer({ settings: settings({ importStrategy: 'fromEnvironment' }), pythonExtension: { problem: 'no interpreter selected' }, env })
  );
  assert.deepEqual(
    fromEnvironment.attempts.map((attempt) => attempt.what),
    ["the Python extension's selected interpreter", `${onPath} (python3 on PATH)`, 'isolint on PATH']
  );
  assert.match(fromEnvironment.message, /install isolint into one of these interpreters/);
});

test('in an untrusted workspace nothing inside the workspace is run', async () => {
  const dir = tempDir();
  const workspace = path.join(dir, 'workspace');
  const workspaceIsolint = executable(path.join(workspace, 'bin'), 'isolint', 'exit 0');
  const workspacePython = workingPython(path.join(workspace, '.venv', 'bin'), 'python');
  const userPython = workingPython(path.join(dir, 'bin'), 'python3');
  const common = { trusted: false, workspaceFolders: [workspace], env: { PATH: path.join(dir, 'bin') } };

  const viaPath = await startError(resolveServer({ ...common, settings: settings({ path: workspaceIsolint }) }));
  assert.match(viaPath.attempts[0].outcome, /untrusted workspace/);

  const launch = await resolveServer({ ...common, settings: settings(), pythonExtension: { interpreter: workspacePython } });
  assert.equal(launch.command, userPython, 'the .venv inside the workspace is skipped');

  const trustedLaunch = await resolveServer({ ...common, trusted: true, settings: settings(), pythonExtension: { interpreter: workspacePython } });
  assert.equal(trustedLaunch.command, workspacePython, 'once trusted, the workspace .venv is used');
});

test('probing reports a missing interpreter and one that is not our launcher answering', async () => {
  const dir = tempDir();
  assert.deepEqual(await probeInterpreter(path.join(dir, 'missing-python'), 'useBundled'), { problem: 'not found' });

  const broken = executable(dir, 'python3', 'echo "SyntaxError: invalid syntax" >&2; exit 1');
  assert.deepEqual(await probeInterpreter(broken, 'useBundled'), { problem: 'exited with code 1: SyntaxError: invalid syntax' });
});

test('findOnPath finds only executable files', () => {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'a', 'isolint'), { recursive: true }); // a folder named isolint
  fs.mkdirSync(path.join(dir, 'b'));
  fs.writeFileSync(path.join(dir, 'b', 'isolint'), 'not executable', { mode: 0o644 });
  const real = executable(path.join(dir, 'c'), 'isolint', 'exit 0');

  const envPath = ['a', 'b', 'c'].map((name) => path.join(dir, name)).join(path.delimiter);
  assert.equal(findOnPath('isolint', envPath, 'linux'), real);
  assert.equal(findOnPath('isolint', path.join(dir, 'a'), 'linux'), null);
});
