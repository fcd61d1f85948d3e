import BureauServer
import Foundation
import Testing

@testable import BureauCLI

@Suite("Connection and stream limits configuration")
struct ConnectionConfigurationTests {
    @Test("defaults: 60 s idle, 10 s for a request head, 256 connections per client, 16 streams per user, 10 s of shutdown grace")
    func defaults() throws {
        let server = try BureauConfiguration.load(file: nil, environment: [:], flags: [:]).server
        #expect(server.shutdownGraceSeconds == 10 && ServerSettings().shutdownGraceSeconds == 10)
        #expect(server.idleTimeoutSeconds == 60)
        #expect(server.requestHeadTimeoutSeconds == 10)
        #expect(server.maxConnectionsPerClient == 256)
        #expect(server.maxStreamsPerUser == 16)
        let settings = ServerSettings()
        #expect(settings.idleTimeoutSeconds == 60 && settings.requestHeadTimeoutSeconds == 10, "the settings' own defaults agree")
        #expect(settings.maxConnectionsPerClient == 256 && settings.maxStreamsPerUser == 16, "the settings' own defaults agree")
    }

    @Test("each key reaches the server's settings from a file, the environment and flags; 0 switches a cap off")
    func sources() throws {
        let path = try ConfigurationTests.file(
            """
            http:
              idle_timeout_seconds: 5
              request_head_timeout_seconds: 2
              max_connections_per_client: 0
              shutdown_grace_seconds: 0
            stream:
              max_streams_per_user: 3
            """
        )
        let fromFile = try BureauConfiguration.load(file: path, environment: [:], flags: [:]).server
        #expect(fromFile.idleTimeoutSeconds == 5 && fromFile.requestHeadTimeoutSeconds == 2)
        #expect(fromFile.maxConnectionsPerClient == 0 && fromFile.maxStreamsPerUser == 3)
        #expect(fromFile.shutdownGraceSeconds == 0)

        let overridden = try BureauConfiguration.load(
            file: path,
            environment: ["BUREAU_HTTP_IDLE_TIMEOUT_SECONDS": "7", "BUREAU_STREAM_MAX_STREAMS_PER_USER": "0"],
            flags: ["http.request_head_timeout_seconds": "4", "http.max_connections_per_client": "32", "http.shutdown_grace_seconds": "45"]
        ).server
        #expect(overridden.idleTimeoutSeconds == 7)
        #expect(overridden.maxStreamsPerUser == 0)
        #expect(overridden.requestHeadTimeoutSeconds == 4)
        #expect(overridden.maxConnectionsPerClient == 32)
        #expect(overridden.shutdownGraceSeconds == 45)
        #expect(ConfigurationKey.byName["http.max_connections_per_client"]?.flagName == "--http-max-connections-per-client")
    }

