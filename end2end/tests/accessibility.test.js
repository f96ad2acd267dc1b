// Every page as outside tools see it (docs/ARCHITECTURE.md "Accessibility and layout checks"):
//   - axe-core (not ours) on every page — signed out and signed in, JavaScript on and off, with the Add Funds
//     steps, a decline and "Update card" open — must find nothing, of any impact;
//   - at 320 and 390 px no page scrolls sideways (the document is exactly as wide as the screen).
// Each journey visits every page and reports every finding at once, so one run shows all that is wrong.
import { after, before } from "node:test";
import assert from "node:assert/strict";
import {
  BASE_URL, DEMO, journey, closeBrowser, browser, ownNetwork, newEmail, signUp, waitForPath, open, logIn, addFunds,
  openAddFunds, NEW_CARD, createKey, api, axeViolations, sidewaysOverflow, withoutItsScripts,
} from "./support.js";

after(closeBrowser);

/** A context for one person, with JavaScript on or off (as the browser journeys run them). */
async function context(js, { storageState, viewport = { width: 1280, height: 900 } } = {}) {
  const ctx = await (await browser()).newContext({ viewport, baseURL: BASE_URL, storageState, javaScriptEnabled: js, extraHTTPHeaders: ownNetwork() });
  ctx.setDefaultTimeout(15_000);
  return ctx;
}

/** Opens a page and waits until it has settled (hydrated with JavaScript on). */
async function visit(page, path, js) {
  const res = await page.goto(path);
  if (js) await page.locator('body[data-hydrated="true"]').waitFor({ state: "attached", timeout: 20_000 });
  return res;
}

/** One account with something on every page: a decline with its card saved, a deposit, a draft, a key. */
let person;
before(async () => {
  const ctx = await context(true);
  const page = await ctx.newPage();
  page.tollgateJs = true;
  try {
    await signUp(page, { email: newEmail("a11y"), password: "correct-horse-1" });
    await waitForPath(page, "/dashboard/wallet");
    // A key that may fund, asking before any card is saved: the answer is a checkout link for a person.
    await open(page, "/dashboard/keys");
    const secret = await createKey(page, { name: "Audit agent", allowFunding: true });
    await open(page, "/dashboard/keys");
    const editKey = await page.getByRole("link", { name: "Edit Audit agent" }).getAttribute("href");
    const fund = await api("POST", "/v1/wallet/fund", secret, { amount: "30.00" }, { "Idempotency-Key": `a11y-${Date.now()}` });
    assert.equal(fund.body.status, "requires_checkout");
    await open(page, "/dashboard/wallet");
    await addFunds(page, "15", { ...NEW_CARD, number: "4000 0000 0000 0010", postal: "10001" });
    const failed = new URL(page.url()).searchParams.get("attempt");
    const card = await page.locator('input[name="edit"]').first().getAttribute("value");
    await open(page, "/dashboard/wallet"); // the decline's dialog closed
    await addFunds(page, "25", NEW_CARD);
    const receipt = await page.getByRole("link", { name: "Receipt" }).first().getAttribute("href");
    await openAddFunds(page);
    await page.getByLabel("Amount").fill("10");
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Confirm" }).waitFor();
    const draft = new URL(page.url()).searchParams.get("attempt");
    assert.ok(failed && card && draft && receipt && editKey, "set-up reached every step");
    // The demo account, signed in here once: its pages are checked with JavaScript on and off.
    const demo = await context(true);
    const demoPage = await demo.newPage();
    demoPage.tollgateJs = true;
    await logIn(demoPage, DEMO);
    await waitForPath(demoPage, "/dashboard/wallet");
    const demoState = await demo.storageState();
    await demo.close();
    person = { demoState, storageState: await ctx.storageState(), failed, card, draft, receipt, editKey, checkout: new URL(fund.body.checkout_url).pathname };
  } finally {
    await ctx.close();
  }
});

