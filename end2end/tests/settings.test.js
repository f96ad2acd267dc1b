// Journeys of docs/CONTRACT.md "Limits and account security": a person ends their other sessions, and
// changes their password (which ends them too) — with JavaScript on and off.
import { after } from "node:test";
import assert from "node:assert/strict";
import { journey, closeBrowser, newEmail, logIn, signUp, waitForPath, open, browser, ownNetwork, BASE_URL } from "./support.js";

after(closeBrowser);

/** The same person logged in from a second browser (another context, another network). */
async function secondBrowser(me) {
  const context = await (await browser()).newContext({ baseURL: BASE_URL, extraHTTPHeaders: ownNetwork() });
  const page = await context.newPage();
  page.tollgateJs = true;
  await logIn(page, me);
  await waitForPath(page, "/dashboard/wallet");
  return { context, page };
}

async function isSentToLogIn(page) {
  await page.goto("/dashboard/wallet");
  return new URL(page.url()).pathname === "/login";
}

for (const js of [true, false]) {
  const mode = js ? "" : " (JavaScript off)";

  journey(`sign out other sessions ends the other browser and keeps this one${mode}`, { js }, async ({ page, pageErrors }) => {
    const me = { email: newEmail("sessions"), password: "my-own-password" };
    await signUp(page, me);
    await waitForPath(page, "/dashboard/wallet");
    const other = await secondBrowser(me);
    try {
      await page.getByRole("link", { name: "Settings" }).click();
      await waitForPath(page, "/dashboard/settings");
      await page.getByRole("button", { name: "Sign out other sessions" }).click();
      await page.getByRole("status").filter({ hasText: "Signed out 1 other sessions." }).waitFor();
      assert.ok(await isSentToLogIn(other.page), "the other browser must log in again");
      await open(page, "/dashboard/wallet");
      assert.equal(new URL(page.url()).pathname, "/dashboard/wallet", "this browser is still signed in");
    } finally {
      await other.context.close();
    }
    assert.deepEqual(pageErrors, []);
  });

  journey(`change password needs the current one and signs out other sessions${mode}`, { js }, async ({ page }) => {
    const me = { email: newEmail("password"), password: "my-first-password" };
    await signUp(page, me);
    await waitForPath(page, "/dashboard/wallet");
    const other = await secondBrowser(me);
    try {
      await open(page, "/dashboard/settings");
      await page.getByLabel("Current password").fill("not-my-password");
      await page.getByLabel("New password").fill("my-second-password");
      await page.getByRole("button", { name: "Change password" }).click();
      await page.getByRole("alert").filter({ hasText: "Your current password is not right" }).waitFor();
      assert.equal(await isSentToLogIn(other.page), false, "a refused change ends nothing");

      await open(page, "/dashboard/settings");
      await page.getByLabel("Current password").fill(me.password);
      await page.getByLabel("New password").fill("my-second-password");
      await page.getByRole("button", { name: "Change password" }).click();
      await page.getByRole("status").filter({ hasText: "Password changed. Other sessions were signed out." }).waitFor();
      assert.ok(await isSentToLogIn(other.page), "the other browser must log in again");
      // The new password is the one that works now.
      await logIn(other.page, me);
      await other.page.getByRole("alert").filter({ hasText: "Invalid email or password" }).waitFor();
      await logIn(other.page, { email: me.email, password: "my-second-password" });
      await waitForPath(other.page, "/dashboard/wallet");
    } finally {
      await other.context.close();
    }
  });
}
