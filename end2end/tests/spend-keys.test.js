// The spend-key journeys (docs/CONTRACT.md "Spend keys" and "JSON API"): create a key, see its secret once,
// call the API with it, watch its counters move, pause and revoke it — with JavaScript on and off.
import { after } from "node:test";
import assert from "node:assert/strict";
import { journey, closeBrowser, newEmail, signUp, waitForPath, open, api, createKey } from "./support.js";

after(closeBrowser);

async function newAccount(page) {
  await signUp(page, { email: newEmail("keys"), password: "correct-horse-1" });
  await waitForPath(page, "/dashboard/wallet");
}

function keyRow(page, name) {
  return page.locator(`li.key-row[data-key="${name}"]`);
}

for (const js of [true, false]) {
  const mode = js ? "" : " (JavaScript off)";

  journey(`create a key, spend with it, watch its counters, revoke it${mode}`, { js }, async ({ page, pageErrors }) => {
    await newAccount(page);
    await open(page, "/dashboard/keys");
    assert.equal(await page.getByLabel("Allow adding funds").isChecked(), false, "off by default");
    if (js) await page.evaluate(() => (window.__samePage = true));
    const secret = await createKey(page, { name: "Weather agent", limit: "5", period: "daily" });
    if (js) assert.equal(await page.evaluate(() => window.__samePage), true, "created without a page load");
    await keyRow(page, "Weather agent").waitFor();
    assert.match(await keyRow(page, "Weather agent").textContent(), /\$5\.00 per day \(UTC\)/);

    // The agent calls: a free service runs on the empty wallet; a paid one is refused before it runs.
    let res = await api("POST", "/v1/requests", secret, { service: "open-meteo", model: "forecast" });
    assert.equal(res.status, 201);
    assert.equal(res.body.cost.total, "0");
    res = await api("POST", "/v1/requests", secret, { service: "exa", model: "search" });
    assert.deepEqual(res, { status: 402, body: { error: "Insufficient wallet balance", code: 402 } });
    assert.deepEqual((await api("GET", "/v1/balance", secret)).body, { balance: "0.00", held: "0.00", available: "0.00", low_balance: false, paid: "0.00", promotional: "0.00", promotional_expiring: [] });

    // The secret is never shown again, and the counters moved.
    await open(page, "/dashboard/keys");
    assert.equal(await page.getByTestId("new-key-secret").count(), 0);
    assert.equal(((await page.content()).match(/tg_sk_[0-9a-f]{48}/g) ?? []).length, 0);
    const row = keyRow(page, "Weather agent");
    assert.equal((await row.getByTestId("key-requests").textContent()).trim(), "1");
    assert.doesNotMatch(await row.textContent(), /Never/);

    // Pause → 401 saying so; Resume → works; Revoke → 401 for good.
    await row.getByRole("button", { name: "Pause" }).click();
    await row.getByRole("button", { name: "Resume" }).waitFor();
    res = await api("GET", "/v1/balance", secret);
    assert.equal(res.status, 401);
    assert.match(res.body.error, /paused/);
    await row.getByRole("button", { name: "Resume" }).click();
    await row.getByRole("button", { name: "Pause" }).waitFor();
    assert.equal((await api("GET", "/v1/balance", secret)).status, 200);
    await row.getByRole("button", { name: "Revoke" }).click();
    await row.getByText("Revoked").waitFor();
    assert.equal(await row.getByRole("button", { name: "Resume" }).count(), 0);
    res = await api("POST", "/v1/requests", secret, { service: "open-meteo", model: "forecast" });
    assert.equal(res.status, 401);
    assert.match(res.body.error, /revoked/);
    assert.deepEqual(pageErrors, []);
  });

  // "Edit" opens the key's own settings in the create form's fields; "Save changes" holds from the next call.
  journey(`edit a key: its next call sees the change, and a bad value is explained${mode}`, { js }, async ({ page, pageErrors }) => {
    await newAccount(page);
    await open(page, "/dashboard/keys");
    const secret = await createKey(page, { name: "Editable agent", limit: "5", period: "weekly" });
    assert.equal((await api("POST", "/v1/requests", secret, { service: "open-meteo", model: "forecast" })).status, 201);
    await open(page, "/dashboard/keys");
    await keyRow(page, "Editable agent").getByRole("link", { name: "Edit Editable agent" }).click();
    const form = page.getByRole("form", { name: "Edit \u201cEditable agent\u201d" });
    await form.waitFor();
    // Filled in with what the key has now.
    assert.equal(await form.getByLabel("Key name").inputValue(), "Editable agent");
    assert.equal(await form.getByLabel("Spend limit").inputValue(), "5.00");
    assert.equal(await form.getByLabel("Limit period").inputValue(), "weekly");
    assert.equal(await form.getByLabel("Rate limit").inputValue(), "600");
    // A bad value: explained in the form, nothing changes.
    await form.getByLabel("Rate limit").fill("0");
    await form.getByRole("button", { name: "Save changes" }).click();
    await page.getByText("Enter a rate limit of 1 to 100,000 requests per minute").waitFor();
    // Only Exa, and a new name: the very next calls see it.
    await open(page, "/dashboard/keys");
    await keyRow(page, "Editable agent").getByRole("link", { name: "Edit Editable agent" }).click();
    await form.waitFor();
    await form.getByLabel("Key name").fill("Search agent");
    await form.getByLabel("Exa", { exact: true }).check();
    await form.getByRole("button", { name: "Save changes" }).click();
    await page.getByText("Changes saved.").waitFor();
    await keyRow(page, "Search agent").waitFor();
    assert.match(await keyRow(page, "Search agent").textContent(), /Exa/);
    let res = await api("POST", "/v1/requests", secret, { service: "open-meteo", model: "forecast" });
    assert.equal(res.status, 403, "Open-Meteo is no longer allowed");
    res = await api("POST", "/v1/requests", secret, { service: "exa", model: "search" });
    assert.equal(res.status, 402, "Exa is allowed (and the empty wallet refuses it)");
    // The audit log says what changed.
    await open(page, "/dashboard/audit");
    await page.getByText('Key "Editable agent": name "Editable agent" → "Search agent"; services all → exa').waitFor();
    assert.deepEqual(pageErrors, []);
  });

  journey(`a bad key name or limit is explained and creates nothing${mode}`, { js }, async ({ page }) => {
    await newAccount(page);
    await open(page, "/dashboard/keys");
    await page.getByLabel("Spend limit").fill("0.001");
    await page.getByLabel("Key name").fill("Agent");
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByText("Enter a spend limit between $0.01 and $1,000,000.00").waitFor();
    assert.equal(await page.getByTestId("new-key-secret").count(), 0);
    await open(page, "/dashboard/keys");
    await page.getByText("No spend keys yet").waitFor();
  });
}

journey("a key limited to some services is refused the others (403)", {}, async ({ page }) => {
  await newAccount(page);
  await open(page, "/dashboard/keys");
  const secret = await createKey(page, { name: "Search only", services: ["Exa"] });
  const res = await api("POST", "/v1/requests", secret, { service: "open-meteo", model: "forecast" });
  assert.equal(res.status, 403);
  assert.equal(res.body.code, 403);
  const fund = await api("POST", "/v1/wallet/fund", secret, { amount: "25.00" }, { "Idempotency-Key": "k1" });
  assert.equal(fund.status, 403, "no \"Allow adding funds\": can't fund");
});
