// Measures the map with many points (issue 4: clustering smooth with 20,000 points).
//   node tests/browser/map-scale.mjs BASE_URL
// Prints: points drawn, time from navigation to the first clusters, and frame times while
// zooming in and out (the 95th percentile frame is what a person feels as "smooth" or not).
import { chromium } from "playwright-core";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const base = process.argv[2];
const context = await chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), "maillage-map-")), {
  executablePath: process.env.MAILLAGE_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1280, height: 900 },
});
const page = await context.newPage();
const t0 = Date.now();
await page.goto(base + "/carte", { waitUntil: "load" });
await page.waitForSelector(".marker-cluster", { timeout: 60000 });
const firstClusters = Date.now() - t0;
const points = await page.evaluate(async () => (await (await fetch(document.getElementById("carte").dataset.points)).json()).length);
const frames = await page.evaluate(async () => {
  const times = [];
  let last = performance.now();
  let running = true;
  const tick = (t) => { times.push(t - last); last = t; if (running) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  const map = document.querySelector("#carte");
  const zoomIn = document.querySelector(".leaflet-control-zoom-in");
  const zoomOut = document.querySelector(".leaflet-control-zoom-out");
  for (let i = 0; i < 4; i++) { zoomIn.click(); await new Promise((r) => setTimeout(r, 400)); }
  for (let i = 0; i < 4; i++) { zoomOut.click(); await new Promise((r) => setTimeout(r, 400)); }
  running = false;
  return times.slice(1).sort((a, b) => a - b);
});
const q = (f) => frames[Math.min(frames.length - 1, Math.floor(frames.length * f))].toFixed(1);
console.log(`points: ${points}; first clusters after ${firstClusters} ms; frames while zooming: ${frames.length}, median ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${q(1 - 1e-9)} ms`);
await context.close();
