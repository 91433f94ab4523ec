"""Purchase intent: P(purchase within 7 days) of a web/app visitor from their recent events.

One feature function (:func:`features.intent.realtime.intent_vector`) serves the batch path
(:func:`features.intent.batch.intent_frame`, from the ``events`` table at a cutoff) and the real-time
path (the events the service receives), so training and serving read the same numbers.
"""
