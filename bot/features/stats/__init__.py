"""Progress: per-user and per-server statistics, charts and the history export (/stats)."""
