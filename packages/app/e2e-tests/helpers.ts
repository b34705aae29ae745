/*
 * What every browser test of the demo portal does: sign in as the guest,
 * find a card, wait until the cards have loaded, save a screenshot.
 * Not a test file (Playwright only runs *.test.ts).
 */
import { expect, Locator, Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';

/** Where scripts/e2e.sh collects the screenshots. */
export const SHOTS = path.resolve(
  __dirname,
  '../../../e2e-results/screenshots',
);
fs.mkdirSync(SHOTS, { recursive: true });

/** Opens a page of the portal as the guest user (member of fraud-team). */
export async function open(page: Page, url: string) {
  await page.goto(url);
  const enter = page.getByRole('button', { name: 'Enter' });
  const nav = page.getByRole('link', { name: 'Catalog', exact: true });
  // Signed in already (same browser context) or the guest sign-in page.
  await expect(enter.or(nav).first()).toBeVisible({ timeout: 60_000 });
  // The button can render before it is wired up: click until it is gone.
  for (let i = 0; i < 15 && (await enter.isVisible().catch(() => false)); i++) {
    await enter.click().catch(() => undefined);
    await page.waitForTimeout(1000);
  }
  await expect(enter).toBeHidden();
  await expect(nav.first()).toBeVisible();
}

/** Waits until no card shows a progress bar any more. */
export async function settled(page: Page) {
  await page.waitForFunction(
    () => !document.querySelector('[role="progressbar"]'),
    null,
    { timeout: 60_000 },
  );
}

/** A screenshot of the whole page. */
export async function shot(page: Page, name: string) {
  await page.screenshot({
    path: path.join(SHOTS, `${name}.png`),
    fullPage: true,
  });
}

/** A screenshot of one element (a card, a dialog): what a README shows. */
export async function shotOf(locator: Locator, name: string) {
  await locator.scrollIntoViewIfNeeded();
  await locator.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** The card (MUI Card) whose header says `title`. */
export function card(page: Page, title: string) {
  return page
    .locator('.MuiCard-root')
    .filter({
      has: page.locator('.MuiCardHeader-root', {
        hasText: new RegExp(`^${title}`),
      }),
    })
    .first();
}
