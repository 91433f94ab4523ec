"""The BentoML service: loads registered models and answers requests. Imports ``features`` and the
models' own packages, never ``training``."""
