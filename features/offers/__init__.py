"""Marketing offers: the offer catalogue (YAML), its validation and eligibility rules."""
