# shellcheck shell=bash
# Shared by postgres.image and patroni.image: make Debian's PostgreSQL packages look like the
# Docker Official postgres image, which the StatefulPostgres constructs expect.
#   - the postgres account is uid/gid 999 (files re-owned), as in the official image;
#   - postgres, initdb, pg_ctl, pg_basebackup, ... on the PATH (/usr/lib/postgresql/15/bin);
#   - /run/postgresql writable by the group and sticky (3777), /var/lib/postgresql/data owned by 999.
official_postgres_layout() {
  local old_uid old_gid clash
  old_uid="$(awk -F: '$1 == "postgres" {print $3}' "$ROOTFS/etc/passwd")"
  old_gid="$(awk -F: '$1 == "postgres" {print $3}' "$ROOTFS/etc/group")"
  [ -n "$old_uid" ] && [ -n "$old_gid" ] || die "no postgres account in the root file system"
  clash="$(awk -F: '$3 == 999 && $1 != "postgres" {print $1}' "$ROOTFS/etc/passwd" "$ROOTFS/etc/group")"
  [ -z "$clash" ] || die "uid/gid 999 already taken by: $clash"
  sed -i "s/^postgres:\([^:]*\):$old_uid:$old_gid:/postgres:\1:999:999:/" "$ROOTFS/etc/passwd"
  sed -i "s/^postgres:\([^:]*\):$old_gid:/postgres:\1:999:/" "$ROOTFS/etc/group"
  find "$ROOTFS" -xdev -uid "$old_uid" -exec chown -h 999 {} +
  find "$ROOTFS" -xdev -gid "$old_gid" -exec chgrp -h 999 {} +
  mkdir -p "$ROOTFS/run/postgresql" "$ROOTFS/var/lib/postgresql/data"
  chown 999:999 "$ROOTFS/run/postgresql" "$ROOTFS/var/lib/postgresql" "$ROOTFS/var/lib/postgresql/data"
  chmod 3777 "$ROOTFS/run/postgresql"
  chmod 0700 "$ROOTFS/var/lib/postgresql/data"
  [ -x "$ROOTFS/usr/lib/postgresql/15/bin/postgres" ] || die "PostgreSQL 15 is not installed in the image"
}
