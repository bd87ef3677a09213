import ArgumentParser
import ClinicalRecord
import Dashboard
import EventLog
import Foundation
import MerkleLog
import ProgramSimulator
import Projections
import RecordCore

extension Imr {
    /// `imr demo`: a realistic synthetic state program, recorded, projected, checkpointed and audited.
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a store holding a seeded synthetic multi-site IMR program, then project, checkpoint and audit it.",
            discussion: """
                Twelve sites over two years, modelled on the case sites of the national implementation \
                study: practitioners with turnover and IMR leaders, individual and group formats, \
                referrals (some declined), weekly sessions with full progress notes, goals and \
                follow-ups, supporters and consent, relapse prevention plans, handouts, supervision, \
                training, fidelity reviews, discharges, late entries and amendments. Every command goes \
                through the record's rules. The same seed always gives the same program.
                """)

        /// The origin of the demo's stores: the only stores `imr demo` replaces.
        static let origin = "imr-demo/state-program"

        @Option(help: "The store to create (an existing demo store there is replaced; any other store is left alone).")
        var store: String = "./imr-data"

        @Option(help: "The simulation seed.")
        var seed: UInt64 = 1

        func run() async throws {
            let started = Date()
            try replaceStore(store)
            let log = try LMDBEventLog.create(at: store, origin: Self.origin)
            let commands = ProgramSimulator(config: ProgramSimulator.demo(seed: seed)).allCommands()
            let core = RecordCore(log: log, options: .init(source: "/agencies/state/programs/imr"))
            let bar = ProgressBar(label: "recording", unit: "commands")
            var done = 0, events = 0
            for start in stride(from: 0, to: commands.count, by: 4000) {
                let chunk = Array(commands[start..<min(start + 4000, commands.count)])
                let outcome = try await core.executeBatch(chunk, by: Actor(user: "user:demo", role: "administrator"), mode: .allOrNothing)
                for line in outcome.lines {
                    switch line {
                    case .failure(let e):
                        bar.finish()
                        printError("the simulation produced a command the record refuses: \(e)")
                        throw ExitCode.failure
                    case .success(let r):
                        // Every command of the simulated past is flagged entry.late against today's
                        // clock; the simulation's own late notes carry their session's time.
                        events += r.events.count
                    }
                }
                done += chunk.count
                bar.update(UInt64(done), UInt64(commands.count))
            }
            bar.finish()
            print("recorded \(commands.count) commands as \(events) events in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")

            // A fresh store has no views yet: opening them rebuilds every projection from the log.
            let projecting = Date()
            let views = try ProjectionStore.open(store: store, log: log)
            try views.catchUp()
            let snapshot = views.snapshot()
            print("projections (caseload, goals, participation, fidelity) rebuilt from the log in \(String(format: "%.1f", Date().timeIntervalSince(projecting))) s")
            let auditing = Date()
            let (checkpoint, note) = try log.makeCheckpoint(signer: try log.loadSigner())
            try writeOutput(Data(note.utf8), to: store + ".checkpoint")
            let verifier = try log.verifyChain(strict: false, rootsAt: [checkpoint.size])
            let opened = try SignedCheckpoint.open(note, verifier: try NoteVerifier(verifierKey: log.verifierKey))
            let audited = verifier.violations.isEmpty && verifier.roots[checkpoint.size] == opened.rootHash
            print("checkpoint signed and audit run in \(String(format: "%.1f", Date().timeIntervalSince(auditing))) s")

            let day = try ReportPage.lastClinicalDate(log) ?? LocalDate(dayNumber: 0)
            let caseload = snapshot.caseload(asOf: day)
            let participation = snapshot.participation(asOf: day)
            let p = participation.programs
            print("")
            print("\(caseload.programs.count) sites, 2 years to \(day): \(p.map(\.referred).reduce(0, +)) referrals, "
                  + "\(p.map(\.enrolled).reduce(0, +)) consumers enrolled (\(p.map(\.active).reduce(0, +)) active at the end), "
                  + "\(p.map(\.sessions).reduce(0, +)) session notes")
            print("fidelity per site, computed from the record per 6-month window (items 5–13 provisional):")
            for row in caseload.programs {
                guard let id = ProgramID(row.program) else { continue }
                let history = snapshot.fidelityHistory(program: id, asOf: day)
                let totals = history.map { String(format: "%.1f", $0.report.total) }.joined(separator: " → ")
                print("  \(row.program.padding(toLength: 4, withPad: " ", startingAt: 0)) \(row.name.padding(toLength: 17, withPad: " ", startingAt: 0)) \(totals)")
            }
            print("checkpoint: tree size \(checkpoint.size), signed; kept in \(store).checkpoint")
            print("audit: chain, Merkle root and checkpoint signature " + (audited ? "verified" : "NOT verified"))
            print("")
            print("next: imr report \(store) --out report.html · imr query fidelity \(store) --program <site> · imr-audit verify \(store) --key \(log.verifierKey) --checkpoint \(store).checkpoint")
            print("total \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
            if !audited { throw ExitCode.failure }
        }
    }
}

/// Removes a previous store at `path`, refusing to touch a directory that is not one.
func replaceStore(_ path: String) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
    guard isDirectory.boolValue, LMDBEventLog.exists(at: path) else {
        printError("error: \(path) exists and is not an IMR store; not replacing it")
        throw ExitCode(73)
    }
    // Only a store this command made (its origin) is replaced: any other holds someone's record.
    // Read from its meta alone, so a demo store of an earlier format is replaced too.
    let origin = try runReportingSync { try LMDBEventLog.formatAndOrigin(at: path).origin }
    guard origin == Imr.Demo.origin else {
        printError("error: \(path) holds a store imr demo did not make (origin \(origin)); not replacing it. Choose another --store.")
        throw ExitCode(73)
    }
    try FileManager.default.removeItem(atPath: path)
}
