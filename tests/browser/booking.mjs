// The booking path in a real headless Chromium, started by crates/web/tests/booking_browser.rs:
//   node tests/browser/booking.mjs BASE_URL OUT_DIR PLACE_ID MAILDIR SESSION
// A person books a slot from the place page's form (first without a way to be reached: the
// French message), the confirmation arrives in the SMTP server's maildir, its link opens the
// booking's page, the person cancels. axe-core (wcag2a, wcag2aa, wcag21aa) must find 0
// violations on each page reached, and on the GET pages at 200 % zoom (a 640 px window at
// device scale 2) too; the agents' agenda is audited with the SESSION cookie. Writes
// OUT_DIR/booking/booking-report.json and screenshots beside it.
import { chromium } from "playwright-core";
import { readFileSync, readdirSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const [base, rootOut, placeId, maildir, session] = process.argv.slice(2);
if (!base || !rootOut || !placeId || !maildir || !session) {
  console.error("usage: booking.mjs BASE_URL OUT_DIR PLACE_ID MAILDIR SESSION");
  process.exit(2);
}
const outDir = path.join(rootOut, "booking");
mkdirSync(outDir, { recursive: true });
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const browser = await chromium.launch({
  executablePath: process.env.MAILLAGE_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
});
const options = { locale: "fr-FR", timezoneId: "Europe/Paris" };
const context = await browser.newContext({ ...options, viewport: { width: 1280, height: 900 } });
const zoomed = await browser.newContext({ ...options, viewport: { width: 640, height: 450 }, deviceScaleFactor: 2 });
const failures = [];
const report = { pages: [], steps: [] };

/// Runs axe-core on the page as it is, and saves a screenshot.
async function check(page, name) {
  await page.evaluate(axeSource);
  const r = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"] } })
  );
  const violations = r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
  report.pages.push({ name, url: page.url().replace(base, ""), violations, passes: r.passes.length });
  if (violations.length) failures.push(`${name}: ${violations.length} axe violation(s): ${JSON.stringify(violations)}`);
}

/// A GET page at normal size (in `page`) and at 200 % (in a page of its own).
async function checkBoth(page, name) {
  await check(page, name);
  const z = await zoomed.newPage();
  await z.goto(page.url(), { waitUntil: "load" });
  await check(z, `${name}-zoom200`);
  const overflow = await z.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) failures.push(`${name}: at 200 % the page scrolls sideways by ${overflow} px`);
  await z.close();
}

/// The body of the first message in the maildir, decoded (lettre picks quoted-printable or
/// base64 for French text).
async function firstMail(timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let files = [];
    try { files = readdirSync(path.join(maildir, "new")); } catch { /* not created yet */ }
    if (files.length) {
      const raw = readFileSync(path.join(maildir, "new", files[0]), "utf8");
      const split = raw.search(/\r?\n\r?\n/);
      const headers = raw.slice(0, split);
      const body = raw.slice(split).trim();
      if (/Content-Transfer-Encoding:\s*base64/i.test(headers)) return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
      if (/Content-Transfer-Encoding:\s*quoted-printable/i.test(headers)) {
        const bytes = Buffer.from(body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16))), "latin1");
        return bytes.toString("utf8");
      }
      return body;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}

try {
  const page = await context.newPage();
  await page.goto(`${base}/lieux/${encodeURIComponent(placeId)}`, { waitUntil: "load" });
  await checkBoth(page, "lieu-avec-rendez-vous");
  // Without a phone or an email: the form comes back with a message, the name kept.
  await page.locator("input[name=creneau]").first().check();
  await page.fill("#reservation-nom", "Ana Lovelace");
  await Promise.all([page.waitForNavigation(), page.click("button:has-text('Réserver ce créneau')")]);
  const alert = await page.textContent("[role=alert]");
  if (!alert || !alert.includes("téléphone ou une adresse")) failures.push(`no French message without a contact: ${alert}`);
  report.steps.push(`refused without contact: ${alert && alert.trim()}`);
  await check(page, "reservation-erreur");
  await page.locator("input[name=creneau]").first().check();
  await page.fill("#reservation-courriel", "ana@exemple.fr");
  await Promise.all([page.waitForNavigation(), page.click("button:has-text('Réserver ce créneau')")]);
  const booked = page.url().replace(base, "").replace(/\?.*$/, "");
  if (!/^\/reservation\/[0-9a-f]{64}$/.test(booked)) throw new Error(`not on the booking's page: ${page.url()}`);
  const status = await page.textContent("[role=status]");
  if (!status || !status.includes("réservé")) failures.push(`the booking's page does not say it is booked: ${status}`);
  report.steps.push("booked from the form");
  await checkBoth(page, "reservation");

  // The confirmation, as the SMTP server received it.
  const mail = await firstMail(20000);
  if (!mail) throw new Error("no confirmation arrived in the SMTP server within 20 s");
  const link = (mail.match(/https?:\/\/\S+\/reservation\/[0-9a-f]{64}(?=\s)/) || [])[0];
  if (!link) throw new Error(`the confirmation has no cancellation link: ${mail}`);
  if (!link.endsWith(booked)) failures.push(`the email's link ${link} is not the booking's page ${booked}`);
  if (!mail.includes("rendez-vous.ics")) failures.push("the confirmation has no calendar link");
  report.steps.push(`confirmation received with ${link.replace(base, "")}`);

  // Cancel from the email's link, in a page of its own.
  const fromMail = await context.newPage();
  await fromMail.goto(link, { waitUntil: "load" });
  await Promise.all([fromMail.waitForNavigation(), fromMail.click("button:has-text('Annuler ce rendez-vous')")]);
  const done = await fromMail.textContent("[role=status]");
  if (!done || !done.includes("annulé")) failures.push(`cancelling did not say so: ${done}`);
  report.steps.push("cancelled from the email's link");
  await check(fromMail, "reservation-annulee");

  // The agents' agenda, signed in.
  await context.addCookies([{ name: "maillage_session", value: session, url: base }]);
  const agenda = await context.newPage();
  await agenda.goto(`${base}/espace/agenda`, { waitUntil: "load" });
  const h1 = await agenda.textContent("h1");
  if (!h1 || !h1.includes("Agenda")) failures.push(`the agenda did not open: ${h1}`);
  await check(agenda, "agenda");
} catch (e) {
  failures.push(String(e));
}

await browser.close();
writeFileSync(path.join(outDir, "booking-report.json"), JSON.stringify(report, null, 2));
for (const p of report.pages) console.log(`${p.name}: ${p.violations.length} violation(s), ${p.passes} axe rules passed`);
for (const s of report.steps) console.log(`step: ${s}`);
if (failures.length) {
  console.error("FAILURES:\n" + failures.join("\n"));
  process.exit(1);
}
