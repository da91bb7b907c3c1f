"""`python -m bot demo`: the real bot against a local emulated Discord, printing a scripted fan-server session.

The only part of `bot/` that imports the emulator (`fakediscord`), and only when the demo is asked for:
`python -m bot run` never imports this package.
"""

from bot.demo.tour import run_demo

__all__ = ["run_demo"]
