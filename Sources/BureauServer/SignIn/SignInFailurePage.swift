import HTTPTypes
import Hummingbird
import NIOCore

/// The page a failed sign-in answers with: a small HTML document that says in words what went wrong and
/// links back to the sign-in page (`/`). No script and no inline style (its CSP forbids both; it may
/// only load the dashboard's stylesheet), not cached, not framed, no referrer; every text in it escaped.
struct SignInFailurePage {
    /// The `Content-Security-Policy` of the page.
    static let contentSecurityPolicy = "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'"

    var status: HTTPResponse.Status
    var message: String
    var detail: String?

    /// The answer, with `headers` (the cookie clearing) added.
    func response(headers extra: HTTPFields = [:]) -> Response {
        var headers = Self.headers
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// The security headers every sign-in page carries.
    static var headers: HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[.cacheControl] = "no-store"
        return headers
    }

    var html: String {
        var paragraphs = "<p>\(Self.escaped(message))</p>\n"
        if let detail { paragraphs += "<p>\(Self.escaped(detail))</p>\n" }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Sign-in failed · Bureau</title>
            <link rel="stylesheet" href="/assets/dashboard.css">
            </head>
            <body>
            <main class="sign-in-failure">
            <h1>Sign-in failed</h1>
            \(paragraphs)<p><a href="/">Back to sign-in</a></p>
            </main>
            </body>
            </html>

            """
    }

    /// `text` with `& < > " '` as character references: safe in an element and in a quoted attribute.
    static func escaped(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default: output.unicodeScalars.append(character)
            }
        }
        return output
    }
}
