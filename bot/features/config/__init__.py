"""Server settings: the moderator role, bundled questions on or off, who may moderate (/config)."""
