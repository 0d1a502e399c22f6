// Every public page on a 360 px wide phone, in a real headless Chromium: the page must not
// scroll sideways (`document.documentElement.scrollWidth <= 360`). For a page that does, the
// widest elements are named, so the fix is easy to find. Started by
// crates/web/tests/narrow_browser.rs:  node narrow.mjs BASE_URL OUT_DIR PATH…
// A path ending in `#filtres` is measured with the search filters unfolded.
import { chromium } from "playwright-core";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const [base, outDir, ...paths] = process.argv.slice(2);
const shots = path.join(outDir, "screenshots");
mkdirSync(shots, { recursive: true });
const profile = mkdtempSync(path.join(tmpdir(), "maillage-360-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.MAILLAGE_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  viewport: { width: 360, height: 740 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  locale: "fr-FR",
  timezoneId: "Europe/Paris",
});
const failures = [];
let n = 0;
for (const target of paths) {
  const [url, anchor] = target.split("#");
  const page = await context.newPage();
  const response = await page.goto(base + url, { waitUntil: "load" });
  if (anchor === "filtres") {
    await page.evaluate(() => document.querySelectorAll("details").forEach((d) => { d.open = true; }));
  }
  await page.waitForTimeout(150);
  const m = await page.evaluate(() => {
    const width = document.documentElement.scrollWidth;
    const wide = [...document.querySelectorAll("body *")]
      .map((e) => ({ e, r: e.getBoundingClientRect() }))
      .filter(({ r }) => r.right > 360.5 && r.width > 0)
      .sort((a, b) => b.r.right - a.r.right)
      .slice(0, 5)
      .map(({ e, r }) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : ""} (${Math.round(r.right)} px)`);
    return { width, inner: window.innerWidth, wide };
  });
  const status = response ? response.status() : 0;
  console.log(`${target}: HTTP ${status}, largeur ${m.width} px (fenêtre ${m.inner} px)`);
  if (status !== 200) failures.push(`${target}: HTTP ${status}`);
  if (m.width > 360) failures.push(`${target}: ${m.width} px de large, ${m.width - 360} px de trop ; éléments qui dépassent : ${m.wide.join(", ")}`);
  await page.screenshot({ path: path.join(shots, `360-${++n}.png`), fullPage: false });
  await page.close();
}
await context.close();
rmSync(profile, { recursive: true, force: true });
if (failures.length) {
  console.error("FAILURES:\n" + failures.join("\n"));
  process.exit(1);
}
