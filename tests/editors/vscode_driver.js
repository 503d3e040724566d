'use strict';
// Drives real VS Code (code-server) in headless Chromium through Playwright, as a user would:
// open a Rust file, wait for isolint's squiggle, read the Problems panel, open the quick-fix
// menu with Ctrl+. and accept the wanted fix with the keyboard (an overlay swallows mouse
// clicks), save, and wait for the problem to leave the panel. Observations go to a JSON file
// for the pytest side to judge. Usage: node vscode_driver.js SPEC.json RESULT.json

const fs = require('fs');
const path = require('path');

const [specPath, resultPath] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
const { chromium } = require(spec.playwrightCore);

const result = { stage: 'start', stage_started_ms: {} };
const started = Date.now();

// Stamped with the time since start, so a slow run shows where its time went.
function enterStage(stage) {
  result.stage = stage;
  result.stage_started_ms[stage] = Date.now() - started;
}

let page;
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

async function problemsPanelRows(page) {
  return page.locator('.markers-panel .monaco-list-row').evaluateAll((rows) =>
    rows.map((row) => row.textContent)
  );
}

async function waitForCondition(stage, condition) {
  enterStage(stage);
  const deadline = Date.now() + spec.waitMs;
  for (;;) {
    const value = await condition();
    if (value) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${stage}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

// The cursor must be inside the finding's range: VS Code asks for the code actions of the
// diagnostics under the cursor.
async function goTo(page, line, column) {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press('Enter');
}

/** Move the focus in the open quick-fix menu onto the action with this title; false if absent. */
async function focusAction(page, title) {
  const rows = page.locator('.action-widget .monaco-list-row.action');
  const count = await rows.count();
  result.menu_actions = await rows.evaluateAll((elements) => elements.map((e) => e.textContent.trim()));
  for (let step = 0; step < count; step++) {
    const focused = await page.locator('.action-widget .monaco-list-row.action.focused').textContent();
    if (focused.trim() === title) {
      return true;
    }
    await page.keyboard.press('ArrowDown');
  }
  return false;
}

// The workspace-trust prompt VS Code shows on opening a folder when trust is enabled.
async function answerTrustPrompt(page, trust) {
  enterStage('trust prompt');
  const label = trust ? "Yes, I trust the authors" : "No, I don't trust the authors";
  const button = page.locator('.monaco-dialog-box .monaco-button', { hasText: label }).first();
  await button.waitFor({ timeout: spec.waitMs });
  await button.click();
  await page.locator('.monaco-dialog-box').waitFor({ state: 'hidden', timeout: spec.waitMs });
}

async function notificationTexts(page) {
  return page.locator('.notifications-toasts .notification-list-item').evaluateAll((items) =>
    items.map((item) => {
      const message = item.querySelector('.notification-list-item-message');
      return message ? message.textContent : item.textContent;
    })
  );
}

async function run() {
  const browser = await chromium.launch({ executablePath: spec.chromium, args: CHROMIUM_FLAGS });
  try {
    page = await browser.newPage({ viewport: { width: 1400, height: 850 } });
    enterStage('load workbench');
    // The file opens with the workbench (its `openFile` payload), not through Quick Open,
    // whose first file search in a new window takes seconds.
    const fileUri = `vscode-remote://${new URL(spec.url).host}${path.join(spec.folder, spec.file)}`;
    const payload = encodeURIComponent(JSON.stringify([['openFile', fileUri]]));
    await page.goto(`${spec.url}/?folder=${encodeURIComponent(spec.folder)}&payload=${payload}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: spec.waitMs });
    await page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor({ timeout: spec.waitMs });

    if (spec.trust !== undefined) {
      await answerTrustPrompt(page, spec.trust);
    }

    enterStage('open file');
    await page.locator('.tab.active', { hasText: path.basename(spec.file) }).waitFor({ timeout: spec.waitMs });
    await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: spec.waitMs });

    if (spec.expectNotification) {
      // The extension could not start the server: what it tells the user is the result.
      result.notifications = await waitForCondition('notification', async () => {
        const texts = await notificationTexts(page);
        return texts.some((text) => text.includes(spec.expectNotification)) ? texts : null;
      });
      enterStage('done');
      return;
    }

    const squiggle = `.monaco-editor .squiggly-${spec.squiggle}`;
    await waitForCondition('squiggle', async () => (await page.locator(squiggle).count()) > 0);

    enterStage('problems panel');
    await page.keyboard.press('Control+Shift+M');
    result.problems = await waitForCondition('problems', async () => {
      const rows = await problemsPanelRows(page);
      return rows.some((row) => row.includes(spec.problem.code)) ? rows : null;
    });
    await page.locator('.monaco-editor textarea').first().focus();

    // Each settings change is written to the workspace's settings file (or the file removed)
    // and must turn the finding's squiggle into the given severity while the file stays open.
    result.squiggles_after_settings = [];
    for (const change of spec.settingsChanges || []) {
      if (change.settings === null) {
        fs.rmSync(spec.workspaceSettings, { force: true });
      } else {
        fs.mkdirSync(path.dirname(spec.workspaceSettings), { recursive: true });
        fs.writeFileSync(spec.workspaceSettings, JSON.stringify(change.settings));
      }
      const squiggleNow = `.monaco-editor .squiggly-${change.squiggle}`;
      await waitForCondition(`${change.squiggle} squiggle after settings change`, async () => (await page.locator(squiggleNow).count()) > 0);
      result.squiggles_after_settings.push(change.squiggle);
    }

    if (spec.quickFix) {
      await goTo(page, spec.quickFix.line, spec.quickFix.column);
      // Inlay hints are injected text in the rendered line; hover is Ctrl+K Ctrl+I at the cursor.
      const renderedLine = await page.locator('.monaco-editor .view-line', { hasText: spec.quickFix.lineText }).first().textContent();
      result.finding_line_text = renderedLine.replace(/\u00a0/g, ' '); // the editor renders spaces as NBSP
      enterStage('hover');
      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+I');
      const hover = page.locator('.monaco-hover .hover-contents, .monaco-hover .rendered-markdown').first();
      await hover.waitFor({ timeout: spec.waitMs });
      result.hover_text = await hover.textContent();
      await page.keyboard.press('Escape');

      enterStage('quick fix menu');
      await page.keyboard.press('Control+.');
      await page.locator('.action-widget .monaco-list-row.action').first().waitFor({ timeout: spec.waitMs });
      result.found_action = await focusAction(page, spec.quickFix.title);
      if (spec.screenshot) {
        await page.screenshot({ path: spec.screenshot });
      }
      if (!result.found_action) {
        return;
      }
      await page.keyboard.press('Enter');
      await page.locator('.action-widget').waitFor({ state: 'hidden' });
      // The edit may need a codeAction/resolve round trip: saving before it lands would
      // write the old text.
      await waitForCondition('quick fix edit', async () => (await page.locator('.tab.active.dirty').count()) > 0);
    }

    if (spec.command) {
      enterStage('command');
      await runCommand(page, spec.command);
      await waitForCondition('command edit', async () => (await page.locator('.tab.active.dirty').count()) > 0);
    }

    if (!spec.quickFix && !spec.command && !spec.save) {
      enterStage('done');
      return;
    }

    // Saving writes the fixed text to disk for the test to read, and runs fix-all on save
    // when the workspace enables it.
    enterStage('save');
    await page.keyboard.press('Control+S');
    await waitForCondition('saved', async () => (await page.locator('.tab.active.dirty').count()) === 0);

    result.problems_after_save = await waitForCondition('problem to clear', async () => {
      const rows = await problemsPanelRows(page);
      return rows.some((row) => row.includes(spec.problem.text)) ? null : rows;
    });
    if (spec.settleMs) {
      // What the extension does after the save without showing it (a trailing request in
      // the trace) needs a moment before the window closes.
      enterStage('settle');
      await page.waitForTimeout(spec.settleMs);
    }
    enterStage('done');
  } catch (error) {
    // What the workbench showed when it went wrong is the fastest way to see why.
    await page?.screenshot({ path: spec.failureScreenshot }).catch(() => undefined);
    throw error;
  } finally {
    await browser.close();
  }
}

const watchdog = setTimeout(() => {
  result.error = `watchdog fired during stage ${result.stage}`;
  fs.writeFileSync(resultPath, JSON.stringify(result));
  process.exit(3);
}, spec.watchdogMs);

run()
  .catch((error) => {
    result.error = `${error.stack || error}`;
  })
  .finally(() => {
    clearTimeout(watchdog);
    fs.writeFileSync(resultPath, JSON.stringify(result));
    process.exit(result.error ? 2 : 0);
  });
