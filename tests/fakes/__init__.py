"""Local stand-ins for the platforms' servers (WeChat, Weibo, Telegram), speaking their wire formats.

Each fake records every request exactly as it arrived (method, path, query, headers, raw body) so
tests can check what zwbot sends byte for byte, and answers as the platform documents.
"""
