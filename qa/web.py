"""HTTP limits for the app's server: request bodies over a size are refused before anyone reads them."""

from __future__ import annotations

# A question is at most 500 characters and a follow-up reads ten turns, but the chat page sends its whole
# conversation (answers and citations as HTML, ~5 KB a turn) with every question: 4 MiB is hundreds of turns.
MAX_REQUEST_BYTES = 4 * 2**20
# The app takes no files; Gradio's upload route exists anyway, so keep what it accepts small.
MAX_UPLOAD = "1mb"
REFUSAL = "请求太大，已拒绝。".encode()


class RequestSizeLimit:
    """ASGI middleware: 413 for a body over `max_bytes`, by its Content-Length or, when chunked, as it arrives.

    Use: `FastAPI(middleware=[Middleware(RequestSizeLimit, max_bytes=2**20)])` (or Gradio's `app_kwargs`).
    """

    def __init__(self, app, max_bytes: int = MAX_REQUEST_BYTES):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or ())
        length = headers.get(b"content-length")
        if length is not None:
            if not length.strip().isdigit() or int(length) > self.max_bytes:
                return await _refuse(send)
            return await self.app(scope, receive, send)  # the server reads no more than Content-Length
        if b"chunked" not in headers.get(b"transfer-encoding", b"").lower():
            return await self.app(scope, receive, send)
        state = {"received": 0, "over": False, "sent": False}

        async def counted():
            if state["over"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > self.max_bytes:
                    state["over"] = True  # the app sees the client gone and stops reading
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message):
            if state["over"]:
                if not state["sent"]:
                    state["sent"] = True
                    await _refuse(send)
                return  # whatever the app answers after the disconnect is dropped
            state["sent"] = True
            await send(message)

        await self.app(scope, counted, guarded)
        if state["over"] and not state["sent"]:
            await _refuse(send)


async def _refuse(send) -> None:
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(REFUSAL)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": REFUSAL})
