// Statements and billing details (docs/CONTRACT.md "Statements"), as a customer meets them: billing details
// saved in Settings (a wrong field refused with its message first), the receipt made out to them with its
// number, and this month's statement on /dashboard/statements with its PDF (read back by pdftotext) and its
// CSV downloaded — with JavaScript on and off, at 1280 and 390 px, axe-core finding nothing and no
// sideways scroll.
import { after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { journey, closeBrowser, newEmail, signUp, waitForPath, open, addFunds, NEW_CARD, pageChecker } from "./support.js";

after(closeBrowser);

/** Clicks a download link and answers the file's name and where Chromium saved it. */
async function download(page, link) {
  const [file] = await Promise.all([page.waitForEvent("download"), link.click()]);
  return { name: file.suggestedFilename(), path: await file.path() };
}

for (const js of [true, false]) {
  for (const width of [1280, 390]) {
    journey(
      `a customer saves billing details and downloads this month's statement (JavaScript ${js ? "on" : "off"}, ${width} px)`,
      { js, viewport: { width, height: width > 500 ? 900 : 844 } },
      async ({ page }) => {
        const { check, findings, close } = await pageChecker(page, { js, width });
        await signUp(page, { email: newEmail("statement"), password: "correct-horse-1" });
        await waitForPath(page, "/dashboard/wallet");

        await open(page, "/dashboard/settings");
        const billing = page.getByRole("region", { name: "Billing details" });
        await billing.getByLabel("Legal name").fill("Ærø Lab ApS");
        await billing.getByLabel("Address").fill("Strandvejen 1\n2900 Hellerup");
        await billing.getByLabel("Country").selectOption("DK");
        await billing.getByLabel("Tax ID type").selectOption("eu_vat");
        // A type without its number is refused, with the message at the form.
        await billing.getByRole("button", { name: "Save billing details" }).click();
        await page.getByRole("alert").getByText("Choose the tax ID's type and enter its number").waitFor();
        await check("settings with a refused billing form");
        await open(page, "/dashboard/settings");
        await billing.getByLabel("Legal name").fill("Ærø Lab ApS");
        await billing.getByLabel("Address").fill("Strandvejen 1\n2900 Hellerup");
        await billing.getByLabel("Country").selectOption("DK");
        await billing.getByLabel("Tax ID type").selectOption("eu_vat");
        await billing.getByLabel("Tax ID", { exact: true }).fill("DK12345678");
        await billing.getByRole("button", { name: "Save billing details" }).click();
        await page.getByText("Billing details saved. Receipts and statements show them from now on.").waitFor();
        assert.equal(await billing.getByLabel("Legal name").inputValue(), "Ærø Lab ApS");
        await check("settings after saving billing details");

        await open(page, "/dashboard/wallet");
        await addFunds(page, "25", NEW_CARD);
        await open(page, "/dashboard/wallet");
        await page.getByRole("link", { name: "Receipt" }).first().click();
        await page.getByRole("heading", { name: "Receipt TG-000001" }).waitFor();
        await page.getByTestId("receipt-billed-to").getByText("Ærø Lab ApS").waitFor();

        await open(page, "/dashboard/statements");
        const month = new Date().toLocaleDateString("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
        const row = page.getByTestId("statements").getByRole("row").filter({ hasText: `${month} (to date)` });
        await row.waitFor();
        assert.match(await row.textContent(), /\$25\.00/);
        await check("statements");

        const pdf = await download(page, row.getByRole("link", { name: /^Download PDF/ }));
        assert.match(pdf.name, /^tollgate-statement-\d{4}-\d{2}\.pdf$/);
        const text = execFileSync("pdftotext", ["-layout", "-enc", "UTF-8", pdf.path, "-"]).toString();
        for (const expected of ["Tollgate statement", `${month} (to date)`, "Ærø Lab ApS", "Denmark", "EU VAT number: DK12345678", "$25.00", "Deposit, receipt TG-000001"]) {
          assert.ok(text.includes(expected), `the PDF lacks ${JSON.stringify(expected)}:\n${text}`);
        }
        const csv = await download(page, row.getByRole("link", { name: /^Download CSV/ }));
        const lines = readFileSync(csv.path, "utf8").trim().split("\n");
        assert.equal(lines[0], "date,kind,description,amount,balance_after");
        assert.match(lines[1], /^\d{4}-\d{2}-01 00:00:00,opening,"Opening balance, [A-Za-z]+ \d{4}",,0\.00$/);
        assert.match(lines[2], /,deposit,"Deposit, receipt TG-000001",25\.00,25\.00$/);
        assert.match(lines.at(-1), /,closing,"Closing balance to date, [A-Za-z]+ \d{4}",,25\.00$/);
        await close();
        assert.deepEqual(findings, []);
      },
    );
  }
}
