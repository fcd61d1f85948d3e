import BureauAuth
import Testing

@Suite("Which paths the access gate governs")
struct APIPathTests {
    @Test("route patterns under /api")
    func routes() {
        for route in ["/api/desktops", "/api/desktops/{id}", "api/auth/me", "//api/x", "/api"] { #expect(APIPath.isAPIRoute(route), "\(route)") }
        for route in ["/healthz", "/apis/x", "/", "", "/x/api/desktops"] { #expect(!APIPath.isAPIRoute(route), "\(route)") }
    }

    @Test("an unmatched path reads as /api however it is spelled; others do not")
    func unmatchedPaths() {
        let under = [
            "/api/x", "//api/x", "/./api/x", "/api/../api/x", "/x/../api/x", "/API/x", "/Api", "/api%2Fx", "%2Fapi%2Fx", "/%61pi/x",
            "/api%252Fx", "/api;v=1/x", "/api\\x", "api/x", "/../../api/x", "/%2e/api/x", "/%25252525252525252525252561pi/x",
        ]
        for path in under { #expect(APIPath.isUnderAPI(path), "\(path)") }
        let outside = ["/healthz", "/", "", "/apis/x", "/x/api", "/api/../healthz", "/%2e%2e/healthz", "/ap%69x/y"]
        for path in outside { #expect(!APIPath.isUnderAPI(path), "\(path)") }
    }

    @Test("a matched route is judged by its pattern, an unmatched one by its path")
    func governed() {
        #expect(APIPath.isGoverned(route: "/api/desktops", path: "/whatever"))
        #expect(!APIPath.isGoverned(route: "/healthz", path: "/api/desktops"))
        #expect(APIPath.isGoverned(route: nil, path: "//API/desktops"))
        #expect(!APIPath.isGoverned(route: nil, path: "/nope"))
    }
}
