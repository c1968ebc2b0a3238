import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium: playwright cannot download its own browsers here, and needs none. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Installs Debian's chromium when it is missing, as a fresh CI machine needs (`.ci/run` only runs npm ci
 * and npm test); CI runs as root. Elsewhere it says what to run instead of failing obscurely.
 */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`${CHROMIUM} is missing: install it with \`sudo apt-get install -y chromium\``);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'chromium'], {
    stdio: 'inherit',
    env,
  });
}

/** Launches headless Chromium with the flags this machine needs; `hostRules` maps names to addresses. */
export async function launchChromium(options: { hostRules?: string } = {}): Promise<Browser> {
  ensureChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...(options.hostRules ? [`--host-resolver-rules=${options.hostRules}`] : []),
    ],
  });
}
