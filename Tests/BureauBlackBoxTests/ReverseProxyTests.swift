import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The real binary behind a real nginx (Debian's package) on loopback, configured by the file the README
/// gives self-hosters (`docs/deploy/nginx.conf`): client addresses come from `X-Forwarded-For`, rate limits
/// are per client behind the proxy, and a live stream's events pass through unbuffered.
@Suite("Behind nginx", .serialized)
struct ReverseProxyTests {
    /// A running nginx with the documented server block, proxying to `upstream`.
    final class Nginx {
        let process: Process
        let port: Int
        let prefix: String

        init(upstream: Int) throws {
            let executable = ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
            guard let executable else {
                throw BlackBoxError("nginx is not installed (Debian package nginx-light or nginx; .ci/run installs it)")
            }
            prefix = ServeCommandTests.temporaryDirectory()
            port = try Self.freePort()
            let documented = try String(
                contentsOf: BureauProcess.fixtures.deletingLastPathComponent().appendingPathComponent("docs/deploy/nginx.conf"),
                encoding: .utf8
            )
            // The documented block, on test ports: the only changes.
            let site = documented.replacingOccurrences(of: "server 127.0.0.1:8080;", with: "server 127.0.0.1:\(upstream);")
                .replacingOccurrences(of: "    listen 80;", with: "    listen 127.0.0.1:\(port);")
            #expect(site.contains("127.0.0.1:\(upstream)") && site.contains("listen 127.0.0.1:\(port)"))
            let configuration = """
                worker_processes 1;
                pid \(prefix)/nginx.pid;
                error_log \(prefix)/error.log;
                events { worker_connections 256; }
                http {
                    access_log \(prefix)/access.log;
                    client_body_temp_path \(prefix)/body;
                    proxy_temp_path \(prefix)/proxy;
                    fastcgi_temp_path \(prefix)/fastcgi;
                    uwsgi_temp_path \(prefix)/uwsgi;
                    scgi_temp_path \(prefix)/scgi;
                \(site)
                }
                """
            try configuration.write(toFile: "\(prefix)/nginx.conf", atomically: true, encoding: .utf8)
            process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["-p", prefix, "-c", "\(prefix)/nginx.conf", "-g", "daemon off;"]
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = ContinuousClock.now + .seconds(20)
            while RawSocket(port: port) == nil {
                guard process.isRunning, ContinuousClock.now < deadline else {
                    let log = (try? String(contentsOfFile: "\(prefix)/error.log", encoding: .utf8)) ?? ""
                    throw BlackBoxError("nginx did not start: \(log)")
                }
                usleep(50_000)
            }
        }

        func stop() {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }

        /// The access log nginx wrote.
        var accessLog: String { (try? String(contentsOfFile: "\(prefix)/access.log", encoding: .utf8)) ?? "" }

        /// A port that was free a moment ago.
        static func freePort() throws -> Int {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                    guard bind(descriptor, pointer, length) == 0 else { return -1 }
                    return getsockname(descriptor, pointer, &length)
                }
            }
            guard bound == 0 else { throw BlackBoxError("no free port") }
            return Int(UInt16(bigEndian: address.sin_port))
        }
    }

    /// One request through the proxy on a connection of its own: the status line's code and the whole answer.
    static func request(_ port: Int, _ method: String, _ path: String, headers: [String: String] = [:], body: String? = nil) throws -> (Int, String) {
        let connection = try #require(RawSocket(port: port))
        var head = "\(method) \(path) HTTP/1.1\r\nHost: bureau.example.com\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        connection.send(head + "\r\n" + (body ?? ""))
        _ = connection.waitForClose(timeout: .seconds(10))
        let text = connection.text
        let code = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
        return (code, text)
    }

    @Test("client addresses, per-client rate limits and a live stream work through nginx with the documented configuration")
    func throughNginx() async throws {
        let data = ServeCommandTests.temporaryDirectory()
        let server = try BureauProcess(
            serve: [
                "--config", BureauProcess.fixtures.appendingPathComponent("demo.yaml").path, "--data-dir", data,
                "--rate-limits-trusted-proxies", "127.0.0.1/32", "--rate-limits-general-limit", "5",
                "--http-max-connections-per-client", "0",
            ],
            environment: ["BUREAU_LOG_FORMAT": "json"]
        )
        let nginx = try Nginx(upstream: try #require(server.baseURL?.port))
        defer { nginx.stop() }
        let key = BureauProcess.demoKey

        // Two clients behind the proxy, each with its own budget of 5 anonymous requests a minute.
        for attempt in 1...6 {
            let (status, _) = try Self.request(nginx.port, "GET", "/api/desktops", headers: ["X-Forwarded-For": "198.51.100.7"])
            #expect(status == (attempt <= 5 ? 401 : 429), "attempt \(attempt)")
        }
        let (other, answer) = try Self.request(nginx.port, "GET", "/api/desktops", headers: ["X-Forwarded-For": "198.51.100.8"])
        #expect(other == 401, "another client behind the same proxy is not limited: \(answer)")
        // A client without a forwarded address is the proxy's own connection... which nginx reports as 127.0.0.1.
        let (direct, _) = try Self.request(nginx.port, "GET", "/healthz")
        #expect(direct == 200)

        // The live stream, through the proxy: an event arrives promptly, not when a buffer fills.
        let stream = try #require(RawSocket(port: nginx.port))
        stream.send("GET /api/mission-control/activity/stream HTTP/1.1\r\nHost: bureau.example.com\r\nx-api-key: \(key)\r\n\r\n")
        let opening = stream.read(until: "retry:", timeout: .seconds(10))
        #expect(opening.hasPrefix("HTTP/1.1 200") && opening.contains("retry: 3000"))
        let started = ContinuousClock.now
        let (created, _) = try Self.request(nginx.port, "POST", "/api/desktops", headers: ["x-api-key": key], body: #"{"name": "Through the proxy"}"#)
        #expect(created == 201)
        let streamed = stream.read(until: "Through the proxy", timeout: .seconds(5))
        #expect(streamed.contains("event: desktop.created"), "the event passed through unbuffered")
        #expect(ContinuousClock.now - started < .seconds(3))

        #expect(server.stop() == 0)
        let lines = server.standardError().split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let clients = Set(lines.filter { $0["message"] as? String == "request" }.compactMap { $0["client"] as? String })
        #expect(clients == ["198.51.100.7", "198.51.100.8", "127.0.0.1"], "the server saw the forwarded addresses")
        #expect(!nginx.accessLog.contains(String(key.dropFirst(5))), "no key in the proxy's log")
    }
}
