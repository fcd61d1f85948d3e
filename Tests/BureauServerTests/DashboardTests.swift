import BureauDashboard
import BureauServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The dashboard's page and files: served from the binary, with their types, tags and security fields.
@Suite("Dashboard")
struct DashboardTests {
    static let policy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    /// What each path serves: (path, `Content-Type`, file in `Sources/BureauDashboard/Assets`).
    static let served: [(path: String, type: String, file: String)] = [
        ("/", "text/html; charset=utf-8", "index.html"),
        ("/assets/dashboard.css", "text/css; charset=utf-8", "dashboard.css"),
        ("/assets/dashboard.js", "text/javascript; charset=utf-8", "dashboard.js"),
        ("/assets/icon.svg", "image/svg+xml", "icon.svg"),
    ]

    /// The source tree's copy of an asset.
    static func source(_ name: String) throws -> Data {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try Data(contentsOf: root.appendingPathComponent("Sources/BureauDashboard/Assets").appendingPathComponent(name))
    }

    /// The fields every page answer carries.
    static func expectPageSecurity(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.headers[.contentSecurityPolicy] == policy, sourceLocation: sourceLocation)
        #expect(response.headers[.xContentTypeOptions] == "nosniff", sourceLocation: sourceLocation)
        #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", sourceLocation: sourceLocation)
        #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY", sourceLocation: sourceLocation)
    }

    @Test("the page and each file: the source tree's bytes, their type, a content tag, no-cache and the security fields")
    func servesEmbeddedFiles() async throws {
        try await TestHarness().application.test(.router) { client in
            var tags: Set<String> = []
            for (path, type, file) in Self.served {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok, "\(path)")
                #expect(response.headers[.contentType] == type, "\(path)")
                let expected = try Self.source(file)
                #expect(Data(response.body.readableBytesView) == expected, "\(path) serves the file as it is in the source tree")
                #expect(response.headers[.cacheControl] == "no-cache", "\(path)")
                let tag = try #require(response.headers[.eTag], "\(path)")
                #expect(tag.count == 34 && tag.hasPrefix("\"") && tag.hasSuffix("\""), "\(path): \(tag)")
                tags.insert(tag)
                Self.expectPageSecurity(response)
            }
            #expect(tags.count == Self.served.count, "each file has its own tag")
        }
    }

    @Test("the embedded files are the source tree's files, and there are no others")
    func embeddedMatchesSource() throws {
        let page = try Self.source("index.html")
        #expect(Data(DashboardAssets.page.bytes) == page)
        for (name, asset) in DashboardAssets.files {
            let source = try Self.source(name)
            #expect(Data(asset.bytes) == source, "\(name)")
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Sources/BureauDashboard/Assets").path)
        #expect(Set(onDisk) == Set(DashboardAssets.files.keys).union(["index.html"]))
    }

    @Test("HEAD answers the fields of GET without a body")
    func head() async throws {
        try await TestHarness().application.test(.router) { client in
            for (path, type, file) in Self.served {
                let get = try await client.execute(uri: path, method: .get)
                let head = try await client.execute(uri: path, method: .head)
                #expect(head.status == .ok, "\(path)")
                #expect(head.body.readableBytes == 0, "\(path)")
                #expect(head.headers[.contentType] == type)
                let length = try Self.source(file).count
                #expect(head.headers[.contentLength] == String(length), "\(path)")
                #expect(head.headers[.eTag] == get.headers[.eTag])
                Self.expectPageSecurity(head)
            }
        }
    }

    @Test("If-None-Match naming the current version answers 304 without a body; another tag gets the file")
    func conditional() async throws {
        try await TestHarness().application.test(.router) { client in
            for (path, _, _) in Self.served {
                let tag = try #require(try await client.execute(uri: path, method: .get).headers[.eTag])
                for value in [tag, "W/\(tag)", "\"0000\", \(tag)", "\"0000\" ,  W/\(tag) ", "*"] {
                    for method in [HTTPRequest.Method.get, .head] {
                        let response = try await client.execute(uri: path, method: method, headers: [.ifNoneMatch: value])
                        #expect(response.status == .notModified, "\(method) \(path) If-None-Match: \(value)")
                        #expect(response.body.readableBytes == 0)
                        #expect(response.headers[.eTag] == tag)
                        #expect(response.headers[.cacheControl] == "no-cache")
                        Self.expectPageSecurity(response)
                    }
                }
                for value in ["\"0000\"", String(tag.dropLast()), "", "W/\"\"", tag.uppercased() == tag ? "\"x\"" : tag.uppercased()] {
                    let response = try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: value])
                    #expect(response.status == .ok, "\(path) If-None-Match: \(value)")
                    #expect(response.body.readableBytes > 0)
                }
            }
        }
    }

    @Test("an unknown file is a 404 with the security fields")
    func unknownFile() async throws {
        try await TestHarness().application.test(.router) { client in
            for path in ["/assets/nope.js", "/assets/index.html", "/assets/DASHBOARD.CSS", "/favicon.ico", "/index.html", "/assets", "/assets/"] {
                for method in [HTTPRequest.Method.get, .head] {
                    let response = try await client.execute(uri: path, method: method)
                    #expect(response.status == .notFound, "\(method) \(path)")
                    Self.expectPageSecurity(response)
                }
            }
        }
    }

    @Test(
        "every spelling of an asset path serves a known file or a 404, never anything else",
        arguments: [
            "//assets/dashboard.css", "/assets//dashboard.css", "/assets/dashboard.css/", "///assets///dashboard.js//",
            "/assets/../Package.swift", "/assets/..%2FPackage.swift", "/assets/%2E%2E%2FPackage.swift", "/assets/%2e%2e/%2e%2e/Package.swift",
            "/assets/..%252F..%252FPackage.swift", "/assets/..\\..\\Package.swift", "/assets/%2Fetc%2Fpasswd", "/assets/%00",
            "/assets/dashboard.css%00.png", "/assets/dashboard.css;.js", "/assets/./dashboard.css", "/assets/%64ashboard.css",
            "/assets/.", "/assets/..", "/./assets/icon.svg", "/assets%2Fdashboard.css", "/%61ssets/dashboard.css",
            "/../../etc/passwd", "/..", "/assets/" + String(repeating: "a", count: 5000), "/assets/%", "/assets/%zz", "/assets/%C3%A9",
        ]
    )
    func spellings(path: String) async throws {
        let known = Set(try Self.served.map { try Self.source($0.file) })
        try await TestHarness().application.test(.router) { client in
            for method in [HTTPRequest.Method.get, .head] {
                let response = try await client.execute(uri: path, method: method)
                #expect(response.status == .ok || response.status == .notFound, "\(method) \(path): \(response.status)")
                if response.status == .ok, method == .get {
                    #expect(known.contains(Data(response.body.readableBytesView)), "\(path) serves one of the dashboard's files")
                }
                Self.expectPageSecurity(response)
            }
        }
    }

    @Test("the double-slash and trailing-slash spellings reach the file itself")
    func equivalentSpellings() async throws {
        try await TestHarness().application.test(.router) { client in
            let css = try Self.source("dashboard.css")
            for path in ["//assets/dashboard.css", "/assets/dashboard.css/", "/assets//dashboard.css"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok)
                #expect(Data(response.body.readableBytesView) == css, "\(path)")
            }
            #expect(try await client.execute(uri: "//", method: .get).headers[.contentType] == "text/html; charset=utf-8")
        }
    }

    @Test("other methods are 405 with Allow; API answers keep their own fields")
    func methodsAndSeparation() async throws {
        try await TestHarness().application.test(.router) { client in
            for path in ["/", "/assets/dashboard.js"] {
                for method in [HTTPRequest.Method.post, .put, .delete, .patch] {
                    let response = try await client.execute(uri: path, method: method, body: ByteBuffer(string: "x"))
                    #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                    #expect(response.headers[.allow] == "GET, HEAD")
                    Self.expectPageSecurity(response)
                }
            }
            let api = try await client.execute(uri: "/api/nope", method: .get)
            #expect(api.status == .unauthorized || api.status == .notFound)
            #expect(api.headers[.contentSecurityPolicy] == nil, "API answers are JSON, not pages")
            let desktops = try await client.execute(uri: "/api/desktops", method: .get)
            #expect(desktops.headers[.contentSecurityPolicy] == nil)
        }
    }

    @Test("the page references only files the server has, and holds no inline script, style or handler")
    func pageIsSelfContained() throws {
        let html = String(decoding: try Self.source("index.html"), as: UTF8.self)
        let references = html.matches(of: /(?:src|href)="([^"#][^"]*)"/).map { String($0.output.1) }
        #expect(!references.isEmpty)
        for reference in references {
            #expect(reference.hasPrefix("/assets/"), "\(reference) is one of this server's files, not another origin's")
            #expect(DashboardAssets.files[String(reference.dropFirst("/assets/".count))] != nil, "\(reference) is served")
        }
        #expect(html.matches(of: /<script(?![^>]*\ssrc=)[^>]*>/).isEmpty, "every script is a file (script-src 'self')")
        #expect(!html.contains("<style"), "every style is in the stylesheet (style-src 'self')")
        #expect(html.matches(of: /\s(?:style|on[a-z]+)=/).isEmpty, "no style attribute, no inline event handler")
        let script = String(decoding: try Self.source("dashboard.js"), as: UTF8.self)
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
            #expect(!script.contains(sink), "the script never builds HTML or code from text (\(sink))")
        }
        // The SVG namespace is a name, not an address anything fetches: the one absolute URL the script may hold.
        let addresses = script.replacingOccurrences(of: "'http://www.w3.org/2000/svg'", with: "")
        #expect(!addresses.contains("http://") && !addresses.contains("https://"), "the script talks to this server only")
        let css = String(decoding: try Self.source("dashboard.css"), as: UTF8.self)
        #expect(!css.contains("@import") && !css.contains("url("), "the stylesheet loads nothing else")
    }
}
