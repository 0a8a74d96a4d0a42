"""Conversation core: the domain, conversation state and the agent that runs a turn."""
