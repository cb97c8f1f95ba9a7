/**
 * The real browser of the console tests: Debian's Chromium, driven by playwright-core. Named here
 * once, so a missing browser fails with the one line that says how to get it.
 */
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const chromiumCandidates = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/lib/chromium/chromium',
];

export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.CHROMIUM_PATH;
  if (given) {
    if (!fs.existsSync(given)) throw new Error(`CHROMIUM_PATH=${given} does not exist`);
    return given;
  }
  const found = chromiumCandidates.find((p) => fs.existsSync(p));
  if (!found)
    throw new Error(
      "Chromium is missing: the console's browser tests need it (apt-get install -y chromium, or set CHROMIUM_PATH)",
    );
  return found;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium(),
    headless: true,
    // Root in a container has no user namespaces for Chromium's sandbox; /dev/shm is often small.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}
