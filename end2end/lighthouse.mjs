// Lighthouse scores of the dashboard pages signed in as the demo user, and of /login signed out, with the
// mobile (Lighthouse's default) and desktop presets. Started by scripts/lighthouse.sh (`make lighthouse`),
// which provides the server; by hand: BASE_URL=http://127.0.0.1:3000 node end2end/lighthouse.mjs [report.md]
//
// One Chromium for everything, with a DevTools port: playwright-core signs in through the login page in the
// browser's default context, then Lighthouse connects to the same port and opens its tabs in that context,
// so they carry the real session cookie (HttpOnly, SameSite) as a person's browser would — no injected
// Cookie header, no CSP bypass. Lighthouse never clears cookies between runs (only caches and storage).
//
// Settings (environment): LIGHTHOUSE_RUNS=1 runs per page and preset (with more, Lighthouse's own
// median run — the one nearest the median FCP and TTI — is reported); CHROMIUM_PATH (default: `chromium`
// on PATH). Prints figures and never fails on a score; exits 1 only when a page could not be measured.
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";
import { computeMedianRun, filterToValidRuns } from "lighthouse/core/lib/median-run.js";
import { chromium } from "playwright-core";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BASE_URL, DEMO, chromiumPath, waitForPath } from "./tests/support.js";

const RUNS = Math.max(1, Number.parseInt(process.env.LIGHTHOUSE_RUNS ?? "1", 10) || 1);
const REPORT = process.argv[2];
const SIGNED_IN_PAGES = [
  "/dashboard/wallet",
  "/dashboard/usage",
  "/dashboard/keys",
  "/dashboard/settings",
  "/dashboard/team",
  "/dashboard/audit",
];
const SIGNED_OUT_PAGES = ["/login"];
const PRESETS = [
  { name: "mobile", config: undefined },
  { name: "desktop", config: desktopConfig },
];
const CATEGORIES = ["performance", "accessibility", "best-practices", "seo"];
const METRICS = [
  ["FCP", "first-contentful-paint"],
  ["LCP", "largest-contentful-paint"],
  ["TBT", "total-blocking-time"],
  ["CLS", "cumulative-layout-shift"],
];
// Audits that carry no pass/fail of their own.
const NOT_PASS_FAIL = new Set(["informative", "notApplicable", "manual"]);
// A metric's audit has no details; these informative ones say what it measured (listed under a failing metric).
const METRIC_CULPRITS = {
  "largest-contentful-paint": "largest-contentful-paint-element",
  "total-blocking-time": "long-tasks",
  "cumulative-layout-shift": "layout-shifts",
};

// ------------------------------------------------------------------------------------------- Chromium
const profile = mkdtempSync(path.join(os.tmpdir(), "tollgate-lighthouse-"));
let chrome; // the Chromium process, in a process group of its own (its helpers go with it)
let chromeLog = "";

function stopChromium() {
  if (chrome && chrome.exitCode === null && chrome.signalCode === null) {
    try {
      process.kill(-chrome.pid, "SIGKILL");
    } catch {}
  }
}
// Whatever way this process ends, the browser goes too; Ctrl-C does not reach it (own process group).
process.on("exit", () => {
  stopChromium();
  rmSync(profile, { recursive: true, force: true });
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));

