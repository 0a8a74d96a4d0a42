"""zwbot's business actions: what the dialogue does once it knows what the citizen wants.

Actions program against the small surface in `actions.sdk` (Tracker, Dispatcher, Action,
Services); the engine in `bot.core` calls them.
"""
