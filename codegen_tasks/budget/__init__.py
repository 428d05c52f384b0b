"""Budgets that hold under concurrency: a call reserves its maximum cost against every
budget that applies before it is sent, and the answer settles the reservation."""
