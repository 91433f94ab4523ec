"""The base layer: the data contract, loading and validation, the synthetic retailer, importers of public
data sets and point-in-time customer features. Pure functions on pandas frames; no MLflow, no BentoML."""
