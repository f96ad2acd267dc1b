// Screenshots of the main pages at desktop and phone widths, JavaScript on and off, for a person to look
// at (and for README's picture): BASE_URL=http://127.0.0.1:3000 node end2end/screenshots.mjs [out-dir]
// Each browser context claims an address of its own (X-Forwarded-For), so run it against a server that
// trusts 127.0.0.1 as its proxy (as `make test` starts one), or its logins meet the per-address limit.
import { browser, closeBrowser, BASE_URL, DEMO, logIn, open, ownNetwork, signUp, waitForPath } from "./tests/support.js";
import { mkdirSync } from "node:fs";

const out = process.argv[2] ?? "artifacts/screens";
const TEAM = "Acme Research";

/** "Log out" in the header. */
async function logOut(page) {
  await page.getByRole("button", { name: "Log out" }).click();
  await waitForPath(page, "/login");
}

/** The header's "Account" switch, to the account named `name`. */
async function switchTo(page, name) {
  await open(page, "/dashboard/wallet");
  await page.getByLabel("Account").selectOption({ label: name });
  await page.getByRole("button", { name: "Switch" }).click();
  await waitForPath(page, "/dashboard/wallet");
  await page.getByRole("link", { name: "Team", exact: true }).waitFor();
}
mkdirSync(out, { recursive: true });
const b = await browser();

// A team for the team, invite and audit pages: a new Owner makes it, a second person joins by link, and a
// fresh link is left for the invite page.
const OWNER = { email: `screens-${Date.now()}@example.com`, password: "correct-horse-1" };
let invitePath;
{
  const context = await b.newContext({ viewport: { width: 1280, height: 900 }, baseURL: BASE_URL });
  const page = await context.newPage();
  page.tollgateJs = true;
  await signUp(page, OWNER);
  await waitForPath(page, "/dashboard/wallet");
  await page.getByRole("link", { name: "New team" }).click();
  await waitForPath(page, "/dashboard/team");
  await page.getByLabel("Team name").fill(TEAM);
  await page.getByRole("button", { name: "Create team" }).click();
  await page.getByRole("heading", { name: TEAM }).waitFor();
  const invite = async () => {
    await open(page, "/dashboard/team?invite=1");
    await page.getByLabel("Role", { exact: true }).selectOption("member");
    await page.getByRole("button", { name: "Create invite link" }).click();
    return page.getByTestId("new-invite-link").getAttribute("data-path");
  };
  const joiner = await (await b.newContext({ baseURL: BASE_URL })).newPage();
  joiner.tollgateJs = true;
  await signUp(joiner, { email: `member-${Date.now()}@example.com`, password: "correct-horse-1" });
  await waitForPath(joiner, "/dashboard/wallet");
  await open(joiner, await invite());
  await joiner.getByRole("button", { name: "Accept" }).click();
  await waitForPath(joiner, "/dashboard/wallet");
  await joiner.context().close();
  invitePath = await invite();
  await context.close();
}

for (const [width, height] of [[1280, 900], [390, 844]]) {
  for (const js of [true, false]) {
    const context = await b.newContext({
      viewport: { width, height },
      javaScriptEnabled: js,
      baseURL: BASE_URL,
      extraHTTPHeaders: ownNetwork(),
    });
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
    await open(page, "/dashboard/audit");
    await page.screenshot({ path: `${out}/audit-personal-${tag}.png`, fullPage: true });
    await open(page, "/dashboard/settings");
    await page.screenshot({ path: `${out}/settings-${tag}.png`, fullPage: true });
    await logOut(page);
    await logIn(page, OWNER);
    await waitForPath(page, "/dashboard/wallet");
    await switchTo(page, TEAM);
    for (const [name, path] of [["team", "/dashboard/team"], ["audit", "/dashboard/audit"], ["usage-team", "/dashboard/usage"]]) {
      await open(page, path);
      await page.screenshot({ path: `${out}/${name}-${tag}.png`, fullPage: true });
    }
    await open(page, invitePath);
    await page.screenshot({ path: `${out}/invite-${tag}.png`, fullPage: true });
    await open(page, "/signup");
    await page.screenshot({ path: `${out}/signup-${tag}.png`, fullPage: true });
    await context.close();
  }
}
await closeBrowser();
console.log(`screenshots in ${out}`);
