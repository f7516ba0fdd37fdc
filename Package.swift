// swift-tools-version: 6.1
import PackageDescription

// Arrows point one way: thymis-tasks -> Dashboard -> TaskEngine -> NixLog.
let package = Package(
    name: "thymis-tasks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "thymis-tasks", targets: ["thymis-tasks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // Pure: bytes -> NixEvent -> NixProcessState. Imports nothing of ours.
        .target(name: "NixLog"),
        // LZ4 block compression of stored output (system library, Debian's liblz4-dev).
        .systemLibrary(name: "CLZ4", path: "Sources/CLZ4", providers: [.apt(["liblz4-dev"])]),
        // zstd compression of new output chunks (system library, Debian's libzstd-dev); LZ4 stays for reading old ones.
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", providers: [.apt(["libzstd-dev"])]),
        // Model, engine actor, process runner, task kinds, SQLite store.
        .target(
            name: "TaskEngine",
            dependencies: [
                "NixLog", "CLZ4", "CZstd",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw"),
        // The TUI: pure model, views, terminals. Uses the engine, never the reverse.
        .target(name: "Dashboard", dependencies: ["TaskEngine", "NixLog", "CNcursesw"]),
        .executableTarget(
            name: "thymis-tasks",
            dependencies: [
                "Dashboard", "TaskEngine", "NixLog",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Hand-run benchmarks (release build); never run by CI.
        .executableTarget(name: "thymis-bench", dependencies: ["TaskEngine", "NixLog"]),
        .testTarget(name: "NixLogTests", dependencies: ["NixLog"], exclude: ["Corpus"]),
        .testTarget(name: "TaskEngineTests", dependencies: ["TaskEngine", "NixLog", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "DashboardTests", dependencies: ["Dashboard", "TaskEngine"]),
        .testTarget(name: "CLITests", dependencies: ["TaskEngine"]),
    ],
    swiftLanguageModes: [.v6]
)
