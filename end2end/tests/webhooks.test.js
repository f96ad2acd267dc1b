// Webhooks (docs/CONTRACT.md "Webhooks"), with JavaScript on and off: a person adds an endpoint (a receiver
// this test runs on 127.0.0.1, allowed while the sandbox runs), sees the signing secret once, adds funds, and
// finds the delivery in the endpoint's "Delivery log"; the receiver checks the signature with the secret.
import { after, before } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createHmac } from "node:crypto";
import { journey, closeBrowser, newEmail, signUp, waitForPath, open, NEW_CARD, addFunds } from "./support.js";

const received = [];
let receiver;
let hookUrl;

before(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ signature: req.headers["tollgate-signature"], body });
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  hookUrl = `http://127.0.0.1:${receiver.address().port}/tollgate`;
});
after(async () => {
  await closeBrowser();
  receiver.close();
});

function verifies({ signature, body }, secret) {
  const parts = Object.fromEntries(signature.split(",").map((p) => p.split("=")));
  const expected = createHmac("sha256", secret).update(`${parts.t}.${body}`).digest("hex");
  return expected === parts.v1;
}

for (const js of [true, false]) {
  const mode = js ? "" : " (JavaScript off)";

  journey(`a webhook endpoint gets a signed funds.added and the delivery log shows it${mode}`, { js }, async ({ page, pageErrors }) => {
    await signUp(page, { email: newEmail("hooks"), password: "correct-horse-1" });
    await waitForPath(page, "/dashboard/wallet");
    await page.getByRole("link", { name: "Settings" }).click();
    await waitForPath(page, "/dashboard/settings");

    // A private address is refused with its message.
    await page.getByLabel("Endpoint URL").fill("https://10.1.2.3/hook");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await page.getByText("Webhook endpoints must be on the public internet").waitFor();

    await page.getByLabel("Endpoint URL").fill(hookUrl);
    await page.getByLabel("balance.low").uncheck();
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const secret = (await page.getByTestId("webhook-secret").textContent()).trim();
    assert.match(secret, /^whsec_[0-9a-f]{48}$/);

    const before = received.length;
    await open(page, "/dashboard/wallet");
    await addFunds(page, "25", NEW_CARD);
    for (let i = 0; i < 40 && received.length === before; i++) await new Promise((r) => setTimeout(r, 250));
    const delivery = received[received.length - 1];
    const event = JSON.parse(delivery.body);
    assert.equal(event.type, "funds.added");
    assert.equal(event.data.amount, "25.00");
    assert.ok(verifies(delivery, secret), "the signature verifies with the secret shown once");

    await open(page, "/dashboard/settings");
    assert.equal(await page.getByTestId("webhook-secret").count(), 0, "the secret is not shown again");
    await page.getByText("Delivery log").click();
    const row = page.locator(`tr[data-event-id="${event.id}"]`);
    // Whole cells, matched exactly: the row's random event id (hex) can hold "204" too.
    await row.getByRole("cell", { name: "Delivered", exact: true }).waitFor();
    await row.getByRole("cell", { name: "204", exact: true }).waitFor();
    await row.getByRole("button", { name: "Resend" }).click();
    await page.getByRole("status").filter({ hasText: "The delivery will be sent again now." }).waitFor();
    for (let i = 0; i < 40 && !received.some((d, n) => n > received.indexOf(delivery) && JSON.parse(d.body).id === event.id); i++) {
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(received.filter((d) => JSON.parse(d.body).id === event.id).length >= 2, "resent with the same id");

    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("status").filter({ hasText: "Endpoint deleted." }).waitFor();
    assert.equal(await page.getByText(hookUrl).count(), 0);
    assert.deepEqual(pageErrors, []);
  });
}
