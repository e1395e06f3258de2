#!/usr/bin/env python3
"""SQLite's own per-commit ceiling on this machine, for bench/ingest.sh.

One connection, WAL with synchronous=FULL (as the service), one transaction per
lead writing the same rows the service writes for the wrk body of
bench/leads.lua: the replay guard, the client, its two tag links, its custom
value, its note and its submission row (8 statements with the tag and field
look-ups; every table indexed as the service's schema makes it). Run on a copy of
the service's database after its wrk run, so the tags and the custom field exist.

    sqlite_ceiling.py DB_FILE ACCOUNT_ID SECONDS
        -> prints "<transactions per second> <p99 of one transaction, ms>"

The second figure is the floor under any p99 the service can show on this disk:
each of its answers waits for a commit like these, and a slow fsync of the WAL
delays every lead of its group.
"""

import sqlite3
import sys
import time
import uuid


def main():
    path, account, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    stamp = "2026-01-01T00:00:00.000000Z"
    done = 0
    took = []
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        began = time.monotonic()
        client, submission, note = (str(uuid.uuid4()) for _ in range(3))
        email = f"ceiling{done}-{uuid.uuid4().hex[:8]}@example.com"
        db.execute("BEGIN IMMEDIATE")
        db.execute(
            "INSERT INTO replay_guard (account_id, fingerprint, submission_id, client_id, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (account, uuid.uuid4().hex, submission, client, stamp),
        )
        db.execute(
            "INSERT INTO clients (id, account_id, submission_id, first_name, last_name, phone, smsok,"
            " email, email_key, address, city, state, zip, new_lead_notification, contact_type, created_at)"
            " VALUES (?, ?, ?, 'Ann', 'Lee', '8015551234', 1, ?, ?, '12 Main St', 'Provo', 'UT', '84601',"
            " 0, 1, ?)",
            (client, account, submission, email, email, stamp),
        )
        for position, tag in enumerate(("web", "roof")):
            db.execute(
                "INSERT INTO client_tags (client_id, tag_id, position)"
                " SELECT ?, id, ? FROM tags WHERE account_id = ? AND name_key = ?",
                (client, position, account, tag),
            )
        db.execute(
            "INSERT INTO client_custom_values (client_id, field_id, value)"
            " SELECT ?, id, 'Dark' FROM custom_fields WHERE account_id = ? AND name = 'Favorite Chocolate'",
            (client, account),
        )
        db.execute(
            "INSERT INTO notes (id, client_id, body, created_at) VALUES (?, ?, 'Roof leaks over the garage', ?)",
            (note, client, stamp),
        )
        db.execute(
            "INSERT INTO submissions (id, account_id, client_id, outcome, fields, created_at)"
            " VALUES (?, ?, ?, 'accepted', '[[\"web_key\",\"k\"],[\"firstName\",\"Ann\"]]', ?)",
            (submission, account, client, stamp),
        )
        db.execute("COMMIT")
        took.append(time.monotonic() - began)
        done += 1
    took.sort()
    p99 = took[min(len(took) - 1, int(len(took) * 0.99))] * 1000 if took else 0.0
    print(f"{done / (time.monotonic() - start):.1f} {p99:.1f}")


if __name__ == "__main__":
    main()
