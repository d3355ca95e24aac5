"""The daily question: a guild channel post or a DM at a chosen time, answers, streaks (/daily)."""
