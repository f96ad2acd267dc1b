"""A stand-in for OpenAI's and Anthropic's APIs on loopback, for `make test`'s gateway tests: the gateway
forwards to it over real HTTP. Every call reports the same usage (OpenAI: 20 prompt and 10 completion
tokens; Anthropic: 25 input and 15 output), streamed or not; a prompt of "fail" answers 500, and "slow"
streams its chunks 100 ms apart. `GET /seen` answers how many calls it got.

    python fake_provider.py PORT
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SEEN = {"calls": 0}
LOCK = threading.Lock()


def last_prompt(body):
    messages = body.get("messages") or [{}]
    content = messages[-1].get("content", "")
    return content if isinstance(content, str) else " ".join(b.get("text", "") for b in content)


class Provider(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def stream(self, events, pace):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for event in events:
                data = event.encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
                time.sleep(pace)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self):
        if self.path == "/seen":
            with LOCK:
                return self.answer(200, dict(SEEN))
        self.answer(404, {"error": "not found"})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        with LOCK:
            SEEN["calls"] += 1
        prompt = last_prompt(body)
        if prompt == "fail":
            return self.answer(500, {"error": {"message": "upstream broke", "type": "server_error"}})
        pace = 0.1 if prompt == "slow" else 0
        if self.path == "/v1/chat/completions":
            usage = {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30}
            if not body.get("stream"):
                return self.answer(200, {"id": "chatcmpl-fake", "object": "chat.completion", "created": 1,
                                         "model": body["model"], "usage": usage,
                                         "choices": [{"index": 0, "finish_reason": "stop",
                                                      "message": {"role": "assistant", "content": "Hi from the fake"}}]})
            chunk = lambda choices, usage=None: "data: " + json.dumps(
                {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1, "model": body["model"],
                 "choices": choices, "usage": usage}) + "\n\n"
            events = [chunk([{"index": 0, "delta": {"content": w}, "finish_reason": None}])
                      for w in ["Hi", " from", " the", " fake", " stream"]]
            events.append(chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]))
            if (body.get("stream_options") or {}).get("include_usage"):
                events.append(chunk([], usage))
            events.append("data: [DONE]\n\n")
            return self.stream(events, pace)
        if self.path == "/v1/messages":
            usage = {"input_tokens": 25, "output_tokens": 15}
            if not body.get("stream"):
                return self.answer(200, {"id": "msg_fake", "type": "message", "role": "assistant",
                                         "model": body["model"], "stop_reason": "end_turn", "stop_sequence": None,
                                         "content": [{"type": "text", "text": "Hi from the fake"}], "usage": usage})
            event = lambda name, data: f"event: {name}\ndata: {json.dumps(data)}\n\n"
            events = [
                event("message_start", {"type": "message_start", "message": {
                    "id": "msg_fake", "type": "message", "role": "assistant", "model": body["model"], "content": [],
                    "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 25, "output_tokens": 1}}}),
                event("content_block_start", {"type": "content_block_start", "index": 0,
                                              "content_block": {"type": "text", "text": ""}}),
                event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                              "delta": {"type": "text_delta", "text": "Hi from the fake"}}),
                event("content_block_stop", {"type": "content_block_stop", "index": 0}),
                event("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn",
                                        "stop_sequence": None}, "usage": {"output_tokens": 15}}),
                event("message_stop", {"type": "message_stop"}),
            ]
            return self.stream(events, pace)
        self.answer(404, {"error": "not found"})


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Provider).serve_forever()
