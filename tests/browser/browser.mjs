// Debian's Chromium driven by playwright-core (no browser download), for the
// browser tests. Screenshots land in tests/artifacts/ (kept by CI, ignored by git).
//
//   const browser = await launchBrowser();
//   const page = await newPage(browser, { width: 390, height: 844 });
//   await page.goto(`${stack.base}/example`);
//   await screenshot(page, 'example-phone');
//   await browser.close();
//
// Accessibility: `await accessibilityProblems(page)` runs axe-core's WCAG 2.1
// A and AA rules on the page as it is now and returns one line per violation
// (empty when there is none); `await sidewaysScroll(page)` is how many pixels
// the page would scroll sideways (0 when it fits).
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

export const artifacts = path.resolve(fileURLToPath(new URL('../artifacts', import.meta.url)));

// Without these Chromium phones home, updates components and syncs; QUIC is off
// so that every request goes over the same HTTP/1.1 the tests speak.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

// Playwright starts each launch with a fresh temporary --user-data-dir (no
// cookies, cache or storage from an earlier run) and removes it on close.
export async function launchBrowser(options = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ARGS,
    ...options,
  });
}

// A page in its own context (own cookies) with the given viewport; phone-sized
// viewports get touch and a mobile user agent's behaviour.
export async function newPage(browser, { width = 1280, height = 800, locale = 'de-DE', ...rest } = {}) {
  const mobile = width < 600;
  const context = await browser.newContext({
    viewport: { width, height },
    deviceScaleFactor: mobile ? 2 : 1,
    isMobile: mobile,
    hasTouch: mobile,
    locale,
    ...rest,
  });
  return context.newPage();
}

export async function screenshot(page, name) {
  await fs.mkdir(artifacts, { recursive: true });
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// The rules of WCAG 2.0 and 2.1, levels A and AA, as axe-core tags them.
export const WCAG21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

// axe-core on the page as it is now: one line per violated rule, with its
// impact, what it asks for and the elements that fail it (their CSS path and
// axe's summary of why). Legacy mode runs axe in the page alone: there are no
// frames to combine, and it spares the blank page the newer mode opens.
export async function accessibilityProblems(page, { tags = WCAG21_AA } = {}) {
  const { violations } = await new AxeBuilder({ page }).withTags(tags).setLegacyMode(true).analyze();
  return violations.map((v) => {
    const nodes = v.nodes.map((n) => {
      const why = (n.failureSummary || '').replace(/\s+/g, ' ').trim();
      return `      ${n.target.join(' ')}: ${why}`;
    });
    return `${v.id} (${v.impact}): ${v.help}\n${nodes.join('\n')}`;
  });
}

// How far the page scrolls sideways, in CSS pixels.
export function sidewaysScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}
