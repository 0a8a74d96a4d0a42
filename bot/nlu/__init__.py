"""Understanding a message: intent, entities, the item asked about, the aspect and the mood."""

from bot.nlu.interpreter import Interpreter, ParseResult

__all__ = ["Interpreter", "ParseResult"]
