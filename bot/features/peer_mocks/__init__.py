"""Peer mock interviews: a queue pairs two members, one asks and one answers, both rate (/mock)."""
