from ._fixtures import fake_discord, world

__all__ = ["fake_discord", "world"]
