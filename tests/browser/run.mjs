// Browser and accessibility checks of maillage-web in a real headless Chromium.
// Started by crates/web/tests/browser.rs with the URL of a running server:
//   node tests/browser/run.mjs BASE_URL OUT_DIR PLACE_ID [THEME [POSTER_COMMUNE]]
// For every page, at normal size and zoomed to 200 % (a 640 px wide window at device scale 2,
// what a browser zoom does): axe-core (wcag2a, wcag2aa, wcag21aa) must report 0 violations, the
// console must stay free of errors (CSP violations appear there), the zoomed page must not
// scroll sideways, and a screenshot is saved. Then a keyboard-only walk: search -> filter ->
// place page, the bus poster printed to PDF (A4 from its stylesheet's @page), and the weight
// of a first visit. THEME names the run (screenshots in OUT_DIR/THEME/). Writes
// OUT_DIR/THEME/browser-report.json.
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

const [base, rootOut, placeId, theme = "neutre", posterCommune = ""] = process.argv.slice(2);
if (!base || !rootOut || !placeId) {
  console.error("usage: run.mjs BASE_URL OUT_DIR PLACE_ID [THEME [POSTER_COMMUNE]]");
  process.exit(2);
}
const outDir = path.join(rootOut, theme);
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const shots = path.join(outDir, "screenshots");
mkdirSync(shots, { recursive: true });

const profile = mkdtempSync(path.join(tmpdir(), "maillage-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.MAILLAGE_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
  viewport: { width: 1280, height: 900 },
  locale: "fr-FR",
  timezoneId: "Europe/Paris",
});

// The 200 % zoom: same engine, a 640 x 450 CSS px window at device scale 2 (1280 x 900 pixels).
const zoomed = await chromium.launch({
  executablePath: process.env.MAILLAGE_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
}).then((b) => b.newContext({ viewport: { width: 640, height: 450 }, deviceScaleFactor: 2, locale: "fr-FR", timezoneId: "Europe/Paris" }));

const failures = [];
const report = { pages: [], keyboard: null, weight: null };

async function audit(name, url, opts = {}) {
  await auditAt(name, url, opts);
  // 200 %: the same page in a window half as wide, twice as dense (the browser's zoom).
  if (!opts.mobile) await auditAt(`${name}-zoom200`, url, { ...opts, zoom: true, fullPage: false });
}

async function auditAt(name, url, { fullPage = true, waitMap = false, mobile = false, zoom = false } = {}) {
  const page = zoom ? await zoomed.newPage() : await context.newPage();
  if (mobile) await page.setViewportSize({ width: 390, height: 844 });
  const errors = [];
  // Failed requests are reported with their URL below; the console's copy has none.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text());
  });
  page.on("response", (r) => {
    if (r.status() >= 400 && r.url() !== base + url) errors.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  const response = await page.goto(base + url, { waitUntil: "load" });
  if (waitMap) {
    try {
      await page.waitForSelector(".leaflet-marker-icon, .marker-cluster", { timeout: 10000 });
    } catch (e) {
      errors.push("the map shows no marker: " + e.message.split("\n")[0]);
    }
  }
  // evaluate() is not subject to the page's CSP (no inline script is added to the page).
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"] } })
  );
  const violations = result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
  }));
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage });
  if (zoom) {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 1) errors.push(`at 200 % the page scrolls sideways by ${overflow} px`);
  }
  const status = response ? response.status() : 0;
  report.pages.push({ name, url, status, violations, errors, passes: result.passes.length });
  if (violations.length) failures.push(`${name}: ${violations.length} axe violation(s): ${JSON.stringify(violations)}`);
  if (errors.length) failures.push(`${name}: console errors: ${errors.join(" | ")}`);
  await page.close();
}

