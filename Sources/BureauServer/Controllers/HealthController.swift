import BureauStore
import Hummingbird

/// `/healthz` (the process is alive) and `/readyz` (state is recovered and the store takes writes).
/// Neither needs credentials and neither says anything about users.
struct HealthController {
    /// Reports whether the store currently accepts writes.
    let isWritable: @Sendable () -> Bool

    func register(on router: some RouterMethods<BureauRequestContext>) {
        router.get("healthz") { _, _ in
            JSONResponse.make(StatusRepresentation(status: "ok"))
        }
        router.get("readyz") { _, _ in
            if isWritable() {
                return JSONResponse.make(StatusRepresentation(status: "ready"))
            }
            return JSONResponse.make(StatusRepresentation(status: "read_only"), status: .serviceUnavailable)
        }
    }
}
