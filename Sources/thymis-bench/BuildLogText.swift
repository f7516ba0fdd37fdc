import Foundation

/// A compiler-style build log (the output of a C/C++ build inside Nix: compiler command lines with
/// store paths and hashes, progress lines, warnings with file:line:column), deterministic for a seed.
/// The store paths repeat as they do in a real build (a few dozen dependencies), file names vary.
enum BuildLogText {
    static func generate(bytes: Int, seed: UInt64 = 12) -> [UInt8] {
        var random = SplitMix(state: seed)
        let alphabet = Array("0123456789abcdfghijklmnpqrsvwxyz".utf8)
        let packages = ["glibc-2.37-8-dev", "zlib-1.3-dev", "openssl-3.0.12-dev", "curl-8.4.0-dev", "libxml2-2.11.5-dev",
                        "sqlite-3.43.1-dev", "boost-1.81.0-dev", "gcc-12.3.0", "binutils-2.40", "pkg-config-0.29.2",
                        "ncurses-6.4-dev", "readline-8.2p1-dev", "libffi-3.4.4-dev", "systemd-254.6-dev", "dbus-1.14.10-dev",
                        "glib-2.78.1-dev", "libuv-1.46.0-dev", "nghttp2-1.57.0-dev", "brotli-1.1.0-dev", "xz-5.4.4-dev"]
        let storePaths = packages.map { package -> String in
            "/nix/store/" + String(decoding: (0..<32).map { _ in alphabet[Int(random.next() % 32)] }, as: UTF8.self) + "-" + package
        }
        let directories = ["src", "src/core", "src/net", "src/util", "src/store", "src/ui", "lib/parse", "lib/io", "tests/unit", "tools"]
        let words = ["buffer", "parser", "socket", "config", "engine", "stream", "table", "index", "cache", "queue", "signal",
                     "worker", "client", "server", "record", "format", "digest", "thread", "memory", "logger"]
        let warnings = ["unused variable 'result' [-Wunused-variable]", "comparison of integer expressions of different signedness: 'int' and 'size_t' [-Wsign-compare]",
                        "'%s' directive output may be truncated writing up to 255 bytes [-Wformat-truncation=]",
                        "implicit conversion loses integer precision: 'long' to 'int' [-Wshorten-64-to-32]",
                        "unused parameter 'context' [-Wunused-parameter]"]
        var output: [UInt8] = []
        output.reserveCapacity(bytes + 1024)
        var step = 0
        while output.count < bytes {
            step += 1
            let directory = directories[Int(random.next() % UInt64(directories.count))]
            let file = words[Int(random.next() % UInt64(words.count))] + "_" + words[Int(random.next() % UInt64(words.count))]
            let percent = min(100, output.count * 100 / max(bytes, 1))
            var line: String
            switch random.next() % 10 {
            case 0...3:
                let includes = (0..<(3 + Int(random.next() % 5))).map { _ in "-I" + storePaths[Int(random.next() % UInt64(storePaths.count))] + "/include" }
                line = "gcc -DHAVE_CONFIG_H -I. -I../include \(includes.joined(separator: " ")) -O2 -g -Wall -Wextra -fPIC -c \(directory)/\(file).c -o build/\(directory)/\(file).o"
            case 4...6:
                line = "[\(String(format: "%3d", percent))%] Building C object \(directory)/CMakeFiles/\(file).dir/\(file).c.o"
            case 7:
                line = "\(directory)/\(file).c:\(1 + random.next() % 2000):\(1 + random.next() % 80): warning: \(warnings[Int(random.next() % UInt64(warnings.count))])"
            case 8:
                line = "  CC       \(directory)/\(file).lo"
            default:
                line = "libtool: link: gcc -shared -fPIC -DPIC build/\(directory)/.libs/\(file).o -L\(storePaths[Int(random.next() % UInt64(storePaths.count))])/lib -lz -lssl -lcrypto -Wl,-soname -Wl,lib\(file).so.\(step % 7) -o .libs/lib\(file).so.\(step % 7).0.\(step % 13)"
            }
            output.append(contentsOf: line.utf8)
            output.append(10)
        }
        return Array(output.prefix(bytes))
    }
}

/// A small deterministic PRNG (SplitMix64) so every run generates the same log.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