await audit("recherche-vide", "/");
await audit("recherche-resultats", "/?q=demarche&ou=Montauban&rayon=20");
// The map beside the results, loaded on demand.
{
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(base + "/?q=demarche&ou=Montauban&rayon=20", { waitUntil: "load" });
  const before = await page.evaluate(() => typeof window.L);
  await page.click("#afficher-carte");
  try {
    await page.waitForSelector("#carte .leaflet-marker-icon, #carte .marker-cluster", { timeout: 10000 });
  } catch (e) {
    errors.push("the side map shows no marker");
  }
  if (before !== "undefined") errors.push("Leaflet was loaded before the map was asked for");
  await page.evaluate(axeSource);
  const r = await page.evaluate(() => window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"] } }));
  await page.screenshot({ path: path.join(shots, "recherche-avec-carte.png"), fullPage: false });
  report.pages.push({ name: "recherche-avec-carte", url: "(click)", status: 200, violations: r.violations.map((v) => v.id), errors, passes: r.passes.length });
  if (r.violations.length) failures.push(`recherche-avec-carte: ${JSON.stringify(r.violations.map((v) => [v.id, v.nodes.map((n) => n.target)]))}`);
  if (errors.length) failures.push(`recherche-avec-carte: ${errors.join(" | ")}`);
  await page.close();
}
await audit("recherche-mobile", "/?q=demarche&ou=Montauban", { mobile: true, fullPage: false });
await audit("lieu", `/lieux/${encodeURIComponent(placeId)}`);
await audit("carte", "/carte?ou=Montauban&rayon=50", { waitMap: true, fullPage: false });
// The map speaks French, and a popup gives the address, the next opening or passage, and a
// link: here the bus stopping at Lavit, which has no fixed place.
{
  const page = await context.newPage();
  await page.goto(base + "/carte?q=bus&ou=Lavit&rayon=0", { waitUntil: "load" });
  const marker = await page.waitForSelector('.leaflet-marker-icon[title*="Lavit"]', { timeout: 10000 }).catch(() => null);
  const titles = await page.evaluate(() => [...document.querySelectorAll(".leaflet-control-zoom a")].map((a) => a.title));
  if (titles.join("|") !== "Zoomer|Dézoomer") failures.push(`carte: zoom buttons titled ${JSON.stringify(titles)}`);
  if (!marker) {
    failures.push("carte: the bus stop of Lavit is not on the map");
  } else {
    await marker.click();
    const popup = await page.waitForSelector(".leaflet-popup-content", { timeout: 5000 }).catch(() => null);
    const text = popup ? await popup.innerText() : "";
    const link = popup ? await popup.$eval("a", (a) => a.getAttribute("href")).catch(() => "") : "";
    if (!link.startsWith("/itinerance?commune=") || !text.includes("Lavit") || !text.includes(" est à ")) {
      failures.push(`carte: the popup of the bus stop lacks its link or next passage: ${JSON.stringify([link, text])}`);
    }
  }
  await page.close();
}
await audit("widget", "/embed?ou=Montauban&services=aide-aux-demarches-administratives");
await audit("widget-generateur", "/embed/generateur?ou=Montauban&rayon=10");
await audit("liste-imprimable", "/imprimer?ou=82121");
await audit("api", "/api");
await audit("accessibilite", "/accessibilite");
await audit("mentions-legales", "/mentions-legales");
await audit("donnees-personnelles", "/donnees-personnelles");
await audit("plan-du-site", "/plan-du-site");
await audit("composants", "/composants");
await audit("widget-couleurs", "/embed?ou=Montauban&principale=5a2d82&secondaire=ffff00");
await audit("erreur-404", "/nulle-part");
await audit("itinerance", "/itinerance");
await audit("observatoire", "/observatoire");
await audit("orientation", "/orientation");
await audit("orientation-organisme", "/orientation?usage=avec-aide&besoin=dossier-bloque");
await audit("orientation-commune", "/orientation?usage=jamais&besoin=apprendre&deplacement=pres");
await audit("orientation-resultat", "/orientation?usage=avec-aide&besoin=dossier-bloque&organisme=caf&deplacement=oui&commune=Montauban");

// The bus poster: its stylesheet is allowed by the CSP (no console error), and printing it
// gives A4 pages from its @page rule.
if (posterCommune) {
  const url = `/itinerance/affiche?commune=${encodeURIComponent(posterCommune)}`;
  await auditAt("affiche-bus", url);
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto(base + url, { waitUntil: "load" });
  const pdf = (await page.pdf({ preferCSSPageSize: true })).toString("latin1");
  const box = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/.exec(pdf);
  const size = box ? [Math.round(Number(box[1]) * 25.4 / 72), Math.round(Number(box[2]) * 25.4 / 72)] : null;
  report.poster = { url, page_mm: size, errors };
  if (!size || size[0] !== 210 || size[1] !== 297) failures.push(`the poster does not print on A4: ${JSON.stringify(size)}`);
  if (errors.length) failures.push(`poster: console errors: ${errors.join(" | ")}`);
  const h1 = await page.evaluate(() => getComputedStyle(document.querySelector("h1")).fontSize);
  if (h1 !== "34.6667px") failures.push(`the poster's stylesheet is not applied (h1 at ${h1})`);
  await page.close();
}

// The widget works inside another site's page; the other pages refuse to be framed.
{
  const page = await context.newPage();
  await page.setContent(
    `<html lang="fr"><body><iframe id="w" title="widget" src="${base}/embed?ou=Montauban"></iframe>` +
    `<iframe id="home" title="accueil" src="${base}/"></iframe></body></html>`
  );
  await page.waitForTimeout(1500);
  const widget = page.frames().find((f) => f.url().includes("/embed"));
  const heading = widget ? await widget.textContent("h1").catch(() => null) : null;
  if (!heading || !heading.includes("Montauban")) failures.push(`the widget does not render inside another page: ${heading}`);
  const home = page.frames().find((f) => f.url() === base + "/");
  const homeHeading = home ? await home.$("h1").catch(() => null) : null;
  if (homeHeading) failures.push("the home page can be framed by another site");
  report.framing = { widget: heading, home_framed: Boolean(homeHeading) };
  await page.close();
}

// Keyboard only: Tab to the search field, type, tick a service with the space bar, submit
// with Enter, then Tab to the first result and open it with Enter.
{
  const page = await context.newPage();
  await page.goto(base + "/", { waitUntil: "load" });
  const steps = [];
  const focused = () => page.evaluate(() => {
    const e = document.activeElement;
    return { tag: e.tagName, id: e.id, text: (e.textContent || "").trim().slice(0, 40), href: e.getAttribute("href") };
  });
  async function tabTo(pred, what, max = 80) {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press("Tab");
      const f = await focused();
      if (pred(f)) { steps.push(`${what} after ${i + 1} Tab`); return f; }
    }
    throw new Error(`could not reach ${what} with the keyboard`);
  }
  try {
    await page.keyboard.press("Tab");
    const first = await focused();
    if (!(first.tag === "A" && first.href === "#contenu")) throw new Error(`first Tab stop is not the skip link: ${JSON.stringify(first)}`);
    steps.push("skip link first");
    await tabTo((f) => f.id === "q", "search field");
    await page.keyboard.type("demarche");
    await tabTo((f) => f.id === "ou", "place field");
    await page.keyboard.type("Montauban");
    await tabTo((f) => f.tag === "SUMMARY", "the filters disclosure");
    await page.keyboard.press("Enter");
    await tabTo((f) => f.id === "services-1", "first service checkbox");
    await page.keyboard.press("Space");
    await tabTo((f) => f.tag === "BUTTON" && f.text === "Appliquer les filtres", "apply-filters button");
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    const url = page.url();
    if (!url.includes("services=aide-aux-demarches-administratives") || !url.includes("q=demarche")) throw new Error(`search URL lacks the filter: ${url}`);
    steps.push(`results: ${url.replace(base, "")}`);
    await tabTo((f) => f.tag === "A" && (f.href || "").startsWith("/lieux/"), "first result");
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    const h1 = await page.textContent("h1");
    if (!page.url().includes("/lieux/") || !h1) throw new Error(`did not reach a place page: ${page.url()}`);
    steps.push(`place page: ${h1.trim()}`);
    await page.screenshot({ path: path.join(shots, "clavier-fiche-lieu.png") });
    report.keyboard = { ok: true, steps };
  } catch (e) {
    report.keyboard = { ok: false, steps, error: String(e) };
    failures.push(`keyboard walk: ${e}`);
  }
  await page.close();
}

