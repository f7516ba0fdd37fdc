#!/bin/sh
# run.sh ARGS...: nix 2.26 from the device root, in an overlay (the cached root stays untouched), cwd /proj
R=/var/cache/thymis-tasks/device-root-trixie
unshare --mount --fork sh -c '
  mount -t overlay overlay -o lowerdir='$R',upperdir=${CAPTURE_DIR:-/tmp/n226}/upper,workdir=${CAPTURE_DIR:-/tmp/n226}/work ${CAPTURE_DIR:-/tmp/n226}/merged &&
  mount -t proc proc ${CAPTURE_DIR:-/tmp/n226}/merged/proc && mount --rbind /dev ${CAPTURE_DIR:-/tmp/n226}/merged/dev && mkdir -p ${CAPTURE_DIR:-/tmp/n226}/merged/proj && mount --bind ${CAPTURE_DIR:-/tmp/n226}/proj ${CAPTURE_DIR:-/tmp/n226}/merged/proj &&
  exec chroot ${CAPTURE_DIR:-/tmp/n226}/merged /bin/sh -c "cd /proj && exec nix \"\$@\"" nix "$@"' sh "$@"
