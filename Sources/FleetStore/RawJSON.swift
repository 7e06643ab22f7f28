import NIOCore
import PostgresNIO

/// JSON text sent to PostgreSQL as a `json` parameter as it is, without decoding it in Swift: PostgreSQL parses
/// it (and refuses it whole if it is malformed).
///
/// `json`, not `jsonb`: a `jsonb` array is limited to 256 MB, and a WB report page of 100,000 rows is larger
/// (≈ 270 MB). Statements split the array with `json_array_elements` and turn each row into `jsonb`.
public struct RawJSON: PostgresNonThrowingEncodable, Sendable {
    /// The JSON text (UTF-8).
    public var bytes: ByteBuffer

    /// Wraps JSON text.
    public init(_ bytes: ByteBuffer) {
        self.bytes = bytes
    }

    public static var psqlType: PostgresDataType { .json }
    public static var psqlFormat: PostgresFormat { .binary }

    public func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeImmutableBuffer(bytes)  // json's binary format is its text
    }
}
