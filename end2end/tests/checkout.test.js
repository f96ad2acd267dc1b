// An agent asks for a top-up on an account without a saved card: the API answers a checkout link, a
// person pays on that page (no login), the wallet is credited once, and the link can't be used again.
// Also the low-balance signal on the wallet page and in the API.
import { after } from "node:test";
import assert from "node:assert/strict";
import { journey, closeBrowser, newEmail, signUp, waitForPath, open, logIn, DEMO, browser, api, createKey, fillNewCard, NEW_CARD, ownNetwork } from "./support.js";

after(closeBrowser);

for (const js of [true, false]) {
  const mode = js ? "" : " (JavaScript off)";

  journey(`an agent's checkout link takes one deposit${mode}`, { js }, async ({ page }) => {
    await signUp(page, { email: newEmail("checkout"), password: "correct-horse-1" });
    await waitForPath(page, "/dashboard/wallet");
    await open(page, "/dashboard/keys");
    const secret = await createKey(page, { name: "Shopper", allowFunding: true });
    const res = await api("POST", "/v1/wallet/fund", secret, { amount: "25.00" }, { "Idempotency-Key": `top-up-${Date.now()}` });
    assert.equal(res.status, 200);
    assert.equal(res.body.status, "requires_checkout");
    const url = res.body.checkout_url;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/checkout\/cs_[0-9a-f]{48}$/);

    // The person who gets the link pays in a browser without a Tollgate session.
    const guest = await (await browser()).newContext({ javaScriptEnabled: js, extraHTTPHeaders: ownNetwork() });
    try {
      const pay = await guest.newPage();
      await pay.goto(url);
      if (js) await pay.locator('body[data-hydrated="true"]').waitFor({ state: "attached" });
      await pay.getByRole("heading", { name: "Add $25.00 to your Tollgate wallet" }).waitFor();
      await fillNewCard(pay, { ...NEW_CARD, number: "4000 0000 0000 0002" });
      await pay.getByRole("button", { name: "Continue" }).click();
      await pay.getByRole("button", { name: "Confirm" }).click();
      await pay.getByText("Your card was declined. Contact your card issuer or use another card.").first().waitFor();
      // Declined: the same link takes another card. "Save this card" starts unticked here (the payer's
      // card would become chargeable by the owner's funding keys); this payer ticks it.
      await fillNewCard(pay, NEW_CARD);
      const save = pay.getByLabel("Save this card so the wallet's owner can add funds with it later");
      assert.equal(await save.isChecked(), false);
      await save.check();
      await pay.getByRole("button", { name: "Continue" }).click();
      await pay.getByRole("button", { name: "Confirm" }).click();
      await pay.getByText(/^Payment complete\. Return to your chat: your balance is \$[0-9,]+\.[0-9]{2}\.$/).waitFor();
      await pay.getByText(/\$25\.00 was added with Visa •••• 4242\./).waitFor();

      // Single use: opening it again offers nothing to pay.
      await pay.goto(url);
      await pay.getByText("This checkout link has been used and can't be used again.").waitFor();
      assert.equal(await pay.getByLabel("Card number").count(), 0);
    } finally {
      await guest.close();
    }
    assert.deepEqual((await api("GET", "/v1/balance", secret)).body, { balance: "25.00", held: "0.00", available: "25.00", low_balance: false, paid: "25.00", promotional: "0.00", promotional_expiring: [] });
    // Only the card the payer chose to save was saved; the declined one, left unticked, was not.
    const cards = (await api("GET", "/v1/payment_methods", secret)).body.data;
    assert.deepEqual(cards.map((c) => [c.last4, c.has_error]), [["4242", false]]);
    await open(page, "/dashboard/wallet");
    assert.equal((await page.getByTestId("balance").textContent()).trim(), "$25.00");
  });
}

journey("the low-balance alert shows a banner and tells agents", {}, async ({ page }) => {
  await logIn(page, DEMO);
  await waitForPath(page, "/dashboard/wallet");
  await page.locator('body[data-hydrated="true"]').waitFor({ state: "attached" });
  assert.equal(await page.getByTestId("low-balance-banner").count(), 0);
  await page.getByLabel("Alert below").fill("50");
  await page.getByRole("button", { name: "Save alert" }).click();
  await page.getByTestId("low-balance-banner").waitFor();
  assert.match(await page.getByTestId("low-balance-banner").textContent(), /\$47\.50 is below your alert threshold of \$50\.00/);
  await open(page, "/dashboard/keys");
  const secret = await createKey(page, { name: `Balance watcher ${Date.now()}` });
  assert.deepEqual((await api("GET", "/v1/balance", secret)).body, { balance: "47.50", held: "0.00", available: "47.50", low_balance: true, paid: "47.50", promotional: "0.00", promotional_expiring: [] });
  await open(page, "/dashboard/wallet");
  await page.getByLabel("Alert below").fill("");
  await page.getByRole("button", { name: "Save alert" }).click();
  await page.getByTestId("low-balance-banner").waitFor({ state: "detached" });
  assert.equal((await api("GET", "/v1/balance", secret)).body.low_balance, false);
  await page.getByLabel("Alert below").fill("abc");
  await page.getByRole("button", { name: "Save alert" }).click();
  await page.getByText("Enter an alert threshold between $0.00 and $1,000,000.00").waitFor();
});
