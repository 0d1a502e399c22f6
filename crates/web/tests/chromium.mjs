// What the browser scripts of crates/web/tests share: Debian's Chromium on a throwaway profile,
// in French and Paris time, and the phone-width measure (how wide the page really is, and the
// elements that stick out, so a failure names what to fix).
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** A persistent context on a fresh profile; `close()` also removes the profile. */
export async function launch(options = {}) {
  const profile = mkdtempSync(path.join(tmpdir(), "maillage-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.MAILLAGE_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    viewport: { width: 1280, height: 900 },
    locale: "fr-FR",
    timezoneId: "Europe/Paris",
    ...options,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The page's scroll width and the (at most five) elements reaching past `limit` px. */
export function measureWidth(page, limit = 360) {
  return page.evaluate((limit) => ({
    width: document.documentElement.scrollWidth,
    wide: [...document.querySelectorAll("body *")]
      .map((e) => ({ e, r: e.getBoundingClientRect() }))
      .filter(({ r }) => r.right > limit + 0.5 && r.width > 0)
      .sort((a, b) => b.r.right - a.r.right)
      .slice(0, 5)
      .map(({ e, r }) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${typeof e.className === "string" && e.className.trim() ? "." + e.className.trim().split(/\s+/).join(".") : ""} (${Math.round(r.right)} px)`),
  }), limit);
}
