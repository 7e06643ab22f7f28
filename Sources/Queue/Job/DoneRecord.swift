import Foundation

/// The record of a finished job kept in a done bucket (`P:done:<queue>:<bucket>`, field = job id), as JSON:
/// `{"state":"completed","finished":ms,"attempt":1,"worker":"…","type":"…","result":…}`.
struct DoneRecord: Codable, Equatable {
    var state: String
    var finished: Int64
    var attempt: Int
    var worker: String
    var type: String
    /// The job's result, JSON text (embedded as JSON, not as a string).
    var result: String?

    var json: String {
        Self.json(state: state, finished: finished, attempt: attempt, quotedWorker: Self.quoted(worker), quotedType: Self.quoted(type), result: result)
    }

    /// Hand-rolled, with the worker and type already quoted (they repeat across a batch): this runs once per
    /// completed job on the hot path.
    static func json(state: String, finished: Int64, attempt: Int, quotedWorker: String, quotedType: String, result: String?) -> String {
        var text = ""
        text.reserveCapacity(64 + quotedWorker.utf8.count + quotedType.utf8.count + (result?.utf8.count ?? 0))
        text += #"{"state":"#
        text += quoted(state)
        text += #","finished":"#
        text += String(finished)
        text += #","attempt":"#
        text += String(attempt)
        text += #","worker":"#
        text += quotedWorker
        text += #","type":"#
        text += quotedType
        if let result {
            text += #","result":"#
            text += result
        }
        text += "}"
        return text
    }

    static func quoted(_ text: String) -> String {
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) { return "\"" + text + "\"" }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Parses a stored record; the result comes back as JSON text.
    static func parse(_ text: String) -> DoneRecord? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
            let state = object["state"] as? String, let finished = (object["finished"] as? NSNumber)?.int64Value
        else { return nil }
        var result: String?
        if let value = object["result"], !(value is NSNull),
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes])
        {
            result = String(decoding: data, as: UTF8.self)
        }
        return DoneRecord(
            state: state, finished: finished, attempt: (object["attempt"] as? NSNumber)?.intValue ?? 1, worker: object["worker"] as? String ?? "",
            type: object["type"] as? String ?? "", result: result)
    }
}
