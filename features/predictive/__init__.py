"""The predictive models as they are served: churn risk, purchase propensity, customer value, next order.

Everything the service needs to score a customer from her point-in-time features lives here, so that
``serving/`` loads a registered model from MLflow without importing any training code:

- :mod:`inputs` — the feature set the models read (``predictive_v1``), a customer's BTYD summary read
  from her features, and the LightGBM input matrix;
- :mod:`btyd_features` — BG/NBD and MBG/NBD (and Gamma-Gamma) turned into per-customer predictions
  over a horizon: P(at least one order), expected orders, expected spend, expected wait;
- :mod:`scorers`, :mod:`boosted` and :mod:`blend` — the candidates: rules (recency only, RFM code, last
  year's spend, rhythm), BTYD, LightGBM, LightGBM stacked on the BTYD predictions, and the blend of
  MBG/NBD and LightGBM;
- :mod:`calibration` — the monotone map from a candidate's raw score to a probability (or a value);
- :mod:`model` — :class:`~features.predictive.model.CustomerScoreModel`, what is registered:
  ``predict(features)`` and ``explain(features, top=3)``;
- :mod:`reasons` — the plain-word reason templates, one table keyed by feature name;
- :mod:`bands` — churn risk bands and their thresholds.

No MLflow here: training (``training/predictive``) builds, evaluates and registers these objects.
"""
