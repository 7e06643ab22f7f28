/// What the proxy adds to the portal's pages: a script (`/__joycity__/portal.js`, first in every HTML page's
/// `<head>`) that routes what the page builds at run time — `fetch`, `XMLHttpRequest`, `WebSocket`, `EventSource`,
/// `sendBeacon`, `window.open`, form targets, link clicks, `src`/`href` set from script — through the proxy's
/// prefixes (the host table, ``PortalHosts``), sends any other host to the dropped prefix, and unregisters service
/// workers; and the Content-Security-Policy that holds the page to the proxy's origin even where the script misses
/// something. The script carries the host table only: no credential, no user data.
enum PortalScript {
    static let path = "/__joycity__/portal.js"

    /// The tag put first into `<head>`.
    static let tag = Array(#"<script src="/__joycity__/portal.js"></script>"#.utf8)

    /// The proxy's own policy for every portal page: everything from this origin only (inline and eval'd script
    /// stay, the SPA needs them).
    static let policy =
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; style-src 'self' 'unsafe-inline'; "
        + "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; frame-src 'self'; worker-src 'self' blob:; "
        + "form-action 'self'; base-uri 'self'; object-src 'none'"

    /// `html` with the script tag right after the opening `<head …>` (or at the very start when there is none).
    static func inject(into html: [UInt8]) -> [UInt8] {
        let lower = html.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        let needle = Array("<head".utf8)
        var index = 0
        while index + needle.count <= lower.count {
            if lower[index..<index + needle.count].elementsEqual(needle) {
                let after = index + needle.count
                // `<head>` or `<head attr…>`, not `<header>`.
                if after < lower.count, lower[after] == UInt8(ascii: ">") || lower[after] == 32 || lower[after] == 9 || lower[after] == 10 {
                    if let close = lower[after...].firstIndex(of: UInt8(ascii: ">")) {
                        return Array(html[...close]) + tag + Array(html[(close + 1)...])
                    }
                }
            }
            index += 1
        }
        return tag + html
    }

    /// WB's own Content-Security-Policy with every WB host it names replaced by `'self'` and dropped hosts and report
    /// endpoints removed (the browser enforces it beside ``policy``).
    static func rewritePolicy(_ policy: String) -> String {
        var directives: [String] = []
        for directive in policy.split(separator: ";") {
            let tokens = directive.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let name = tokens.first?.lowercased() else { continue }
            if name == "report-uri" || name == "report-to" { continue }
            var sources: [String] = []
            for token in tokens.dropFirst() {
                let source: String? =
                    switch classify(token) {
                    case .wb: "'self'"
                    case .dropped: nil
                    case .other: token
                    }
                if let source, !sources.contains(source) { sources.append(source) }
            }
            directives.append(([name] + sources).joined(separator: " "))
        }
        return directives.joined(separator: "; ")
    }

    enum SourceKind { case wb, dropped, other }

    /// Whether a CSP source names a WB host (`https://seller.wildberries.ru`, `*.wildberries.ru`, `*.wbbasket.ru`, …).
    static func classify(_ token: String) -> SourceKind {
        var host = token.lowercased()
        for scheme in ["https://", "http://", "wss://", "ws://"] where host.hasPrefix(scheme) { host = String(host.dropFirst(scheme.count)) }
        if let slash = host.firstIndex(of: "/") { host = String(host[..<slash]) }
        if let colon = host.firstIndex(of: ":") { host = String(host[..<colon]) }
        if PortalHosts.dropped.contains(host) { return .dropped }
        if host.hasPrefix("*.") { host = String(host.dropFirst(2)) }
        let wb = ["wildberries.ru", "wb.ru", "wbbasket.ru"]
        return wb.contains { host == $0 || host.hasSuffix("." + $0) } ? .wb : .other
    }

    /// The script, built from the host table.
    static let source: String = {
        let hosts = PortalHosts.entries.map { #""\#($0.host)":"\#($0.prefix)""# }.joined(separator: ",")
        let numbered = PortalHosts.numbered.map { #"["\#($0.hostPrefix)","\#($0.hostSuffix)","\#($0.prefix)"]"# }.joined(separator: ",")
        let dropped = PortalHosts.dropped.sorted().map { #""\#($0)""# }.joined(separator: ",")
        let aliases = PortalHosts.aliases.map { #""\#($0.key)":"\#($0.value)""# }.joined(separator: ",")
        return """
            (function () {
              "use strict";
              var HOSTS = {\(hosts)}, NUMBERED = [\(numbered)], DROPPED = [\(dropped)], ALIASES = {\(aliases)};
              var own = Object.prototype.hasOwnProperty;
              function prefixOf(host) {
                if (own.call(ALIASES, host)) host = ALIASES[host];
                if (own.call(HOSTS, host)) return HOSTS[host];
                for (var i = 0; i < NUMBERED.length; i++) {
                  var n = NUMBERED[i];
                  if (host.indexOf(n[0]) === 0 && host.slice(-n[1].length) === n[1]) {
                    var number = host.slice(n[0].length, host.length - n[1].length);
                    if (/^[0-9]+$/.test(number)) return n[2] + "/" + number;
                  }
                }
                return null;
              }
              function fold(value) {
                if (value === null || value === undefined) return value;
                var text = String(value), url;
                try { url = new URL(text, location.href); } catch (e) { return value; }
                var scheme = url.protocol;
                if (scheme !== "http:" && scheme !== "https:" && scheme !== "ws:" && scheme !== "wss:") return value;
                if (url.host === location.host) return value;
                var host = url.hostname.toLowerCase(), prefix = prefixOf(host);
                var socket = scheme === "ws:" || scheme === "wss:";
                var origin = socket ? (location.protocol === "https:" ? "wss://" : "ws://") + location.host : location.origin;
                // A host the portal does not need, or one not in the table: it never leaves this origin.
                if (prefix === null) return location.origin + "/__dropped__/" + host + url.pathname;
                return origin + prefix + url.pathname + url.search + url.hash;
              }
              window.__joycityFold = fold;
              var nativeFetch = window.fetch;
              if (nativeFetch) {
                window.fetch = function (input, init) {
                  if (typeof input === "string" || input instanceof URL) input = fold(input);
                  else if (input && input.url && fold(input.url) !== input.url) input = new Request(fold(input.url), input);
                  return nativeFetch.call(this, input, init);
                };
              }
              var open = XMLHttpRequest.prototype.open;
              XMLHttpRequest.prototype.open = function (method, url) {
                var args = Array.prototype.slice.call(arguments);
                args[1] = fold(url);
                return open.apply(this, args);
              };
              function wrapConstructor(name) {
                var Native = window[name];
                if (!Native) return;
                var Wrapped = function (url, options) {
                  return options === undefined ? new Native(fold(url)) : new Native(fold(url), options);
                };
                Wrapped.prototype = Native.prototype;
                ["CONNECTING", "OPEN", "CLOSING", "CLOSED"].forEach(function (k) { if (k in Native) Wrapped[k] = Native[k]; });
                window[name] = Wrapped;
              }
              wrapConstructor("WebSocket");
              wrapConstructor("EventSource");
              if (navigator.sendBeacon) {
                var beacon = navigator.sendBeacon.bind(navigator);
                navigator.sendBeacon = function (url, data) { return beacon(fold(url), data); };
              }
              var windowOpen = window.open;
              window.open = function (url) {
                var args = Array.prototype.slice.call(arguments);
                if (args.length > 0) args[0] = fold(url);
                return windowOpen.apply(window, args);
              };
              function patchProperty(Type, property) {
                if (!Type) return;
                var descriptor = Object.getOwnPropertyDescriptor(Type.prototype, property);
                if (!descriptor || !descriptor.set) return;
                Object.defineProperty(Type.prototype, property, {
                  configurable: true, enumerable: descriptor.enumerable, get: descriptor.get,
                  set: function (value) { descriptor.set.call(this, fold(value)); }
                });
              }
              patchProperty(window.HTMLScriptElement, "src");
              patchProperty(window.HTMLImageElement, "src");
              patchProperty(window.HTMLIFrameElement, "src");
              patchProperty(window.HTMLLinkElement, "href");
              patchProperty(window.HTMLAnchorElement, "href");
              patchProperty(window.HTMLFormElement, "action");
              var setAttribute = Element.prototype.setAttribute;
              Element.prototype.setAttribute = function (name, value) {
                var lower = String(name).toLowerCase();
                if (lower === "src" || lower === "href" || lower === "action") value = fold(value);
                return setAttribute.call(this, name, value);
              };
              document.addEventListener("click", function (event) {
                var link = event.target && event.target.closest ? event.target.closest("a[href]") : null;
                if (link) { var folded = fold(link.href); if (folded !== link.href) link.href = folded; }
              }, true);
              document.addEventListener("submit", function (event) {
                var form = event.target;
                if (form && form.action) form.action = fold(form.action);
              }, true);
              if (navigator.serviceWorker) {
                navigator.serviceWorker.getRegistrations().then(function (all) { all.forEach(function (r) { r.unregister(); }); }).catch(function () {});
                navigator.serviceWorker.register = function () { return Promise.reject(new Error("service workers are off behind JoyCity")); };
              }
            })();
            """
    }()
}
