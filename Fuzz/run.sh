#!/usr/bin/env bash
# Builds one libFuzzer target from the repository's own sources and runs it on a copy of its seeds.
#   Fuzz/run.sh nixlog|streambuffer|sanitizer [SECONDS] [extra libFuzzer flags...]
# SECONDS defaults to 600; 0 only builds. Extra flags go to libFuzzer, e.g. a crash file to replay it.
# The binary, the working corpus and crash files go to .build-fuzz/<target>/ (gitignored); seeds in
# Fuzz/corpus/<target>/ are never written to. A crash leaves crash-<sha1> there and exits non-zero.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${1:?usage: Fuzz/run.sh nixlog|streambuffer|sanitizer [SECONDS] [libFuzzer flags...]}
seconds=${2:-600}
shift $(( $# >= 2 ? 2 : 1 ))

# Only the files each target needs: the parser is pure, StreamBuffer and the sanitizer are compiled
# without the rest of their modules (no GRDB, no ncurses window code).
case "$target" in
nixlog)
    sources=("$root"/Sources/NixLog/*.swift "$root/Fuzz/NixLogFuzz.swift")
    flags=() ;;
streambuffer)
    sources=("$root/Sources/TaskEngine/Process/StreamBuffer.swift"
             "$root/Sources/TaskEngine/Model/OutputStreamName.swift"
             "$root/Sources/TaskEngine/Process/OutputChunk.swift" "$root/Fuzz/StreamBufferFuzz.swift")
    flags=() ;;
sanitizer)
    terminal="$root/Sources/Dashboard/Terminal"
    sources=("$terminal/StyledText.swift" "$terminal/TerminalText.swift" "$terminal/TextStyle.swift"
             "$terminal/TerminalColor.swift" "$terminal/SelectGraphicRendition.swift"
             "$root/Fuzz/SanitizerFuzz.swift")
    # TerminalText takes wcwidth through the CNcursesw shim, as the package does.
    flags=(-I "$root/Sources/CNcursesw") ;;
*)
    echo "unknown target $target (nixlog, streambuffer or sanitizer)" >&2
    exit 2 ;;
esac

out="$root/.build-fuzz/$target"
mkdir -p "$out/corpus"
swiftc -sanitize=fuzzer,address -parse-as-library -O -swift-version 6 -module-name "Fuzz_$target" \
    ${flags[@]+"${flags[@]}"} "${sources[@]}" -o "$out/fuzz-$target" 2> >(grep -v "Cannot export local symbol" >&2)
[[ $seconds == 0 ]] && exit 0
cp -n "$root/Fuzz/corpus/$target"/* "$out/corpus/" 2>/dev/null || true

dictionary="$root/Fuzz/$target.dict"
[[ -f $dictionary ]] && set -- -dict="$dictionary" "$@"

cd "$out"
# Swift's own backtracer would run inside ASan on a fatal error and hang or report itself.
export SWIFT_BACKTRACE=enable=no
exec ./"fuzz-$target" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$out/" "$@" corpus
