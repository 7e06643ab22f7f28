import API
import AvatarStorage
import FleetStore
import FleetTesting
import Foundation
import HTTPTypes
import NIOHTTP1
import Testing

@Suite("Avatars", .serialized)
struct AvatarTests {
    /// A structurally complete JPEG (SOI, JFIF, optional padding comment, SOF0 with the size, SOS, EOI).
    static func jpeg(width: Int, height: Int, padding: Int = 0) -> [UInt8] {
        var bytes: [UInt8] =
            [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]
        var left = padding
        while left > 0 {
            let chunk = min(left, 60_000)
            bytes += [0xFF, 0xFE, UInt8((chunk + 2) >> 8), UInt8((chunk + 2) & 0xFF)] + Array(repeating: 0x41, count: chunk)
            left -= chunk
        }
        bytes += [0xFF, 0xC0, 0x00, 0x11, 0x08, UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF), 0x03]
        bytes += [0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]
        bytes += [0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3F, 0x00, 0x12, 0x34]
        bytes += [0xFF, 0xD9]
        return bytes
    }

    @Test("the JPEG reader finds the size and refuses what is not a whole JPEG")
    func parser() throws {
        #expect(try JPEGInfo(Self.jpeg(width: 300, height: 200)) == JPEGInfo(width: 300, height: 200))
        #expect(throws: JPEGInfo.Problem.notJPEG) { try JPEGInfo(Array("\u{89}PNG\r\n".utf8) + [0, 0, 0]) }
        let whole = Self.jpeg(width: 10, height: 10)
        #expect(throws: JPEGInfo.Problem.self) { try JPEGInfo(Array(whole.dropLast(2))) }
        #expect(throws: JPEGInfo.Problem.self) { try JPEGInfo(Array(whole.prefix(30))) }
        #expect(throws: JPEGInfo.Problem.self) { try JPEGInfo([0xFF, 0xD8, 0xFF, 0xD9]) }
    }

    @Test("upload, serve back from S3, replace, remove; wrong type, too many bytes, too many pixels, broken files are refused")
    func uploadAndValidation() async throws {
        try await APIHarness.run(["API_AVATAR_MAX_BYTES": "65536"]) { api in
            _ = try await api.admin()
            let anna = try await api.user("anna", [.manager])
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0, count: 64)
            let wrongType = try await api.call(.PUT, "/api/auth/me/avatar", token: anna.token, bytes: png)
            #expect(wrongType.status == 415)
            #expect(
                try await api.call(.PUT, "/api/auth/me/avatar", token: anna.token, bytes: Self.jpeg(width: 64, height: 64), contentType: "image/png")
                    .status == 415
            )
            let tooBig = try await api.call(
                .PUT,
                "/api/auth/me/avatar",
                token: anna.token,
                bytes: Self.jpeg(width: 100, height: 100, padding: 70_000)
            )
            #expect(tooBig.status == 413)
            let tooWide = try await api.call(.PUT, "/api/auth/me/avatar", token: anna.token, bytes: Self.jpeg(width: 513, height: 100))
            #expect(tooWide.status == 422)
            #expect(tooWide.errorMessage.contains("512×512"))
            #expect(try await api.call(.PUT, "/api/auth/me/avatar", token: anna.token, bytes: Self.jpeg(width: 100, height: 600)).status == 422)
            #expect(
                try await api.call(.PUT, "/api/auth/me/avatar", token: anna.token, bytes: Array(Self.jpeg(width: 64, height: 64).dropLast(2))).status
                    == 422
            )
            #expect(try await api.call(.GET, "/api/users/\(anna.userID)/avatar", token: anna.token).status == 404, "nothing was stored")

            let image = Self.jpeg(width: 512, height: 512, padding: 1000)
            let uploaded = try await api.call(.PUT, "/api/auth/me/avatar", token: anna.token, bytes: image)
            #expect(uploaded.status == 200)
            #expect(uploaded.json["avatarUrl"] as? String == "/api/users/\(anna.userID)/avatar")
            let served = try await api.call(.GET, "/api/users/\(anna.userID)/avatar", token: anna.token)
            #expect(served.status == 200)
            #expect(served.headers.first(name: "Content-Type") == "image/jpeg")
            #expect(served.bytes == image)
            let replacement = Self.jpeg(width: 32, height: 32)
            #expect(try await api.call(.PUT, "/api/auth/me/avatar", token: anna.token, bytes: replacement).status == 200)
            #expect(try await api.call(.GET, "/api/users/\(anna.userID)/avatar", token: anna.token).bytes == replacement)
            #expect(try await api.call(.DELETE, "/api/auth/me/avatar", token: anna.token).status == 204)
            #expect(try await api.call(.GET, "/api/users/\(anna.userID)/avatar", token: anna.token).status == 404)
        }
    }
}
