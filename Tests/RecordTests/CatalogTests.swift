import CanonicalJSON
import ClinicalRecord
import Foundation
import RecordCore
import Testing

@Suite("The event catalog: stable names, schemas, PHI marks, and docs/EVENTS.md in step with the code")
struct CatalogTests {
    @Test("Every event type has a unique, versioned, reverse-DNS type name and a command")
    func names() throws {
        let types = EventCatalog.all.map { $0.eventType }
        #expect(Set(types).count == types.count)
        for t in EventCatalog.all {
            #expect(t.typeName.hasPrefix("org.imr."))
            #expect(EventCatalog.parse(eventType: t.eventType)?.name == t.typeName)
            // The group's side of a group session comes from record-group-session.
            if ObjectIdentifier(t) == ObjectIdentifier(GroupSessionHeld.self) { continue }
            #expect(CommandCatalog.eventType(of: CommandCatalog.name(of: t)).map { ObjectIdentifier($0) } == ObjectIdentifier(t))
        }
        // The catalog of shared/domain/IMR.md section 6, by stored type name.
        for name in ["referral.received", "referral.accepted", "referral.declined", "consumer.enrolled", "practitioner.assigned",
                     "practitioner.transferred", "group.formed", "group.membership-changed", "session.recorded",
                     "attendance.recorded", "goal.set", "goal.revised", "goal.progress-rated", "goal.achieved", "goal.withdrawn",
                     "supporter.registered", "supporter.consent-recorded", "supporter.consent-revoked",
                     "supporter.contact-recorded", "strengths-inventory.completed", "relapse-plan.recorded",
                     "handouts.provided", "module-review.completed", "supervision.held", "training.completed",
                     "outcome-measure.recorded", "fidelity.review-completed", "consumer.discharged", "entry.amended",
                     "entry.marked-in-error", "amendment.request-decided", "record.accessed"] {
            #expect(EventCatalog.byTypeName["org.imr." + name] != nil, "missing \(name)")
        }
    }

    @Test("Each schema lists every field its type encodes, requires what the type requires, and marks each PHI field")
    func schemas() throws {
        for t in EventCatalog.all {
            let schema = try SchemaGenerator.schema(of: t)
            let props = try #require(schema["properties"]?.objectValue, "\(t.eventType)")
            for f in t.phiFields { #expect(props[f]?["x-phi"] == true, "\(t.eventType).\(f) not marked PHI") }
            for f in t.sudFields { #expect(props[f]?["x-sud"] == true, "\(t.eventType).\(f) not marked SUD") }
            #expect(schema["additionalProperties"] == false)
        }
        // A session note: the free-text fields are PHI, the module list may be SUD, the date is required.
        let note = try SchemaGenerator.schema(of: SessionRecorded.self)
        #expect(note["properties"]?["homework"]?["x-phi"] == true)
        #expect(note["properties"]?["topics"]?["x-sud"] == true)
        #expect(note["properties"]?["topics"]?["items"]?["enum"]?.arrayValue?.count == Module.allCases.count)
        #expect(note["required"]?.arrayValue?.contains("date") == true)
        #expect(note["required"]?.arrayValue?.contains("homework") == false)
    }

    @Test("docs/EVENTS.md is exactly what `imr schema --markdown` generates")
    func document() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let committed = try String(contentsOf: root.appendingPathComponent("docs/EVENTS.md"), encoding: .utf8)
        #expect(committed == (try CatalogDocument.markdown()), "regenerate with: imr schema --markdown > docs/EVENTS.md")
    }

    @Test("Every rule code the rules and the command parser can report is in the catalog's rules table")
    func everyRuleDocumented() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let table = try CatalogDocument.markdown()
        var codes = Set<String>()
        for file in ["Sources/ClinicalRecord/Decide.swift", "Sources/RecordCore/CommandParser.swift", "Sources/RecordCore/RecordCore.swift",
                     "Tools/imr/Record.swift"] {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            // Rule codes are quoted lower-case `area.rule` literals.
            for match in text.matches(of: /"([a-z][a-z-]*\.[a-z][a-z-]*)"/) where !match.output.1.hasPrefix("content.") {
                codes.insert(String(match.output.1))
            }
        }
        #expect(codes.count > 40)
        let missing = codes.filter { !table.contains("`\($0)`") }.sorted()
        #expect(missing.isEmpty, "rule codes missing from the rules table: \(missing)")
    }
}

@Suite("Consumers named outside their own streams")
struct ConsumersNamedTests {
    @Test("Referrals, groups and supervision name their consumers; events in a consumer's own stream name nobody else")
    func named() {
        let c1: ConsumerID = "c1", c2: ConsumerID = "c2", c3: ConsumerID = "c3"
        #expect(ReferralReceived(referralId: "r1", consumerId: c1, programId: "p1", source: .self, reason: "x", date: LocalDate("2026-01-02")!)
            .consumersNamed == [c1])
        #expect(GroupFormed(groupId: "g1", programId: "p1", facilitators: ["pr1"], members: [c1, c2], startDate: LocalDate("2026-01-02")!)
            .consumersNamed == [c1, c2])
        #expect(GroupMembershipChanged(groupId: "g1", added: [c3], removed: [c1], effectiveDate: LocalDate("2026-01-02")!).consumersNamed == [c3, c1])
        #expect(SupervisionHeld(teamId: "t1", kind: .group, leader: "pr1", practitioners: ["pr1"], date: LocalDate("2026-01-02")!,
                                durationMinutes: 60, casesReviewed: [c2]).consumersNamed == [c2])
        #expect(GoalSet(goalId: "g1", consumerId: c1, text: "x", date: LocalDate("2026-01-02")!).consumersNamed.isEmpty)
    }
}
