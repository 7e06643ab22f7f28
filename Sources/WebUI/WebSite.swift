import Crypto
import FleetCore
import Foundation

/// The web UI's files, read once into memory: the page shell (one HTML document for every page; the JS modules
/// render the page the path names) and the assets it loads. Assets are addressed under the site's ``version`` — a
/// digest of every file — so browsers may cache them for good and a new release is fetched at once.
public struct WebSite: Sendable {
    /// One static file.
    public struct Asset: Sendable {
        /// The file's bytes.
        public let bytes: [UInt8]
        /// Its `Content-Type`.
        public let contentType: String
    }

    /// The digest that names this set of files (12 hex digits).
    public let version: String
    let assets: [String: Asset]
    let shellParts: [ShellPart]

    /// Reads `directory`: `shell.html` and every other regular file beside it (no subdirectories).
    /// - Throws: ``WebSiteError`` when the shell is missing or a file cannot be read.
    public init(directory: String) throws(WebSiteError) {
        let manager = FileManager.default
        guard let shell = manager.contents(atPath: directory + "/shell.html") else {
            throw WebSiteError(directory: directory, problem: "it has no shell.html")
        }
        let names: [String]
        do {
            names = try manager.contentsOfDirectory(atPath: directory).filter { $0 != "shell.html" && Self.isAssetName($0) }.sorted()
        } catch {
            throw WebSiteError(directory: directory, problem: "it cannot be listed: \(error)")
        }
        var digest = SHA256()
        digest.update(data: shell)
        var assets: [String: Asset] = [:]
        for name in names {
            guard let data = manager.contents(atPath: "\(directory)/\(name)") else {
                throw WebSiteError(directory: directory, problem: "\(name) cannot be read")
            }
            digest.update(data: Data(name.utf8))
            digest.update(data: data)
            assets[name] = Asset(bytes: Array(data), contentType: Self.contentType(of: name))
        }
        self.assets = assets
        version = String(Hex.lowercase(digest.finalize()).prefix(12))
        shellParts = ShellPart.parse(String(decoding: shell, as: UTF8.self))
    }

    /// The asset `name`, if the site has one.
    public func asset(_ name: String) -> Asset? { assets[name] }

    /// The names of every asset, sorted.
    public var assetNames: [String] { assets.keys.sorted() }

    /// The page shell for a browser that prefers `language` (`en` or `ru`) and `theme` (`light`, `dark` or
    /// `system`), linking the portal at `portalURL` and allowing sign-ins to return to `returnOrigins`.
    public func shell(language: String, theme: String, portalURL: String, returnOrigins: [String]) -> String {
        let values = [
            "lang": language == "ru" ? "ru" : "en",
            "theme": ["light", "dark"].contains(theme) ? theme : "system",
            "version": version,
            "portal": portalURL,
            "origins": returnOrigins.joined(separator: " "),
        ]
        var page = ""
        for part in shellParts {
            switch part {
            case .text(let text): page += text
            case .value(let name): page += XMLEntities.escape(values[name] ?? "")
            }
        }
        return page
    }

    static func isAssetName(_ name: String) -> Bool {
        !name.hasPrefix(".")
            && name.utf8.allSatisfy { byte in
                (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2E || byte == 0x2D || byte == 0x5F
            }
    }

    static func contentType(of name: String) -> String {
        switch name.split(separator: ".").last.map(String.init) ?? "" {
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "json": "application/json"
        case "txt": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }
}

/// A piece of the shell: literal HTML or a `{{name}}` filled in per request.
enum ShellPart: Sendable, Equatable {
    case text(String)
    case value(String)

    static func parse(_ template: String) -> [ShellPart] {
        var parts: [ShellPart] = []
        var rest = Substring(template)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            parts.append(.text(String(rest[..<open.lowerBound])))
            parts.append(.value(String(rest[open.upperBound..<close.lowerBound])))
            rest = rest[close.upperBound...]
        }
        parts.append(.text(String(rest)))
        return parts
    }
}

/// The web UI's directory cannot be served.
public struct WebSiteError: Error, CustomStringConvertible {
    /// The directory read.
    public let directory: String
    /// What is wrong with it.
    public let problem: String

    public var description: String {
        "the web UI in \(directory) cannot be served: \(problem); reinstall joycity or set API_WEB_UI_DIR to the Sources/WebUI/Site directory"
    }
}
