"""The gateway met by the official OpenAI and Anthropic Python SDKs (PyPI `openai`, `anthropic`), pointed at
Tollgate with a spend key as their API key, against the fake provider (fake_provider.py) over real HTTP:
each charge is the provider's reported usage × the catalog's price, to the last digit; a provider error
charges nothing; a client hanging up mid-stream is charged once; a call the wallet can't cover is refused
with 402 before the provider sees it (docs/CONTRACT.md "Gateway")."""

import asyncio

import anthropic
import openai
import pytest

from conftest import BASE_URL, new_key, provider_calls, v1

pytestmark = pytest.mark.anyio

# gpt-4o-mini: 20 × $0.15 / 1M + 10 × $0.60 / 1M; claude-haiku: 25 × $0.80 / 1M + 15 × $4.00 / 1M.
OPENAI_CALL = "0.000009"
ANTHROPIC_CALL = "0.00008"
ASK = [{"role": "user", "content": "Hello"}]


def openai_client(secret):
    return openai.AsyncOpenAI(base_url=f"{BASE_URL}/gateway/openai/v1", api_key=secret, max_retries=0)


def anthropic_client(secret):
    return anthropic.AsyncAnthropic(base_url=f"{BASE_URL}/gateway/anthropic", api_key=secret, max_retries=0)


async def calls(secret):
    """The account's paid calls, newest first, after the captures that follow a stream have landed."""
    await asyncio.sleep(0.5)
    return (await v1(secret, "/v1/requests?limit=100"))["data"]


async def test_the_openai_sdk_whole_and_streamed_is_charged_the_reported_usage_exactly():
    secret = await new_key()
    async with openai_client(secret) as client:
        reply = await client.chat.completions.create(model="gpt-4o-mini", messages=ASK, max_tokens=100)
        assert reply.choices[0].message.content == "Hi from the fake"
        assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (20, 10)
        stream = await client.chat.completions.create(model="gpt-4o-mini", messages=ASK, max_tokens=100, stream=True)
        text = "".join([chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices])
    assert text == "Hi from the fake stream"
    made = await calls(secret)
    assert [(c["model"], c["via"], c["cost"]["total"]) for c in made] == [("gpt-4o-mini", "gateway", OPENAI_CALL)] * 2
    balance = await v1(secret, "/v1/balance")
    assert (balance["balance"], balance["held"]) == ("9.99", "0.00")


async def test_the_anthropic_sdk_whole_and_streamed_is_charged_the_reported_usage_exactly():
    secret = await new_key()
    async with anthropic_client(secret) as client:
        message = await client.messages.create(model="claude-haiku", max_tokens=100, messages=ASK)
        assert message.content[0].text == "Hi from the fake"
        assert (message.usage.input_tokens, message.usage.output_tokens) == (25, 15)
        async with client.messages.stream(model="claude-haiku", max_tokens=100, messages=ASK) as stream:
            assert await stream.get_final_text() == "Hi from the fake"
    made = await calls(secret)
    assert [(c["model"], c["via"], c["cost"]["total"]) for c in made] == [("claude-haiku", "gateway", ANTHROPIC_CALL)] * 2


async def test_a_provider_error_reaches_the_sdk_and_charges_nothing():
    secret = await new_key()
    async with openai_client(secret) as client:
        with pytest.raises(openai.InternalServerError):
            await client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "fail"}])
    async with anthropic_client(secret) as client:
        with pytest.raises(anthropic.InternalServerError):
            await client.messages.create(
                model="claude-haiku", max_tokens=50, messages=[{"role": "user", "content": "fail"}]
            )
    assert await calls(secret) == []
    assert (await v1(secret, "/v1/balance"))["balance"] == "10.00"


async def test_a_call_the_wallet_cant_cover_is_a_402_before_the_provider_sees_it():
    secret = await new_key(funded=False)
    before = await provider_calls()
    async with openai_client(secret) as client:
        with pytest.raises(openai.APIStatusError) as refused:
            await client.chat.completions.create(model="gpt-4o-mini", messages=ASK)
    assert refused.value.status_code == 402
    # The SDK keeps the body's "error" field: the contract's message.
    assert refused.value.body == "Insufficient wallet balance"
    async with anthropic_client(secret) as client:
        with pytest.raises(anthropic.APIStatusError) as refused:
            await client.messages.create(model="claude-haiku", max_tokens=50, messages=ASK)
    assert refused.value.status_code == 402
    assert await provider_calls() == before, "the provider saw nothing"


async def test_hanging_up_mid_stream_is_charged_the_reported_usage_once():
    secret = await new_key()
    async with openai_client(secret) as client:
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "slow"}], stream=True
        )
        async for chunk in stream:
            assert chunk.choices[0].delta.content == "Hi"
            break
        await stream.close()
    await asyncio.sleep(1.5)
    made = await calls(secret)
    assert [c["cost"]["total"] for c in made] == [OPENAI_CALL]
    assert (await v1(secret, "/v1/balance"))["held"] == "0.00"
