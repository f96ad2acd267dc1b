// Shared set-up for the browser journeys: Debian's Chromium through playwright-core (no browser
// download), one fresh context per journey, a screenshot in end2end/artifacts/ when a journey fails.
import { chromium } from "playwright-core";
import { test } from "node:test";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const BASE_URL = process.env.BASE_URL ?? "http://127.0.0.1:3000";
export const DEMO = { email: "demo@tollgate.test", password: "demo-password-1", balance: "$47.50" };
const ARTIFACTS = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "artifacts");

/** Debian's Chromium (or `CHROMIUM_PATH`): the browser of the journeys, the screenshots and Lighthouse. */
export function chromiumPath() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"]).toString().trim();
}

let browserPromise;
export function browser() {
  browserPromise ??= chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return browserPromise;
}

export async function closeBrowser() {
  if (browserPromise) await (await browserPromise).close();
}

let lastAddress = 0;
/**
 * A client address of its own for each browser context, as a reverse proxy in front of Tollgate would
 * report it (`X-Forwarded-For`; `make test` trusts 127.0.0.1 as that proxy). Journeys are people on their
 * own networks, so one journey's logins and card attempts never count against another's limits.
 */
export function ownNetwork() {
  lastAddress += 1;
  return { "X-Forwarded-For": `10.${(process.pid >> 8) & 255}.${(lastAddress >> 8) & 255}.${lastAddress & 255}` };
}

/**
 * One user journey in a fresh browser context. `js: false` runs it with JavaScript disabled.
 * `ownNetwork: false` sends no `X-Forwarded-For`: the header goes with every request, and a page's
 * cross-origin requests (Stripe.js to its API) would need a CORS preflight for it.
 */
