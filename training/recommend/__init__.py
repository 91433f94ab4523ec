"""Training and evaluation of the product recommender on a time split."""
