// swift-tools-version: 6.2
// IMR Ledger: an event-sourced clinical record core on LMDB.
// Targets and their dependency direction follow shared/DESIGN.md section 2:
// arrows point inward, C lives only in CLMDB, only Tools import ArgumentParser.

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "imr-ledger",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LMDBKit", targets: ["LMDBKit"]),
        .library(name: "CanonicalJSON", targets: ["CanonicalJSON"]),
        .library(name: "MerkleLog", targets: ["MerkleLog"]),
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "EventLogTesting", targets: ["EventLogTesting"]),
        .library(name: "ClinicalRecord", targets: ["ClinicalRecord"]),
        .library(name: "RecordCore", targets: ["RecordCore"]),
        .library(name: "Projections", targets: ["Projections"]),
        .library(name: "ProgramSimulator", targets: ["ProgramSimulator"]),
        .library(name: "RecordHTTP", targets: ["RecordHTTP"]),
        .executable(name: "imr", targets: ["imr"]),
        .executable(name: "imr-bench", targets: ["imr-bench"]),
        .executable(name: "imr-audit", targets: ["imr-audit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // Hummingbird's own dependencies, named because RecordHTTP imports them directly.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            path: "Sources/CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(name: "LMDBKit", dependencies: ["CLMDB"], swiftSettings: swiftSettings),
        .target(name: "CanonicalJSON", swiftSettings: swiftSettings),
        .target(
            name: "MerkleLog",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EventLog",
            dependencies: [
                "LMDBKit", "CanonicalJSON", "MerkleLog",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "ClinicalRecord", dependencies: ["CanonicalJSON"], swiftSettings: swiftSettings),
        .target(
            name: "RecordCore",
            dependencies: ["ClinicalRecord", "EventLog", "CanonicalJSON"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Projections",
            dependencies: [
                "ClinicalRecord", "RecordCore", "EventLog", "LMDBKit", "CanonicalJSON",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Projections",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RecordHTTP",
            dependencies: [
                "RecordCore", "Projections", "Dashboard", "ClinicalRecord", "EventLog", "MerkleLog", "CanonicalJSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "Dashboard", dependencies: ["Projections", "ClinicalRecord", "EventLog"], swiftSettings: swiftSettings),
        .target(name: "ProgramSimulator", dependencies: ["ClinicalRecord", "RecordCore"], swiftSettings: swiftSettings),
        .target(name: "EventLogTesting", dependencies: ["EventLog", "CanonicalJSON"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "imr",
            dependencies: [
                "EventLog", "CanonicalJSON", "ClinicalRecord", "RecordCore", "Projections", "ProgramSimulator", "RecordHTTP", "Dashboard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tools/imr",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "imr-bench",
            dependencies: [
                "EventLog", "LMDBKit", "CanonicalJSON", "ClinicalRecord", "RecordCore", "Projections", "ProgramSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tools/imr-bench",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "imr-audit",
            dependencies: [
                "EventLog", "MerkleLog",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tools/imr-audit",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "LMDBKitTests", dependencies: ["LMDBKit"], swiftSettings: swiftSettings),
        .testTarget(name: "CanonicalJSONTests", dependencies: ["CanonicalJSON"], swiftSettings: swiftSettings),
        .testTarget(
            name: "RecordTests",
            dependencies: [
                "ClinicalRecord", "RecordCore", "EventLog", "EventLogTesting", "CanonicalJSON", "ProgramSimulator",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProjectionTests",
            dependencies: [
                "Projections", "ProgramSimulator", "ClinicalRecord", "RecordCore", "EventLog", "EventLogTesting", "CanonicalJSON",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "RecordHTTP", "Dashboard", "Projections", "ProgramSimulator", "ClinicalRecord", "RecordCore", "EventLog", "EventLogTesting",
                "CanonicalJSON", "MerkleLog",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "MerkleLogTests", dependencies: ["MerkleLog"], swiftSettings: swiftSettings),
        .testTarget(
            name: "EventLogTests",
            dependencies: ["EventLog", "EventLogTesting", "CanonicalJSON", "LMDBKit", "MerkleLog"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ToolTests",
            dependencies: ["EventLog", "EventLogTesting", "CanonicalJSON"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AuditTests",
            dependencies: ["EventLog", "EventLogTesting", "MerkleLog", "LMDBKit", "CanonicalJSON", "ProgramSimulator"],
            swiftSettings: swiftSettings
        ),
    ]
)
