// swift-tools-version:6.2
import PackageDescription

/// Settings shared by every target of ours: strict concurrency (Swift 6 mode) and warnings as errors.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "bureau",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bureau", targets: ["bureau"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-http-structured-headers.git", from: "1.7.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        // OpenAPI 3.1 types for the document served at /api/openapi.json; without the default
        // `ExternalLoading` trait (loading external references, which we never do, costs build time).
        .package(url: "https://github.com/mattpolzin/OpenAPIKit.git", from: "6.4.0", traits: []),
    ],
    targets: [
        .executableTarget(
            name: "bureau",
            dependencies: ["BureauCLI"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "BureauBenchmarks",
            dependencies: [
                "BureauAuth", "BureauTestSupport",
                .product(name: "Logging", package: "swift-log"),
                // The framework floor of scripts/bench-floor.sh: a bare Hummingbird route, a bare SwiftNIO server.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "BureauCLI",
            dependencies: [
                "BureauServer", "BureauAuth", "BureauStore", "BureauPersistence", "BureauSignIn",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict,
            plugins: ["BuildCommit"]
        ),
        .plugin(name: "BuildCommit", capability: .buildTool()),
        .target(
            name: "BureauDashboard",
            // The dashboard's files become byte arrays of generated Swift source (`PackageResources`) at
            // build time: nothing to ship beside the binary, nothing read from disk at run time.
            resources: [.embedInCode("Assets")],
            swiftSettings: strict
        ),
        // The OpenAPI 3.1 description of the HTTP API (`GET /api/openapi.json`), one value built in code.
        // A target of its own, depending only on OpenAPIKit, so its build cost stays out of the others.
        .target(
            name: "BureauAPIDocument",
            dependencies: [
                .product(name: "OpenAPIKit", package: "OpenAPIKit")
            ],
            swiftSettings: strict
        ),
        .target(
            name: "BureauServer",
            dependencies: [
                "BureauAuth", "BureauStore", "BureauSignIn", "BureauDashboard", "BureauAPIDocument",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        // Signing in with an OAuth 2.0 / OpenID Connect provider: the pending sign-ins, the providers'
        // endpoints (discovery and keys cached), the ID-token checks. Free of the HTTP server, so the whole
        // flow is testable without one; the only target that talks to providers.
        .target(
            name: "BureauSignIn",
            dependencies: [
                "BureauAuth",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Fake sign-in providers (a GitHub-style one, an OpenID Connect one) served on loopback, for tests
        // and for the `bureau-test-provider` executable a browser test starts. Never part of a product.
        .target(
            name: "BureauFakeProviders",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "bureau-test-provider",
            dependencies: ["BureauFakeProviders"],
            swiftSettings: strict
        ),
        .target(
            name: "BureauAuth",
            dependencies: [
                "BureauStore",
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "RawStructuredFieldValues", package: "swift-http-structured-headers"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "BureauStore",
            dependencies: [
                .product(name: "Logging", package: "swift-log")
            ],
            swiftSettings: strict
        ),
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "BureauPersistence",
            dependencies: [
                "BureauStore", "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BureauPersistenceTests",
            dependencies: [
                "BureauPersistence", "BureauStore", "BureauAuth", "BureauTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "BureauTestSupport",
            dependencies: ["BureauAuth", "BureauPersistence"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BureauStoreTests",
            dependencies: ["BureauStore", "BureauTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BureauAuthTests",
            dependencies: [
                "BureauAuth", "BureauStore", "BureauTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "RawStructuredFieldValues", package: "swift-http-structured-headers"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BureauCLITests",
            dependencies: [
                "BureauCLI", "BureauServer", "BureauStore", "BureauAuth", "BureauSignIn",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BureauBlackBoxTests",
            dependencies: [
                "bureau", "bureau-test-provider", "BureauPersistence", "BureauStore", "BureauFakeProviders",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BureauSignInTests",
            dependencies: [
                "BureauSignIn", "BureauFakeProviders", "BureauTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BureauServerTests",
            dependencies: [
                "BureauServer", "BureauAuth", "BureauStore", "BureauCLI", "BureauPersistence", "BureauTestSupport",
                "BureauSignIn", "BureauFakeProviders", "BureauDashboard", "BureauAPIDocument",
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
    ]
)
