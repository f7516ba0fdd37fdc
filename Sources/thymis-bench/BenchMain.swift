import Foundation

/// Hand-run benchmarks (release build, never in CI): `thymis-bench nixlog FILE`, `thymis-bench capture [BYTES [text|random|build]] | buildlog [BYTES] | writes [SECONDS [LINES_PER_SECOND [TASKS]]] | store [CHUNKS] | nixbuild [LINES] | load [TASKS] [--state-dir DIR] | prune [BYTES [build|random [TASKS]]]`.
@main
enum BenchMain {
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case "nixlog": runNixLogBench(arguments: Array(arguments.dropFirst()))
        case "capture": await runCaptureBench(arguments: Array(arguments.dropFirst()))
        case "buildlog":
            // A compiler-style build log on stdout, e.g. for `zstd -b1e3 -B256KiB FILE`.
            let bytes = arguments.dropFirst().first.flatMap(Int.init) ?? (64 << 20)
            FileHandle.standardOutput.write(Data(BuildLogText.generate(bytes: bytes)))
        case "writes": await runWriteBench(arguments: Array(arguments.dropFirst()))
        case "store": runStoreBench(arguments: Array(arguments.dropFirst()))
        case "nixbuild": await runNixBuildBench(arguments: Array(arguments.dropFirst()))
        case "load": await runLoadBench(arguments: Array(arguments.dropFirst()))
        case "prune": await runPruneBench(arguments: Array(arguments.dropFirst()))
        default:
            FileHandle.standardError.write(Data("usage: thymis-bench nixlog FILE [--repeat N] [--stream-copies K] | capture [BYTES [text|random|build]] | buildlog [BYTES] | writes [SECONDS [LINES_PER_SECOND [TASKS]]] | store [CHUNKS] | nixbuild [LINES] | load [TASKS] [--state-dir DIR] | prune [BYTES [build|random [TASKS]]]\n".utf8))
            exit(2)
        }
    }
}
