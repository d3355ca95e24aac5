"""Discord front end: thin adapters from interactions to the interview service."""
