import Hummingbird
import NIOCore

/// `GET /metrics`: the Prometheus text format, without credentials (nothing in it is a user's data).
struct MetricsController {
    let metrics: ServerMetrics

    func register<Context: RequestContext>(on router: some RouterMethods<Context>) {
        router.get("metrics") { _, _ in
            let text = metrics.render()
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
    }
}
