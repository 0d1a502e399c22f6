// The coordinator's space in a real headless Chromium: signed in with the session cookie the
// test made, the France Services list of the demo is uploaded through the real form (no
// JavaScript needed), its dry run read, then applied with the button; every page of the
// space must show 0 axe-core violations (wcag2a, wcag2aa, wcag21aa), at normal size and at
// 200 % (a 640 px window at scale 2, which must not scroll sideways), with no console error.
// Started by crates/web/tests/coordination_browser.rs:
//   node coordination_browser.mjs BASE_URL SESSION_COOKIE UPLOAD_FILE PATH…
import { chromium } from "playwright-core";
import { readFileSync, mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

const [base, session, upload, ...paths] = process.argv.slice(2);
const require = createRequire(path.join(process.cwd(), "package.json"));
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const profile = mkdtempSync(path.join(tmpdir(), "maillage-coord-"));
const browser = await chromium.launch({
  executablePath: process.env.MAILLAGE_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
const cookie = [{ name: "maillage_session", value: session, url: base }];
const normal = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "fr-FR" });
const zoomed = await browser.newContext({ viewport: { width: 640, height: 450 }, deviceScaleFactor: 2, locale: "fr-FR" });
await normal.addCookies(cookie);
await zoomed.addCookies(cookie);
const shots = path.join(process.cwd(), "test-output", "screenshots");
mkdirSync(shots, { recursive: true });
const failures = [];

async function audit(page, name, zoom) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"] } })
  );
  const violations = result.violations.map((v) => ({ id: v.id, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  console.log(`${name}${zoom ? " (200 %)" : ""}: ${violations.length} violation(s), ${result.passes.length} règles passées`);
  if (violations.length) failures.push(`${name}: ${JSON.stringify(violations)}`);
  if (zoom) {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 1) {
      // Name the elements that stick out, so the failure says what to fix.
      const wide = await page.evaluate(() => [...document.querySelectorAll("body *")]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(0, 5)
        .map((e) => `${e.tagName.toLowerCase()}.${e.className} « ${(e.textContent || "").trim().slice(0, 40)} »`));
      failures.push(`${name}: à 200 % la page défile de ${overflow} px vers la droite (${wide.join(" ; ")})`);
    }
  }
  await page.screenshot({ path: path.join(shots, `coordination-${name.replace(/[^a-z0-9]+/gi, "-")}${zoom ? "-zoom200" : ""}.png`), fullPage: !zoom });
}

function watch(page) {
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  return errors;
}

// The upload, the dry run and the apply, as a coordinator does them.
{
  const page = await normal.newPage();
  const errors = watch(page);
  await page.goto(base + "/coordination/imports", { waitUntil: "load" });
  await page.setInputFiles("#fichier", upload);
  await Promise.all([page.waitForURL(/\/coordination\/imports\/\d+$/), page.click("button[type=submit]")]);
  const runUrl = page.url();
  if (!(await page.textContent("h2")).includes("Essai")) failures.push("pas d'essai après le dépôt");
  await audit(page, "essai-import", false);
  await Promise.all([page.waitForURL(runUrl), page.click("text=Appliquer cet import")]);
  const state = await page.textContent("main");
  if (!state.includes("appliqué")) failures.push(`l'import n'est pas appliqué : ${state.slice(0, 300)}`);
  await audit(page, "import-applique", false);
  const zoom = await zoomed.newPage();
  await zoom.goto(runUrl, { waitUntil: "load" });
  await audit(zoom, "import-applique", true);
  await zoom.close();
  if (errors.length) failures.push(`import : console : ${errors.join(" | ")}`);
  await page.close();
}

for (const url of paths) {
  for (const [context, zoom] of [[normal, false], [zoomed, true]]) {
    const page = await context.newPage();
    const errors = watch(page);
    const response = await page.goto(base + url, { waitUntil: "load" });
    if (!response || response.status() !== 200) failures.push(`${url}: HTTP ${response ? response.status() : 0}`);
    await audit(page, url, zoom);
    if (errors.length) failures.push(`${url}: console : ${errors.join(" | ")}`);
    await page.close();
  }
}
await browser.close();
rmSync(profile, { recursive: true, force: true });
if (failures.length) {
  console.error(failures.join("\n"));
  process.exit(1);
}
