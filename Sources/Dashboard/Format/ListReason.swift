import Foundation
import TaskEngine

extension TaskFormat {
    /// A failed task's reason as a list row shows it: the first line, with a builder failure said in
    /// the words that matter (`build failed: nixos-system-kiosk: builder exit 3`) and every store path
    /// cut to its name. A row's width went to `builder for '/nix/store/nh23s49w…` and the derivation's
    /// name and exit code were cut off (issue 30). `show` and `--json` keep the whole reason.
    public static func listReason(_ record: TaskRecord) -> String? {
        record.failureHeadline.map(shortReason)
    }

    /// `shortReason` of one line of reason text.
    public static func shortReason(_ headline: String) -> String {
        // A builder failure in Nix's words (2.8: `builder for '<drv>' failed with exit code 3`; 2.19 and
        // later: `Cannot build '<drv>'. Reason: builder failed with exit code 3.`), after a remote
        // builder's `build of '<drv>' on '<machine>' failed: ` and nix's own exit status (which says
        // nothing the builder's does not), becomes `NAME[ on MACHINE]: builder exit N`.
        let builder = #/(?:nix exited with \d+: )?(?:build of '[^']+\.drv' on '(?<machine>[^']*)' failed: )?(?:builder for|[Cc]annot build) '(?<drv>[^']+\.drv)'[^;]*? failed with exit code (?<code>\d+)\.?/#
        var text = headline.replacing(builder) { match in
            FailureCause.derivationName(String(match.output.drv)) + (match.output.machine.map { " on \($0)" } ?? "")
                + ": builder exit \(match.output.code)"
        }
        // Nix ends the sentence with ";" before the log lines that went to the reason's next lines.
        while text.hasSuffix(";") || text.hasSuffix(" ") { text.removeLast() }
        return withoutStoreHashes(text)
    }

    /// `/nix/store/<hash>-name.drv` -> `name` wherever a store path stands in `text`.
    static func withoutStoreHashes(_ text: String) -> String {
        text.replacing(#/\/nix\/store\/[0-9a-z]{32}-(?<name>[^\s'"\/;,)]+?)(?:\.drv)?(?=[\s'"\/;,)]|$)/#) { String($0.output.name) }
    }
}
