/// The device's half of a safe switch (issue 26): a POSIX shell script the engine installs in a
/// directory of its own on the device (`/var/lib/thymis-tasks/switch/TOKEN/switch.sh`) and then
/// drives over separate SSH connections. The switch and its watchdog run detached from every
/// connection (a transient systemd unit where systemd is pid 1, else `setsid`), so a configuration
/// that cuts the network, stops sshd or drops the controller's key cannot stop its own rollback,
/// and neither can an engine that dies: the device goes back by itself unless a *new* connection
/// confirms it within the timeout.
///
/// Subcommands (each prints `thymis-switch-TOKEN KEY VALUE` lines through `report`):
/// - `start PROFILE TARGET TIMEOUT ROLLBACK`: records the system before, sets the profile to TARGET
///   (a toplevel store path, a new generation; or `generation:N`, an existing one),
///   starts `run` detached, reports, then watches it (below) over the same connection.
/// - `run`: (detached) `switch-to-configuration switch`; then, with ROLLBACK=1, waits for a
///   decision: `confirm`, `abort` (its cause in `abort-cause`) or, after TIMEOUT seconds, `timeout`.
///   The decision is a symlink made with `ln -s`, which fails when it exists: the first one wins,
///   so a late confirmation cannot undo a rollback that already began.
/// - `watch`: streams the switch's output until the switch has ended, then reports.
/// - `confirm HEALTH_TIMEOUT [HEALTH_COMMAND]`: on a connection opened after the switch ended, runs
///   the health command, decides `confirm` or `abort`, waits for a rollback to finish, and reports.
///   Opened while the switch still ran, it only waits for the switch's end and reports: such a
///   connection proves nothing about the new configuration, and the engine opens another.
/// - `abort CAUSE`: asks for a rollback now (a cancelled deploy) and returns at once.
/// - `report`: the state, the cause, the systems before and now.
///
/// States (`state` file): switching, awaiting, confirmed, switched (no rollback asked),
/// switch-failed (no rollback asked), rolling-back, rolled-back, rollback-failed, and interrupted
/// (the detached process is gone before it ended: the device rebooted or someone killed it).
enum DeviceSwitchScript {
    /// Where the per-deploy directories live on the device; kept 30 days, for a person to read.
    static let baseDirectory = "/var/lib/thymis-tasks/switch"
    static let version = 1

    static let text = #"""
        #!/bin/sh
        # thymis-tasks safe switch, protocol version 1 (see DeviceSwitchScript.swift)
        set -u
        d=$(cd "$(dirname "$0")" && pwd) || exit 3
        token=$(basename "$d")
        say() { printf 'thymis-switch-%s %s\n' "$token" "$*"; }
        put() { printf '%s\n' "$2" > "$d/$1.tmp" && mv -f "$d/$1.tmp" "$d/$1"; }
        get() { cat "$d/$1" 2>/dev/null; }
        nap() { sleep 0.2 2>/dev/null || sleep 1; }
        state() { s=$(get state); echo "${s:-missing}"; }
        last_line() { [ -f "$1" ] && grep -v '^[[:space:]]*$' "$1" | tail -n 1 | tr -d '\r' | cut -c 1-300; }
        system_of() { if [ -e "$1" ] || [ -L "$1" ]; then echo "$(readlink "$1") $(readlink -f "$1")"; fi; }

        # Whether the detached process still runs: same boot, pid alive and not a zombie (an init
        # that does not reap, like a container's, leaves one behind).
        alive() {
          pid=$(get pid)
          [ -n "$pid" ] || return 0
          [ "$(get boot)" = "$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)" ] && kill -0 "$pid" 2>/dev/null || return 1
          [ -r "/proc/$pid/stat" ] || return 0
          [ "$(sed 's/.*) //' "/proc/$pid/stat" | cut -c 1)" != Z ]
        }
        # A state that waits for the detached process, whose process is gone, will never move on.
        # A switch may hang (a oneshot unit waiting for a network the new configuration broke):
        # after SWITCH_LIMIT seconds it is stopped, which counts as a failed switch (exit 124).
        SWITCH_LIMIT=1800
        bounded() {
          if command -v timeout > /dev/null 2>&1; then timeout "$SWITCH_LIMIT" "$@"; else "$@"; fi
        }
        # timeout(1) exits 124 (GNU) or 143 (busybox, the TERM it sent) when time ran out.
        timed_out() { [ "$1" -eq 124 ] || [ "$1" -eq 143 ]; }

