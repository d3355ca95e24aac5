"""Mock interviews for Machine Learning Engineer candidates: Discord bot and terminal practice."""

__version__ = "0.1.0"