/** Starts Chromium with a DevTools port (port 0: Chromium picks a free one); resolves to that port. */
async function startChromium() {
  chrome = spawn(
    chromiumPath(),
    [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      // chrome-launcher's defaults for Lighthouse: no background work competing with the page under test.
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-extensions",
      "--disable-default-apps",
      "--mute-audio",
      "--metrics-recording-only",
      "--password-store=basic",
      "--use-mock-keychain",
      "--disable-background-timer-throttling",
      "--disable-backgrounding-occluded-windows",
      "--disable-renderer-backgrounding",
      "--disable-ipc-flooding-protection",
      "--disable-features=Translate,OptimizationHints,MediaRouter",
      "about:blank",
    ],
    { detached: true, stdio: ["ignore", "ignore", "pipe"] },
  );
  chrome.stderr.on("data", (chunk) => (chromeLog = (chromeLog + chunk).slice(-4000)));
  // Chromium writes the port it listens on to DevToolsActivePort in its profile.
  const portFile = path.join(profile, "DevToolsActivePort");
  for (let i = 0; i < 300; i++) {
    if (chrome.exitCode !== null) break;
    if (existsSync(portFile)) {
      const port = Number(readFileSync(portFile, "utf8").split("\n")[0]);
      if (port > 0) return port;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Chromium did not start (no DevTools port within 30 s):\n${chromeLog}`);
}

/** Signs in as the demo user through the login page, in the browser's default context. */
async function signIn(port) {
  const browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
  try {
    const context = browser.contexts()[0];
    const page = await context.newPage();
    await page.goto(`${BASE_URL}/login`);
    await page.getByLabel("Email").fill(DEMO.email);
    await page.getByLabel("Password").fill(DEMO.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await waitForPath(page, "/dashboard/wallet", 20_000);
    const cookies = await context.cookies(BASE_URL);
    if (!cookies.some((c) => c.name === "tollgate_session")) throw new Error("logged in, but no session cookie");
    await page.close();
  } finally {
    // Over CDP this only disconnects: the browser, its default context and the cookie stay.
    await browser.close();
  }
}

// ------------------------------------------------------------------------------------------ Lighthouse
/** Runs Lighthouse RUNS times on `pagePath`; returns the median run's result, or { error }. */
async function measure(port, pagePath, preset) {
  const url = `${BASE_URL}${pagePath}`;
  const lhrs = [];
  let error;
  for (let i = 0; i < RUNS; i++) {
    try {
      const result = await lighthouse(
        url,
        { port, logLevel: "error", output: "json", onlyCategories: CATEGORIES },
        preset.config,
      );
      const lhr = result.lhr;
      const landed = new URL(lhr.finalDisplayedUrl).pathname;
      if (lhr.runtimeError) error = `${lhr.runtimeError.code}: ${lhr.runtimeError.message}`;
      else if (landed !== pagePath) error = `landed on ${landed} instead (signed out?)`;
      else lhrs.push(lhr);
    } catch (err) {
      error = err.message;
    }
  }
  if (!lhrs.length) return { error: error ?? "no result" };
  // The median needs FCP and TTI; a run without them (rare) is reported only when no run has them.
  const valid = filterToValidRuns(lhrs);
  const lhr = valid.length > 1 ? computeMedianRun(valid) : (valid[0] ?? lhrs[0]);
  return { lhr, partial: lhrs.length < RUNS ? `${lhrs.length} of ${RUNS} runs measured; the last error: ${error}` : undefined };
}

// -------------------------------------------------------------------------------------------- report
const oneLine = (s, max = 200) => {
  const t = String(s ?? "").replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};
const score = (s) => (s === null || s === undefined ? "–" : String(Math.round(s * 100)));
const display = (audit) => oneLine(audit?.displayValue ?? "").replace(/\u00a0/g, " ");
const relative = (url) => (typeof url === "string" && url.startsWith(BASE_URL) ? url.slice(BASE_URL.length) || "/" : url);

/** One cell of an audit's table, by its column's type: elements, URLs and source lines as such, numbers with units. */
function formatValue(value, valueType) {
  if (value === null || value === undefined || value === "") return "";
  if (typeof value === "object") {
    switch (value.type) {
      case "node": {
        const label = value.nodeLabel && !value.snippet?.includes(value.nodeLabel) ? ` "${oneLine(value.nodeLabel, 60)}"` : "";
        const why = value.explanation ? ` — ${oneLine(value.explanation, 300)}` : "";
        return `\`${value.selector ?? value.path}\` ${oneLine(value.snippet, 160)}${label}${why}`;
      }
      case "source-location":
        return `${relative(value.url)}:${value.line + 1}:${value.column + 1}`;
      case "url":
        return relative(value.value);
      case "code":
        return `\`${oneLine(value.value, 160)}\``;
      case "link":
        return `${oneLine(value.text, 80)} (${value.url})`;
      case "numeric":
      case "text":
        return formatValue(value.value, valueType);
      default:
        return "";
    }
  }
  if (typeof value === "number") {
    if (["ms", "timespanMs"].includes(valueType)) return `${Math.round(value)} ms`;
    if (valueType === "bytes") return value >= 1024 ? `${(value / 1024).toFixed(1)} KiB` : `${value} B`;
    return String(Number.isInteger(value) ? value : Number(value.toFixed(3)));
  }
  return valueType === "url" ? relative(value) : oneLine(value, 300);
}

