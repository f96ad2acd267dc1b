// The back office (docs/CONTRACT.md "Back office"), as its staff and their customers meet it: a staff
// member made with the real `tollgate staff add`, finding a customer and granting promotional credit the
// customer then sees on their wallet — with JavaScript on and off, at 1280 and 390 px, axe-core finding
// nothing and no sideways scroll — and "Page not found" for everyone else.
import { after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  journey, closeBrowser, browser, newEmail, signUp, waitForPath, open, ownNetwork, BASE_URL, axeViolations,
  withoutItsScripts, addFunds, NEW_CARD, pageChecker,
} from "./support.js";

after(closeBrowser);

/** `tollgate staff add <email> --role <role>`, with only the database's address, as an operator runs it. */
function makeStaff(email, role) {
  const said = execFileSync(process.env.SERVER_BIN, ["staff", "add", email, "--role", role], {
    env: { DATABASE_URL: process.env.E2E_DATABASE_URL },
  }).toString();
  assert.equal(said.trim(), `${email} is now staff (${role})`);
}

const haveServer = Boolean(process.env.SERVER_BIN && process.env.E2E_DATABASE_URL);

/** A customer who signed up in a browser of their own; answers their page (on their wallet). */
async function customer(js) {
  const context = await (await browser()).newContext({ baseURL: BASE_URL, javaScriptEnabled: js, extraHTTPHeaders: ownNetwork() });
  const page = await context.newPage();
  page.tollgateJs = js;
  const email = newEmail("customer");
  await signUp(page, { email, password: "correct-horse-1" });
  await waitForPath(page, "/dashboard/wallet");
  return { page, email, context };
}

/** A date `days` from now as the date input takes it (YYYY-MM-DD), and as the pages write it. */
function daysAhead(days) {
  const at = new Date(Date.now() + days * 86_400_000);
  const iso = at.toISOString().slice(0, 10);
  const shown = at.toLocaleDateString("en-US", { month: "short", day: "numeric", year: "numeric", timeZone: "UTC" });
  return { iso, shown };
}

async function grantAndCheck({ page, js, width }) {
  const { check, findings, close } = await pageChecker(page, { js, width });
  const person = await customer(js);
  const staffEmail = newEmail("support");
  await signUp(page, { email: staffEmail, password: "correct-horse-1" });
  await waitForPath(page, "/dashboard/wallet");
  makeStaff(staffEmail, "support");

  await open(page, "/admin");
  // (Narrow screens hide the header's email, as the dashboard's.)
  assert.equal(await page.getByTestId("staff-me").textContent(), `${staffEmail} · Support`);
  await check("find account");
  await page.getByLabel("Email, account id, key prefix or payment id").fill(person.email.toUpperCase());
  await page.getByRole("button", { name: "Find account" }).click();
  const hit = page.getByTestId("account-hits").getByRole("link");
  await hit.waitFor();
  await check("accounts found");
  await hit.click();
  await page.getByRole("heading", { name: "Grant promotional credit" }).waitFor();
  await check("account file");

  // A grant without a reason is refused, with the message, and changes nothing.
  const expiry = daysAhead(30);
  await page.getByLabel("Amount", { exact: true }).fill("5.00");
  await page.getByLabel("Expires on").fill(expiry.iso);
  await page.getByRole("button", { name: "Grant credit" }).click();
  await page.getByRole("alert").getByText("Enter a reason (up to 500 characters)").waitFor();
  assert.equal(await page.getByTestId("admin-promotional").textContent(), "$0.00");

  await page.getByLabel("Amount", { exact: true }).fill("5.00");
  await page.getByLabel("Expires on").fill(expiry.iso);
  await page.getByLabel("Reason", { exact: true }).fill("Welcome — sorry for the outage");
  await page.getByRole("button", { name: "Grant credit" }).click();
  await page.getByTestId("admin-grants").getByText("Welcome — sorry for the outage").waitFor();
  assert.equal(await page.getByTestId("admin-promotional").textContent(), "$5.00");
  await page.getByTestId("admin-audit").getByText("Tollgate staff").waitFor();
  await check("account file after a grant");

  await open(page, "/admin/log");
  await page.getByTestId("staff-log").getByRole("row").filter({ hasText: staffEmail }).getByText("credit.granted").waitFor();
  await check("staff log");

  // The customer sees it on their wallet (the account's timezone is UTC).
  await open(person.page, "/dashboard/wallet");
  await person.page.getByText(`Includes $5.00 promotional credit (expires ${expiry.shown})`).waitFor();
  await person.context.close();
  await close();
  assert.deepEqual(findings, []);
}

for (const js of [true, false]) {
  for (const width of [1280, 390]) {
    journey(
      `support finds a customer by email and grants promotional credit the customer then sees (JavaScript ${js ? "on" : "off"}, ${width} px)`,
      { js, viewport: { width, height: width > 500 ? 900 : 844 } },
      async ({ page }) => {
        if (!haveServer) return;
        await grantAndCheck({ page, js, width });
      },
    );
  }
}

for (const js of [true, false]) {
  journey(
    `finance refunds half a deposit from the account page and the customer sees it on the receipt (JavaScript ${js ? "on" : "off"})`,
    { js },
    async ({ page }) => {
      if (!haveServer) return;
      const person = await customer(js);
      await addFunds(person.page, "25", NEW_CARD);
      const staffEmail = newEmail("finance");
      await signUp(page, { email: staffEmail, password: "correct-horse-1" });
      await waitForPath(page, "/dashboard/wallet");
      makeStaff(staffEmail, "finance");

      await open(page, `/admin?q=${encodeURIComponent(person.email)}`);
      await page.getByTestId("account-hits").getByRole("link").click();
      const deposit = page.getByTestId("admin-deposits").getByRole("row").filter({ hasText: "$25.00" });
      await deposit.getByLabel(/^Amount to refund of the \$25\.00 deposit/).fill("12.50");
      await deposit.getByLabel(/^Reason for refunding/).fill("Charged twice by mistake");
      await deposit.getByRole("button", { name: "Refund" }).click();
      await page.getByTestId("admin-done").getByText("Refund sent to the card.").waitFor();
      await page.getByTestId("admin-refunds").getByText("Charged twice by mistake").waitFor();
      assert.equal(await page.getByTestId("admin-balance").textContent(), "$12.50");
      const copies = js ? null : await (await browser()).newContext({ baseURL: BASE_URL });
      const checked = js ? page : await withoutItsScripts(page, await copies.newPage());
      assert.deepEqual(await axeViolations(checked, "account file after a refund"), []);
      await copies?.close();

      // The customer: the deposit's row says so, and so does its receipt.
      await open(person.page, "/dashboard/wallet");
      await person.page.getByText("Refunded $12.50").waitFor();
      await person.page.getByRole("link", { name: "Receipt" }).first().click();
      const today = new Date().toLocaleDateString("en-US", { month: "long", day: "numeric", year: "numeric", timeZone: "UTC" });
      await person.page.getByTestId("receipt-refunds").getByText(`Refunded $12.50 on ${today}`).waitFor();
      await person.context.close();
    },
  );
}

journey("the back office is a missing page to a customer and to a visitor", {}, async ({ page, context }) => {
  for (const path of ["/admin", "/admin/log"]) {
    const res = await page.goto(path);
    assert.equal(res.status(), 404, path);
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
  }
  await signUp(page, { email: newEmail("curious"), password: "correct-horse-1" });
  await waitForPath(page, "/dashboard/wallet");
  const res = await page.goto("/admin");
  assert.equal(res.status(), 404);
  assert.equal(await page.getByText("Find account").count(), 0);
  await context.clearCookies();
});
