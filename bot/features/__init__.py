"""Features, one package each: domain rules, service, tables, Discord commands and views."""
