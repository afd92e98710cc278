import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import jsQR from 'jsqr';
import { chromium, type Browser, type Locator } from 'playwright-core';
import { PNG } from 'pngjs';

/** Where browser tests write their screenshots (gitignored); CI keeps the folder as an artifact. */
export const CHECKOUT_ARTIFACTS = path.join(__dirname, '../../test-artifacts/checkout');

/** Debian's chromium (scripts/provision/chromium.sh installs it), driven by playwright-core. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.SETTLE_CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`no browser at ${executablePath}: run 'bash scripts/provision/chromium.sh' (or set SETTLE_CHROMIUM_PATH)`);
  }
  mkdirSync(CHECKOUT_ARTIFACTS, { recursive: true });
  // The sandbox needs user namespaces, which containers running as root (CI) usually lack.
  return chromium.launch({ executablePath, args: ['--no-sandbox'] });
}

/** Decodes the QR code shown in `element` from a screenshot of it, as a phone camera would. */
export async function decodeQrCode(element: Locator): Promise<string | undefined> {
  const png = PNG.sync.read(await element.screenshot());
  return jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height)?.data;
}

/** Waits until `element`'s text is (or matches) `expected`; fails with the last text seen. */
export async function waitForText(element: Locator, expected: string | RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await element.textContent({ timeout: timeoutMs }).catch(() => null);
    const text = last?.trim();
    if (text !== undefined && (typeof expected === 'string' ? text === expected : expected.test(text))) return text;
    if (Date.now() > deadline) throw new Error(`expected ${String(expected)}, page shows ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
