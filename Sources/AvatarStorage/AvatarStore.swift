import FleetCore
import Foundation
import NIOCore
import S3

/// Avatars in S3 under `avatars/<user id>/<sha256>.jpg`, validated before they are stored.
public struct AvatarStore: Sendable {
    /// The largest avatar side in pixels.
    public static let maxSide = 512

    let s3: S3Client
    let maxBytes: Int

    /// Avatars in `s3`'s bucket, each at most `maxBytes`.
    public init(s3: S3Client, maxBytes: Int) {
        self.s3 = s3
        self.maxBytes = maxBytes
    }

    /// Avatars in the bucket the `S3_*` variables of `environment` name (see `S3Configuration`).
    /// - Throws: `ConfigurationError` naming the variable.
    public init(environment: EnvironmentReader, maxBytes: Int) throws {
        self.init(s3: S3Client(configuration: try S3Configuration(environment: environment)), maxBytes: maxBytes)
    }

    /// Checks `bytes` is a JPEG of at most 512×512 and `maxBytes`.
    /// - Throws: ``AvatarError`` tooLarge (too many bytes), notJPEG, invalidImage (broken), imageTooLarge (larger
    ///   than 512×512).
    public func validate(_ bytes: [UInt8]) throws -> JPEGInfo {
        guard bytes.count <= maxBytes else { throw AvatarError(.tooLarge, "an avatar may be at most \(maxBytes) bytes; this one is \(bytes.count)") }
        let info: JPEGInfo
        do {
            info = try JPEGInfo(bytes)
        } catch JPEGInfo.Problem.notJPEG {
            throw AvatarError(.notJPEG, "an avatar must be a JPEG image (image/jpeg)")
        } catch JPEGInfo.Problem.malformed(let why) {
            throw AvatarError(.invalidImage, "the JPEG is broken: \(why)")
        }
        guard info.width <= Self.maxSide, info.height <= Self.maxSide else {
            throw AvatarError(
                .imageTooLarge,
                "an avatar may be at most \(Self.maxSide)×\(Self.maxSide) pixels; this one is \(info.width)×\(info.height)"
            )
        }
        return info
    }

    /// Stores validated `bytes` for `userID` and returns the key.
    public func store(userID: Int64, bytes: [UInt8]) async throws -> String {
        let digest = SigV4.hexSHA256(bytes)
        let key = "avatars/\(userID)/\(digest).jpg"
        do {
            try await s3.putObject(key: key, bytes: bytes, contentType: "image/jpeg")
        } catch {
            throw AvatarError(.unavailable, "the avatar could not be stored; try again shortly", underlying: String(reflecting: error))
        }
        return key
    }

    /// The bytes stored under `key`.
    public func load(key: String) async throws -> [UInt8] {
        do {
            let (_, body) = try await s3.get(key: key)
            let buffer = try await body.collect(upTo: max(maxBytes, 16 << 20))
            return Array(buffer.readableBytesView)
        } catch let error as S3Error where error.kind == .notFound {
            throw AvatarError(.notFound, "the avatar is gone from storage; upload it again")
        } catch {
            throw AvatarError(.unavailable, "the avatar could not be read; try again shortly", underlying: String(reflecting: error))
        }
    }

    /// Removes an old avatar (best effort: a leftover object is harmless).
    public func remove(key: String) async {
        try? await s3.delete(key: key)
    }
}
