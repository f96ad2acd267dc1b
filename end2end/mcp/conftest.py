"""Shared set-up for the MCP client tests: a fresh Tollgate account per test, made over HTTP the way a
person makes one (sign up, create a spend key on the Keys page, pay a checkout link), and a connected
session of the official Python SDK with that key as its bearer credential."""

import os
import re
import uuid
from contextlib import asynccontextmanager

import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:3000")
VISA = "4242424242424242"
ADDRESS_CHECKED = "4000000000000010"  # declined unless the billing postal code is 94107


@pytest.fixture
def anyio_backend():
    return "asyncio"


class Account:
    """A signed-up person: their browser session (cookies) and the keys they made."""

    def __init__(self, http: httpx2.AsyncClient):
        self.http = http

    async def post_form(self, path: str, fields: dict) -> httpx2.Response:
        return await self.http.post(
            f"{BASE_URL}{path}",
            data=fields,
            headers={"Origin": BASE_URL, "Accept": "text/html"},
        )

    async def create_key(self, name: str, allow_funding: bool) -> str:
        fields = {"name": name, "rate_limit": "", "daily_funding_limit": "10000" if allow_funding else ""}
        if allow_funding:
            fields["allow_funding"] = "on"
        page = await self.post_form("/dashboard/keys", fields)
        found = re.search(r"tg_sk_[A-Za-z0-9_-]{20,}", page.text)
        assert found, f"no key in the Keys page ({page.status_code})"
        return found.group(0)


@asynccontextmanager
async def signed_up():
    async with httpx2.AsyncClient(timeout=30) as http:
        account = Account(http)
        res = await account.post_form(
            "/api/signup",
            {"email": f"mcp-{uuid.uuid4().hex[:12]}@example.test", "password": "chat-password-1", "next": ""},
        )
        assert res.status_code == 302, res.text
        yield account


async def pay_checkout(checkout_url: str, number: str, postal_code: str = "10001") -> dict:
    """Pays a checkout link with a new card and "Save this card" ticked, as the person would on that page."""
    checkout_id = checkout_url.rsplit("/", 1)[1]
    headers = {"Origin": BASE_URL}
    async with httpx2.AsyncClient(timeout=30) as http:
        started = await http.post(
            f"{BASE_URL}/api/checkout/start",
            headers=headers,
            data={"checkout_id": checkout_id, "card_number": number, "expiry": "12/40", "cvc": "123",
                  "postal_code": postal_code, "save_card": "on"},
        )
        assert started.status_code == 200, started.text
        confirmed = await http.post(
            f"{BASE_URL}/api/checkout/confirm",
            headers=headers,
            data={"checkout_id": checkout_id, "attempt_id": started.json()["id"]},
        )
        assert confirmed.status_code in (200, 402), confirmed.text
        return confirmed.json()


@asynccontextmanager
async def chat(secret: str):
    """An MCP session over Streamable HTTP with `secret` as the bearer credential, initialized."""
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {secret}"}, timeout=30) as http:
        async with streamable_http_client(f"{BASE_URL}/mcp", http_client=http) as (read, write, *_):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session


async def v1(secret: str, path: str) -> dict:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {secret}"}, timeout=30) as http:
        res = await http.get(f"{BASE_URL}{path}")
        assert res.status_code == 200, res.text
        return res.json()


@asynccontextmanager
async def new_chat(allow_funding: bool = True):
    """A new person's chat connection: (person, the key's secret, the initialized MCP session)."""
    async with signed_up() as person:
        secret = await person.create_key("Python chat", allow_funding=allow_funding)
        async with chat(secret) as session:
            yield person, secret, session
