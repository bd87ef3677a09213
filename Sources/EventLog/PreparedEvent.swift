import CanonicalJSON
import Crypto
import MerkleLog

/// A validated draft, pre-rendered into the canonical pieces around the store's attributes.
///
/// The store's four attributes sort between the client's: keys in RFC 8785 order are
/// `data, datacontenttype, id, | position, predecessorhash, recordedat, | recordedby,
/// recordedrole, source, specversion, | streamversion, | subject, time, type`.
///
/// A class, immutable: the writer reads each one in place, where a struct of three buffers was
/// copied for every call (three references retained and released per event on the writer).
final class PreparedEvent: Sendable {
    /// The three client-set pieces in one buffer: `head ‖ middle ‖ tail`, where
    /// head is `{"data":…,"datacontenttype":…,"id":…,`,
    /// middle is `"recordedby":…,"recordedrole":…,"source":…,"specversion":"1.0",` and
    /// tail is `"subject":…,"time":…,"type":…}`.
    let pieces: [UInt8]
    /// Where head ends and middle begins in ``pieces``.
    let headEnd: Int
    /// Where middle ends and tail begins in ``pieces``.
    let middleEnd: Int

    /// SHA-256 fed with `0x00 ‖ head`: the stored bytes begin with head, so the writer
    /// finishes the leaf hash from here and hashes only what follows head.
    let headHasher: SHA256

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

        var pieces: [UInt8] = []
        pieces.reserveCapacity(1024)
        pieces.append(contentsOf: #"{"data":"#.utf8)
        draft.data.writeCanonical(into: &pieces)
        pieces.append(contentsOf: #","datacontenttype":"#.utf8)
        JCS.writeString(draft.dataContentType, into: &pieces)
        pieces.append(contentsOf: #","id":"#.utf8)
        JCS.writeString(draft.id, into: &pieces)
        pieces.append(UInt8(ascii: ","))
        let headEnd = pieces.count

        pieces.append(contentsOf: #""recordedby":"#.utf8)
        JCS.writeString(draft.recordedBy, into: &pieces)
        pieces.append(contentsOf: #","recordedrole":"#.utf8)
        JCS.writeString(draft.recordedRole, into: &pieces)
        pieces.append(contentsOf: #","source":"#.utf8)
        JCS.writeString(draft.source, into: &pieces)
        pieces.append(contentsOf: #","specversion":"1.0","#.utf8)
        let middleEnd = pieces.count

        pieces.append(contentsOf: #""subject":"#.utf8)
        JCS.writeString(stream.rawValue, into: &pieces)
        pieces.append(contentsOf: #","time":"#.utf8)
        JCS.writeString(draft.time, into: &pieces)
        pieces.append(contentsOf: #","type":"#.utf8)
        JCS.writeString(draft.type, into: &pieces)
        pieces.append(UInt8(ascii: "}"))

        let size = pieces.count + EventLimits.storeAttributesBound
        if size > EventLimits.maxEventBytes {
            var e = EventLogError(
                code: .eventTooLarge,
                message: (index.map { "event \($0): " } ?? "")
                    + "the event would be up to \(size) bytes stored (with the store's attributes at their largest); the limit is \(EventLimits.maxEventBytes) bytes")
            e.field = "data"
            e.eventIndex = index
            throw e
        }

        var hasher = SHA256()
        pieces.withUnsafeBytes { all in
            var prefix = RFC6962.leafHashPrefix
            withUnsafeBytes(of: &prefix) { hasher.update(bufferPointer: $0) }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: all[..<headEnd]))
        }

        self.idKey = IDRecord.key(source: draft.source, id: draft.id)
        self.pieces = pieces
        self.headEnd = headEnd
        self.middleEnd = middleEnd
        self.headHasher = hasher
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
        pieces.withUnsafeBufferPointer { p in
            out.append(contentsOf: UnsafeBufferPointer(rebasing: p[..<headEnd]))
            appendStoreAttributes(position: position, version: version, recordedAt: recordedAt, predecessor: predecessor, to: &out)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: p[headEnd..<middleEnd]))
            out.append(contentsOf: #""streamversion":"#.utf8)
            appendDecimal(version, to: &out)
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: UnsafeBufferPointer(rebasing: p[middleEnd...]))
        }
    }

    /// The leaf hash of bytes rendered by ``render(position:version:recordedAt:predecessor:into:)``:
    /// `SHA-256(0x00 ‖ rendered)`, continuing ``headHasher`` over what follows head.
    func leafHash(ofRendered rendered: [UInt8]) -> Hash {
        var hasher = headHasher
        rendered.withUnsafeBytes { r in hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: r[headEnd...])) }
        return Hash(hasher.finalize())
    }

    /// `"position":…,"predecessorhash":…,"recordedat":…,`
    @inline(__always)
    private func appendStoreAttributes(position: LogIndex, version: StreamVersion, recordedAt: String, predecessor: Hash, to out: inout [UInt8]) {
        out.append(contentsOf: #""position":"#.utf8)
        appendDecimal(position, to: &out)
        out.append(contentsOf: #","predecessorhash":""#.utf8)
        appendHex(predecessor, to: &out)
        out.append(contentsOf: #"","recordedat":""#.utf8)
        out.append(contentsOf: recordedAt.utf8)
        out.append(contentsOf: #"","#.utf8)
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
