// The living directory end to end in a real headless Chromium, with the sign-in links read
// from the mail a real SMTP server (aiosmtpd, Mailbox handler) received. Started by
// crates/web/tests/living_browser.rs:
//   node living.mjs BASE_URL MAILDIR PLACE_ID EDITOR_EMAIL COORDINATOR_EMAIL OUT_DIR
// A structure's editor asks for a link, opens it, changes the hours with the grid (preview,
// then save), the change waits (the public page and the API still show the old hours); the
// coordinator signs in the same way, approves the change in the queue, and the public page and
// the API show the new hours. axe-core (wcag2a, wcag2aa, wcag21aa) must find 0 violations on
// every page of the way, and the console must stay free of errors (CSP). Prints one JSON line
// (`RESULT {...}`) for the Rust side.
import { readFileSync, readdirSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { launch, measureWidth } from "./chromium.mjs";

const [base, maildir, placeId, editor, coordinator, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error("usage: living.mjs BASE_URL MAILDIR PLACE_ID EDITOR COORDINATOR OUT_DIR");
  process.exit(2);
}
const require = createRequire(path.join(process.cwd(), "package.json"));
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const shots = path.join(outDir, "screenshots");
mkdirSync(shots, { recursive: true });
const browser = await launch();
const context = browser.context;
const failures = [];
const audited = [];
const page = await context.newPage();
const errors = [];
page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
page.on("pageerror", (e) => errors.push(String(e)));

/** axe-core on the page as it is now; a screenshot named `name`. */
async function axe(name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"] } })
  );
  const violations = result.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  audited.push({ name, url: page.url().replace(base, ""), violations: violations.length, passes: result.passes.length });
  if (violations.length) failures.push(`${name}: ${JSON.stringify(violations)}`);
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

/** Decodes a message body by its Content-Transfer-Encoding. */
function bodyOf(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const head = raw.slice(0, split);
  const body = raw.slice(split).trim();
  const cte = (/^content-transfer-encoding:\s*(\S+)/im.exec(head) || [, "7bit"])[1].toLowerCase();
  if (cte === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (cte === "quoted-printable") {
    const bytes = body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, "latin1").toString("utf8");
  }
  return body;
}

const seen = new Set();
/** Waits for a new message to `to` in the maildir and returns the sign-in link it carries. */
async function linkFor(to) {
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    let files = [];
    try { files = readdirSync(path.join(maildir, "new")); } catch { /* not created yet */ }
    for (const f of files) {
      if (seen.has(f)) continue;
      const raw = readFileSync(path.join(maildir, "new", f), "utf8");
      if (!new RegExp(`^To: .*${to.replace(/[.@]/g, "\\$&")}`, "im").test(raw)) continue;
      seen.add(f);
      const link = /https?:\/\/\S+\/connexion\/[0-9a-f]{64}/.exec(bodyOf(raw));
      if (link) return link[0];
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no sign-in link reached ${to} within 30 s`);
}

async function signIn(who, email) {
  await page.goto(base + "/connexion", { waitUntil: "load" });
  await axe(`${who}-connexion`);
  await page.fill("#email", email);
  await Promise.all([page.waitForNavigation(), page.click("form[action='/connexion'] button[type=submit]")]);
  await axe(`${who}-connexion-envoyee`);
  const link = await linkFor(email);
  if (!link.startsWith(base)) failures.push(`the link is not built from MAILLAGE_PUBLIC_URL: ${link}`);
  await page.goto(link, { waitUntil: "load" });
  if (!page.url().endsWith("/espace")) throw new Error(`the link did not open the space: ${page.url()}`);
  await axe(`${who}-espace`);
  return link;
}

async function publicHours() {
  await page.goto(`${base}/lieux/${encodeURIComponent(placeId)}`, { waitUntil: "load" });
  const text = await page.textContent("main");
  const api = await (await fetch(`${base}/api/v1/lieux/${encodeURIComponent(placeId)}`)).json();
  return { page: text, api: JSON.stringify(api) };
}

const result = { steps: [] };
try {
  const before = await publicHours();
  const link = await signIn("editeur", editor);
  // The link is single use: a second visit is refused.
  const again = await context.newPage();
  const second = await again.goto(link, { waitUntil: "load" });
  if (second.status() !== 404) failures.push(`a used sign-in link answered ${second.status()}`);
  await again.close();
  result.steps.push("editor signed in through the emailed link");

  await page.click(`a[href="/espace/lieux/${encodeURIComponent(placeId)}/modifier"]`);
  await page.waitForSelector("#h_5_0");
  // The pin map (JavaScript): a click fills the latitude and longitude; then put back.
  const original = [await page.inputValue("#latitude"), await page.inputValue("#longitude")];
  await page.waitForSelector("#carte-position.leaflet-container");
  await page.locator("#carte-position").scrollIntoViewIfNeeded();
  const box = await page.locator("#carte-position").boundingBox();
  await page.mouse.click(box.x + box.width / 2 + 60, box.y + box.height / 2 + 30);
  const moved = [await page.inputValue("#latitude"), await page.inputValue("#longitude")];
  console.log(`pin: ${original} -> ${moved}`);
  if (!moved[0] || (moved[0] === original[0] && moved[1] === original[1])) failures.push(`a click on the map does not fill the position: ${moved}`);
  await page.fill("#latitude", original[0]);
  await page.fill("#longitude", original[1]);
  await axe("editeur-formulaire");
  // Saturday morning, with the grid's time fields.
  await page.fill("#h_5_0", "09:15");
  await page.fill("#h_5_1", "11:45");
  await Promise.all([page.waitForNavigation(), page.click("button[value=apercu]")]);
  const preview = await page.textContent("section[aria-labelledby=apercu] table");
  if (!preview || !preview.includes("Sa 09:15-11:45")) throw new Error(`the preview does not show the new hours: ${preview}`);
  await axe("editeur-apercu");
  await Promise.all([page.waitForNavigation(), page.click("button[value=enregistrer]")]);
  if (!page.url().includes("/espace?envoye=attente")) throw new Error(`saving did not wait for moderation: ${page.url()}`);
  await axe("editeur-en-attente");
  result.steps.push("hours changed with the grid, waiting for moderation");

  const waiting = await publicHours();
  if (waiting.api.includes("09:15-11:45") || waiting.page.includes("9 h 15")) failures.push("the change is public before moderation");
  if (before.api.includes("09:15-11:45")) failures.push("the new hours were there before the change");

  await page.goto(base + "/espace", { waitUntil: "load" });
  await Promise.all([page.waitForURL(/\/connexion$/), page.click("form[action='/deconnexion'] button")]);
  await signIn("coordination", coordinator);
  await page.click("a[href='/moderation']");
  await page.waitForSelector("h1");
  await axe("coordination-file");
  await Promise.all([page.waitForNavigation(), page.click("table a[href^='/moderation/']")]);
  const diff = await page.textContent("table");
  if (!diff.includes("Sa 09:15-11:45")) throw new Error(`the change page does not show the new hours: ${diff}`);
  await axe("coordination-modification");
  await Promise.all([page.waitForNavigation(), page.click("button[value=approuver]")]);
  result.steps.push("the coordinator approved the change");

  const after = await publicHours();
  if (!after.api.includes("09:15-11:45")) failures.push(`the API does not show the approved hours: ${after.api.slice(0, 400)}`);
  if (!after.page.includes("9 h 15")) failures.push("the public page does not show the approved hours");
  await axe("lieu-publie");
  await page.goto(`${base}/moderation/lieux/${encodeURIComponent(placeId)}/historique`, { waitUntil: "load" });
  await axe("coordination-historique");
  await page.goto(base + "/moderation/fraicheur", { waitUntil: "load" });
  await axe("coordination-fraicheur");

  // The signed-in pages on a 360 px phone: nothing scrolls sideways.
  await page.setViewportSize({ width: 360, height: 740 });
  for (const url of ["/espace", `/espace/lieux/${encodeURIComponent(placeId)}/modifier`, "/moderation", "/moderation/1", `/moderation/lieux/${encodeURIComponent(placeId)}/historique`, "/moderation/fraicheur"]) {
    await page.goto(base + url, { waitUntil: "load" });
    const m = await measureWidth(page);
    console.log(`360 px ${url}: largeur ${m.width} px`);
    if (m.width > 360) failures.push(`${url} at 360 px: ${m.width} px wide; ${m.wide.join(", ")}`);
    await page.screenshot({ path: path.join(shots, `360-${url.replace(/[^a-z0-9]+/gi, "-")}.png`), fullPage: true });
  }
  result.steps.push("the signed-in pages fit a 360 px phone");
  result.steps.push("the public page and the API show the new hours");
} catch (e) {
  failures.push(`${e} (at ${page.url()}; see echec.png)`);
  await page.screenshot({ path: path.join(shots, "echec.png"), fullPage: true }).catch(() => {});
}
if (errors.length) failures.push(`console: ${errors.join(" | ")}`);
result.audited = audited;
await browser.close();
for (const a of audited) console.log(`${a.name} (${a.url}): ${a.violations} violation(s), ${a.passes} règles passées`);
console.log("RESULT " + JSON.stringify(result));
if (failures.length) {
  console.error("FAILURES:\n" + failures.join("\n"));
  process.exit(1);
}
