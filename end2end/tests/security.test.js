// Cross-site posts are refused; dashboard pages are never cached.
import { after } from "node:test";
import assert from "node:assert/strict";
import { journey, closeBrowser, BASE_URL, DEMO, logIn, waitForPath } from "./support.js";

after(closeBrowser);

journey("a form on another site cannot post to Tollgate", {}, async ({ page }) => {
  // Another site's page (served by the browser itself, so it has no policy of Tollgate's) with a form that
  // posts the demo login to Tollgate.
  const victim = new URL(BASE_URL).origin;
  await page.route("http://evil.test/**", (route) =>
    route.fulfill({
      contentType: "text/html",
      body: `<form method="post" action="${victim}/api/login">
        <input name="email" value="${DEMO.email}"><input name="password" value="${DEMO.password}">
        <input name="next" value="/dashboard/wallet"><button>Win a prize</button></form>`,
    }),
  );
  await page.goto("http://evil.test/");
  await page.getByRole("button", { name: "Win a prize" }).click();
  await page.getByText("This request came from another site and was refused.").waitFor();
  // No session was started by the refused post.
  await page.goto(`${victim}/dashboard/wallet`);
  await waitForPath(page, "/login?next=%2Fdashboard%2Fwallet");
  const response = await page.request.post(`${victim}/api/login`, {
    headers: { origin: "http://evil.test", "content-type": "application/x-www-form-urlencoded" },
    data: "email=demo%40tollgate.test&password=demo-password-1",
    maxRedirects: 0,
  });
  assert.equal(response.status(), 403);
});

journey("dashboard pages are sent with Cache-Control: no-store", {}, async ({ page }) => {
  await logIn(page, DEMO);
  await waitForPath(page, "/dashboard/wallet");
  const response = await page.goto("/dashboard/wallet");
  assert.equal(response.headers()["cache-control"], "no-store");
});

journey("every page runs under its Content-Security-Policy without a violation", {}, async ({ page, pageErrors }) => {
  const violations = [];
  page.on("console", (msg) => {
    if (/Content Security Policy|Refused to (execute|load|frame|apply)/i.test(msg.text())) violations.push(msg.text());
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => console.error(`Refused to ${e.violatedDirective}: ${e.blockedURI}`));
  });
  await logIn(page, DEMO);
  await waitForPath(page, "/dashboard/wallet");
  const policy = (await page.request.get("/dashboard/wallet")).headers()["content-security-policy"];
  assert.match(policy, /script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}' 'wasm-unsafe-eval'/);
  assert.match(policy, /frame-ancestors 'none'/);
  // The chart (the server's drawing, then ECharts once pointed at), the islands (wasm) and enhance.js all
  // work under it.
  await page.getByTestId("wallet-chart").hover();
  await page.getByTestId("wallet-chart").locator("canvas").first().waitFor();
  await page.locator('body[data-hydrated="true"]').waitFor({ state: "attached" });
  for (const path of ["/dashboard/usage", "/dashboard/keys", "/dashboard/settings", "/dashboard/wallet"]) {
    await page.goto(path);
    await page.locator('body[data-hydrated="true"]').waitFor({ state: "attached" });
  }
  await page.getByRole("link", { name: "Usage" }).click(); // a swap by enhance.js, no reload
  await waitForPath(page, "/dashboard/usage");
  assert.deepEqual(violations, []);
  assert.deepEqual(pageErrors, []);
});

journey("Tollgate's pages refuse to be framed by another site", {}, async ({ page }) => {
  // Another site's page (no policy of its own) that frames the login page.
  await page.setContent(`<iframe src="${BASE_URL}/login" width="800" height="600"></iframe>`);
  await page.waitForTimeout(1500);
  // Blocked by frame-ancestors 'none': the frame holds Chromium's error page, never the login form.
  for (const frame of page.frames().filter((f) => f !== page.mainFrame())) {
    assert.equal(await frame.getByRole("button", { name: "Log in" }).count(), 0, "the login page rendered in a frame");
  }
  assert.equal(page.frames().length, 2, "the frame exists");
});
