#!/bin/sh
# After `xxgk build` replaced archive.db: restart the Datasette processes one at a time (nginx
# keeps serving from the others and from its cache), then empty nginx's page cache.
# Started by xxgk-serve-reload.path (archive.db replaced) through xxgk-serve-reload.service.
set -eu
CACHE_DIR=${XXGK_NGINX_CACHE:-/var/cache/nginx/xxgk}
for unit in $(systemctl list-units --plain --no-legend 'xxgk-serve@*.service' 'xxgk-serve-sql@*.service' \
              | awk '{print $1}'); do
    systemctl restart "$unit"
    sleep 2
done
find "$CACHE_DIR" -type f -delete 2>/dev/null || true
