// Connecting a chat app (docs/CONTRACT.md "Chat (MCP)"): the official MCP TypeScript SDK's client, with its
// OAuth provider, against a running Tollgate — discovery, registration, the consent page in Chromium
// (JavaScript on and off, 1280 and 390 px), the code exchange with PKCE, then `get_balance` over /mcp; Deny;
// a connection revoked on the Keys page gets 401; a wrong PKCE verifier and an unregistered redirect URI
// are refused.
import { after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError, exchangeAuthorization, discoverAuthorizationServerMetadata } from "@modelcontextprotocol/sdk/client/auth.js";
import { BASE_URL, journey, closeBrowser, newEmail, signUp, waitForPath, open } from "./support.js";

after(closeBrowser);

const MCP_URL = new URL(`${BASE_URL}/mcp`);
const APP_NAME = "Claude Code (test)";

/** The chat app's end of its redirect URI: a local server that keeps each answer's query. */
async function callbackServer() {
  const answers = [];
  const waiting = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    if (url.pathname !== "/callback") return res.writeHead(404).end(); // the browser's /favicon.ico
    const query = url.searchParams;
    res.writeHead(200, { "Content-Type": "text/html" }).end("<p>You can close this window.</p>");
    const next = waiting.shift();
    if (next) next(query);
    else answers.push(query);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/callback`,
    next: () => (answers.length ? Promise.resolve(answers.shift()) : new Promise((resolve) => waiting.push(resolve))),
    close: () => server.close(),
  };
}

/** The SDK's OAuthClientProvider, kept in memory as a chat app would keep it on disk. */
class ChatAppProvider {
  constructor(redirectUrl) {
    this.redirectUrl = redirectUrl;
    this.clientMetadata = {
      client_name: APP_NAME,
      redirect_uris: [redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  state() { return "chat-state-1"; }
  clientInformation() { return this.client; }
  saveClientInformation(client) { this.client = client; }
  tokens() { return this.savedTokens; }
  saveTokens(tokens) { this.savedTokens = tokens; }
  redirectToAuthorization(url) { this.authorizationUrl = url; }
  saveCodeVerifier(verifier) { this.verifier = verifier; }
  codeVerifier() { return this.verifier; }
}

/** Connects with the SDK until it needs the person: the consent page's address. */
async function startConnecting(provider) {
  const client = new Client({ name: "tollgate-e2e", version: "1.0.0" });
  await assert.rejects(client.connect(new StreamableHTTPClientTransport(MCP_URL, { authProvider: provider })), UnauthorizedError);
  assert.ok(provider.client?.client_id?.startsWith("tgc_"), "registered dynamically");
  assert.ok(provider.authorizationUrl, "sent to the consent page");
  return provider.authorizationUrl;
}

async function newPerson(page) {
  await signUp(page, { email: newEmail("chat"), password: "correct-horse-1" });
  await waitForPath(page, "/dashboard/wallet");
}

for (const [js, viewport] of [[true, { width: 1280, height: 900 }], [false, { width: 390, height: 844 }]]) {
  const mode = js ? "" : " (JavaScript off, 390 px)";

  journey(`a chat app connects through the consent page and reads the balance${mode}`, { js, viewport }, async ({ page }) => {
    const policyViolations = [];
    page.on("console", (msg) => { if (/Content Security Policy/i.test(msg.text())) policyViolations.push(msg.text()); });
    await newPerson(page);
    const callback = await callbackServer();
    try {
      const provider = new ChatAppProvider(callback.url);
      await page.goto((await startConnecting(provider)).href);
      await page.getByRole("heading", { name: `${APP_NAME} wants to use your Tollgate wallet` }).waitFor();
      assert.equal(await page.getByLabel("Allow adding funds").isChecked(), false, "unticked by default");
      // Ticked, it asks how much a day (the guide's chat maximum is $10,000.00); unticked again, it hides.
      assert.equal(await page.getByLabel("Daily funding limit").isVisible(), false);
      await page.getByLabel("Allow adding funds").check();
      assert.equal(await page.getByLabel("Daily funding limit").inputValue(), "100.00");
      assert.equal(await page.getByLabel("Daily funding limit").isVisible(), true);
      await page.getByLabel("Allow adding funds").uncheck();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no sideways scroll (${overflow}px)`);
      await page.getByLabel("Spend limit").fill("20");
      await page.getByLabel("Limit period").selectOption("weekly");
      await page.getByRole("button", { name: "Allow" }).click();
      const answer = await callback.next();
      assert.equal(answer.get("state"), "chat-state-1");
      assert.equal(answer.get("iss"), new URL(MCP_URL).origin, "the issuer names itself (RFC 9207)");
      assert.match(answer.get("code"), /^tg_ac_/);
      await page.getByText("You can close this window.").waitFor();
      assert.deepEqual(policyViolations, []);

      // The app finishes with the code and its PKCE verifier, then talks to /mcp with its token.
      await new StreamableHTTPClientTransport(MCP_URL, { authProvider: provider }).finishAuth(answer.get("code"));
      assert.match(provider.savedTokens.access_token, /^tg_at_/);
      const chat = new Client({ name: "tollgate-e2e", version: "1.0.0" });
      await chat.connect(new StreamableHTTPClientTransport(MCP_URL, { authProvider: provider }));
      const balance = await chat.callTool({ name: "get_balance", arguments: {} });
      assert.deepEqual(balance.structuredContent, { balance: "0.00", held: "0.00", available: "0.00", low_balance: false, paid: "0.00", promotional: "0.00", promotional_expiring: [] });
      const refused = await chat.callTool({ name: "add_funds", arguments: { amount: "25" } });
      assert.equal(refused.isError, true);
      assert.equal(refused.content[0].text, "This connection may not add funds. Allow it on the Keys page.");

      // The Keys page shows the connection; Revoke ends it at once.
      await open(page, "/dashboard/keys");
      const row = page.locator(`li.key-row[data-key="${APP_NAME}"]`);
      await row.getByText("Chat connection").waitFor();
      assert.match(await row.textContent(), /\$20\.00 per week/);
      await row.getByRole("button", { name: "Revoke" }).click();
      await row.getByText("Revoked").waitFor();
      const direct = await fetch(MCP_URL, {
        method: "POST",
        headers: { Authorization: `Bearer ${provider.savedTokens.access_token}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      assert.equal(direct.status, 401);
      assert.match(direct.headers.get("www-authenticate"), /^Bearer resource_metadata="/);
      await assert.rejects(chat.callTool({ name: "get_balance", arguments: {} }));
      await chat.close();
    } finally {
      callback.close();
    }
  });
}

journey("Deny sends the app access_denied and creates nothing", {}, async ({ page }) => {
  await newPerson(page);
  const callback = await callbackServer();
  try {
    const provider = new ChatAppProvider(callback.url);
    await page.goto((await startConnecting(provider)).href);
    await page.getByRole("button", { name: "Deny" }).click();
    const answer = await callback.next();
    assert.equal(answer.get("error"), "access_denied");
    assert.equal(answer.get("state"), "chat-state-1");
    assert.equal(answer.get("code"), null);
    await open(page, "/dashboard/keys");
    assert.equal(await page.locator(`li.key-row[data-key="${APP_NAME}"]`).count(), 0);
  } finally {
    callback.close();
  }
});

journey("a wrong PKCE verifier and an unregistered redirect URI are refused", {}, async ({ page }) => {
  await newPerson(page);
  const callback = await callbackServer();
  try {
    const provider = new ChatAppProvider(callback.url);
    const consent = await startConnecting(provider);
    // Someone sends the person to the consent page with another redirect URI: explained, never followed.
    const elsewhere = new URL(consent);
    elsewhere.searchParams.set("redirect_uri", `${callback.url}/elsewhere`);
    await page.goto(elsewhere.href);
    await page.getByRole("heading", { name: "This connection can't be made" }).waitFor();
    await page.getByText("didn't register").waitFor();
    assert.equal(await page.getByRole("button", { name: "Allow" }).count(), 0);
    assert.equal(await page.getByRole("link", { name: "Back to the app" }).count(), 0);
    // The real request, allowed; the code offered with a wrong verifier is refused (and used up).
    await page.goto(consent.href);
    await page.getByRole("button", { name: "Allow" }).click();
    const code = (await callback.next()).get("code");
    const metadata = await discoverAuthorizationServerMetadata(new URL(BASE_URL));
    await assert.rejects(
      exchangeAuthorization(new URL(BASE_URL), {
        metadata,
        clientInformation: provider.client,
        authorizationCode: code,
        codeVerifier: "a-verifier-that-is-not-the-one-whose-challenge-was-sent-0000",
        redirectUri: callback.url,
        resource: MCP_URL,
      }),
      (err) => err.constructor.name === "InvalidGrantError" || /invalid_grant/.test(String(err)),
    );
    await assert.rejects(new StreamableHTTPClientTransport(MCP_URL, { authProvider: provider }).finishAuth(code));
  } finally {
    callback.close();
  }
});
