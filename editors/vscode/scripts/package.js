'use strict';
// `npm run package`: bundle isolint and its Python dependencies for one platform
// (scripts/bundle_python.py), then package a platform-specific vsix with vsce.
//
//   npm run package                        # this machine's platform, isolint.vsix
//   npm run package -- --target linux-arm64 --out isolint-linux-arm64.vsix
//
// The Python that runs the bundling needs only pip and network access to PyPI:
// $PYTHON, else python3 on PATH.

const { spawnSync } = require('child_process');
const path = require('path');

const EXTENSION_DIR = path.resolve(__dirname, '..');

// process.platform/arch → VS Code's target names (musl Linux is `alpine-*`).
function hostTarget() {
  const arch = { x64: 'x64', arm64: 'arm64' }[process.arch] || process.arch;
  const report = process.report && process.report.getReport();
  const musl = process.platform === 'linux' && report && !report.header.glibcVersionRuntime;
  return `${musl ? 'alpine' : process.platform}-${arch}`;
}

function option(name, fallback) {
  const index = process.argv.indexOf(name);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1] : fallback;
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: EXTENSION_DIR, stdio: 'inherit' });
  if (result.error) {
    console.error(`package: could not run ${command}: ${result.error.message}`);
    process.exit(1);
  }
  if (result.status !== 0) {
    process.exit(result.status || 1);
  }
}

const target = option('--target', hostTarget());
const out = option('--out', 'isolint.vsix');
const python = process.env.PYTHON || 'python3';
const bundleArgs = [path.join('scripts', 'bundle_python.py'), '--target', target];
const versions = option('--python-versions');
if (versions) {
  bundleArgs.push('--python-versions', versions);
}
run(python, bundleArgs);
const vsce = path.join(path.dirname(require.resolve('@vscode/vsce/package.json')), 'vsce');
run(process.execPath, [vsce, 'package', '--target', target, '--out', out]);
