#!/bin/sh
# Compress per-run logs older than 7 days, delete those older than 365 days.
# Run daily from cron (`30 12 * * * /opt/xxgk-archive/deploy/xxgk-runs-cleanup.sh /srv/xxgk`)
# or as ExecStartPost= of the service. Never touches records/, raw/ or archive.db.
set -eu
home="${1:-${XXGK_HOME:-./data}}"
runs="$home/runs"
[ -d "$runs" ] || exit 0
find "$runs" -maxdepth 1 -type f -name '*.log' -mtime +7 -exec gzip -9 {} +
find "$runs" -maxdepth 1 -type f -name '*.log.gz' -mtime +365 -delete
