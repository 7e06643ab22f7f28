// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "joycity-fleet",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "joycity", targets: ["joycity"]),
        .library(name: "Queue", targets: ["Queue"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        .systemLibrary(
            name: "CHiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .target(
            name: "FleetCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log")
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Queue",
            dependencies: [
                "CHiredis",
                "FleetCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Scheduler",
            dependencies: [
                "FleetCore",
                "Queue",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "S3",
            dependencies: [
                "FleetCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FleetStore",
            dependencies: [
                "FleetCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FakeWB",
            dependencies: [
                "FleetCore",
                "Spreadsheet",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The WB seller APIs: the statistics/finance client, token decoding and checks, rate-limit specs, Moscow time.
        // Workers, the API and (later) the proxy edge import it; it imports no role module.
        .target(
            name: "WBKit",
            dependencies: [
                "FleetCore",
                "Queue",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The shared HTTP pieces of the API and the proxy edge: the JSON error shape, request ids, JSON bodies, CORS,
        // security headers, the request deadline, slow-client timeouts, the Prometheus exposition.
        .target(
            name: "FleetHTTP",
            dependencies: [
                "FleetCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Sign-in and sessions: access tokens, the session gate (Redis cache with revocation), passwords, the login
        // limiter. The API signs in; the proxy edge checks a browser's session with the same pieces.
        .target(
            name: "FleetAuth",
            dependencies: [
                "FleetCore",
                "FleetStore",
                "Queue",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Avatars: JPEG checks and the objects in S3.
        .target(
            name: "AvatarStorage",
            dependencies: [
                "FleetCore",
                "S3",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The jobs the fleet enqueues (types, payloads, request options); Workers registers their handlers, the
        // API, the scheduler's sources and the CLI enqueue them without importing Workers.
        .target(
            name: "JobCatalog",
            dependencies: [
                "FleetStore",
                "Queue",
            ],
            swiftSettings: swiftSettings
        ),
        // Spreadsheets: .xlsx read row by row (with limits against hostile files) and written, and .csv read.
        .target(
            name: "Spreadsheet",
            dependencies: [
                "FleetCore",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: swiftSettings
        ),
        // Monthly article assignments: the store, validation against synced data, the audit, Excel import and
        // export, and the invalidations every change publishes.
        .target(
            name: "Assignments",
            dependencies: [
                "FleetCore",
                "FleetStore",
                "JobCatalog",
                "Queue",
                "Spreadsheet",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Manager KPIs per account and month from the synced WB rows and the month's assignment: the recompute,
        // scores and ranks, targets and cost prices.
        .target(
            name: "KPI",
            dependencies: [
                "Assignments",
                "FleetCore",
                "FleetStore",
                "Spreadsheet",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Logistics planning: what to ship from the office to WB's warehouses (a pure planner; docs/logistics.md).
        .target(
            name: "Logistics",
            swiftSettings: swiftSettings
        ),
        // The proxy edge: the filtered WB Seller portal (hosts folded into one origin, the article filter).
        .target(
            name: "ProxyEdge",
            dependencies: [
                "Assignments",
                "Spreadsheet",
                "FleetAuth",
                "FleetCore",
                "FleetHTTP",
                "FleetStore",
                "Queue",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Workers",
            dependencies: [
                "Assignments",
                "KPI",
                "FleetCore",
                "FleetHTTP",
                "FleetStore",
                "JobCatalog",
                "Queue",
                "WBKit",
                "S3",
                "Scheduler",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The web UI's files (HTML shell, plain JS modules, CSS; no build step) and how they are served: read once,
        // versioned by content, the shell rendered in the browser's language and theme. The API serves it at `/`.
        .target(
            name: "WebUI",
            dependencies: [
                "FleetCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Site")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "API",
            dependencies: [
                "KPI",
                "WebUI",
                "Assignments",
                "AvatarStorage",
                "FleetAuth",
                "FleetCore",
                "FleetHTTP",
                "FleetStore",
                "JobCatalog",
                "Queue",
                "WBKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "joycity",
            dependencies: [
                "KPI",
                "ProxyEdge",
                "Assignments",
                "Spreadsheet",
                "WBKit",
                "API",
                "FakeWB",
                "FleetAuth",
                "FleetCore",
                "FleetHTTP",
                "FleetStore",
                "JobCatalog",
                "Queue",
                "S3",
                "Scheduler",
                "Workers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FleetTesting",
            dependencies: [
                "FleetCore",
                "FleetStore",
                "Queue",
                "S3",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "QueueTests",
            dependencies: [
                "FleetCore",
                "FleetTesting",
                "Queue",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SchedulerTests",
            dependencies: [
                "FleetCore",
                "FleetTesting",
                "Queue",
                "Scheduler",
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "APITests",
            dependencies: [
                "KPI",
                "WebUI",
                "ProxyEdge",
                "Assignments",
                "Spreadsheet",
                "WBKit",
                "API",
                "AvatarStorage",
                "FakeWB",
                "FleetAuth",
                "FleetCore",
                "FleetHTTP",
                .product(name: "Prometheus", package: "swift-prometheus"),
                "FleetStore",
                "JobCatalog",
                "FleetTesting",
                "Queue",
                "S3",
                "Workers",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WorkersTests",
            dependencies: [
                "KPI",
                "WBKit",
                "FakeWB",
                "FleetCore",
                "FleetHTTP",
                "FleetStore",
                "JobCatalog",
                "FleetTesting",
                "Queue",
                "S3",
                "Scheduler",
                "Workers",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FleetStoreTests",
            dependencies: [
                "FleetAuth",
                "FleetCore",
                "FleetStore",
                "FleetTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LogisticsTests",
            dependencies: ["Logistics"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KPITests",
            dependencies: [
                "Assignments",
                "FleetCore",
                "FleetStore",
                "FleetTesting",
                "KPI",
                "Spreadsheet",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AssignmentsTests",
            dependencies: [
                "Assignments",
                "FleetCore",
                "FleetStore",
                "FleetTesting",
                "JobCatalog",
                "Queue",
                "Spreadsheet",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProxyEdgeTests",
            dependencies: [
                "FleetHTTP",
                "ProxyEdge",
                "Spreadsheet",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "S3Tests",
            dependencies: [
                "FleetCore",
                "FleetTesting",
                "S3",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
