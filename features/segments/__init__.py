"""Segmentation models as scikit-learn estimators: RFM scores and named segments, value tiers and behavioural
clusters with stable names. They live in ``features`` so the service can load a registered model without
importing training code; fitting, evaluation and registration live in ``training.segments``."""
