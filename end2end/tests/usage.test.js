// Where the money went (the usage issue): the wallet's 30-day chart, the usage page's days in a timezone,
// the request list's paging, and the same numbers as tables with JavaScript off.
import { after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { journey, closeBrowser, newEmail, signUp, waitForPath, waitForHydration, open, logIn, DEMO, api, createKey } from "./support.js";

after(closeBrowser);

const isoDay = (date) => date.toISOString().slice(0, 10);
const daysAgo = (n) => new Date(Date.now() - n * 86_400_000);

function sql(statement) {
  return execFileSync("psql", ["-qtAX", process.env.E2E_DATABASE_URL, "-c", statement]).toString().trim();
}

// A person points at a chart: ECharts loads and draws it over the server's drawing.
async function pointAt(chart) {
  await chart.scrollIntoViewIfNeeded();
  await chart.hover();
  await chart.locator(".chart-canvas canvas").first().waitFor();
}

async function newAccountWithKey(page) {
  await signUp(page, { email: newEmail("usage"), password: "correct-horse-1" });
  await waitForPath(page, "/dashboard/wallet");
  await open(page, "/dashboard/keys");
  return createKey(page, { name: "Usage agent" });
}

journey("the demo wallet's chart is drawn by the server, and pointing at it brings tooltips with exact amounts", {}, async ({ page, pageErrors }) => {
  await logIn(page, DEMO);
  await waitForPath(page, "/dashboard/wallet");
  // The pointer rests where "Log in" was; out of the way (or the chart may land under it), and a fresh load.
  await page.mouse.move(0, 0);
  await page.goto("/dashboard/wallet");
  const chart = page.getByTestId("wallet-chart");
  await chart.scrollIntoViewIfNeeded();
  // The server's drawing: 30 days of bars, the deposit dots, a legend; ECharts isn't loaded for it.
  assert.equal(await chart.locator(".bars-day").count(), 30);
  assert.ok((await chart.locator(".bars-segment").count()) > 20, "most days have spend");
  assert.ok((await chart.locator(".bars-deposit").count()) > 0, "the demo's deposits are marked");
  await chart.locator(".bars-legend").getByText("Deposit").waitFor();
  const box = await chart.boundingBox();
  assert.ok(box.height > 200 && box.width > 200, `the chart has its size (${JSON.stringify(box)})`);
  assert.equal(await page.evaluate(() => typeof window.echarts), "undefined");
  // A person points at it: ECharts draws the same chart over it.
  await pointAt(chart);
  const canvas = chart.locator(".chart-canvas canvas").first();
  const painted = await canvas.evaluate((canvas) => {
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
    return n;
  });
  assert.ok(painted > 1000, `the canvas is drawn (${painted} pixels)`);
  // Yesterday's bar: its tooltip names the exact spend, the same as the table beside the chart.
  const label = await chart.evaluate((el) => {
    const instance = window.echarts.getInstanceByDom(el.querySelector(".chart-canvas"));
    const days = instance.getOption().xAxis[0].data;
    instance.dispatchAction({ type: "showTip", seriesIndex: 0, dataIndex: days.length - 2 });
    return days[days.length - 2];
  });
  const tooltip = chart.locator("div").filter({ hasText: "— spend $" }).last();
  await tooltip.waitFor();
  const text = await tooltip.textContent();
  const row = page.locator(".chart-table tr").filter({ has: page.locator(`th:text-is("${label}")`) });
  const tableSpend = (await row.locator("td").first().textContent()).trim();
  assert.ok(text.includes(`${label} — spend ${tableSpend}`), `${text} vs ${tableSpend}`);
  assert.match(tableSpend, /^\$\d+\.\d{2,8}$/);
  assert.deepEqual(pageErrors, []);
});

journey("a chart that leaves the page is disposed, and drawn afresh on coming back", {}, async ({ page, pageErrors }) => {
  await logIn(page, DEMO);
  await waitForPath(page, "/dashboard/wallet");
  await page.mouse.move(0, 0);
  await page.goto("/dashboard/wallet");
  await waitForHydration(page);
  const chart = page.getByTestId("wallet-chart");
  await pointAt(chart);
  await chart.evaluate((el) => {
    window.__leftBox = el.querySelector(".chart-canvas");
    window.__samePage = true;
  });
  assert.ok(await page.evaluate(() => !!window.echarts.getInstanceByDom(window.__leftBox)), "drawn");
  // In place to Usage: the wallet's chart leaves the page, and ECharts lets go of it.
  await page.mouse.move(0, 0);
  await page.getByRole("link", { name: "Usage" }).click();
  await page.getByRole("heading", { name: "Usage", exact: true }).waitFor();
  await page.waitForFunction(
    () => window.__samePage && !window.__leftBox.isConnected && !window.echarts.getInstanceByDom(window.__leftBox),
    null,
    { timeout: 5000 },
  );
  // Back to the wallet: pointing at its chart draws it again.
  await page.getByRole("link", { name: "Wallet" }).first().click();
  await page.getByRole("heading", { name: "Wallet", exact: true }).waitFor();
  const again = page.getByTestId("wallet-chart");
  await pointAt(again);
  assert.ok(await again.evaluate((el) => !!window.echarts.getInstanceByDom(el.querySelector(".chart-canvas"))));
  assert.equal(await page.evaluate(() => window.__samePage), true, "no page load in between");
  assert.deepEqual(pageErrors, []);
});

journey("the usage page shows 7 days by default, and Since widens the range", {}, async ({ page }) => {
  await newAccountWithKey(page);
  await open(page, "/dashboard/usage");
  assert.equal(await page.getByLabel("Since").inputValue(), isoDay(daysAgo(6)));
  assert.equal(await page.getByLabel("Until").inputValue(), isoDay(new Date()));
  assert.equal(await page.getByLabel("Timezone").inputValue(), "UTC");
  await page.getByTestId("usage-timezone").getByText("UTC").waitFor();
  assert.equal(await page.locator('[data-testid="daily-summary"] tbody tr').count(), 7);
  await page.getByLabel("Since").fill(isoDay(daysAgo(13)));
  await page.getByRole("button", { name: "Show" }).click();
  await waitForPath(page, "/dashboard/usage", 5000);
  await page.locator('[data-testid="daily-summary"] tbody tr').nth(13).waitFor();
  assert.equal(await page.locator('[data-testid="daily-summary"] tbody tr').count(), 14);
});

journey("switching the timezone moves a call made at 18:20 UTC to the next local day", {}, async ({ page }) => {
  const secret = await newAccountWithKey(page);
  const res = await api("POST", "/v1/requests", secret, { service: "open-meteo", model: "forecast" });
  assert.equal(res.status, 201);
  // The call happened two days ago at 18:20 UTC (moved there through the database, like a test clock; the
  // daily rollup is rebuilt from the moved 15-minute one, as a timezone change does).
  const day = isoDay(daysAgo(2));
  sql(`UPDATE requests SET created_at = '${day} 18:20:00+00' WHERE id = '${res.body.request_id}';
       UPDATE usage_rollups SET bucket = '${day} 18:15:00+00'
        WHERE account_id = (SELECT account_id FROM requests WHERE id = '${res.body.request_id}');
       SELECT rebuild_usage_daily(account_id) FROM requests WHERE id = '${res.body.request_id}'`);
  const next = isoDay(daysAgo(1));
  const requestsOn = async (date) =>
    (await page.locator(`[data-testid="daily-summary"] tr[data-day="${date}"] td`).first().textContent()).trim();
  await open(page, "/dashboard/usage");
  assert.equal(await requestsOn(day), "1");
  assert.equal(await requestsOn(next), "0");
  await page.getByLabel("Timezone").selectOption("Asia/Kathmandu");
  await page.getByRole("button", { name: "Set timezone" }).click();
  await page.getByTestId("usage-timezone").getByText("Asia/Kathmandu").waitFor();
  assert.equal(await requestsOn(day), "0");
  assert.equal(await requestsOn(next), "1", "18:20 UTC is 00:05 the next day in Kathmandu (+5:45)");
  const usage = await api("GET", `/v1/usage?start=${day}&end=${next}`, secret);
  assert.equal(usage.body.timezone, "Asia/Kathmandu");
  assert.deepEqual(usage.body.items.map((d) => d.requests), [0, 1]);
  // The list offers the common timezones and the account's own; "All timezones" offers every one.
  const options = page.getByLabel("Timezone").locator("option");
  assert.ok((await options.count()) < 50, "a short list at first");
  assert.equal(await page.getByLabel("Timezone").inputValue(), "Asia/Kathmandu");
  await page.getByRole("link", { name: "All timezones" }).click();
  await page.getByLabel("Timezone").locator('option[value="America/Argentina/Salta"]').waitFor({ state: "attached" });
  assert.ok((await options.count()) > 400, "every timezone");
  await page.getByLabel("Timezone").selectOption("America/Argentina/Salta");
  await page.getByRole("button", { name: "Set timezone" }).click();
  await page.getByTestId("usage-timezone").getByText("America/Argentina/Salta").waitFor();
  // Back on the short list, the account's own timezone is there and chosen.
  await open(page, "/dashboard/usage");
  assert.equal(await page.getByLabel("Timezone").inputValue(), "America/Argentina/Salta");
});

journey("paging through the request list shows each call exactly once", {}, async ({ page }) => {
  const secret = await newAccountWithKey(page);
  const made = [];
  for (let i = 0; i < 45; i++) {
    made.push((await api("POST", "/v1/requests", secret, { service: "open-meteo", model: "forecast" })).body.request_id);
  }
  await open(page, "/dashboard/usage");
  const seen = [];
  for (let pageNo = 0; pageNo < 5; pageNo++) {
    const rows = page.locator('[data-testid="request-list"] tbody tr');
    await rows.first().waitFor();
    const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.request));
    seen.push(...ids);
    const next = page.getByRole("button", { name: "Next page" });
    if ((await next.count()) === 0) break;
    const first = ids[0];
    await next.click();
    await page.locator(`[data-testid="request-list"] tbody tr[data-request="${first}"]`).waitFor({ state: "detached" });
  }
  assert.equal(seen.length, 45);
  assert.equal(new Set(seen).size, 45);
  assert.deepEqual([...seen].sort(), [...made].sort());
  // A row opens its detail.
  await page.locator('[data-testid="request-list"] tbody tr').first().getByRole("link").click();
  await page.getByRole("heading", { name: "open-meteo · forecast" }).waitFor();
  await page.getByText("Usage agent").waitFor();
});

journey("with JavaScript off the chart's numbers and the usage tables are there", { js: false }, async ({ page }) => {
  await logIn(page, DEMO);
  await waitForPath(page, "/dashboard/wallet");
  const table = page.locator(".chart-table table");
  assert.equal(await table.isVisible(), true);
  assert.equal(await table.locator("tbody tr").count(), 30);
  // The server's drawing of the chart is there too.
  assert.equal(await page.getByTestId("wallet-chart").isVisible(), true);
  assert.ok((await page.getByTestId("wallet-chart").locator(".bars-segment").count()) > 20);
  await page.goto("/dashboard/usage");
  assert.equal(await page.locator('[data-testid="daily-summary"] tbody tr').count(), 7);
  assert.ok((await page.locator('[data-testid="request-list"] tbody tr').count()) > 0);
  assert.equal(await page.getByRole("button", { name: "Next page" }).isVisible(), true);
  assert.equal(await page.getByRole("button", { name: "Export CSV" }).isVisible(), true);
});
