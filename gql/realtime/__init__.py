"""Realtime: from a committed change to every subscriber who may see it.

The event path, one module each, in the order an event takes:

1. `listener`  - one dedicated connection LISTENs for change positions and reconnects when
                 it is lost; a notification only says "there is more".
2. `change_log` - reads the change log in position order through the pool; every read rides
                 out a database outage (retried, never skipped).
3. `fanout`    - the recent changes every subscription of this process shares, each
                 subscription with its own position in them; one that fell behind the window
                 reads the log instead of being dropped.
4. `hub`       - one per process: ties 1-3 together, tells other processes through a
                 broadcast backend (`backends`: in-memory or Redis), prunes the log.
5. `feed`      - one subscriber's stream: replay after its cursor, then live, each change
                 re-read under the subscriber's own role and claims, with a tombstone only
                 for those who could see the object before.

The GraphQL side (`gql/schema/changes.py`) turns what `feed` yields into events, and
`gql/schema/shared_events.py` executes each event in a unit of work of its own.
"""
