// With JavaScript on, the server-rendered pages are live: links and forms go through public/enhance.js (no
// page load, history works, pending labels, what was typed survives a refused post), the islands check
// input as you type, and downloads still download.
import { after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { journey, closeBrowser, DEMO, fillNewCard, logIn, NEW_CARD, newEmail, open, signUp, waitForHydration, waitForPath } from "./support.js";

after(closeBrowser);

journey("a failed login is answered in place after hydration, with no page load", {}, async ({ page, pageErrors }) => {
  await page.goto("/login");
  await waitForHydration(page);
  let loads = 0;
  page.on("load", () => loads++);
  await page.evaluate(() => (window.__samePage = true));
  await page.getByLabel("Email").fill(DEMO.email);
  await page.getByLabel("Password").fill("wrong-password-here");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("alert").filter({ hasText: "Invalid email or password" }).waitFor();
  assert.equal(await page.evaluate(() => window.__samePage), true, "the click was handled by the app, not a form post");
  assert.equal(loads, 0);
  assert.deepEqual(pageErrors, []);
});

journey("the sign-up password rule is checked as you type", {}, async ({ page }) => {
  await page.goto("/signup");
  await waitForHydration(page);
  const password = page.getByLabel("Password");
  await password.fill("short");
  await password.blur();
  await page.getByRole("alert").filter({ hasText: "Password must be at least 10 characters" }).waitFor();
  await password.fill("now-long-enough");
  await page.waitForFunction(() => document.getElementById("signup-error").textContent === "");
});

journey("dashboard navigation after hydration keeps the session and the balance", {}, async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(DEMO.email);
  await page.getByLabel("Password").fill(DEMO.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await waitForPath(page, "/dashboard/wallet");
  await waitForHydration(page);
  await page.evaluate(() => (window.__samePage = true));
  await page.getByRole("link", { name: "Keys" }).click();
  await page.getByRole("heading", { name: "Spend keys" }).waitFor();
  assert.equal(await page.evaluate(() => window.__samePage), true, "client-side navigation");
  assert.equal(await page.getByTestId("balance").textContent(), DEMO.balance);
});

journey("back and forward move between dashboard pages without a page load", {}, async ({ page, pageErrors }) => {
  await logIn(page, DEMO);
  await waitForPath(page, "/dashboard/wallet");
  await waitForHydration(page);
  await page.evaluate(() => (window.__samePage = true));
  await page.getByRole("link", { name: "Usage" }).click();
  await page.getByRole("heading", { name: "Usage", exact: true }).waitFor();
  await waitForPath(page, "/dashboard/usage");
  await page.goBack();
  await page.getByRole("heading", { name: "Wallet", exact: true }).waitFor();
  await waitForPath(page, "/dashboard/wallet");
  await page.goForward();
  await page.getByRole("heading", { name: "Usage", exact: true }).waitFor();
  await waitForPath(page, "/dashboard/usage");
  assert.equal(await page.evaluate(() => window.__samePage), true, "history moves stay in the page");
  assert.equal(await page.getByTestId("balance").textContent(), DEMO.balance);
  assert.deepEqual(pageErrors, []);
});

journey("a slow charge shows its pending label, and a second press can't charge twice", {}, async ({ page, pageErrors }) => {
  await signUp(page, { email: newEmail("pending"), password: "correct-horse-1" });
  await waitForPath(page, "/dashboard/wallet");
  await waitForHydration(page);
  await page.getByRole("button", { name: "Add Funds" }).click();
  await page.getByLabel("Amount").fill("25");
  await fillNewCard(page, NEW_CARD);
  await page.getByRole("button", { name: "Continue" }).click();
  let confirmations = 0;
  page.on("request", (request) => {
    if (request.method() === "POST" && request.url().includes("/wallet/confirm")) confirmations++;
  });
  // The card processor takes its time: hold the confirmation for a moment on its way to the server.
  await page.route("**/wallet/confirm", async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await route.continue();
  });
  await page.getByRole("button", { name: "Confirm" }).click();
  const pending = page.getByRole("button", { name: "Charging your card…" });
  await pending.waitFor();
  assert.equal(await pending.isDisabled(), true);
  // Pressing again (or submitting with the keyboard) while it is on its way sends nothing more.
  await pending.dispatchEvent("click");
  await page.locator("form[aria-busy=true]").evaluate((form) => form.requestSubmit());
  await page.getByText("$25.00 was added to your wallet").waitFor();
  assert.equal((await page.getByTestId("balance").textContent()).trim(), "$25.00");
  await page.getByRole("link", { name: "Done" }).click();
  await page.getByRole("heading", { name: "Deposits and failed attempts" }).waitFor();
  const deposits = page.locator("section", { has: page.getByRole("heading", { name: "Deposits and failed attempts" }) });
  assert.equal(await deposits.getByText("$25.00").count(), 1, "one deposit");
  assert.equal(confirmations, 1, "one confirmation sent");
  assert.deepEqual(pageErrors, []);
});

journey("a refused key form keeps what was typed", {}, async ({ page }) => {
  await signUp(page, { email: newEmail("keep"), password: "correct-horse-1" });
  await waitForPath(page, "/dashboard/wallet");
  await open(page, "/dashboard/keys");
  await page.getByLabel("Key name").fill("Research agent");
  await page.getByLabel("Spend limit").fill("lots");
  await page.getByLabel("Limit period").selectOption("weekly");
  await page.getByRole("button", { name: "Create key" }).click();
  await page.getByRole("alert").filter({ hasText: /limit/i }).waitFor();
  assert.equal(await page.getByLabel("Key name").inputValue(), "Research agent");
  assert.equal(await page.getByLabel("Spend limit").inputValue(), "lots");
  assert.equal(await page.getByLabel("Limit period").inputValue(), "weekly");
});

journey("Export CSV downloads the file with JavaScript on", {}, async ({ page }) => {
  await logIn(page, DEMO);
  await waitForPath(page, "/dashboard/wallet");
  await open(page, "/dashboard/usage");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export CSV" }).click(),
  ]);
  assert.match(download.suggestedFilename(), /\.csv$/);
  const text = readFileSync(await download.path(), "utf8");
  assert.ok(text.split("\n").length > 2, "a header and rows");
});
