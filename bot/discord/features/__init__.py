"""Bot features, one module (or package) each, discovered at start-up.

Each exposes ``async def setup(bot: MockInterviewBot) -> None`` that adds its cogs, dynamic
items and background tasks; nothing else needs editing to add a feature.
"""
