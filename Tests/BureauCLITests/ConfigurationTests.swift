import ArgumentParser
import BureauServer
import Foundation
import Testing

@testable import BureauCLI

@Suite("Configuration")
struct ConfigurationTests {
    /// Writes `yaml` to a temporary file and returns its path.
    static func file(_ yaml: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bureau-config-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("no file, no environment, no flags: the documented defaults")
    func defaults() throws {
        let configuration = try BureauConfiguration.load(file: nil, environment: [:], flags: [:])
        #expect(configuration.server.host == "127.0.0.1")
        #expect(configuration.server.port == 8080)
        #expect(configuration.server.maxBodyBytes == 1_048_576)
        #expect(configuration.server.bcryptCost == 10)
        #expect(configuration.server.maxKeysPerUser == 100)
        #expect(configuration.server.origin == "http://127.0.0.1:8080")
        #expect(configuration.dataDirectory == "./data")
        #expect(configuration.fsync == "always")
        #expect(configuration.snapshotIntervalSeconds == 300)
        #expect(configuration.snapshotLogBytes == 67_108_864)
        #expect(configuration.cookieSecure)
        #expect(!configuration.devLogin)
        #expect(configuration.heartbeatSeconds == 15)
        #expect(configuration.replayEvents == 1000)
        #expect(configuration.values.integer("rate_limits.general.limit") == 120)
        #expect(configuration.values.integer("rate_limits.failed_auth.limit") == 10)
        #expect(configuration.values.integer("rate_limits.block.seconds") == 300)
        #expect(configuration.values.integer("rate_limits.block.max_seconds") == 3600)
        #expect(configuration.values.list("rate_limits.exempt") == [])
        #expect(configuration.seed == nil)
    }

    @Test("a flag beats the environment, which beats the file")
    func precedence() throws {
        let path = try Self.file("http:\n  port: 7000\n  host: 0.0.0.0\nstorage:\n  fsync: never\n")
        let fileOnly = try BureauConfiguration.load(file: path, environment: [:], flags: [:])
        #expect(fileOnly.server.port == 7000)
        #expect(fileOnly.fsync == "never")
        let environment = try BureauConfiguration.load(file: path, environment: ["BUREAU_HTTP_PORT": "7001"], flags: [:])
        #expect(environment.server.port == 7001)
        #expect(environment.server.host == "0.0.0.0")
        let flag = try BureauConfiguration.load(file: path, environment: ["BUREAU_HTTP_PORT": "7001"], flags: ["http.port": "7002"])
        #expect(flag.server.port == 7002)
    }

    @Test("lists come from YAML sequences or comma-separated variables")
    func lists() throws {
        let path = try Self.file("rate_limits:\n  exempt:\n    - 10.0.0.0/8\n    - ::1/128\n")
        #expect(
            try BureauConfiguration.load(file: path, environment: [:], flags: [:]).values.list("rate_limits.exempt") == ["10.0.0.0/8", "::1/128"]
        )
        let environment = try BureauConfiguration.load(
            file: nil,
            environment: ["BUREAU_RATE_LIMITS_TRUSTED_PROXIES": "10.0.0.1/32, 10.0.0.2/32"],
            flags: [:]
        )
        #expect(environment.values.list("rate_limits.trusted_proxies") == ["10.0.0.1/32", "10.0.0.2/32"])
        let flags = try BureauConfiguration.load(file: nil, environment: [:], flags: ["rate_limits.trusted_proxies": "10.0.0.1/32, 10.0.0.3/32"])
        #expect(flags.values.list("rate_limits.trusted_proxies") == ["10.0.0.1/32", "10.0.0.3/32"], "a list flag is comma-separated too")
    }

