"""Terminal front end: practice interviews without Discord, on the same engine and database."""
