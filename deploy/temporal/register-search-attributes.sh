#!/bin/sh
# One-shot job of the compose stack (service temporal-admin-tools).
# Waits for the namespace that auto-setup creates, then registers OpsFlow's search
# attributes. Idempotent: an attribute already registered is left alone, so every
# `docker compose up` can run it again. Workers start only after it exits 0, because a
# workflow upserting an unregistered attribute fails its workflow task.
set -eu

NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
# name:type; OpsQuestion is free text (the question), the others exact values.
ATTRIBUTES="TenantId:Keyword OpsStatus:Keyword OpsError:Keyword OpsQuestion:Text"

tries=0
until temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 90 ]; then
    echo "namespace $NAMESPACE not ready after 180s" >&2
    exit 1
  fi
  sleep 2
done

for pair in $ATTRIBUTES; do
  attr="${pair%%:*}"
  type="${pair#*:}"
  if temporal operator search-attribute list --namespace "$NAMESPACE" | grep -qw "$attr"; then
    echo "search attribute $attr: already registered"
  else
    temporal operator search-attribute create --namespace "$NAMESPACE" --name "$attr" --type "$type"
    echo "search attribute $attr: registered"
  fi
done
