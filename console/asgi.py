"""The ASGI entry point `make run` serves (granian, see stack/web.py).

Served this way, a client that is slow to send costs an idle coroutine, not a thread: Django's
ASGI handler reads the whole request body before a view runs. The one thing Django does not
bound is how long it waits for that body; `BodyReadTimeout` does.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

Scope = dict[str, Any]


class BodyReadTimeout:
    """A request whose body stalls for `seconds` is treated as a client that went away.

    Only while the body is being read: afterwards Django keeps a receive() open for the whole
    view to notice a disconnect, and that wait must not be cut short.
    """

    def __init__(self, app: Any, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_read = False

        async def receive_with_deadline() -> dict[str, Any]:
            nonlocal body_read
            if body_read:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.seconds)
            except TimeoutError:
                return {"type": "http.disconnect"}  # Django aborts the request, no view runs
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_read = True
            return message

        await self.app(scope, receive_with_deadline, send)


def _build() -> Any:
    django_app = get_asgi_application()
    from django.conf import settings

    return BodyReadTimeout(django_app, settings.CONSOLE_BODY_READ_TIMEOUT)


application = _build()
