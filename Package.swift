// swift-tools-version:6.1
import PackageDescription

// Layout, bottom to top (docs/architecture.md):
//   ArborCore        pure keys, formats and cryptography: no file, network or clock access
//   ArborSeal        pure age files and streams (post-quantum and classical recipients)
//   ArborCustody     pure root custody: Shamir over GF(256), SLIP-39, LMS/HSS (RFC 8554)
//   ArborOperations  the use cases the CLI and the server share: store protocols, rules, Codable
//                    results, error categories; no file, network or clock access of its own
//   ArborKeyStore    file stores conforming to ArborOperations' protocols: 0600 key files, atomic
//                    writes, locks, trust store, passphrase input
//   ArborCluster     the cluster's coordination: a small etcd v3 client over its JSON gateway,
//                    the node's membership (watch, verify, apply, lease), branch assignment, leaf
//                    ranges, messages between nodes, and mutual TLS 1.3 between nodes (PeerTLS)
//   ArborServer      the node (arbor serve): Hummingbird routes, SQLite stores (GRDB), tokens and
//                    policies; HTTP statuses from error categories
//   ArborPostgres    the E2EE store on PostgreSQL (postgres-nio), for nodes that share one database
//   ArborClient      the Swift SDK of the end-to-end encrypted applications: a node's /v1/e2ee
//                    routes over AsyncHTTPClient, every key step in the client (docs/e2ee.md)
//   arbor            the command-line tool (CArborSystem: allocator settings from C)
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
        .library(name: "ArborOperations", targets: ["ArborOperations"]),
        .library(name: "ArborE2EE", targets: ["ArborE2EE"]),
        .library(name: "ArborClient", targets: ["ArborClient"]),
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
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // arbor serve's settings: flags over environment over a JSON config file.
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        // The cluster's etcd client (ArborCluster).
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        // Mutual TLS 1.3 between nodes (ArborCluster/PeerTLS): X.509 made from the tree's keys.
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // The E2EE store on PostgreSQL (ArborPostgres).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
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
        // End-to-end encryption for applications (issue 12): the client's keys and formats,
        // pure like ArborCore (docs/e2ee.md).
        .target(
            name: "ArborE2EE",
            dependencies: [
                "ArborCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // Moving a legacy plaintext chat store into end-to-end encryption, on the client
        // (docs/e2ee.md §15).
        .target(
            name: "ArborMigration",
            dependencies: ["ArborCore", "ArborE2EE", "ArborKeyStore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ArborOperations",
            dependencies: [
                "ArborCore", "ArborCustody", "ArborSeal", "ArborE2EE", .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ArborKeyStore",
            dependencies: ["ArborCore", "ArborOperations"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ArborCluster",
            dependencies: [
                "ArborCore",
                "ArborOperations",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // PeerTLS: the node-to-node listener and client.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ArborServer",
            dependencies: [
                "ArborCore",
                "ArborKeyStore",
                "ArborOperations",
                "ArborSeal",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("OpenAPI/openapi.json"), .copy("E2EE/App")],
            swiftSettings: strictSettings
        ),
        // The E2EE store on PostgreSQL (issue 12): the same protocol and contract tests as SQLite's.
        .target(
            name: "ArborPostgres",
            dependencies: [
                "ArborCore",
                "ArborE2EE",
                "ArborOperations",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The Swift SDK of the end-to-end encrypted applications (docs/e2ee.md §16; `arbor chat`).
        // It depends on ArborMigration (not the other way round) so that the migration stays free of
        // network code: NodeMigrationDestination, the node behind MigrationDestination, lives here.
        .target(
            name: "ArborClient",
            dependencies: [
                "ArborCore", "ArborE2EE", "ArborMigration",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // glibc's allocator thresholds for the streaming commands (malloc.h is not in Swift's Glibc).
        .target(name: "CArborSystem"),
        .executableTarget(
            name: "arbor",
            dependencies: [
                "CArborSystem",
                "ArborClient",
                "ArborCluster",
                "ArborCore",
                "ArborCustody",
                "ArborE2EE",
                "ArborKeyStore",
                "ArborMigration",
                "ArborOperations",
                "ArborPostgres",
                "ArborSeal",
                "ArborServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        // Shared by the test targets: seeded randomness, and the rule for missing outside tools.
        .target(
            name: "ArborTestSupport",
            dependencies: [
                "ArborCluster", "ArborOperations", "ArborServer", "ArborPostgres",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/ArborTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ArborCoreTests",
            dependencies: ["ArborCore", "ArborSeal", "ArborTestSupport"],
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
            name: "ArborMigrationTests",
            dependencies: ["ArborMigration", "ArborE2EE", "ArborCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ArborE2EETests",
            dependencies: ["ArborE2EE", "ArborCore", "ArborTestSupport"],
            resources: [.copy("Vectors")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ArborOperationsTests",
            dependencies: ["ArborOperations", "ArborCore", "ArborCustody", "ArborSeal", "ArborTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ArborServerTests",
            dependencies: [
                "ArborServer", "ArborE2EE", "ArborPostgres", "ArborTestSupport",
                "ArborOperations",
                "ArborCore",
                "ArborSeal",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ArborClusterTests",
            dependencies: [
                "ArborCluster", "ArborCore", "ArborOperations", "ArborServer", "ArborTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The SDK against a real node in this process (its SQLite store reached behind its back for
        // the tamper and dump tests).
        .testTarget(
            name: "ArborClientTests",
            dependencies: [
                "ArborClient", "ArborE2EE", "ArborCore", "ArborMigration", "ArborOperations", "ArborServer", "ArborTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ArborCLITests",
            dependencies: [
                "arbor", "ArborCluster", "ArborCore", "ArborKeyStore", "ArborPostgres", "ArborServer", "ArborTestSupport",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
