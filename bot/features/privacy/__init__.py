"""Privacy: what the bot stores about a member, and forgetting it on request (/privacy)."""
