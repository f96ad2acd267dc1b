// Cross-site posts are refused; dashboard pages are never cached.
import { after } from "node:test";
import assert from "node:assert/strict";
import { journey, closeBrowser, BASE_URL, DEMO, logIn, waitForPath } from "./support.js";

after(closeBrowser);

journey("a form on another site cannot post to Tollgate", {}, async ({ page }) => {
  // localhost and 127.0.0.1 are different origins: the page below is "another site".
  const target = new URL(BASE_URL);
  const foreign = `${target.protocol}//localhost:${target.port}/login`;
  const victim = `${target.protocol}//127.0.0.1:${target.port}`;
  await page.goto(foreign);
  await page.evaluate((url) => {
    const form = document.createElement("form");
    form.method = "POST";
    form.action = `${url}/api/login`;
    for (const [name, value] of [["email", "demo@tollgate.test"], ["password", "demo-password-1"], ["next", "/dashboard/wallet"]]) {
      const input = document.createElement("input");
      input.name = name;
      input.value = value;
      form.append(input);
    }
    document.body.append(form);
    form.submit();
  }, victim);
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
