// Auto top-up (docs/CONTRACT.md "Auto top-up"), with JavaScript on and off: turning it on shows what it will
// do in one sentence; an agent's call that takes the balance below the threshold is topped up for the whole
// gap, listed as "Auto top-up"; two declines in a row turn it off with a banner that says why.
import { after } from "node:test";
import assert from "node:assert/strict";
import { journey, closeBrowser, newEmail, signUp, waitForPath, open, NEW_CARD, addFunds, api, createKey } from "./support.js";

after(closeBrowser);

/** A paid call of $10.40 (claude-haiku's output price, $4.00 per million tokens). */
async function spendTenForty(secret) {
  const call = { service: "anthropic", model: "claude-haiku", usage: { input_tokens: 0, output_tokens: 2_600_000 } };
  const answer = await api("POST", "/v1/requests", secret, call);
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
}

async function balance(page) {
  return (await page.getByTestId("balance").textContent()).trim();
}

/** Reloads the wallet page until `ready()` holds (a top-up runs in the background, after the call's answer). */
async function reloadUntil(page, ready) {
  for (let i = 0; i < 40; i++) {
    await open(page, "/dashboard/wallet");
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function waitForBalance(page, expected) {
  await reloadUntil(page, async () => (await balance(page)) === expected);
  assert.equal(await balance(page), expected);
}

async function agentKey(page) {
  await open(page, "/dashboard/keys");
  return createKey(page, { name: "agent" });
}

async function turnOn(page, { below, to, limit, card }) {
  await open(page, "/dashboard/wallet");
  await page.getByLabel("When balance falls below").fill(below);
  await page.getByLabel("Top up to").fill(to);
  await page.getByLabel("Monthly limit").fill(limit);
  if (card) await page.getByLabel("Card", { exact: true }).selectOption({ label: card });
  await page.getByRole("button", { name: "Turn on auto top-up" }).click();
}

for (const js of [true, false]) {
  const mode = js ? "" : " (JavaScript off)";

  journey(`auto top-up tops up the whole gap when a call crosses the threshold${mode}`, { js }, async ({ page, pageErrors }) => {
    await signUp(page, { email: newEmail("auto"), password: "correct-horse-1" });
    await waitForPath(page, "/dashboard/wallet");
    await addFunds(page, "25", NEW_CARD);
    await open(page, "/dashboard/wallet");
    await page.getByText("Off. Turn it on").waitFor();

    // A rule out of bounds is refused with its field's message.
    await turnOn(page, { below: "20", to: "25", limit: "100" });
    await page.getByText('Enter a "Top up to" amount at least $10.00 above').waitFor();

    await turnOn(page, { below: "20", to: "50", limit: "100" });
    await page.getByTestId("auto-top-up-sentence").filter({
      hasText: "When your balance falls below $20.00, we charge Visa •••• 4242 to bring it back to $50.00, up to $100.00 a month and 3 times a day.",
    }).waitFor();
    await page.getByRole("button", { name: "Turn off auto top-up" }).waitFor();

    const secret = await agentKey(page);
    await spendTenForty(secret); // $25.00 → $14.60, below $20.00
    await waitForBalance(page, "$50.00");
    const row = page.locator("tr", { hasText: "Auto top-up" });
    await row.getByText("$35.40").waitFor();
    await row.getByText("Succeeded").waitFor();
    await page.getByText("Charged this month: $35.40").waitFor();

    await page.getByRole("button", { name: "Turn off auto top-up" }).click();
    await page.getByRole("button", { name: "Turn on auto top-up" }).waitFor();
    assert.deepEqual(pageErrors, []);
  });

  journey(`two declined auto top-ups turn it off with a banner that says why${mode}`, { js }, async ({ page }) => {
    await signUp(page, { email: newEmail("auto-declined"), password: "correct-horse-1" });
    await waitForPath(page, "/dashboard/wallet");
    await addFunds(page, "25", NEW_CARD); // Visa •••• 4242, the default card
    await addFunds(page, "10", { ...NEW_CARD, number: "4000 0000 0000 0002" }); // declined, saved to fix
    await turnOn(page, { below: "20", to: "50", limit: "100", card: "Visa •••• 0002" });
    await page.getByTestId("auto-top-up-sentence").waitFor();

    const secret = await agentKey(page);
    await spendTenForty(secret); // $25.00 → $14.60: declined once, still on
    const declined = page.locator("tr", { hasText: "Auto top-up" }).getByText("Failed");
    await reloadUntil(page, () => declined.isVisible());
    await declined.waitFor();
    await addFunds(page, "10", "saved"); // $24.60 with the default card
    await spendTenForty(secret); // → $14.20: declined again
    const banner = page.getByTestId("auto-top-up-banner");
    await reloadUntil(page, () => banner.isVisible());
    assert.equal(
      (await banner.textContent()).trim(),
      "Auto top-up was turned off because Visa •••• 0002 was declined: Your card was declined. Contact your card issuer or use another card. Update the card, then turn auto top-up back on.",
    );
    await page.getByRole("button", { name: "Turn on auto top-up" }).waitFor();
    assert.equal(await balance(page), "$14.20");
  });
}
