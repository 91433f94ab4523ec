"""Privacy by design: erasure tombstones, retention periods and the audit trail, applied where data is
loaded and acted on (see the README's privacy section)."""