        # The state is read again once the process is found gone: it writes its last state before it ends.
        settle() {
          case $(state) in
            switching|awaiting|rolling-back)
              alive && return
              was=$(state)
              case $was in switching|awaiting|rolling-back) put interrupted-in "$was"; put state interrupted ;; esac ;;
          esac
        }

        report() {
          settle
          say state "$(state)"
          [ -f "$d/cause" ] && say cause "$(get cause)"
          [ -f "$d/interrupted-in" ] && say interrupted-in "$(get interrupted-in)"
          [ -f "$d/switch-exit" ] && say switch-exit "$(get switch-exit)"
          [ -f "$d/rollback-exit" ] && say rollback-exit "$(get rollback-exit)"
          [ -f "$d/rollback-error" ] && say rollback-error "$(get rollback-error)"
          [ -f "$d/health.log" ] && say health-said "$(last_line "$d/health.log")"
          [ -f "$d/rollback.log" ] && say rollback-said "$(last_line "$d/rollback.log")"
          say timeout "$(get timeout)"
          say previous "$(get previous)"
          say running "$(get running)"
          say new "$(get new-system)"
          say profile "$(system_of "$(get profile)")"
        }

        # The profile back where it was, without switching (nothing was switched yet).
        restore_profile() {
          gen=$(get previous | cut -d ' ' -f 1 | sed -n 's/.*-\([0-9][0-9]*\)-link$/\1/p')
          prev=$(get previous | cut -d ' ' -f 2)
          { [ -n "$gen" ] && nix-env -p "$(get profile)" --switch-generation "$gen"; } \
            || { [ -n "$prev" ] && nix-env -p "$(get profile)" --set "$prev"; }
        }

        roll_back() {
          put state rolling-back
          p=$(get profile)
          prev=$(get previous | cut -d ' ' -f 2)
          if [ -z "$prev" ] || [ ! -x "$prev/bin/switch-to-configuration" ]; then
            put rollback-error "no previous system to go back to"
            put state rollback-failed
            return
          fi
          gen=$(get previous | cut -d ' ' -f 1 | sed -n 's/.*-\([0-9][0-9]*\)-link$/\1/p')
          {
            { [ -n "$gen" ] && nix-env -p "$p" --switch-generation "$gen"; } || nix-env -p "$p" --set "$prev"
          } > "$d/rollback.log" 2>&1 && bounded "$prev/bin/switch-to-configuration" switch >> "$d/rollback.log" 2>&1 < /dev/null
          code=$?
          put rollback-exit "$code"
          if [ "$code" -eq 0 ]; then put state rolled-back; else put state rollback-failed; fi
        }

        run() {
          # boot first: a reader that sees the pid must see the boot it belongs to.
          put boot "$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)"
          put pid "$$"
          bounded "$(get new)/bin/switch-to-configuration" switch > "$d/switch.log" 2>&1 < /dev/null
          code=$?
          put switch-exit "$code"
          if timed_out "$code"; then failed="switch-timeout $SWITCH_LIMIT"; else failed="switch $code"; fi
          if [ "$(get rollback)" != 1 ]; then
            if [ "$code" -eq 0 ]; then put state switched; else put cause "$failed"; put state switch-failed; fi
            return
          fi
          if [ "$code" -ne 0 ]; then put cause "$failed"; roll_back; return; fi
          put state awaiting
          deadline=$(( $(date +%s) + $(get timeout) ))
          until [ -L "$d/decision" ]; do
            if [ "$(date +%s)" -ge "$deadline" ]; then ln -s timeout "$d/decision" 2>/dev/null; break; fi
            nap
          done
          case $(readlink "$d/decision") in
            confirm) put state confirmed ;;
            timeout) put cause "timeout $(get timeout)"; roll_back ;;
            *) put cause "$(get abort-cause)"; roll_back ;;
          esac
        }

        start() {
          put profile "$1"; put timeout "$3"; put rollback "$4"
          put previous "$(system_of "$1")"
          if [ -e /run/current-system ]; then put running "$(readlink -f /run/current-system)"; else put running ""; fi
          case $2 in
            generation:*) nix-env -p "$1" --switch-generation "${2#generation:}" ;;
            *) nix-env -p "$1" --set "$2" ;;
          esac || { echo "nix-env could not set the profile $1 to $2" >&2; exit 3; }
          put new "$(readlink -f "$1")"
          put new-system "$(system_of "$1")"
          put state switching
          if [ -d /run/systemd/system ] && command -v systemd-run > /dev/null 2>&1; then
            systemd-run --quiet --collect --unit "thymis-switch-$token" --setenv=PATH="$PATH" /bin/sh "$d/switch.sh" run \
              || { restore_profile; put cause "switch 127"; put state switch-failed; report; echo "systemd-run could not start the switch" >&2; exit 4; }
          else
            setsid /bin/sh "$d/switch.sh" run < /dev/null > /dev/null 2>&1 &
          fi
          # Old deploys' directories go after 30 days.
          find "$(dirname "$d")" -mindepth 1 -maxdepth 1 -type d -mtime +30 -exec rm -rf {} + 2>/dev/null
          # The detached process records its pid first thing; until then it counts as alive.
          i=0; while [ ! -f "$d/pid" ] && [ $i -lt 50 ]; do nap; i=$((i + 1)); done
          if [ ! -f "$d/pid" ]; then put interrupted-in "starting"; put state interrupted; fi
          report
          # Watched from this connection, made before the switch began: one made after it might
          # already be refused by the new configuration.
          watch
        }

        watch() {
          off=0
          while :; do
            settle
            s=$(state)
            if [ -f "$d/switch.log" ]; then
              size=$(wc -c < "$d/switch.log")
              if [ "$size" -gt "$off" ]; then tail -c +$((off + 1)) "$d/switch.log" | head -c $((size - off)); off=$size; fi
            fi
            [ "$s" = switching ] || break
            nap
          done
          echo
          report
        }

        confirm() {
          settle
          if [ "$(state)" = switching ]; then
            # Opened before the switch ended: it proves nothing. Wait, report, let the engine reconnect.
            while settle; [ "$(state)" = switching ]; do nap; done
            report
            return
          fi
          if [ "$(state)" = awaiting ]; then
            if [ $# -ge 2 ] && [ -n "$2" ]; then
              say health-start "$1"
              if command -v timeout > /dev/null 2>&1; then
                timeout "$1" /bin/sh -c "$2" > "$d/health.log" 2>&1 < /dev/null; hc=$?
              else
                /bin/sh -c "$2" > "$d/health.log" 2>&1 < /dev/null; hc=$?
              fi
              tail -c 65536 "$d/health.log"; echo
              if timed_out "$hc" && command -v timeout > /dev/null 2>&1; then put abort-cause "health-timeout $1"
              elif [ "$hc" -ne 0 ]; then put abort-cause "health $hc"; fi
              [ "$hc" -ne 0 ] && ln -s abort "$d/decision" 2>/dev/null
            fi
            ln -s confirm "$d/decision" 2>/dev/null
            while settle; [ "$(state)" = awaiting ]; do nap; done
          fi
          while settle; [ "$(state)" = rolling-back ]; do nap; done
          [ -f "$d/rollback.log" ] && { tail -c 65536 "$d/rollback.log"; echo; }
          report
        }

        abort() {
          put abort-cause "$1"
          ln -s abort "$d/decision" 2>/dev/null
          report
        }

        command=${1:-report}; [ $# -gt 0 ] && shift
        case $command in
          start|run|watch|confirm|abort|report) "$command" "$@" ;;
          *) echo "switch.sh: unknown subcommand $command" >&2; exit 2 ;;
        esac
        """#

    /// What a switch puts the profile on.
    enum SwitchTarget: Sendable, Equatable {
        /// A toplevel in the device's store: a new generation (Deploy to Device).
        case toplevel(String)
        /// A generation the profile has (Roll Back Device).
        case generation(Int)

        var scriptArgument: String {
            switch self {
            case .toplevel(let path): return path
            case .generation(let number): return "generation:\(number)"
            }
        }
    }

    /// The directory of one deploy on the device.
    static func directory(token: String) -> String { baseDirectory + "/" + token }

    /// Installs the script and starts the switch, in one SSH session.
    static func startCommand(token: String, profile: String, target: SwitchTarget, confirmTimeout: Int, rollback: Bool) -> String {
        let dir = Shell.quoted(directory(token: token))
        return "umask 077 && mkdir -p \(Shell.quoted(baseDirectory)) && mkdir \(dir) && printf '%s\\n' \(Shell.quoted(text)) > \(dir)/switch.sh && "
            + "/bin/sh \(dir)/switch.sh start \(Shell.quoted(profile)) \(Shell.quoted(target.scriptArgument)) \(confirmTimeout) \(rollback ? 1 : 0)"
    }

    /// A later subcommand of the script installed for `token`.
    static func command(token: String, _ subcommand: String, _ arguments: [String] = []) -> String {
        (["/bin/sh", directory(token: token) + "/switch.sh", subcommand] + arguments).map(Shell.quoted).joined(separator: " ")
    }
}
