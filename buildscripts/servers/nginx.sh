# nginx from Debian with its built-in DAV module (PUT DELETE MKCOL COPY MOVE)
# and Debian's dav-ext module (PROPFIND, OPTIONS): the real WebDAV server
# HTTPStore is tested against. The .debs are only unpacked into $TOOLS_DIR,
# never installed, so no service starts and nothing outside the repo changes.
#
# Three servers run on three ports over the same directory:
#   OBJSTORE_TEST_WEBDAV_URL         WebDAV (read and write)
#   OBJSTORE_TEST_WEBDAV_STRICT_URL  WebDAV without create_full_put_path: a
#                                    PUT whose parent is missing gets 409,
#                                    as from most WebDAV servers
#   OBJSTORE_TEST_HTTP_STATIC_URL    plain static files, no DAV: reads only
NGINX_PACKAGES="nginx nginx-common libnginx-mod-http-dav-ext"

# install_nginx sets NGINX_ROOT to an unpacked nginx. Debian's security
# archive replaces old versions, so the version is whatever apt offers on the
# first run; it is then cached under its version and reused.
install_nginx() {
  local cached
  cached=$(ls -d "$TOOLS_DIR"/nginx-*/usr/sbin/nginx 2>/dev/null | sort -V | tail -n1 || true)
  if [ -n "$cached" ] && [ -f "${cached%/usr/sbin/nginx}/.complete" ]; then
    NGINX_ROOT=${cached%/usr/sbin/nginx}
    return
  fi
  command -v apt-get >/dev/null || die "nginx: apt-get is needed to download Debian's nginx packages"
  local tmp version
  tmp=$(mktemp -d)
  log "downloading Debian packages: $NGINX_PACKAGES (first run only)"
  if ! (cd "$tmp" && apt-get download $NGINX_PACKAGES >&2 2>/dev/null); then
    apt-get update -qq >&2 || die "nginx: apt-get update failed"
    (cd "$tmp" && apt-get download $NGINX_PACKAGES >&2) || die "nginx: apt-get download failed"
  fi
  version=$(dpkg-deb -f "$tmp"/nginx_*.deb Version)
  NGINX_ROOT="$TOOLS_DIR/nginx-$version"
  rm -rf "$NGINX_ROOT"
  mkdir -p "$NGINX_ROOT"
  for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$NGINX_ROOT"; done
  rm -rf "$tmp"
  "$NGINX_ROOT/usr/sbin/nginx" -V 2>&1 | grep -q -- --with-http_dav_module \
    || die "nginx: $version is built without the DAV module"
  [ -f "$NGINX_ROOT/usr/lib/nginx/modules/ngx_http_dav_ext_module.so" ] \
    || die "nginx: the dav-ext module (PROPFIND) is missing from libnginx-mod-http-dav-ext"
  touch "$NGINX_ROOT/.complete"
}

start_nginx() {
  local dav_port strict_port static_port run="$SERVERS_RUN_DIR/nginx" user_line=""
  dav_port=$(free_port)
  strict_port=$(free_port)
  static_port=$(free_port)
  mkdir -p "$run/data" "$run/tmp"
  # nginx drops privileges to "nobody" when started as root, which could
  # then not write the data directory.
  [ "$(id -u)" = 0 ] && user_line="user root root;"
  cat >"$run/nginx.conf" <<EOF
load_module $NGINX_ROOT/usr/lib/nginx/modules/ngx_http_dav_ext_module.so;
$user_line
daemon off;
master_process off;
worker_processes 1;
error_log $run/error.log warn;
pid $run/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/octet-stream;
  client_body_temp_path $run/tmp/body;
  proxy_temp_path $run/tmp/proxy;
  fastcgi_temp_path $run/tmp/fastcgi;
  uwsgi_temp_path $run/tmp/uwsgi;
  scgi_temp_path $run/tmp/scgi;
  client_max_body_size 0;
  autoindex off;
  server {
    listen 127.0.0.1:$dav_port;
    root $run/data;
    location / {
      dav_methods PUT DELETE MKCOL COPY MOVE;
      dav_ext_methods PROPFIND OPTIONS;
      create_full_put_path on;
    }
  }
  server {
    listen 127.0.0.1:$strict_port;
    root $run/data;
    location / {
      dav_methods PUT DELETE MKCOL COPY MOVE;
      dav_ext_methods PROPFIND OPTIONS;
    }
  }
  server {
    listen 127.0.0.1:$static_port;
    root $run/data;
  }
}
EOF
  "$NGINX_ROOT/usr/sbin/nginx" -p "$run" -c "$run/nginx.conf" >"$run/nginx.log" 2>&1 &
  track_pid $!
  # With autoindex off the root collection answers 403 to GET: it is up.
  wait_http "http://127.0.0.1:$dav_port/" 30 403 200
  wait_http "http://127.0.0.1:$strict_port/" 30 403 200
  wait_http "http://127.0.0.1:$static_port/" 30 403 200
  export OBJSTORE_TEST_WEBDAV_URL="http://127.0.0.1:$dav_port/"
  export OBJSTORE_TEST_WEBDAV_STRICT_URL="http://127.0.0.1:$strict_port/"
  export OBJSTORE_TEST_HTTP_STATIC_URL="http://127.0.0.1:$static_port/"
}