// Weight of the search page with results, first visit (nothing cached): compressed bytes.
{
  const fresh = await chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), "maillage-chromium-")), {
    executablePath: process.env.MAILLAGE_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = await fresh.newPage();
  const files = [];
  page.on("requestfinished", async (req) => {
    const s = await req.sizes();
    files.push({ url: req.url().replace(base, ""), bytes: s.responseBodySize + s.responseHeadersSize });
  });
  await page.goto(base + "/?q=demarche&ou=Montauban&rayon=20", { waitUntil: "networkidle" });
  await page.waitForTimeout(300);
  const total = files.reduce((a, f) => a + f.bytes, 0);
  const css = files.filter((f) => /\.css(\?|$)/.test(f.url)).reduce((a, f) => a + f.bytes, 0);
  report.weight = { page: "/?q=demarche&ou=Montauban&rayon=20", total_bytes: total, css_bytes: css, files };
  // The budgets for our own design system: a first visit of the search page lighter
  // than the 130 KB it weighed with the DSFR, its CSS under 25 KB compressed. (The State
  // theme carries the DSFR: only its total is reported.)
  if (theme !== "etat" && total >= 130 * 1024) failures.push(`the search page weighs ${total} bytes (budget: under 133120)`);
  if (theme !== "etat" && css >= 25 * 1024) failures.push(`the search page's CSS weighs ${css} bytes (budget: under 25600)`);
  if (files.some((f) => f.url.includes("leaflet"))) failures.push("the search page loads the map library before it is asked for");
  await fresh.close();
}

await context.close();
await zoomed.browser().close();
rmSync(profile, { recursive: true, force: true });
writeFileSync(path.join(outDir, "browser-report.json"), JSON.stringify(report, null, 2));
for (const p of report.pages) console.log(`${p.name}: HTTP ${p.status}, ${p.violations.length} violation(s), ${p.passes} axe rules passed`);
console.log(`keyboard: ${report.keyboard.ok ? "ok" : "FAILED"} — ${report.keyboard.steps.join("; ")}`);
console.log(`weight of the search page with results (${theme}): ${report.weight.total_bytes} bytes transferred, of which CSS ${report.weight.css_bytes}`);
if (report.poster) console.log(`poster: ${JSON.stringify(report.poster)}`);
if (failures.length) {
  console.error("FAILURES:\n" + failures.join("\n"));
  process.exit(1);
}
