/// The dimensions of a baseline or progressive JPEG, read from its frame header without decoding the image.
public struct JPEGInfo: Sendable, Equatable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Why bytes are not an acceptable JPEG.
    public enum Problem: Error, Equatable, Sendable {
        /// Not a JPEG at all (no SOI marker).
        case notJPEG
        /// A JPEG whose structure is broken or cut short.
        case malformed(String)
    }

    /// Parses the markers up to the frame header and checks the file ends with EOI.
    /// - Throws: ``Problem``.
    public init(_ bytes: [UInt8]) throws {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF else { throw Problem.notJPEG }
        var index = 2
        var frame: (Int, Int)?
        while index < bytes.count, frame == nil {
            guard bytes[index] == 0xFF else { throw Problem.malformed("expected a marker at byte \(index)") }
            while index < bytes.count, bytes[index] == 0xFF { index += 1 }
            guard index < bytes.count else { break }
            let marker = bytes[index]
            index += 1
            switch marker {
            case 0xD8, 0x01, 0xD0...0xD7:
                continue
            case 0xD9:
                throw Problem.malformed("the image ends before its frame header")
            case 0xDA:
                throw Problem.malformed("image data starts before the frame header")
            default:
                guard index + 1 < bytes.count else { throw Problem.malformed("cut short in a segment header") }
                let length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
                guard length >= 2, index + length <= bytes.count else { throw Problem.malformed("a segment runs past the end of the file") }
                if [0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF].contains(marker) {
                    guard length >= 8 else { throw Problem.malformed("the frame header is too short") }
                    let height = Int(bytes[index + 3]) << 8 | Int(bytes[index + 4])
                    let width = Int(bytes[index + 5]) << 8 | Int(bytes[index + 6])
                    guard width > 0, height > 0 else { throw Problem.malformed("the frame header gives no size") }
                    frame = (width, height)
                }
                index += length
            }
        }
        guard let frame else { throw Problem.malformed("no frame header") }
        guard bytes[bytes.count - 2] == 0xFF, bytes[bytes.count - 1] == 0xD9 else {
            throw Problem.malformed("the file is cut short (no end-of-image marker)")
        }
        width = frame.0
        height = frame.1
    }
}
