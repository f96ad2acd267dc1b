"""Tollgate's chat channel met by the official MCP Python SDK (PyPI `mcp`), as a chat app meets it: the
product guide's chat steps ("What's my balance?", "Add $25 to my wallet", "Show me my usage for the last 7
days", "Show me my last 20 requests with cost breakdown") against a running server (`make test`)."""

import asyncio
import datetime

import httpx2
import jsonschema
import pytest

from conftest import ADDRESS_CHECKED, BASE_URL, VISA, chat, new_chat, pay_checkout, signed_up, v1

pytestmark = pytest.mark.anyio


async def first_deposit(session, number, postal_code="10001"):
    """"Add $10" with no saved card: the checkout link, paid with `number` and "Save this card" ticked."""
    link, _ = answer(await session.call_tool("add_funds", {"amount": "10"}))
    return await pay_checkout(link["checkout_url"], number, postal_code)


def answer(result):
    """A tool result's structured content and its one sentence."""
    assert result.structured_content is not None, result
    return result.structured_content, result.content[0].text


async def test_initialize_names_the_server_and_lists_six_tools_with_valid_schemas():
    async with new_chat() as (person, secret, session):
        tools = (await session.list_tools()).tools
    assert [t.name for t in tools] == ["get_balance", "list_payment_methods", "add_funds", "get_usage", "list_requests", "ask_model"]
    schemas = {t.name: t.input_schema for t in tools}
    for name, schema in schemas.items():
        jsonschema.Draft202012Validator.check_schema(schema)
        if name != "ask_model":
            jsonschema.validate({}, schema)  # every argument is optional
    ask_model = jsonschema.Draft202012Validator(schemas["ask_model"])
    assert ask_model.is_valid({"model": "gpt-4o-mini", "prompt": "Hi", "max_tokens": 50})
    assert not ask_model.is_valid({"prompt": "Hi"}), "a model and a prompt are required"
    add_funds = jsonschema.Draft202012Validator(schemas["add_funds"])
    assert add_funds.is_valid({"amount": "25.00", "confirm_duplicate": True})
    assert not add_funds.is_valid({"amount": 25})


async def test_the_guides_three_top_up_outcomes_and_the_new_balance_at_once():
    async with new_chat() as (person, secret, session):
        # "Add funds to my wallet" without an amount: the balance and what is possible.
        needs, sentence = answer(await session.call_tool("add_funds", {}))
        assert needs == {"status": "needs_amount", "balance": "0.00", "payment_methods": [],
                         "minimum": "10.00", "maximum": "10000.00"}
        assert "$10.00" in sentence and "checkout link" in sentence
        # "Add $25 to my wallet" with no saved card: a checkout link, paid with a card that is saved.
        link, _ = answer(await session.call_tool("add_funds", {"amount": "25"}))
        assert link["status"] == "requires_checkout"
        assert link["checkout_url"].startswith(f"{BASE_URL}/checkout/cs_")
        paid = await pay_checkout(link["checkout_url"], VISA)
        assert paid["status"] == "succeeded", paid
        balance, sentence = answer(await session.call_tool("get_balance", {}))
        assert balance == {
            "balance": "25.00",
            "held": "0.00",
            "available": "25.00",
            "low_balance": False,
            "paid": "25.00",
            "promotional": "0.00",
            "promotional_expiring": [],
        }
        assert sentence == "Your wallet balance is $25.00."
        # With the saved card: charged at once, and the balance asked right after is the new one.
        result = await session.call_tool("add_funds", {"amount": "25"})
        assert not result.is_error
        done, sentence = answer(result)
        assert done["status"] == "completed"
        assert (done["amount"], done["balance"], done["payment_method"]) == ("25.00", "50.00", "Visa •••• 4242")
        assert sentence == "Added $25.00 with Visa •••• 4242. The balance is now $50.00."
        balance, _ = answer(await session.call_tool("get_balance", {}))
        assert balance["balance"] == "50.00"
        cards, _ = answer(await session.call_tool("list_payment_methods", {}))
        [card] = cards["payment_methods"]
        assert (card["label"], card["is_default"], card["has_error"]) == ("Visa •••• 4242", True, False)


async def test_a_decline_says_why_and_where_to_fix_the_card():
    async with new_chat() as (person, secret, session):
        paid = await first_deposit(session, ADDRESS_CHECKED)  # billing postal code 10001
        assert paid["status"] == "failed", paid
        result = await session.call_tool("add_funds", {"amount": "25.00"})
        assert result.is_error
        failed, sentence = answer(result)
        assert failed["status"] == "failed"
        assert failed["decline_code"] == "incorrect_address"
        assert failed["message"] == ("The billing address doesn't match your card. "
                                     "Update the billing postal code or use another card.")
        assert failed["fix_url"] == f"{BASE_URL}/dashboard/wallet"
        assert failed["fix_url"] in sentence
        balance, _ = answer(await session.call_tool("get_balance", {}))
        assert balance["balance"] == "0.00"


