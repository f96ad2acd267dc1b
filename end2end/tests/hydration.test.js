// The page is a live app after hydration, not only server-rendered HTML.
import { after } from "node:test";
import assert from "node:assert/strict";
import { journey, closeBrowser, DEMO, waitForHydration, waitForPath } from "./support.js";

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
