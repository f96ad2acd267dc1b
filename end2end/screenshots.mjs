// Screenshots of the main pages at desktop and phone widths, JavaScript on and off, for a person to look
// at (and for README's picture): BASE_URL=http://127.0.0.1:3000 node end2end/screenshots.mjs [out-dir]
import { browser, closeBrowser, BASE_URL, DEMO, open, waitForPath } from "./tests/support.js";
import { mkdirSync } from "node:fs";

const out = process.argv[2] ?? "artifacts/screens";
mkdirSync(out, { recursive: true });
const b = await browser();
for (const [width, height] of [[1280, 900], [390, 844]]) {
  for (const js of [true, false]) {
    const context = await b.newContext({ viewport: { width, height }, javaScriptEnabled: js, baseURL: BASE_URL });
    const page = await context.newPage();
    page.tollgateJs = js;
    const tag = `${width}${js ? "" : "-nojs"}`;
    await open(page, "/login");
    await page.screenshot({ path: `${out}/login-${tag}.png`, fullPage: true });
    await page.getByLabel("Email").fill(DEMO.email);
    await page.getByLabel("Password").fill("wrong-password");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("alert").filter({ hasText: "Invalid" }).waitFor();
    await page.screenshot({ path: `${out}/login-error-${tag}.png`, fullPage: true });
    await page.getByLabel("Email").fill(DEMO.email); // a plain form post comes back empty
    await page.getByLabel("Password").fill(DEMO.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await waitForPath(page, "/dashboard/wallet");
    await page.screenshot({ path: `${out}/wallet-${tag}.png`, fullPage: true });
    await open(page, "/dashboard/settings");
    await page.screenshot({ path: `${out}/settings-${tag}.png`, fullPage: true });
    await open(page, "/signup");
    await page.screenshot({ path: `${out}/signup-${tag}.png`, fullPage: true });
    await context.close();
  }
}
await closeBrowser();
console.log(`screenshots in ${out}`);
