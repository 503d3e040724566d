'use strict';
// Opens HTML readiness reports in headless Chromium through Playwright and records what a
// reader's browser would meet: console messages, script errors, dialogs, every request the
// page makes, the readiness table, and whether each internal link has its target. The pytest
// side (test_report_html.py) judges them. Usage: node report_page_driver.js SPEC.json RESULT.json

const fs = require('fs');
const url = require('url');

const [specPath, resultPath] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
const { chromium } = require(spec.playwrightCore);

// Nothing but the page itself may reach the network: Chromium's own background traffic is off.
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

async function inspect(browser, pageSpec) {
  const page = await browser.newPage({ viewport: { width: pageSpec.width, height: pageSpec.height } });
  const seen = { console: [], page_errors: [], dialogs: [], requests: [] };
  page.on('console', (message) => seen.console.push({ type: message.type(), text: message.text() }));
  page.on('pageerror', (error) => seen.page_errors.push(`${error.stack || error}`));
  page.on('dialog', async (dialog) => {
    seen.dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  page.on('request', (request) => seen.requests.push(request.url()));

  const address = url.pathToFileURL(pageSpec.file).href;
  await page.goto(address, { waitUntil: 'load' });
  const observed = await page.evaluate(() => {
    const ids = [...document.querySelectorAll('[id]')].map((element) => element.id);
    const internal = [...document.querySelectorAll('a[href^="#"]')].map((link) => link.getAttribute('href'));
    const readinessTable = document.querySelector('table.readiness');
    const box = readinessTable ? readinessTable.getBoundingClientRect() : null;
    return {
      title: document.title,
      h1: document.querySelector('h1')?.innerText ?? null,
      ids,
      duplicate_ids: ids.filter((id, index) => ids.indexOf(id) !== index),
      dangling_links: internal.filter((href) => !document.getElementById(decodeURIComponent(href.slice(1)))),
      internal_links: internal.length,
      readiness_rows: readinessTable
        ? [...readinessTable.querySelectorAll('tbody tr')].map((row) => [...row.cells].map((cell) => cell.innerText.trim()))
        : [],
      readiness_table_size: box ? [box.width, box.height] : null,
      scripts: [...document.scripts].map((script) => ({ src: script.getAttribute('src'), length: script.text.length })),
      stylesheet_links: [...document.querySelectorAll('link')].map((link) => link.outerHTML),
      chains: [...document.querySelectorAll('pre.chain')].map((chain) => chain.innerText),
      body_text: document.body.innerText,
      collapsed_before_print: document.querySelectorAll('details:not([open])').length,
    };
  });
  if (pageSpec.screenshot) {
    await page.screenshot({ path: pageSpec.screenshot, fullPage: Boolean(pageSpec.fullPage) });
  }
  // What printing does first: every collapsed list must open, or it prints as one line.
  observed.collapsed_during_print = await page.evaluate(() => {
    window.dispatchEvent(new Event('beforeprint'));
    return document.querySelectorAll('details:not([open])').length;
  });
  observed.collapsed_after_print = await page.evaluate(() => {
    window.dispatchEvent(new Event('afterprint'));
    return document.querySelectorAll('details:not([open])').length;
  });
  await page.close();
  return { address, ...observed, ...seen };
}

async function run() {
  const browser = await chromium.launch({ executablePath: spec.chromium, args: CHROMIUM_FLAGS });
  try {
    const pages = [];
    for (const pageSpec of spec.pages) {
      pages.push(await inspect(browser, pageSpec));
    }
    return { pages };
  } finally {
    await browser.close();
  }
}

run()
  .catch((error) => ({ error: `${error.stack || error}` }))
  .then((result) => {
    fs.writeFileSync(resultPath, JSON.stringify(result));
    process.exit(result.error ? 2 : 0);
  });