/** One row of an audit's table: what it points at (element, URL, text) first, then the labelled numbers. */
function describeItem(item, headings) {
  if (!item || typeof item !== "object") return oneLine(item);
  const what = [];
  const numbers = [];
  for (const h of headings ?? []) {
    const text = formatValue(item[h.key], h.valueType);
    if (!text) continue;
    if (["ms", "timespanMs", "bytes", "numeric"].includes(h.valueType) || typeof item[h.key] === "number") {
      numbers.push(`${oneLine(h.label) || h.key} ${text}`);
    } else {
      what.push(text);
    }
  }
  // Accessibility (axe) rows have one node column and say why in the node's `explanation`; console errors and
  // issues carry a description that some tables leave out of their headings.
  if (!what.length && typeof item.description === "string") what.push(oneLine(item.description, 300));
  const sub = item.subItems?.items ?? [];
  const subHeadings = (headings ?? []).map((h) => ({ ...h, key: h.subItemsHeading?.key, valueType: h.subItemsHeading?.valueType ?? h.valueType }))
    .filter((h) => h.key);
  const subText = sub.length ? ` [${sub.slice(0, 3).map((x) => describeItem(x, subHeadings)).join("; ")}${sub.length > 3 ? "; …" : ""}]` : "";
  const line = [what.join(" "), numbers.join(", ")].filter(Boolean).join(" — ");
  return (line || oneLine(JSON.stringify(item), 200)) + subText;
}

/** The rows of an audit's details (tables, opportunities, lists of those); repeated rows once, with a count. */
function detailItems(details, max = 10) {
  if (!details) return [];
  let rows = [];
  if (details.type === "list") rows = details.items.flatMap((d) => detailItems(d, Infinity));
  else if (["table", "opportunity"].includes(details.type)) rows = (details.items ?? []).map((i) => describeItem(i, details.headings));
  else if (details.type === "checklist") {
    rows = Object.entries(details.items ?? {}).filter(([, v]) => !v.value).map(([k, v]) => `${k}: ${oneLine(v.label)}`);
  }
  const counts = new Map();
  for (const r of rows) counts.set(r, (counts.get(r) ?? 0) + 1);
  const out = [...counts].map(([r, n]) => (n > 1 ? `${r} (×${n})` : r));
  return out.length > max ? [...out.slice(0, max), `… and ${out.length - max} more`] : out;
}

/** Audits pulling a category under 100: score < 1, pass/fail ones only, as Lighthouse's report shows them. */
function failingAudits(lhr) {
  const out = [];
  for (const id of CATEGORIES) {
    const category = lhr.categories[id];
    if (!category || category.score === 1) continue;
    for (const ref of category.auditRefs) {
      if (ref.group === "hidden") continue; // the insight twins of the listed diagnostics, unused metrics
      const audit = lhr.audits[ref.id];
      if (!audit || NOT_PASS_FAIL.has(audit.scoreDisplayMode)) continue;
      if (audit.scoreDisplayMode === "error") {
        out.push({ category: id, audit, error: true });
        continue;
      }
      if (audit.score === null || audit.score >= 1) continue;
      out.push({ category: id, audit, weight: ref.weight });
    }
  }
  return out;
}

