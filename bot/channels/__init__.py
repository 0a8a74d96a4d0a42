"""Channels: turn each platform's wire format into messages for the assistant and back."""
