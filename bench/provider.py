"""P8's fake provider: OpenAI's chat completions answered after THINK_MS, as a model thinks, with the usage
make test's fake provider reports (20 prompt and 10 completion tokens). It runs on asyncio with a bare
HTTP/1.1 parser, so it costs the shared machine little and adds no queueing of its own: P8 measures the
gateway, not this. `GET /seen` answers how many calls it got.

    python3 provider.py PORT THINK_MS
"""

import asyncio
import json
import sys

SEEN = {"calls": 0}
ANSWER = json.dumps({
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hi from the bench"}}],
    "usage": {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30},
}).encode()


def response(status, body):
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


class Provider(asyncio.Protocol):
    def __init__(self, think):
        self.think = think
        self.buffer = b""

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length:]
            method, path = head.split(" ", 2)[:2]
            if method == "GET" and path == "/seen":
                self.transport.write(response("200 OK", json.dumps(SEEN).encode()))
            elif method == "POST" and path == "/v1/chat/completions":
                SEEN["calls"] += 1
                asyncio.get_running_loop().call_later(self.think, self.answer)
            else:
                self.transport.write(response("404 Not Found", b'{"error": "not found"}'))

    def answer(self):
        # Answers go out in the order their calls came on a connection (HTTP/1.1 has no other way).
        if not self.transport.is_closing():
            self.transport.write(response("200 OK", ANSWER))


async def main(port, think):
    server = await asyncio.get_running_loop().create_server(lambda: Provider(think), "127.0.0.1", port, backlog=1024)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]) / 1000))
