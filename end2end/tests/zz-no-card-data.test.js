// Runs after every other journey (files run in name order): nothing a person typed as card data may be
// kept — not in the database (ours or the sandbox processor's), not in the server log (docs/CONTRACT.md
// "Sandbox card processor": never the number or the CVC, not in the database and not in a log); and no spend-key secret either (only its
// SHA-256 and a 10-character prefix are stored).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, existsSync } from "node:fs";

const CARD_NUMBERS = [
  "4242424242424242",
  "5555555555554444",
  "4000000000000002",
  "4000000000009995",
  "4000000000009987",
  "4000000000009979",
  "4000000000000069",
  "4000000000000127",
  "4000000000000119",
  "4000000000000010",
];

function leaks(text) {
  const compact = text.replace(/[ -]/g, "");
  const numbers = CARD_NUMBERS.filter((n) => compact.includes(n));
  // A CVC would show up next to its name (a logged form, a stored field).
  const cvc = /cvc\W{0,6}\d{3,4}\b/i.test(text) ? ["a CVC value"] : [];
  const secrets = (text.match(/tg_sk_[0-9a-f]{12,}/g) ?? []).map(() => "a spend-key secret");
  return [...numbers, ...cvc, ...secrets];
}

test("no full card number or CVC in the database dump", { skip: !process.env.E2E_DATABASE_URL }, () => {
  const dump = execFileSync("pg_dump", ["--data-only", process.env.E2E_DATABASE_URL], { maxBuffer: 512 * 1024 * 1024 }).toString();
  assert.ok(dump.includes("payment_attempts"), "the dump has the payments data");
  assert.deepEqual(leaks(dump), []);
});

test("no full card number or CVC in the server log", { skip: !process.env.SERVER_LOG }, () => {
  assert.ok(existsSync(process.env.SERVER_LOG));
  assert.deepEqual(leaks(readFileSync(process.env.SERVER_LOG, "utf8")), []);
});
