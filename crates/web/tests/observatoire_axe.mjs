// Accessibility of the observatory pages in a real headless Chromium: axe-core (wcag2a,
// wcag2aa, wcag21aa) must report 0 violations and the console must stay free of errors (CSP).
// Started by crates/web/tests/observatoire_browser.rs:  node observatoire_axe.mjs BASE_URL PATH…
import { chromium } from "playwright-core";
import { readFileSync, mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

const [base, ...paths] = process.argv.slice(2);
const require = createRequire(path.join(process.cwd(), "package.json"));
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const profile = mkdtempSync(path.join(tmpdir(), "maillage-obs-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.MAILLAGE_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  viewport: { width: 1280, height: 900 },
  locale: "fr-FR",
});
const shots = path.join(process.cwd(), "test-output", "screenshots");
mkdirSync(shots, { recursive: true });
const failures = [];
let n = 0;
for (const url of paths) {
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  const response = await page.goto(base + url, { waitUntil: "load" });
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"] } })
  );
  const violations = result.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  console.log(`${url}: HTTP ${response ? response.status() : 0}, ${violations.length} violation(s), ${result.passes.length} règles passées`);
  if (!response || response.status() !== 200) failures.push(`${url}: HTTP ${response ? response.status() : 0}`);
  if (violations.length) failures.push(`${url}: ${JSON.stringify(violations)}`);
  if (errors.length) failures.push(`${url}: console: ${errors.join(" | ")}`);
  await page.screenshot({ path: path.join(shots, `observatoire-${++n}.png`), fullPage: true });
  await page.close();
}
await context.close();
rmSync(profile, { recursive: true, force: true });
if (failures.length) {
  console.error(failures.join("\n"));
  process.exit(1);
}