    @Test(
        "unknown keys stop start-up naming the key",
        arguments: [
            ("http:\n  prot: 80\n", "http.prot"),
            ("htp:\n  port: 80\n", "htp"),
            ("storage:\n  fsync:\n    mode: always\n", "storage.fsync"),
            ("rate_limits:\n  general:\n    limt: 5\n", "rate_limits.general.limt"),
        ]
    )
    func unknownKeys(yaml: String, named: String) throws {
        let path = try Self.file(yaml)
        #expect {
            try BureauConfiguration.load(file: path, environment: [:], flags: [:])
        } throws: { error in
            "\(error)".contains(named)
        }
    }

    @Test(
        "bad values stop start-up naming the key and where the value came from",
        arguments: [
            ("http.port", "70000"), ("http.port", "eighty"), ("storage.fsync", "sometimes"), ("auth.bcrypt_cost", "3"),
            ("auth.cookie_secure", "maybe"), ("http.max_body_bytes", "-1"),
        ]
    )
    func badValues(key: String, value: String) throws {
        #expect {
            try BureauConfiguration.load(file: nil, environment: [:], flags: [key: value])
        } throws: { error in
            "\(error)".contains(key) && "\(error)".contains("--")
        }
        let variable = "BUREAU_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
        #expect {
            try BureauConfiguration.load(file: nil, environment: [variable: value], flags: [:])
        } throws: { error in
            "\(error)".contains(key) && "\(error)".contains(variable)
        }
    }

    @Test("an unknown BUREAU_ variable is refused; other variables are not ours")
    func unknownVariables() throws {
        #expect(throws: ConfigurationError.self) {
            try BureauConfiguration.load(file: nil, environment: ["BUREAU_HTTP_PROT": "1"], flags: [:])
        }
        _ = try BureauConfiguration.load(file: nil, environment: ["HTTP_PORT": "1", "PATH": "/bin"], flags: [:])
    }

    @Test("flags: --key value and --key=value, unknown flags refused")
    func flags() throws {
        var options = try ConfigurationOptions.parse(["--storage-fsync", "never", "--http-max-body-bytes=2048", "--data-dir", "/tmp/x"])
        let values = try options.flagValues()
        #expect(values == ["storage.fsync": "never", "http.max_body_bytes": "2048", "storage.data_dir": "/tmp/x"])
        options = try ConfigurationOptions.parse(["--storage-fsynk", "never"])
        #expect(throws: ConfigurationError.self) { try options.flagValues() }
        options = try ConfigurationOptions.parse(["--storage-fsync"])
        #expect(throws: ConfigurationError.self) { try options.flagValues() }
    }

    @Test("the seed section parses strictly")
    func seed() throws {
        let good = try Self.file(
            """
            seed:
              users:
                - email: Demo@Example.com
                  api_keys:
                    - name: k
                      key: lb_k_JRaCr6fGkBJV3jK3kcXrY1If9ooDukBANQXcSJIAZB0QY9Rt
                  desktops:
                    - name: D
            """
        )
        let seed = try #require(try BureauConfiguration.load(file: good, environment: [:], flags: [:]).seed)
        #expect(seed.users.count == 1)
        #expect(seed.users[0].name == "Demo@Example.com")
        #expect(seed.users[0].desktops[0].status == "running")
        try Seeder.check(seed)
        #expect(!"\(seed)".contains("lb_k_JRaC"))

        let unknownField = try Self.file("seed:\n  users:\n    - email: a@b.c\n      role: admin\n")
        #expect(throws: ConfigurationError.self) { try BureauConfiguration.load(file: unknownField, environment: [:], flags: [:]) }

        let badKey = try Self.file("seed:\n  users:\n    - email: a@b.c\n      api_keys:\n        - name: k\n          key: lb_k_wrong\n")
        let loaded = try #require(try BureauConfiguration.load(file: badKey, environment: [:], flags: [:]).seed)
        #expect {
            try Seeder.check(loaded)
        } throws: { error in
            !"\(error)".contains("lb_k_wrong")
        }
    }

    @Test("the demo fixture is valid")
    func demoFixture() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../fixtures/demo.yaml").path
        let configuration = try BureauConfiguration.load(file: path, environment: [:], flags: [:])
        let seed = try #require(configuration.seed)
        try Seeder.check(seed)
        #expect(seed.users.first?.apiKeys.count == 1)
        #expect(configuration.devLogin)
    }
}
