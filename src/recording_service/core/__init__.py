"""The core every domain stands on, and which knows no domain.

Settings and the application-scoped dependencies (`config`, `deps`), the database session and its unit of
work (`db`), principals and roles (`principals`), problems (RFC 9457, `problems`), pagination, time, values
and request base models, identifiers and hashing, the shared throttle and the public request budget
(`throttle`, `public_side`), in-process events (`events`), sheet reading (`sheets`), fault points for the
crash tests (`faults`), the HTTP server's head guard (`http_server`), migrations (`migrate`) and the
allocator tuning (`runtime`).

May import: the standard library, third-party libraries, `recording_service.storage` (the store protocol).
Never a domain package (checked by tests/unit/test_structure.py).
"""
