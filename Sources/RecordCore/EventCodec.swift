public import CanonicalJSON
public import ClinicalRecord
public import EventLog

/// Turns record events into stored CloudEvents and back, upcasting old schema versions.
///
/// Every stored `type` is `<name>.v<version>`. Reading an older version runs the upcasters
/// registered for that name, one version step at a time, before decoding into the current
/// Swift type; the stored bytes are never rewritten.
public struct EventCodec: Sendable {
    /// One step of schema evolution: `data` of `version` → `data` of `version + 1`.
    public struct Upcaster: Sendable {
        public var typeName: String
        public var fromVersion: Int
        public var transform: @Sendable (JSONValue) throws -> JSONValue
        public init(typeName: String, fromVersion: Int, transform: @escaping @Sendable (JSONValue) throws -> JSONValue) {
            self.typeName = typeName; self.fromVersion = fromVersion; self.transform = transform
        }
    }

    /// The upcasters of the record's history.
    public static let standardUpcasters: [Upcaster] = [
        // SessionRecorded v1 → v2: educational techniques became a field (fidelity item 9);
        // `handout_given` became `handouts_given`.
        Upcaster(typeName: SessionRecorded.typeName, fromVersion: 1) { data in
            guard case .object(var m) = data else { return data }
            if m["educational_techniques"] == nil { m["educational_techniques"] = .array([]) }
            if let given = m.removeValue(forKey: "handout_given") { m["handouts_given"] = given }
            return .object(m)
        },
    ]

    private let upcasters: [String: [Int: Upcaster]]

    /// A codec with the given upcasters (the standard ones by default).
    public init(upcasters: [Upcaster] = EventCodec.standardUpcasters) {
        var table: [String: [Int: Upcaster]] = [:]
        for u in upcasters { table[u.typeName, default: [:]][u.fromVersion] = u }
        self.upcasters = table
    }

    /// Encodes an event's payload as the CloudEvents `data`.
    public func encode(_ event: any RecordEvent) throws -> JSONValue {
        try JSONValueEncoder().encode(event)
    }

    /// Decodes a stored event into its current Swift type.
    ///
    /// - Returns: `nil` for a type the record does not know (an integrator's raw event).
    /// - Throws: ``RecordCoreError`` `.undecodable` when a known type's data does not decode,
    ///   or when its version is newer than this build or has no upcaster path.
    public func decode(_ stored: StoredEvent) throws(RecordCoreError) -> (any RecordEvent)? {
        guard let (name, version) = EventCatalog.parse(eventType: stored.type),
            let type = EventCatalog.byTypeName[name]
        else { return nil }
        return try decode(type: type, version: version, data: stored.data, position: stored.position)
    }

    /// Decodes `data` of `type` at `version`, upcasting as needed.
    public func decode(type: any RecordEvent.Type, version: Int, data: JSONValue, position: UInt64? = nil) throws(RecordCoreError)
        -> any RecordEvent
    {
        guard version <= type.version else {
            throw .undecodable(position: position, type: type.eventType, reason: "version \(version) is newer than this build knows")
        }
        var data = data
        var v = version
        while v < type.version {
            guard let step = upcasters[type.typeName]?[v] else {
                throw .undecodable(position: position, type: type.eventType, reason: "no upcaster from version \(v)")
            }
            do { data = try step.transform(data) } catch {
                throw .undecodable(position: position, type: type.eventType, reason: "upcaster from version \(v) failed")
            }
            v += 1
        }
        do {
            return try JSONValueDecoder(rejectsUnknownKeys: false).decode(type, from: data)
        } catch let error as DecodingError {
            throw .undecodable(position: position, type: type.eventType, reason: "\(error.path): \(error.ruleText)")
        } catch {
            throw .undecodable(position: position, type: type.eventType, reason: "does not decode")
        }
    }
}

/// Errors of the record core that are not command refusals.
public enum RecordCoreError: Error, Sendable, CustomStringConvertible {
    /// A stored event of a known type does not decode.
    case undecodable(position: UInt64?, type: String, reason: String)

    public var description: String {
        switch self {
        case .undecodable(let position, let type, let reason):
            "stored event\(position.map { " at position \($0)" } ?? "") of type \(type) does not decode: \(reason)"
        }
    }
}
