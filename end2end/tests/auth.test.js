// Journeys of docs/CONTRACT.md "Pages": sign up, log in, wrong password, log out — with JavaScript on and off.
import { after } from "node:test";
import assert from "node:assert/strict";
import { journey, closeBrowser, DEMO, newEmail, logIn, signUp, waitForPath } from "./support.js";

after(closeBrowser);

for (const js of [true, false]) {
  const mode = js ? "" : " (JavaScript off)";

  journey(`sign up lands on an empty wallet${mode}`, { js }, async ({ page, pageErrors }) => {
    await signUp(page, { email: newEmail("signup"), password: "correct-horse-1" });
    await waitForPath(page, "/dashboard/wallet");
    assert.equal(await page.getByTestId("balance").textContent(), "$0.00");
    await page.getByText("No activity yet").waitFor();
    assert.deepEqual(pageErrors, []);
  });

  journey(`demo login shows the seeded balance${mode}`, { js }, async ({ page }) => {
    await logIn(page, DEMO);
    await waitForPath(page, "/dashboard/wallet");
    assert.equal(await page.getByTestId("balance").textContent(), DEMO.balance);
    // The newest ledger entry explains the balance.
    const ledger = page.getByRole("region", { name: "Recent activity", exact: true });
    await ledger.getByRole("row").nth(1).getByRole("cell", { name: DEMO.balance, exact: true }).waitFor();
    // The seeded saved card and the failed attempt with its reason.
    await page.locator("li.saved-card", { hasText: "Visa •••• 4242" }).getByText("Default").waitFor();
    await page.getByRole("cell", { name: "Your card has insufficient funds. Use another card." }).waitFor();
  });

  journey(`wrong password is refused without saying whether the email exists${mode}`, { js }, async ({ page }) => {
    await logIn(page, { email: DEMO.email, password: "not-the-password" });
    await page.getByRole("alert").filter({ hasText: "Invalid email or password" }).waitFor();
    assert.match(page.url(), /\/login/);
    await logIn(page, { email: newEmail("nobody"), password: "not-the-password" });
    await page.getByRole("alert").filter({ hasText: "Invalid email or password" }).waitFor();
  });

  journey(`five wrong passwords stop further tries from this network, even the right one${mode}`, { js }, async ({ page }) => {
    const me = { email: newEmail("guessed"), password: "the-right-password" };
    await signUp(page, me);
    await waitForPath(page, "/dashboard/wallet");
    await page.getByRole("button", { name: "Log out" }).click();
    await waitForPath(page, "/login");
    for (let i = 0; i < 5; i++) {
      await logIn(page, { email: me.email, password: `guess-number-${i}` });
      await page.getByRole("alert").filter({ hasText: "Invalid email or password" }).waitFor();
    }
    await logIn(page, me);
    await page.getByRole("alert").filter({ hasText: "Too many attempts. Try again in 15 minutes." }).waitFor();
    assert.match(page.url(), /\/login\?error=too_many_attempts&wait=15$/);
  });

  journey(`short password and taken email get clear messages${mode}`, { js }, async ({ page }) => {
    await signUp(page, { email: newEmail("short"), password: "123456789" });
    await page.getByRole("alert").filter({ hasText: "Password must be at least 10 characters" }).waitFor();
    await signUp(page, { email: DEMO.email.toUpperCase(), password: "long-enough-password" });
    await page.getByRole("alert").filter({ hasText: "An account with this email already exists" }).waitFor();
  });

  journey(`log out ends the session and the wallet sends you to log in${mode}`, { js }, async ({ page }) => {
    await logIn(page, DEMO);
    await waitForPath(page, "/dashboard/wallet");
    await page.getByRole("button", { name: "Log out" }).click();
    await waitForPath(page, "/login");
    await page.goto("/dashboard/wallet");
    await waitForPath(page, "/login?next=%2Fdashboard%2Fwallet");
    // Logging in again returns to where you were going.
    await page.getByLabel("Email").fill(DEMO.email);
    await page.getByLabel("Password").fill(DEMO.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await waitForPath(page, "/dashboard/wallet");
  });
}

journey("signed-out visit to usage returns there after login", {}, async ({ page }) => {
  await page.goto("/dashboard/usage");
  await waitForPath(page, "/login?next=%2Fdashboard%2Fusage");
  await page.getByLabel("Email").fill(DEMO.email);
  await page.getByLabel("Password").fill(DEMO.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await waitForPath(page, "/dashboard/usage");
  await page.getByRole("heading", { name: "Usage" }).waitFor();
});
