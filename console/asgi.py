"""The ASGI entry point `make run` serves (granian, see stack/web.py).

Served this way, a client that is slow to send costs an idle coroutine, not a thread: Django's
ASGI handler reads the whole request body before a view runs. The one thing Django does not
bound is how long it waits for that body; `BodyReadTimeout` does. And the body of a large
upload's chunk is read straight into upload staging (`StagingASGIHandler`).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

import django
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler
from django.urls import Resolver404, resolve

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

Scope = dict[str, Any]
# Views whose request body goes to upload staging instead of Django's temporary file.
STAGED_BODY_VIEWS = frozenset({"objects:upload-chunk"})
_stage_body: ContextVar[bool] = ContextVar("stage_body", default=False)


class StagingASGIHandler(ASGIHandler):
    """Django's handler, except that a chunk's body is written once, into staging.

    Django spools a body to a temporary file, and the chunk view then copied it into staging:
    the web side's largest cost in a large upload after HTTP itself. Here the body lands in an
    unnamed file in staging that the view links into place (StagedBody), so each byte is
    written once. Everything else (including refusals, which never name the file) is Django's.
    """

    async def handle(self, scope: Scope, receive: Any, send: Any) -> None:
        token = _stage_body.set(_stages_body(scope))
        try:
            await super().handle(scope, receive, send)
        finally:
            _stage_body.reset(token)

    async def read_body(self, receive: Any) -> Any:
        from objects_app.jobs.kinds.upload.staging import StagedBody

        body = StagedBody.open() if _stage_body.get() else None
        if body is None:
            return await super().read_body(receive)
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise RequestAborted()
                if "body" in message:
                    body.write(message["body"])
                if not message.get("more_body", False):
                    break
        except BaseException:
            body.close()
            raise
        body.seek(0)
        return body

    def create_request(self, scope: Mapping[str, Any], body_file: Any) -> Any:
        from objects_app.jobs.kinds.upload.staging import StagedBody

        request, error = super().create_request(scope, body_file)
        if request is not None and isinstance(body_file, StagedBody):
            request.staged_body = body_file  # type: ignore[attr-defined]  # read by the chunk view
        return request, error


def _stages_body(scope: Scope) -> bool:
    if scope.get("type") != "http" or scope.get("method") != "PUT":
        return False
    path = scope["path"].removeprefix(scope.get("root_path", ""))
    try:
        return resolve(path).view_name in STAGED_BODY_VIEWS
    except Resolver404:
        return False


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
    django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application does
    django_app = StagingASGIHandler()
    from django.conf import settings

    return BodyReadTimeout(django_app, settings.CONSOLE_BODY_READ_TIMEOUT)


application = _build()
