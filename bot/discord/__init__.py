"""Discord kernel: the client, the error guard, shared embeds and component pieces."""
