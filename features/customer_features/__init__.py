"""Point-in-time customer features: :func:`build.build_customer_features` and the named feature sets."""