function report(results, env) {
  const lines = [];
  lines.push(`# Lighthouse — ${new Date().toISOString().replace(/T(\d\d:\d\d).*/, " $1 UTC")}`);
  lines.push("");
  lines.push(
    `Lighthouse ${env.lighthouseVersion ?? "?"}, ${env.browser ?? "Chromium"} (headless), ${os.cpus().length} CPUs, ` +
      `benchmark index ${env.benchmarkIndex ?? "?"}; commit ${env.commit}; ${RUNS} run(s) per page and preset` +
      `${RUNS > 1 ? " (the median run)" : ""}; ${BASE_URL}. Dashboard pages signed in as ${DEMO.email}; /login signed out.`,
  );
  lines.push("Mobile: Lighthouse's default (Moto G Power, simulated slow 4G, 4× CPU slowdown); desktop: its desktop preset.");
  lines.push("");
  lines.push("| page | preset | performance | accessibility | best practices | SEO | FCP | LCP | TBT | CLS |");
  lines.push("|---|---|---|---|---|---|---|---|---|---|");
  for (const r of results) {
    if (r.error) {
      lines.push(`| ${r.page} | ${r.preset} | error: ${oneLine(r.error, 120).replace(/\|/g, "/")} | | | | | | | |`);
      continue;
    }
    const c = r.lhr.categories;
    const metrics = METRICS.map(([, id]) => display(r.lhr.audits[id]));
    lines.push(`| ${r.page} | ${r.preset} | ${CATEGORIES.map((id) => score(c[id]?.score)).join(" | ")} | ${metrics.join(" | ")} |`);
  }
  const failing = results.filter((r) => r.lhr && failingAudits(r.lhr).length);
  if (failing.length) {
    lines.push("");
    lines.push("## Below 100: the audits that fail");
    for (const r of failing) {
      lines.push("");
      lines.push(`### ${r.page} — ${r.preset}`);
      lines.push("");
      for (const { category, audit, weight, error } of failingAudits(r.lhr)) {
        const value = display(audit);
        const how = error ? `audit error: ${oneLine(audit.errorMessage)}` : `score ${score(audit.score)}${value ? `, ${value}` : ""}`;
        const weighs = weight ? `, weight ${weight}` : "";
        lines.push(`- ${category} \`${audit.id}\` — ${oneLine(audit.title)} (${how}${weighs})`);
        const items = detailItems(audit.details);
        for (const item of items) lines.push(`  - ${item.replace(/\|/g, "\\|")}`);
        const culprit = r.lhr.audits[METRIC_CULPRITS[audit.id]];
        const culprits = detailItems(culprit?.details);
        if (culprits.length) {
          lines.push(`  - from \`${culprit.id}\`${culprit.displayValue ? ` (${display(culprit)})` : ""}:`);
          for (const item of culprits) lines.push(`    - ${item.replace(/\|/g, "\\|")}`);
        }
      }
    }
  }
  const warnings = results.flatMap((r) =>
    [r.partial, ...(r.lhr?.runWarnings ?? [])].filter(Boolean).map((w) => `${r.page} (${r.preset}): ${oneLine(w, 300)}`),
  );
  if (warnings.length) {
    lines.push("");
    lines.push("## Lighthouse's warnings");
    lines.push("");
    for (const w of warnings) lines.push(`- ${w}`);
  }
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------- main
const port = await startChromium();
const results = [];
// LIGHTHOUSE_PAGES="/dashboard/usage /login": only these (for a quick look at one page).
const only = (process.env.LIGHTHOUSE_PAGES ?? "").split(/\s+/).filter(Boolean);
const run = async (pages) => {
  for (const page of pages.filter((p) => only.length === 0 || only.includes(p))) {
    for (const preset of PRESETS) {
      process.stderr.write(`[lighthouse] ${page} (${preset.name})${RUNS > 1 ? `, ${RUNS} runs` : ""}\n`);
      results.push({ page, preset: preset.name, ...(await measure(port, page, preset)) });
    }
  }
};
// Signed out first, while the browser has no session cookie yet.
await run(SIGNED_OUT_PAGES);
await signIn(port);
await run(SIGNED_IN_PAGES);
stopChromium();

// The table lists the signed-in pages first, in the dashboard's order.
const order = [...SIGNED_IN_PAGES, ...SIGNED_OUT_PAGES];
results.sort((a, b) => order.indexOf(a.page) - order.indexOf(b.page));
const first = results.find((r) => r.lhr)?.lhr;
let commit = "?";
try {
  const git = (...args) =>
    execFileSync("git", args, { cwd: fileURLToPath(new URL("..", import.meta.url)), stdio: ["ignore", "pipe", "ignore"] });
  commit = git("rev-parse", "--short", "HEAD").toString().trim();
  const dirty = git("status", "--porcelain", "--", "app", "server", "frontend", "style", "public").toString();
  if (dirty.trim()) commit += "+uncommitted";
} catch {}
const text = report(results, {
  lighthouseVersion: first?.lighthouseVersion,
  browser: first?.environment?.hostUserAgent?.match(/(?:Headless)?Chrome\/[\d.]+/)?.[0],
  benchmarkIndex: first?.environment?.benchmarkIndex,
  commit,
});
process.stdout.write(`\n${text}`);
if (REPORT) {
  mkdirSync(path.dirname(REPORT), { recursive: true });
  writeFileSync(REPORT, text);
  // The median runs' full results, for Lighthouse's viewer (https://googlechrome.github.io/lighthouse/viewer/).
  const dir = path.join(path.dirname(REPORT), "lighthouse");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const r of results.filter((r) => r.lhr)) {
    const name = `${r.page.replace(/^\/+/, "").replace(/[^a-z0-9]+/gi, "-")}-${r.preset}.json`;
    writeFileSync(path.join(dir, name), JSON.stringify(r.lhr));
  }
  process.stderr.write(`[lighthouse] written to ${REPORT} (full results: ${dir}/)\n`);
}
process.exitCode = results.some((r) => r.error) ? 1 : 0;