/** A consent page as a chat app opens it: a registered client asking with PKCE. */
async function consentPath() {
  const redirect = "http://127.0.0.1:9/callback";
  const res = await fetch(`${BASE_URL}/oauth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_name: "Axe (test)", redirect_uris: [redirect], token_endpoint_auth_method: "none", grant_types: ["authorization_code"], response_types: ["code"] }),
  });
  const { client_id } = await res.json();
  const query = new URLSearchParams({
    response_type: "code", client_id, redirect_uri: redirect, state: "s", code_challenge_method: "S256",
    code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSstw-cM",
  });
  return `/oauth/authorize?${query}`;
}

const SIGNED_OUT = ["/", "/login", "/signup", "/login?error=invalid_credentials", `/invite/${"0".repeat(48)}`, "/checkout/cs_nope", "/oauth/authorize", "/no-such-page"];

function signedInPages() {
  return [
    "/dashboard/wallet",
    "/dashboard/wallet?add=1",
    "/dashboard/wallet?add=1&error=amount_out_of_range",
    `/dashboard/wallet?attempt=${person.draft}`,
    `/dashboard/wallet?attempt=${person.failed}`,
    `/dashboard/wallet?attempt=${person.failed}&edit=${person.card}`,
    `/dashboard/wallet?edit=${person.card}`,
    person.receipt,
    "/dashboard/usage",
    "/dashboard/statements",
    "/dashboard/keys",
    person.editKey,
    "/dashboard/settings",
    "/dashboard/team",
    "/dashboard/audit",
  ];
}

const DEMO_PAGES = ["/dashboard/wallet", "/dashboard/usage", "/dashboard/statements", "/dashboard/keys", "/dashboard/audit"];

for (const js of [true, false]) {
  const mode = js ? "JavaScript on" : "JavaScript off";

  journey(`axe finds nothing on any page (${mode})`, {}, async () => {
    const findings = [];
    const checker = await context(true);
    const copy = await checker.newPage();
    const check = async (ctx, paths) => {
      const page = await ctx.newPage();
      for (const path of paths) {
        const res = await visit(page, path, js);
        assert.ok(res.status() < 500, `${path}: ${res.status()}`);
        findings.push(...(await axeViolations(js ? page : await withoutItsScripts(page, copy), path)));
      }
      await page.close();
    };
    const guest = await context(js);
    await check(guest, [...SIGNED_OUT, await consentPath(), person.checkout]);
    await guest.close();
    const owner = await context(js, { storageState: person.storageState });
    await check(owner, [...signedInPages(), await consentPath()]);
    await owner.close();
    // The demo account: months of history, the chart, a full usage table.
    const demo = await context(js, { storageState: person.demoState });
    await check(demo, DEMO_PAGES);
    await demo.close();
    await checker.close();
    assert.deepEqual(findings, [], `axe-core violations:\n${findings.join("\n")}`);
  });

  journey(`no page scrolls sideways at 320 or 390 px (${mode})`, {}, async () => {
    const findings = [];
    for (const width of [320, 390]) {
      const viewport = { width, height: 800 };
      for (const [storageState, paths] of [[undefined, SIGNED_OUT], [person.storageState, signedInPages()]]) {
        const ctx = await context(js, { storageState, viewport });
        const page = await ctx.newPage();
        for (const path of paths) {
          await visit(page, path, js);
          const overflow = await sidewaysOverflow(page);
          if (overflow) findings.push(`${width}px ${path}: ${overflow}`);
        }
        await ctx.close();
      }
    }
    assert.deepEqual(findings, [], `pages wider than the screen:\n${findings.join("\n")}`);
  });

  // The guide's "check the dashboard for the failure reason", on a phone: the wallet's deposits (with a
  // decline's reason and a "Receipt"), its activity (the balance after each entry) and the usage page's calls
  // show every field on screen, with no box to swipe inside.
  journey(`on a phone every field of the money tables is on screen (${mode})`, {}, async () => {
    const findings = [];
    for (const [storageState, path] of [[person.storageState, "/dashboard/wallet"], [person.demoState, "/dashboard/wallet"], [person.demoState, "/dashboard/usage"]]) {
      const ctx = await context(js, { storageState, viewport: { width: 390, height: 844 } });
      const page = await ctx.newPage();
      await visit(page, path, js);
      const off = await page.evaluate(() => {
        const found = [];
        const tables = [...document.querySelectorAll("table.stacked-phone")];
        if (tables.length === 0) found.push("no stacked table");
        for (const table of tables) {
          const box = table.closest(".table-scroll");
          if (box && box.scrollWidth > box.clientWidth + 1) found.push(`${box.getAttribute("aria-label")} scrolls sideways by ${box.scrollWidth - box.clientWidth}px`);
          for (const cell of table.querySelectorAll("tbody td")) {
            const r = cell.getBoundingClientRect();
            if (r.width === 0) found.push(`a ${cell.dataset.label} cell is hidden`);
            else if (r.left < -0.5 || r.right > window.innerWidth + 0.5) found.push(`${cell.dataset.label} at x ${Math.round(r.left)}–${Math.round(r.right)}`);
          }
        }
        return [...new Set(found)];
      });
      if (path === "/dashboard/wallet" && storageState === person.storageState) {
        const reason = page.locator(".decline-reason").first();
        await reason.waitFor();
        const r = await reason.boundingBox();
        if (!r || r.x + r.width > 390.5) findings.push(`the failure reason is off screen: ${JSON.stringify(r)}`);
        const receipt = await page.getByRole("link", { name: "Receipt" }).first().boundingBox();
        if (!receipt || receipt.x + receipt.width > 390.5) findings.push(`"Receipt" is off screen: ${JSON.stringify(receipt)}`);
      }
      findings.push(...off.map((f) => `${path}: ${f}`));
      await ctx.close();
    }
    assert.deepEqual(findings, [], findings.join("\n"));
  });
}
