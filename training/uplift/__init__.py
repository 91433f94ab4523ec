"""Uplift models: who buys *because of* a campaign, learned from the control groups."""
