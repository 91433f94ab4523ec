"""Retargeting lists at a cutoff: the intent and customer scores turned into per-channel lists."""
