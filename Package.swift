// swift-tools-version:6.1
import PackageDescription

// Layout, bottom to top:
//   ArborCore      pure keys, formats and cryptography: no file, network or clock access
//   ArborCustody   pure root custody: Shamir over GF(256), SLIP-39, LMS/HSS (RFC 8554)
//   ArborKeyStore  files on disk: 0600 key files, atomic writes, trust store, passphrase input
//   ArborServer    the node: Hummingbird routes, SQLite store (GRDB), tokens and policies
//   arbor          the command-line tool (CArborSystem: allocator settings from C)
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Arbor",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ArborCore", targets: ["ArborCore"]),
        .library(name: "ArborCustody", targets: ["ArborCustody"]),
        .library(name: "ArborSeal", targets: ["ArborSeal"]),
        .executable(name: "arbor", targets: ["arbor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // The node (ArborServer).
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "ArborCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ArborCustody",
            dependencies: [
                "ArborCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ArborSeal",
            dependencies: [
                "ArborCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ArborKeyStore",
            dependencies: ["ArborCore"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ArborServer",
            dependencies: [
                "ArborCore",
                "ArborKeyStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // glibc's allocator thresholds for the streaming commands (malloc.h is not in Swift's Glibc).
        .target(name: "CArborSystem"),
        .executableTarget(
            name: "arbor",
            dependencies: [
                "CArborSystem",
                "ArborCore",
                "ArborCustody",
                "ArborKeyStore",
                "ArborSeal",
                "ArborServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Shared by the test targets: seeded randomness, and the rule for missing outside tools.
        .target(name: "ArborTestSupport", path: "Tests/ArborTestSupport", swiftSettings: strictSettings),
        .testTarget(
            name: "ArborCoreTests",
            dependencies: ["ArborCore", "ArborTestSupport"],
            resources: [.copy("Vectors")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ArborCustodyTests",
            dependencies: ["ArborCustody", "ArborTestSupport"],
            resources: [.copy("Vectors")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ArborSealTests",
            dependencies: ["ArborSeal", "ArborTestSupport"],
            resources: [.copy("Vectors")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ArborServerTests",
            dependencies: [
                "ArborServer",
                "ArborCore",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ArborCLITests",
            dependencies: ["arbor", "ArborCore", "ArborTestSupport"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