    @Test("http.synchronous_reads: on by default; off from a file, the environment or a flag; a non-boolean is refused")
    func synchronousReads() throws {
        #expect(try BureauConfiguration.load(file: nil, environment: [:], flags: [:]).server.synchronousReads)
        #expect(ServerSettings().synchronousReads, "the settings' own default agrees")
        let path = try ConfigurationTests.file("http:\n  synchronous_reads: false\n")
        #expect(try BureauConfiguration.load(file: path, environment: [:], flags: [:]).server.synchronousReads == false)
        #expect(
            try BureauConfiguration.load(file: nil, environment: ["BUREAU_HTTP_SYNCHRONOUS_READS": "false"], flags: [:]).server.synchronousReads
                == false
        )
        #expect(
            try BureauConfiguration.load(file: nil, environment: [:], flags: ["http.synchronous_reads": "false"]).server.synchronousReads == false
        )
        #expect(ConfigurationKey.byName["http.synchronous_reads"]?.flagName == "--http-synchronous-reads")
        #expect(throws: (any Error).self) { try BureauConfiguration.load(file: nil, environment: [:], flags: ["http.synchronous_reads": "fast"]) }
    }

    @Test("http.listen_backlog: 4096 by default; set from a file, the environment or a flag; the application listens with it")
    func listenBacklog() throws {
        #expect(try BureauConfiguration.load(file: nil, environment: [:], flags: [:]).server.listenBacklog == 4096)
        #expect(ServerSettings().listenBacklog == 4096, "the settings' own default agrees")
        let path = try ConfigurationTests.file("http:\n  listen_backlog: 511\n")
        #expect(try BureauConfiguration.load(file: path, environment: [:], flags: [:]).server.listenBacklog == 511)
        #expect(
            try BureauConfiguration.load(file: path, environment: ["BUREAU_HTTP_LISTEN_BACKLOG": "1024"], flags: [:]).server.listenBacklog == 1024
        )
        #expect(try BureauConfiguration.load(file: path, environment: [:], flags: ["http.listen_backlog": "128"]).server.listenBacklog == 128)
        #expect(ConfigurationKey.byName["http.listen_backlog"]?.flagName == "--http-listen-backlog")
    }

    @Test("metrics: on by default on the main listener; metrics.port moves it to a listener of its own; log.format")
    func metricsAndLogFormat() throws {
        let defaults = try BureauConfiguration.load(file: nil, environment: [:], flags: [:])
        #expect(defaults.server.metricsEnabled && defaults.server.metricsPort == 0 && defaults.server.metricsHost == nil)
        #expect(defaults.logFormat == .text)
        let set = try BureauConfiguration.load(
            file: nil,
            environment: ["BUREAU_METRICS_PORT": "9464", "BUREAU_LOG_FORMAT": "json"],
            flags: ["metrics.host": "10.0.0.5", "metrics.enabled": "false"]
        )
        #expect(!set.server.metricsEnabled && set.server.metricsPort == 9464 && set.server.metricsHost == "10.0.0.5")
        #expect(set.logFormat == .json)
        #expect(throws: ConfigurationError.self) { try BureauConfiguration.load(file: nil, environment: ["BUREAU_LOG_FORMAT": "xml"], flags: [:]) }
        #expect(throws: ConfigurationError.self) {
            try BureauConfiguration.load(file: nil, environment: ["BUREAU_METRICS_PORT": "70000"], flags: [:])
        }
    }

    @Test(
        "out-of-range and malformed values stop start-up naming the key",
        arguments: [
            ("http.idle_timeout_seconds", "0"),
            ("http.idle_timeout_seconds", "86401"),
            ("http.request_head_timeout_seconds", "0"),
            ("http.request_head_timeout_seconds", "3601"),
            ("http.max_connections_per_client", "-1"),
            ("http.max_connections_per_client", "ten"),
            ("stream.max_streams_per_user", "-1"),
            ("stream.max_streams_per_user", "100001"),
            ("stream.max_streams_per_user", "1.5"),
            ("http.shutdown_grace_seconds", "-1"),
            ("http.shutdown_grace_seconds", "3601"),
            ("http.listen_backlog", "0"),
            ("http.listen_backlog", "65536"),
            ("http.listen_backlog", "many"),
        ]
    )
    func rangeChecks(key: String, value: String) throws {
        let variable = "BUREAU_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
        for (environment, flags) in [([variable: value], [String: String]()), ([:], [key: value])] {
            do {
                _ = try BureauConfiguration.load(file: nil, environment: environment, flags: flags)
                Issue.record("\(key) = \(value) was accepted")
            } catch {
                #expect(error.description.contains("invalid value for \(key)"), "\(error.description)")
            }
        }
    }

    @Test("the demo configuration lists the limits with their defaults")
    func demoListsLimits() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../fixtures/demo.yaml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for key in [
            "idle_timeout_seconds: 60", "request_head_timeout_seconds: 10", "max_connections_per_client: 256", "max_streams_per_user: 16",
            "listen_backlog: 4096",
        ] {
            #expect(text.contains(key), "\(key)")
        }
        let server = try BureauConfiguration.load(file: path, environment: [:], flags: [:]).server
        #expect(server.idleTimeoutSeconds == 60 && server.maxStreamsPerUser == 16)
    }
}