export function journey(name, { js = true, viewport = { width: 1280, height: 900 }, ownNetwork: own = true } = {}, body) {
  test(name, async () => {
    const context = await (await browser()).newContext({
      javaScriptEnabled: js,
      viewport,
      baseURL: BASE_URL,
      extraHTTPHeaders: own ? ownNetwork() : {},
    });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    page.tollgateJs = js; // helpers wait for hydration only when the app can hydrate
    const pageErrors = [];
    page.on("pageerror", (err) => pageErrors.push(err));
    try {
      await body({ page, context, pageErrors });
    } catch (err) {
      mkdirSync(ARTIFACTS, { recursive: true });
      const file = path.join(ARTIFACTS, `${name.replace(/[^a-z0-9]+/gi, "-")}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      err.message += `\n  screenshot: ${file}\n  url: ${page.url()}`;
      throw err;
    } finally {
      await context.close();
    }
  });
}

/** A fresh address for a new account, unique per run. */
export function newEmail(tag = "user") {
  return `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.test`;
}

/** Resolves once the Leptos app in the page has hydrated (the wasm bundle ran). */
export async function waitForHydration(page) {
  await page.locator('body[data-hydrated="true"]').waitFor({ state: "attached", timeout: 20_000 });
}

/** Opens `path` and, with JavaScript on, waits until the app is live (so clicks go through the app). */
export async function open(page, path) {
  await page.goto(path);
  if (page.tollgateJs !== false) await waitForHydration(page);
}

/**
 * Waits until the address bar shows `path` (path and query, query optional). Works for full page loads
 * (JavaScript off) and for the app's client-side navigations, which fire no load event.
 */
export async function waitForPath(page, path, timeout = 15_000) {
  const [wantPath, wantQuery] = path.split("?");
  const matches = () => {
    const url = new URL(page.url());
    return url.pathname === wantPath && (wantQuery === undefined || url.search === `?${wantQuery}`);
  };
  const deadline = Date.now() + timeout;
  while (!matches()) {
    if (Date.now() > deadline) throw new Error(`expected to arrive at ${path}, still at ${page.url()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A Visa card the sandbox approves. */
export const NEW_CARD = { number: "4242 4242 4242 4242", expiry: "12/30", cvc: "123", postal: "10001" };

/** Fills Add Funds' (or checkout's) new-card fields. */
export async function fillNewCard(page, card) {
  await page.getByLabel("Card number").fill(card.number);
  await page.getByLabel("Expiry", { exact: true }).fill(card.expiry);
  await page.getByLabel("CVC").fill(card.cvc);
  await page.getByLabel("Billing postal code", { exact: true }).fill(card.postal);
}

/** Opens Add Funds (closing a finished deposit's dialog first, as a person would). */
export async function openAddFunds(page) {
  if (page.tollgateJs !== false) await page.locator('body[data-hydrated="true"]').waitFor({ state: "attached" });
  // A finished deposit's dialog is closed first, as a person would ("Done").
  const done = page.getByRole("link", { name: "Done" });
  if (await done.isVisible()) await done.click();
  await page.getByRole("button", { name: "Add Funds" }).click();
  await page.getByLabel("Amount").waitFor();
}

/** Add Funds → amount → card (`"saved"` or new-card fields) → Continue → Confirm; returns after the result shows. */
export async function addFunds(page, amount, card) {
  await openAddFunds(page);
  await page.getByLabel("Amount").fill(amount);
  if (card === "saved") {
    // The default saved card is preselected.
  } else {
    if (await page.getByLabel("Use a new card").isVisible()) await page.getByLabel("Use a new card").check();
    await fillNewCard(page, card);
  }
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("button", { name: "Confirm" }).click();
  await page.getByRole("heading", { name: /Funds added|Payment failed/ }).waitFor();
}

export async function logIn(page, { email, password }) {
  await open(page, "/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

export async function signUp(page, { email, password }) {
  await open(page, "/signup");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
}

/** A call to the JSON API as an agent makes it. */
export async function api(method, path, secret, body, headers = {}) {
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** Fills the create form and presses "Create key"; returns the secret shown once. */
export async function createKey(page, { name, limit, period, services = [], allowFunding = false }) {
  await page.getByLabel("Key name").fill(name);
  if (limit !== undefined) await page.getByLabel("Spend limit").fill(limit);
  if (period !== undefined) await page.getByLabel("Limit period").selectOption(period);
  for (const service of services) await page.getByLabel(service, { exact: true }).check();
  if (allowFunding) await page.getByLabel("Allow adding funds").check();
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = (await page.getByTestId("new-key-secret").textContent()).trim();
  assert.match(secret, /^tg_sk_[0-9a-f]{48}$/);
  return secret;
}

// axe-core (not ours) and the sideways-scroll check, for every page (tests/accessibility.test.js and the
// journeys of pages only some people reach).
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * Runs axe-core in the page as it stands and returns its violations as readable lines. axe is evaluated
 * through the DevTools protocol, so the page's own Content-Security-Policy stays as the server sent it.
 */
export async function axeViolations(page, label) {
  // axe waits on animation frames, which a background tab doesn't get: the page checked is the one shown.
  await page.bringToFront();
  await page.evaluate(AXE_SOURCE);
  const run = page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const stalled = new Promise((_, reject) => setTimeout(() => reject(new Error(`${label}: axe gave no answer in 30 s`)), 30_000).unref());
  const result = await Promise.race([run, stalled]);
  return result.violations.flatMap((v) =>
    v.nodes.map((n) => `${label}: ${v.id} (${v.impact}) ${v.help} — ${n.target.join(" ")}: ${(n.failureSummary ?? "").split("\n").slice(1, 2).join("").trim()}`),
  );
}

/** How far the page scrolls sideways (0 when the document fits the screen). */
export async function sidewaysOverflow(page) {
  return page.evaluate(() => {
    const excess = document.documentElement.scrollWidth - window.innerWidth;
    if (excess <= 0) return null;
    // Name the widest elements that stick out, so the finding says where to look.
    const culprits = [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5 && !el.closest(".table-scroll, .visually-hidden"))
      .slice(-3)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : ""}`);
    return `${excess}px (${culprits.join(", ")})`;
  });
}

/**
 * The page as a browser without JavaScript got it, where axe can run: axe needs JavaScript (its timers
 * don't run in a page that has it off), so the server-rendered document is copied, without its scripts,
 * into a page of this site that has it on, and checked there.
 */
export async function withoutItsScripts(page, copy) {
  const html = (await page.content()).replace(/<script\b[\s\S]*?<\/script>/gi, "");
  await copy.goto("/healthz");
  await copy.setContent(html, { waitUntil: "load" });
  return copy;
}

/**
 * A checker for one journey's pages at `width` px, JavaScript on or off: `check(label)` runs axe-core on
 * the page shown (without JavaScript, on a copy of it as served, since axe needs scripts) and looks for
 * sideways scroll, collecting what it finds; `findings` is the list, `close()` ends the copy's context.
 */
export async function pageChecker(page, { js, width }) {
  const findings = [];
  const copies = js ? null : await (await browser()).newContext({ baseURL: BASE_URL, viewport: { width, height: 844 } });
  const copy = copies && (await copies.newPage());
  const check = async (label) => {
    const checked = js ? page : await withoutItsScripts(page, copy);
    findings.push(...(await axeViolations(checked, `${label} (${width} px, JS ${js ? "on" : "off"})`)));
    const overflow = await sidewaysOverflow(page);
    if (overflow) findings.push(`${label}: scrolls sideways by ${overflow}`);
  };
  return { check, findings, close: async () => copies?.close() };
}
