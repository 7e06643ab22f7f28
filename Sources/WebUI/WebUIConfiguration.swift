import FleetCore
import Foundation

/// Where the web UI's files are and what its pages link to.
///
/// - Configuration keys (environment):
///   - `API_WEB_UI_DIR` (default: the files built with `joycity`, `joycity-fleet_WebUI.resources/Site` beside the
///     executable, else the source tree's `Sources/WebUI/Site`): a directory holding `shell.html` and the assets.
///   - `API_PORTAL_URL` (default `http://127.0.0.1:8090/`): the proxy edge's public URL (`https://wb-seller.{domain}/`),
///     linked from the managers' page; a sign-in may return to it (`?next=`).
public struct WebUIConfiguration: Sendable {
    /// The directory of the site, when one was found.
    public var directory: String?
    /// Where `directory` came from, or every place that was searched (for the error page and the log).
    public var searched: [String]
    /// The proxy edge's public URL, ending in `/`.
    public var portalURL: String

    /// Reads the keys above.
    /// - Throws: ``ConfigurationError`` when `API_WEB_UI_DIR` names no site or `API_PORTAL_URL` is no http(s) URL.
    public init(environment env: EnvironmentReader) throws {
        let portal = env.string("API_PORTAL_URL", default: "http://127.0.0.1:8090/")
        guard let url = URLComponents(string: portal), url.scheme == "http" || url.scheme == "https", url.host?.isEmpty == false else {
            throw ConfigurationError(
                variable: "API_PORTAL_URL",
                value: portal,
                expected: "the proxy edge's public URL, such as https://wb-seller.example.com/"
            )
        }
        portalURL = portal.hasSuffix("/") ? portal : portal + "/"
        if let configured = env.string("API_WEB_UI_DIR") {
            guard Self.isSite(configured) else {
                throw ConfigurationError(variable: "API_WEB_UI_DIR", value: configured, expected: "a directory holding the web UI's shell.html")
            }
            directory = configured
            searched = [configured]
        } else {
            searched = Self.defaultPlaces()
            directory = searched.first(where: Self.isSite)
        }
    }

    /// The places searched without `API_WEB_UI_DIR`, in order.
    static func defaultPlaces() -> [String] {
        var places: [String] = []
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            places.append(executable.deletingLastPathComponent().appendingPathComponent("joycity-fleet_WebUI.resources/Site").path)
        }
        places.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Site").path)
        return places
    }

    static func isSite(_ directory: String) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/shell.html")
    }

    /// The origin of ``portalURL`` (`https://wb-seller.example.com`).
    public var portalOrigin: String {
        guard let url = URLComponents(string: portalURL), let scheme = url.scheme, let host = url.host else { return "" }
        return url.port.map { "\(scheme)://\(host):\($0)" } ?? "\(scheme)://\(host)"
    }
}
