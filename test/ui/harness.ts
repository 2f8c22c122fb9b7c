// The web UI's tests as a user meets it: `podmortem server` (the built CLI) on a free port, incidents
// pushed to it over HTTP as agents push them, Debian's chromium driven by playwright-core, and
// screenshots kept under test-artifacts/ui/ for a person to look at.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { IncidentItem } from '../../src/store/types.js';
import { startServer, type RunningServer } from '../server/helpers.js';

export const TOKEN = 'ui-agents-secret-0123456789';
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'ui');
export const VIEWPORT = { width: 1280, height: 800 };

/** The server on `store`, with the agents' token in a file under `dir`. */
export async function startUiServer(store: string, dir: string): Promise<RunningServer> {
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  return startServer(['--store', store, '--token-file', tokenFile]);
}

/** Pushes as an agent does (POST /api/v1/incidents with the bearer token); every item is new. */
export async function push(url: string, items: IncidentItem[]): Promise<void> {
  const r = await fetch(`${url}/api/v1/incidents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ items }),
  });
  expect(r.status, await r.clone().text()).toBe(200);
  expect(await r.json()).toEqual({ accepted: items.length, duplicates: 0 });
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
    headless: true,
  });
}

/** The page's width as laid out: more than the viewport means a horizontal scroll bar. */
export const scrollWidth = (page: Page): Promise<number> =>
  page.evaluate<number>('document.documentElement.scrollWidth');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Whether the element is wholly within the viewport as the page opens (no scrolling). */
export async function aboveTheFold(page: Page, selector: string): Promise<boolean> {
  const box = await page.locator(selector).first().boundingBox();
  const scrolled = await page.evaluate<number>('window.scrollY');
  return (
    !!box &&
    scrolled === 0 &&
    box.y >= 0 &&
    box.y + box.height <= VIEWPORT.height &&
    box.x + box.width <= VIEWPORT.width
  );
}
