"""Operations: readiness (`GET /readyz`) and Prometheus metrics (`GET /metrics`) of one replica.
May import: `core`, `storage`; the domain figures the metrics show are handed in by the composition root (app.py)."""
