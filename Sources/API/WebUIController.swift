import FleetCore
import FleetHTTP
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import WebUI

/// The web UI at `/`: one shell for every page path (the JS modules render the page and call the same `/api`
/// endpoints as everyone else) and the versioned assets. The pages themselves hold no data, so they are open to
/// anyone; what a page shows comes from the API, which checks the caller's roles.
struct WebUIController: Sendable {
    /// The site, or nil when its files were not found (every page then answers 503 saying where it looked).
    let site: WebSite?
    let configuration: WebUIConfiguration
    /// Origins a sign-in may return to (`?next=`): the API's allowed origins and the portal's.
    let returnOrigins: [String]

    /// The paths that render a page (the browser's router knows the same list, `app.js`).
    static let pages: [(path: String, operationID: String, summary: String)] = [
        ("/", "webHome", "Web UI: the signed-in user's start page"),
        ("/sign-in", "webSignIn", "Web UI: sign in (`?next=` returns to a page or the portal)"),
        ("/profile", "webProfile", "Web UI: your name, password, avatar and sessions"),
        ("/fleet", "webFleet", "Web UI: the fleet dashboard (queues, workers, throughput)"),
        ("/fleet/dead", "webDeadLetters", "Web UI: dead letters"),
        ("/fleet/jobs/{jobId}", "webJob", "Web UI: one job"),
        ("/backups", "webBackups", "Web UI: backups"),
        ("/users", "webUsers", "Web UI: users"),
        ("/accounts", "webAccounts", "Web UI: seller accounts"),
        ("/assignments", "webAssignments", "Web UI: article assignments"),
        ("/kpi", "webKPI", "Web UI: the managers' KPI ranking of a month and one manager's breakdown"),
    ]

    /// Finds and reads the site (``WebUIConfiguration``); a site that is missing or unreadable is logged, and its
    /// pages answer 503 saying so, while the API serves on.
    /// - Throws: ``ConfigurationError`` for a bad `API_WEB_UI_DIR` or `API_PORTAL_URL`.
    static func make(environment: EnvironmentReader, allowedOrigins: [String], logger: Logger) throws -> WebUIController {
        let configuration = try WebUIConfiguration(environment: environment)
        var site: WebSite?
        if let directory = configuration.directory {
            do {
                site = try WebSite(directory: directory)
            } catch {
                logger.error("the web UI cannot be served", metadata: ["error": "\(error)"])
            }
        } else {
            logger.warning(
                "the web UI's files were not found; its pages answer 503 (set API_WEB_UI_DIR)",
                metadata: ["searched": "\(configuration.searched.joined(separator: ", "))"]
            )
        }
        var origins = allowedOrigins
        if !origins.contains(configuration.portalOrigin) { origins.append(configuration.portalOrigin) }
        return WebUIController(site: site, configuration: configuration, returnOrigins: origins)
    }

    /// Registers the routes on `routes`.
    func addRoutes(to routes: APIRoutes) {
        for page in Self.pages {
            routes.add(
                Endpoint(.get, page.path, page.operationID, page.summary, tag: "web-ui", access: .anyone, response: .media("text/html")),
                shell
            )
        }
        routes.add(Self.assetEndpoint, asset)
    }

    static let assetEndpoint = Endpoint(
        .get,
        "/assets/{version}/{file}",
        "webAsset",
        "Web UI files (cached for good under the current version)",
        tag: "web-ui",
        access: .anyone,
        response: .media("application/octet-stream")
    )

    /// The strictest policy the pages run under: their own scripts, styles and images, nothing inline.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

    /// The shell for any page path, in the language and theme the browser asked for.
    @Sendable func shell(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        guard let site else { return Self.missingSite(configuration.searched, request: request) }
        let language = request.cookies["joycity_lang"]?.value ?? PreferredLanguage.from(acceptLanguage: request.headers[.acceptLanguage])
        let theme = request.cookies["joycity_theme"]?.value ?? "system"
        let html = site.shell(language: language, theme: theme, portalURL: configuration.portalURL, returnOrigins: returnOrigins)
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-cache, private", .contentSecurityPolicy: Self.contentSecurityPolicy,
                .vary: "Cookie, Accept-Language",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    /// `GET /assets/{version}/{file}`: a file of the site. Under the current version it may be cached for good;
    /// under another (a page of the previous release during a rolling deploy) the current file is sent uncached.
    @Sendable func asset(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        guard let site else { throw APIError.unavailable("the web UI's files were not found: set API_WEB_UI_DIR") }
        let file = try context.parameters.require("file")
        guard let asset = site.asset(file) else { throw APIError.notFound("the web UI has no file \(file.prefix(80))") }
        let current = try context.parameters.require("version") == site.version
        let etag = "\"\(site.version)\""
        if current, request.headers[.ifNoneMatch] == etag {
            return Response(status: .notModified, headers: [.eTag: etag, .cacheControl: "public, max-age=31536000, immutable"])
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: asset.contentType, .eTag: etag,
                .cacheControl: current ? "public, max-age=31536000, immutable" : "no-cache",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes))
        )
    }

    /// The page without its files: what was searched, and what to do.
    static func missingSite(_ searched: [String], request: Request) -> Response {
        let places = searched.map { "<li><code>\(XMLEntities.escape($0))</code></li>" }.joined()
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>JoyCity Fleet</title></head><body>
            <h1>The web UI's files were not found</h1><p>Searched:</p><ul>\(places)</ul>
            <p>Reinstall joycity with its <code>joycity-fleet_WebUI.resources</code> directory beside the executable, or set
            <code>API_WEB_UI_DIR</code> to <code>Sources/WebUI/Site</code>. The API itself works: see <a href="/api/openapi.json">/api/openapi.json</a>.</p>
            <p lang="ru">Файлы веб-интерфейса не найдены: переустановите joycity или задайте <code>API_WEB_UI_DIR</code>.</p>
            </body></html>
            """
        return Response(
            status: .serviceUnavailable,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .contentSecurityPolicy: contentSecurityPolicy],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }
}
