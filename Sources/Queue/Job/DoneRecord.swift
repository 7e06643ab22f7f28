import FleetCore
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
        Self.json(
            state: state,
            finished: finished,
            attempt: attempt,
            quotedWorker: JSONString.quoted(worker),
            quotedType: JSONString.quoted(type),
            result: result
        )
    }

    /// Hand-rolled, with the worker and type already quoted (they repeat across a batch): this runs once per
    /// completed job on the hot path.
    static func json(state: String, finished: Int64, attempt: Int, quotedWorker: String, quotedType: String, result: String?) -> String {
        var text = ""
        text.reserveCapacity(64 + quotedWorker.utf8.count + quotedType.utf8.count + (result?.utf8.count ?? 0))
        text += #"{"state":"#
        text += JSONString.quoted(state)
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
            state: state,
            finished: finished,
            attempt: (object["attempt"] as? NSNumber)?.intValue ?? 1,
            worker: object["worker"] as? String ?? "",
            type: object["type"] as? String ?? "",
            result: result
        )
    }
}
