/// One file of the dashboard, as it was in `Assets/` when the binary was built.
public struct DashboardAsset: Sendable {
    /// The file's name in `Assets/` (the page is `index.html`; the others are served under `/assets/`).
    public let name: String
    /// The `Content-Type` it is served with.
    public let contentType: String
    /// The file's bytes.
    public let bytes: [UInt8]
}

/// The dashboard's files, compiled into the binary: SwiftPM's `.embedInCode` rule turns each file of
/// `Assets/` into a byte array of the generated `PackageResources` at build time, so the executable needs
/// no resource bundle, no folder beside it and no network to serve them.
public enum DashboardAssets {
    /// The page served at `/`.
    public static let page = DashboardAsset(name: "index.html", contentType: "text/html; charset=utf-8", bytes: PackageResources.index_html)

    /// The files served at `/assets/<name>`, by name.
    public static let files: [String: DashboardAsset] = {
        let files = [
            DashboardAsset(name: "dashboard.css", contentType: "text/css; charset=utf-8", bytes: PackageResources.dashboard_css),
            DashboardAsset(name: "dashboard.js", contentType: "text/javascript; charset=utf-8", bytes: PackageResources.dashboard_js),
            DashboardAsset(name: "icon.svg", contentType: "image/svg+xml", bytes: PackageResources.icon_svg),
        ]
        return Dictionary(uniqueKeysWithValues: files.map { ($0.name, $0) })
    }()
}
