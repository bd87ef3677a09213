import ArgumentParser
import CanonicalJSON
import ClinicalRecord
import EventLog
import Foundation

extension Imr {
    /// `imr append`: appends one event, or NDJSON lines from standard input as one atomic append.
    struct Append: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append one event, or NDJSON events from standard input, in one atomic commit.",
            discussion: """
                With --data, appends one event to --stream. With --ndjson, reads one JSON object \
                per line from standard input: {"stream": S, "type": T, "data": {...}} with optional \
                "id", "time", "source" and "expectedVersion" (any, no-stream, exists or a number). \
                All lines commit together or, on any error, none do; input with no event (empty, \
                or blank lines only) is refused with exit 1. Prints one JSON result per event.
                """)

        @OptionGroup var store: StoreArgument

        @Option(help: "The stream id (CloudEvents subject), e.g. consumer-7f3a9c.")
        var stream: String?

        @Option(help: "The event type, e.g. com.example.ehr.visit.v1 (not org.imr.*: those are recorded with `imr record`).")
        var type: String?

        @Option(help: "The version the stream must be at: any, no-stream, exists or a number.")
        var expectedVersion: String = "any"

        @Option(help: "The event payload, a JSON object.")
        var data: String?

        @Option(help: "The event id (default: a new UUID); retrying with the same id is safe.")
        var id: String?

        @Option(help: "When it happened, RFC 3339 UTC (default: now).")
        var time: String?

        @Option(help: "The CloudEvents source: the program.")
        var source: String = "/agencies/local/programs/imr"

        @Option(help: "The recording user id.")
        var actor: String = ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : "user:" + $0 } ?? "user:cli"

        @Option(help: "The recording user's role.")
        var role: String = "administrator"

        @Flag(help: "Read NDJSON events from standard input.")
        var ndjson = false

        func validate() throws {
            if ndjson {
                if data != nil || stream != nil || type != nil {
                    throw ValidationError("--ndjson reads events from standard input; do not also give --stream, --type or --data")
                }
            } else {
                if stream == nil { throw ValidationError("missing --stream (or use --ndjson)") }
                if type == nil { throw ValidationError("missing --type") }
                if data == nil { throw ValidationError("missing --data (a JSON object)") }
                if ExpectedVersion(parsing: expectedVersion) == nil {
                    throw ValidationError("--expected-version must be any, no-stream, exists or a number")
                }
            }
        }

        func run() async throws {
            let appends = try ndjson ? readNDJSON() : [single()]

            try await runReporting {
                let log = try openStore(store.store)
                let results = try await log.append(appends)
                for r in results {
                    for (p, v) in zip(r.positions, r.versions) {
                        let line: JSONValue = .object([
                            "stream": .string(r.stream.rawValue), "position": .number(Double(p)),
                            "version": .number(Double(v)), "duplicate": .bool(r.wasDuplicate),
                        ])
                        print(line.canonicalString)
                    }
                }
            }
        }

        private func now() -> String {
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime]
            return f.string(from: Date())
        }

        private func draft(data: JSONValue, type: String, id: String?, time: String?, source: String?) -> EventDraft {
            EventDraft(
                id: id ?? EventDraft.newID(), source: source ?? self.source, type: type,
                time: time ?? now(), data: data, recordedBy: actor, recordedRole: role)
        }

        /// Why a raw append of `type` is refused, or nil: the record's own types go through commands.
        static func reservedTypeRefusal(_ type: String) -> String? {
            guard EventCatalog.isReserved(type: type) else { return nil }
            return "type: \(EventCatalog.reservedTypePrefix)* events are recorded through commands, which check the record's rules (imr record, imr import)"
        }

        private func single() throws -> StreamAppend {
            if let refusal = Self.reservedTypeRefusal(type!) {
                printError("error: invalid-event: \(refusal); nothing was written")
                throw ExitCode.failure
            }
            let payload: JSONValue
            do { payload = try JSONValue(parsing: data!) } catch {
                printError("error: invalid --data: \(error.description)")
                throw ExitCode.failure
            }
            let streamID: StreamID
            do { streamID = try StreamID(stream!) } catch {
                printError("error: invalid --stream: \(error.description)")
                throw ExitCode.failure
            }
            return StreamAppend(
                stream: streamID, expected: ExpectedVersion(parsing: expectedVersion)!,
                events: [draft(data: payload, type: type!, id: id, time: time, source: nil)])
        }

        /// Parses standard input; every bad line is reported with its number, then nothing is written.
        private func readNDJSON() throws -> [StreamAppend] {
            var appends: [StreamAppend] = []
            var errors: [String] = []
            for (lineNumber, line) in ndjsonLines(try readInput("-")) {
                do {
                    appends.append(try parseLine(line))
                } catch {
                    errors.append("line \(lineNumber): \(error.text)")
                }
            }
            if !errors.isEmpty {
                for e in errors.prefix(50) { printError("error: \(e)") }
                printError("error: \(errors.count) invalid line(s); nothing was written")
                throw ExitCode.failure
            }
            if appends.isEmpty {
                printError("error: no events on standard input; nothing was written")
                throw ExitCode.failure
            }
            return appends
        }

        private struct LineError: Error { var text: String }

        private func parseLine(_ line: ArraySlice<UInt8>) throws(LineError) -> StreamAppend {
            let value: JSONValue
            do { value = try JSONValue(parsing: line) } catch { throw LineError(text: error.description) }
            guard case .object(let o) = value else { throw LineError(text: "each line must be a JSON object") }
            let known: Set<String> = ["stream", "type", "data", "id", "time", "source", "expectedVersion"]
            if let unknown = o.keys.sorted().first(where: { !known.contains($0) }) {
                throw LineError(text: "unknown field \(unknown)")
            }
            guard case .string(let s)? = o["stream"] else { throw LineError(text: "stream is required and must be a string") }
            guard case .string(let t)? = o["type"] else { throw LineError(text: "type is required and must be a string") }
            if let refusal = Self.reservedTypeRefusal(t) { throw LineError(text: refusal) }
            guard let d = o["data"] else { throw LineError(text: "data is required") }
            func optionalString(_ k: String) throws(LineError) -> String? {
                guard let v = o[k] else { return nil }
                guard case .string(let s) = v else { throw LineError(text: "\(k) must be a string") }
                return s
            }
            var expected = ExpectedVersion.any
            if let ev = o["expectedVersion"] {
                switch ev {
                case .string(let s): guard let e = ExpectedVersion(parsing: s) else { throw LineError(text: "expectedVersion must be any, no-stream, exists or a number") }
                    expected = e
                case .number(let n) where n >= 0 && n <= 9_007_199_254_740_991 && n.rounded() == n: expected = .exact(UInt64(n))
                default: throw LineError(text: "expectedVersion must be any, no-stream, exists or a number")
                }
            }
            let streamID: StreamID
            do { streamID = try StreamID(s) } catch { throw LineError(text: error.description) }
            let ev = draft(
                data: d, type: t, id: try optionalString("id"), time: try optionalString("time"),
                source: try optionalString("source"))
            do { try ev.validate(for: streamID) } catch { throw LineError(text: error.description) }
            return StreamAppend(stream: streamID, expected: expected, events: [ev])
        }
    }
}
