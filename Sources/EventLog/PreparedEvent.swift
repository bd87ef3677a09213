import CanonicalJSON
import MerkleLog

/// A validated draft, pre-rendered into the canonical pieces around the store's attributes.
///
/// The store's four attributes sort between the client's: keys in RFC 8785 order are
/// `data, datacontenttype, id, | position, predecessorhash, recordedat, | recordedby,
/// recordedrole, source, specversion, | streamversion, | subject, time, type`.
struct PreparedEvent: Sendable {
    let stream: StreamID
    let id: String
    let source: String
    /// `{"data":…,"datacontenttype":…,"id":…,`
    let head: [UInt8]
    /// `"recordedby":…,"recordedrole":…,"source":…,"specversion":"1.0",`
    let middle: [UInt8]
    /// `"subject":…,"time":…,"type":…}`
    let tail: [UInt8]

    /// The idempotency key: source ‖ 0x00 ‖ id.
    let idKey: [UInt8]

    /// Validates `draft` for `stream` and renders it.
    /// - Throws: `EventLogError` `.invalidEvent` naming the field and rule, or `.eventTooLarge`.
    init(_ draft: EventDraft, stream: StreamID, index: Int? = nil) throws(EventLogError) {
        func fail(_ field: String, _ rule: String) -> EventLogError {
            EventLogError.invalid(field: field, rule: rule, eventIndex: index)
        }
        if let rule = Validation.eventID(draft.id) { throw fail("id", rule) }
        if let rule = Validation.source(draft.source) { throw fail("source", rule) }
        if let rule = Validation.type(draft.type) { throw fail("type", rule) }
        if let rule = Validation.timestamp(draft.time) { throw fail("time", rule) }
        if draft.dataContentType != "application/json" {
            throw fail("datacontenttype", "must be application/json")
        }
        guard case .object = draft.data else { throw fail("data", "must be a JSON object") }
        if let rule = Validation.userID(draft.recordedBy) { throw fail("recordedby", rule) }
        if let rule = Validation.role(draft.recordedRole) { throw fail("recordedrole", rule) }

        var head: [UInt8] = []
        head.reserveCapacity(1024)
        head.append(contentsOf: #"{"data":"#.utf8)
        draft.data.writeCanonical(into: &head)
        head.append(contentsOf: #","datacontenttype":"#.utf8)
        JCS.writeString(draft.dataContentType, into: &head)
        head.append(contentsOf: #","id":"#.utf8)
        JCS.writeString(draft.id, into: &head)
        head.append(UInt8(ascii: ","))

        var middle: [UInt8] = []
        middle.reserveCapacity(160)
        middle.append(contentsOf: #""recordedby":"#.utf8)
        JCS.writeString(draft.recordedBy, into: &middle)
        middle.append(contentsOf: #","recordedrole":"#.utf8)
        JCS.writeString(draft.recordedRole, into: &middle)
        middle.append(contentsOf: #","source":"#.utf8)
        JCS.writeString(draft.source, into: &middle)
        middle.append(contentsOf: #","specversion":"1.0","#.utf8)

        var tail: [UInt8] = []
        tail.reserveCapacity(160)
        tail.append(contentsOf: #""subject":"#.utf8)
        JCS.writeString(stream.rawValue, into: &tail)
        tail.append(contentsOf: #","time":"#.utf8)
        JCS.writeString(draft.time, into: &tail)
        tail.append(contentsOf: #","type":"#.utf8)
        JCS.writeString(draft.type, into: &tail)
        tail.append(UInt8(ascii: "}"))

        let size = head.count + middle.count + tail.count + EventLimits.storeAttributesBound
        if size > EventLimits.maxEventBytes {
            var e = EventLogError(
                code: .eventTooLarge,
                message: (index.map { "event \($0): " } ?? "")
                    + "event is about \(size) bytes stored; the limit is \(EventLimits.maxEventBytes) bytes")
            e.field = "data"
            e.eventIndex = index
            throw e
        }

        self.stream = stream
        self.id = draft.id
        self.source = draft.source
        self.idKey = Array(draft.source.utf8) + [0] + Array(draft.id.utf8)
        self.head = head
        self.middle = middle
        self.tail = tail
    }

    /// True when `stored` is this event with some store attributes: the same content, so
    /// appending it again is a safe retry. Compares bytes, rendering this event with the
    /// stored event's own position, version, recorded-at and predecessor hash.
    func isSameContent(as stored: StoredEvent) -> Bool {
        var out: [UInt8] = []
        out.reserveCapacity(stored.bytes.count)
        render(
            position: stored.position, version: stored.streamVersion, recordedAt: stored.recordedAt,
            predecessor: stored.predecessorHash, into: &out)
        return out == stored.bytes
    }

    /// The stored bytes with the store's attributes filled in.
    func render(position: LogIndex, version: StreamVersion, recordedAt: String, predecessor: Hash, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: head)
        out.append(contentsOf: #""position":"#.utf8)
        appendDecimal(position, to: &out)
        out.append(contentsOf: #","predecessorhash":""#.utf8)
        appendHex(predecessor, to: &out)
        out.append(contentsOf: #"","recordedat":""#.utf8)
        out.append(contentsOf: recordedAt.utf8)
        out.append(contentsOf: #"","#.utf8)
        out.append(contentsOf: middle)
        out.append(contentsOf: #""streamversion":"#.utf8)
        appendDecimal(version, to: &out)
        out.append(UInt8(ascii: ","))
        out.append(contentsOf: tail)
    }
}

@inline(__always)
func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
    if value == 0 {
        out.append(UInt8(ascii: "0"))
        return
    }
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                 UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = value
    var count = 0
    withUnsafeMutableBytes(of: &digits) { buf in
        while n > 0 {
            buf[19 - count] = UInt8(ascii: "0") + UInt8(n % 10)
            n /= 10
            count += 1
        }
        out.append(contentsOf: buf[(20 - count)...])
    }
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

@inline(__always)
func appendHex(_ hash: Hash, to out: inout [UInt8]) {
    hash.withUnsafeBytes { bytes in
        for b in bytes {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0x0F)])
        }
    }
}
