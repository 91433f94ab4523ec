"""Retargeting and follow-up decisions: who to contact, on which consented channel, when and with what.

Pure functions over frames (batch lists) and plain values (the real-time :func:`realtime.follow_up`);
scores come in as inputs, so nothing here needs MLflow. Consent is asked of
:mod:`features.consent_gate`, the one shared gate.
"""
