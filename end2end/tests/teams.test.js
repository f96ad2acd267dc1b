// The team journey (docs/CONTRACT.md "Teams"), with JavaScript on and off: an Owner creates a team and makes
// an invite link; the invitee, in a browser of their own, signs up from the link and accepts; as a Member
// they find "Add Funds" disabled with the admin sentence; the Owner turns "Members can add funds" on; the
// Member then adds funds with a new card, to the team's wallet; the audit log shows each step.
import { after } from "node:test";
import assert from "node:assert/strict";
import { journey, closeBrowser, browser, newEmail, signUp, waitForPath, open, NEW_CARD, addFunds, ownNetwork, BASE_URL } from "./support.js";

after(closeBrowser);

const PASSWORD = "correct-horse-1";
const REFUSAL = "Your team's admin must enable adding funds for members.";

for (const js of [true, false]) {
  const mode = js ? "" : " (JavaScript off)";

  journey(`a team's member can add funds only once an admin enables it${mode}`, { js }, async ({ page: owner }) => {
    await signUp(owner, { email: newEmail("owner"), password: PASSWORD });
    await waitForPath(owner, "/dashboard/wallet");
    await owner.getByRole("link", { name: "New team" }).click();
    await waitForPath(owner, "/dashboard/team");
    await owner.getByLabel("Team name").fill("Acme Research");
    await owner.getByRole("button", { name: "Create team" }).click();
    await owner.getByRole("heading", { name: "Acme Research" }).waitFor();
    assert.equal(await owner.getByLabel("Account").inputValue() !== "", true);
    assert.equal(await owner.getByLabel("Members can add funds").isChecked(), false, "off on a new team");

    await owner.getByRole("button", { name: "Invite", exact: true }).click();
    await owner.getByLabel("Role", { exact: true }).selectOption("member");
    await owner.getByRole("button", { name: "Create invite link" }).click();
    const link = await owner.getByTestId("new-invite-link").getAttribute("data-path");
    assert.match(link, /^\/invite\/[0-9a-f]{48}$/);
    assert.match(await owner.getByTestId("new-invite-link").textContent(), new RegExp(`^${BASE_URL}/invite/`));

    // The invitee, in a browser of their own.
    const context = await (await browser()).newContext({ javaScriptEnabled: js, baseURL: BASE_URL, extraHTTPHeaders: ownNetwork() });
    context.setDefaultTimeout(15_000);
    const member = await context.newPage();
    member.tollgateJs = js;
    try {
      await open(member, link);
      await member.getByRole("heading", { name: "Join Acme Research" }).waitFor();
      await member.getByRole("link", { name: "Sign up" }).click();
      await waitForPath(member, "/signup");
      await member.getByLabel("Email").fill(newEmail("member"));
      await member.getByLabel("Password").fill(PASSWORD);
      await member.getByRole("button", { name: "Sign up" }).click();
      await waitForPath(member, link);
      await member.getByRole("button", { name: "Accept" }).click();
      await waitForPath(member, "/dashboard/wallet");
      await member.getByRole("link", { name: "Team" }).waitFor();
      const addFundsButton = member.getByRole("button", { name: "Add Funds" });
      assert.equal(await addFundsButton.isDisabled(), true);
      await member.getByText(REFUSAL).waitFor();

      // The Owner sees the member and turns funding by members on.
      await open(owner, "/dashboard/team");
      const row = owner.locator("tr", { hasText: "member-" });
      assert.equal((await row.locator("td").nth(1).textContent()).trim(), "Member");
      await owner.getByLabel("Members can add funds").check();
      await owner.getByRole("button", { name: "Save" }).click();
      await owner.getByText("Team settings saved.").waitFor();

      await open(member, "/dashboard/wallet");
      assert.equal(await addFundsButton.isDisabled(), false);
      await addFunds(member, "25", NEW_CARD);
      await member.getByText("$25.00 was added to your wallet").waitFor();
      assert.equal((await member.getByTestId("balance").textContent()).trim(), "$25.00");
      // The money is the team's: the Owner's header shows it too.
      await open(owner, "/dashboard/wallet");
      assert.equal((await owner.getByTestId("balance").textContent()).trim(), "$25.00");
      // The audit log shows each step, newest first, with who did it.
      await owner.getByRole("link", { name: "Audit log" }).click();
      await waitForPath(owner, "/dashboard/audit");
      const rows = owner.getByTestId("audit-log").locator("tbody tr");
      await rows.first().waitFor();
      const cells = async (column) => (await rows.locator(`td:nth-child(${column})`).allTextContents()).map((t) => t.trim());
      assert.deepEqual(await cells(1), ["Funds added", "Card added", "Setting changed", "Member joined", "Member invited", "Team created"]);
      const details = await cells(2);
      assert.match(details[0], /^\$25\.00 with Visa •••• 4242$/);
      assert.equal(details[2], "Members can add funds: on");
      assert.equal(details[4], "Invite link for Member");
      const who = await cells(3);
      assert.match(who[0], /^member-/, "the member added the funds");
      assert.match(who[2], /^owner-/, "the owner changed the setting");
      // The used link says so.
      await open(member, link);
      await member.getByText("This invite link has already been used.").waitFor();
    } finally {
      await context.close();
    }
  });
}
