import ArgumentParser
import EventLog
import Foundation
import MerkleLog

/// The options every verifying command shares: checkpoints the auditor holds and their key.
///
/// ```swift
/// @OptionGroup var keys: KeyOptions
/// let verifier = try keys.verifier(for: log)   // --key, or the store's own key with a warning
/// ```
struct KeyOptions: ParsableArguments {
    @Option(
        name: .customLong("checkpoint"),
        help: ArgumentHelp("A signed checkpoint you hold (repeatable).", valueName: "file"))
    var checkpointFiles: [String] = []

    @Option(
        help: ArgumentHelp(
            "The verifier key you hold (signed-note encoding: name+hash+base64key). Without it, a command that reads a store uses the store's own key (with a warning); verify-export needs it.",
            valueName: "verifier-key"))
    var key: String?

    func validate() throws {
        if let key {
            do { _ = try NoteVerifier(verifierKey: key) } catch {
                throw ValidationError("--key is not a verifier key: \(error)")
            }
        }
    }

    /// The verifier for `--key`, or nil when none was given.
    func givenVerifier() -> NoteVerifier? {
        key.flatMap { try? NoteVerifier(verifierKey: $0) }
    }

    /// The verifier to check signatures with, the key text and where it came from.
    func verifier(for log: LMDBEventLog) -> (verifier: NoteVerifier?, key: String, source: String) {
        resolveVerifier(key: key, log: log)
    }

    /// Reads every `--checkpoint` file.
    /// - Throws: ``AuditError`` `.io` naming a file that cannot be read.
    func heldCheckpoints() throws -> [CheckpointStatus] {
        try checkpointFiles.map { path in
            CheckpointStatus(source: path, storedSize: nil, note: try readText(path, what: "checkpoint file"))
        }
    }
}

/// Reads a whole file as UTF-8 text (invalid bytes become U+FFFD, which then fails verification).
/// - Throws: ``AuditError`` `.io` when the file cannot be read.
func readText(_ path: String, what: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw AuditError.io("cannot read \(what) \(path)")
    }
    return String(decoding: data, as: UTF8.self)
}

/// The verifier for `key`, or for the store's own key when `key` is nil.
///
/// The store's own key comes with a warning on standard error: a store rewritten together with
/// its key would check out against itself. A malformed key gives a nil verifier (every
/// checkpoint then fails).
func resolveVerifier(key: String?, log: LMDBEventLog) -> (verifier: NoteVerifier?, key: String, source: String) {
    if let key { return (try? NoteVerifier(verifierKey: key), key, "given") }
    printError("warning: checking signatures with the store's own verifier key; pass --key with the key you hold")
    let own = log.verifierKey
    return (try? NoteVerifier(verifierKey: own), own, "store")
}
