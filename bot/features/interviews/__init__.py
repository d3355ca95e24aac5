"""Timed mock interviews: start, answer, time out, score, and the scorecard (/interview, /help)."""
