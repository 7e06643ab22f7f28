import NIOCore
import PostgresNIO

/// JSON text sent to PostgreSQL as a `jsonb` parameter as it is, without decoding it in Swift: PostgreSQL parses
/// it (and refuses it whole if it is malformed).
public struct RawJSON: PostgresNonThrowingEncodable, Sendable {
    /// The JSON text (UTF-8).
    public var bytes: ByteBuffer

    /// Wraps JSON text.
    public init(_ bytes: ByteBuffer) {
        self.bytes = bytes
    }

    public static var psqlType: PostgresDataType { .jsonb }
    public static var psqlFormat: PostgresFormat { .binary }

    public func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeInteger(UInt8(1))  // jsonb binary format version
        byteBuffer.writeImmutableBuffer(bytes)
    }
}
