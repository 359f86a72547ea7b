// The example plugin's page renders in Chromium, on a desktop and a phone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack } from '../integration/stack.mjs';
import { launchBrowser, newPage, screenshot } from './browser.mjs';

describe('the example page', () => {
  let stack;
  let browser;

  before(async () => {
    stack = await startStack();
    browser = await launchBrowser();
  });

  after(async () => {
    if (browser) await browser.close();
    if (stack) await stack.stop();
  });

  for (const [name, viewport] of [
    ['example-desktop', { width: 1280, height: 800 }],
    ['example-phone', { width: 390, height: 844 }],
  ]) {
    it(`renders at ${viewport.width}x${viewport.height}`, async () => {
      const page = await newPage(browser, viewport);
      try {
        const res = await page.goto(`${stack.base}/example`);
        assert.equal(res.status(), 200);
        assert.match(res.headers()['content-type'], /^text\/html/);
        assert.ok((await page.locator('h1').count()) > 0, 'the page has no <h1>');
        assert.equal(await page.evaluate(() => document.documentElement.lang), 'de');
        await screenshot(page, name);
      } finally {
        await page.context().close();
      }
    });
  }
});
