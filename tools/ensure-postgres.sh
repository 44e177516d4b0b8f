#!/usr/bin/env bash
# Start the local PostgreSQL cluster if it is not accepting connections (tests need a real one).
set -euo pipefail
host=${FUPIN_PG_HOST:-127.0.0.1}
if pg_isready -q -h "$host" -p 5432; then exit 0; fi
if command -v pg_ctlcluster >/dev/null 2>&1; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
for _ in $(seq 1 30); do pg_isready -q -h "$host" -p 5432 && exit 0; sleep 1; done
echo "PostgreSQL is not running on $host:5432 (tests need it)" >&2
exit 1
