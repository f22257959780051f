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
# and a fourth over TLS, with a certificate from a CA made for this run:
#   OBJSTORE_TEST_HTTPS_URL          WebDAV over https (certificate for 127.0.0.1)
#   OBJSTORE_TEST_HTTPS_CA_FILE      the CA's certificate (PEM), trusted by no system
# Every server answers GET /_echo/x-objstore-probe with the request's
# X-Objstore-Probe header as the body (to see what a client sends).
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

# make_test_ca DIR: a throwaway CA (ca.pem) and a certificate for 127.0.0.1
# and localhost signed by it (server.pem, server.key), valid for two days.
make_test_ca() {
  local dir=$1
  command -v openssl >/dev/null || die "nginx: openssl is needed to make the test CA"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=objstore test CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign" -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=127.0.0.1" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 2 -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null
}

start_nginx() {
  local dav_port strict_port static_port tls_port run="$SERVERS_RUN_DIR/nginx" user_line=""
  dav_port=$(free_port)
  strict_port=$(free_port)
  static_port=$(free_port)
  tls_port=$(free_port)
  mkdir -p "$run/data" "$run/tmp" "$run/tls"
  make_test_ca "$run/tls"
  # The WebDAV server's locations, over http and over TLS alike.
  local dav_locations='location / {
      dav_methods PUT DELETE MKCOL COPY MOVE;
      dav_ext_methods PROPFIND OPTIONS;
      create_full_put_path on;
    }
    location = /_echo/x-objstore-probe { return 200 "$http_x_objstore_probe"; }'

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
    $dav_locations
  }
  server {
    listen 127.0.0.1:$tls_port ssl;
    ssl_certificate $run/tls/server.pem;
    ssl_certificate_key $run/tls/server.key;
    root $run/data;
    $dav_locations
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
    location = /_echo/x-objstore-probe { return 200 "\$http_x_objstore_probe"; }
  }
}
EOF
  "$NGINX_ROOT/usr/sbin/nginx" -p "$run" -c "$run/nginx.conf" >"$run/nginx.log" 2>&1 &
  track_pid $!
  # With autoindex off the root collection answers 403 to GET: it is up.
  wait_http "http://127.0.0.1:$dav_port/" 30 403 200
  wait_http "http://127.0.0.1:$strict_port/" 30 403 200
  wait_http "http://127.0.0.1:$static_port/" 30 403 200
  curl -s -o /dev/null --cacert "$run/tls/ca.pem" "https://127.0.0.1:$tls_port/" \
    || die "nginx: the TLS server does not answer with the test CA's certificate"
  export OBJSTORE_TEST_WEBDAV_URL="http://127.0.0.1:$dav_port/"
  export OBJSTORE_TEST_WEBDAV_STRICT_URL="http://127.0.0.1:$strict_port/"
  export OBJSTORE_TEST_HTTP_STATIC_URL="http://127.0.0.1:$static_port/"
  export OBJSTORE_TEST_HTTPS_URL="https://127.0.0.1:$tls_port/"
  export OBJSTORE_TEST_HTTPS_CA_FILE="$run/tls/ca.pem"
}
