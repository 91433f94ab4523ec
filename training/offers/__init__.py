"""Offer response models: P(accept | customer, offer, channel) learned from the contacts history."""
