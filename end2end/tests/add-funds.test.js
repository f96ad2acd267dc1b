// The Add Funds journeys (docs/CONTRACT.md "Add Funds flow"): first deposit saving the card, a deposit with the
// saved card, declines and how a person fixes them, and bad amounts — with JavaScript on and off.
import { after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { journey, closeBrowser, newEmail, signUp, waitForPath, open, NEW_CARD, fillNewCard, openAddFunds, addFunds } from "./support.js";

after(closeBrowser);

async function newAccount(page) {
  const email = newEmail("funds");
  await signUp(page, { email, password: "correct-horse-1" });
  await waitForPath(page, "/dashboard/wallet");
  return email;
}

async function balance(page) {
  return (await page.getByTestId("balance").textContent()).trim();
}

for (const js of [true, false]) {
  const mode = js ? "" : " (JavaScript off)";

  journey(`first deposit saves the card, second deposit uses it${mode}`, { js }, async ({ page, pageErrors }) => {
    await newAccount(page);
    if (js) await page.evaluate(() => (window.__samePage = true));
    await addFunds(page, "25", NEW_CARD);
    await page.getByText("$25.00 was added to your wallet").waitFor();
    assert.equal(await balance(page), "$25.00");
    const saved = page.locator("li.saved-card", { hasText: "Visa •••• 4242" });
    await saved.getByText("Default").waitFor();
    await page.getByRole("link", { name: "Receipt" }).first().waitFor();

    await addFunds(page, "10", "saved");
    await page.getByText("$10.00 was added to your wallet").waitFor();
    assert.equal(await balance(page), "$35.00");
    if (js) {
      // Both deposits happened in the live app: no page load, and Add Funds was a modal dialog.
      assert.equal(await page.evaluate(() => window.__samePage), true);
      await page.getByRole("dialog", { name: "Funds added" }).waitFor();
    }
    // The receipt is the owner's printable record.
    await page.getByRole("link", { name: "Receipt" }).first().click();
    await page.getByRole("heading", { name: "Receipt" }).waitFor();
    await page.getByText("$10.00").first().waitFor();
    assert.deepEqual(pageErrors, []);
  });

  journey(`a declined card shows why, and another card succeeds${mode}`, { js }, async ({ page }) => {
    await newAccount(page);
    await addFunds(page, "20", { ...NEW_CARD, number: "4000 0000 0000 0002" });
    await page.getByRole("alert").filter({ hasText: "Your card was declined. Contact your card issuer or use another card." }).waitFor();
    assert.equal(await balance(page), "$0.00");
    await page.getByRole("button", { name: "Use another card" }).click();
    await page.getByLabel("Use a new card").waitFor();
    await page.getByLabel("Amount").fill("20");
    await fillNewCard(page, NEW_CARD);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Confirm" }).click();
    await page.getByText("$20.00 was added to your wallet").waitFor();
    assert.equal(await balance(page), "$20.00");
    // History keeps the failed attempt with its reason.
    await page.getByRole("link", { name: "Done" }).click();
    await page.getByRole("cell", { name: "Your card was declined. Contact your card issuer or use another card." }).waitFor();
  });
}

journey("billing address mismatch: update the postal code, retry, success", {}, async ({ page }) => {
  await newAccount(page);
  await addFunds(page, "15", { ...NEW_CARD, number: "4000 0000 0000 0010", postal: "10001" });
  await page.getByRole("alert").filter({ hasText: "The billing address doesn't match your card." }).waitFor();
  await page.locator("section.panel").getByRole("button", { name: "Update card" }).click();
  // Only what is wrong is typed: the expiry stays blank and keeps its value.
  await page.getByLabel("New billing postal code").fill("94107");
  await page.getByRole("button", { name: "Save card" }).click();
  await page.getByRole("button", { name: "Retry", exact: true }).click();
  await page.getByText("$15.00 was added to your wallet").waitFor();
  assert.equal(await balance(page), "$15.00");
  // The success cleared the card's error.
  await page.locator("li.saved-card", { hasText: "Visa •••• 0010" }).getByText("Default").waitFor();
  assert.equal(await page.locator("li.saved-card .decline").count(), 0);
});

journey("a saved card that expired: update the expiry, retry, success", {}, async ({ page }) => {
  const email = await newAccount(page);
  await addFunds(page, "10", NEW_CARD);
  await page.getByText("$10.00 was added to your wallet").waitFor();
  // The card expires while saved: set up in the database (ours and the sandbox processor's).
  sql(`UPDATE payment_methods SET expiry_month = 1, expiry_year = 2024
         WHERE account_id = (SELECT m.account_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = '${email}');
       UPDATE sandbox_processor.cards SET exp_month = 1, exp_year = 2024
         WHERE token IN (SELECT processor_token FROM payment_methods WHERE expiry_year = 2024)`);
  await open(page, "/dashboard/wallet");
  await page.locator("li.saved-card", { hasText: "Visa •••• 4242" }).getByText("Expired").waitFor();
  // An expired card is not offered for payment: with no usable card, the new-card form shows directly.
  await openAddFunds(page);
  await page.getByLabel("Card number").waitFor();
  // Fix the saved card from its list entry, then pay with it.
  await open(page, "/dashboard/wallet");
  await page.locator("li.saved-card", { hasText: "Visa •••• 4242" }).getByRole("button", { name: "Update card" }).click();
  await page.getByLabel("New expiry").fill("11/31");
  await page.getByLabel("New billing postal code").fill("10001");
  await page.getByRole("button", { name: "Save card" }).click();
  await page.locator("li.saved-card", { hasText: "Expires 11/31" }).waitFor();
  await addFunds(page, "10", "saved");
  await page.getByText("$10.00 was added to your wallet").waitFor();
  assert.equal(await balance(page), "$20.00");
});

journey("a saved card declined as expired at charge time is fixed with Update card and Retry", {}, async ({ page }) => {
  const email = await newAccount(page);
  await addFunds(page, "10", NEW_CARD);
  await page.getByText("$10.00 was added to your wallet").waitFor();
  // Expired at the processor only (our copy not yet updated): the charge itself is declined.
  sql(`UPDATE sandbox_processor.cards SET exp_month = 1, exp_year = 2024
         WHERE token IN (SELECT p.processor_token FROM payment_methods p JOIN memberships m ON m.account_id = p.account_id
                           JOIN users u ON u.id = m.user_id WHERE u.email = '${email}')`);
  await addFunds(page, "10", "saved");
  await page.getByRole("alert").filter({ hasText: "Your card has expired. Update the expiry date or use another card." }).waitFor();
  await page.locator("section.panel").getByRole("button", { name: "Update card" }).click();
  await page.getByLabel("New expiry").fill("11/31");
  await page.getByRole("button", { name: "Save card" }).click();
  await page.getByRole("button", { name: "Retry", exact: true }).click();
  await page.getByText("$10.00 was added to your wallet").waitFor();
  assert.equal(await balance(page), "$20.00");
});

// The guide's troubleshooting after the result dialog is closed: the failed attempt's own row offers the fix.
for (const js of [true, false]) {
  const mode = js ? "" : " (JavaScript off)";
  journey(`a failed deposit is fixed from its row: postal code only, then Retry${mode}`, { js }, async ({ page }) => {
    await newAccount(page);
    await addFunds(page, "15", { ...NEW_CARD, number: "4000 0000 0000 0010", postal: "10001" });
    await page.getByRole("alert").filter({ hasText: "The billing address doesn't match your card." }).waitFor();
    // The person closes the result and comes back later.
    await open(page, "/dashboard/wallet");
    const row = page.getByRole("row").filter({ hasText: "The billing address doesn't match your card." });
    await row.getByRole("link", { name: "Update card for $15.00 on Visa •••• 0010" }).click();
    await page.getByLabel("New billing postal code").fill("94107");
    await page.getByRole("button", { name: "Save card" }).click();
    // Blank expiry kept: the card still says when it expires.
    await page.locator("li.saved-card", { hasText: "Visa •••• 0010" }).getByText("Expires 12/30").waitFor();
    await open(page, "/dashboard/wallet");
    await page.getByRole("button", { name: "Retry $15.00 on Visa •••• 0010" }).click();
    await page.getByText("$15.00 was added to your wallet").waitFor();
    assert.equal(await balance(page), "$15.00");
    // Both blank is refused with its own message, and changes nothing.
    await open(page, "/dashboard/wallet");
    await page.locator("li.saved-card", { hasText: "Visa •••• 0010" }).getByRole("button", { name: "Update card" }).click();
    await page.getByRole("button", { name: "Save card" }).click();
    await page.getByText("Enter a new expiry or billing postal code").waitFor();
    await page.locator("li.saved-card", { hasText: "Expires 12/30" }).waitFor();
  });
}

for (const js of [true, false]) {
  journey(`each bad amount shows its message and charges nothing${js ? "" : " (JavaScript off)"}`, { js }, async ({ page }) => {
    await newAccount(page);
    const cases = [
      ["", "Enter a valid amount"],
      ["1e3", "Enter a valid amount"],
      ["NaN", "Enter a valid amount"],
      ["0x10", "Enter a valid amount"],
      ["1,00", "Enter a valid amount"],
      ["١٠٠", "Enter a valid amount"],
      ["1".repeat(33), "Enter a valid amount"],
      ["12.345", "Amount can have at most 2 decimal places"],
      ["9.999", "Amount can have at most 2 decimal places"],
      ["9.99", "Enter an amount between $10.00 and $10,000.00"],
      ["10000.01", "Enter an amount between $10.00 and $10,000.00"],
      ["-10", "Enter an amount between $10.00 and $10,000.00"],
      ["0", "Enter an amount between $10.00 and $10,000.00"],
    ];
    for (const [amount, message] of cases) {
      await openAddFunds(page);
      await page.getByLabel("Amount").fill(amount);
      await fillNewCard(page, NEW_CARD);
      await page.getByRole("button", { name: "Continue" }).click();
      await page.getByRole("alert").filter({ hasText: message }).waitFor();
      if (js) {
        // The browser runs the same rule as the server, as you leave the field.
        await page.getByLabel("Amount").focus();
        await page.getByLabel("Amount").blur();
        await page.locator("#add-amount-hint", { hasText: message }).waitFor();
      }
      await open(page, "/dashboard/wallet");
    }
    assert.equal(await balance(page), "$0.00");
    await page.getByText("No deposits yet.").waitFor();
  });
}

/** Runs SQL against the database the server under test uses (tests set up states a person can't). */
function sql(statements) {
  execFileSync("psql", [process.env.E2E_DATABASE_URL, "-v", "ON_ERROR_STOP=1", "-q", "-c", statements]);
}
