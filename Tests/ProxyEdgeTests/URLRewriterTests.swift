import Testing

@testable import ProxyEdge

@Suite("URL rewriting onto the one origin")
struct URLRewriterTests {
    static func rewrite(_ text: String) -> String { String(decoding: URLRewriter.rewrite(Array(text.utf8)), as: UTF8.self) }

    @Test("HTML, JS, CSS and JSON: absolute, protocol-relative and JSON-escaped URLs of every host; whole hosts only")
    func bodies() {
        let cases: [(String, String)] = [
            (#"<script src="https://seller.wildberries.ru/static/app.js"></script>"#, #"<script src="/static/app.js"></script>"#),
            (#"fetch("https://seller-content.wildberries.ru/ns/viewer/x",{})"#, #"fetch("/__content__/ns/viewer/x",{})"#),
            (#"url(//basket-12.wbbasket.ru/vol1/a.webp)"#, #"url(/__basket__/12/vol1/a.webp)"#),
            (#"{"u":"https:\/\/cmp.wildberries.ru\/campaigns"}"#, #"{"u":"\/__cmp__\/campaigns"}"#),
            (#"a='HTTPS://SELLER-AUTH.WILDBERRIES.RU/auth?x=1'"#, #"a='/__auth__/auth?x=1'"#),
            (#"href="https://seller.wildberries.ru""#, #"href="/""#),
            (#"location="https://cmp.wb.ru/x""#, #"location="/__cmp__/x""#),
            (#"send("https://a.wb.ru/collect")"#, #"send("/__dropped__/a.wb.ru/collect")"#),
            (#"https://seller.wildberries.ru.example.com/x"#, #"https://seller.wildberries.ru.example.com/x"#),
            (#"https://example.com/https://seller.wildberries.ru"#, #"https://example.com//"#),
            (
                #"/login?redirect_url=https%3A%2F%2Fseller.wildberries.ru%2Fstock-control&x=1"#,
                #"/login?redirect_url=%2Fstock-control&x=1"#
            ),
            (#"r=https%3a%2f%2fcmp.wildberries.ru&y"#, #"r=%2F__cmp__&y"#),
            (#"// comment //seller.wildberries.ru"#, #"// comment /"#),
            ("no urls here", "no urls here"),
            (#"https://evil.example.com/seller.wildberries.ru"#, #"https://evil.example.com/seller.wildberries.ru"#),
        ]
        for (input, expected) in cases { #expect(Self.rewrite(input) == expected, "\(input)") }
        #expect(URLRewriter.location("https://seller-supply.wildberries.ru/ns/sm-draft/create") == "/__supply__/ns/sm-draft/create")
        #expect(URLRewriter.location("/relative/path") == "/relative/path")
    }
}
