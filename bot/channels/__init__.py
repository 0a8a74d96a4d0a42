"""Channels: turn each platform's wire format into messages for the assistant and back.

`ASSISTANT` is the key under which the running application holds its `Assistant`; the channels and
the staff console read it from `request.app`.
"""

from aiohttp import web

from bot.assistant import Assistant

ASSISTANT = web.AppKey("assistant", Assistant)
CHANNELS = web.AppKey("channels", dict)  # channel name → on (its secrets are set) or off
