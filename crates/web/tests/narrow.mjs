// Every public page on a 360 px wide phone, in a real headless Chromium: the page must not
// scroll sideways (`document.documentElement.scrollWidth <= 360`). For a page that does, the
// widest elements are named, so the fix is easy to find. Started by
// crates/web/tests/narrow_browser.rs:  node narrow.mjs BASE_URL OUT_DIR PATH…
// A path ending in `#filtres` is measured with the search filters unfolded.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { launch, measureWidth } from "./chromium.mjs";

const [base, outDir, ...paths] = process.argv.slice(2);
const shots = path.join(outDir, "screenshots");
mkdirSync(shots, { recursive: true });
const browser = await launch({
  viewport: { width: 360, height: 740 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
});
const context = browser.context;
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
  const m = await measureWidth(page);
  const status = response ? response.status() : 0;
  console.log(`${target}: HTTP ${status}, largeur ${m.width} px`);
  if (status !== 200) failures.push(`${target}: HTTP ${status}`);
  if (m.width > 360) failures.push(`${target}: ${m.width} px de large, ${m.width - 360} px de trop ; éléments qui dépassent : ${m.wide.join(", ")}`);
  await page.screenshot({ path: path.join(shots, `360-${++n}.png`), fullPage: false });
  await page.close();
}
await browser.close();
if (failures.length) {
  console.error("FAILURES:\n" + failures.join("\n"));
  process.exit(1);
}
