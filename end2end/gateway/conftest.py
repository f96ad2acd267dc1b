"""Shared set-up for the gateway's SDK tests: the MCP tests' way of making an account (end2end/mcp/conftest.py:
sign up, create a key, pay a checkout link), and the fake provider the gateway forwards to."""

import importlib.util
import os
import pathlib
import uuid

import httpx2
import pytest

_spec = importlib.util.spec_from_file_location(
    "tollgate_accounts", pathlib.Path(__file__).resolve().parent.parent / "mcp" / "conftest.py"
)
accounts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(accounts)

BASE_URL = accounts.BASE_URL
FAKE_PROVIDER_URL = os.environ.get("FAKE_PROVIDER_URL", "http://127.0.0.1:3901")


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def new_key(funded: bool = True) -> str:
    """A new person's spend key; with `funded`, their wallet holds $10.00 paid with the sandbox's Visa."""
    async with accounts.signed_up() as person:
        secret = await person.create_key("SDK", allow_funding=True)
        if funded:
            async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {secret}"}, timeout=30) as http:
                res = await http.post(
                    f"{BASE_URL}/v1/wallet/fund",
                    json={"amount": "10.00"},
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                )
                assert res.status_code == 200, res.text
                await accounts.pay_checkout(res.json()["checkout_url"], accounts.VISA)
                balance = (await http.get(f"{BASE_URL}/v1/balance")).json()
                assert balance["balance"] == "10.00", balance
        return secret


async def provider_calls() -> int:
    """How many calls the fake provider has had."""
    async with httpx2.AsyncClient(timeout=30) as http:
        return (await http.get(f"{FAKE_PROVIDER_URL}/seen")).json()["calls"]


async def v1(secret: str, path: str) -> dict:
    return await accounts.v1(secret, path)
