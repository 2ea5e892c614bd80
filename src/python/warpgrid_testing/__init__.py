"""Test and benchmark support for the WarpGrid host; never imported by the host itself.

- ``localservers``: throwaway PostgreSQL, MariaDB and Redis servers on 127.0.0.1;
- ``proxysocket``: a socket over a database-proxy session, so unmodified Python drivers
  (pg8000, PyMySQL, redis-py) exercise the same code paths as a guest's send/recv.
"""