async def test_a_repeated_top_up_waits_for_confirmation_and_one_idempotency_key_charges_once():
    async with new_chat() as (person, secret, session):
        await first_deposit(session, VISA)
        first, _ = answer(await session.call_tool("add_funds", {"amount": "30"}))
        assert first["status"] == "completed"
        again, sentence = answer(await session.call_tool("add_funds", {"amount": "30"}))
        assert again["status"] == "needs_confirmation"
        assert again["previous"]["amount"] == "30.00"
        assert "confirm_duplicate" in sentence
        confirmed, _ = answer(await session.call_tool("add_funds", {"amount": "30", "confirm_duplicate": True}))
        assert (confirmed["status"], confirmed["balance"]) == ("completed", "70.00")
        # 20 parallel identical calls with one idempotency key: one charge, one answer.
        arguments = {"amount": "25.00", "idempotency_key": "python-sdk-retry-1"}
        results = await asyncio.gather(*(session.call_tool("add_funds", arguments) for _ in range(20)))
        answers = [answer(r)[0] for r in results]
        assert all(a == answers[0] for a in answers), answers
        assert (answers[0]["status"], answers[0]["balance"]) == ("completed", "95.00")
        balance, _ = answer(await session.call_tool("get_balance", {}))
        assert balance["balance"] == "95.00"


async def test_refusals_are_tool_errors_in_words():
    async with signed_up() as person:
        reader = await person.create_key("Read only chat", allow_funding=False)
        async with chat(reader) as session:
            result = await session.call_tool("add_funds", {"amount": "25"})
            assert result.is_error
            assert result.content[0].text == "This connection may not add funds. Allow it on the Keys page."
        funder = await person.create_key("Python chat", allow_funding=True)
        async with chat(funder) as session:
            for arguments, message in [
                ({"amount": "5"}, "Enter an amount between $10.00 and $10,000.00"),
                ({"amount": "-25"}, "Enter an amount between $10.00 and $10,000.00"),
                ({"amount": "25.001"}, "Amount can have at most 2 decimal places"),
                ({"amount": "二十五"}, "Enter a valid amount"),
                ({"amount": "9" * 50_000}, "Enter a valid amount"),
                ({"amount": 25}, "Enter a valid amount"),
            ]:
                result = await session.call_tool("add_funds", arguments)
                assert result.is_error, arguments
                assert result.content[0].text.startswith(message), (arguments, result.content[0].text)
            result = await session.call_tool("list_requests", {"limit": 500})
            assert result.is_error and "1 to 100" in result.content[0].text
            balance, _ = answer(await session.call_tool("get_balance", {}))
            assert balance["balance"] == "0.00"


async def test_usage_and_requests_are_the_dashboards_figures():
    async with new_chat() as (person, secret, session):
        await first_deposit(session, VISA)
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {secret}"}) as http:
            for body in ({"service": "exa", "model": "search"},
                         {"service": "openai", "model": "gpt-4o-mini", "usage": {"input_tokens": 900, "output_tokens": 120}}):
                res = await http.post(f"{BASE_URL}/v1/requests", json=body)
                assert res.status_code == 201, res.text
        async with chat(secret) as session:
            usage, sentence = answer(await session.call_tool("get_usage", {}))
            assert usage == await v1(secret, "/v1/usage")
            assert usage["totals"]["requests"] == 2
            assert "2 paid calls" in sentence
            today = datetime.date.today().isoformat()
            ranged, _ = answer(await session.call_tool("get_usage", {"since": today, "until": today, "timezone": "UTC"}))
            assert ranged == await v1(secret, f"/v1/usage?start={today}&end={today}&tz=UTC")
            last, _ = answer(await session.call_tool("list_requests", {"limit": 20}))
            assert last == await v1(secret, "/v1/requests?limit=20")
            assert [r["service"] for r in last["data"]] == ["openai", "exa"]
            assert last["data"][0]["cost"]["input"] != "0"


async def test_without_a_credential_the_sdk_is_told_where_authorization_starts():
    async with httpx2.AsyncClient() as http:
        res = await http.post(f"{BASE_URL}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                              headers={"Accept": "application/json, text/event-stream"})
    assert res.status_code == 401
    assert res.headers["www-authenticate"] == (
        f'Bearer resource_metadata="{BASE_URL}/.well-known/oauth-protected-resource"')
