"""Reaching a WeChat citizen outside a turn (staff replies, ticket updates, case status changes).

WeChat allows customer-service messages only within 48 hours of the citizen's last message; after
that, only a template message (template ids from credentials.yml, field layouts from wechat.yml).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

from bot.assistant import Assistant
from bot.channels.wechat.api import WeChatApi, WeChatApiError
from bot.channels.wechat.formatting import MAX_PARTS, wechat_parts
from bot.channels.wechat.settings import WeChatSettings
from bot.core.agent import Notice

CHANNEL = "wechat"
CUSTOMER_SERVICE_WINDOW = timedelta(hours=48)
MAX_TEMPLATE_VALUE_CHARS = 200
# WeChat's own word that the window is shut after all (reply time limit; too many messages since the
# citizen last wrote): then a template message is the way left.
WINDOW_CLOSED = {45015, 45047}


async def send_parts(api: WeChatApi, openid: str, parts: list[str]) -> None:
    for part in parts[:MAX_PARTS]:
        await api.send_text(openid, part)


def template_fields(layout: dict[str, str], values: dict[str, object]) -> dict[str, str]:
    """The template's fields filled from the notification (a field it does not know stays empty)."""
    known = defaultdict(str, {key: str(value) for key, value in values.items() if value is not None})
    return {name: str(text).format_map(known)[:MAX_TEMPLATE_VALUE_CHARS] for name, text in layout.items()}


class WeChatCourier:
    """The WeChat channel's `deliver` for the courier."""

    def __init__(self, api: WeChatApi, settings: WeChatSettings) -> None:
        self.api, self.settings = api, settings

    async def __call__(self, assistant: Assistant, openid: str, notices: list[Notice]) -> list[Notice]:
        last = await assistant.last_message_at(CHANNEL, openid)
        if last is not None and datetime.now(timezone.utc) - last < CUSTOMER_SERVICE_WINDOW:
            try:
                await send_parts(self.api, openid, wechat_parts(assistant.as_text([n.message for n in notices])))
                return []
            except WeChatApiError as error:
                if error.code not in WINDOW_CLOSED:
                    raise
        return await self._by_template(openid, notices)

    async def _by_template(self, openid: str, notices: list[Notice]) -> list[Notice]:
        """Template messages; the notices without a template are returned (they wait)."""
        undeliverable = []
        for notice in notices:
            template_id = self.settings.template_ids.get(notice.kind)
            layout = self.settings.templates.get(notice.kind)
            if not template_id or not layout:
                undeliverable.append(notice)  # waits for the citizen's next message
                continue
            await self.api.send_template(openid, template_id, template_fields(layout, notice.values))
        return undeliverable
