#!/bin/sh
# The dashboard under a burst, with the real binaries (by hand; figures in docs/performance.md):
# `serve` on a fresh state directory, 4 clients each running `submit ssh-command` N times (to a
# closed loopback port, so every task fails in a few ms), one read-only dashboard in tmux from
# the start (its frame stats, THYMIS_TASKS_FRAME_STATS) and a second one opened when half the
# tasks are in (the time until its first frame shows, polled with capture-pane every 10 ms).
# Usage: scripts/dashboard-burst.sh BINARY [TASKS_PER_CLIENT (500)]
set -eu
bin=$(realpath "$1")
per_client=${2:-500}
dir=$(mktemp -d /tmp/dashboard-burst.XXXXXX)
state=$dir/state
printf 'not a key\n' > "$dir/key"
: > "$dir/known_hosts"
"$bin" serve --state-dir "$state" 2> "$dir/serve.log" &
serve=$!
sleep 1
session=burst$$
tmux new-session -d -s "$session" -x 120 -y 40 \
    "THYMIS_TASKS_FRAME_STATS=$dir/frames.txt $bin --state-dir $state --read-only"
started=$(date +%s.%N)
for client in 1 2 3 4; do
    (
        i=0
        while [ "$i" -lt "$per_client" ]; do
            "$bin" submit ssh-command --state-dir "$state" --host 127.0.0.1 --port 1 --identity "$dir/key" \
                --known-hosts "$dir/known_hosts" --connect-timeout 1 -- echo "$client-$i" > /dev/null
            echo x >> "$dir/submitted.$client"
            i=$((i + 1))
        done
    ) &
done
half=$((per_client * 2))
while [ "$(cat "$dir"/submitted.* 2> /dev/null | wc -l)" -lt "$half" ]; do sleep 0.1; done
tmux new-window -t "$session" "$bin --state-dir $state --read-only"
opened=$(date +%s.%N)
until tmux capture-pane -p -t "$session:1" | grep -q "Tasks"; do sleep 0.01; done
shown=$(date +%s.%N)
wait_for_clients() { while [ "$(cat "$dir"/submitted.* | wc -l)" -lt $((per_client * 4)) ]; do sleep 0.5; done; }
wait_for_clients
unfinished() { "$bin" list --state-dir "$state" --state "$1" --limit 1 --json | grep -q '"id"'; }
while unfinished pending || unfinished running; do sleep 0.5; done
ended=$(date +%s.%N)
sleep 1
tmux send-keys -t "$session:1" q
tmux send-keys -t "$session:0" q
sleep 1
tmux kill-session -t "$session" 2> /dev/null || true
kill "$serve"
wait "$serve" || true
echo "tasks: $((per_client * 4)) in $(echo "$ended - $started" | bc) s"
echo "first open mid-burst: $(echo "($shown - $opened) * 1000" | bc) ms"
echo "dashboard from the start: $(cat "$dir/frames.txt")"
rm -rf "$dir"
