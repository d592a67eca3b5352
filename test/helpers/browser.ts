// A real headless Chromium (Debian's chromium package) through playwright-core, or why there is none.
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';

/** Where Debian's chromium package puts the browser. */
export const chromiumPath = process.env['CODECARBON_CHROMIUM'] ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or null when they can: the skip message names the package. */
export const noBrowser: string | null = existsSync(chromiumPath) ? null
  : `no Chromium at ${chromiumPath}: install Debian's chromium package (apt-get install chromium), as .ci/run does`;

/** Launches the browser once per test file. */
export async function launch(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
}

/** What a page did that a test checks: console errors and uncaught exceptions, and every request made. */
export interface PageWatch {
  readonly errors: string[];
  readonly requests: string[];
}

/** Records console errors, page errors and requests of `page`. */
export function watch(page: Page): PageWatch {
  const w: PageWatch = { errors: [], requests: [] };
  page.on('console', (m) => { if (m.type() === 'error') w.errors.push(m.text()); });
  page.on('pageerror', (e) => w.errors.push(String(e)));
  page.on('request', (r) => w.requests.push(r.url()));
  return w;
}

/** Requests to anywhere but the page itself on this machine: file:, data:, about: and 127.0.0.1 only. */
export function outside(requests: readonly string[]): string[] {
  return requests.filter((u) => !/^(file:|data:|about:|http:\/\/127\.0\.0\.1[:/])/.test(u));
}

/** A chart's canvas has pixels that are not blank (uPlot draws into canvases). */
export async function canvasInked(page: Page, chart: string): Promise<boolean> {
  // A string, not a function: the tests compile without the DOM's types.
  return page.evaluate(`(() => {
    const canvas = document.querySelector('[data-chart="${chart}"] canvas');
    if (canvas === null || canvas.width === 0 || canvas.height === 0) return false;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
    return false;
  })()`) as Promise<boolean>;
}
