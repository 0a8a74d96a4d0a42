"""The staff console at /staff/: hand-offs, tickets and the audit log, beside the channels.

Server-rendered pages (Jinja2, autoescaped: every citizen text is shown as text), a session cookie
with a timeout, a CSRF token on every form, roles (admin, supervisor, department staff who see only
their department), and a websocket for live updates.
"""

from bot.console.views import add_routes

__all__ = ["add_routes"]
