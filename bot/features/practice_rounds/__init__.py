"""Study-group practice rounds: one question for all, answers, votes, a panel (/practice)."""
